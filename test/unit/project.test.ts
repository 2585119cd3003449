// The project phase's pure core: which file decides, what a pyproject.toml and a uv.lock say,
// requires-python against a runtime, and local-library lines.
import { describe, expect, it } from 'vitest'
import { decideFormat } from '../../src/packaging/project/discover.js'
import type { FormatContext } from '../../src/packaging/project/formats/format.js'
import { context, reader } from '../helpers/project-files.js'
import { absoluteExportPaths, exportArgs } from '../../src/packaging/tools/uv-export.js'
import {
  declaresDependencies,
  parsePyproject,
  selectedRequirements
} from '../../src/packaging/project/pyproject.js'
import { pythonSatisfies } from '../../src/packaging/project/requires-python.js'
import {
  memberForSource,
  parseUvLock,
  unlockedPins
} from '../../src/packaging/project/formats/uv-lock.js'
import {
  localRequirementPath,
  parseRequirements
} from '../../src/packaging/requirements/requirements-file.js'

const LOCK = `
version = 1
requires-python = ">=3.11"

[manifest]
members = ["common", "orders", "payments", "shop"]

[[package]]
name = "attrs"
version = "26.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "common"
version = "0.1.0"
source = { editable = "libs/common" }
dependencies = [{ name = "attrs" }]

[[package]]
name = "orders"
version = "0.1.0"
source = { virtual = "services/orders" }
dependencies = [{ name = "common" }, { name = "six" }]

[package.optional-dependencies]
fast = [{ name = "idna" }]

[package.dev-dependencies]
dev = [{ name = "iniconfig" }]
tools = [{ name = "toolkit" }]

[[package]]
name = "payments"
version = "0.1.0"
source = { virtual = "services/payments" }
dependencies = [{ name = "common" }, { name = "billing" }]

[[package]]
name = "billing"
version = "1.0"
source = { directory = "../vendor/billing" }

[[package]]
name = "toolkit"
version = "1.0"
source = { editable = "libs/toolkit" }

[[package]]
name = "shop"
version = "0.1.0"
source = { virtual = "." }
`

describe('requires-python against a runtime', () => {
  it.each([
    ['>=3.11', '3.11', true],
    ['>=3.12', '3.11', false],
    ['>=3.9,<3.13', '3.13', false],
    ['>=3.9,<3.13', '3.12', true],
    ['~=3.11', '3.14', true],
    ['~=3.11.2', '3.12', false],
    ['==3.12.*', '3.12', true],
    ['!=3.11.*', '3.11', false],
    ['>=3.11.4', '3.11', true],
    ['>3.11', '3.11', true],
    ['<3.11', '3.11', false]
  ])('%s on Python %s: %s', (specifier, python, expected) => {
    expect(pythonSatisfies(specifier, python, 'pyproject.toml')).toBe(expected)
  })

  it('refuses a specifier that is not one, naming the file', () => {
    expect(() => pythonSatisfies('3.11+', '3.11', 'a/pyproject.toml')).toThrow(/a\/pyproject.toml/)
  })
})

describe('pyproject.toml', () => {
  const text = `
[project]
name = "orders"
requires-python = ">=3.11"
dependencies = ["requests>=2", "common"]

[project.optional-dependencies]
Fast = ["orjson"]

[dependency-groups]
dev = ["pytest"]
ops = ["boto3", { include-group = "tracing" }]
tracing = ["aws-xray-sdk"]

[tool.uv.sources]
common = { path = "../libs/common", editable = true }
`
  const pyproject = parsePyproject(text, 'pyproject.toml')

  it('reads dependencies, extras, groups and path sources', () => {
    expect(pyproject.dependencies).toEqual(['requests>=2', 'common'])
    expect(pyproject.requiresPython).toBe('>=3.11')
    expect(pyproject.pathSources).toEqual({ common: { path: '../libs/common', editable: true } })
    expect(declaresDependencies(pyproject)).toBe(true)
    expect(declaresDependencies(parsePyproject('[project]\nname = "x"\n', 'p'))).toBe(false)
  })

  it('selects extras and groups (include-group followed), never dev unless asked', () => {
    expect(selectedRequirements(pyproject, 'p', [], [])).toEqual(['requests>=2', 'common'])
    expect(selectedRequirements(pyproject, 'p', ['fast'], ['ops'])).toEqual([
      'requests>=2',
      'common',
      'orjson',
      'boto3',
      'aws-xray-sdk'
    ])
  })

  it('an unknown extra or group fails naming what exists', () => {
    expect(() => selectedRequirements(pyproject, 'p', ['slow'], [])).toThrow(
      /extras: p has no optional-dependencies group "slow" \(it has: fast\)/
    )
    expect(() => selectedRequirements(pyproject, 'p', [], ['docs'])).toThrow(
      /groups: .*"docs" \(it has: dev, ops, tracing\)/
    )
  })

  it('invalid TOML fails naming the file', () => {
    expect(() => parsePyproject('[project\n', 'svc/pyproject.toml')).toThrow(
      /svc\/pyproject.toml is not valid TOML/
    )
  })
})

describe('uv.lock', () => {
  const lock = parseUvLock(LOCK, 'uv.lock')

  it('finds the member whose folder holds source, deepest first', () => {
    expect(memberForSource(lock, '/w', '/w/services/orders')?.name).toBe('orders')
    expect(memberForSource(lock, '/w', '/w/services/orders/src')?.name).toBe('orders')
    expect(memberForSource(lock, '/w', '/w/tools')?.name).toBe('shop')
    expect(memberForSource(lock, '/w', '/elsewhere')).toBeUndefined()
  })

  it('holds a stored export against the lock: versions and hashes it never listed are named', () => {
    const locked = parseUvLock(
      `${LOCK}\n[[package]]\nname = "six"\nversion = "1.17.0"\nsource = { registry = "https://pypi.org/simple" }\n` +
        'wheels = [{ url = "https://files/six-1.17.0-py2.py3-none-any.whl", hash = "sha256:aa" }]\n',
      'uv.lock'
    )
    expect(locked.packages.find((p) => p.name === 'six')?.files).toEqual([
      { name: 'six-1.17.0-py2.py3-none-any.whl', hash: 'sha256:aa' }
    ])
    const set = (text: string) => parseRequirements('/w/x.txt', reader({ '/w/x.txt': text }), {})
    expect(unlockedPins(set('six==1.17.0 --hash=sha256:aa\n'), locked)).toEqual([])
    expect(unlockedPins(set('six==1.17.0 --hash=sha256:bb\n'), locked)).toEqual([
      'six==1.17.0 carries sha256:bb, which the lock does not list'
    ])
    expect(unlockedPins(set('six==1.16.0 --hash=sha256:aa\n'), locked)).toEqual([
      'six==1.16.0 is not a version the lock pins'
    ])
  })

  it('a lock that is not TOML fails naming uv lock', () => {
    expect(() => parseUvLock('version = [', 'w/uv.lock')).toThrow(/w\/uv.lock .*`uv lock`/)
  })
})

describe('which file decides', () => {
  const pyprojectWithDeps = '[project]\nname = "x"\ndependencies = ["six"]\n'
  const decide = (
    files: Record<string, string>,
    fields: Partial<FormatContext> = {},
    requirements?: string
  ) => decideFormat(context(files, fields), requirements)

  it('a uv.lock up the tree whose workspace holds source wins over requirements.txt', () => {
    const decision = decide({
      '/w/uv.lock': LOCK,
      '/w/services/orders/requirements.txt': 'six\n'
    })
    expect(decision.found?.kind).toBe('uv-lock')
    expect(decision.reason).toBe(
      'uv.lock decides: its workspace member orders (services/orders) holds source services/orders'
    )
    expect(decision.warnings).toEqual([
      expect.stringMatching(/^services\/orders\/requirements.txt is ignored: uv.lock decides/)
    ])
  })

  it('requirements.txt next, with a warning for a pyproject.toml that declares dependencies', () => {
    const decision = decide({
      '/w/services/orders/requirements.txt': 'six\n',
      '/w/services/orders/pyproject.toml': pyprojectWithDeps
    })
    expect(decision.found).toMatchObject({
      kind: 'requirements',
      file: '/w/services/orders/requirements.txt'
    })
    expect(decision.warnings).toEqual([
      expect.stringMatching(
        /^services\/orders\/pyproject.toml declares dependencies and is ignored: services\/orders\/requirements.txt decides/
      )
    ])
  })

  it('pyproject.toml last; nothing at all is said too', () => {
    const decision = decide({ '/w/services/orders/pyproject.toml': pyprojectWithDeps })
    expect(decision.found?.kind).toBe('pyproject')
    expect(decision.reason).toMatch(/^services\/orders\/pyproject.toml decides/)
    expect(decide({}).reason).toMatch(/^no dependencies/)
  })

  it('never looks above the workspace, and a lock that does not hold source is passed over', () => {
    const elsewhere = LOCK.replace(
      'members = ["common", "orders", "payments", "shop"]',
      'members = ["common"]'
    )
    expect(decide({ '/uv.lock': LOCK }).found).toBeUndefined()
    expect(decide({ '/w/uv.lock': elsewhere }).found).toBeUndefined()
  })

  it('the requirements input names any format', () => {
    const files = {
      '/w/uv.lock': LOCK,
      '/w/services/orders/pyproject.toml': pyprojectWithDeps
    }
    expect(decide(files, {}, '/w/uv.lock').found?.kind).toBe('uv-lock')
    expect(decide(files, {}, '/w/services/orders/pyproject.toml').found?.kind).toBe('pyproject')
    expect(() =>
      decide({ '/w/uv.lock': LOCK.replace(', "shop"', '') }, { source: '/w/tools/x' }, '/w/uv.lock')
    ).toThrow(
      /requirements: uv.lock has no project or workspace member whose folder holds source tools\/x/
    )
  })
})

describe('local library lines', () => {
  it.each([
    ['./libs/common', { path: './libs/common', extras: '' }],
    ['../shared[fast]', { path: '../shared', extras: '[fast]' }],
    ['file:///w/libs/common', { path: '/w/libs/common', extras: '' }],
    ['common @ file:///w/libs/common', { path: '/w/libs/common', extras: '' }],
    ['dist/tool-1.0-py3-none-any.whl', { path: 'dist/tool-1.0-py3-none-any.whl', extras: '' }],
    ['requests>=2', undefined],
    ['requests[socks]==2.32.3', undefined],
    ['pkg @ https://example.test/pkg-1.0.tar.gz', undefined]
  ])('%s', (spec, expected) => {
    expect(localRequirementPath(spec)).toEqual(expected)
  })

  it('are kept relative to the file that names them', () => {
    const files = {
      '/w/svc/requirements.txt':
        '-r base.txt\n../libs/common ; python_version >= "3"\nsix==1.16.0\n',
      '/w/svc/base.txt': '-e ../libs/tools[cli]\n--find-links wheels\n',
      '/w/svc/wheels/x.whl': ''
    }
    const parsed = parseRequirements('/w/svc/requirements.txt', reader(files), {}, true)
    expect(parsed.requirements.map((e) => e.local?.path)).toEqual([
      '/w/libs/tools',
      '/w/libs/common',
      undefined
    ])
    expect(parsed.requirements[0]?.local).toMatchObject({ extras: '[cli]', editable: true })
    expect(parsed.requirements[1]?.local).toMatchObject({ marker: 'python_version >= "3"' })
  })

  it('uv export: the member alone, no dev groups, no editables, the lock checked', () => {
    expect(exportArgs('--locked', 'orders', ['fast'], ['tracing', 'dev'])).toEqual([
      'export',
      '--locked',
      '--no-python-downloads',
      '--package',
      'orders',
      '--no-default-groups',
      '--no-editable',
      '--no-emit-project',
      '--no-header',
      '--no-annotate',
      '--extra',
      'fast',
      '--group',
      'tracing',
      '--group',
      'dev'
    ])
  })

  it('uv export paths become absolute from the lock folder', () => {
    expect(
      absoluteExportPaths(
        './libs/common\nattrs==26.1.0 \\\n    --hash=sha256:aa\n../x ; sys_platform == "linux"\n',
        '/w'
      )
    ).toBe('/w/libs/common\nattrs==26.1.0 \\\n    --hash=sha256:aa\n/x ; sys_platform == "linux"\n')
  })
})
