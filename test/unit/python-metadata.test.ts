// PEP 440 versions and specifiers, PEP 508 markers and requirements, core metadata, and the
// dependency-closure decision built on them: tables of real-world inputs.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { LAMBDA_MARKER_VALUES, type Architecture } from '../../src/lambda-facts.js'
import {
  evaluateMarker,
  evaluateMarkerForAll,
  MarkerSyntaxError,
  parseMarker,
  type MarkerEnvironment
} from '../../src/packaging/pep/marker.js'
import { parseCoreMetadata } from '../../src/packaging/pep/metadata.js'
import { parseRequirement } from '../../src/packaging/pep/requirement.js'
import {
  parseSpecifierSet,
  specifierSetContains,
  SpecifierSyntaxError
} from '../../src/packaging/pep/specifier.js'
import {
  compareVersions,
  formatVersion,
  isPrerelease,
  parseVersion
} from '../../src/packaging/pep/version.js'
import {
  checkClosure,
  closureError,
  closureSummaryLine,
  type ClosureTarget,
  type InstalledMetadata
} from '../../src/packaging/verify/closure.js'
import { runtimeNamed } from '../helpers/runtimes.js'

// The expected values in these three tables were computed with Python's `packaging` 26.4 (the
// library pip vendors), so this reading of PEP 440 and PEP 508 agrees with pip's on them.

/** [installed version, specifier set, contained (prereleases admitted, as for installed versions)] */
const SPECIFIER_CASES: [string, string, boolean][] = [
  ['1.0', '==1.0', true],
  ['1.0.0', '==1.0', true],
  ['1.0+local', '==1.0', true],
  ['1.0+local', '==1.0+local', true],
  ['1.0', '==1.0+local', false],
  ['1.0+other', '==1.0+local', false],
  ['1.0.1', '==1.0.*', true],
  ['1.1', '==1.0.*', false],
  ['1.0', '==1.*', true],
  ['1.0rc1', '==1.0.*', true],
  ['1', '==1.0.*', true],
  ['1.0.post1', '==1.0.*', true],
  ['2.0', '!=1.*', true],
  ['1.5', '!=1.*', false],
  ['1.0', '!=1.0', false],
  ['1.0.1', '!=1.0', true],
  ['2.2', '~=2.2', true],
  ['2.3', '~=2.2', true],
  ['3.0', '~=2.2', false],
  ['2.2.0', '~=2.2.0', true],
  ['2.2.1', '~=2.2.0', true],
  ['2.3.0', '~=2.2.0', false],
  ['2.2.post3', '~=2.2', true],
  ['2.2rc1', '~=2.2', false],
  ['1!2.2', '~=2.2', false],
  ['1!2.2', '~=1!2.2', true],
  ['2.1', '~=2.2', false],
  ['1.4.5', '~=1.4.5', true],
  ['1.5', '<2', true],
  ['2.0', '<2', false],
  ['2.0rc1', '<2', false],
  ['2.0.dev1', '<2', false],
  ['2.0rc1', '<2.0rc2', true],
  ['1.9.9', '<2', true],
  ['2.0.post1', '<2', false],
  ['1.7.1', '>1.7', true],
  ['1.7.post1', '>1.7', false],
  ['1.7.post2', '>1.7.post1', true],
  ['1.7+local', '>1.7', false],
  ['1.8+local', '>1.7', true],
  ['1.7', '>1.7', false],
  ['1.7.1rc1', '>1.7', true],
  ['3.0', '>=3', true],
  ['3.0rc1', '>=3', false],
  ['3.0+local', '>=3', true],
  ['3.0+local', '<=3', true],
  ['3.0.post1', '<=3', false],
  ['2.9', '<=3', true],
  ['1.0.dev0', '<1.0a1', true],
  ['1.0a1', '>1.0.dev0', true],
  ['2024.1.1', '>=2023.7.22', true],
  ['4.6.2', '>=4.1', true],
  ['0.115.6', '>=0.100.0,<0.200', true],
  ['1.26.20', '>=1.21.1,<1.27', true],
  ['2.2.3', '<3,>=1.21.1', true],
  ['1.0', '===1.0', true],
  ['1.0.0', '===1.0', false],
  ['foobar', '===foobar', true],
  ['1.0', '>=1.0,!=1.0', false],
  ['2.10.3', '>=2.7.0,!=2.9.*,<3.0', true],
  ['2.9.1', '>=2.7.0,!=2.9.*,<3.0', false],
  ['1.0', '', true],
  ['v1.0', '==1.0', true],
  ['1.0-rc.1', '==1.0rc1', true],
  ['1.0c1', '==1.0rc1', true],
  ['1.0-1', '==1.0.post1', true],
  ['1.0.alpha2', '==1.0a2', true],
  ['1.0', '==1.0.0.0', true],
  ['0!1.0', '==1.0', true],
  ['1!1.0', '>2.0', true],
  ['1.0a1', '<1.0', false],
  ['1.0a1', '<=1.0', true],
  ['2.0b1', '>=2.0a1,<2.0', false],
  ['4.0.0', '!=4.0.0.*', false],
  ['4.0.1', '!=4.0.0.*', true],
  ['3.12', '>=3.8', true],
  ['3.9', '>=3.10', false],
  ['1.0.post1.dev2', '>1.0', false],
  ['1.0.post1.dev2', '<1.0.post1', false],
  ['1.0.0.0.1', '>1.0', true]
]

/** Strictly increasing (PEP 440's own example order plus locals and epochs). */
const VERSION_ORDER: string[] = [
  '1.0.dev456',
  '1.0a1',
  '1.0a2.dev456',
  '1.0a12.dev456',
  '1.0a12',
  '1.0b1.dev456',
  '1.0b2',
  '1.0b2.post345.dev456',
  '1.0b2.post345',
  '1.0rc1.dev456',
  '1.0rc1',
  '1.0',
  '1.0+abc.5',
  '1.0+abc.7',
  '1.0+5',
  '1.0.post456.dev34',
  '1.0.post456',
  '1.0.15',
  '1.1.dev1',
  '1!0.1'
]

/** [marker, extra, on python3.10 x86_64, on python3.12 aarch64] */
const MARKER_CASES: [string, string, boolean, boolean][] = [
  ['python_version < "3.11"', '', true, false],
  ['python_version >= "3.8"', '', true, true],
  ['python_version == "3.10"', '', true, false],
  ['python_version > "3.9"', '', true, true],
  ["python_version<'3.11'", '', true, false],
  ['"3.11" > python_version', '', true, false],
  ['python_version ~= "3.10"', '', true, true],
  ['python_version == "3.1*"', '', false, false],
  ['python_version in "3.8 3.9 3.10"', '', true, false],
  ['python_version not in "3.8, 3.9"', '', true, true],
  ['python_version == "3.*"', '', true, true],
  ['python_version != "3.10.*"', '', false, true],
  ['python_full_version >= "3.10.0"', '', true, true],
  ['python_full_version < "3.10.5"', '', true, false],
  ['platform_machine == "x86_64"', '', true, false],
  ['platform_machine == "aarch64"', '', false, true],
  ['platform_machine != "aarch64"', '', true, false],
  ['platform_machine in "x86_64 X86_64 aarch64 AMD64"', '', true, true],
  [
    '(platform_machine == "aarch64" or platform_machine == "x86_64") and python_version < "3.13"',
    '',
    true,
    true
  ],
  ['sys_platform == "linux"', '', true, true],
  ['sys_platform == "win32"', '', false, false],
  ['sys_platform != "win32" and implementation_name == "cpython"', '', true, true],
  ['os_name == "nt"', '', false, false],
  ['platform_system == "Windows"', '', false, false],
  ['platform_system == "Linux" and platform_machine == "x86_64"', '', true, false],
  ['platform_python_implementation == "CPython"', '', true, true],
  ['platform_python_implementation != "PyPy"', '', true, true],
  ['implementation_name == "pypy"', '', false, false],
  ['extra == "socks"', '', false, false],
  ['extra == "socks"', 'socks', true, true],
  ['extra == "Socks"', 'socks', true, true],
  ['extra == "test-all"', 'test_all', true, true],
  ['python_version < "3.11" and extra == "test"', 'test', true, false],
  ['python_version < "3.11" or extra == "test"', 'test', true, true],
  [
    'sys_platform == "darwin" or sys_platform == "linux" and python_version >= "3.9"',
    '',
    true,
    true
  ],
  [
    '(sys_platform == "darwin" or sys_platform == "linux") and python_version < "3.9"',
    '',
    false,
    false
  ],
  ['"linux" in sys_platform', '', true, true],
  ['"x86" in platform_machine', '', true, false],
  ['platform_machine not in "armv7l ppc64le"', '', true, true],
  [
    'implementation_name == "cpython" and platform_machine != "aarch64" and python_version <= "3.10"',
    '',
    true,
    false
  ],
  ['os.name == "posix"', '', true, true],
  ['python_implementation == "CPython"', '', true, true],
  ['platform_system != "Emscripten"', '', true, true],
  ['python_version >= "3"', '', true, true],
  ['python_version > "3.10"', '', false, true],
  ['python_version === "3.10"', '', true, false],
  ['platform_machine < "b"', '', false, false],
  ['platform_machine <= "x86_64"', '', true, false],
  ['platform_machine >= "aarch64"', '', false, true],
  ['platform_machine > "a"', '', false, false],
  ['"3.8" <= python_version', '', true, true],
  [
    'os_name != "nt" and (python_version < "3.12" or platform_machine == "aarch64")',
    '',
    true,
    true
  ],
  ["python_version in '3.10'", '', true, false],
  ["'3.1' in python_version", '', true, true],
  ["implementation_version >= '3.11'", '', false, true],
  ["python_full_version ~= '3.10.0'", '', true, false],
  [
    "platform_system == 'Linux' and platform_python_implementation == 'CPython' and sys_platform == 'linux' and os_name == 'posix'",
    '',
    true,
    true
  ]
]

const env = (pythonVersion: string, machine: string, extra: string): MarkerEnvironment => ({
  ...LAMBDA_MARKER_VALUES,
  python_version: pythonVersion,
  python_full_version: `${pythonVersion}.0`,
  implementation_version: `${pythonVersion}.0`,
  platform_machine: machine,
  extra
})

describe('PEP 440 versions', () => {
  it.each(VERSION_ORDER.slice(1).map((v, i) => [VERSION_ORDER[i] as string, v]))(
    '%s < %s',
    (lower, higher) => {
      const [a, b] = [parseVersion(lower), parseVersion(higher)]
      expect(a && b && compareVersions(a, b)).toBeLessThan(0)
      expect(a && b && compareVersions(b, a)).toBeGreaterThan(0)
    }
  )

  it.each([
    ['1.0', '1.0'],
    ['v1.0', '1.0'],
    ['1.0-RC.1', '1.0rc1'],
    ['1.0alpha', '1.0a0'],
    ['1.0.beta.2', '1.0b2'],
    ['1.0c3', '1.0rc3'],
    ['1.0-preview1', '1.0rc1'],
    ['1.0-1', '1.0.post1'],
    ['1.0.rev2', '1.0.post2'],
    ['1.0r', '1.0.post0'],
    ['1.0-dev', '1.0.dev0'],
    ['1!2.0.0+Ubuntu-1.2', '1!2.0.0+ubuntu.1.2'],
    ['0!3', '3'],
    [' 2024.10.31 ', '2024.10.31']
  ])('normalises %s to %s', (text, canonical) => {
    const version = parseVersion(text)
    expect(version && formatVersion(version)).toBe(canonical)
  })

  it.each(['', '1.0.', 'one', '1..0', '2004d', '1.0+', '1.0+a..b', '1.0-'])('refuses %j', (text) =>
    expect(parseVersion(text)).toBeUndefined()
  )

  it('treats trailing zeros as equal and locals as later', () => {
    const v = (t: string) => parseVersion(t) as NonNullable<ReturnType<typeof parseVersion>>
    expect(compareVersions(v('1.0'), v('1.0.0.0'))).toBe(0)
    expect(compareVersions(v('1.0+1'), v('1.0'))).toBeGreaterThan(0)
    expect(isPrerelease(v('1.0.dev1'))).toBe(true)
    expect(isPrerelease(v('1.0.post1'))).toBe(false)
  })
})

describe('PEP 440 specifiers', () => {
  it.each(SPECIFIER_CASES)('%s in "%s" is %s', (version, specifier, expected) => {
    expect(specifierSetContains(parseSpecifierSet(specifier), version)).toBe(expected)
  })

  it.each(['>=', '>=1.0.*', '~=1', '<1.0+local', '=>1.0', '==1.0.*+x', '>= 1.0 2.0', '~1.0'])(
    'refuses %j',
    (text) => expect(() => parseSpecifierSet(text)).toThrow(SpecifierSyntaxError)
  )

  it('judges a version that is not PEP 440 only by ===', () => {
    expect(specifierSetContains(parseSpecifierSet('>=1.0'), '2004d')).toBe(false)
    expect(specifierSetContains(parseSpecifierSet('===2004d'), '2004d')).toBe(true)
    expect(specifierSetContains(parseSpecifierSet(''), '2004d')).toBe(true)
  })
})

describe('PEP 508 markers', () => {
  it.each(MARKER_CASES)(
    '%s (extra %j): 3.10 x86_64 %s, 3.12 aarch64 %s',
    (text, extra, on310, on312) => {
      const marker = parseMarker(text)
      expect(evaluateMarker(marker, env('3.10', 'x86_64', extra))).toBe(on310)
      expect(evaluateMarker(marker, env('3.12', 'aarch64', extra))).toBe(on312)
    }
  )

  it.each([
    'python_version <',
    'python_version < "3.11" and',
    'python_versio < "3.11"',
    '(python_version < "3.11"',
    'python_version < "3.11")',
    'python_version "3.11"',
    'python_version < 3.11',
    'python_version < "3.11" xor os_name == "nt"'
  ])('refuses %j', (text) => expect(() => parseMarker(text)).toThrow(MarkerSyntaxError))

  it('stays undecided on a value the environment leaves open, unless the rest decides', () => {
    const e = env('3.12', 'x86_64', '')
    expect(evaluateMarker(parseMarker('platform_release >= "5.10"'), e)).toBeUndefined()
    expect(evaluateMarker(parseMarker('platform_release >= "5" and os_name == "nt"'), e)).toBe(
      false
    )
    expect(evaluateMarker(parseMarker('platform_release >= "5" or os_name == "posix"'), e)).toBe(
      true
    )
    expect(
      evaluateMarker(parseMarker('platform_release >= "5" or os_name == "nt"'), e)
    ).toBeUndefined()
    const ends = [
      { ...e, python_full_version: '3.12.0' },
      { ...e, python_full_version: '3.12.999' }
    ]
    expect(
      evaluateMarkerForAll(parseMarker('python_full_version >= "3.12.4"'), ends)
    ).toBeUndefined()
    expect(evaluateMarkerForAll(parseMarker('python_full_version >= "3.11.4"'), ends)).toBe(true)
    expect(evaluateMarkerForAll(parseMarker('python_full_version < "3.12"'), ends)).toBe(false)
  })

  it('refuses ~= between strings that are not versions', () => {
    expect(() =>
      evaluateMarker(parseMarker('platform_machine ~= "x86"'), env('3.12', 'x86_64', ''))
    ).toThrow(MarkerSyntaxError)
  })
})

describe('Requires-Dist', () => {
  it.each([
    [
      'exceptiongroup>=1.0.2; python_version < "3.11"',
      'exceptiongroup',
      [],
      '>=1.0.2',
      'python_version < "3.11"'
    ],
    [
      'typing_extensions>=4.1; python_version < "3.11"',
      'typing-extensions',
      [],
      '>=4.1',
      'python_version < "3.11"'
    ],
    [
      'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
      'pysocks',
      [],
      '!=1.5.7,>=1.5.6',
      'extra == "socks"'
    ],
    ['charset_normalizer<4,>=2', 'charset-normalizer', [], '<4,>=2', undefined],
    [
      'uvicorn[standard]>=0.12.0; extra == "standard"',
      'uvicorn',
      ['standard'],
      '>=0.12.0',
      'extra == "standard"'
    ],
    [
      'fastapi-cli[standard] >=0.0.5 ; extra == "standard"',
      'fastapi-cli',
      ['standard'],
      '>=0.0.5',
      'extra == "standard"'
    ],
    ['pydantic-core==2.27.2', 'pydantic-core', [], '==2.27.2', undefined],
    ['zope.interface (>=5.0)', 'zope-interface', [], '>=5.0', undefined],
    [
      'Foo[Bar_Baz, qux] (>1,<3) ; os_name=="posix"',
      'foo',
      ['bar-baz', 'qux'],
      '>1,<3',
      'os_name=="posix"'
    ],
    [
      'greenlet!=0.4.17; python_version < "3.14" and (platform_machine == "aarch64" or (platform_machine == "ppc64le" or (platform_machine == "x86_64" or (platform_machine == "amd64" or (platform_machine == "AMD64" or (platform_machine == "win32" or platform_machine == "WIN32"))))))',
      'greenlet',
      [],
      '!=0.4.17',
      'python_version < "3.14" and (platform_machine == "aarch64" or (platform_machine == "ppc64le" or (platform_machine == "x86_64" or (platform_machine == "amd64" or (platform_machine == "AMD64" or (platform_machine == "win32" or platform_machine == "WIN32"))))))'
    ],
    [
      'pip @ https://example.test/pip-24.0-py3-none-any.whl ; python_version >= "3.8"',
      'pip',
      [],
      '',
      'python_version >= "3.8"'
    ]
  ])('%s', (text, name, extras, specifiers, marker) => {
    const requirement = parseRequirement(text)
    expect(requirement.name).toBe(name)
    expect(requirement.extras).toEqual(extras)
    expect(requirement.specifiers.map((s) => `${s.operator}${s.text}`).join(',')).toBe(specifiers)
    expect(requirement.markerText).toBe(marker)
    expect(requirement.display).not.toMatch(/\s;|;/)
  })

  it('reads the header fields of METADATA, folded lines and all, and stops at the body', () => {
    const metadata = parseCoreMetadata(
      [
        'Metadata-Version: 2.1',
        'Name: anyio',
        'Version: 4.6.2',
        'Summary: High level compatibility layer',
        'Requires-Dist: idna>=2.8',
        'Requires-Dist: exceptiongroup>=1.0.2;',
        '  python_version < "3.11"',
        'Provides-Extra: trio',
        '',
        'Requires-Dist: not-a-header-but-the-readme'
      ].join('\r\n')
    )
    expect(metadata).toEqual({
      name: 'anyio',
      version: '4.6.2',
      requiresDist: ['idna>=2.8', 'exceptiongroup>=1.0.2; python_version < "3.11"'],
      providesExtra: ['trio']
    })
    expect(parseCoreMetadata('Metadata-Version: 2.1\nName: x\n')).toBeUndefined()
  })
})

const ANYIO = `Metadata-Version: 2.1
Name: anyio
Version: 4.6.2
Requires-Dist: idna>=2.8
Requires-Dist: sniffio>=1.1
Requires-Dist: exceptiongroup>=1.0.2; python_version < "3.11"
Requires-Dist: typing_extensions>=4.1; python_version < "3.11"
Requires-Dist: trio>=0.26.1; extra == "trio"
Provides-Extra: trio
`
const meta = (name: string, version: string, ...requires: string[]): InstalledMetadata => ({
  source: `function.zip:${name}-${version}.dist-info/METADATA`,
  text: [
    `Name: ${name}`,
    `Version: ${version}`,
    ...requires.map((r) => `Requires-Dist: ${r}`),
    ''
  ].join('\n')
})
const target = (minor: number, architecture: Architecture = 'x86_64'): ClosureTarget => ({
  runtime: runtimeNamed(`python3.${minor}`),
  architecture
})

describe('dependency closure', () => {
  const anyioBase = [
    { source: 'function.zip:anyio-4.6.2.dist-info/METADATA', text: ANYIO },
    meta('idna', '3.10'),
    meta('sniffio', '1.3.1')
  ]

  it('passes anyio without exceptiongroup for python3.11 and fails it for python3.10, naming the marker', () => {
    expect(checkClosure(anyioBase, [], target(11))).toMatchObject({
      distributions: 3,
      checked: 2,
      unmet: []
    })
    const result = checkClosure(anyioBase, [], target(10))
    expect(result.unmet).toEqual([
      {
        requiredBy: 'anyio 4.6.2',
        requirement: 'exceptiongroup>=1.0.2',
        marker: 'python_version < "3.11"'
      },
      {
        requiredBy: 'anyio 4.6.2',
        requirement: 'typing_extensions>=4.1',
        marker: 'python_version < "3.11"'
      }
    ])
    const message = closureError(result, target(10)).message
    expect(message).toContain(
      'anyio 4.6.2 requires exceptiongroup>=1.0.2 (selected by marker python_version < "3.11"): not in the package'
    )
    expect(message).toContain('installer: auto or installer: uv')
    expect(message).toContain('python3.10 x86_64')
  })

  it('names the version in the package when it is outside the specifier', () => {
    const result = checkClosure(
      [...anyioBase, meta('exceptiongroup', '1.0.0'), meta('typing-extensions', '4.12.2')],
      [],
      target(10)
    )
    expect(result.unmet).toEqual([
      expect.objectContaining({
        requirement: 'exceptiongroup>=1.0.2',
        found: 'exceptiongroup 1.0.0'
      })
    ])
  })

  it('follows extras from the requirements file and from other distributions, transitively', () => {
    const dists = [
      meta(
        'fastapi',
        '0.115.6',
        'starlette<0.42.0,>=0.40.0',
        'uvicorn[standard]>=0.12.0; extra == "standard"'
      ),
      meta('starlette', '0.41.3'),
      meta(
        'uvicorn',
        '0.32.1',
        'h11>=0.8',
        'uvloop!=0.15.0,>=0.14.0; (sys_platform != "win32" and sys_platform != "cygwin") and extra == "standard"'
      ),
      meta('h11', '0.14.0')
    ]
    expect(checkClosure(dists, [], target(12)).unmet).toEqual([])
    const asked = [
      { project: 'fastapi', extras: ['standard'], marker: '', where: 'requirements.txt:1' }
    ]
    const result = checkClosure(dists, asked, target(12))
    expect(result.unmet).toEqual([
      {
        requiredBy: 'uvicorn 0.32.1',
        requirement: 'uvloop!=0.15.0,>=0.14.0',
        marker: '(sys_platform != "win32" and sys_platform != "cygwin") and extra == "standard"',
        extra: 'standard'
      }
    ])
    expect(closureError(result, target(12)).message).toContain('through extra "standard"')
    expect(checkClosure([...dists, meta('uvloop', '0.21.0')], asked, target(12))).toMatchObject({
      checked: 5,
      unmet: []
    })
  })

  it('asks extras only when the requirements line holds for the target, and checks the line itself', () => {
    const dists = [meta('requests', '2.32.3', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"')]
    const line = (marker: string) => [
      { project: 'requests', extras: ['socks'], marker, where: 'requirements.txt:2' }
    ]
    expect(checkClosure(dists, line('python_version < "3.10"'), target(12)).unmet).toEqual([])
    expect(checkClosure(dists, line('python_version >= "3.10"'), target(12)).unmet).toHaveLength(1)
    const missing = checkClosure([], line('platform_machine == "aarch64"'), target(12, 'arm64'))
    expect(missing.unmet).toEqual([
      {
        requiredBy: 'requirements.txt:2',
        requirement: 'requests',
        marker: 'platform_machine == "aarch64"'
      }
    ])
    expect(
      checkClosure([], line('platform_machine == "aarch64"'), target(12, 'x86_64')).unmet
    ).toEqual([])
  })

  it('leaves boto3 and its dependencies to the Lambda runtime, but checks copies in the package', () => {
    const dists = [
      meta('aws-xray-sdk', '2.14.0', 'botocore>=1.11.3', 'wrapt'),
      meta('wrapt', '1.17.0')
    ]
    expect(checkClosure(dists, [], target(12))).toMatchObject({
      fromRuntime: ['botocore'],
      unmet: []
    })
    const withOld = checkClosure([...dists, meta('botocore', '1.10.0')], [], target(12))
    expect(withOld.unmet).toEqual([expect.objectContaining({ found: 'botocore 1.10.0' })])
  })

  it('judges platform_machine per architecture', () => {
    const dists = [
      meta(
        'sqlalchemy',
        '2.0.36',
        'greenlet!=0.4.17; python_version < "3.13" and (platform_machine == "aarch64" or platform_machine == "x86_64")'
      )
    ]
    expect(checkClosure(dists, [], target(12, 'arm64')).unmet).toHaveLength(1)
    expect(checkClosure(dists, [], target(13, 'x86_64')).unmet).toEqual([])
    expect(
      checkClosure([...dists, meta('greenlet', '3.1.1')], [], target(12, 'x86_64')).unmet
    ).toEqual([])
  })

  it('leaves what it cannot judge undecided rather than failing the build', () => {
    const dists = [
      meta(
        'odd',
        '1.0',
        'kernel-thing; platform_release >= "6"',
        'patchy; python_full_version >= "3.12.5"',
        'broken >= ; os_name == "posix"',
        'strange; platform_machine ~= "x86"'
      ),
      { source: 'function.zip:x.dist-info/METADATA', text: 'Summary: no name\n' }
    ]
    const result = checkClosure(dists, [], target(12))
    expect(result.unmet).toEqual([])
    expect(result.undecided).toHaveLength(5)
    expect(closureSummaryLine(result)).toContain('5 not decidable without the target')
  })

  it('says what it checked in one line', () => {
    expect(
      closureSummaryLine(checkClosure([...anyioBase, meta('x', '1', 'boto3')], [], target(12)))
    ).toBe('closure: 4 distributions, all 3 requirements met (boto3 from the Lambda runtime)')
  })
})

interface RealWorld {
  generatedWith: string
  runtimes: string[]
  machines: string[]
  requirements: {
    line: string
    name: string
    extras: string[]
    specifiers: string[]
    markerExtras: string[]
    truth: string
  }[]
  contains: [string, string[], string][]
}

// Every distinct marker and specifier set in the Requires-Dist of the wheels the integration
// tests and the bench install (fastapi, pydantic, aiohttp, requests, sqlalchemy, numpy ...),
// with pip's reading of them (scripts/python-metadata-fixture.py regenerates it).
const realWorld = JSON.parse(
  readFileSync(
    new URL('../fixtures/python-metadata/real-world.json', import.meta.url).pathname,
    'utf8'
  )
) as RealWorld

describe(`real-world Requires-Dist, as ${realWorld.generatedWith} reads them`, () => {
  it.each(realWorld.requirements)('$line', (expected) => {
    const requirement = parseRequirement(expected.line)
    expect(requirement.name).toBe(expected.name)
    expect([...requirement.extras].sort()).toEqual(expected.extras)
    expect(requirement.specifiers.map((s) => `${s.operator}${s.text}`).sort()).toEqual(
      expected.specifiers
    )
    let truth = ''
    for (const python of realWorld.runtimes) {
      for (const machine of realWorld.machines) {
        for (const extra of ['', ...expected.markerExtras]) {
          const holds = requirement.marker
            ? evaluateMarker(requirement.marker, env(python, machine, extra))
            : true
          truth += holds ? 'T' : 'F'
        }
      }
    }
    expect(truth).toBe(expected.truth)
  })

  it.each(realWorld.contains)('%s', (specifier, candidates, expected) => {
    const specs = parseSpecifierSet(specifier)
    expect(candidates.map((c) => (specifierSetContains(specs, c) ? 'T' : 'F')).join('')).toBe(
      expected
    )
  })
})
