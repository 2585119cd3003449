// The shift as data: steps, shares, holds, when health is read, and where a resumed shift goes on.
import { describe, expect, it } from 'vitest'
import {
  checkOffsets,
  describeTraffic,
  percentOf,
  planShift,
  remainingSteps,
  shiftDurationMs,
  weightOf,
  type TrafficSpec
} from '../../src/deploy/traffic/plan.js'

const m = 60_000

describe('planShift', () => {
  it.each<[string, TrafficSpec, [number, number][]]>([
    ['all-at-once', { kind: 'all-at-once' }, [[100, 0]]],
    [
      'canary 10% 5m',
      { kind: 'canary', percent: 10, stepMs: 5 * m },
      [
        [10, 5 * m],
        [100, 0]
      ]
    ],
    [
      'canary 99% 2s',
      { kind: 'canary', percent: 99, stepMs: 2000 },
      [
        [99, 2000],
        [100, 0]
      ]
    ],
    [
      'linear 25% 1m',
      { kind: 'linear', percent: 25, stepMs: m },
      [
        [25, m],
        [50, m],
        [75, m],
        [100, 0]
      ]
    ],
    [
      'linear 30% 1m: the last share below 100 is 90',
      { kind: 'linear', percent: 30, stepMs: m },
      [
        [30, m],
        [60, m],
        [90, m],
        [100, 0]
      ]
    ],
    [
      'linear 50% 3s',
      { kind: 'linear', percent: 50, stepMs: 3000 },
      [
        [50, 3000],
        [100, 0]
      ]
    ],
    [
      'linear 33.33% 1m: two decimals, no float noise',
      { kind: 'linear', percent: 33.33, stepMs: m },
      [
        [33.33, m],
        [66.66, m],
        [99.99, m],
        [100, 0]
      ]
    ],
    [
      'linear 60% 1m',
      { kind: 'linear', percent: 60, stepMs: m },
      [
        [60, m],
        [100, 0]
      ]
    ]
  ])('%s', (_name, spec, steps) => {
    const planned = planShift(spec)
    expect(planned.map((s) => [s.percent, s.holdMs])).toEqual(steps)
    expect(shiftDurationMs(planned)).toBe(steps.reduce((sum, [, hold]) => sum + hold, 0))
  })

  it('linear 10% holds nine shares', () => {
    const steps = planShift({ kind: 'linear', percent: 10, stepMs: m })
    expect(steps.map((s) => s.percent)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    expect(shiftDurationMs(steps)).toBe(9 * m)
  })
})

describe('remainingSteps', () => {
  const linear = planShift({ kind: 'linear', percent: 20, stepMs: m })
  it.each([
    [0, [20, 40, 60, 80, 100]],
    [20, [20, 40, 60, 80, 100]],
    [30, [40, 60, 80, 100]],
    [80, [80, 100]],
    [95, [100]]
  ])('found at %s%% → %j (the found share held again in full)', (found, shares) => {
    expect(remainingSteps(linear, found).map((s) => s.percent)).toEqual(shares)
  })
})

describe('checkOffsets', () => {
  it.each([
    [0, []],
    [500, [500]],
    [2_000, [1_000, 2_000]],
    [3_000, [1_000, 2_000, 3_000]],
    [10_000, [2_000, 4_000, 6_000, 8_000, 10_000]],
    [5 * m, [m, 2 * m, 3 * m, 4 * m, 5 * m]],
    // At most a minute apart.
    [10 * m, Array.from({ length: 10 }, (_, i) => (i + 1) * m)],
    [90_000, [18_000, 36_000, 54_000, 72_000, 90_000]]
  ])('a hold of %s ms is read at %j', (hold, offsets) => {
    expect(checkOffsets(hold)).toEqual(offsets)
  })
})

describe('weights and names', () => {
  it.each([
    [10, 0.1],
    [1, 0.01],
    [33.33, 0.3333],
    [99, 0.99]
  ])('%s%% is weight %s and back', (percent, weight) => {
    expect(weightOf(percent)).toBe(weight)
    expect(percentOf(weight)).toBe(percent)
  })

  it.each<[TrafficSpec, string]>([
    [{ kind: 'all-at-once' }, 'all-at-once'],
    [{ kind: 'canary', percent: 10, stepMs: 5 * m }, 'canary 10% 5m'],
    [{ kind: 'linear', percent: 5, stepMs: 90_000 }, 'linear 5% 90s'],
    [{ kind: 'linear', percent: 5, stepMs: 3_600_000 }, 'linear 5% 1h']
  ])('%j reads %s', (spec, text) => {
    expect(describeTraffic(spec)).toBe(text)
  })
})
