// The project phase's pure core: which file decides, what a pyproject.toml and a uv.lock say,
// requires-python against a runtime, and the rewrite of local-library lines into pins.
import { describe, expect, it } from 'vitest'
import { decideDependencyFile, type ProjectReader } from '../../src/packaging/project/discover.js'
import { absoluteExportPaths, exportArgs } from '../../src/packaging/tools/uv-export.js'
import {
  declaresDependencies,
  parsePyproject,
  selectedRequirements
} from '../../src/packaging/project/pyproject.js'
import { pythonSatisfies } from '../../src/packaging/project/requires-python.js'
import { rewriteRequirements } from '../../src/packaging/requirements/rewrite.js'
import { localClosure, memberForSource, parseUvLock } from '../../src/packaging/project/uv-lock.js'
import {
  localRequirementPath,
  parseRequirements,
  type RequirementsReader
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

function reader(files: Record<string, string>): ProjectReader & RequirementsReader {
  return {
    readText: (path) => files[path],
    isDirectory: (path) => Object.keys(files).some((f) => f.startsWith(`${path}/`))
  }
}

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

  it("reaches only the member's own local libraries, groups only when asked", () => {
    expect(localClosure(lock, '/w', 'orders', [], [])).toEqual([
      { name: 'common', path: '/w/libs/common' }
    ])
    expect(localClosure(lock, '/w', 'orders', [], ['tools']).map((p) => p.name)).toEqual([
      'common',
      'toolkit'
    ])
    expect(localClosure(lock, '/w', 'payments', [], [])).toEqual([
      { name: 'billing', path: '/vendor/billing' },
      { name: 'common', path: '/w/libs/common' }
    ])
  })

  it('a lock that is not TOML fails naming uv lock', () => {
    expect(() => parseUvLock('version = [', 'w/uv.lock')).toThrow(/w\/uv.lock .*`uv lock`/)
  })
})

describe('which file decides', () => {
  const pyprojectWithDeps = '[project]\nname = "x"\ndependencies = ["six"]\n'
  const base = { source: '/w/services/orders', workspace: '/w' }

  it('a uv.lock up the tree whose workspace holds source wins over requirements.txt', () => {
    const decision = decideDependencyFile(
      base,
      reader({
        '/w/uv.lock': LOCK,
        '/w/services/orders/requirements.txt': 'six\n'
      })
    )
    expect(decision.decided.kind).toBe('uv-lock')
    expect(decision.reason).toBe(
      'uv.lock decides: its workspace member orders (services/orders) holds source services/orders'
    )
    expect(decision.warnings).toEqual([
      expect.stringMatching(/^services\/orders\/requirements.txt is ignored: uv.lock decides/)
    ])
  })

  it('requirements.txt next, with a warning for a pyproject.toml that declares dependencies', () => {
    const decision = decideDependencyFile(
      base,
      reader({
        '/w/services/orders/requirements.txt': 'six\n',
        '/w/services/orders/pyproject.toml': pyprojectWithDeps
      })
    )
    expect(decision.decided).toEqual({
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
    const decision = decideDependencyFile(
      base,
      reader({ '/w/services/orders/pyproject.toml': pyprojectWithDeps })
    )
    expect(decision.decided.kind).toBe('pyproject')
    expect(decision.reason).toMatch(/^services\/orders\/pyproject.toml decides/)
    expect(decideDependencyFile(base, reader({})).reason).toMatch(/^no dependencies/)
  })

  it('never looks above the workspace, and a lock that does not hold source is passed over', () => {
    const elsewhere = LOCK.replace(
      'members = ["common", "orders", "payments", "shop"]',
      'members = ["common"]'
    )
    expect(decideDependencyFile(base, reader({ '/uv.lock': LOCK })).decided.kind).toBe('none')
    expect(decideDependencyFile(base, reader({ '/w/uv.lock': elsewhere })).decided.kind).toBe(
      'none'
    )
  })

  it('the requirements input names any of the three', () => {
    const files = reader({
      '/w/uv.lock': LOCK,
      '/w/services/orders/pyproject.toml': pyprojectWithDeps
    })
    expect(decideDependencyFile({ ...base, requirements: '/w/uv.lock' }, files).decided.kind).toBe(
      'uv-lock'
    )
    expect(
      decideDependencyFile({ ...base, requirements: '/w/services/orders/pyproject.toml' }, files)
        .decided.kind
    ).toBe('pyproject')
    expect(() =>
      decideDependencyFile(
        { source: '/w/tools/x', workspace: '/w', requirements: '/w/uv.lock' },
        reader({ '/w/uv.lock': LOCK.replace(', "shop"', '') })
      )
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

  it('are kept relative to the file that names them, and rewritten into pins', () => {
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
    const built = new Map([
      [
        '/w/libs/common',
        {
          path: '/w/libs/common',
          wheel: 'common-0.1.0-py3-none-any.whl',
          project: 'common',
          version: '0.1.0',
          sha256: 'aa'
        }
      ],
      [
        '/w/libs/tools',
        {
          path: '/w/libs/tools',
          wheel: 'tools-2.0-py3-none-any.whl',
          project: 'tools',
          version: '2.0',
          sha256: 'bb'
        }
      ]
    ])
    const out = rewriteRequirements(
      parsed,
      new Map(Object.entries(files)),
      built,
      '/store/wheels',
      '/store/p',
      (p) => p === '/w/svc/wheels'
    )
    expect(Object.fromEntries(out)).toEqual({
      '/store/p/0.txt':
        '--find-links /store/wheels\n-r /store/p/1.txt\ncommon==0.1.0 ; python_version >= "3"\nsix==1.16.0\n',
      '/store/p/1.txt': 'tools[cli]==2.0\n--find-links /w/svc/wheels\n'
    })
    // The rewritten files are what resolve reads: no local path is left in them.
    const again = parseRequirements('/store/p/0.txt', reader(Object.fromEntries(out)), {})
    expect(again.requirements.map((e) => e.text)).toEqual([
      'tools[cli]==2.0',
      'common==0.1.0 ; python_version >= "3"',
      'six==1.16.0'
    ])
  })

  it('pins with the built hash in hash-checking mode', () => {
    const files = { '/w/r.txt': './lib\nsix==1.16.0 --hash=sha256:cc\n' }
    const parsed = parseRequirements('/w/r.txt', reader(files), {}, true)
    const built = new Map([
      [
        '/w/lib',
        {
          path: '/w/lib',
          wheel: 'lib-1-py3-none-any.whl',
          project: 'lib',
          version: '1',
          sha256: 'dd'
        }
      ]
    ])
    const out = rewriteRequirements(
      parsed,
      new Map(Object.entries(files)),
      built,
      '/s/w',
      '/s/p',
      () => false
    )
    expect(out.get('/s/p/0.txt')).toBe(
      '--find-links /s/w\nlib==1 --hash=sha256:dd\nsix==1.16.0 --hash=sha256:cc\n'
    )
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
