import { describe, expect, it } from 'vitest'
import {
  missingWheelFromPip,
  missingWheelFromUv,
  nativeSources,
  newestListed
} from '../../src/packaging/resolve/sdist.js'

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
