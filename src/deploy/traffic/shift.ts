// The traffic shift, step by step: route the step's share to the new version, hold it while
// reading health at the plan's check offsets, then the next step; the last step promotes. It
// stops at the first unhealthy read, an unreadable health source, a cancellation, or another
// run taking the alias, and says which: the rollback itself is release.ts's (a failed smoke
// invocation needs the same one).
import { errorMessage } from '../../errors.js'
import type { TrafficRecord, TrafficStepRecord } from '../../types.js'
import { moveAlias, type AliasRef, type AliasState } from '../alias.js'
import type { DeployContext } from '../context.js'
import { readAlarms, readVersionMetrics } from './cloudwatch.js'
import { describeReading, judgeHealth, type HealthLimits, type HealthReading } from './health.js'
import { checkOffsets, describeDuration, type ShiftStep } from './plan.js'

export interface ShiftRequest {
  ref: AliasRef
  /** The version the alias serves, and goes back to on a rollback. */
  from: string
  /** The new version. */
  to: string
  /** The steps still to run, the promotion last (plan.ts). */
  steps: ShiftStep[]
  health: HealthLimits
  /** The alias as last read: its RevisionId is the first move's precondition. */
  alias: AliasState
  /** For the timeline: `canary 10% 5m`. */
  traffic: string
  /** The share an earlier run left routed to `to`, when resuming its shift. */
  resumedAt?: number
}

export interface ShiftResult {
  /**
   * `promoted`; `rejected` (unhealthy, unreadable health, or cancelled: roll back);
   * `superseded` (another run moved the alias meanwhile: leave it).
   */
  outcome: 'promoted' | 'rejected' | 'superseded'
  /** Why it did not promote: the alarm or the metric and its value, and where the shift was. */
  reason?: string
  /** The alias as last seen: the precondition of a rollback. */
  alias: AliasState | undefined
  record: TrafficRecord
}

/** CloudWatch's periods start on whole minutes; the shift's first one holds its beginning. */
function minuteFloor(ms: number): Date {
  return new Date(Math.floor(ms / 60_000) * 60_000)
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`
}

export async function runShift(ctx: DeployContext, request: ShiftRequest): Promise<ShiftResult> {
  const { ref, from, to, health } = request
  const started = ctx.now()
  const since = minuteFloor(started)
  const resource = `version ${to} through ${ref.functionName}:${ref.alias}`
  const record: TrafficRecord = {
    traffic: request.traffic,
    alias: ref.alias,
    from,
    to,
    ...(request.resumedAt !== undefined ? { resumedAt: request.resumedAt } : {}),
    startedAt: started,
    steps: [],
    totalMs: 0
  }
  let alias: AliasState | undefined = request.alias
  const cancelled = (): boolean => ctx.signal?.aborted === true

  const finish = (
    outcome: ShiftResult['outcome'],
    reason?: string,
    step?: TrafficStepRecord
  ): ShiftResult => {
    const at = ctx.now() - started
    if (step) step.heldMs = at - step.startMs
    record.totalMs = at
    if (reason) record.stopped = { atMs: at, reason }
    return { outcome, alias, record, ...(reason ? { reason } : {}) }
  }

  /** One health read, written into the step; a reason to stop, or undefined when healthy. */
  const check = async (step: TrafficStepRecord): Promise<string | undefined> => {
    let reading: HealthReading
    try {
      const [alarms, metrics] = await Promise.all([
        readAlarms(ctx, health.alarms),
        readVersionMetrics(ctx, {
          functionName: ref.functionId,
          alias: ref.alias,
          version: to,
          since,
          until: new Date(ctx.now() + 60_000)
        })
      ])
      reading = { alarms, metrics }
    } catch (error) {
      step.verdict = 'unhealthy'
      return `health could not be read (${errorMessage(error)}), so it cannot be judged`
    }
    step.checks++
    Object.assign(step, reading.metrics)
    step.alarmsInAlarm = reading.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name)
    const verdict = judgeHealth(reading, health, resource)
    ctx.log.info(
      `${ref.functionName}: ${step.percent}% to version ${to}, ` +
        `${seconds(ctx.now() - started)} in: ${describeReading(reading)}` +
        (verdict.healthy ? '' : ` — ${verdict.problems.join('; ')}`)
    )
    if (verdict.healthy) return undefined
    step.verdict = 'unhealthy'
    return verdict.problems.join('; ')
  }

  const where = (percent: number): string =>
    `at ${percent}% to version ${to}, ${seconds(ctx.now() - started)} into the shift`

  // Before anything more moves: an alarm already in ALARM (or errors from an earlier run's
  // share) stops the shift before it routes a request.
  const current = request.resumedAt ?? 0
  const before: TrafficStepRecord = {
    percent: current,
    startMs: 0,
    heldMs: 0,
    checks: 0,
    verdict: 'healthy'
  }
  record.steps.push(before)
  const unhealthyBefore = await check(before)
  if (unhealthyBefore) {
    return finish('rejected', `${unhealthyBefore}, before the shift (${where(current)})`, before)
  }

  for (const planned of request.steps) {
    if (cancelled()) return finish('rejected', `the job was cancelled (${where(current)})`)
    const step: TrafficStepRecord = {
      percent: planned.percent,
      startMs: ctx.now() - started,
      heldMs: 0,
      checks: 0,
      verdict: 'healthy'
    }
    const promoting = planned.percent >= 100
    const moved = await moveAlias(
      ctx,
      ref,
      promoting
        ? { kind: 'promote', version: to }
        : { kind: 'shift', from, to, percent: planned.percent },
      alias
    )
    alias = moved.state
    if (moved.outcome !== 'moved') {
      return finish(
        'superseded',
        `another deployment moved ${ref.functionName}:${ref.alias} during the shift`
      )
    }
    record.steps.push(step)
    if (promoting) {
      step.verdict = 'promoted'
      ctx.log.info(
        `${ref.functionName}: alias ${ref.alias} moved from version ${from} to ${to} ` +
          `after ${seconds(ctx.now() - started)} of ${request.traffic}`
      )
      return finish('promoted', undefined, step)
    }
    ctx.log.info(
      `${ref.functionName}: ${planned.percent}% of ${ref.alias} to version ${to} for ` +
        describeDuration(planned.holdMs)
    )
    const stepStart = ctx.now()
    for (const offset of checkOffsets(planned.holdMs)) {
      const wait = stepStart + offset - ctx.now()
      if (wait > 0) await ctx.sleep(wait, ctx.signal)
      if (cancelled()) {
        step.verdict = 'cancelled'
        return finish('rejected', `the job was cancelled (${where(planned.percent)})`, step)
      }
      const unhealthy = await check(step)
      if (unhealthy) return finish('rejected', `${unhealthy} (${where(planned.percent)})`, step)
    }
    step.heldMs = ctx.now() - started - step.startMs
  }
  // planShift always ends with the promotion; an empty plan is a caller's bug.
  return finish('rejected', 'the shift had no steps')
}
