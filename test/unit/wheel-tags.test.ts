import { describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import type { Architecture } from '../../src/lambda-facts.js'
import {
  checkWheels,
  isPurePythonWheel,
  manylinuxGlibc,
  normalizeProjectName,
  parseWheelName,
  wheelLoads,
  wheelProblems,
  wheelTag
} from '../../src/packaging/pep/wheel-tags.js'
import { runtimeNamed as rt } from '../helpers/runtimes.js'

describe('parseWheelName', () => {
  it.each([
    [
      'pydantic_core-2.50.4-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl',
      'pydantic-core',
      '2.50.4',
      undefined,
      ['cp311'],
      ['cp311'],
      ['manylinux_2_17_aarch64', 'manylinux2014_aarch64']
    ],
    [
      'six-1.17.0-py2.py3-none-any.whl',
      'six',
      '1.17.0',
      undefined,
      ['py2', 'py3'],
      ['none'],
      ['any']
    ],
    ['foo-1.0-1-py3-none-any.whl', 'foo', '1.0', '1', ['py3'], ['none'], ['any']],
    [
      'Foo.Bar-2.0-12abc-cp312-abi3-linux_x86_64.whl',
      'foo-bar',
      '2.0',
      '12abc',
      ['cp312'],
      ['abi3'],
      ['linux_x86_64']
    ],
    [
      '/abs/dir/numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'numpy',
      '2.2.6',
      undefined,
      ['cp311'],
      ['cp311'],
      ['manylinux_2_17_x86_64', 'manylinux2014_x86_64']
    ]
  ])('%s', (file, project, version, buildTag, python, abi, platform) => {
    const wheel = parseWheelName(file)
    expect(wheel).toMatchObject({
      project,
      version,
      pythonTags: python,
      abiTags: abi,
      platformTags: platform
    })
    expect(wheel?.buildTag).toBe(buildTag)
  })

  it.each([
    'six-1.17.0.tar.gz',
    'six-1.17.0-py3-none.whl',
    'a-b-c-d-e-f-g.whl',
    'foo-1.0-x1-py3-none-any.whl'
  ])('%s is not a wheel name', (file) => {
    expect(parseWheelName(file)).toBeUndefined()
  })

  it('wheelTag joins the tag sets back', () => {
    const wheel = parseWheelName('a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')
    expect(wheel && wheelTag(wheel)).toBe('cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64')
  })

  it.each([
    ['Pydantic_Core', 'pydantic-core'],
    ['zope.interface', 'zope-interface'],
    ['A__B--C..d', 'a-b-c-d']
  ])('normalizeProjectName(%s) = %s', (name, expected) => {
    expect(normalizeProjectName(name)).toBe(expected)
  })
})

describe('manylinuxGlibc', () => {
  it.each([
    ['manylinux1_x86_64', 5, 'x86_64'],
    ['manylinux2010_x86_64', 12, 'x86_64'],
    ['manylinux2014_aarch64', 17, 'aarch64'],
    ['manylinux_2_28_aarch64', 28, 'aarch64'],
    ['manylinux_2_34_x86_64', 34, 'x86_64']
  ])('%s → glibc 2.%i %s', (tag, glibcMinor, machine) => {
    expect(manylinuxGlibc(tag)).toEqual({ glibcMinor, machine })
  })
  it.each(['musllinux_1_2_x86_64', 'linux_x86_64', 'manylinux_3_1_x86_64', 'any'])(
    '%s → none',
    (tag) => {
      expect(manylinuxGlibc(tag)).toBeUndefined()
    }
  )
})

type Row = [string, string, Architecture, boolean, boolean, string]

describe('wheelLoads', () => {
  // file, runtime, architecture, allowLinuxWheels, loads, reason fragment
  it.each<Row>([
    // platform: any, and the manylinux ladder up to the runtime's glibc
    ['six-1.17.0-py2.py3-none-any.whl', 'python3.11', 'arm64', false, true, ''],
    ['a-1-py3-none-any.whl', 'python3.9', 'x86_64', false, true, ''],
    ['a-1-cp311-cp311-manylinux1_x86_64.whl', 'python3.11', 'x86_64', false, true, ''],
    ['a-1-cp311-cp311-manylinux2010_x86_64.whl', 'python3.11', 'x86_64', false, true, ''],
    ['a-1-cp311-cp311-manylinux2014_aarch64.whl', 'python3.11', 'arm64', false, true, ''],
    ['a-1-cp311-cp311-manylinux_2_26_x86_64.whl', 'python3.11', 'x86_64', false, true, ''],
    [
      'a-1-cp311-cp311-manylinux_2_27_x86_64.whl',
      'python3.11',
      'x86_64',
      false,
      false,
      'needs glibc 2.27'
    ],
    [
      'a-1-cp311-cp311-manylinux_2_28_aarch64.whl',
      'python3.11',
      'arm64',
      false,
      false,
      'needs glibc 2.28'
    ],
    ['a-1-cp312-cp312-manylinux_2_28_aarch64.whl', 'python3.12', 'arm64', false, true, ''],
    ['a-1-cp312-cp312-manylinux_2_34_x86_64.whl', 'python3.12', 'x86_64', false, true, ''],
    [
      'a-1-cp312-cp312-manylinux_2_35_x86_64.whl',
      'python3.12',
      'x86_64',
      false,
      false,
      'needs glibc 2.35'
    ],
    // one fitting tag in a compressed set is enough
    [
      'a-1-cp311-cp311-manylinux_2_28_x86_64.manylinux_2_17_x86_64.whl',
      'python3.11',
      'x86_64',
      false,
      true,
      ''
    ],
    // machine: arm64 is aarch64
    [
      'a-1-cp311-cp311-manylinux2014_x86_64.whl',
      'python3.11',
      'arm64',
      false,
      false,
      'built for x86_64, not arm64'
    ],
    [
      'a-1-cp311-cp311-manylinux2014_aarch64.whl',
      'python3.11',
      'x86_64',
      false,
      false,
      'built for aarch64'
    ],
    [
      'a-1-cp311-cp311-manylinux_2_17_arm64.whl',
      'python3.11',
      'arm64',
      false,
      false,
      'built for arm64, not arm64 (aarch64)'
    ],
    // never: musllinux, macosx, win, others
    ['a-1-cp311-cp311-musllinux_1_2_x86_64.whl', 'python3.11', 'x86_64', false, false, 'musl'],
    ['a-1-cp311-cp311-macosx_11_0_arm64.whl', 'python3.11', 'arm64', false, false, 'macOS'],
    ['a-1-cp311-cp311-win_amd64.whl', 'python3.11', 'x86_64', false, false, 'Windows'],
    [
      'a-1-cp311-cp311-android_21_arm64_v8a.whl',
      'python3.11',
      'arm64',
      false,
      false,
      'android_21_arm64_v8a'
    ],
    // linux_<arch> only when allowed, and only for the right machine
    ['a-1-cp311-cp311-linux_x86_64.whl', 'python3.11', 'x86_64', false, false, 'linux_* wheel'],
    ['a-1-cp311-cp311-linux_x86_64.whl', 'python3.11', 'x86_64', true, true, ''],
    ['a-1-cp311-cp311-linux_aarch64.whl', 'python3.11', 'arm64', true, true, ''],
    ['a-1-cp311-cp311-linux_x86_64.whl', 'python3.11', 'arm64', true, false, 'built for x86_64'],
    // ABI: the exact cp3XY, abi3 from an equal or older CPython, none
    [
      'a-1-cp312-cp312-manylinux2014_x86_64.whl',
      'python3.11',
      'x86_64',
      false,
      false,
      'cp312-cp312'
    ],
    [
      'a-1-cp310-cp310-manylinux2014_x86_64.whl',
      'python3.11',
      'x86_64',
      false,
      false,
      'CPython 3.11'
    ],
    ['a-1-cp38-abi3-manylinux2014_x86_64.whl', 'python3.11', 'x86_64', false, true, ''],
    ['a-1-cp311-abi3-manylinux2014_x86_64.whl', 'python3.11', 'x86_64', false, true, ''],
    ['a-1-cp312-abi3-manylinux2014_x86_64.whl', 'python3.11', 'x86_64', false, false, 'cp312-abi3'],
    [
      'a-1-cp313-cp313t-manylinux_2_34_x86_64.whl',
      'python3.13',
      'x86_64',
      false,
      false,
      'cp313-cp313t'
    ],
    ['a-1-cp311-none-manylinux2014_x86_64.whl', 'python3.11', 'x86_64', false, true, ''],
    ['a-1-py311-none-any.whl', 'python3.12', 'x86_64', false, true, ''],
    ['a-1-py313-none-any.whl', 'python3.12', 'x86_64', false, false, 'py313-none'],
    ['a-1-py2-none-any.whl', 'python3.12', 'x86_64', false, false, 'py2-none'],
    [
      'a-1-pp310-pypy310_pp73-manylinux2014_x86_64.whl',
      'python3.10',
      'x86_64',
      false,
      false,
      'pp310'
    ]
  ])(
    '%s on %s %s (linux wheels %s) loads: %s',
    (file, runtime, architecture, allowLinuxWheels, loads, reason) => {
      const wheel = parseWheelName(file)
      if (!wheel) throw new Error(file)
      const verdict = wheelLoads(wheel, rt(runtime), architecture, { allowLinuxWheels })
      expect(verdict.loads).toBe(loads)
      if (!verdict.loads) {
        expect(verdict.reason).toContain(reason)
        expect(verdict.fix).not.toBe('')
      }
    }
  )

  it('a too-new glibc names the runtime whose glibc fits', () => {
    const wheel = parseWheelName('a-1-cp311-cp311-manylinux_2_28_x86_64.whl')
    if (!wheel) throw new Error()
    const verdict = wheelLoads(wheel, rt('python3.11'), 'x86_64', { allowLinuxWheels: false })
    expect(verdict).toMatchObject({ loads: false })
    if (verdict.loads) return
    expect(verdict.reason).toContain('glibc 2.26')
    expect(verdict.reason).toContain("GLIBC_2.28' not found")
    expect(verdict.fix).toContain('manylinux_2_26 or older')
    expect(verdict.fix).toContain('python3.12')
    expect(verdict.fix).toContain('Amazon Linux 2023')
  })

  it('linux_* refusal names allow-linux-wheels', () => {
    const wheel = parseWheelName('a-1-cp311-cp311-linux_x86_64.whl')
    if (!wheel) throw new Error()
    const verdict = wheelLoads(wheel, rt('python3.11'), 'x86_64', { allowLinuxWheels: false })
    expect(!verdict.loads && verdict.fix).toContain('allow-linux-wheels')
  })
})

describe('isPurePythonWheel', () => {
  it.each([
    ['a-1-py3-none-any.whl', true],
    ['a-1-py2.py3-none-any.whl', true],
    ['a-1-py311-none-any.whl', true],
    ['a-1-py2-none-any.whl', false],
    ['a-1-cp311-none-any.whl', false],
    ['a-1-cp311-cp311-linux_x86_64.whl', false],
    ['a-1-py3-none-linux_x86_64.whl', false],
    ['a-1-cp38-abi3-manylinux2014_x86_64.whl', false]
  ])('%s: %s', (file, pure) => {
    const wheel = parseWheelName(file)
    if (!wheel) throw new Error(file)
    expect(isPurePythonWheel(wheel)).toBe(pure)
  })
})

describe('checkWheels', () => {
  const good = [
    'six-1.17.0-py2.py3-none-any.whl',
    'numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'
  ]

  it('passes a set that loads', () => {
    expect(() =>
      checkWheels(good, rt('python3.11'), 'x86_64', { allowLinuxWheels: false })
    ).not.toThrow()
  })

  it('throws one UserError listing every bad wheel with package, tag, runtime and way out', () => {
    const files = [
      ...good,
      'numpy-2.3.0-cp311-cp311-manylinux_2_28_x86_64.whl',
      'orjson-3.0-cp311-cp311-musllinux_1_2_x86_64.whl',
      'custom-1.0-cp311-cp311-linux_x86_64.whl',
      'README.txt'
    ]
    let error: unknown
    try {
      checkWheels(files, rt('python3.11'), 'x86_64', { allowLinuxWheels: false })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UserError)
    const message = (error as Error).message
    expect(message).toContain('4 wheel(s) will not load on python3.11 x86_64')
    expect(message).toContain('numpy 2.3.0 (cp311-cp311-manylinux_2_28_x86_64) needs glibc 2.28')
    expect(message).toContain('orjson 3.0 (cp311-cp311-musllinux_1_2_x86_64)')
    expect(message).toContain('custom 1.0 (cp311-cp311-linux_x86_64)')
    expect(message).toContain('allow-linux-wheels')
    expect(message).toContain('README.txt')
    expect(message).not.toContain('six')
  })

  it('wheelProblems returns each problem as data', () => {
    const problems = wheelProblems(
      ['a-1-cp311-cp311-manylinux_2_28_aarch64.whl'],
      rt('python3.11'),
      'arm64',
      { allowLinuxWheels: false }
    )
    expect(problems).toEqual([
      expect.objectContaining({
        project: 'a',
        version: '1',
        tag: 'cp311-cp311-manylinux_2_28_aarch64'
      })
    ])
  })
})
