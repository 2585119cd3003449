// The CloudWatch reads a traffic shift needs, thin: the named alarms' states (DescribeAlarms)
// and the new version's own Errors, Throttles and Invocations through the alias
// (GetMetricData on AWS/Lambda with FunctionName, Resource=<function>:<alias> and
// ExecutedVersion=<version>, the dimensions Lambda publishes for alias invocations).
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch'
import { INPUT } from '../../constants.js'
import { InputError } from '../../errors.js'
import type { DeployContext } from '../context.js'
import { callAws } from '../retry.js'
import type { AlarmReading, VersionMetrics } from './health.js'

type CloudWatchContext = Pick<DeployContext, 'cloudwatch' | 'sleep' | 'random' | 'log'>

/** DescribeAlarms takes at most 100 names a request. */
const ALARMS_PER_REQUEST = 100

/** The named alarms as CloudWatch has them (metric and composite); missing ones are left out. */
export async function describeAlarms(
  ctx: CloudWatchContext,
  names: readonly string[]
): Promise<AlarmReading[]> {
  const found: AlarmReading[] = []
  for (let at = 0; at < names.length; at += ALARMS_PER_REQUEST) {
    const chunk = names.slice(at, at + ALARMS_PER_REQUEST)
    let nextToken: string | undefined
    do {
      const answer = await callAws(
        ctx,
        'cloudwatch:DescribeAlarms',
        `alarms ${chunk.join(', ')}`,
        () =>
          ctx.cloudwatch.send(
            new DescribeAlarmsCommand({
              AlarmNames: chunk,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              ...(nextToken ? { NextToken: nextToken } : {})
            })
          )
      )
      for (const alarm of [...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])]) {
        if (!alarm.AlarmName) continue
        found.push({
          name: alarm.AlarmName,
          state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
          ...(alarm.StateReason ? { reason: alarm.StateReason } : {})
        })
      }
      nextToken = answer.NextToken
    } while (nextToken)
  }
  return found
}

/** Every named alarm in the order given; throws naming the input when one does not exist. */
export async function readAlarms(
  ctx: CloudWatchContext,
  names: readonly string[]
): Promise<AlarmReading[]> {
  if (names.length === 0) return []
  const found = await describeAlarms(ctx, names)
  const missing = names.filter((name) => !found.some((alarm) => alarm.name === name))
  if (missing.length > 0) {
    let region = 'this region'
    try {
      region = await ctx.cloudwatch.config.region()
    } catch {
      // The message still names the alarms.
    }
    throw new InputError(
      INPUT.alarms,
      `${missing.map((name) => `'${name}'`).join(', ')} ${missing.length === 1 ? 'does' : 'do'} ` +
        `not exist in ${region}: give the names of existing CloudWatch alarms (metric or ` +
        'composite) in the functions’ region, e.g. `alarms: orders-errors`.'
    )
  }
  return names.map((name) => found.find((alarm) => alarm.name === name)!)
}

export interface MetricsRequest {
  /** FunctionName dimension: the function's name. */
  functionName: string
  alias: string
  version: string
  since: Date
  until: Date
}

const METRICS = [
  ['errors', 'Errors'],
  ['throttles', 'Throttles'],
  ['invocations', 'Invocations']
] as const satisfies readonly (readonly [keyof VersionMetrics, string])[]

/** Sums over [since, until] of the version's metrics through the alias. */
export async function readVersionMetrics(
  ctx: CloudWatchContext,
  request: MetricsRequest
): Promise<VersionMetrics> {
  const dimensions = [
    { Name: 'FunctionName', Value: request.functionName },
    { Name: 'Resource', Value: `${request.functionName}:${request.alias}` },
    { Name: 'ExecutedVersion', Value: request.version }
  ]
  const queries: MetricDataQuery[] = METRICS.map(([id, metricName]) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: dimensions },
      Period: 60,
      Stat: 'Sum'
    },
    ReturnData: true
  }))
  const sums: VersionMetrics = { errors: 0, throttles: 0, invocations: 0 }
  let nextToken: string | undefined
  do {
    const answer = await callAws(
      ctx,
      'cloudwatch:GetMetricData',
      `AWS/Lambda metrics of ${request.functionName}:${request.alias} version ${request.version}`,
      () =>
        ctx.cloudwatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: request.since,
            EndTime: request.until,
            ...(nextToken ? { NextToken: nextToken } : {})
          })
        )
    )
    for (const result of answer.MetricDataResults ?? []) {
      const id = result.Id as keyof VersionMetrics
      if (!(id in sums)) continue
      sums[id] += (result.Values ?? []).reduce((sum, value) => sum + value, 0)
    }
    nextToken = answer.NextToken
  } while (nextToken)
  return sums
}
