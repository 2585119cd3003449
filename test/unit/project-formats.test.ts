// The project formats' adapters (issue 15), on locks written by the real tools
// (test/fixtures/project-formats, with the commands that wrote them): the lock is current,
// the set holds what ships with its markers and hashes, the pins chosen for each target, the
// order that decides, and never an empty package while source declares dependencies.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import type { Architecture } from '../../src/lambda-facts.js'
import { checkNotEmpty, decideFormat } from '../../src/packaging/project/discover.js'
import type { FormatContext, FormatTools } from '../../src/packaging/project/formats/format.js'
import { pipfileHash } from '../../src/packaging/project/formats/pipfile-lock.js'
import {
  poetryContentHash,
  poetryPythonSpecifiers
} from '../../src/packaging/project/formats/poetry-lock.js'
import { pythonJsonDumps } from '../../src/packaging/project/formats/python-json.js'
import {
  emptySet,
  lockedPinsFor,
  pinsWithoutWheel,
  type DependencySet
} from '../../src/packaging/requirements/dependency-set.js'
import { context } from '../helpers/project-files.js'
import { runtimeNamed } from '../helpers/runtimes.js'

const FIXTURES = new URL('../fixtures/project-formats/', import.meta.url).pathname
const SOURCE = '/w/services/orders'

/** The fixture folder's files, placed in `dir` (source by default). */
function fixture(name: string, dir = SOURCE): Record<string, string> {
  const files: Record<string, string> = {}
  for (const file of ['pyproject.toml', 'poetry.lock', 'Pipfile', 'Pipfile.lock', 'pylock.toml']) {
    try {
      files[join(dir, file)] = readFileSync(join(FIXTURES, name, file), 'utf8')
    } catch {
      // Not in this fixture.
    }
  }
  return files
}

const noTools: FormatTools = {
  uv: () => Promise.reject(new Error('no tool runs for this format')),
  kept: () => Promise.reject(new Error('no tool runs for this format'))
}

async function read(files: Record<string, string>, fields: Partial<FormatContext> = {}) {
  const decision = decideFormat(context(files, fields))
  if (!decision.found) throw new Error(`nothing decides: ${decision.reason}`)
  return { decision, set: await decision.found.read(noTools) }
}

const pins = (set: DependencySet, runtime: string, architecture: Architecture) =>
  lockedPinsFor(set, { runtime: runtimeNamed(runtime), architecture }).map((e) => e.project)

describe("Python's json.dumps, which the lock tools hash", () => {
  it.each([
    [', ', ': '],
    [',', ':']
  ])('byte for byte with separators %j %j', (itemSeparator, keySeparator) => {
    const value = {
      zeta: ['é and ☃ and 𝄞', 'tab\there', 'quote " and \\ and \u007f and \u0001'],
      Alpha: { b: true, a: null, c: 3, nested: [] },
      ünïcode: 'key'
    }
    const python = execFileSync(
      'python3',
      [
        '-c',
        'import json, sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True, separators=(sys.argv[2], sys.argv[3])), end="")',
        JSON.stringify(value),
        itemSeparator,
        keySeparator
      ],
      { encoding: 'utf8' }
    )
    expect(pythonJsonDumps(value, { itemSeparator, keySeparator })).toBe(python)
  })
})

describe('poetry.lock', () => {
  it.each(['poetry-tool-poetry', 'poetry-project'])(
    '%s: the content-hash Poetry wrote is the one computed from pyproject.toml',
    (name) => {
      const document = parse(readFileSync(join(FIXTURES, name, 'pyproject.toml'), 'utf8'))
      const lock = readFileSync(join(FIXTURES, name, 'poetry.lock'), 'utf8')
      const written = /content-hash = "([0-9a-f]+)"/.exec(lock)?.[1]
      expect(poetryContentHash(document, true)).toBe(written)
    }
  )

  it('ships the main group with its markers and hashes; dev stays out; extras and groups add', async () => {
    const { decision, set } = await read(fixture('poetry-tool-poetry'))
    expect(decision.reason).toBe('services/orders/poetry.lock decides: it is in source')
    expect(set.requirements.map((e) => [e.project, e.marker])).toEqual([
      ['attrs', 'platform_machine == "aarch64"'],
      ['idna', 'extra == "net"'],
      ['six', '']
    ])
    expect(set.hashMode).toBe(true)
    expect(set.requirements.every((e) => e.hashes.every((h) => h.startsWith('sha256:')))).toBe(true)
    expect(set.requirements[2]?.files).toContain('six-1.16.0-py2.py3-none-any.whl')
    expect(pins(set, 'python3.11', 'x86_64')).toEqual(['six'])
    expect(pins(set, 'python3.11', 'arm64')).toEqual(['attrs', 'six'])
    const more = await read(fixture('poetry-tool-poetry'), { extras: ['net'], groups: ['dev'] })
    expect(pins(more.set, 'python3.11', 'x86_64')).toEqual(['idna', 'iniconfig', 'six'])
  })

  it('a [project] project: python_version markers judged for each runtime', async () => {
    const { set } = await read(fixture('poetry-project'), { runtime: runtimeNamed('python3.10') })
    expect(pins(set, 'python3.10', 'x86_64')).toEqual(['exceptiongroup', 'six'])
    expect(pins(set, 'python3.12', 'x86_64')).toEqual(['six'])
  })

  it('a lock older than its pyproject.toml fails naming poetry.lock and poetry lock', async () => {
    const files = fixture('poetry-tool-poetry')
    const pyproject = join(SOURCE, 'pyproject.toml')
    files[pyproject] = (files[pyproject] as string).replace('six = "1.16.0"', 'six = "1.17.0"')
    await expect(read(files)).rejects.toThrow(
      /services\/orders\/poetry.lock no longer matches services\/orders\/pyproject.toml .*run `poetry lock`/
    )
  })

  it('a Poetry project without its lock fails naming poetry lock; the action never locks', () => {
    const files = fixture('poetry-tool-poetry')
    delete files[join(SOURCE, 'poetry.lock')]
    expect(() => decideFormat(context(files))).toThrow(
      /services\/orders\/pyproject.toml is a Poetry project and has no poetry.lock beside it: run `poetry lock`/
    )
  })

  it('a lock written by Poetry 1.x says how to rewrite it', async () => {
    const files = fixture('poetry-tool-poetry')
    const lock = join(SOURCE, 'poetry.lock')
    files[lock] = (files[lock] as string).replace('lock-version = "2.1"', 'lock-version = "2.0"')
    await expect(read(files)).rejects.toThrow(/lock-version 2.0, written by Poetry 1.x.*Poetry 2/)
  })

  it('groups, extras and python are checked against the project', async () => {
    await expect(read(fixture('poetry-tool-poetry'), { groups: ['docs'] })).rejects.toThrow(
      /groups: .*no dependency group "docs" \(it has: dev, main\)/
    )
    await expect(read(fixture('poetry-tool-poetry'), { extras: ['fast'] })).rejects.toThrow(
      /extras: .*no extra "fast" \(it has: net\)/
    )
    await expect(
      read(fixture('poetry-tool-poetry'), { runtime: runtimeNamed('python3.9') })
    ).rejects.toThrow(/allows python \^3\.10, which python3\.9/)
  })

  it.each([
    ['^3.10', ['>=3.10,<4.0']],
    ['~3.11', ['>=3.11,<3.12']],
    ['>=3.9,<4.0', ['>=3.9,<4.0']],
    ['>=3.8 || 3.7.*', ['>=3.8', '==3.7.*']],
    ['*', ['']]
  ])("Poetry's python constraint %s as PEP 440", (constraint, specifiers) => {
    expect(poetryPythonSpecifiers(constraint)).toEqual(specifiers)
  })

  it('a package from another source: that index, with credentials from POETRY_HTTP_BASIC_*, masked', async () => {
    const files = fixture('poetry-tool-poetry')
    const lock = join(SOURCE, 'poetry.lock')
    const text = files[lock] as string
    // The end of six's [[package]] table: its [package.source] goes there.
    const end = text.indexOf('\n\n[', text.indexOf('name = "six"'))
    files[lock] =
      `${text.slice(0, end)}\n\n[package.source]\ntype = "legacy"\n` +
      `url = "https://pypi.corp.example/simple"\nreference = "corp-mirror"${text.slice(end)}`
    const { set } = await read(files, {
      env: {
        POETRY_HTTP_BASIC_CORP_MIRROR_USERNAME: 'ci',
        POETRY_HTTP_BASIC_CORP_MIRROR_PASSWORD: 's3cret'
      }
    })
    expect(set.options).toEqual([
      {
        option: '--extra-index-url',
        value: 'https://ci:s3cret@pypi.corp.example/simple',
        shown: 'https://***@pypi.corp.example/simple'
      }
    ])
    expect(set.secrets).toContain('s3cret')
  })

  it('the requirements input naming a Poetry project’s pyproject.toml means its poetry.lock', () => {
    const named = decideFormat(
      context(fixture('poetry-tool-poetry')),
      join(SOURCE, 'pyproject.toml')
    )
    expect(named.found?.kind).toBe('poetry-lock')
    expect(named.reason).toBe(
      'services/orders/poetry.lock decides (the requirements input names it)'
    )
  })

  it('a poetry.lock above source covers it; a pyproject.toml nearer to source does not', async () => {
    const above = fixture('poetry-tool-poetry', '/w')
    const { decision } = await read(above)
    expect(decision.reason).toBe(
      'poetry.lock decides: its project (.) holds source services/orders'
    )
    const nearer = { ...above, [join(SOURCE, 'pyproject.toml')]: '[project]\nname = "x"\n' }
    expect(decideFormat(context(nearer)).found?.kind).toBe('pyproject')
  })
})

describe('Pipfile.lock', () => {
  it('the _meta.hash Pipenv wrote is the one computed from the Pipfile (names normalised)', () => {
    const pipfile = parse(readFileSync(join(FIXTURES, 'pipfile', 'Pipfile'), 'utf8'))
    const lock = JSON.parse(readFileSync(join(FIXTURES, 'pipfile', 'Pipfile.lock'), 'utf8'))
    expect(pipfileHash(pipfile, true)).toBe(lock._meta.hash.sha256)
    // `Six` as written gives the hash earlier Pipenv releases wrote.
    expect(pipfileHash(pipfile, false)).not.toBe(lock._meta.hash.sha256)
  })

  it('ships default (and the categories asked for), never develop; PyPI stays pip’s default', async () => {
    const { set } = await read(fixture('pipfile'))
    expect(set.requirements.map((e) => e.project)).toEqual(['attrs', 'six'])
    expect(set.options).toEqual([])
    expect(pins(set, 'python3.11', 'x86_64')).toEqual(['six'])
    expect(pins(set, 'python3.11', 'arm64')).toEqual(['attrs', 'six'])
    const tracing = await read(fixture('pipfile'), { groups: ['tracing'] })
    expect(tracing.set.requirements.map((e) => e.project)).toEqual(['attrs', 'six', 'idna'])
    await expect(read(fixture('pipfile'), { groups: ['develop'] })).rejects.toThrow(
      /develop packages never ship/
    )
  })

  it('a stale lock, a missing lock and another Python fail naming pipenv lock', async () => {
    const files = fixture('pipfile')
    const pipfile = join(SOURCE, 'Pipfile')
    await expect(
      read({ ...files, [pipfile]: (files[pipfile] as string).replace('==1.16.0', '==1.17.0') })
    ).rejects.toThrow(
      /Pipfile.lock no longer matches services\/orders\/Pipfile .*run `pipenv lock`/
    )
    const withoutLock = { [pipfile]: files[pipfile] as string }
    expect(() => decideFormat(context(withoutLock))).toThrow(
      /services\/orders\/Pipfile has no Pipfile.lock beside it: run `pipenv lock`/
    )
    await expect(read(files, { runtime: runtimeNamed('python3.12') })).rejects.toThrow(
      /locks for Python 3\.11 .*build for python3\.11, or set python_version = "3\.12"/
    )
  })

  it('a private source: ${VAR} expanded, credentials kept out of what is shown', async () => {
    const files = fixture('pipfile')
    const lock = join(SOURCE, 'Pipfile.lock')
    const data = JSON.parse(files[lock] as string)
    data._meta.sources = [
      { name: 'corp', url: 'https://ci:${CORP_TOKEN}@pypi.corp.example/simple', verify_ssl: false }
    ]
    const { set } = await read(
      { ...files, [lock]: JSON.stringify(data) },
      { env: { CORP_TOKEN: 's3cret' } }
    )
    expect(set.options).toEqual([
      {
        option: '--index-url',
        value: 'https://ci:s3cret@pypi.corp.example/simple',
        shown: 'https://***@pypi.corp.example/simple'
      },
      { option: '--trusted-host', value: 'pypi.corp.example', shown: 'pypi.corp.example' }
    ])
    expect(set.secrets).toContain('s3cret')
  })
})

describe('pylock.toml', () => {
  const target = (runtime: string, architecture: Architecture) => ({
    runtime: runtimeNamed(runtime),
    architecture,
    allowLinuxWheels: false
  })

  it('a lock made on a Mac: every native package is named, with what the lock holds', async () => {
    const { set } = await read(fixture('pylock-mac'), { runtime: runtimeNamed('python3.12') })
    const chosen = lockedPinsFor(set, target('python3.12', 'arm64'))
    expect(pinsWithoutWheel(chosen, target('python3.12', 'arm64'))).toEqual([
      expect.stringMatching(
        /^services\/orders\/pylock.toml \(markupsafe 3\.0\.2\): no wheel of markupsafe==3\.0\.2 loads on python3\.12 arm64 \(the lock holds only wheels for macosx_10_13_universal2, macosx_11_0_arm64\)$/
      )
    ])
    expect(set.lock?.noWheelAdvice).toMatch(/uv export --format pylock.toml/)
  })

  it('a pip lock holds the wheels of the machine it ran on only', async () => {
    const { set } = await read(fixture('pylock-pip'))
    expect(
      pinsWithoutWheel(
        lockedPinsFor(set, target('python3.11', 'x86_64')),
        target('python3.11', 'x86_64')
      )
    ).toEqual([])
    expect(
      pinsWithoutWheel(
        lockedPinsFor(set, target('python3.11', 'arm64')),
        target('python3.11', 'arm64')
      )
    ).toHaveLength(1)
  })

  it('a universal lock: markers judged per target, a wheel for each', async () => {
    const { set } = await read(fixture('pylock-uv'))
    expect(pins(set, 'python3.11', 'arm64')).toEqual(['attrs', 'markupsafe', 'six'])
    expect(pins(set, 'python3.11', 'x86_64')).toEqual(['markupsafe', 'six'])
    for (const architecture of ['arm64', 'x86_64'] as const) {
      const chosen = lockedPinsFor(set, target('python3.11', architecture))
      expect(pinsWithoutWheel(chosen, target('python3.11', architecture))).toEqual([])
    }
  })

  it('markers that read the extras and dependency groups asked for (PEP 751)', async () => {
    const lock = [
      'lock-version = "1.0"',
      'created-by = "hand"',
      'extras = ["net"]',
      'dependency-groups = ["dev", "ops"]',
      'default-groups = ["ops"]',
      ...[
        ['six', ''],
        ['idna', "'net' in extras"],
        ['iniconfig', "'dev' in dependency_groups"],
        ['boto3', "'ops' in dependency_groups"]
      ].flatMap(([name, marker]) => [
        '[[packages]]',
        `name = "${name}"`,
        'version = "1.0"',
        ...(marker ? [`marker = "${marker}"`] : []),
        `wheels = [{ name = "${name}-1.0-py3-none-any.whl", hashes = { sha256 = "aa" } }]`
      ])
    ].join('\n')
    const files = { [join(SOURCE, 'pylock.toml')]: lock }
    expect(pins((await read(files)).set, 'python3.11', 'x86_64')).toEqual(['six', 'boto3'])
    const asked = await read(files, { extras: ['net'], groups: ['dev'] })
    expect(pins(asked.set, 'python3.11', 'x86_64')).toEqual(['six', 'idna', 'iniconfig', 'boto3'])
    await expect(read(files, { groups: ['docs'] })).rejects.toThrow(/no dependency group "docs"/)
  })

  it('several pylock.<name>.toml in one folder: the requirements input names one', () => {
    const files = {
      [join(SOURCE, 'pylock.api.toml')]: 'lock-version = "1.0"\n',
      [join(SOURCE, 'pylock.worker.toml')]: 'lock-version = "1.0"\n'
    }
    expect(() => decideFormat(context(files))).toThrow(
      /services\/orders holds pylock.api.toml, pylock.worker.toml: set the requirements input/
    )
    const named = decideFormat(context(files), join(SOURCE, 'pylock.worker.toml'))
    expect(named.found?.file).toBe(join(SOURCE, 'pylock.worker.toml'))
  })
})

describe('which file decides, in order', () => {
  it('in one folder: uv.lock, poetry.lock, Pipfile.lock, pylock.toml, requirements.txt; the rest warned', () => {
    const files = {
      ...fixture('poetry-tool-poetry'),
      ...fixture('pipfile'),
      ...fixture('pylock-uv'),
      [join(SOURCE, 'requirements.txt')]: 'six\n'
    }
    const decision = decideFormat(context(files))
    expect(decision.found?.kind).toBe('poetry-lock')
    expect(decision.warnings).toEqual([
      'services/orders/Pipfile.lock is ignored: services/orders/poetry.lock decides. Set requirements: services/orders/Pipfile.lock to build from it instead.',
      'services/orders/pylock.toml is ignored: services/orders/poetry.lock decides. Set requirements: services/orders/pylock.toml to build from it instead.',
      'services/orders/requirements.txt is ignored: services/orders/poetry.lock decides. Set requirements: services/orders/requirements.txt to build from it instead.',
      'services/orders/Pipfile is ignored: services/orders/poetry.lock decides. Set requirements: services/orders/Pipfile to build from it instead.'
    ])
    delete files[join(SOURCE, 'poetry.lock')]
    delete files[join(SOURCE, 'pyproject.toml')]
    expect(decideFormat(context(files)).found?.kind).toBe('pipfile-lock')
  })

  it('the nearest folder wins: a lock in source before one above it', () => {
    const files = { ...fixture('pipfile', '/w'), ...fixture('pylock-uv') }
    expect(decideFormat(context(files)).found?.file).toBe(join(SOURCE, 'pylock.toml'))
    delete files[join(SOURCE, 'pylock.toml')]
    expect(decideFormat(context(files)).reason).toBe(
      'Pipfile.lock decides: its Pipfile (.) is the nearest above source services/orders'
    )
  })
})

describe('the project itself', () => {
  const pyproject = (extra: string) => ({
    [join(SOURCE, 'pyproject.toml')]:
      `[project]\nname = "orders"\nversion = "1.0"\ndependencies = ["six"]\n${extra}`
  })
  const built = (set: DependencySet) =>
    set.requirements.filter((e) => e.local?.own).map((e) => e.local?.path)
  const backend = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'

  it.each([
    ['a [build-system]', backend, [SOURCE]],
    ['no [build-system]', '', []],
    ['[tool.uv] package = false', `${backend}[tool.uv]\npackage = false\n`, []],
    ['[tool.uv] package = true', '[tool.uv]\npackage = true\n', [SOURCE]]
  ])('%s', async (_what, extra, expected) => {
    expect(built((await read(pyproject(extra))).set)).toEqual(expected)
  })
})

describe('never an empty package while source declares dependencies', () => {
  const check = (files: Record<string, string>) => {
    const ctx = context(files)
    const decision = decideFormat(ctx)
    return () => checkNotEmpty(emptySet(), decision, ctx)
  }

  it.each([
    ['setup.py', "setup(name='x', install_requires=['six'])\n"],
    ['setup.cfg', '[options]\ninstall_requires =\n    six\n'],
    ['requirements/prod.txt', 'six\n'],
    ['requirements-prod.txt', '-i https://x/simple\nsix\n']
  ])('%s declares dependencies nothing reads: the build fails naming it', (name, text) => {
    expect(check({ [join(SOURCE, name)]: text })).toThrow(
      new RegExp(
        `ship no dependencies: no dependency file .* yet services/orders/${name.replace('.', '\\.')} declares some`
      )
    )
  })

  it('an empty requirements.txt beside a pyproject.toml with dependencies fails, naming it', () => {
    expect(
      check({
        [join(SOURCE, 'requirements.txt')]: '# none\n',
        [join(SOURCE, 'pyproject.toml')]: '[project]\nname = "x"\ndependencies = ["six"]\n'
      })
    ).toThrow(
      /requirements.txt decides and names no dependency, yet services\/orders\/pyproject.toml declares some/
    )
  })

  it('development-only lists and an empty source are fine', () => {
    expect(check({ [join(SOURCE, 'requirements-dev.txt')]: 'pytest\n' })).not.toThrow()
    expect(check({})).not.toThrow()
  })
})
