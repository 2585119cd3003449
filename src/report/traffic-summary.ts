// The job summary's traffic timeline, per function that shifted: each step with its share and
// what was measured, as a table, and the same steps as a Mermaid Gantt chart GitHub draws. Pure.
import type { FunctionDeployResult, TrafficRecord, TrafficStepRecord } from '../types.js'
import { code, markdownTable } from './markdown.js'
import { formatDuration } from './sizes.js'

const VERDICT: Record<TrafficStepRecord['verdict'], string> = {
  healthy: '✅ healthy',
  unhealthy: '❌ unhealthy',
  cancelled: '⏹️ cancelled',
  promoted: '✅ promoted',
  stopped: '⏹️ stopped'
}

function count(value: number | undefined): string {
  return value === undefined ? '-' : String(value)
}

function stepName(record: TrafficRecord, step: TrafficStepRecord, index: number): string {
  if (index === 0) return record.resumedAt !== undefined ? 'before (resumed)' : 'before'
  return step.percent >= 100 ? 'promote' : String(index)
}

function timelineTable(record: TrafficRecord): string {
  const rows = record.steps.map((step, index) => [
    stepName(record, step, index),
    `+${formatDuration(step.startMs)}`,
    step.heldMs > 0 ? formatDuration(step.heldMs) : '-',
    `${step.percent}%`,
    count(step.errors),
    count(step.throttles),
    count(step.invocations),
    step.alarmsInAlarm?.length ? step.alarmsInAlarm.join(', ') : step.checks > 0 ? 'none' : '-',
    String(step.checks),
    VERDICT[step.verdict]
  ])
  return markdownTable(
    [
      'Step',
      'Began',
      'Held',
      `Share to version ${record.to}`,
      'Errors',
      'Throttles',
      'Invocations',
      'Alarms in ALARM',
      'Checks',
      'Verdict'
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'right', 'left'],
    rows
  )
}

/** Mermaid task names end at `:`, and `#`/`;` have meanings of their own. */
function taskName(text: string): string {
  return text.replace(/[:#;]/g, ' ')
}

/**
 * A Gantt chart on the wall clock (epoch milliseconds, drawn in the reader's time zone): one bar
 * per held share, marked critical where the shift stopped, then the promotion or the rollback.
 * (Mermaid reads a bare number as milliseconds for a task's start whatever dateFormat says.)
 */
export function trafficChart(record: TrafficRecord, functionName: string): string {
  const at = (offsetMs: number): number => Math.round(record.startedAt + offsetMs)
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${taskName(`${functionName} alias ${record.alias}, version ${record.from} to ${record.to}, ${record.traffic}`)}`,
    '  dateFormat x',
    '  axisFormat %H:%M:%S',
    `  section Share to v${record.to}`
  ]
  record.steps.forEach((step, index) => {
    const start = at(step.startMs)
    // Bars need a length; a promotion or a check that took no time gets one second.
    const end = Math.max(start + 1_000, at(step.startMs + step.heldMs))
    const tag =
      step.verdict === 'unhealthy' || step.verdict === 'cancelled'
        ? 'crit'
        : step.verdict === 'promoted'
          ? 'active'
          : 'done'
    const name =
      index === 0
        ? `${step.percent}% before`
        : step.percent >= 100
          ? '100% promoted'
          : `${step.percent}%`
    lines.push(`  ${taskName(name)} :${tag}, ${start}, ${end}`)
  })
  if (record.stopped) {
    const start = at(record.stopped.atMs)
    lines.push(`  rolled back to v${record.from} :crit, ${start}, ${start + 1_000}`)
  }
  lines.push('```')
  return lines.join('\n')
}

function outcomeLine(deploy: FunctionDeployResult, record: TrafficRecord): string {
  const took = formatDuration(record.totalMs)
  const resumed =
    record.resumedAt !== undefined
      ? ` Resumed an earlier run's unfinished shift found at ${record.resumedAt}%.`
      : ''
  if (deploy.rollout === 'promoted') {
    return `✅ Version ${record.to} promoted after ${took}.${resumed}`
  }
  if (deploy.rollout === 'superseded') {
    return `⏹️ Another deployment moved the alias during the shift (now version ${deploy.servingVersion ?? '?'}); left there.${resumed}`
  }
  const restore = deploy.latestRestore ? ` ${deploy.latestRestore.detail}.` : ''
  const alias =
    deploy.rollout === 'rollback-failed'
      ? `**The alias could not be put back**: see the error below.`
      : `Alias ${code(record.alias)} serves version ${deploy.servingVersion ?? record.from} again, routing cleared.`
  return (
    `↩️ Rolled back after ${took}: ${record.stopped?.reason ?? 'the shift stopped'}. ` +
    `${alias}${restore}${resumed}`
  )
}

/** `#### Traffic`: per function that shifted, its outcome, timeline table and chart. */
export function trafficSection(deploys: readonly FunctionDeployResult[]): string | undefined {
  const shifted = deploys.filter((d) => d.traffic)
  if (shifted.length === 0) return undefined
  const parts = shifted.map((deploy) => {
    const record = deploy.traffic!
    return [
      `##### ${code(deploy.functionName)}: alias ${code(record.alias)}, ${record.traffic}, version ${record.from} → ${record.to}`,
      outcomeLine(deploy, record),
      timelineTable(record),
      trafficChart(record, deploy.functionName)
    ].join('\n\n')
  })
  return `#### Traffic\n\n${parts.join('\n\n')}`
}
