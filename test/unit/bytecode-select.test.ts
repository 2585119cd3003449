// Which modules get a .pyc, where it goes, and the limits it must keep (src/packaging/bytecode/select.ts).
import { describe, expect, it } from 'vitest'
import {
  bytecodeSelections,
  chooseSelection,
  COMFORTABLE_GROWTH,
  isPythonSource,
  lambdaSourcePath,
  limitProblem,
  pycEntryName,
  PYC_BYTES_PER_SOURCE_BYTE,
  sizesWith,
  type AddedEntry,
  type PackageSizes,
  type PythonSource,
  type Selection
} from '../../src/packaging/bytecode/select.js'
import { LIMITS } from '../../src/lambda-facts.js'

describe('where a .pyc goes', () => {
  it.each([
    ['app.py', 'cpython-312', '__pycache__/app.cpython-312.pyc'],
    ['pkg/__init__.py', 'cpython-39', 'pkg/__pycache__/__init__.cpython-39.pyc'],
    ['numpy/_core/numeric.py', 'cpython-313', 'numpy/_core/__pycache__/numeric.cpython-313.pyc'],
    ['python/attr/_make.py', 'cpython-311', 'python/attr/__pycache__/_make.cpython-311.pyc'],
    ['a.b.py', 'cpython-310', '__pycache__/a.b.cpython-310.pyc']
  ])('%s → %s', (name, tag, pyc) => {
    expect(pycEntryName(name, tag)).toBe(pyc)
  })

  it.each([
    ['function', 'app.py', '/var/task/app.py'],
    ['function', 'pkg/mod.py', '/var/task/pkg/mod.py'],
    ['layer', 'python/attr/_make.py', '/opt/python/attr/_make.py']
  ] as const)('%s entry %s is %s on Lambda', (pkg, name, path) => {
    expect(lambdaSourcePath(pkg, name)).toBe(path)
  })

  it.each([
    ['app.py', true],
    ['pkg/mod.py', true],
    ['python/pkg/mod.py', true],
    ['pkg/data.pyi', false],
    ['pkg/mod.pyc', false],
    ['pkg/.py', false],
    ['pkg-1.0.dist-info/entry.py', false],
    ['pkg/__pycache__/mod.py', false],
    ['README.md', false]
  ])('%s is a module source: %s', (name, expected) => {
    expect(isPythonSource(name)).toBe(expected)
  })
})

const sources: PythonSource[] = [
  { package: 'function', name: 'app.py', size: 1_000 },
  { package: 'function', name: 'helpers/util.py', size: 2_000 },
  { package: 'function', name: 'dep/__init__.py', size: 10_000 },
  { package: 'function', name: 'dep/core.py', size: 50_000 },
  { package: 'function', name: 'dep/rarely.py', size: 400_000 }
]
const names = (selections: Selection[]) =>
  selections.map((s) => [s.compiled, s.sources.map((x) => x.name)])
const loaded = { function: ['app.py', 'dep/__init__.py', 'dep/core.py', 'dep/_ext.so'], layer: [] }
const codeFiles = ['app.py', 'helpers/util.py', 'config.json']
const allSourceBytes = sources.reduce((n, s) => n + s.size, 0)
/** A package so big that bytecode for every module stays under the comfortable growth. */
const roomyPackage = (allSourceBytes * PYC_BYTES_PER_SOURCE_BYTE) / COMFORTABLE_GROWTH + 1

describe('bytecodeSelections', () => {
  it('imported: what the import loaded plus the handler’s own code, never unloaded dependencies', () => {
    expect(
      names(bytecodeSelections({ mode: 'imported', sources, loaded, codeFiles, unzippedSize: 1e6 }))
    ).toEqual([['imported', ['app.py', 'helpers/util.py', 'dep/__init__.py', 'dep/core.py']]])
  })

  it('imported: everything first when that adds little to the package', () => {
    const selections = bytecodeSelections({
      mode: 'imported',
      sources,
      loaded,
      codeFiles,
      unzippedSize: roomyPackage
    })
    expect(selections.map((s) => s.compiled)).toEqual(['all', 'imported'])
  })

  it('imported with no import to learn from: everything', () => {
    expect(
      names(bytecodeSelections({ mode: 'imported', sources, codeFiles, unzippedSize: 1e6 }))
    ).toEqual([['all', sources.map((s) => s.name)]])
  })

  it('all: everything, then what the import loaded as the fallback', () => {
    const selections = bytecodeSelections({
      mode: 'all',
      sources,
      loaded,
      codeFiles,
      unzippedSize: 1e6
    })
    expect(selections.map((s) => [s.compiled, s.sources.length])).toEqual([
      ['all', 5],
      ['imported', 4]
    ])
  })

  it('one selection when the import loaded every module', () => {
    const everything = { function: sources.map((s) => s.name), layer: [] }
    expect(
      bytecodeSelections({
        mode: 'all',
        sources,
        loaded: everything,
        codeFiles,
        unzippedSize: 1e6
      }).map((s) => s.compiled)
    ).toEqual(['all'])
  })

  it('none, or nothing to compile: no selection', () => {
    expect(
      bytecodeSelections({ mode: 'none', sources, loaded, codeFiles, unzippedSize: 1e6 })
    ).toEqual([])
    expect(
      bytecodeSelections({ mode: 'all', sources: [], loaded, codeFiles, unzippedSize: 1e6 })
    ).toEqual([])
  })

  it('layer modules are chosen by the layer’s own loaded list', () => {
    const layered: PythonSource[] = [
      { package: 'function', name: 'app.py', size: 100 },
      { package: 'layer', name: 'python/dep/__init__.py', size: 100 },
      { package: 'layer', name: 'python/dep/unused.py', size: 100_000 }
    ]
    expect(
      names(
        bytecodeSelections({
          mode: 'imported',
          sources: layered,
          loaded: { function: ['app.py'], layer: ['python/dep/__init__.py'] },
          codeFiles: ['app.py'],
          unzippedSize: 1e5
        })
      )
    ).toEqual([['imported', ['app.py', 'python/dep/__init__.py']]])
  })
})

const MB = 1_000_000
const zip = (size: number, unzippedSize: number, entries = 100) => ({ size, unzippedSize, entries })
const pyc = (
  bytes: number,
  zipped: number,
  pkg: 'function' | 'layer' = 'function'
): AddedEntry => ({
  package: pkg,
  name: 'pkg/__pycache__/m.cpython-312.pyc',
  compressedSize: zipped,
  uncompressedSize: bytes
})
const lambdaLimits = { maxUnzippedSize: LIMITS.unzippedBytes }

describe('limitProblem', () => {
  it('counts headers and data into the zipped size, bytes into the unzipped one', () => {
    const after = sizesWith({ function: zip(10, 20, 1) }, [pyc(100, 40)])
    // 30 + 46 + 2 × 33 bytes of name.
    expect(after).toEqual({ function: { size: 10 + 40 + 142, unzippedSize: 120, entries: 2 } })
  })

  it.each<
    [
      string,
      PackageSizes,
      AddedEntry[],
      { maxSize?: number; maxUnzippedSize: number },
      RegExp | undefined
    ]
  >([
    ['fits', { function: zip(10 * MB, 40 * MB) }, [pyc(5 * MB, 2 * MB)], lambdaLimits, undefined],
    [
      "over Lambda's unzipped limit",
      { function: zip(40 * MB, 250 * MB) },
      [pyc(20 * MB, 1 * MB)],
      lambdaLimits,
      /^function \+ layer 270\.0 MB \(270,000,000 bytes\) unzipped, over Lambda's limit of 262\.1 MB \(250 MiB, 262,144,000 bytes\)$/
    ],
    [
      'over max-unzipped-size',
      { function: zip(10 * MB, 40 * MB) },
      [pyc(5 * MB, 2 * MB)],
      { maxUnzippedSize: 42 * MB },
      /over max-unzipped-size of 42\.0 MB/
    ],
    [
      'function and layer together',
      { function: zip(1 * MB, 2 * MB), layer: zip(10 * MB, 39 * MB) },
      [pyc(2 * MB, 1 * MB, 'layer')],
      { maxUnzippedSize: 42 * MB },
      /^function \+ layer 43\.0 MB/
    ],
    [
      'over max-size',
      { function: zip(10 * MB, 40 * MB) },
      [pyc(5 * MB, 2 * MB)],
      { maxSize: 11 * MB, maxUnzippedSize: LIMITS.unzippedBytes },
      /^function\.zip 12\.0 MB .* zipped, over max-size/
    ],
    [
      'past the direct upload limit',
      { function: zip(51 * MB, 100 * MB) },
      [pyc(5 * MB, 2 * MB)],
      lambdaLimits,
      /^function\.zip 53\.0 MB .* zipped, past the 52\.4 MB \(50 MiB, 52,428,800 bytes\) Lambda takes in a direct upload$/
    ],
    [
      'already past the direct upload limit: S3 either way',
      { function: zip(60 * MB, 100 * MB) },
      [pyc(5 * MB, 2 * MB)],
      lambdaLimits,
      undefined
    ],
    [
      'layer past the direct upload limit',
      { function: zip(1 * MB, 1 * MB), layer: zip(52 * MB, 100 * MB) },
      [pyc(5 * MB, 1 * MB, 'layer')],
      lambdaLimits,
      /^layer\.zip /
    ],
    [
      'more entries than a zip holds',
      { function: zip(1 * MB, 1 * MB, 65_535) },
      [pyc(100, 50)],
      lambdaLimits,
      /^function\.zip 65536 files, more than the 65535/
    ]
  ])('%s', (_, before, added, limits, problem) => {
    const found = limitProblem(before, added, limits)
    if (problem === undefined) expect(found).toBeUndefined()
    else expect(found).toMatch(problem)
  })

  it('with nothing added, says whether the package is over a limit already', () => {
    expect(limitProblem({ function: zip(1, 40 * MB) }, [], { maxUnzippedSize: 30 * MB })).toMatch(
      /over max-unzipped-size/
    )
    expect(limitProblem({ function: zip(1, 40 * MB) }, [], lambdaLimits)).toBeUndefined()
  })
})

describe('chooseSelection', () => {
  const all: Selection = { compiled: 'all', sources }
  const imported: Selection = { compiled: 'imported', sources: sources.slice(0, 4) }
  const added = (selection: Selection): AddedEntry[] =>
    selection.sources.map((s) => pyc(s.size * 1.2, s.size * 0.4))

  it('ships the first selection that fits', () => {
    const choice = chooseSelection([all, imported], added, { function: zip(MB, MB) }, lambdaLimits)
    expect(choice.selection).toBe(all)
    expect(choice.passedOver).toEqual([])
  })

  it('falls back to what the handler imports, saying which limit everything would break', () => {
    const choice = chooseSelection(
      [all, imported],
      added,
      { function: zip(MB, MB) },
      {
        maxUnzippedSize: MB + 100_000
      }
    )
    expect(choice.selection).toBe(imported)
    expect(choice.added).toHaveLength(4)
    expect(choice.passedOver).toEqual([
      expect.stringMatching(
        /^bytecode for every module \(5 files, \+555\.6 kB unzipped\): function \+ layer 1\.56 MB \(1,555,600 bytes\) unzipped, over max-unzipped-size/
      )
    ])
  })

  it('ships none when nothing fits', () => {
    const choice = chooseSelection(
      [all, imported],
      added,
      { function: zip(MB, MB) },
      {
        maxUnzippedSize: MB + 1_000
      }
    )
    expect(choice.selection).toBeUndefined()
    expect(choice.added).toEqual([])
    expect(choice.passedOver).toHaveLength(2)
    expect(choice.passedOver[1]).toMatch(/^bytecode for the modules the handler imports at init/)
  })
})
