import { describe, expect, it } from 'vitest'
import {
  afterFailure,
  hashMismatchesFromPip,
  missingWheelFromPip,
  missingWheelFromUv,
  nativeSources,
  newestListed,
  type MissingWheel
} from '../../src/packaging/tools/sdist.js'

describe('missingWheelFromPip', () => {
  it.each([
    [
      'ERROR: Could not find a version that satisfies the requirement docopt==0.6.2 (from versions: none)\nERROR: No matching distribution found for docopt==0.6.2',
      { requirement: 'docopt==0.6.2', project: 'docopt', versionsWithWheels: [] }
    ],
    [
      'ERROR: Could not find a version that satisfies the requirement numpy>=2.3 (from versions: 1.26.4, 2.0.0, 2.2.6)',
      {
        requirement: 'numpy>=2.3',
        project: 'numpy',
        versionsWithWheels: ['1.26.4', '2.0.0', '2.2.6']
      }
    ],
    [
      'ERROR: Could not find a version that satisfies the requirement Tiny_Native<2 (from app==1.0) (from versions: none)',
      { requirement: 'Tiny_Native<2', project: 'tiny-native', versionsWithWheels: [] }
    ]
  ])('%#', (output, expected) => {
    expect(missingWheelFromPip(output)).toEqual({ ...expected, notFound: false })
  })

  it('other failures are not a missing wheel', () => {
    expect(missingWheelFromPip('ERROR: THESE PACKAGES DO NOT MATCH THE HASHES')).toBeUndefined()
  })
})

describe('missingWheelFromUv', () => {
  it.each([
    [
      '  cause: Because docopt==0.6.2 has no usable wheels and you require docopt==0.6.2, we can conclude that your requirements are unsatisfiable.\n\nhint: Wheels are required for `docopt` because building from source is disabled',
      { requirement: 'docopt==0.6.2', project: 'docopt', notFound: false }
    ],
    [
      '  cause: Because all versions of docopt have no usable wheels and you require docopt, we can conclude ...\nhint: Wheels are required for `docopt` because',
      { requirement: 'docopt', project: 'docopt', notFound: false }
    ],
    [
      // Several indexes (pip's extra indexes handed to uv): uv lists versions instead.
      '  cause: Because all of:\n             numpy>=2.3.0,<=2.3.4\n             numpy>=2.5.0rc1\n          have no usable wheels and only the following versions of numpy are available:\n             numpy<=2.3.4\n          have no wheels with a matching platform tag (e.g., `manylinux_2_17_aarch64`) and you require numpy>=2.3, we can conclude that your requirements are unsatisfiable.\n\nhint: Wheels are required for `numpy` because building from source is disabled',
      { requirement: 'numpy>=2.3', project: 'numpy', notFound: false }
    ],
    [
      'Because numpy>=2.3.0 has no usable wheels and you require numpy>=2.3\nhint: Wheels are required for `numpy` because',
      { requirement: 'numpy>=2.3.0', project: 'numpy', notFound: false }
    ],
    [
      'Because foo-nonexist was not found in the package registry and you require foo-nonexist==1.0',
      { requirement: 'foo-nonexist', project: 'foo-nonexist', notFound: true }
    ]
  ])('%#', (output, expected) => {
    expect(missingWheelFromUv(output)).toEqual(expected)
  })

  it('other failures are not a missing wheel', () => {
    expect(
      missingWheelFromUv('error: Failed to fetch: `https://pypi.org/simple/x/`')
    ).toBeUndefined()
  })
})

describe('nativeSources', () => {
  it.each([
    [['pkg-1/setup.py', 'pkg-1/pkg/__init__.py', 'pkg-1/PKG-INFO'], []],
    [['t-1/setup.py', 't-1/src/speed.c'], ['t-1/src/speed.c']],
    [
      ['t-1/x.pyx', 't-1/y.cpp', 't-1/Cargo.toml', 't-1/CMakeLists.txt', 't-1/meson.build'],
      ['t-1/x.pyx', 't-1/y.cpp', 't-1/Cargo.toml', 't-1/CMakeLists.txt', 't-1/meson.build']
    ],
    [['t-1/docs/cfile.txt', 't-1/notes.md'], []]
  ])('%j → %j', (names, expected) => {
    expect(nativeSources(names)).toEqual(expected)
  })

  it.each([
    [undefined, undefined],
    [[], undefined],
    [['1.0', '2.0'], '2.0']
  ])('newestListed(%j) = %s', (versions, expected) => {
    expect(newestListed(versions)).toBe(expected)
  })
})

describe('afterFailure', () => {
  const missing = (fields: Partial<MissingWheel>): MissingWheel => ({
    requirement: 'docopt==0.6.2',
    project: 'docopt',
    notFound: false,
    ...fields
  })
  it.each([
    ['no missing wheel in the output', undefined, [], 'fail'],
    ['the index does not know it', missing({ notFound: true }), [], 'not-found'],
    ['already built once', missing({ versionsWithWheels: [] }), ['docopt'], 'give-up'],
    ['the build budget is spent', missing({ versionsWithWheels: [] }), ['a', 'b'], 'give-up'],
    ['uv did not list versions', missing({}), [], 'probe'],
    ['pip listed none', missing({ versionsWithWheels: [] }), [], 'build'],
    ['pip listed some', missing({ versionsWithWheels: ['0.6.1'] }), ['other'], 'build']
  ] as const)('%s → %s', (_name, input, built, step) => {
    expect(afterFailure(input, new Set(built), 2).step).toBe(step)
  })
})

describe('hashMismatchesFromPip', () => {
  it("reads pip's hash report: the file it fetched and the sha256 it got", () => {
    const output = [
      "WARNING: Location 'file:///opt/pypi/simple/six/' is ignored",
      'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes.',
      '    six==1.16.0 from https://files.pythonhosted.org/packages/d9/5a/e7/six-1.16.0-py2.py3-none-any.whl (from -r /tmp/x/locked.txt (line 4)):',
      '        Expected sha256 0000000000000000000000000000000000000000000000000000000000000000',
      '        Expected     or 1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926',
      '             Got        8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254',
      ''
    ].join('\n')
    expect(hashMismatchesFromPip(output)).toEqual([
      {
        file: 'six-1.16.0-py2.py3-none-any.whl',
        project: 'six',
        sha256: '8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254'
      }
    ])
    expect(hashMismatchesFromPip('ERROR: No matching distribution found for six')).toEqual([])
  })
})
