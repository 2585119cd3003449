import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../src/lambda-facts.js'
import { checkSizeGates, contributors, uploadMethod } from '../../src/report/gate.js'
import { loadReport } from '../helpers/report-fixtures.js'

const lambdaLimit = { maxUnzippedSize: LIMITS.unzippedBytes }

describe('checkSizeGates', () => {
  it('passes within Lambda limits and no max-size', () => {
    expect(checkSizeGates(loadReport('pull-request'), lambdaLimit)).toEqual([])
  })

  it('passes a package exactly at the limit', () => {
    // x86_64 function zip: 18,901,234 bytes.
    expect(
      checkSizeGates(loadReport('pull-request'), { ...lambdaLimit, maxSize: 18_901_234 })
    ).toEqual([])
  })

  it('fails max-size by name, for the architecture over it only', () => {
    const failures = checkSizeGates(loadReport('pull-request'), {
      ...lambdaLimit,
      maxSize: 18_000_000
    })
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({
      input: 'max-size',
      architecture: 'x86_64',
      subject: 'function',
      size: 18_901_234,
      limit: 18_000_000
    })
    expect(failures[0]!.message).toBe(
      'max-size: x86_64 function zip is 18.9 MB (18,901,234 bytes) zipped, over the limit of 18.0 MB (18,000,000 bytes) by 901.2 kB. Biggest contributors, unzipped: numpy 2.2.6 (41.3 MB), pydantic_core 2.33.2 (5.12 MB), pydantic 2.11.7 (3.20 MB), orjson 3.10.18 (655.0 kB), typing_extensions 4.14.0 (112.3 kB). Way out: drop or replace the biggest, set slim: true, or raise max-size.'
    )
  })

  it('fails max-unzipped-size with the way to raise it up to Lambda', () => {
    const failures = checkSizeGates(loadReport('pull-request'), { maxUnzippedSize: 48_000_000 })
    expect(failures.map((f) => [f.input, f.architecture, f.subject, f.size])).toEqual([
      ['max-unzipped-size', 'x86_64', 'total', 50_451_190]
    ])
    expect(failures[0]!.message).toBe(
      'max-unzipped-size: x86_64 function + layer is 50.5 MB (50,451,190 bytes) unzipped, over the limit of 48.0 MB (48,000,000 bytes) by 2.45 MB. Biggest contributors, unzipped: numpy 2.2.6 (41.3 MB), pydantic_core 2.33.2 (5.12 MB), pydantic 2.11.7 (3.20 MB), orjson 3.10.18 (655.0 kB), typing_extensions 4.14.0 (112.3 kB). Way out: drop or replace the biggest, set slim: true, or raise max-unzipped-size (Lambda allows up to 262,144,000 bytes).'
    )
  })

  it("quotes Lambda's own error when its limit is the one exceeded", () => {
    const build = loadReport('layer-near-limit')
    build.architectures[0]!.packages.layer!.unzippedSize = 270_000_000
    const [failure] = checkSizeGates(build, lambdaLimit)
    expect(failure!.message).toBe(
      'max-unzipped-size: arm64 function + layer is 270.0 MB (270,009,800 bytes) unzipped, over the limit of 262.1 MB (250 MiB, 262,144,000 bytes) by 7.87 MB. Biggest contributors, unzipped: scipy 1.15.3 (98.5 MB), pandas 2.3.0 (70.1 MB), numpy 2.2.6 (38.9 MB), pyarrow 20.0.0 (25.6 MB), numexpr 2.11.0 (4.10 MB). Way out: Lambda refuses this too ("Unzipped size must be smaller than 262144000 bytes"): drop or replace the biggest, set slim: true, or ship a container image instead.'
    )
  })

  it('checks the layer zip and the function zip each against max-size', () => {
    const failures = checkSizeGates(loadReport('layer-near-limit'), {
      ...lambdaLimit,
      maxSize: 4_000
    })
    expect(failures.map((f) => [f.subject, f.size])).toEqual([
      ['function', 4_500],
      ['layer', 61_234_567]
    ])
    // The function zip of a layer package holds the handler code alone.
    expect(failures[0]!.message).toContain('Biggest contributors, unzipped: handler code (9.8 kB).')
  })

  it('reports every architecture and gate that fails', () => {
    const failures = checkSizeGates(loadReport('pull-request'), {
      maxSize: 1_000_000,
      maxUnzippedSize: 1_000_000
    })
    expect(failures.map((f) => `${f.input} ${f.architecture}`)).toEqual([
      'max-size arm64',
      'max-unzipped-size arm64',
      'max-size x86_64',
      'max-unzipped-size x86_64'
    ])
  })
})

describe('contributors', () => {
  const zip = loadReport('pull-request').architectures[0]!
  const layer = loadReport('layer-near-limit').architectures[0]!

  it.each([
    ['zip package, function', zip, 'function' as const, 7, 'numpy'],
    ['zip package, total', zip, 'total' as const, 7, 'numpy'],
    ['layer package, function', layer, 'function' as const, 1, 'handler code'],
    ['layer package, layer', layer, 'layer' as const, 13, 'scipy'],
    ['layer package, total', layer, 'total' as const, 14, 'scipy']
  ])('%s: %d contributors, %s first', (_label, arch, subject, count, first) => {
    const list = contributors(arch, subject)
    expect(list).toHaveLength(count)
    expect(list[0]!.name).toBe(first)
    expect(list.map((c) => c.unzippedSize)).toEqual(
      [...list.map((c) => c.unzippedSize)].sort((a, b) => b - a)
    )
  })
})

describe('uploadMethod', () => {
  it.each([
    [1, 'direct'],
    [LIMITS.directUploadBytes, 'direct'],
    [LIMITS.directUploadBytes + 1, 's3'],
    [LIMITS.requestBytes, 's3']
  ])('%d bytes zipped goes %s', (size, method) => {
    expect(uploadMethod(size)).toBe(method)
  })
})
