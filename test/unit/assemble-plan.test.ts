import { describe, expect, it } from 'vitest'
import {
  installedName,
  parseWheelFileName,
  planPackages,
  type PlanRequest,
  type WheelEntryInput
} from '../../src/packaging/assemble/assemble.js'
import type { SourceFile } from '../../src/packaging/assemble/source-files.js'
import { UserError } from '../../src/errors.js'

const FILE = (0o100644 << 16) >>> 0
const EXECUTABLE = (0o100755 << 16) >>> 0

function entry(name: string, uncompressedSize = 10, externalAttributes = FILE): WheelEntryInput {
  return { name, uncompressedSize, externalAttributes }
}

function wheel(file: string, names: string[]) {
  return { wheel: `/wheels/${file}`, entries: names.map((name) => entry(name)) }
}

function source(relativePath: string, size = 5, executable = false): SourceFile {
  return { relativePath, absolutePath: `/src/${relativePath}`, size, executable }
}

function plan(request: Partial<PlanRequest<WheelEntryInput>>) {
  return planPackages<WheelEntryInput>({
    wheels: [],
    sourceFiles: [],
    slim: false,
    packageType: 'zip',
    ...request
  })
}

const names = (entries: { name: string }[]) => entries.map((e) => e.name)

describe('parseWheelFileName', () => {
  it.each([
    ['numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy', '2.1.0'],
    ['/abs/pydantic_core-2.27.1-cp311-cp311-manylinux_2_17_aarch64.whl', 'pydantic_core', '2.27.1'],
    ['Foo.Bar-1.0-1build-py3-none-any.whl', 'foo_bar', '1.0'],
    ['typing_extensions-4.12.2-py3-none-any.whl', 'typing_extensions', '4.12.2']
  ])('%s → %s %s', (file, name, version) => {
    expect(parseWheelFileName(file)).toEqual({ name, version })
  })

  it.each(['numpy.tar.gz', 'numpy-2.1.0.whl', 'a-b-c-d-e-f-g.whl'])('refuses %s', (file) => {
    expect(() => parseWheelFileName(file)).toThrow(UserError)
  })
})

describe('installedName: where pip --target puts a wheel entry', () => {
  const distInfo = 'demo-1.0.dist-info'
  it.each<[string, boolean, string | undefined]>([
    ['demo/__init__.py', false, 'demo/__init__.py'],
    [
      'demo/_core.cpython-311-x86_64-linux-gnu.so',
      false,
      'demo/_core.cpython-311-x86_64-linux-gnu.so'
    ],
    ['demo-1.0.dist-info/METADATA', false, 'demo-1.0.dist-info/METADATA'],
    ['demo-1.0.dist-info/RECORD', false, 'demo-1.0.dist-info/RECORD'],
    ['demo-1.0.dist-info/licenses/LICENSE', false, 'demo-1.0.dist-info/licenses/LICENSE'],
    ['demo-1.0.data/purelib/demo_extra/x.py', false, 'demo_extra/x.py'],
    ['demo-1.0.data/platlib/demo/_c.so', false, 'demo/_c.so'],
    ['demo-1.0.data/data/share/demo/config.json', false, 'share/demo/config.json'],
    ['demo-1.0.data/scripts/demo-cli', false, undefined],
    ['demo-1.0.data/headers/demo.h', false, undefined],
    ['demo/', false, undefined],
    ['demo/__pycache__/x.cpython-311.pyc', false, undefined],
    ['demo/old.pyc', false, undefined],
    ['demo-1.0.dist-info/INSTALLER', false, undefined],
    ['demo-1.0.dist-info/REQUESTED', false, undefined],
    ['demo-1.0.dist-info/direct_url.json', false, undefined],
    // Bookkeeping names elsewhere are ordinary files.
    ['demo/INSTALLER', false, 'demo/INSTALLER'],
    // A folder merely ending in .data is not the wheel's data folder.
    ['other-2.0.data/purelib/x.py', false, 'other-2.0.data/purelib/x.py'],
    // slim
    ['demo/tests/test_x.py', false, 'demo/tests/test_x.py'],
    ['demo/tests/test_x.py', true, undefined],
    ['demo/sub/test/data.csv', true, undefined],
    ['demo/testing/helpers.py', true, 'demo/testing/helpers.py'],
    ['demo/tests.py', true, 'demo/tests.py'],
    ['demo/test', true, 'demo/test'],
    ['tests/__init__.py', true, 'tests/__init__.py'],
    ['demo-1.0.data/purelib/demo/tests/t.py', true, undefined],
    ['demo/__init__.pyi', true, undefined],
    ['demo/py.typed', true, 'demo/py.typed'],
    ['demo/src/fast.c', true, undefined],
    ['demo/include/demo.h', true, undefined],
    ['demo/src/fast.cpp', true, undefined],
    ['demo/src/fast.hpp', true, undefined],
    ['demo/_fast.pyx', true, undefined],
    ['demo/_fast.pxd', true, undefined],
    ['demo/_fast.pxi', true, undefined],
    ['demo/_fast.pyx', false, 'demo/_fast.pyx'],
    ['demo-1.0.dist-info/tests/x.pyi', true, 'demo-1.0.dist-info/tests/x.pyi']
  ])('%s (slim %s) → %s', (name, slim, expected) => {
    expect(installedName('demo-1.0-py3-none-any.whl', distInfo, name, slim)).toBe(expected)
  })

  it.each([
    ['/etc/passwd', 'absolute path'],
    ['\\windows\\x.py', 'absolute path'],
    ['C:/x.py', 'absolute path'],
    ['../outside.py', "'..' segment"],
    ['demo/../../outside.py', "'..' segment"],
    ['demo\\..\\..\\outside.py', "'..' segment"],
    ['demo-1.0.data/purelib/../../x.py', "'..' segment"]
  ])('refuses %s (%s), naming wheel and entry', (name, problem) => {
    const call = () => installedName('/w/demo-1.0-py3-none-any.whl', distInfo, name, false)
    expect(call).toThrow(UserError)
    expect(call).toThrow(problem)
    expect(call).toThrow(`demo-1.0-py3-none-any.whl: entry ${JSON.stringify(name)}`)
  })

  it.each([
    ['./demo/x.py', 'demo/x.py'],
    ['demo//x.py', 'demo/x.py'],
    ['demo/./x.py', 'demo/x.py'],
    ['demo-1.0.data/purelib/./demo/x.py', 'demo/x.py']
  ])('folds %s to %s, the name extractors write', (name, expected) => {
    expect(installedName('w.whl', distInfo, name, false)).toBe(expected)
  })

  it.each([
    ['.', 'names no file'],
    ['', 'names no file'],
    ['./.', 'names no file'],
    [`demo/${'é'.repeat(128)}.py`, 'over 255 bytes'],
    ['demo-1.0.data/purelib/\\x', 'installs as "\\\\x", which is an absolute path'],
    ['demo-1.0.data/platlib/C:/x', 'installs as "C:/x", which is an absolute path'],
    ['demo-1.0.data/purelib//tmp/x', 'installs as "/tmp/x", which is an absolute path']
  ])('refuses %j (%s), naming wheel and entry', (name, problem) => {
    const call = () => installedName('/w/demo-1.0-py3-none-any.whl', distInfo, name, false)
    expect(call).toThrow(UserError)
    expect(call).toThrow(problem)
    expect(call).toThrow(`demo-1.0-py3-none-any.whl: entry ${JSON.stringify(name)}`)
  })

  it('keeps names with harmless dots', () => {
    expect(installedName('w.whl', distInfo, 'demo/..hidden/x..py', false)).toBe(
      'demo/..hidden/x..py'
    )
  })

  it('refuses an unknown scheme under .data/', () => {
    expect(() => installedName('w.whl', distInfo, 'demo-1.0.data/lib/x.py', false)).toThrow(
      /unknown install scheme 'lib'/
    )
  })
})

describe('planPackages', () => {
  const numpy = wheel('numpy-2.1.0-cp311-cp311-manylinux2014_x86_64.whl', [
    'numpy/__init__.py',
    'numpy/core/tests/test_a.py',
    'numpy/core/include/numpy/x.h',
    'numpy-2.1.0.dist-info/METADATA',
    'numpy-2.1.0.dist-info/RECORD',
    'numpy-2.1.0.data/scripts/f2py'
  ])
  const six = wheel('six-1.16.0-py2.py3-none-any.whl', [
    'six.py',
    'six-1.16.0.dist-info/METADATA',
    'six-1.16.0.dist-info/RECORD',
    'six-1.16.0.dist-info/INSTALLER'
  ])

  it('puts code and dependencies at the root of one zip, sorted by UTF-8 bytes', () => {
    const result = plan({ wheels: [six, numpy], sourceFiles: [source('app.py'), source('Zed.py')] })
    expect(names(result.function)).toEqual([
      'Zed.py',
      'app.py',
      'numpy-2.1.0.dist-info/METADATA',
      'numpy-2.1.0.dist-info/RECORD',
      'numpy/__init__.py',
      'numpy/core/include/numpy/x.h',
      'numpy/core/tests/test_a.py',
      'six-1.16.0.dist-info/METADATA',
      'six-1.16.0.dist-info/RECORD',
      'six.py'
    ])
    expect(result.layer).toBeUndefined()
    expect(result.codeUnzippedSize).toBe(10)
    expect(result.warnings).toEqual([])
  })

  it('finds the one .dist-info beside a top-level folder of any name length (starlette)', () => {
    // `starlette/` is as long as `.dist-info` less one: a folder length once mistaken for a match.
    const starlette = wheel('starlette-0.41.3-py3-none-any.whl', [
      'starlette/__init__.py',
      'starlette-0.41.3.dist-info/METADATA',
      'starlette-0.41.3.dist-info/licenses/LICENSE.md'
    ])
    for (const top of ['a', 'starlette', 'dist-info', 'x.dist-inf', 'abcdefghijk']) {
      const other = wheel('pkg-1-py3-none-any.whl', [`${top}/m.py`, 'pkg-1.dist-info/METADATA'])
      expect(names(plan({ wheels: [other], sourceFiles: [] }).function)).toContain(`${top}/m.py`)
    }
    expect(names(plan({ wheels: [starlette], sourceFiles: [] }).function)).toEqual([
      'starlette-0.41.3.dist-info/METADATA',
      'starlette-0.41.3.dist-info/licenses/LICENSE.md',
      'starlette/__init__.py'
    ])
  })

  it('layer: dependencies under python/ in the layer, code alone in the function zip', () => {
    const result = plan({
      wheels: [numpy, six],
      sourceFiles: [source('app.py')],
      packageType: 'layer'
    })
    expect(names(result.function)).toEqual(['app.py'])
    expect(names(result.layer ?? [])).toEqual([
      'python/numpy-2.1.0.dist-info/METADATA',
      'python/numpy-2.1.0.dist-info/RECORD',
      'python/numpy/__init__.py',
      'python/numpy/core/include/numpy/x.h',
      'python/numpy/core/tests/test_a.py',
      'python/six-1.16.0.dist-info/METADATA',
      'python/six-1.16.0.dist-info/RECORD',
      'python/six.py'
    ])
  })

  it('slim drops dependency tests and C headers, never the handler code', () => {
    const result = plan({
      wheels: [numpy],
      sourceFiles: [source('tests/test_app.py'), source('app.pyi'), source('lib/tests/x.py')],
      slim: true
    })
    expect(names(result.function)).toEqual([
      'app.pyi',
      'lib/tests/x.py',
      'numpy-2.1.0.dist-info/METADATA',
      'numpy-2.1.0.dist-info/RECORD',
      'numpy/__init__.py',
      'tests/test_app.py'
    ])
  })

  it('takes the executable bit from the wheel entry and from the source file', () => {
    const tool = {
      wheel: '/w/tool-1.0-py3-none-any.whl',
      entries: [
        entry('tool/run.sh', 10, EXECUTABLE),
        entry('tool/lib.py'),
        entry('tool-1.0.dist-info/METADATA')
      ]
    }
    const result = plan({ wheels: [tool], sourceFiles: [source('start.sh', 5, true)] })
    expect(result.function.map((e) => [e.name, e.executable])).toEqual([
      ['start.sh', true],
      ['tool-1.0.dist-info/METADATA', false],
      ['tool/lib.py', false],
      ['tool/run.sh', true]
    ])
  })

  it('resolves a file two distributions install as pip would: the later wheel by file name wins', () => {
    const a = {
      wheel: '/w/aaa-1.0-py3-none-any.whl',
      entries: [entry('shared/x.py', 1), entry('aaa-1.0.dist-info/METADATA', 1)]
    }
    const b = {
      wheel: '/w/bbb-1.0-py3-none-any.whl',
      entries: [entry('shared/x.py', 2), entry('bbb-1.0.dist-info/METADATA', 1)]
    }
    for (const order of [
      [a, b],
      [b, a]
    ]) {
      const result = plan({ wheels: order })
      const shared = result.function.find((e) => e.name === 'shared/x.py')
      expect(shared?.from === 'wheel' && shared.wheel).toBe('/w/bbb-1.0-py3-none-any.whl')
      expect(result.warnings).toEqual([
        'shared/x.py is installed by both aaa-1.0-py3-none-any.whl and bbb-1.0-py3-none-any.whl; the file from bbb-1.0-py3-none-any.whl is kept, as pip would.'
      ])
      expect(result.distributions).toEqual([
        { name: 'bbb', version: '1.0', unzippedSize: 3, files: 2 },
        { name: 'aaa', version: '1.0', unzippedSize: 1, files: 1 }
      ])
    }
  })

  it('lets handler code win over a dependency file of the same name, with a warning', () => {
    const result = plan({ wheels: [six], sourceFiles: [source('six.py', 99)] })
    const six_ = result.function.filter((e) => e.name === 'six.py')
    expect(six_).toHaveLength(1)
    expect(six_[0]?.from).toBe('source')
    expect(result.warnings).toEqual([
      'six.py in source replaces the file of the same name from six-1.16.0-py2.py3-none-any.whl; the handler code wins.'
    ])
  })

  it('reports each distribution’s size, biggest first, and the code’s own size', () => {
    const big = {
      wheel: '/w/big-2.0-cp311-cp311-manylinux2014_x86_64.whl',
      entries: [
        entry('big/a.so', 1000),
        entry('big-2.0.dist-info/METADATA', 50),
        entry('big/__pycache__/a.pyc', 7)
      ]
    }
    const result = plan({
      wheels: [six, big],
      sourceFiles: [source('app.py', 7), source('b.py', 8)]
    })
    expect(result.distributions).toEqual([
      { name: 'big', version: '2.0', unzippedSize: 1050, files: 2 },
      { name: 'six', version: '1.16.0', unzippedSize: 30, files: 3 }
    ])
    expect(result.codeUnzippedSize).toBe(15)
  })

  it.each([
    ['other-1.0.dist-info/METADATA', /its .dist-info folder other-1.0.dist-info is not x's/],
    ['x-1.0.dist-info/RECORD', /no x-1.0.dist-info\/METADATA/]
  ])('refuses, as pip does, a wheel whose only .dist-info has %s', (name, problem) => {
    const call = () => plan({ wheels: [wheel('x-1.0-py3-none-any.whl', [name, 'x.py'])] })
    expect(call).toThrow(problem)
    expect(call).toThrow(/^x-1.0-py3-none-any.whl: not a valid wheel/)
  })

  it('refuses a wheel without exactly one .dist-info folder', () => {
    expect(() => plan({ wheels: [wheel('x-1.0-py3-none-any.whl', ['x.py'])] })).toThrow(
      /x-1.0-py3-none-any.whl: not a valid wheel \(no .dist-info folder\)/
    )
    expect(() =>
      plan({
        wheels: [
          wheel('x-1.0-py3-none-any.whl', ['x-1.0.dist-info/RECORD', 'y-1.0.dist-info/RECORD'])
        ]
      })
    ).toThrow(/more than one .dist-info folder/)
  })

  it('refuses an unsafe entry anywhere in a wheel', () => {
    expect(() =>
      plan({
        wheels: [
          wheel('x-1.0-py3-none-any.whl', ['x-1.0.dist-info/METADATA', 'x/../../../etc/cron.d/x'])
        ]
      })
    ).toThrow(/x-1.0-py3-none-any.whl: entry "x\/..\/..\/..\/etc\/cron.d\/x" has a '..' segment/)
  })

  describe('names that extract to one place', () => {
    const demo = (names: string[]) =>
      wheel('demo-1.0-py3-none-any.whl', ['demo-1.0.dist-info/METADATA', ...names])

    it('./app.py in a wheel is the handler’s app.py: the handler wins, with the usual warning', () => {
      const result = plan({ wheels: [demo(['./app.py'])], sourceFiles: [source('app.py')] })
      expect(result.function.filter((e) => e.name === 'app.py').map((e) => e.from)).toEqual([
        'source'
      ])
      expect(result.warnings).toEqual([
        'app.py in source replaces the file of the same name from demo-1.0-py3-none-any.whl; the handler code wins.'
      ])
    })

    it('repeats warn once per wheel, with a count', () => {
      const copies = Array.from({ length: 500 }, () => 'demo/x.py')
      const result = plan({ wheels: [demo(['demo/x.py', 'demo/./y.py', 'demo//y.py', ...copies])] })
      expect(result.warnings).toEqual([
        '501 entries of demo-1.0-py3-none-any.whl repeat a name it already holds (the first: demo/y.py); the last copy of each name is kept, as pip does.'
      ])
      expect(names(result.function)).toEqual([
        'demo-1.0.dist-info/METADATA',
        'demo/x.py',
        'demo/y.py'
      ])
    })

    it.each<[string, string[], string[], RegExp]>([
      [
        'a wheel file and a wheel folder',
        ['demo/a', 'demo/a/b.py'],
        [],
        /demo\/a \(from demo-1.0-py3-none-any.whl\) is a file, but demo\/a\/b.py/
      ],
      [
        'the handler’s file and a wheel folder',
        ['app.py/evil.py'],
        ['app.py'],
        /app.py \(from the handler code\) is a file, but app.py\/evil.py \(from demo-1.0/
      ],
      [
        'a wheel file and the handler’s folder',
        ['lib'],
        ['lib/util.py'],
        /lib \(from demo-1.0-py3-none-any.whl\) is a file, but lib\/util.py \(from the handler code\)/
      ]
    ])('refuses %s of one name', (_what, wheelNames, sourceNames, message) => {
      const call = () =>
        plan({ wheels: [demo(wheelNames)], sourceFiles: sourceNames.map((n) => source(n)) })
      expect(call).toThrow(UserError)
      expect(call).toThrow(message)
    })

    it('refuses a layer whose entries conflict, under python/', () => {
      expect(() =>
        plan({ wheels: [demo(['demo/a', 'demo/a/b.py'])], packageType: 'layer' })
      ).toThrow(/python\/demo\/a \(from demo-1.0-py3-none-any.whl\) is a file/)
    })
  })

  describe('the planned size, before anything is written', () => {
    it('refuses more than Lambda’s unzipped limit, naming the biggest distributions', () => {
      const big = {
        wheel: '/wheels/big-1.0-py3-none-any.whl',
        entries: [entry('big-1.0.dist-info/METADATA'), entry('big/x.bin', 262_144_000)]
      }
      expect(() => plan({ wheels: [big], sourceFiles: [source('app.py')] })).toThrow(
        /^The package would be 262.1 MB \(262,144,015 bytes\) unzipped, over Lambda's limit .* Biggest contributors, unzipped: big 1.0 \(262.1 MB\), code \(5 B\)/
      )
    })

    it('refuses more than 65,535 files', () => {
      const many = wheel('many-1.0-py3-none-any.whl', [
        'many-1.0.dist-info/METADATA',
        ...Array.from({ length: 65_535 }, (_, i) => `many/m${i}.py`)
      ])
      expect(() => plan({ wheels: [many] })).toThrow(
        /function.zip: the plan holds 65536 files, more than the 65,535/
      )
    })

    it('refuses a package past 4 GiB zipped, from the entries’ compressed sizes', () => {
      const stuffed = {
        wheel: '/wheels/stuffed-1.0-py3-none-any.whl',
        entries: [
          entry('stuffed-1.0.dist-info/METADATA'),
          ...[1, 2].map((i) => ({ ...entry(`stuffed/${i}.bin`, 10), compressedSize: 2 ** 31 }))
        ]
      }
      expect(() => plan({ wheels: [stuffed] })).toThrow(
        /function.zip: the package would pass 4 GiB/
      )
    })
  })
})
