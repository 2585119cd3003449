// Faults moto cannot show, in what test/unit/deploy-*.test.ts did not cover yet: conflict storms
// on two calls of one deployment, a Failed layer update, an alias created by another run in
// between, and the clean-up of multipart uploads a killed run left (upload.ts).
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand
} from '@aws-sdk/client-s3'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { deployAll } from '../../src/deploy/deploy.js'
import { MULTIPART, stageCode } from '../../src/deploy/upload.js'
import type { PackageFile } from '../../src/types.js'
import {
  ORDERS_ARN as ARN,
  awsError,
  buildOf,
  conflictError as conflict,
  invokePayload,
  mockMultipartUpload,
  mockedDeploy,
  ordersConfiguration as current,
  ordersTarget as target,
  testContext,
  testDeps,
  zeroPackage,
  zipDeployOptions as options
} from '../helpers/deploy-fixtures.js'

const { clients, lambda, s3, files, deployOrders } = mockedDeploy()
const LAYER = 'arn:aws:lambda:eu-west-1:111122223333:layer:orders-deps'

describe('conflicts and failed updates in one deployment', () => {
  it('rides out a ResourceConflictException storm on PublishVersion and then on UpdateAlias', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current())
      .resolves(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-2' }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda
      .on(PublishVersionCommand)
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .resolves({ Version: '8', FunctionArn: `${ARN}:8` })
    lambda.on(GetAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '7' })
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload('{}') })
    lambda
      .on(UpdateAliasCommand)
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '8' })
    const { log, time, deps } = testDeps()

    const [result] = await deployOrders({ ...options, alias: 'live', smokePayload: '{}' }, deps)
    expect(result).toMatchObject({
      status: 'deployed',
      version: '8',
      aliasArn: `${ARN}:live`,
      previousAliasVersion: '7'
    })
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(4)
    // Each retry keeps the preconditions it was first sent with.
    for (const call of lambda.commandCalls(PublishVersionCommand)) {
      expect(call.args[0].input).toEqual({
        FunctionName: 'orders',
        CodeSha256: files.pkg.codeSha256,
        RevisionId: 'rev-2'
      })
    }
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(5)
    // One smoke invocation however many times the alias move was retried.
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1)
    // Two separate backoffs, each starting again from the first step.
    expect(time.sleeps).toEqual([750, 1500, 3000, 750, 1500, 3000, 6000])
    expect(log.lines.filter((l) => /ResourceConflictException.*; retry \d\/7/.test(l))).toEqual([
      expect.stringMatching(/^lambda:PublishVersion on orders: .*retry 1\/7 in 0\.8 s$/),
      expect.stringMatching(/^lambda:PublishVersion on orders: .*retry 2\/7/),
      expect.stringMatching(/^lambda:PublishVersion on orders: .*retry 3\/7/),
      expect.stringMatching(/^lambda:UpdateAlias on orders:live: .*retry 1\/7/),
      expect.stringMatching(/^lambda:UpdateAlias on orders:live: .*retry 2\/7/),
      expect.stringMatching(/^lambda:UpdateAlias on orders:live: .*retry 3\/7/),
      expect.stringMatching(/^lambda:UpdateAlias on orders:live: .*retry 4\/7/)
    ])
  })

  it('an alias storm that never ends: fails naming the alias, the version stays published', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current())
      .resolves(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-2' }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda.on(PublishVersionCommand).resolves({ Version: '8', FunctionArn: `${ARN}:8` })
    lambda.on(GetAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '7' })
    lambda.on(UpdateAliasCommand).rejects(conflict())
    const [result] = await deployOrders({ ...options, alias: 'live' })
    expect(result).toMatchObject({ status: 'failed', version: '8' })
    expect(result!.error).toMatch(
      /^lambda:UpdateAlias on orders:live: gave up after 8 attempts .*is another deployment of it running at the same time\?$/
    )
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(1)
  })

  it('CreateAlias conflicting (another run created it meanwhile) falls back to UpdateAlias', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current())
      .resolves(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-2' }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda.on(PublishVersionCommand).resolves({ Version: '3', FunctionArn: `${ARN}:3` })
    // Not there when read; there (on version 2) when read again after the conflict.
    lambda
      .on(GetAliasCommand)
      .rejectsOnce(awsError('ResourceNotFoundException', 'Cannot find alias', 404))
      .resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '2', RevisionId: 'theirs' })
    lambda
      .on(CreateAliasCommand)
      .rejects(awsError('ResourceConflictException', 'Alias already exists', 409))
    lambda.on(UpdateAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '3' })
    const { time, deps } = testDeps()
    const [result] = await deployOrders({ ...options, alias: 'live' }, deps)
    expect(result, result!.error).toMatchObject({
      status: 'deployed',
      version: '3',
      aliasArn: `${ARN}:live`
    })
    // A conflict here means "it exists": not retried, no backoff.
    expect(lambda.commandCalls(CreateAliasCommand)).toHaveLength(1)
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(1)
    expect(lambda.commandCalls(UpdateAliasCommand)[0]!.args[0].input.RevisionId).toBe('theirs')
    expect(time.sleeps).toEqual([])
  })

  it('a layer update that ends Failed stops the deployment before any code is sent', async () => {
    lambda.on(ListLayerVersionsCommand).resolves({ LayerVersions: [] })
    lambda.on(PublishLayerVersionCommand).resolves({
      LayerVersionArn: `${LAYER}:1`,
      Version: 1,
      Content: { CodeSha256: files.layerPkg.codeSha256 }
    })
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current())
      .resolvesOnce(current({ LastUpdateStatus: 'InProgress' }))
      .resolvesOnce(current({ LastUpdateStatus: 'InProgress' }))
      .resolves(
        current({
          LastUpdateStatus: 'Failed',
          LastUpdateStatusReasonCode: 'InternalError',
          LastUpdateStatusReason: 'Layer version arn:...:orders-deps:1 does not exist'
        })
      )
    lambda.on(UpdateFunctionConfigurationCommand).resolves({})
    const [result] = await deployAll(
      [target],
      buildOf([{ function: files.pkg, layer: files.layerPkg }]),
      { ...options, packageType: 'layer', layerName: 'orders-deps' },
      clients,
      testDeps().deps
    )
    expect(result).toMatchObject({ status: 'failed', layerVersionArn: `${LAYER}:1` })
    expect(result!.error).toBe(
      'Waiting for the layer update of orders: its last update failed (LastUpdateStatus ' +
        'Failed): InternalError: Layer version arn:...:orders-deps:1 does not exist.'
    )
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0)
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0)
  })
})

describe('multipart uploads a killed run left', () => {
  const plan = { method: 's3', bucket: 'artifacts', key: 'p/orders/abc.zip' } as const
  let big: PackageFile

  beforeAll(async () => {
    big = await zeroPackage(files.dir, 'big.zip', MULTIPART.partSize + 1024)
  })

  beforeEach(() => {
    s3.on(HeadObjectCommand).rejects(awsError('NotFound', 'NotFound', 404))
    mockMultipartUpload(s3, 'new')
  })

  it('aborts unfinished uploads of exactly this key before uploading', async () => {
    s3.on(ListMultipartUploadsCommand).resolves({
      Uploads: [
        { Key: plan.key, UploadId: 'stale-1' },
        // Same prefix, another object: not ours to abort.
        { Key: `${plan.key}.old`, UploadId: 'other' },
        { Key: plan.key, UploadId: 'stale-2' }
      ]
    })
    s3.on(AbortMultipartUploadCommand, { UploadId: 'stale-2' }).rejects(
      awsError('NoSuchUpload', 'The specified upload does not exist', 404)
    )
    const { log, ctx } = testContext(clients)
    await stageCode(ctx, big, plan, 'function orders')
    expect(s3.commandCalls(ListMultipartUploadsCommand)[0]!.args[0].input).toEqual({
      Bucket: 'artifacts',
      Prefix: plan.key
    })
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'artifacts', Key: plan.key, UploadId: 'stale-1' },
      { Bucket: 'artifacts', Key: plan.key, UploadId: 'stale-2' }
    ])
    // Completed or aborted meanwhile: nothing to say.
    expect(log.warnings).toEqual([])
    expect(log.lines).toContain(
      'function orders: aborted an unfinished upload to s3://artifacts/p/orders/abc.zip that an earlier run left'
    )
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1)
  })

  it('uploads anyway when listing them is denied, and says which grants clean up', async () => {
    s3.on(ListMultipartUploadsCommand).rejects(awsError('AccessDenied', 'Access Denied', 403))
    const { log, ctx } = testContext(clients)
    await stageCode(ctx, big, plan, 'function orders')
    expect(log.lines).toContain(
      's3://artifacts/p/orders/abc.zip: ListMultipartUploads was denied (grant ' +
        's3:ListBucketMultipartUploads and s3:AbortMultipartUpload to clean up uploads that a ' +
        'stopped run left)'
    )
    expect(log.warnings).toEqual([])
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0)
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1)
  })

  it('warns and uploads when an abort is denied', async () => {
    s3.on(ListMultipartUploadsCommand).resolves({ Uploads: [{ Key: plan.key, UploadId: 'stale' }] })
    s3.on(AbortMultipartUploadCommand).rejects(awsError('AccessDenied', 'Access Denied', 403))
    const { log, ctx } = testContext(clients)
    await stageCode(ctx, big, plan, 'function orders')
    expect(log.warnings).toEqual([
      's3://artifacts/p/orders/abc.zip: unfinished upload stale not aborted (grant ' +
        's3:AbortMultipartUpload): Access Denied'
    ])
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1)
  })
})
