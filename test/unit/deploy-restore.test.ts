// $LATEST put back on the code of the version the alias served, and the whole rejection path
// (alias back, routing cleared, $LATEST restored, the step failing with all of it). GetFunction
// is answered by aws-sdk-client-mock with a Code.Location on a loopback code server: the real
// download code runs, and nothing leaves 127.0.0.1.
import { createHash } from 'node:crypto'
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import { restoreLatest, type RestoreRequest } from '../../src/deploy/restore-latest.js'
import { sha256Hex } from '../../src/deploy/upload.js'
import { LIMITS } from '../../src/lambda-facts.js'
import { startCodeServer, type CodeServer } from '../helpers/code-server.js'
import {
  ORDERS_ARN as ARN,
  awsError,
  invokePayload,
  mockMultipartUpload,
  mockedDeploy,
  ordersConfiguration as current,
  testContext,
  testDeps,
  zipDeployOptions as options
} from '../helpers/deploy-fixtures.js'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'

const { clients, lambda, s3, files, deployOrders } = mockedDeploy()
const cloudwatch = mockClient(clients.cloudwatch)
let server: CodeServer
let proxy: ForwardProxy

const v1Code = new TextEncoder().encode('the code version 1 runs')
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64')
const V1_SHA = sha(v1Code)

beforeAll(async () => {
  server = await startCodeServer()
  proxy = await startForwardProxy()
})
afterAll(async () => {
  await server?.stop()
  await proxy?.stop()
})
beforeEach(() => {
  cloudwatch.reset()
  server.requests.length = 0
})

/** GetFunction of version `version` as Lambda answers it, its code on the loopback server. */
function servedVersion(version: string, code: Uint8Array, extra: Record<string, unknown> = {}) {
  return {
    Configuration: {
      FunctionName: 'orders',
      Version: version,
      CodeSha256: sha(code),
      Architectures: ['arm64' as const],
      Layers: [],
      ...extra
    },
    Code: { RepositoryType: 'S3', Location: server.serve(`orders-${version}`, code) }
  }
}

/** $LATEST holds the rejected package (files.pkg) until UpdateFunctionCode puts v1 back. */
function latestRejected(extra = {}): void {
  lambda
    .on(GetFunctionConfigurationCommand)
    .resolvesOnce(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-5', ...extra }))
    .resolves(current({ CodeSha256: V1_SHA, RevisionId: 'rev-6' }))
}

const request = (): RestoreRequest => ({
  functionId: 'orders',
  functionName: 'orders',
  rejectedCodeSha256: files.pkg.codeSha256,
  version: '1',
  s3Prefix: 'lambda-python-deploy/'
})

describe('restoreLatest', () => {
  it('downloads the version’s code from its presigned URL and uploads it again, with RevisionId', async () => {
    latestRejected()
    lambda.on(GetFunctionCommand).resolves(servedVersion('1', v1Code))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: V1_SHA })
    const { ctx } = testContext(clients)
    const restored = await restoreLatest(ctx, request())

    expect(restored).toEqual({
      status: 'restored',
      detail: `$LATEST restored to the code of version 1 (CodeSha256 ${V1_SHA.slice(0, 12)}) (23 B, direct upload)`
    })
    expect(lambda.commandCalls(GetFunctionCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'orders',
      Qualifier: '1'
    })
    expect(server.requests).toEqual([expect.stringMatching(/^\/orders-1\?X-Amz-Expires=600/)])
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'orders',
      ZipFile: Buffer.from(v1Code),
      Publish: false,
      RevisionId: 'rev-5'
    })
    expect(lambda.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(0)
  })

  it('goes through the proxy the environment names, as every other request', async () => {
    const proxied = createClients({ region: 'eu-west-1', env: { HTTP_PROXY: proxy.url } })
    const stub = mockClient(proxied.lambda)
    try {
      stub
        .on(GetFunctionConfigurationCommand)
        .resolvesOnce(current({ CodeSha256: files.pkg.codeSha256 }))
        .resolves(current({ CodeSha256: V1_SHA }))
      const served = servedVersion('1', v1Code)
      // `.test` names resolve nowhere: only the proxy (which maps them to loopback) reaches it.
      served.Code.Location = served.Code.Location.replace('127.0.0.1', 'code.test')
      stub.on(GetFunctionCommand).resolves(served)
      stub.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: V1_SHA })
      const { ctx } = testContext(proxied)
      expect((await restoreLatest(ctx, request())).status).toBe('restored')
      expect(proxy.requests.at(-1)).toMatchObject({ method: 'GET', outcome: 'forwarded' })
      expect(proxy.requests.at(-1)!.target).toMatch(/^code\.test:\d+$/)
    } finally {
      stub.restore()
    }
  })

  it('a version’s code over 52,428,800 bytes goes back through s3-bucket, content-addressed', async () => {
    const big = new Uint8Array(LIMITS.directUploadBytes + 1)
    latestRejected()
    lambda.on(GetFunctionCommand).resolves(servedVersion('1', big))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: sha(big) })
    s3.on(HeadObjectCommand).rejects(awsError('NotFound', 'Not Found', 404))
    mockMultipartUpload(s3, 'upload-1')
    const { ctx } = testContext(clients)
    const restored = await restoreLatest(ctx, { ...request(), s3Bucket: 'artifacts' })
    expect(restored.status, restored.detail).toBe('restored')
    expect(restored.detail).toMatch(/, through S3\)$/)
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)[0]!.args[0].input).toMatchObject({
      S3Bucket: 'artifacts',
      S3Key: `lambda-python-deploy/orders/${sha256Hex(sha(big))}.zip`,
      RevisionId: 'rev-5'
    })
  })

  it('the same, without s3-bucket: $LATEST stays on the rejected code and the report says how to fix it', async () => {
    const big = new Uint8Array(LIMITS.directUploadBytes + 1)
    latestRejected()
    lambda.on(GetFunctionCommand).resolves(servedVersion('1', big))
    const { ctx } = testContext(clients)
    const restored = await restoreLatest(ctx, request())
    expect(restored.status).toBe('failed')
    expect(restored.detail).toMatch(
      /^\$LATEST still runs the rejected code \(CodeSha256 .{12}\): restoring the code of version 1 failed: s3-bucket: the function orders \(version 1's code\) package is 52,428,801 bytes/
    )
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0)
  })

  it('refuses a download whose CodeSha256 is not the version’s', async () => {
    latestRejected()
    const served = servedVersion('1', v1Code)
    served.Configuration.CodeSha256 = sha(new TextEncoder().encode('something else'))
    lambda.on(GetFunctionCommand).resolves(served)
    const { ctx } = testContext(clients)
    const restored = await restoreLatest(ctx, request())
    expect(restored.status).toBe('failed')
    expect(restored.detail).toContain('the download was altered or cut short')
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0)
  })

  it('a refused download names the host and the status, never the signed query', async () => {
    latestRejected()
    const served = servedVersion('1', v1Code)
    served.Code.Location = server.serve('orders-1', v1Code, { status: 403 })
    lambda.on(GetFunctionCommand).resolves(served)
    const { ctx } = testContext(clients)
    const restored = await restoreLatest(ctx, request())
    expect(restored.status).toBe('failed')
    expect(restored.detail).toMatch(/downloading from 127\.0\.0\.1:\d+ failed: HTTP 403 Forbidden/)
    expect(restored.detail).not.toContain('Signature')
  })

  it('leaves $LATEST alone when it holds other code than this run’s (another deployment)', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(current({ CodeSha256: 'someone-else=' }))
    const { ctx } = testContext(clients)
    const restored = await restoreLatest(ctx, request())
    expect(restored).toMatchObject({ status: 'left' })
    expect(restored.detail).toMatch(/^\$LATEST was left alone: it holds other code now/)
    expect(lambda.commandCalls(GetFunctionCommand)).toHaveLength(0)
  })

  it('puts the layers and the architecture back when this deployment changed them', async () => {
    latestRejected({
      Layers: [{ Arn: 'arn:aws:lambda:eu-west-1:1:layer:deps:2' }],
      Architectures: ['x86_64']
    })
    lambda
      .on(GetFunctionCommand)
      .resolves(
        servedVersion('1', v1Code, { Layers: [{ Arn: 'arn:aws:lambda:eu-west-1:1:layer:deps:1' }] })
      )
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: V1_SHA })
    lambda.on(UpdateFunctionConfigurationCommand).resolves({})
    const { ctx } = testContext(clients)
    const restored = await restoreLatest(ctx, request())
    expect(restored.detail).toMatch(
      /restored to the code of version 1 .*, architecture arm64, its layers \(arn:aws:lambda:eu-west-1:1:layer:deps:1\)$/
    )
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)[0]!.args[0].input).toMatchObject({
      Architectures: ['arm64']
    })
    expect(lambda.commandCalls(UpdateFunctionConfigurationCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'orders',
      Layers: ['arn:aws:lambda:eu-west-1:1:layer:deps:1'],
      RevisionId: 'rev-6'
    })
  })
})

describe('a rejected release', () => {
  /** Ships files.pkg as version 2 over version 1 (alias live on 1, routing as given). */
  function shipVersion2(
    aliasNow = { AliasArn: `${ARN}:live`, FunctionVersion: '1', RevisionId: 'a1' }
  ) {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current({ CodeSha256: V1_SHA }))
      .resolvesOnce(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-2' }))
      .resolvesOnce(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-3' }))
      .resolves(current({ CodeSha256: V1_SHA, RevisionId: 'rev-4' }))
    lambda
      .on(UpdateFunctionCodeCommand)
      .resolvesOnce({ CodeSha256: files.pkg.codeSha256 })
      .resolves({ CodeSha256: V1_SHA })
    lambda.on(PublishVersionCommand).resolves({ Version: '2', FunctionArn: `${ARN}:2` })
    lambda.on(GetAliasCommand).resolves(aliasNow)
    lambda.on(GetFunctionCommand).resolves(servedVersion('1', v1Code))
  }

  it('a failed smoke invocation: alias left on version 1, $LATEST back on its code, all said', async () => {
    shipVersion2()
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: invokePayload('{"errorType":"KeyError","errorMessage":"\'TABLE_NAME\'"}')
    })
    const [result] = await deployOrders({ ...options, alias: 'live', smokePayload: '{}' })
    expect(result).toMatchObject({
      status: 'failed',
      version: '2',
      rollout: 'rolled-back',
      servingVersion: '1',
      latestRestore: { status: 'restored' }
    })
    expect(result!.aliasArn).toBeUndefined()
    expect(result!.error).toBe(
      [
        "Version 2 was rejected: Smoke invocation of orders:2 failed (FunctionError Unhandled): KeyError: 'TABLE_NAME'.",
        'Alias live was left at version 1.',
        `$LATEST restored to the code of version 1 (CodeSha256 ${V1_SHA.slice(0, 12)}) (23 B, direct upload).`,
        'Version 2 stays published.'
      ].join('\n')
    )
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0)
    expect(
      lambda.commandCalls(UpdateFunctionCodeCommand).map((c) => c.args[0].input.ZipFile)
    ).toEqual([Buffer.from('function zip bytes'), Buffer.from(v1Code)])
  })

  it('no alias: $LATEST goes back to the newest version that holds the code it ran before', async () => {
    shipVersion2()
    lambda.on(ListVersionsByFunctionCommand).resolves({
      Versions: [
        { Version: '$LATEST', CodeSha256: files.pkg.codeSha256, FunctionArn: `${ARN}:$LATEST` },
        { Version: '1', CodeSha256: V1_SHA, FunctionArn: `${ARN}:1` },
        { Version: '2', CodeSha256: files.pkg.codeSha256, FunctionArn: `${ARN}:2` }
      ]
    })
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: invokePayload('{}') })
    const [result] = await deployOrders({ ...options, smokePayload: '{}' })
    expect(result).toMatchObject({ rollout: 'rolled-back', latestRestore: { status: 'restored' } })
    expect(lambda.commandCalls(GetFunctionCommand)[0]!.args[0].input.Qualifier).toBe('1')
  })

  it('an alarm during a canary: alias back on version 1 with routing cleared, $LATEST restored', async () => {
    shipVersion2()
    lambda
      .on(UpdateAliasCommand)
      .resolvesOnce({
        AliasArn: `${ARN}:live`,
        FunctionVersion: '1',
        RevisionId: 'a2',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } }
      })
      .resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '1', RevisionId: 'a3' })
    // After the trip, the rollback reads the alias again: still 25% to version 2.
    lambda
      .on(GetAliasCommand)
      .resolvesOnce({ AliasArn: `${ARN}:live`, FunctionVersion: '1', RevisionId: 'a1' })
      .resolves({
        AliasArn: `${ARN}:live`,
        FunctionVersion: '1',
        RevisionId: 'a2',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } }
      })
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload('{}') })
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'orders-errors', StateValue: 'OK' }] })
      .resolves({
        MetricAlarms: [
          { AlarmName: 'orders-errors', StateValue: 'ALARM', StateReason: 'Threshold Crossed' }
        ]
      })
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] })

    const [result] = await deployOrders({
      ...options,
      alias: 'live',
      smokePayload: '{}',
      traffic: { kind: 'canary', percent: 25, stepMs: 5_000 },
      health: { alarms: ['orders-errors'], maxErrors: 0 }
    })
    expect(result).toMatchObject({
      rollout: 'rolled-back',
      servingVersion: '1',
      previousAliasVersion: '1'
    })
    expect(result!.error).toMatch(
      /^Version 2 was rejected: alarm orders-errors is in ALARM \(Threshold Crossed\) \(at 25% to version 2, 1 s into the shift\)\.\nAlias live serves version 1 again, routing cleared\.\n\$LATEST restored to the code of version 1/
    )
    expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      {
        FunctionName: 'orders',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } },
        RevisionId: 'a1'
      },
      {
        FunctionName: 'orders',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'a2'
      }
    ])
    expect(result!.traffic).toMatchObject({ from: '1', to: '2', stopped: { atMs: 1_000 } })
  })

  it('a cancelled job during the smoke invocation: nothing moves, $LATEST restored', async () => {
    shipVersion2()
    const cancel = new AbortController()
    lambda.on(InvokeCommand).callsFake(() => {
      cancel.abort()
      return { StatusCode: 200, Payload: invokePayload('{}') }
    })
    const [result] = await deployOrders(
      {
        ...options,
        alias: 'live',
        smokePayload: '{}',
        traffic: { kind: 'canary', percent: 10, stepMs: 60_000 }
      },
      testDeps({ signal: cancel.signal }).deps
    )
    expect(result!.error).toMatch(
      /^Version 2 was rejected: the job was cancelled before the alias moved\./
    )
    expect(result).toMatchObject({ rollout: 'rolled-back', latestRestore: { status: 'restored' } })
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0)
    expect(lambda.commandCalls(CreateAliasCommand)).toHaveLength(0)
  })

  it('an earlier run’s half shift to the same version is finished, from its share', async () => {
    // The code is deployed already: version 2 holds it, the alias routes 50% to it.
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(current({ CodeSha256: files.pkg.codeSha256 }))
    lambda.on(ListVersionsByFunctionCommand).resolves({
      Versions: [{ Version: '2', CodeSha256: files.pkg.codeSha256, FunctionArn: `${ARN}:2` }]
    })
    lambda.on(GetAliasCommand).resolves({
      AliasArn: `${ARN}:live`,
      FunctionVersion: '1',
      RevisionId: 'a1',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } }
    })
    lambda
      .on(UpdateAliasCommand)
      .resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '2', RevisionId: 'a9' })
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload('{}') })
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] })
    const { log, deps } = testDeps()
    const [result] = await deployOrders(
      {
        ...options,
        alias: 'live',
        smokePayload: '{}',
        traffic: { kind: 'linear', percent: 25, stepMs: 2_000 }
      },
      deps
    )
    expect(result).toMatchObject({
      status: 'unchanged',
      rollout: 'promoted',
      servingVersion: '2',
      smoke: { status: 'passed' }
    })
    expect(log.warnings).toContain(
      'orders: alias live routes 50% to version 2, left by a shift that did not finish (a killed run?): finishing it, from 50%, health checked as before'
    )
    // 50% again (held in full), 75%, then the promotion.
    expect(
      lambda
        .commandCalls(UpdateAliasCommand)
        .map((c) => c.args[0].input.RoutingConfig?.AdditionalVersionWeights)
    ).toEqual([{ '2': 0.5 }, { '2': 0.75 }, {}])
    expect(result!.traffic?.resumedAt).toBe(50)
  })
})
