// Conflicts and throttling: retried with jittered backoff, labelled in the log; anything else
// fails at once. Driven through the real calls (UpdateFunctionCode, PublishVersion).
import {
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import { publishVersion } from '../../src/deploy/publish.js'
import { DEFAULT_RETRY, backoffDelay, withRetry } from '../../src/deploy/retry.js'
import { updateFunctionCode } from '../../src/deploy/update-code.js'
import { awsError, conflictError as conflict, testContext } from '../helpers/deploy-fixtures.js'

const clients = createClients({ region: 'eu-west-1' })
const lambda = mockClient(clients.lambda)

function setup(random = 0.5) {
  return testContext(clients, { random: () => random })
}

const update = {
  functionId: 'orders',
  functionName: 'orders',
  source: { ZipFile: new Uint8Array([1, 2, 3]) },
  codeSha256: 'new=',
  revisionId: 'rev-1'
}

beforeEach(() => {
  lambda.reset()
  lambda
    .on(GetFunctionConfigurationCommand)
    .resolves({ CodeSha256: 'new=', RevisionId: 'rev-2', LastUpdateStatus: 'Successful' })
})

describe('backoffDelay', () => {
  it.each([
    [0, 0, 500],
    [0, 0.999, 1000],
    [1, 0, 1000],
    [3, 1, 8000],
    [5, 0, 10_000],
    [9, 1, 20_000]
  ])('retry %i with random %f waits %i ms', (retry, random, expected) => {
    expect(backoffDelay(retry, DEFAULT_RETRY, () => random)).toBe(expected)
  })
})

describe('ResourceConflictException and throttling', () => {
  it('rides out a storm of conflicts on UpdateFunctionCode, then waits for the update', async () => {
    lambda
      .on(UpdateFunctionCodeCommand)
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .resolves({ CodeSha256: 'new=', LastUpdateStatus: 'InProgress' })
    const { time, log, ctx } = setup()
    const config = await updateFunctionCode(ctx, update)
    expect(config.RevisionId).toBe('rev-2')
    const calls = lambda.commandCalls(UpdateFunctionCodeCommand)
    expect(calls).toHaveLength(6)
    // Every attempt sends the same code-only request with the RevisionId precondition.
    for (const call of calls) {
      expect(call.args[0].input).toEqual({
        FunctionName: 'orders',
        ZipFile: new Uint8Array([1, 2, 3]),
        Publish: false,
        RevisionId: 'rev-1'
      })
    }
    expect(time.sleeps).toEqual([750, 1500, 3000, 6000, 12_000])
    expect(log.lines[0]).toBe(
      'lambda:UpdateFunctionCode on orders: ResourceConflictException: The operation cannot be ' +
        'performed at this time. An update is in progress for resource: orders; retry 1/7 in 0.8 s'
    )
  })

  it('gives up after the last attempt with a labelled error that says what to check', async () => {
    lambda.on(UpdateFunctionCodeCommand).rejects(conflict())
    const { time, ctx } = setup(0)
    await expect(updateFunctionCode(ctx, update)).rejects.toThrow(
      /^lambda:UpdateFunctionCode on orders: gave up after 8 attempts over \d+ s \(ResourceConflictException: .*\)\. Another update kept the function busy the whole time: is another deployment of it running at the same time\?$/
    )
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(DEFAULT_RETRY.attempts)
    expect(time.sleeps).toHaveLength(DEFAULT_RETRY.attempts - 1)
  })

  it('retries throttling on PublishVersion and keeps the preconditions', async () => {
    lambda
      .on(PublishVersionCommand)
      .rejectsOnce(awsError('TooManyRequestsException', 'Rate exceeded', 429))
      .resolves({ Version: '4', FunctionArn: 'arn:aws:lambda:eu-west-1:1:function:orders:4' })
    const { time, ctx } = setup()
    const published = await publishVersion(ctx, {
      functionId: 'orders',
      functionName: 'orders',
      codeSha256: 'new=',
      revisionId: 'rev-2'
    })
    expect(published).toEqual({
      version: '4',
      versionArn: 'arn:aws:lambda:eu-west-1:1:function:orders:4'
    })
    expect(lambda.commandCalls(PublishVersionCommand).map((c) => c.args[0].input)).toEqual([
      { FunctionName: 'orders', CodeSha256: 'new=', RevisionId: 'rev-2' },
      { FunctionName: 'orders', CodeSha256: 'new=', RevisionId: 'rev-2' }
    ])
    expect(time.sleeps).toHaveLength(1)
  })

  it('fails at once on anything else: AccessDenied names the action', async () => {
    lambda
      .on(UpdateFunctionCodeCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          'not authorized to perform: lambda:UpdateFunctionCode',
          403
        )
      )
    const { time, ctx } = setup()
    await expect(updateFunctionCode(ctx, update)).rejects.toThrow(
      /^Permission denied: lambda:UpdateFunctionCode on orders\. Allow "lambda:UpdateFunctionCode" on this resource/
    )
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(1)
    expect(time.sleeps).toEqual([])
  })

  it('explains a RevisionId that moved under us instead of retrying', async () => {
    lambda
      .on(PublishVersionCommand)
      .rejects(
        awsError('PreconditionFailedException', 'The Revision Id provided does not match', 412)
      )
    const { ctx } = setup()
    await expect(
      publishVersion(ctx, {
        functionId: 'orders',
        functionName: 'orders',
        codeSha256: 'x',
        revisionId: 'old'
      })
    ).rejects.toThrow(
      /^orders changed while this deployment ran \(its RevisionId no longer matches\)/
    )
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(1)
  })

  it('fails when Lambda computed another CodeSha256 than the package has', async () => {
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: 'other=' })
    const { ctx } = setup()
    await expect(
      updateFunctionCode(ctx, { ...update, source: { S3Bucket: 'b', S3Key: 'k.zip' } })
    ).rejects.toThrow(
      "orders: Lambda computed CodeSha256 other= for the uploaded code, but the package's is new=. " +
        'The object s3://b/k.zip does not hold this package'
    )
  })

  it('withRetry passes a non-AWS error straight through', async () => {
    const { ctx } = setup()
    await expect(
      withRetry('x', () => Promise.reject(new TypeError('boom')), ctx)
    ).rejects.toBeInstanceOf(TypeError)
  })
})
