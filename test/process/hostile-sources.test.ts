// Hostile sources and wheels end to end, through `node dist/index.js` in mode: build: a symlink
// to a credentials file outside source, files that must never ship, special files, and wheels
// whose entries would land outside the package. The unit tests (source-files, assemble-plan)
// prove the rules; these prove what a run does with them: the message, the log, and the disk.
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { limitConcurrency } from '../helpers/limit.js'
import { TOOLS_BIN, runAction, type ActionRun } from '../helpers/run-action.js'
import { writeWheel } from '../helpers/wheels.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-hostile-'))
const limited = limitConcurrency(2)
const FAKE_SECRET = 'FAKEsecretREADthroughAsymlink0123'

function file(path: string, content = 'x\n'): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
  return path
}

/** A source folder with a handler, under a case folder of its own. */
function newCase(name: string): { root: string; source: string; outputDir: string } {
  const root = join(work, name)
  const source = join(root, 'source')
  file(join(source, 'app.py'), 'def handler(event, context):\n    return event\n')
  return { root, source, outputDir: join(root, 'out') }
}

function build(
  inputs: Record<string, string>,
  cwd?: string,
  env: Record<string, string> = {}
): Promise<ActionRun> {
  return limited(() =>
    runAction({
      inputs: {
        mode: 'build',
        runtime: 'python3.12',
        architectures: 'x86_64',
        installer: 'pip',
        cache: 'false',
        ...inputs
      },
      env,
      ...(cwd ? { cwd } : {})
    })
  )
}

/** Every file below `dir`, relative, sorted. */
function walk(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`]
    )
    .sort()
}

const ZIP_LISTING = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zf:
    print(json.dumps({i.filename: [i.external_attr >> 16, zf.read(i).decode()] for i in zf.infolist()}))
`

/** name → [unix mode, text] of every entry. */
function zipListing(path: string): Record<string, [number, string]> {
  const python = join(TOOLS_BIN, 'python')
  return JSON.parse(
    execFileSync(existsSync(python) ? python : 'python3', ['-c', ZIP_LISTING, path], {
      encoding: 'utf8'
    })
  ) as Record<string, [number, string]>
}

const servers: Server[] = []
afterAll(() => {
  for (const server of servers) server.close()
})

describe.concurrent('hostile source folders', () => {
  it('a symlink to a credentials file outside source is refused naming it; no zip is written', async () => {
    const { root, source, outputDir } = newCase('symlink-file')
    const credentials = file(
      join(root, 'home', '.aws', 'credentials'),
      `[default]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = ${FAKE_SECRET}\n`
    )
    symlinkSync(credentials, join(source, 'credentials'))
    const run = await build({ source, 'output-dir': outputDir })
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain(`${source}/credentials: symbolic link to ${credentials}`)
    expect(run.errors[0]).toContain('outside the source directory')
    expect(walk(outputDir).filter((f) => f.endsWith('.zip') || f.endsWith('.partial'))).toEqual([])
    expect(run.stdout + run.stderr).not.toContain(FAKE_SECRET)
  })

  it('a symlink to a folder outside source is refused naming it', async () => {
    const { root, source, outputDir } = newCase('symlink-dir')
    file(join(root, 'home', '.aws', 'credentials'), `secret = ${FAKE_SECRET}\n`)
    symlinkSync(join(root, 'home', '.aws'), join(source, 'settings'))
    const run = await build({ source, 'output-dir': outputDir })
    expect(run.code).toBe(1)
    expect(run.errors[0]).toContain(
      `${source}/settings: symbolic link to ${join(root, 'home', '.aws')}`
    )
    expect(walk(outputDir).filter((f) => f.endsWith('.zip'))).toEqual([])
    expect(run.stdout + run.stderr).not.toContain(FAKE_SECRET)
  })

  it('.env files, .git, virtualenvs and bytecode stay out and are listed; special files are skipped with a warning; inside links ship as files', async () => {
    const { source, outputDir } = newCase('excludes')
    file(join(source, 'lib', 'util.py'), 'VALUE = 1\n')
    file(join(source, '.env'), `AWS_SECRET_ACCESS_KEY=${FAKE_SECRET}\n`)
    file(join(source, '.env.production'), `TOKEN=${FAKE_SECRET}\n`)
    file(join(source, '.git', 'config'), '[remote "origin"]\n')
    file(join(source, '.git', 'HEAD'), 'ref: refs/heads/main\n')
    file(join(source, 'venv', 'pyvenv.cfg'), 'home = /usr/bin\n')
    file(join(source, 'venv', 'lib', 'site.py'), '')
    file(join(source, 'build-env', 'pyvenv.cfg'), 'home = /usr/bin\n')
    file(join(source, '__pycache__', 'app.cpython-312.pyc'), '')
    file(join(source, 'node_modules', 'left-pad', 'index.js'), '')
    file(join(source, 'stale.pyc'), '')
    symlinkSync('app.py', join(source, 'link.py'))
    execFileSync('mkfifo', [join(source, 'pipe')])
    const server = createServer()
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(join(source, 'sock'), resolve))

    const run = await build({ source, 'output-dir': outputDir })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const zip = zipListing(join(outputDir, 'x86_64', 'function.zip'))
    expect(Object.keys(zip)).toEqual(['app.py', 'lib/util.py', 'link.py'])
    // Stored as a regular file (S_IFREG) with the target's content, never as a link.
    expect(zip['link.py']?.[0]).toBe(0o100644)
    expect(zip['link.py']?.[1]).toBe(zip['app.py']?.[1])
    expect(run.stdout).toContain(
      'x86_64: left out by default: .env, .env.production, .git/, __pycache__/, build-env/, ' +
        'node_modules/, stale.pyc, venv/'
    )
    const warnings = run.stdout.split('\n').filter((line) => line.startsWith('::warning'))
    expect(warnings.join('\n')).toContain(`${source}/pipe skipped: a FIFO`)
    expect(warnings.join('\n')).toContain(`${source}/sock skipped: a socket`)
    expect(run.stdout + run.stderr + JSON.stringify(zip)).not.toContain(FAKE_SECRET)
  })
})

describe('credential files in the workspace', () => {
  it('stay out of the zip with source: . (the workspace root), with a warning naming each', async () => {
    const { root, outputDir } = newCase('workspace-root')
    const workspace = join(root, 'workspace')
    file(
      join(workspace, 'app.py'),
      'import settings\n\ndef handler(event, context):\n    return event\n'
    )
    file(join(workspace, 'settings.py'), 'LEVEL = 1\n')
    const privateKey = `-----BEGIN PRIVATE KEY-----\n${FAKE_SECRET}\n-----END PRIVATE KEY-----\n`
    const planted = {
      // google-github-actions/auth writes this at the workspace root.
      'gha-creds-5f3a9c1e2b7d4a60.json': `{"type": "external_account", "token": "${FAKE_SECRET}"}`,
      '.npmrc': `//registry.npmjs.org/:_authToken=${FAKE_SECRET}\n`,
      '.pypirc': `[pypi]\nusername = __token__\npassword = ${FAKE_SECRET}\n`,
      '.netrc': `machine github.com login x password ${FAKE_SECRET}\n`,
      '.git-credentials': `https://x:${FAKE_SECRET}@github.com\n`,
      id_ed25519: privateKey,
      'certs/server.pem': privateKey,
      'certs/tls.key': privateKey,
      '.aws/credentials': `[default]\naws_secret_access_key = ${FAKE_SECRET}\n`,
      '.config/gcloud/application_default_credentials.json': `{"secret": "${FAKE_SECRET}"}`,
      '.azure/accessTokens.json': `[{"accessToken": "${FAKE_SECRET}"}]`,
      '.docker/config.json': `{"auths": {"ghcr.io": {"auth": "${FAKE_SECRET}"}}}`
    }
    for (const [path, content] of Object.entries(planted)) file(join(workspace, path), content)
    // A public CA bundle still ships: the handler may need it for TLS to RDS.
    file(
      join(workspace, 'certs', 'rds-bundle.pem'),
      '-----BEGIN CERTIFICATE-----\nMIIEBjCCAu6gAwIBAgIJAMc0ZzaSUK51\n-----END CERTIFICATE-----\n'
    )

    const run = await build({ source: '.', 'output-dir': outputDir }, workspace, {
      GITHUB_WORKSPACE: workspace
    })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const zip = zipListing(join(outputDir, 'x86_64', 'function.zip'))
    expect(Object.keys(zip)).toEqual(['app.py', 'certs/rds-bundle.pem', 'settings.py'])
    expect(JSON.stringify(zip)).not.toContain(FAKE_SECRET)

    const warnings = run.stdout.split('\n').filter((line) => line.startsWith('::warning'))
    expect(warnings.some((w) => w.includes(`source: ${workspace} is the workspace root`))).toBe(
      true
    )
    const leftOut = warnings.filter((w) => w.includes('Left out of the package as credentials'))
    expect(leftOut).toHaveLength(1)
    for (const path of [
      '.aws/',
      '.azure/',
      '.config/gcloud/',
      '.docker/config.json',
      '.git-credentials',
      '.netrc',
      '.npmrc',
      '.pypirc',
      'certs/server.pem',
      'certs/tls.key',
      'gha-creds-5f3a9c1e2b7d4a60.json',
      'id_ed25519'
    ]) {
      expect(leftOut[0]).toContain(path)
    }
  })

  it('no warning about the workspace root when source is a folder in it', async () => {
    const { root, source, outputDir } = newCase('workspace-folder')
    const run = await build({ source, 'output-dir': outputDir }, undefined, {
      GITHUB_WORKSPACE: root
    })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).not.toContain('is the workspace root')
    expect(run.stdout).not.toContain('Left out of the package as credentials')
  })
})

describe.concurrent('hostile wheels from a local --find-links folder', () => {
  it.for([
    ['a ../.. entry', 'wheel-dotdot', '../../evil.py', "has a '..' segment"],
    ['an absolute entry', 'wheel-absolute', `${work}/abs/evil.py`, 'is an absolute path']
  ] as const)(
    '%s is refused naming wheel and entry; nothing is written outside output-dir',
    async ([, name, entry, problem], { expect }) => {
      // Deep enough that `../../evil.py` from the working directory or from output-dir/x86_64
      // would land inside this case's folder, where the walk below would see it.
      const { root, source, outputDir } = newCase(name)
      const deps = join(root, 'deps')
      writeWheel(join(deps, 'wheels'), {
        name: 'evilpkg',
        version: '1.0',
        files: { 'evilpkg/__init__.py': '', [entry]: 'import os\n' }
      })
      file(join(deps, 'requirements.txt'), '--no-index\n--find-links wheels\nevilpkg==1.0\n')
      const cwd = join(root, 'a', 'b')
      mkdirSync(cwd, { recursive: true })
      const run = await build(
        { source, requirements: join(deps, 'requirements.txt'), 'output-dir': outputDir },
        cwd
      )
      expect(run.code, run.stdout + run.stderr).toBe(1)
      expect(run.errors).toHaveLength(1)
      expect(run.errors[0]).toContain(
        `evilpkg-1.0-py3-none-any.whl: entry ${JSON.stringify(entry)}`
      )
      expect(run.errors[0]).toContain(problem)
      expect(walk(outputDir)).toEqual([])
      expect(walk(root).filter((f) => f.endsWith('evil.py'))).toEqual([])
      expect(existsSync(`${work}/abs`)).toBe(false)
    }
  )
})
