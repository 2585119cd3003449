// The projects Python teams have (issue 9), through `node dist/index.js` with real uv and real
// wheels: a uv workspace (two functions sharing a library, a dev group, hashes in the lock,
// locked here with `uv lock`), a folder with only a pyproject.toml, and a requirements.txt
// that names a local library by path.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runAction, TOOLS_BIN, type ActionRun } from '../helpers/run-action.js'
import { zipDistributions, zipEntries } from '../helpers/zip-contents.js'

const UV = join(TOOLS_BIN, 'uv')
const PATH = [TOOLS_BIN, process.env.PATH ?? ''].join(delimiter)

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
}

const COMMON_INIT = 'import attrs\n\nGREETING = "hello"\n'

/** The monorepo: orders and payments share libs/common; the lock pins everything, hashed. */
function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'lpd-ws-'))
  write(root, {
    'pyproject.toml':
      // A virtual root (no [project]): functions/ outside the members is not in the workspace.
      '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\n\n[dependency-groups]\ndev = ["iniconfig==2.0.0"]\n',
    'services/orders/pyproject.toml':
      '[project]\nname = "orders"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n' +
      'dependencies = ["common", "six==1.16.0"]\n\n[project.optional-dependencies]\nfast = ["idna==3.10"]\n\n' +
      '[dependency-groups]\ndev = ["iniconfig==2.0.0"]\n\n' +
      '[tool.uv.sources]\ncommon = { workspace = true }\n',
    'services/orders/app.py':
      'import six\nfrom common import GREETING\n\ndef handler(event, context):\n    return GREETING\n',
    'services/payments/pyproject.toml':
      '[project]\nname = "payments"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n' +
      'dependencies = ["common", "idna==3.10"]\n\n[tool.uv.sources]\ncommon = { workspace = true }\n',
    'services/payments/app.py':
      'import idna\nfrom common import GREETING\n\ndef handler(event, context):\n    return GREETING\n',
    'libs/common/pyproject.toml':
      '[project]\nname = "common"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = ["attrs==24.2.0"]\n\n' +
      '[build-system]\nrequires = ["uv_build>=0.8"]\nbuild-backend = "uv_build"\n',
    'libs/common/src/common/__init__.py': COMMON_INIT,
    // A function outside the workspace members, with its requirements naming the library.
    'functions/legacy/requirements.txt': '-e ../../libs/common\nsix==1.16.0\n',
    'functions/legacy/app.py':
      'from common import GREETING\n\ndef handler(event, context):\n    return GREETING\n',
    // A function with only a pyproject.toml.
    'functions/plain/pyproject.toml':
      '[project]\nname = "plain"\nversion = "1.0"\nrequires-python = ">=3.11"\ndependencies = ["six==1.16.0"]\n',
    'functions/plain/app.py': 'import six\n\ndef handler(event, context):\n    return six.PY3\n'
  })
  execFileSync(UV, ['lock', '--quiet'], { cwd: root, env: { ...process.env, PATH } })
  return root
}

const entries = zipEntries
const distributions = zipDistributions

/** The resolve cache key each architecture used, from the log. */
function cacheKeys(run: ActionRun): string[] {
  return [...run.stdout.matchAll(/\((lambda-python-deploy-v\d+-[^)]+)\)/g)]
    .map((m) => m[1] as string)
    .filter((key, i, all) => all.indexOf(key) === i)
    .sort()
}

let root: string
let store: string

function build(inputs: Record<string, string>, storeDir = store): Promise<ActionRun> {
  return runAction({
    inputs: {
      mode: 'build',
      runtime: 'python3.11',
      architectures: 'x86_64',
      handler: 'app.handler',
      cache: 'false',
      'output-dir': mkdtempSync(join(tmpdir(), 'lpd-out-')),
      ...inputs
    },
    env: { PATH, GITHUB_WORKSPACE: root, RUNNER_TOOL_CACHE: storeDir },
    cwd: root
  })
}

beforeAll(() => {
  root = workspace()
  store = mkdtempSync(join(tmpdir(), 'lpd-ws-store-'))
}, 60_000)

describe('a uv workspace: two functions sharing libs/common', () => {
  let first: ActionRun

  it('ships exactly what uv export lists for the member, plus the library, for both architectures', async () => {
    first = await build({ source: 'services/orders', architectures: 'arm64, x86_64' })
    expect(first.code, first.stdout + first.stderr).toBe(0)
    const exported = execFileSync(
      UV,
      ['export', '--frozen', '--package', 'orders', '--no-dev', '--no-hashes', '--no-emit-project'],
      { cwd: root, encoding: 'utf8' }
    )
    const listed = exported
      .split('\n')
      .filter((line) => /^([A-Za-z0-9.]|-e )/.test(line))
      .map((line) => (/^(-e )?\./.test(line) ? 'common' : line.split('==')[0]!))
      .sort()
    expect(listed).toEqual(['attrs', 'common', 'six'])
    const packages = JSON.parse(first.outputs.packages!)
    for (const arch of ['arm64', 'x86_64']) {
      expect(distributions(packages[arch].function.path)).toEqual(listed)
      // The dev group (iniconfig) stays out; the handler code is in, once.
      expect(entries(packages[arch].function.path)).toContain('app.py')
      expect(entries(packages[arch].function.path)).toContain('common/__init__.py')
    }
    expect(first.stdout).toContain(
      'uv.lock decides: its workspace member orders (services/orders) holds source services/orders'
    )
    expect(first.summary).toContain('Dependencies: uv.lock decides')
    expect(first.summary).toContain('`common 0.1.0`')
    // This machine is CPython 3.11 x86_64: the import check loaded the handler and the library.
    const report = JSON.parse(
      readFileSync(join(dirname(packages.x86_64.function.path), '..', 'report.json'), 'utf8')
    )
    expect(
      report.architectures.find((a: { architecture: string }) => a.architecture === 'x86_64')
        .importCheck
    ).toMatchObject({ status: 'passed', interpreter: expect.stringMatching(/^CPython 3\.11\./) })
  })

  it('a warm build runs no uv and no pip and ships the same bytes', async () => {
    const warm = await build({ source: 'services/orders', architectures: 'arm64, x86_64' })
    expect(warm.code, warm.stdout + warm.stderr).toBe(0)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(warm.stdout).not.toMatch(/uv export|uv build|uv pip compile|pip download/)
    expect(JSON.parse(warm.outputs.packages!)).toEqual(
      expect.objectContaining({
        arm64: {
          function: expect.objectContaining({
            codeSha256: JSON.parse(first.outputs.packages!).arm64.function.codeSha256
          })
        }
      })
    )
    expect(cacheKeys(warm)).toEqual(cacheKeys(first))
  })

  it('a change in another member keeps the key; a change in libs/common changes key and CodeSha256', async () => {
    writeFileSync(
      join(root, 'services/payments/app.py'),
      '# changed\ndef handler(e, c):\n    return 2\n'
    )
    const elsewhere = await build({ source: 'services/orders' })
    expect(elsewhere.code, elsewhere.stdout + elsewhere.stderr).toBe(0)
    expect(elsewhere.outputs['cache-hit']).toBe('true')
    expect(elsewhere.outputs['code-sha256']).toBe(
      JSON.parse(first.outputs.packages!).x86_64.function.codeSha256
    )
    const before = cacheKeys(elsewhere)

    writeFileSync(join(root, 'libs/common/src/common/__init__.py'), `${COMMON_INIT}VERSION = 2\n`)
    try {
      const changed = await build({ source: 'services/orders' })
      expect(changed.code, changed.stdout + changed.stderr).toBe(0)
      expect(changed.outputs['cache-hit']).toBe('false')
      expect(changed.stdout).toContain('uv build --wheel')
      expect(cacheKeys(changed)).not.toEqual(before)
      expect(changed.outputs['code-sha256']).not.toBe(elsewhere.outputs['code-sha256'])
    } finally {
      writeFileSync(join(root, 'libs/common/src/common/__init__.py'), COMMON_INIT)
    }
  })

  it('a stale lock fails naming uv.lock and uv lock', async () => {
    const file = join(root, 'services/orders/pyproject.toml')
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.replace('"six==1.16.0"', '"six==1.16.0", "idna==3.10"'))
    try {
      const stale = await build({ source: 'services/orders' })
      expect(stale.code).toBe(1)
      expect(stale.errors.join('\n')).toMatch(/uv\.lock no longer matches .*run `uv lock`/)
    } finally {
      writeFileSync(file, text)
    }
  })

  it('the hashes in the lock are enforced', async () => {
    const file = join(root, 'uv.lock')
    const text = readFileSync(file, 'utf8')
    const six = /six-1\.16\.0-py2\.py3-none-any\.whl", hash = "sha256:([0-9a-f]{64})"/.exec(
      text
    )![1]!
    writeFileSync(file, text.replace(six, '0'.repeat(64)))
    try {
      const run = await build(
        { source: 'services/orders' },
        mkdtempSync(join(tmpdir(), 'lpd-ws-hash-'))
      )
      expect(run.code).toBe(1)
      expect(run.errors.join('\n')).toMatch(
        /six \(six-1\.16\.0-py2\.py3-none-any\.whl\) has sha256:[0-9a-f]+, which is not among the --hash values/
      )
    } finally {
      writeFileSync(file, text)
    }
  })

  it('without a Python that requires-python allows, the lock ships as it is, with a warning', async () => {
    // uv checks a lock against its pyproject files only with such an interpreter; this machine
    // has 3.11 alone, so a workspace that requires 3.12 cannot be checked here.
    const copy = mkdtempSync(join(tmpdir(), 'lpd-ws-312-'))
    cpSync(root, copy, { recursive: true })
    for (const file of [
      'uv.lock',
      'services/orders/pyproject.toml',
      'services/payments/pyproject.toml',
      'libs/common/pyproject.toml'
    ]) {
      const path = join(copy, file)
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll('>=3.11', '>=3.12'))
    }
    const run = await runAction({
      inputs: {
        mode: 'build',
        runtime: 'python3.12',
        architectures: 'arm64',
        handler: 'app.handler',
        cache: 'false',
        source: 'services/orders',
        'output-dir': mkdtempSync(join(tmpdir(), 'lpd-out-'))
      },
      env: {
        PATH,
        GITHUB_WORKSPACE: copy,
        RUNNER_TOOL_CACHE: mkdtempSync(join(tmpdir(), 'lpd-ws-312-store-'))
      },
      cwd: copy
    })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(
      /::warning::.*uv.lock: uv could not check that the lock matches its pyproject.toml files/
    )
    expect(distributions(JSON.parse(run.outputs.packages!).arm64.function.path)).toEqual([
      'attrs',
      'common',
      'six'
    ])
  })

  it('package-type: layer puts the dependencies and the library in the layer, the code alone in the function', async () => {
    const run = await build({
      source: 'services/payments',
      'package-type': 'layer',
      architectures: 'arm64'
    })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const packages = JSON.parse(run.outputs.packages!).arm64
    expect(distributions(packages.layer.path, 'python/')).toEqual(['attrs', 'common', 'idna'])
    expect(entries(packages.layer.path)).toContain('python/common/__init__.py')
    // The member's folder as it is (its pyproject.toml too, as with a requirements.txt), and
    // the bytecode of its code (docs/bytecode.md).
    expect(
      entries(packages.function.path).filter((name) => !name.startsWith('__pycache__/'))
    ).toEqual(['app.py', 'pyproject.toml'])
  })

  it('extras and groups add what they name, and only then', async () => {
    const run = await build({ source: 'services/orders', extras: 'fast', groups: 'dev' })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const fn = JSON.parse(run.outputs.packages!).x86_64.function
    expect(distributions(fn.path)).toEqual(['attrs', 'common', 'idna', 'iniconfig', 'six'])
  })

  it('extras and groups are checked against the member', async () => {
    const run = await build({ source: 'services/orders', groups: 'docs' })
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /groups: services\/orders\/pyproject.toml has no dependency group "docs" \(it has: dev\)/
    )
  })

  it('installer: pip cannot read a uv.lock, and says so', async () => {
    const run = await build(
      { source: 'services/orders', installer: 'pip' },
      mkdtempSync(join(tmpdir(), 'lpd-ws-pip-'))
    )
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /a uv.lock needs uv .*installer: pip found none; set installer: auto or uv/
    )
  })
})

describe('a single project with a uv.lock and no local library', () => {
  it('ships the locked versions, and a warm build runs no uv', async () => {
    const project = mkdtempSync(join(tmpdir(), 'lpd-solo-'))
    write(project, {
      'pyproject.toml':
        '[project]\nname = "solo"\nversion = "1.0"\nrequires-python = ">=3.11"\n' +
        'dependencies = ["six"]\n\n[dependency-groups]\ndev = ["iniconfig==2.0.0"]\n',
      'app.py': 'import six\n\ndef handler(event, context):\n    return six.PY3\n'
    })
    execFileSync(UV, ['lock', '--quiet'], { cwd: project, env: { ...process.env, PATH } })
    const locked = /name = "six"\nversion = "([^"]+)"/.exec(
      readFileSync(join(project, 'uv.lock'), 'utf8')
    )![1]
    const soloStore = mkdtempSync(join(tmpdir(), 'lpd-solo-store-'))
    const run = (outputDir: string) =>
      runAction({
        inputs: {
          mode: 'build',
          runtime: 'python3.11',
          architectures: 'arm64',
          handler: 'app.handler',
          cache: 'false',
          source: '.',
          'output-dir': outputDir
        },
        env: { PATH, GITHUB_WORKSPACE: project, RUNNER_TOOL_CACHE: soloStore },
        cwd: project
      })
    const cold = await run(mkdtempSync(join(tmpdir(), 'lpd-out-')))
    expect(cold.code, cold.stdout + cold.stderr).toBe(0)
    expect(cold.stdout).toContain('uv.lock decides: its project solo (.) holds source .')
    const fn = JSON.parse(cold.outputs.packages!).arm64.function.path
    expect(distributions(fn)).toEqual(['six'])
    expect(entries(fn)).toContain(`six-${locked}.dist-info/METADATA`)
    const warm = await run(mkdtempSync(join(tmpdir(), 'lpd-out-')))
    expect(warm.code, warm.stdout + warm.stderr).toBe(0)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(warm.stdout).not.toMatch(/uv export|uv pip compile|pip download/)
  })
})

describe.concurrent('folders without a lock', () => {
  it('a requirements.txt naming ../../libs/common (editable) builds the library, relative to the file', async ({
    expect
  }) => {
    const run = await build(
      { source: 'functions/legacy' },
      mkdtempSync(join(tmpdir(), 'lpd-legacy-'))
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain('functions/legacy/requirements.txt decides')
    expect(run.stdout).toMatch(
      /requirements.txt:1: -e \.\.\/\.\.\/libs\/common is installed as its built wheel/
    )
    const fn = JSON.parse(run.outputs.packages!).x86_64.function
    expect(distributions(fn.path)).toEqual(['attrs', 'common', 'six'])
  })

  it('installer: pip builds a local library with pip wheel', async ({ expect }) => {
    const run = await build(
      { source: 'functions/legacy', installer: 'pip' },
      mkdtempSync(join(tmpdir(), 'lpd-legacy-pip-'))
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain('pip wheel')
    const fn = JSON.parse(run.outputs.packages!).x86_64.function
    expect(distributions(fn.path)).toEqual(['attrs', 'common', 'six'])
  })

  it('a pyproject.toml alone builds its [project].dependencies', async ({ expect }) => {
    const run = await build(
      { source: 'functions/plain' },
      mkdtempSync(join(tmpdir(), 'lpd-plain-'))
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain('functions/plain/pyproject.toml decides')
    expect(distributions(JSON.parse(run.outputs.packages!).x86_64.function.path)).toEqual(['six'])
  })

  it('requires-python that the runtime does not satisfy fails naming both', async ({ expect }) => {
    const run = await build(
      { source: 'functions/plain', runtime: 'python3.10', 'import-check': 'false' },
      mkdtempSync(join(tmpdir(), 'lpd-py310-'))
    )
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /^functions\/plain\/pyproject.toml has requires-python = ">=3.11", which python3.10 \(Python 3.10\) does not satisfy/
    )
  })

  it('a requirements.txt beside a pyproject.toml with dependencies decides, with a warning', async ({
    expect
  }) => {
    const dir = join(root, 'functions', 'both')
    cpSync(join(root, 'functions', 'plain'), dir, { recursive: true })
    writeFileSync(join(dir, 'requirements.txt'), 'six==1.16.0\n')
    const run = await build({ source: 'functions/both' }, mkdtempSync(join(tmpdir(), 'lpd-both-')))
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(
      /::warning::functions\/both\/pyproject.toml declares dependencies and is ignored/
    )
  })
})
