// Our LastUpdateStatus poller: what moto never shows (InProgress, Failed, AccessDenied, a
// function that never settles), with a fake clock so every wait runs instantly.
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import type { FunctionConfiguration } from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import { readTargets } from '../../src/deploy/deploy.js'
import { waitForUpdate } from '../../src/deploy/wait.js'
import {
  awsError,
  ordersConfiguration,
  recordingLog,
  testContext,
  testDeps
} from '../helpers/deploy-fixtures.js'

const clients = createClients({ region: 'eu-west-1' })
const lambda = mockClient(clients.lambda)

const settled = ordersConfiguration({
  Handler: 'app.handler',
  CodeSha256: 'abc=',
  RevisionId: 'rev-2'
})
const inProgress: FunctionConfiguration = {
  ...settled,
  RevisionId: 'rev-1',
  LastUpdateStatus: 'InProgress',
  LastUpdateStatusReason: 'The function is being updated'
}

function setup(waitTimeoutMs = 300_000) {
  return testContext(clients, { waitTimeoutMs })
}

beforeEach(() => lambda.reset())

describe('waitForUpdate', () => {
  it('polls through several InProgress answers and returns the settled configuration', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolves(settled)
    const { time, log, ctx } = setup()
    const config = await waitForUpdate(ctx, 'orders', {
      afterChange: true,
      what: 'the code update'
    })
    expect(config.RevisionId).toBe('rev-2')
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(4)
    // Growing intervals: 1 s, 1.5 s, 2.25 s.
    expect(time.sleeps).toEqual([1000, 1500, 2250])
    expect(log.lines[0]).toBe(
      'orders: waiting for the code update (LastUpdateStatus InProgress (The function is being updated))'
    )
    expect(log.lines.at(-1)).toBe('orders: the code update finished after 5 s')
  })

  it('returns at once, without sleeping, when nothing is in progress', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(settled)
    const { time, ctx } = setup()
    await waitForUpdate(ctx, 'orders', { afterChange: false })
    expect(time.sleeps).toEqual([])
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(1)
  })

  it('fails with LastUpdateStatusReason when our update failed', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(inProgress)
      .resolves({
        ...settled,
        LastUpdateStatus: 'Failed',
        LastUpdateStatusReasonCode: 'SubnetOutOfIPAddresses',
        LastUpdateStatusReason: 'All subnets are out of IP addresses'
      })
    const { ctx } = setup()
    await expect(
      waitForUpdate(ctx, 'orders', { afterChange: true, what: 'the code update' })
    ).rejects.toThrow(
      'Waiting for the code update of orders: its last update failed (LastUpdateStatus Failed): ' +
        'SubnetOutOfIPAddresses: All subnets are out of IP addresses.'
    )
  })

  it('only warns about an earlier failed update before our first change', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves({ ...settled, LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'old failure' })
    const { log, ctx } = setup()
    const config = await waitForUpdate(ctx, 'orders', { afterChange: false })
    expect(config.LastUpdateStatus).toBe('Failed')
    expect(log.warnings).toEqual([
      'orders: its last update failed (LastUpdateStatus Failed): old failure. Deploying anyway, as a new update.'
    ])
  })

  it('fails after ONE call on AccessDenied, naming the permission, not after the timeout', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          'User: arn:aws:sts::111122223333:assumed-role/deploy/gha is not authorized to perform: lambda:GetFunctionConfiguration',
          403
        )
      )
    const { time, ctx } = setup()
    await expect(waitForUpdate(ctx, 'orders', { afterChange: false })).rejects.toThrow(
      /^Permission denied: lambda:GetFunctionConfiguration on orders\. Allow "lambda:GetFunctionConfiguration"/
    )
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(1)
    expect(time.sleeps).toEqual([])
  })

  it('fails after ONE call on ResourceNotFound, naming the function and the region', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(awsError('ResourceNotFoundException', 'Function not found: orderz', 404))
    const { time, ctx } = setup()
    await expect(waitForUpdate(ctx, 'orderz', { afterChange: false })).rejects.toThrow(
      'Function "orderz" was not found in eu-west-1: check function-name and the region'
    )
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(1)
    expect(time.sleeps).toEqual([])
  })

  it('keeps polling through throttling', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejectsOnce(awsError('TooManyRequestsException', 'Rate exceeded', 429))
      .resolves(settled)
    const { time, ctx } = setup()
    const config = await waitForUpdate(ctx, 'orders', { afterChange: true })
    expect(config.LastUpdateStatus).toBe('Successful')
    expect(time.sleeps).toEqual([1000])
  })

  it('gives up at the bound with a clear timeout', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(inProgress)
    const { time, ctx } = setup(60_000)
    await expect(
      waitForUpdate(ctx, 'orders', { afterChange: true, what: 'the layer update' })
    ).rejects.toThrow(
      'Timed out after 60 s waiting for the layer update of orders: still LastUpdateStatus ' +
        'InProgress (The function is being updated).'
    )
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000)
    // Bounded polling: 1, 1.5, 2.25, 3.4, then every 5 s.
    expect(lambda.commandCalls(GetFunctionConfigurationCommand).length).toBeLessThan(20)
  })
})

describe('readTargets', () => {
  it('waits out an update in progress and describes the function, its memory and variables', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(inProgress)
      .resolves({
        ...settled,
        Layers: [{ Arn: 'arn:aws:lambda:eu-west-1:1:layer:x:3' }],
        MemorySize: 512,
        Environment: { Variables: { TABLE_NAME: 'orders' } }
      })
    const targets = await readTargets(['orders'], clients, testDeps().deps)
    expect(targets).toEqual([
      {
        functionName: 'orders',
        functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:orders',
        runtime: 'python3.12',
        architecture: 'arm64',
        handler: 'app.handler',
        codeSha256: 'abc=',
        layers: ['arn:aws:lambda:eu-west-1:1:layer:x:3'],
        memorySize: 512,
        environment: { TABLE_NAME: 'orders' }
      }
    ])
  })

  it('lists every function that cannot be read', async () => {
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'orders' })
      .resolves(settled)
      .on(GetFunctionConfigurationCommand, { FunctionName: 'a' })
      .rejects(awsError('ResourceNotFoundException', 'nope', 404))
      .on(GetFunctionConfigurationCommand, { FunctionName: 'b' })
      .rejects(awsError('AccessDeniedException', 'denied', 403))
    await expect(
      readTargets(['orders', 'a', 'b'], clients, { log: recordingLog() })
    ).rejects.toThrow(
      /2 of 3 functions cannot be read:\n- Function "a" was not found in eu-west-1.*\n- Permission denied: lambda:GetFunctionConfiguration on b/
    )
  })

  it('refuses a qualified name and the same function twice', async () => {
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'orders:live' })
      .resolves({ ...settled, Version: '7' })
    await expect(readTargets(['orders:live'], clients, { log: recordingLog() })).rejects.toThrow(
      'function-name: "orders:live" names version or alias 7, not the function.'
    )
    lambda.reset()
    lambda.on(GetFunctionConfigurationCommand).resolves(settled)
    await expect(
      readTargets(['orders', settled.FunctionArn!], clients, { log: recordingLog() })
    ).rejects.toThrow(
      /"orders" and "arn:aws:lambda:eu-west-1:111122223333:function:orders" are the same function/
    )
  })
})
