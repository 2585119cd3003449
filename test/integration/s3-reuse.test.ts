// The content-addressed S3 object is reused only when S3's own SHA-256 checksum of it is the
// package's, and every S3 request names the account that must own the bucket: through
// `node dist/index.js` against moto behind the recording proxy. The decision table is in
// test/unit/deploy-upload.test.ts (aws-sdk-client-mock).
import { randomBytes } from 'node:crypto'
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { MULTIPART, s3KeyFor } from '../../src/deploy/upload.js'
import { s3Sha256OfFile } from '../../src/file-digest.js'
import { LIMITS } from '../../src/lambda-facts.js'
import {
  deployThrough,
  logOf,
  standardPackages,
  FAULT_BUCKET,
  startFaultBench,
  type BuiltPackages,
  type FaultBench
} from '../helpers/fault-bench.js'
import { MOTO_ACCOUNT } from '../helpers/moto.js'

const PREFIX = 'lpd/'
let bench: FaultBench
let small: BuiltPackages
let big: BuiltPackages

beforeAll(async () => {
  bench = await startFaultBench()
  ;({ small, big } = await standardPackages(bench))
  expect(big.functionSize).toBeGreaterThan(LIMITS.directUploadBytes)
})

afterAll(async () => {
  await bench?.stop()
})

beforeEach(() => bench.fresh())

const deploy = (packageDir: string, extra: Record<string, string> = {}) =>
  deployThrough(bench.proxy, {
    'function-name': 'orders',
    'package-dir': packageDir,
    's3-bucket': FAULT_BUCKET,
    's3-prefix': PREFIX,
    ...extra
  })

async function deployedSha(): Promise<string | undefined> {
  const config = await bench.moto.lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
  )
  return config.CodeSha256
}

describe('S3 objects of a package over the direct-upload limit', () => {
  it('an object of the same size but other bytes at the key is uploaded over, never shipped', async () => {
    const key = s3KeyFor(PREFIX, 'orders', big.functionSha)
    // Planted by someone who can write the prefix, with a SHA-256 checksum of its own bytes.
    await bench.moto.s3.send(
      new PutObjectCommand({
        Bucket: FAULT_BUCKET,
        Key: key,
        Body: randomBytes(big.functionSize),
        ChecksumAlgorithm: 'SHA256'
      })
    )
    bench.proxy.forget()

    const run = await deploy(big.packageDir)
    expect(run.code, logOf(run)).toBe(0)
    expect(run.stdout).toContain(
      `function orders: s3://${FAULT_BUCKET}/${key} is there with the package's size but not its bytes`
    )
    expect(bench.proxy.count({ operation: 'CompleteMultipartUpload' })).toBe(1)
    expect(await deployedSha()).toBe(big.functionSha)
    const head = await bench.moto.s3.send(
      new HeadObjectCommand({ Bucket: FAULT_BUCKET, Key: key, ChecksumMode: 'ENABLED' })
    )
    const expected = await s3Sha256OfFile(big.zipPath, MULTIPART.partSize)
    expect(head.ChecksumSHA256?.split('-')[0]).toBe(expected.composite.split('-')[0])
  })

  it('the object this action uploaded is reused on a later deploy of the same package', async () => {
    const first = await deploy(big.packageDir)
    expect(first.code, logOf(first)).toBe(0)
    expect(await deployedSha()).toBe(big.functionSha)
    const other = await deploy(small.packageDir)
    expect(other.code, logOf(other)).toBe(0)
    bench.proxy.forget()

    // Back to the big package (a rollback): its object is proven by its checksum, not resent.
    const again = await deploy(big.packageDir)
    expect(again.code, logOf(again)).toBe(0)
    expect(again.stdout).toMatch(/is already there, its SHA-256 checksum the package's/)
    expect(bench.proxy.count({ service: 's3', operation: 'CreateMultipartUpload' })).toBe(0)
    expect(bench.proxy.count({ service: 's3', operation: 'UploadPart' })).toBe(0)
    expect(await deployedSha()).toBe(big.functionSha)
  })

  it('names the bucket owner, the function’s account, in every S3 request', async () => {
    const run = await deploy(big.packageDir)
    expect(run.code, logOf(run)).toBe(0)
    const s3Requests = bench.proxy.requests.filter((r) => r.service === 's3')
    expect(s3Requests.map((r) => r.operation)).toEqual(
      expect.arrayContaining(['HeadObject', 'CreateMultipartUpload', 'UploadPart'])
    )
    for (const request of s3Requests) {
      expect(request.headers['x-amz-expected-bucket-owner'], request.operation).toBe(MOTO_ACCOUNT)
    }
  })

  it('s3-bucket-owner overrides it', async () => {
    const run = await deploy(big.packageDir, { 's3-bucket-owner': '210987654321' })
    // moto does not check the owner; what was asked of S3 is what matters here.
    expect(run.code, logOf(run)).toBe(0)
    const owners = new Set(
      bench.proxy.requests
        .filter((r) => r.service === 's3')
        .map((r) => r.headers['x-amz-expected-bucket-owner'])
    )
    expect([...owners]).toEqual(['210987654321'])
  })
})
