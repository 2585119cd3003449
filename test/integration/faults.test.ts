// Throttling and 5xx on every Lambda and S3 call, through `node dist/index.js` against moto
// behind the fault proxy: the SDK's standard retries (5 attempts) carry each call through and
// the deployment ends as a clean one would, one version per code. Faults that outlast those
// retries are in faults-limits.test.ts.
import {
  CreateAliasCommand,
  GetFunctionConfigurationCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand
} from '@aws-sdk/client-lambda'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { s3KeyFor } from '../../src/deploy/upload.js'
import { LIMITS } from '../../src/lambda-facts.js'
import {
  deployThrough,
  functionState,
  layerVersions,
  logOf,
  openUploads,
  standardPackages,
  FAULT_BUCKET,
  startFaultBench,
  type BuiltPackages,
  type FaultBench
} from '../helpers/fault-bench.js'
import type { FaultProxy } from '../helpers/fault-proxy.js'
import { helloZip } from '../helpers/moto.js'

const BUCKET = FAULT_BUCKET
const PREFIX = 'lpd/'
let bench: FaultBench
let proxy: FaultProxy
let small: BuiltPackages
let big: BuiltPackages
let layered: BuiltPackages

beforeAll(async () => {
  bench = await startFaultBench()
  proxy = bench.proxy
  ;({ small, big, layered } = await standardPackages(bench))
  expect(big.functionSize).toBeGreaterThan(LIMITS.directUploadBytes)
})

afterAll(async () => {
  await bench?.stop()
})

beforeEach(() => bench.fresh())

function outcomes(operation: string): ReturnType<FaultProxy['outcomes']> {
  return proxy.outcomes({ operation })
}

/** 429, 500 and 503 on the first three calls of each operation: the SDK's 4 retries absorb them. */
function failEachCallThreeTimes(service: 'lambda' | 's3', operations: string[]): void {
  for (const operation of operations) {
    for (const status of [429, 500, 503]) {
      proxy.inject({ service, operation }, { kind: 'error', status })
    }
  }
}

describe('throttling and 5xx on every call', () => {
  it('Lambda: each call the deploy makes gets 429, 500, 503, and the deploy still converges', async () => {
    // An alias on an earlier version, so the deploy moves it (GetAlias, UpdateAlias).
    await bench.moto.lambda.send(new PublishVersionCommand({ FunctionName: 'orders' }))
    await bench.moto.lambda.send(
      new CreateAliasCommand({ FunctionName: 'orders', Name: 'live', FunctionVersion: '1' })
    )
    const operations = [
      'GetFunctionConfiguration',
      'UpdateFunctionCode',
      'PublishVersion',
      'GetAlias',
      'Invoke',
      'UpdateAlias'
    ]
    failEachCallThreeTimes('lambda', operations)

    const run = await deployThrough(proxy, {
      'function-name': 'orders',
      'package-dir': small.packageDir,
      alias: 'live',
      'smoke-payload': '{"ping": 1}',
      'smoke-expect': '{"ping": 1}'
    })
    expect(run.code, logOf(run)).toBe(0)
    for (const operation of operations) {
      expect(outcomes(operation).slice(0, 4), operation).toEqual([429, 500, 503, 'ok'])
    }
    expect(run.outputs).toMatchObject({ 'code-sha256': small.functionSha, version: '2' })
    expect(await functionState(bench.moto, 'orders', 'live')).toEqual({
      codeSha256: small.functionSha,
      versions: [
        { version: '1', codeSha256: expect.any(String) },
        { version: '2', codeSha256: small.functionSha }
      ],
      aliasVersion: '2'
    })
    // Invoke answered once (moto echoes the payload) though it was sent four times.
    expect(outcomes('Invoke').filter((o) => o === 'ok')).toHaveLength(1)
  })

  it('S3: HeadObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload each get 429, 500, 503', async () => {
    const operations = [
      'HeadObject',
      'CreateMultipartUpload',
      'UploadPart',
      'CompleteMultipartUpload'
    ]
    failEachCallThreeTimes('s3', operations)

    const run = await deployThrough(proxy, {
      'function-name': 'orders',
      'package-dir': big.packageDir,
      's3-bucket': BUCKET,
      's3-prefix': PREFIX
    })
    expect(run.code, logOf(run)).toBe(0)
    // HEAD answers carry no body: the SDK sees the status alone, and a 404 after the faults.
    expect(outcomes('HeadObject').slice(0, 4)).toEqual([429, 500, 503, 404])
    for (const operation of operations.slice(1)) {
      expect(outcomes(operation).slice(0, 3), operation).toEqual([429, 500, 503])
    }
    expect(outcomes('CompleteMultipartUpload').at(-1)).toBe('ok')
    const parts = Math.ceil(big.functionSize / (8 * 1024 * 1024))
    expect(outcomes('UploadPart').filter((o) => o === 'ok')).toHaveLength(parts)
    expect(await openUploads(bench.moto, BUCKET)).toEqual([])
    const key = s3KeyFor(PREFIX, 'orders', big.functionSha)
    const head = await bench.moto.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
    expect(head.ContentLength).toBe(big.functionSize)
    expect(await functionState(bench.moto, 'orders')).toEqual({
      codeSha256: big.functionSha,
      versions: [{ version: '1', codeSha256: big.functionSha }]
    })
  })

  it('Lambda, package-type layer: the layer calls, then ListVersionsByFunction on a rerun', async () => {
    const { moto } = bench
    // An older layer version, so the deploy compares it (GetLayerVersion) before publishing.
    await moto.lambda.send(
      new PublishLayerVersionCommand({
        LayerName: 'orders-deps',
        Content: { ZipFile: await helloZip() },
        CompatibleRuntimes: ['python3.12'],
        CompatibleArchitectures: ['arm64']
      })
    )
    const layerCalls = [
      'ListLayerVersions',
      'GetLayerVersion',
      'PublishLayerVersion',
      'UpdateFunctionConfiguration'
    ]
    failEachCallThreeTimes('lambda', layerCalls)
    const inputs = {
      'function-name': 'orders',
      'package-dir': layered.packageDir,
      'package-type': 'layer',
      'layer-name': 'orders-deps'
    }
    const run = await deployThrough(proxy, inputs)
    expect(run.code, logOf(run)).toBe(0)
    for (const operation of layerCalls) {
      expect(outcomes(operation).slice(0, 4), operation).toEqual([429, 500, 503, 'ok'])
    }
    const layers = await layerVersions(moto, 'orders-deps')
    expect(layers.map((l) => l.version)).toEqual([1, 2])
    expect(run.outputs['layer-version-arn']).toBe(layers[1]!.arn)

    // The same build again: nothing to send, the version found by listing.
    proxy.clear()
    proxy.forget()
    failEachCallThreeTimes('lambda', ['ListVersionsByFunction'])
    const again = await deployThrough(proxy, inputs)
    expect(again.code, logOf(again)).toBe(0)
    expect(outcomes('ListVersionsByFunction').slice(0, 4)).toEqual([429, 500, 503, 'ok'])
    expect(again.outputs).toMatchObject({ changed: 'false', version: '1' })
    expect(proxy.count({ method: 'POST', service: 'lambda' })).toBe(0)
    expect(proxy.count({ method: 'PUT', service: 'lambda' })).toBe(0)
    expect((await layerVersions(moto, 'orders-deps')).map((l) => l.version)).toEqual([1, 2])
    const config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect(config.Layers?.map((l) => l.Arn)).toEqual([layers[1]!.arn])
    expect(await functionState(moto, 'orders')).toEqual({
      codeSha256: layered.functionSha,
      versions: [{ version: '1', codeSha256: layered.functionSha }]
    })
  })
})
