// The traffic shift as data: which share of the alias's traffic the new version gets at each
// step, how long each share is held, and when its health is read. Pure: the shift runner
// (shift.ts) follows these steps; the `traffic` input is parsed into a TrafficSpec in inputs.ts.

export type TrafficSpec =
  | { kind: 'all-at-once' }
  /** `canary 10% 5m`: 10% for 5 minutes, then everything. */
  | { kind: 'canary'; percent: number; stepMs: number }
  /** `linear 10% 1m`: 10% more after each minute (10, 20, ... 90), then everything. */
  | { kind: 'linear'; percent: number; stepMs: number }

export type ShiftingSpec = Exclude<TrafficSpec, { kind: 'all-at-once' }>

export interface ShiftStep {
  /** Percent of the alias's traffic the new version gets; 100 is the promotion. */
  percent: number
  /** How long the share is held, its health read all along, before the next step; 0 for 100. */
  holdMs: number
}

/** Health is read at least every minute, at most every second, about five times a step. */
const CHECK = { perStep: 5, minIntervalMs: 1_000, maxIntervalMs: 60_000 } as const

/** Percents carry two decimals at most: `33.33`, never `33.330000000000005`. */
function roundPercent(percent: number): number {
  return Math.round(percent * 100) / 100
}

/** The steps of a shift, the promotion last. */
export function planShift(spec: TrafficSpec): ShiftStep[] {
  if (spec.kind === 'all-at-once') return [{ percent: 100, holdMs: 0 }]
  const shares: number[] = []
  if (spec.kind === 'canary') {
    shares.push(spec.percent)
  } else {
    for (let i = 1; roundPercent(i * spec.percent) < 100; i++)
      shares.push(roundPercent(i * spec.percent))
  }
  return [
    ...shares.map((percent) => ({ percent, holdMs: spec.stepMs })),
    { percent: 100, holdMs: 0 }
  ]
}

/** The time the steps hold, together: the shift's length besides its Lambda waits. */
export function shiftDurationMs(steps: readonly ShiftStep[]): number {
  return steps.reduce((sum, step) => sum + step.holdMs, 0)
}

/**
 * The steps left when an earlier run left the alias routing `percent` to the same version: the
 * step at that share (held again in full: its earlier health was not seen by this run) and the
 * ones after it. A share above every step's resumes with the promotion.
 */
export function remainingSteps(steps: readonly ShiftStep[], percent: number): ShiftStep[] {
  const at = steps.findIndex((step) => step.percent >= roundPercent(percent))
  return at < 0 ? steps.slice(-1) : steps.slice(at)
}

/** Offsets into a hold (ms from its start) at which health is read; the last is the hold's end. */
export function checkOffsets(holdMs: number): number[] {
  if (holdMs <= 0) return []
  const interval = Math.min(
    CHECK.maxIntervalMs,
    Math.max(CHECK.minIntervalMs, Math.round(holdMs / CHECK.perStep))
  )
  const offsets: number[] = []
  for (let at = interval; at < holdMs; at += interval) offsets.push(at)
  offsets.push(holdMs)
  return offsets
}

/** Lambda's AdditionalVersionWeights take a fraction of 1. */
export function weightOf(percent: number): number {
  return Math.round(percent * 100) / 10_000
}

export function percentOf(weight: number): number {
  return roundPercent(weight * 100)
}

/** `canary 10% 5m`, as the user wrote it (durations in the largest whole unit). */
export function describeTraffic(spec: TrafficSpec): string {
  if (spec.kind === 'all-at-once') return 'all-at-once'
  return `${spec.kind} ${spec.percent}% ${describeDuration(spec.stepMs)}`
}

export function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  return `${Math.round(ms / 1000)}s`
}
