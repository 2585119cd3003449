import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import { LIMITS } from '../../src/lambda-facts.js'
import {
  formatBytes,
  formatDelta,
  formatDuration,
  formatExact,
  formatPercent,
  formatShare,
  formatSize,
  formatSizeNear,
  parseSize
} from '../../src/report/sizes.js'

describe('parseSize', () => {
  it.each([
    ['45MB', 45_000_000],
    ['45mb', 45_000_000],
    ['45 MB', 45_000_000],
    ['40MiB', 40 * 1024 ** 2],
    ['40mib', 40 * 1024 ** 2],
    ['1.5GB', 1_500_000_000],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['512KB', 512_000],
    ['512KiB', 512 * 1024],
    ['0.5kb', 500],
    ['.5MB', 500_000],
    ['262144000', 262_144_000],
    ['262,144,000', 262_144_000],
    ['262_144_000', 262_144_000],
    ['  45MB  ', 45_000_000],
    ['100B', 100]
  ])('%s is %d bytes', (value, bytes) => {
    expect(parseSize('max-size', value)).toBe(bytes)
  })

  it.each([
    ['45 megabytes', 'has an unknown unit'],
    ['45TB', 'has an unknown unit'],
    ['1.5', 'is not a size'],
    ['-5MB', 'is not a size'],
    ['MB', 'is not a size'],
    ['', 'is not a size'],
    ['45,0MB', 'is not a size'],
    ['1,2345', 'is not a size'],
    ['0', 'must be more than 0 bytes'],
    ['0MB', 'must be more than 0 bytes'],
    ['99999999999999999999', 'is too large']
  ])('%j is refused (%s)', (value, problem) => {
    const attempt = (): number => parseSize('max-unzipped-size', value)
    expect(attempt).toThrow(InputError)
    expect(attempt).toThrow(`max-unzipped-size: '${value}' ${problem}`)
  })

  it('names the accepted forms', () => {
    expect(() => parseSize('max-size', '45 potatoes')).toThrow(
      "max-size: '45 potatoes' has an unknown unit 'potatoes'; use a whole number of bytes (262144000 or 262,144,000) or a number with a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024), e.g. 45MB, 40MiB, 1.5GB."
    )
  })
})

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [12_345, '12.3 kB'],
    [999_949, '999.9 kB'],
    [999_950, '1.00 MB'],
    [2_345_678, '2.35 MB'],
    [9_994_999, '9.99 MB'],
    [9_995_000, '10.0 MB'],
    [45_000_000, '45.0 MB'],
    [52_428_800, '52.4 MB'],
    [262_144_000, '262.1 MB'],
    [1_250_000_000, '1.25 GB'],
    [-340_000, '-340.0 kB']
  ])('formatSize(%d) = %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text)
  })

  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [262_144_000, '262,144,000'],
    [-52_428_800, '-52,428,800']
  ])('formatBytes(%d) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })

  it.each([
    [45_000_000, '45.0 MB (45,000,000 bytes)'],
    // A whole number of MiB (Lambda's limits, max-size: 40MiB) says so: MB here is 1,000,000.
    [52_428_800, '52.4 MB (50 MiB, 52,428,800 bytes)'],
    [262_144_000, '262.1 MB (250 MiB, 262,144,000 bytes)'],
    [41_943_040, '41.9 MB (40 MiB, 41,943,040 bytes)'],
    [52_428_801, '52.4 MB (52,428,801 bytes)']
  ])('formatExact(%d) = %s', (bytes, text) => {
    expect(formatExact(bytes)).toBe(text)
  })

  it("reads MB as powers of 1000 and MiB as powers of 1024: 50MiB is Lambda's upload limit", () => {
    expect(parseSize('max-size', '50MB')).toBe(50_000_000)
    expect(parseSize('max-size', '50MiB')).toBe(LIMITS.directUploadBytes)
    expect(parseSize('max-unzipped-size', '250MiB')).toBe(LIMITS.unzippedBytes)
  })

  it.each([
    [40_000_000, 45_000_000, '40.0 MB'],
    [40_500_000, 45_000_000, '40.5 MB (40,500,000 bytes)'],
    [45_000_001, 45_000_000, '45.0 MB (45,000,001 bytes)'],
    [49_500_000, 45_000_000, '49.5 MB (49,500,000 bytes)'],
    [49_600_000, 45_000_000, '49.6 MB'],
    [40_000_000, undefined, '40.0 MB']
  ])('formatSizeNear(%d, %s) = %s', (bytes, limit, text) => {
    expect(formatSizeNear(bytes, limit)).toBe(text)
  })

  it('formatSizeNear gives the exact bytes when any one of several limits is close', () => {
    expect(formatSizeNear(50_000_000, undefined, 52_428_800)).toBe('50.0 MB (50,000,000 bytes)')
    expect(formatSizeNear(30_000_000, 45_000_000, 52_428_800)).toBe('30.0 MB')
  })

  it.each([
    [0, '0 B'],
    [0.4, '0 B'],
    [1_200_000, '+1.20 MB'],
    [-340_000, '-340.0 kB']
  ])('formatDelta(%d) = %s', (bytes, text) => {
    expect(formatDelta(bytes)).toBe(text)
  })

  it.each([
    [1_300, 100_000, '+1.3%'],
    [-400, 100_000, '-0.4%'],
    [10, 100_000, '+<0.1%'],
    [-10, 100_000, '-<0.1%'],
    [0, 100_000, '0%'],
    [100, 0, undefined]
  ])('formatPercent(%d, %d) = %s', (delta, base, text) => {
    expect(formatPercent(delta, base)).toBe(text)
  })

  it.each([
    [39, 100, '39.0%'],
    [1, 100_000, '<0.1%'],
    [0, 100, '0.0%'],
    [5, 0, '-']
  ])('formatShare(%d, %d) = %s', (part, whole, text) => {
    expect(formatShare(part, whole)).toBe(text)
  })

  it.each([
    [850, '850 ms'],
    [12_345, '12.3 s'],
    [125_000, '2 min 05 s'],
    [-5, '0 ms']
  ])('formatDuration(%d) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})
