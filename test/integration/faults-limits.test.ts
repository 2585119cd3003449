// Faults that outlast the SDK's standard retries (5 attempts), through `node dist/index.js`
// against moto behind the fault proxy: throttling is then carried by the action's own retry;
// a connection reset mid-upload is retried by the SDK once, and when every attempt is reset the
// upload fails naming the object, is aborted (no parts left billed) and a rerun converges.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { s3KeyFor } from '../../src/deploy/upload.js'
import {
  deployThrough,
  functionState,
  logOf,
  openUploads,
  FAULT_BUCKET,
  standardPackages,
  startFaultBench,
  type BuiltPackages,
  type FaultBench
} from '../helpers/fault-bench.js'
import type { FaultProxy } from '../helpers/fault-proxy.js'

const BUCKET = FAULT_BUCKET
const PREFIX = 'lpd/'
let bench: FaultBench
let proxy: FaultProxy
let small: BuiltPackages
let big: BuiltPackages

beforeAll(async () => {
  bench = await startFaultBench()
  proxy = bench.proxy
  ;({ small, big } = await standardPackages(bench))
})

afterAll(async () => {
  await bench?.stop()
})

beforeEach(() => bench.fresh())

function outcomes(operation: string): ReturnType<FaultProxy['outcomes']> {
  return proxy.outcomes({ operation })
}

describe('throttling longer than the SDK retries', () => {
  it('PublishVersion throttled 6 times: the SDK gives up after 5, the action’s retry goes on', async () => {
    proxy.inject(
      { operation: 'PublishVersion' },
      { kind: 'error', status: 429, code: 'TooManyRequestsException' },
      { times: 6 }
    )
    const run = await deployThrough(proxy, {
      'function-name': 'orders',
      'package-dir': small.packageDir
    })
    expect(run.code, logOf(run)).toBe(0)
    expect(outcomes('PublishVersion')).toEqual([429, 429, 429, 429, 429, 429, 'ok'])
    expect(run.stdout).toMatch(
      /lambda:PublishVersion on orders: TooManyRequestsException: Rate exceeded; retry 1\/7 in \d/
    )
    expect((await functionState(bench.moto, 'orders')).versions).toEqual([
      { version: '1', codeSha256: small.functionSha }
    ])
  })
})

describe('a connection reset mid-upload', () => {
  const inputs = (): Record<string, string> => ({
    'function-name': 'orders',
    'package-dir': big.packageDir,
    's3-bucket': BUCKET,
    's3-prefix': PREFIX
  })

  it('once: the SDK sends the part again and the upload completes', async () => {
    proxy.inject({ operation: 'UploadPart' }, { kind: 'reset', afterBytes: 1024 * 1024 })
    const run = await deployThrough(proxy, inputs())
    expect(run.code, logOf(run)).toBe(0)
    expect(outcomes('UploadPart')).toContain('reset')
    expect(proxy.count({ operation: 'CompleteMultipartUpload' })).toBe(1)
    expect(proxy.count({ operation: 'AbortMultipartUpload' })).toBe(0)
    expect(await openUploads(bench.moto, BUCKET)).toEqual([])
    expect(await functionState(bench.moto, 'orders')).toEqual({
      codeSha256: big.functionSha,
      versions: [{ version: '1', codeSha256: big.functionSha }]
    })
  })

  it('on every attempt: fails naming the object, aborts the upload, and a rerun converges', async () => {
    proxy.inject(
      { operation: 'UploadPart' },
      { kind: 'reset', afterBytes: 1024 * 1024 },
      { times: Infinity }
    )
    const failed = await deployThrough(proxy, inputs())
    expect(failed.code, logOf(failed)).toBe(1)
    const key = s3KeyFor(PREFIX, 'orders', big.functionSha)
    // The SDK names a reset connection by the socket error it saw (reading or writing).
    expect(failed.errors.join('\n')).toMatch(
      new RegExp(
        `^orders: s3:PutObject on s3://${BUCKET}/${key} failed: .*(ECONNRESET|EPIPE|socket hang up)`
      )
    )
    expect(proxy.count({ operation: 'CompleteMultipartUpload' })).toBe(0)
    expect(outcomes('AbortMultipartUpload')).toEqual(['ok'])
    expect(await openUploads(bench.moto, BUCKET)).toEqual([])
    expect(proxy.count({ operation: 'UpdateFunctionCode' })).toBe(0)

    proxy.clear()
    const rerun = await deployThrough(proxy, inputs())
    expect(rerun.code, logOf(rerun)).toBe(0)
    expect(await openUploads(bench.moto, BUCKET)).toEqual([])
    expect(await functionState(bench.moto, 'orders')).toEqual({
      codeSha256: big.functionSha,
      versions: [{ version: '1', codeSha256: big.functionSha }]
    })
  })
})
