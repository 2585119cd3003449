// The health verdict during a traffic shift, from what CloudWatch said: any named alarm in ALARM,
// or the new version's own Errors (through the alias) above max-errors, is unhealthy; Throttles
// count only when max-throttles is set. Pure: cloudwatch.ts reads, this judges.
import { INPUT } from '../../constants.js'

export interface HealthLimits {
  /** CloudWatch alarm names (metric or composite); one in ALARM means unhealthy. */
  alarms: string[]
  /** The new version's Errors sum may reach this, not more. */
  maxErrors: number
  /** The same for Throttles; undefined: reported, never judged. */
  maxThrottles?: number
}

export interface AlarmReading {
  name: string
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  state: string
  /** CloudWatch's StateReason. */
  reason?: string
}

/** Sums over the shift so far, for the new version invoked through the alias. */
export interface VersionMetrics {
  errors: number
  throttles: number
  invocations: number
}

export interface HealthReading {
  alarms: AlarmReading[]
  metrics: VersionMetrics
}

export interface HealthVerdict {
  healthy: boolean
  /** One sentence per reason it is not: the alarm or the metric, and its value. */
  problems: string[]
}

function countOf(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`
}

/** `resource` names where the metrics come from: `Errors of version 4 through orders:live`. */
export function judgeHealth(
  reading: HealthReading,
  limits: HealthLimits,
  resource: string
): HealthVerdict {
  const problems: string[] = []
  for (const alarm of reading.alarms) {
    if (alarm.state === 'ALARM') {
      problems.push(
        `alarm ${alarm.name} is in ALARM${alarm.reason ? ` (${alarm.reason.replace(/\.+$/, '')})` : ''}`
      )
    }
  }
  const { errors, throttles, invocations } = reading.metrics
  if (errors > limits.maxErrors) {
    problems.push(
      `AWS/Lambda Errors of ${resource} is ${errors} (in ${countOf(invocations, 'invocation')}), ` +
        `above ${INPUT.maxErrors} ${limits.maxErrors}`
    )
  }
  if (limits.maxThrottles !== undefined && throttles > limits.maxThrottles) {
    problems.push(
      `AWS/Lambda Throttles of ${resource} is ${throttles}, above ${INPUT.maxThrottles} ` +
        `${limits.maxThrottles}`
    )
  }
  return { healthy: problems.length === 0, problems }
}

/** What was measured, for the log and the timeline: `0 errors, 0 throttles in 12 invocations`. */
export function describeReading(reading: HealthReading): string {
  const { errors, throttles, invocations } = reading.metrics
  const parts = [
    `${countOf(errors, 'error')}, ${countOf(throttles, 'throttle')} in ${countOf(invocations, 'invocation')}`
  ]
  const notOk = reading.alarms.filter((a) => a.state !== 'OK')
  if (reading.alarms.length > 0) {
    parts.push(
      notOk.length === 0
        ? `alarms OK`
        : `alarms ${notOk.map((a) => `${a.name} ${a.state}`).join(', ')}`
    )
  }
  return parts.join('; ')
}
