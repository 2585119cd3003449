// The traffic shift and the alias moves with mocked clients, for what moto cannot show: alias
// RevisionIds and concurrent moves, CloudWatch throttling and AccessDenied, a cancellation in
// the middle of a step. The same shift against moto is in test/integration/traffic-moto.test.ts.
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataResult,
  type StateValue
} from '@aws-sdk/client-cloudwatch'
import { GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import {
  decideAfterConflict,
  moveAlias,
  type AliasIntent,
  type AliasState
} from '../../src/deploy/alias.js'
import { planShift } from '../../src/deploy/traffic/plan.js'
import { runShift, type ShiftRequest } from '../../src/deploy/traffic/shift.js'
import { ORDERS_ARN as ARN, awsError, testContext } from '../helpers/deploy-fixtures.js'

const clients = createClients({ region: 'eu-west-1' })
const lambda = mockClient(clients.lambda)
const cloudwatch = mockClient(clients.cloudwatch)

beforeEach(() => {
  lambda.reset()
  cloudwatch.reset()
})

const ref = { functionId: 'orders', functionName: 'orders', alias: 'live' }
const onOne: AliasState = { aliasArn: `${ARN}:live`, version: '1', revisionId: 'r1' }

function alias(version: string, revisionId: string, routed?: [string, number]) {
  return {
    AliasArn: `${ARN}:live`,
    FunctionVersion: version,
    RevisionId: revisionId,
    ...(routed ? { RoutingConfig: { AdditionalVersionWeights: { [routed[0]]: routed[1] } } } : {})
  }
}

function metrics(
  errors = 0,
  throttles = 0,
  invocations = 5
): { MetricDataResults: MetricDataResult[] } {
  return {
    MetricDataResults: [
      { Id: 'errors', Values: errors ? [errors] : [] },
      { Id: 'throttles', Values: throttles ? [throttles] : [] },
      { Id: 'invocations', Values: [invocations] }
    ]
  }
}

function alarms(state: StateValue, reason = 'test') {
  return { MetricAlarms: [{ AlarmName: 'orders-errors', StateValue: state, StateReason: reason }] }
}

function shiftRequest(overrides: Partial<ShiftRequest> = {}): ShiftRequest {
  return {
    ref,
    from: '1',
    to: '2',
    steps: planShift({ kind: 'canary', percent: 10, stepMs: 2_000 }),
    health: { alarms: ['orders-errors'], maxErrors: 0 },
    alias: onOne,
    traffic: 'canary 10% 2s',
    ...overrides
  }
}

function updateInputs() {
  return lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)
}

describe('decideAfterConflict', () => {
  const state = (version: string, routed?: [string, number]): AliasState => ({
    aliasArn: 'a',
    version,
    ...(routed ? { routing: { version: routed[0], percent: routed[1] } } : {})
  })
  it.each<[string, AliasIntent, AliasState | undefined, string]>([
    ['promote: already there', { kind: 'promote', version: '5' }, state('5'), 'done'],
    [
      'promote: a newer version serves',
      { kind: 'promote', version: '5' },
      state('6'),
      'superseded'
    ],
    [
      'promote: a newer version is being shifted to',
      { kind: 'promote', version: '5' },
      state('4', ['6', 10]),
      'superseded'
    ],
    ['promote: an older version serves', { kind: 'promote', version: '5' }, state('3'), 'retry'],
    [
      'promote: version 10 is newer than 9',
      { kind: 'promote', version: '9' },
      state('10'),
      'superseded'
    ],
    ['promote: deleted meanwhile', { kind: 'promote', version: '5' }, undefined, 'retry'],
    [
      'shift: same versions, another share',
      { kind: 'shift', from: '4', to: '5', percent: 20 },
      state('4', ['5', 10]),
      'retry'
    ],
    [
      'shift: someone promoted',
      { kind: 'shift', from: '4', to: '5', percent: 20 },
      state('5'),
      'taken'
    ],
    [
      'shift: someone shifts to another version',
      { kind: 'shift', from: '4', to: '5', percent: 20 },
      state('4', ['6', 10]),
      'taken'
    ],
    ['rollback: done by someone', { kind: 'rollback', to: '4', rejected: '5' }, state('4'), 'done'],
    [
      'rollback: still routing to the rejected version',
      { kind: 'rollback', to: '4', rejected: '5' },
      state('4', ['5', 30]),
      'retry'
    ],
    [
      'rollback: the rejected version was promoted',
      { kind: 'rollback', to: '4', rejected: '5' },
      state('5'),
      'retry'
    ],
    [
      'rollback: moved elsewhere by someone',
      { kind: 'rollback', to: '4', rejected: '5' },
      state('7'),
      'taken'
    ]
  ])('%s', (_name, intent, seen, decision) => {
    expect(decideAfterConflict(intent, seen)).toBe(decision)
  })
})

describe('moveAlias with RevisionId', () => {
  it('a slower run never moves the alias back from a newer version (PreconditionFailed, re-read)', async () => {
    lambda
      .on(UpdateAliasCommand)
      .rejects(
        awsError('PreconditionFailedException', 'The Revision Id provided does not match', 412)
      )
    // Another run promoted version 6 after we read the alias on version 4.
    lambda.on(GetAliasCommand).resolves(alias('6', 'r-theirs'))
    const { ctx, log } = testContext(clients)
    const moved = await moveAlias(
      ctx,
      ref,
      { kind: 'promote', version: '5' },
      {
        ...onOne,
        version: '4'
      }
    )
    expect(moved).toEqual({
      outcome: 'superseded',
      state: { aliasArn: `${ARN}:live`, version: '6', revisionId: 'r-theirs' }
    })
    expect(updateInputs()).toEqual([
      {
        FunctionName: 'orders',
        Name: 'live',
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'r1'
      }
    ])
    expect(log.lines).toContain('orders:live changed since it was read (now version 6): superseded')
  })

  it('a faster run that moved it to an older version is overtaken, from its new revision', async () => {
    lambda
      .on(UpdateAliasCommand)
      .rejectsOnce(awsError('PreconditionFailedException', 'revision mismatch', 412))
      .resolves(alias('6', 'r3'))
    lambda.on(GetAliasCommand).resolves(alias('5', 'r2'))
    const { ctx } = testContext(clients)
    const moved = await moveAlias(ctx, ref, { kind: 'promote', version: '6' }, onOne)
    expect(moved.outcome).toBe('moved')
    expect(updateInputs().map((i) => i.RevisionId)).toEqual(['r1', 'r2'])
  })

  it('a rollback goes on while the alias still routes to the rejected version', async () => {
    lambda
      .on(UpdateAliasCommand)
      .rejectsOnce(awsError('PreconditionFailedException', 'revision mismatch', 412))
      .resolves(alias('1', 'r4'))
    lambda.on(GetAliasCommand).resolves(alias('1', 'r3', ['2', 0.3]))
    const { ctx } = testContext(clients)
    const moved = await moveAlias(ctx, ref, { kind: 'rollback', to: '1', rejected: '2' }, onOne)
    expect(moved.outcome).toBe('moved')
    expect(updateInputs()[1]).toEqual({
      FunctionName: 'orders',
      Name: 'live',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'r3'
    })
  })

  it('gives up naming the cause when the alias keeps changing', async () => {
    lambda
      .on(UpdateAliasCommand)
      .rejects(awsError('PreconditionFailedException', 'revision mismatch', 412))
    lambda.on(GetAliasCommand).resolves(alias('1', 'again'))
    const { ctx } = testContext(clients)
    await expect(moveAlias(ctx, ref, { kind: 'promote', version: '2' }, onOne)).rejects.toThrow(
      /^orders:live kept changing while this run moved it \(4 attempts\): is another deployment of it running\?/
    )
  })
})

describe('runShift', () => {
  it('a healthy canary: routes 10% with the read RevisionId, reads health each second, promotes', async () => {
    lambda
      .on(UpdateAliasCommand)
      .resolvesOnce(alias('1', 'r2', ['2', 0.1]))
      .resolves(alias('2', 'r3'))
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('OK'))
    cloudwatch.on(GetMetricDataCommand).resolves(metrics(0, 1, 7))
    const { ctx, time } = testContext(clients)
    const shifted = await runShift(ctx, shiftRequest())

    expect(shifted.outcome).toBe('promoted')
    expect(shifted.alias).toEqual({ aliasArn: `${ARN}:live`, version: '2', revisionId: 'r3' })
    expect(updateInputs()).toEqual([
      {
        FunctionName: 'orders',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
        RevisionId: 'r1'
      },
      {
        FunctionName: 'orders',
        Name: 'live',
        FunctionVersion: '2',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'r2'
      }
    ])
    // The 2 s hold, read after 1 s and 2 s; one read before anything moved.
    expect(time.sleeps).toEqual([1_000, 1_000])
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(3)
    const query = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input
    expect(query.MetricDataQueries?.map((q) => q.MetricStat?.Metric)).toEqual(
      ['Errors', 'Throttles', 'Invocations'].map((MetricName) => ({
        Namespace: 'AWS/Lambda',
        MetricName,
        Dimensions: [
          { Name: 'FunctionName', Value: 'orders' },
          { Name: 'Resource', Value: 'orders:live' },
          { Name: 'ExecutedVersion', Value: '2' }
        ]
      }))
    )
    // From the minute the shift began.
    expect(query.StartTime).toEqual(new Date(Math.floor(1_000_000 / 60_000) * 60_000))
    expect(shifted.record).toMatchObject({
      traffic: 'canary 10% 2s',
      alias: 'live',
      from: '1',
      to: '2',
      totalMs: 2_000,
      steps: [
        { percent: 0, startMs: 0, checks: 1, verdict: 'healthy', throttles: 1, invocations: 7 },
        { percent: 10, startMs: 0, heldMs: 2_000, checks: 2, verdict: 'healthy', errors: 0 },
        { percent: 100, startMs: 2_000, verdict: 'promoted' }
      ]
    })
    expect(shifted.record.stopped).toBeUndefined()
  })

  it('an alarm that trips in the middle of a linear step stops the shift, naming it and where', async () => {
    lambda
      .on(UpdateAliasCommand)
      .resolvesOnce(alias('1', 'r2', ['2', 0.5]))
      .resolves(alias('2', 'r3'))
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce(alarms('OK'))
      .resolvesOnce(alarms('OK'))
      .resolves(alarms('ALARM', 'Threshold Crossed: 1 datapoint [4.0] was >= the threshold (1.0).'))
    cloudwatch.on(GetMetricDataCommand).resolves(metrics())
    const { ctx } = testContext(clients)
    const shifted = await runShift(
      ctx,
      shiftRequest({
        steps: planShift({ kind: 'linear', percent: 50, stepMs: 3_000 }),
        traffic: 'linear 50% 3s'
      })
    )
    expect(shifted.outcome).toBe('rejected')
    expect(shifted.reason).toBe(
      'alarm orders-errors is in ALARM (Threshold Crossed: 1 datapoint [4.0] was >= the threshold (1.0)) ' +
        '(at 50% to version 2, 2 s into the shift)'
    )
    // The alias as left at 50%: the rollback's precondition.
    expect(shifted.alias).toMatchObject({
      version: '1',
      routing: { version: '2', percent: 50 },
      revisionId: 'r2'
    })
    expect(updateInputs()).toHaveLength(1)
    expect(shifted.record.steps.at(-1)).toMatchObject({
      percent: 50,
      checks: 2,
      alarmsInAlarm: ['orders-errors'],
      verdict: 'unhealthy',
      heldMs: 2_000
    })
    expect(shifted.record.stopped).toEqual({ atMs: 2_000, reason: shifted.reason })
  })

  it('errors of the new version above max-errors stop it, with the sum and the invocations', async () => {
    lambda.on(UpdateAliasCommand).resolves(alias('1', 'r2', ['2', 0.1]))
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce(metrics(0, 0, 0))
      .resolves(metrics(3, 0, 12))
    const { ctx } = testContext(clients)
    const shifted = await runShift(ctx, shiftRequest({ health: { alarms: [], maxErrors: 2 } }))
    expect(shifted.outcome).toBe('rejected')
    expect(shifted.reason).toBe(
      'AWS/Lambda Errors of version 2 through orders:live is 3 (in 12 invocations), above ' +
        'max-errors 2 (at 10% to version 2, 1 s into the shift)'
    )
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0)
  })

  it('an alarm in ALARM before anything moved: stops without routing a request', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('ALARM'))
    cloudwatch.on(GetMetricDataCommand).resolves(metrics())
    const { ctx } = testContext(clients)
    const shifted = await runShift(ctx, shiftRequest())
    expect(shifted.outcome).toBe('rejected')
    expect(shifted.reason).toBe(
      'alarm orders-errors is in ALARM (test), before the shift (at 0% to version 2, 0 s into the shift)'
    )
    expect(updateInputs()).toEqual([])
  })

  it('CloudWatch throttling is retried within the step; the shift still promotes', async () => {
    lambda
      .on(UpdateAliasCommand)
      .resolvesOnce(alias('1', 'r2', ['2', 0.1]))
      .resolves(alias('2', 'r3'))
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('OK'))
    cloudwatch
      .on(GetMetricDataCommand)
      .rejectsOnce(awsError('Throttling', 'Rate exceeded', 400))
      .rejectsOnce(awsError('Throttling', 'Rate exceeded', 400))
      .resolves(metrics())
    const { ctx, log } = testContext(clients)
    const shifted = await runShift(ctx, shiftRequest())
    expect(shifted.outcome).toBe('promoted')
    expect(
      log.lines.filter((l) => /cloudwatch:GetMetricData .*Throttling: Rate exceeded; retry/.test(l))
    ).toHaveLength(2)
  })

  it('AccessDenied on GetMetricData mid-shift: health cannot be judged, so the shift stops', async () => {
    lambda.on(UpdateAliasCommand).resolves(alias('1', 'r2', ['2', 0.1]))
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('OK'))
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce(metrics())
      .rejects(
        awsError('AccessDenied', 'User is not authorized to perform: cloudwatch:GetMetricData', 403)
      )
    const { ctx } = testContext(clients)
    const shifted = await runShift(ctx, shiftRequest())
    expect(shifted.outcome).toBe('rejected')
    expect(shifted.reason).toMatch(
      /^health could not be read \(Permission denied: cloudwatch:GetMetricData on AWS\/Lambda metrics of orders:live version 2\. Allow "cloudwatch:GetMetricData".*\), so it cannot be judged \(at 10% to version 2, 1 s into the shift\)$/
    )
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(2)
  })

  it('a cancellation during a hold stops at once, the step marked cancelled', async () => {
    lambda.on(UpdateAliasCommand).resolves(alias('1', 'r2', ['2', 0.1]))
    cloudwatch.on(GetMetricDataCommand).resolves(metrics())
    const cancel = new AbortController()
    const { ctx, time } = testContext(clients, {
      signal: cancel.signal,
      // SIGINT arrives while the first hold sleeps.
      sleep: async (ms, signal) => {
        time.sleeps.push(ms)
        cancel.abort()
        expect(signal).toBe(cancel.signal)
      }
    })
    const shifted = await runShift(
      ctx,
      shiftRequest({
        health: { alarms: [], maxErrors: 0 },
        steps: planShift({ kind: 'canary', percent: 10, stepMs: 60_000 })
      })
    )
    expect(shifted.outcome).toBe('rejected')
    expect(shifted.reason).toMatch(/^the job was cancelled \(at 10% to version 2, /)
    expect(shifted.record.steps.at(-1)).toMatchObject({ percent: 10, verdict: 'cancelled' })
    expect(updateInputs()).toHaveLength(1)
  })

  it('another run moving the alias mid-shift: superseded, left as it is', async () => {
    lambda
      .on(UpdateAliasCommand)
      .resolvesOnce(alias('1', 'r2', ['2', 0.1]))
      .rejects(awsError('PreconditionFailedException', 'revision mismatch', 412))
    lambda.on(GetAliasCommand).resolves(alias('3', 'r-theirs'))
    cloudwatch.on(GetMetricDataCommand).resolves(metrics())
    const { ctx } = testContext(clients)
    const shifted = await runShift(ctx, shiftRequest({ health: { alarms: [], maxErrors: 0 } }))
    expect(shifted.outcome).toBe('superseded')
    expect(shifted.alias).toMatchObject({ version: '3' })
    expect(updateInputs()).toHaveLength(2)
  })
})
