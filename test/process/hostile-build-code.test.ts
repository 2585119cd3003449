// Build code the action runs but did not write (issue 18, items 1 and 2): a local library whose
// setup.py is hostile, built by real uv (`uv build --wheel`), and a source distribution with the
// same setup.py, built by real pip (`pip wheel`) because it has no wheel. Through
// `node dist/index.js` on Node 24, as GitHub runs it, with a job's secrets planted. The setup.py
// records what it could reach: its environment, and the initial environment of every ancestor
// process (/proc/<pid>/environ, readable by the same user); it appends to $GITHUB_ENV,
// $GITHUB_PATH and $GITHUB_OUTPUT when they are set, and prints workflow commands.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { NODE24_BINARY, runAction, TOOLS_BIN, type ActionRun } from '../helpers/run-action.js'
import { actingCommands } from '../helpers/workflow-commands.js'

const PATH = [TOOLS_BIN, process.env.PATH ?? ''].join(delimiter)

/** A job's secrets and command files, as the runner hands them to the action. */
const PLANTED = {
  ACTIONS_RUNTIME_TOKEN: 'planted-actions-runtime-token',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'planted-oidc-request-token',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://planted-oidc.invalid/token',
  ACTIONS_CACHE_URL: 'https://planted-cache.invalid/',
  ACTIONS_RESULTS_URL: 'https://planted-results.invalid/',
  AWS_ACCESS_KEY_ID: 'AKIAPLANTEDKEYID0000',
  AWS_SECRET_ACCESS_KEY: 'planted-aws-secret-access-key',
  AWS_SESSION_TOKEN: 'planted-aws-session-token',
  GITHUB_TOKEN: 'planted-github-token',
  'INPUT_GITHUB-TOKEN': 'planted-input-github-token'
}
const SECRETS = Object.values(PLANTED)

/** Names build code must not see at all. */
const FORBIDDEN = /^(GITHUB_|ACTIONS_|RUNNER_|INPUT_|AWS_|STATE_)/

const HOSTILE_SETUP = (dumps: string) => `
import json, os, sys
from setuptools import setup

ancestors = []
pid = os.getppid()
while pid > 1:
    try:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            environ = f.read().decode('utf-8', 'replace')
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            cmdline = f.read().decode('utf-8', 'replace').replace('\\0', ' ')
        ancestors.append({'pid': pid, 'cmdline': cmdline, 'environ': environ})
        with open('/proc/%d/status' % pid) as f:
            pid = int([l for l in f if l.startswith('PPid:')][0].split()[1])
    except OSError:
        break
wrote = []
for name, line in (('GITHUB_ENV', 'NODE_OPTIONS=--require=/tmp/evil.js'),
                   ('GITHUB_PATH', '/tmp/evil-bin'),
                   ('GITHUB_OUTPUT', 'code-sha256=planted')):
    if os.environ.get(name):
        with open(os.environ[name], 'a') as f:
            f.write(line + '\\n')
        wrote.append(name)
with open(os.path.join(${JSON.stringify(dumps)}, 'dump-%d.json' % os.getpid()), 'w') as f:
    json.dump({'environ': dict(os.environ), 'ancestors': ancestors, 'wrote': wrote}, f)

for stream in (sys.stdout, sys.stderr):
    stream.write('::set-output name=code-sha256::planted\\n')
    stream.write('::error::planted by setup.py\\n')
    stream.write('::add-mask::planted\\n')
    stream.write('  ::warning file=app.py::planted by setup.py\\n')
    stream.write('harmless prefix ##[set-output name=changed;]planted\\n')
    stream.flush()

setup(name='lpd-hostile-lib', version='1.0', py_modules=['hostile'])
`

interface Dump {
  environ: Record<string, string>
  ancestors: { pid: number; cmdline: string; environ: string }[]
  wrote: string[]
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

/** A hostile project folder `<root>/<name>` (setup.py, hostile.py) and its dump folder. */
function hostileProject(root: string, name: string): { dir: string; dumps: string } {
  const dir = join(root, name)
  const dumps = join(root, `${name}-dumps`)
  mkdirSync(dumps, { recursive: true })
  write(join(dir, 'setup.py'), HOSTILE_SETUP(dumps))
  write(join(dir, 'hostile.py'), 'VALUE = 1\n')
  write(
    join(dir, 'pyproject.toml'),
    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
  )
  return { dir, dumps }
}

function readDumps(dumps: string): Dump[] {
  return readdirSync(dumps).map(
    (name) => JSON.parse(readFileSync(join(dumps, name), 'utf8')) as Dump
  )
}

interface HostileRun {
  run: ActionRun
  dumps: Dump[]
  /** The command files the job gave the action, read after the run. */
  githubEnv: string
  githubPath: string
}

async function build(
  root: string,
  dumps: string,
  inputs: Record<string, string>
): Promise<HostileRun> {
  const githubEnv = join(root, 'github-env')
  const githubPath = join(root, 'github-path')
  writeFileSync(githubEnv, '')
  writeFileSync(githubPath, '')
  const run = await runAction({
    node: NODE24_BINARY,
    inputs: {
      mode: 'build',
      runtime: 'python3.11',
      architectures: 'x86_64',
      handler: 'app.handler',
      cache: 'false',
      comment: 'false',
      'output-dir': join(root, 'out'),
      ...inputs
    },
    env: {
      PATH,
      GITHUB_WORKSPACE: root,
      GITHUB_ENV: githubEnv,
      GITHUB_PATH: githubPath,
      RUNNER_TOOL_CACHE: join(root, 'tool-cache'),
      ...PLANTED
    },
    cwd: root
  })
  return {
    run,
    dumps: readDumps(dumps),
    githubEnv: readFileSync(githubEnv, 'utf8'),
    githubPath: readFileSync(githubPath, 'utf8')
  }
}

/** What every hostile run must show: build code reached nothing, and said nothing that ran. */
function expectContained({ run, dumps, githubEnv, githubPath }: HostileRun): void {
  expect(run.code, run.stdout + run.stderr).toBe(0)
  // The setup.py ran (more than once: the backend is asked for its requirements, then builds).
  expect(dumps.length).toBeGreaterThan(0)
  for (const dump of dumps) {
    expect(Object.keys(dump.environ).filter((name) => FORBIDDEN.test(name))).toEqual([])
    for (const secret of SECRETS) expect(JSON.stringify(dump.environ)).not.toContain(secret)
    // What a build needs is there.
    expect(dump.environ.PATH).toBeTruthy()
    expect(dump.environ.HOME).toBeTruthy()
    expect(dump.wrote).toEqual([])
    // No ancestor's initial environment holds a secret: not pip or uv, not the action's node.
    const node = dump.ancestors.find((a) => a.cmdline.includes('dist/index.js'))
    expect(node, JSON.stringify(dump.ancestors.map((a) => a.cmdline))).toBeDefined()
    for (const ancestor of dump.ancestors) {
      for (const secret of SECRETS) expect(ancestor.environ).not.toContain(secret)
      expect(ancestor.environ).not.toMatch(/(^|\0)GITHUB_(ENV|PATH|OUTPUT|STEP_SUMMARY)=/)
    }
  }
  expect(githubEnv).toBe('')
  expect(githubPath).toBe('')
  // The outputs are the action's own: the real package's SHA-256, nothing planted.
  const packages = JSON.parse(run.outputs.packages!) as Record<
    string,
    { function: { codeSha256: string } }
  >
  expect(run.outputs['code-sha256']).toBe(packages.x86_64!.function.codeSha256)
  expect(JSON.stringify(run.outputs)).not.toContain('planted')
  // Printed workflow commands are in the log, and none of them ran.
  const acting = actingCommands(run.stdout)
  const fromSetup = (c: { data: string; properties: string }) =>
    c.data === 'planted' || c.data.includes('by setup.py') || c.properties.includes('planted')
  expect(acting.filter(fromSetup)).toEqual([])
  expect(acting.filter((c) => c.command === 'set-output')).toEqual([])
}

let root: string

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lpd-hostile-build-'))
})

describe('hostile build code', () => {
  it('a local library built by uv: its setup.py sees no secret, writes no command file, and its commands do not run', async () => {
    const { dumps } = hostileProject(root, 'libs/hostile')
    write(
      join(root, 'fn', 'app.py'),
      'import hostile\n\ndef handler(event, context):\n    return 1\n'
    )
    write(join(root, 'fn', 'requirements.txt'), '../libs/hostile\n')
    const result = await build(root, dumps, { source: 'fn' })
    expectContained(result)
    expect(result.run.stdout).toContain('uv build --wheel')
    // What the build printed is relayed, not dropped.
    expect(result.run.stdout).toContain('::set-output name=code-sha256::planted')
  })

  it('a source distribution built by pip: the same', async () => {
    const { dir, dumps } = hostileProject(join(root, 'sdist'), 'lpd-hostile-sdist-1.0')
    // The archive setuptools would publish: PKG-INFO at the top of lpd-hostile-sdist-1.0/.
    write(join(dir, 'PKG-INFO'), 'Metadata-Version: 2.1\nName: lpd-hostile-sdist\nVersion: 1.0\n')
    writeFileSync(
      join(dir, 'setup.py'),
      readFileSync(join(dir, 'setup.py'), 'utf8').replace(
        "name='lpd-hostile-lib'",
        "name='lpd-hostile-sdist'"
      )
    )
    const links = join(root, 'sdist', 'links')
    mkdirSync(links, { recursive: true })
    execFileSync('tar', [
      'czf',
      join(links, 'lpd-hostile-sdist-1.0.tar.gz'),
      '-C',
      join(root, 'sdist'),
      'lpd-hostile-sdist-1.0'
    ])
    write(
      join(root, 'fn-sdist', 'app.py'),
      'import hostile\n\ndef handler(event, context):\n    return 1\n'
    )
    write(
      join(root, 'fn-sdist', 'requirements.txt'),
      `--find-links ${links}\nlpd-hostile-sdist==1.0\n`
    )
    const result = await build(root, dumps, { source: 'fn-sdist', installer: 'pip' })
    expectContained(result)
    expect(result.run.stdout).toMatch(
      /built lpd_hostile_sdist-1\.0-py3-none-any\.whl from lpd-hostile-sdist-1\.0\.tar\.gz/
    )
  })

  it("a step that sets the action's private-environment variable gets a failed step, and nothing of its is read or removed", async () => {
    // As if an earlier step had written it into $GITHUB_ENV, naming a file in the workspace.
    const planted = join(root, 'planted-env', 'environment.json')
    write(planted, JSON.stringify({ AWS_ACCESS_KEY_ID: 'planted' }))
    write(join(root, 'planted-env', 'keep.txt'), 'x')
    const run = await runAction({
      node: NODE24_BINARY,
      inputs: { mode: 'build', runtime: 'python3.11', architectures: 'x86_64', source: root },
      env: { LAMBDA_PYTHON_DEPLOY_PRIVATE_ENVIRONMENT: planted }
    })
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toContain('could not read back its environment')
    expect(readFileSync(planted, 'utf8')).toContain('planted')
    expect(readFileSync(join(root, 'planted-env', 'keep.txt'), 'utf8')).toBe('x')
  })
})
