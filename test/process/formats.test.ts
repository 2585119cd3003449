// The project formats teams use (issue 15), through `node dist/index.js` with real locks written
// at set-up by the real tools (poetry, pipenv, pip, uv) and real wheels: a Poetry project that
// is itself a package (src layout), a Pipenv project, a monorepo whose lock sits above the
// function, pylock.toml from uv and from a Mac, the stale-lock and missing-lock errors, and a
// store entry rewritten with its manifest under hash-pinned requirements, a uv.lock and a
// poetry.lock (issue 18): the warm build must not ship the planted module.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { pipenvLock, poetryLock, uvExportPylock } from '../helpers/lock-tools.js'
import { runAction, TOOLS_BIN, type ActionRun } from '../helpers/run-action.js'
import { zipDistributions, zipEntries } from '../helpers/zip-contents.js'

const PYTHON = join(TOOLS_BIN, 'python')
const PATH = [TOOLS_BIN, process.env.PATH ?? ''].join(delimiter)
/** What a warm build must not start: a resolver, a download, a build, a lock export. */
const INSTALLER_RUN = /uv export|uv build|uv pip compile|pip download|pip wheel|uv \S+: fetched/

function write(root: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

const entries = zipEntries
const distributions = zipDistributions

interface Build {
  run: ActionRun
  /** Function zip per architecture. */
  zips: Record<string, string>
}

async function build(
  workspace: string,
  inputs: Record<string, string>,
  store: string
): Promise<Build> {
  const run = await runAction({
    inputs: {
      mode: 'build',
      runtime: 'python3.11',
      architectures: 'x86_64',
      handler: 'app.handler',
      cache: 'false',
      'output-dir': mkdtempSync(join(tmpdir(), 'lpd-fmt-out-')),
      ...inputs
    },
    env: { PATH, GITHUB_WORKSPACE: workspace, RUNNER_TOOL_CACHE: store },
    cwd: workspace
  })
  const packages =
    run.code === 0
      ? (JSON.parse(run.outputs.packages!) as Record<string, { function: { path: string } }>)
      : {}
  return {
    run,
    zips: Object.fromEntries(Object.entries(packages).map(([arch, p]) => [arch, p.function.path]))
  }
}

const store = () => mkdtempSync(join(tmpdir(), 'lpd-fmt-store-'))
const log = (b: Build) => `${b.run.stdout}\n${b.run.stderr}`

const HANDLER = [
  'import os',
  '',
  'import six',
  '',
  'TABLE = os.environ.get("TABLE_NAME", "orders")',
  '',
  '',
  'def hello(event, context):',
  '    return {"table": TABLE, "py3": six.PY3}',
  ''
].join('\n')

describe('a Poetry project that is itself a package (src layout, handler example.handler.hello)', () => {
  let root: string
  let cold: Build
  const shared = store()

  beforeAll(async () => {
    root = write(mkdtempSync(join(tmpdir(), 'lpd-poetry-')), {
      'pyproject.toml': [
        '[project]',
        'name = "example"',
        'version = "0.1.0"',
        'requires-python = ">=3.10,<4"',
        `dependencies = ["six==1.16.0", "attrs==24.3.0 ; platform_machine == 'aarch64'"]`,
        '',
        '[tool.poetry]',
        'packages = [{ include = "example", from = "src" }]',
        '',
        '[tool.poetry.group.dev.dependencies]',
        'iniconfig = "2.0.0"',
        '',
        '[build-system]',
        'requires = ["poetry-core>=2.0.0,<3.0.0"]',
        'build-backend = "poetry.core.masonry.api"',
        ''
      ].join('\n'),
      'src/example/__init__.py': '',
      'src/example/handler.py': HANDLER
    })
    await poetryLock(root)
    cold = await build(
      root,
      { source: '.', architectures: 'arm64, x86_64', handler: 'example.handler.hello' },
      shared
    )
  }, 300_000)

  it('ships the main group and the project itself; dev stays out; markers judged per architecture', () => {
    expect(cold.run.code, log(cold)).toBe(0)
    expect(cold.run.stdout).toContain('poetry.lock decides: it is in source')
    expect(cold.run.summary).toContain('Dependencies: poetry.lock decides')
    expect(cold.run.summary).toContain('example 0.1.0 (the project itself)')
    expect(distributions(cold.zips.x86_64!)).toEqual(['example', 'six'])
    expect(distributions(cold.zips.arm64!)).toEqual(['attrs', 'example', 'six'])
    // The package at the zip's root, where Lambda imports `example.handler` from.
    expect(entries(cold.zips.x86_64!)).toContain('example/handler.py')
    const report = JSON.parse(
      readFileSync(join(dirname(cold.zips.x86_64!), '..', 'report.json'), 'utf8')
    )
    const x86 = report.architectures.find(
      (a: { architecture: string }) => a.architecture === 'x86_64'
    )
    expect(x86.importCheck, 'the handler imported from the zip').toMatchObject({ status: 'passed' })
    expect(report.dependencies).toMatchObject({
      kind: 'poetry-lock',
      file: join(root, 'poetry.lock')
    })
  })

  it('a warm build starts no installer and ships the same bytes', async () => {
    const warm = await build(
      root,
      { source: '.', architectures: 'arm64, x86_64', handler: 'example.handler.hello' },
      shared
    )
    expect(warm.run.code, log(warm)).toBe(0)
    expect(warm.run.stdout).not.toMatch(INSTALLER_RUN)
    expect(warm.run.outputs['cache-hit']).toBe('true')
    for (const arch of ['arm64', 'x86_64']) {
      expect(readFileSync(warm.zips[arch]!)).toEqual(readFileSync(cold.zips[arch]!))
    }
  })

  it('a lock older than pyproject.toml fails naming poetry.lock and poetry lock', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'lpd-poetry-stale-'))
    cpSync(root, copy, { recursive: true })
    const file = join(copy, 'pyproject.toml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('"six==1.16.0"', '"six==1.17.0"'))
    const stale = await build(copy, { source: '.', handler: 'example.handler.hello' }, store())
    expect(stale.run.code).toBe(1)
    expect(stale.run.errors.join('\n')).toMatch(
      /poetry\.lock no longer matches pyproject\.toml .*run `poetry lock`/
    )
  })

  it('without its lock, the Poetry project fails naming poetry lock: the action never locks', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'lpd-poetry-nolock-'))
    cpSync(root, copy, { recursive: true })
    rmSync(join(copy, 'poetry.lock'))
    const missing = await build(copy, { source: '.', handler: 'example.handler.hello' }, store())
    expect(missing.run.code).toBe(1)
    expect(missing.run.errors.join('\n')).toMatch(
      /pyproject\.toml is a Poetry project and has no poetry\.lock beside it: run `poetry lock`/
    )
  })
})

describe('a Pipenv project', () => {
  let root: string

  beforeAll(async () => {
    root = write(mkdtempSync(join(tmpdir(), 'lpd-pipenv-')), {
      Pipfile: [
        '[[source]]',
        'url = "https://pypi.org/simple"',
        'verify_ssl = true',
        'name = "pypi"',
        '',
        '[packages]',
        'six = "==1.16.0"',
        `attrs = {version = "==24.3.0", markers = "platform_machine == 'aarch64'"}`,
        '',
        '[dev-packages]',
        'iniconfig = "==2.0.0"',
        '',
        '[requires]',
        'python_version = "3.11"',
        ''
      ].join('\n'),
      'app.py': HANDLER.replace('def hello', 'def handler')
    })
    await pipenvLock(root, '3.11')
  }, 300_000)

  it('ships default, never develop, for both architectures', async () => {
    const built = await build(root, { source: '.', architectures: 'arm64, x86_64' }, store())
    expect(built.run.code, log(built)).toBe(0)
    expect(built.run.stdout).toContain('Pipfile.lock decides: it is in source')
    expect(distributions(built.zips.x86_64!)).toEqual(['six'])
    expect(distributions(built.zips.arm64!)).toEqual(['attrs', 'six'])
  })

  it('a stale lock and a Pipfile without its lock fail naming pipenv lock', async () => {
    const stale = mkdtempSync(join(tmpdir(), 'lpd-pipenv-stale-'))
    cpSync(root, stale, { recursive: true })
    const pipfile = join(stale, 'Pipfile')
    writeFileSync(pipfile, readFileSync(pipfile, 'utf8').replace('"==1.16.0"', '"==1.17.0"'))
    const staleRun = await build(stale, { source: '.' }, store())
    expect(staleRun.run.code).toBe(1)
    expect(staleRun.run.errors.join('\n')).toMatch(
      /Pipfile\.lock no longer matches Pipfile .*run `pipenv lock`/
    )
    rmSync(join(stale, 'Pipfile.lock'))
    const missing = await build(stale, { source: '.' }, store())
    expect(missing.run.code).toBe(1)
    expect(missing.run.errors.join('\n')).toMatch(
      /Pipfile has no Pipfile\.lock beside it: run `pipenv lock`/
    )
  })
})

describe('a monorepo whose lock sits above the function', () => {
  it("the root's poetry.lock decides for functions/orders, found from there", async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-mono-')), {
      'pyproject.toml': [
        '[project]',
        'name = "platform"',
        'version = "1.0.0"',
        'requires-python = ">=3.11,<4"',
        'dependencies = ["six==1.16.0"]',
        '',
        '[tool.poetry]',
        'package-mode = false',
        ''
      ].join('\n'),
      'functions/orders/app.py': HANDLER.replace('def hello', 'def handler')
    })
    await poetryLock(root)
    // The working directory is elsewhere: the lock is found from source, not from there.
    const built = await build(root, { source: 'functions/orders' }, store())
    expect(built.run.code, log(built)).toBe(0)
    expect(built.run.stdout).toContain(
      'poetry.lock decides: its project (.) holds source functions/orders'
    )
    expect(distributions(built.zips.x86_64!)).toEqual(['six'])
  })
})

describe('pylock.toml', () => {
  it('a universal lock from `uv export --format pylock.toml` ships for both architectures', async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-pylock-')), {
      'lock-source/pyproject.toml': [
        '[project]',
        'name = "orders"',
        'version = "0.1.0"',
        'requires-python = ">=3.10"',
        `dependencies = ["six==1.16.0", "attrs==24.3.0 ; platform_machine == 'aarch64'"]`,
        '',
        '[tool.uv]',
        'exclude-newer = "2025-06-01T00:00:00Z"',
        ''
      ].join('\n'),
      'fn/app.py': HANDLER.replace('def hello', 'def handler')
    })
    await uvExportPylock(join(root, 'lock-source'))
    cpSync(join(root, 'lock-source', 'pylock.toml'), join(root, 'fn', 'pylock.toml'))
    const built = await build(root, { source: 'fn', architectures: 'arm64, x86_64' }, store())
    expect(built.run.code, log(built)).toBe(0)
    expect(built.run.stdout).toContain('fn/pylock.toml decides: it is in source')
    expect(distributions(built.zips.x86_64!)).toEqual(['six'])
    expect(distributions(built.zips.arm64!)).toEqual(['attrs', 'six'])
  })

  it('a lock made on a Mac fails naming the package, the target and the way out', async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-pylock-mac-')), {
      'app.py': HANDLER.replace('def hello', 'def handler'),
      'requirements.in': 'six==1.16.0\nmarkupsafe==3.0.2\n'
    })
    // What `pip lock` writes on an Apple-silicon Mac: uv writes the same for that platform.
    execFileSync(
      join(TOOLS_BIN, 'uv'),
      [
        'pip',
        'compile',
        '--quiet',
        '--no-config',
        '--python-version',
        '3.11',
        '--python-platform',
        'aarch64-apple-darwin',
        '--only-binary',
        ':all:',
        'requirements.in',
        '-o',
        'pylock.toml'
      ],
      { cwd: root }
    )
    const built = await build(root, { source: '.', architectures: 'arm64' }, store())
    expect(built.run.code).toBe(1)
    const message = built.run.errors.join('\n')
    expect(message).toMatch(
      /pylock\.toml \(markupsafe 3\.0\.2\): no wheel of markupsafe==3\.0\.2 loads on python3\.11 arm64 \(the lock holds only wheels for macosx/
    )
    expect(message).toMatch(/uv export --format pylock\.toml/)
    expect(message).not.toMatch(/six/)
  })
})

describe('a pyproject.toml project that is a package (uv’s Lambda guide layout), no lock', () => {
  it('builds the project into a wheel beside its dependencies: example.handler.hello imports', async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-srclayout-')), {
      'pyproject.toml': [
        '[project]',
        'name = "example"',
        'version = "0.2.0"',
        'requires-python = ">=3.11"',
        'dependencies = ["six==1.16.0"]',
        '',
        '[build-system]',
        'requires = ["hatchling==1.27.0"]',
        'build-backend = "hatchling.build"',
        ''
      ].join('\n'),
      'src/example/__init__.py': '',
      'src/example/handler.py': HANDLER
    })
    const built = await build(root, { source: '.', handler: 'example.handler.hello' }, store())
    expect(built.run.code, log(built)).toBe(0)
    expect(distributions(built.zips.x86_64!)).toEqual(['example', 'six'])
    expect(entries(built.zips.x86_64!)).toContain('example/handler.py')
    expect(built.run.stdout).toMatch(
      /the project itself \S+: built example-0\.2\.0-py3-none-any\.whl/
    )
    expect(built.run.summary).toContain('example 0.2.0 (the project itself)')
    // The project's files are in source too: no warning that one replaces the other (source
    // is the workspace root here, as in uv's guide, which is warned about on its own).
    const warnings = built.run.stdout.split('\n').filter((line) => line.startsWith('::warning::'))
    expect(warnings.filter((line) => !/is the workspace root/.test(line))).toEqual([])
  })
})

describe('a uv project that is a package, with its uv.lock (uv’s Lambda guide)', () => {
  it('ships the locked dependencies and the project: example.handler.hello imports', async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-uvpkg-')), {
      'pyproject.toml': [
        '[project]',
        'name = "example"',
        'version = "0.4.0"',
        'requires-python = ">=3.11"',
        'dependencies = ["six==1.16.0"]',
        '',
        '[dependency-groups]',
        'dev = ["iniconfig==2.0.0"]',
        '',
        '[build-system]',
        'requires = ["hatchling==1.27.0"]',
        'build-backend = "hatchling.build"',
        ''
      ].join('\n'),
      'src/example/__init__.py': '',
      'src/example/handler.py': HANDLER
    })
    execFileSync(join(TOOLS_BIN, 'uv'), ['lock', '--quiet'], {
      cwd: root,
      env: { ...process.env, PATH }
    })
    const built = await build(root, { source: '.', handler: 'example.handler.hello' }, store())
    expect(built.run.code, log(built)).toBe(0)
    expect(built.run.stdout).toContain('uv.lock decides: its project example (.) holds source .')
    expect(distributions(built.zips.x86_64!)).toEqual(['example', 'six'])
    expect(entries(built.zips.x86_64!)).toContain('example/handler.py')
    const report = JSON.parse(
      readFileSync(join(dirname(built.zips.x86_64!), '..', 'report.json'), 'utf8')
    )
    expect(report.architectures[0].importCheck).toMatchObject({ status: 'passed' })
  })
})

/**
 * Rewrites `wheel` in every wheel-store entry of `store` with an extra module, and its manifest
 * line to match (size and sha256), as someone who can write the Actions cache or a
 * self-hosted runner's tool cache would. Returns the new sha256.
 */
function plant(storeRoot: string, wheel: RegExp): string {
  const root = join(storeRoot, 'lambda-python-deploy')
  let planted = ''
  for (const entry of readdirSync(root).filter((n) => n.startsWith('lambda-python-deploy-'))) {
    const dir = join(root, entry)
    const manifestFile = join(dir, 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      wheels: { file: string; size: number; sha256: string }[]
    }
    for (const line of manifest.wheels.filter((w) => wheel.test(w.file))) {
      const path = join(dir, line.file)
      execFileSync(PYTHON, [
        '-c',
        'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "a")\nz.writestr("planted.py", "STOLEN = True\\n")\nz.close()',
        path
      ])
      line.size = statSync(path).size
      line.sha256 = createHash('sha256').update(readFileSync(path)).digest('hex')
      planted = line.sha256
    }
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2))
  }
  if (planted === '') throw new Error(`no ${wheel} in ${root}`)
  return planted
}

describe('a store entry rewritten with its manifest never ships (issue 18)', () => {
  const SIX_SHA256 = '8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254'

  async function coldPlantWarm(root: string, inputs: Record<string, string>) {
    const shared = store()
    const cold = await build(root, inputs, shared)
    expect(cold.run.code, log(cold)).toBe(0)
    expect(entries(cold.zips.x86_64!)).not.toContain('planted.py')
    const planted = plant(shared, /^six-/)
    const warm = await build(root, inputs, shared)
    expect(warm.run.code, log(warm)).toBe(0)
    expect(entries(warm.zips.x86_64!), 'the planted module').not.toContain('planted.py')
    expect(warm.run.stdout).toMatch(
      /::warning::Wheel store entry \S+ fails the requirements' hashes:.*six \(six-1\.16\.0-py2\.py3-none-any\.whl\) has sha256:/
    )
    expect(warm.run.outputs['cache-hit']).toBe('false')
    return { shared, planted, warm }
  }

  it('hash-pinned requirements.txt', async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-poison-req-')), {
      'requirements.txt': `six==1.16.0 --hash=sha256:${SIX_SHA256}\n`,
      'app.py': HANDLER.replace('def hello', 'def handler')
    })
    await coldPlantWarm(root, { source: '.' })
  })

  it('uv.lock, and its stored export rewritten to the planted hash too', async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-poison-uv-')), {
      'pyproject.toml':
        '[project]\nname = "orders"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = ["six==1.16.0"]\n',
      'app.py': HANDLER.replace('def hello', 'def handler')
    })
    execFileSync(join(TOOLS_BIN, 'uv'), ['lock', '--quiet'], {
      cwd: root,
      env: { ...process.env, PATH }
    })
    const { shared } = await coldPlantWarm(root, { source: '.' })
    // Again, with the project store's export of the lock rewritten to allow the planted wheel.
    const planted = plant(shared, /^six-/)
    const projects = join(shared, 'lambda-python-deploy', 'projects')
    for (const key of readdirSync(projects).filter((n) => !n.startsWith('.'))) {
      const file = join(projects, key, 'set.json')
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll(SIX_SHA256, planted))
    }
    const again = await build(root, { source: '.' }, shared)
    expect(again.run.code, log(again)).toBe(0)
    expect(entries(again.zips.x86_64!)).not.toContain('planted.py')
    expect(again.run.stdout).toMatch(
      /::warning::The stored dependency set \S+ does not match the files it was made from \(six==1\.16\.0 carries sha256:[0-9a-f]+, which the lock does not list/
    )
  })

  it('poetry.lock', async () => {
    const root = write(mkdtempSync(join(tmpdir(), 'lpd-poison-poetry-')), {
      'pyproject.toml':
        '[project]\nname = "orders"\nversion = "0.1.0"\nrequires-python = ">=3.11,<4"\ndependencies = ["six==1.16.0"]\n\n[tool.poetry]\npackage-mode = false\n',
      'app.py': HANDLER.replace('def hello', 'def handler')
    })
    await poetryLock(root)
    await coldPlantWarm(root, { source: '.' })
  })
})
