// Direct or S3, and what a failed multipart upload leaves behind (nothing: it is aborted).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import {
  MULTIPART,
  checksumMatches,
  planUpload,
  s3KeyFor,
  sha256Hex,
  stageCode
} from '../../src/deploy/upload.js'
import { s3Sha256OfFile } from '../../src/file-digest.js'
import { LIMITS } from '../../src/lambda-facts.js'
import {
  awsError,
  mockMultipartUpload,
  testContext,
  zeroPackage as zeroFile
} from '../helpers/deploy-fixtures.js'

const clients = createClients({ region: 'eu-west-1' })
const s3 = mockClient(clients.s3)
let dir: string

const zeroPackage = (name: string, size: number) => zeroFile(dir, name, size)
const setup = () => testContext(clients)
/** Where packages above the direct limit go in these tests. */
const toS3 = { method: 's3', bucket: 'artifacts', key: 'k.zip' } as const

const SHA = Buffer.alloc(32, 0xab).toString('base64')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lpd-upload-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => s3.reset())

describe('planUpload', () => {
  const where = { s3Prefix: 'lambda-python-deploy/', owner: 'orders', label: 'function orders' }

  it.each([
    [1, undefined, 'direct'],
    [LIMITS.directUploadBytes, undefined, 'direct'],
    [LIMITS.directUploadBytes, 'artifacts', 'direct'],
    [LIMITS.directUploadBytes + 1, 'artifacts', 's3']
  ] as const)('%i bytes with s3-bucket %s goes %s', (size, bucket, method) => {
    expect(
      planUpload(size, SHA, { ...where, ...(bucket ? { s3Bucket: bucket } : {}) }).method
    ).toBe(method)
  })

  it('uses the content-addressed key <s3-prefix><function>/<sha256hex>.zip', () => {
    expect(planUpload(60_000_000, SHA, { ...where, s3Bucket: 'artifacts' })).toEqual({
      method: 's3',
      bucket: 'artifacts',
      key: `lambda-python-deploy/orders/${'ab'.repeat(32)}.zip`
    })
    expect(sha256Hex(SHA)).toBe('ab'.repeat(32))
    expect(s3KeyFor('', 'deps', SHA)).toBe(`deps/${'ab'.repeat(32)}.zip`)
  })

  it('above the limit without a bucket, names s3-bucket and the size', () => {
    expect(() => planUpload(60_000_000, SHA, where)).toThrow(
      "s3-bucket: the function orders package is 60,000,000 bytes (57.2 MiB), over Lambda's " +
        '52,428,800-byte limit for a direct upload. Set s3-bucket to an existing bucket'
    )
  })
})

describe('stageCode', () => {
  it('sends a small package in the request, after checking its CodeSha256', async () => {
    const pkg = await zeroPackage('small.zip', 1000)
    const { ctx } = setup()
    const source = await stageCode(ctx, pkg, { method: 'direct' }, 'function orders')
    expect(source).toEqual({ ZipFile: Buffer.alloc(1000) })
    expect(s3.calls()).toHaveLength(0)
  })

  it('refuses a package that changed since the build', async () => {
    const pkg = await zeroPackage('changed.zip', 1000)
    const { ctx } = setup()
    await expect(
      stageCode(ctx, { ...pkg, codeSha256: SHA }, { method: 'direct' }, 'function orders')
    ).rejects.toThrow(/has CodeSha256 .* but was built as q6ur.*: it changed after the build/)
  })

  /** S3's checksums of `size` zero bytes uploaded in our parts, computed apart from the code. */
  function zeroChecksums(size: number): { whole: string; composite: string } {
    const sha = (data: Buffer) => createHash('sha256').update(data).digest()
    const parts: Buffer[] = []
    for (let at = 0; at < size; at += MULTIPART.partSize) {
      parts.push(sha(Buffer.alloc(Math.min(MULTIPART.partSize, size - at))))
    }
    return {
      whole: sha(Buffer.alloc(size)).toString('base64'),
      composite: `${sha(Buffer.concat(parts)).toString('base64')}-${parts.length}`
    }
  }

  const SIZE = 2 * MULTIPART.partSize + 1024
  const good = zeroChecksums(SIZE)
  const compositeValue = good.composite.split('-')[0]!

  it.each([
    ['a multipart upload of ours (composite, 3 parts)', good.composite],
    ['the same, as moto answers it (no part count)', compositeValue],
    ['one PutObject (the whole object)', good.whole]
  ])(
    'reuses the object when its SHA-256 checksum is the package’s: %s',
    async (_what, recorded) => {
      const pkg = await zeroPackage('exists.zip', SIZE)
      s3.on(HeadObjectCommand).resolves({ ContentLength: SIZE, ChecksumSHA256: recorded })
      const { log, ctx } = setup()
      const source = await stageCode(
        ctx,
        pkg,
        { method: 's3', bucket: 'artifacts', key: 'p/orders/x.zip' },
        'function orders'
      )
      expect(source).toEqual({ S3Bucket: 'artifacts', S3Key: 'p/orders/x.zip' })
      expect(s3.calls().map((c) => c.args[0].constructor.name)).toEqual(['HeadObjectCommand'])
      expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input.ChecksumMode).toBe('ENABLED')
      expect(log.lines).toContain(
        "function orders: s3://artifacts/p/orders/x.zip is already there, its SHA-256 checksum the package's; not uploading"
      )
    }
  )

  it.each([
    ['other bytes of the same size', { ContentLength: SIZE, ChecksumSHA256: SHA }, 'not its bytes'],
    [
      'the composite of another part count',
      { ContentLength: SIZE, ChecksumSHA256: `${compositeValue}-2` },
      'not its bytes'
    ],
    ['no SHA-256 checksum', { ContentLength: SIZE }, 'no SHA-256 checksum'],
    [
      'another size',
      { ContentLength: SIZE - 1, ChecksumSHA256: good.composite },
      'bytes instead of'
    ]
  ])('uploads again over an object with %s', async (_what, head, said) => {
    const pkg = await zeroPackage('planted.zip', SIZE)
    s3.on(HeadObjectCommand).resolves(head)
    mockMultipartUpload(s3, 'up-4')
    const { log, ctx } = setup()
    await stageCode(ctx, pkg, toS3, 'function orders')
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1)
    expect(log.lines.join('\n')).toContain(said)
  })

  it('names the bucket owner in every S3 request and has S3 record a SHA-256 checksum', async () => {
    const pkg = await zeroPackage('owned.zip', SIZE)
    s3.on(HeadObjectCommand).rejects(awsError('NotFound', 'NotFound', 404))
    s3.on(ListMultipartUploadsCommand).resolves({
      Uploads: [{ Key: 'k.zip', UploadId: 'stale-1' }]
    })
    s3.on(AbortMultipartUploadCommand).resolves({})
    mockMultipartUpload(s3, 'up-5')
    const { ctx } = setup()
    await stageCode(ctx, pkg, { ...toS3, expectedBucketOwner: '111122223333' }, 'function orders')
    const calls = s3
      .calls()
      .map((c) => c.args[0] as { constructor: { name: string }; input: object })
    expect(calls.map((c) => c.constructor.name).sort()).toEqual([
      'AbortMultipartUploadCommand',
      'CompleteMultipartUploadCommand',
      'CreateMultipartUploadCommand',
      'HeadObjectCommand',
      'ListMultipartUploadsCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand'
    ])
    for (const call of calls) {
      expect(call.input, call.constructor.name).toMatchObject({
        ExpectedBucketOwner: '111122223333'
      })
    }
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toMatchObject({
      ChecksumAlgorithm: 'SHA256'
    })
  })

  it('a denied upload names s3-bucket-owner, since S3 answers 403 for another owner too', async () => {
    const pkg = await zeroPackage('other-owner.zip', SIZE)
    s3.on(HeadObjectCommand).rejects(awsError('Forbidden', 'Forbidden', 403))
    s3.on(ListMultipartUploadsCommand).rejects(awsError('AccessDenied', 'Access Denied', 403))
    s3.on(CreateMultipartUploadCommand).rejects(awsError('AccessDenied', 'Access Denied', 403))
    const { ctx } = setup()
    await expect(
      stageCode(ctx, pkg, { ...toS3, expectedBucketOwner: '111122223333' }, 'function orders')
    ).rejects.toThrow(
      /s3:PutObject.*S3 also answers 403 when the bucket is not owned by account 111122223333: if it belongs to another account, set s3-bucket-owner/s
    )
  })

  it('uploads in parts, streamed, and logs progress', async () => {
    const size = 2 * MULTIPART.partSize + 1024
    const pkg = await zeroPackage('parts.zip', size)
    s3.on(HeadObjectCommand).rejects(awsError('NotFound', 'NotFound', 404))
    mockMultipartUpload(s3, 'up-1')
    const { log, ctx } = setup()
    await stageCode(ctx, pkg, toS3, 'function orders')
    expect(
      s3
        .commandCalls(UploadPartCommand)
        .map((c) => c.args[0].input.PartNumber)
        .sort()
    ).toEqual([1, 2, 3])
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'artifacts',
      Key: 'k.zip',
      UploadId: 'up-1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"etag-1"' },
          { PartNumber: 2, ETag: '"etag-2"' },
          { PartNumber: 3, ETag: '"etag-3"' }
        ]
      }
    })
    expect(log.lines.filter((l) => l.includes('uploaded')).at(-1)).toBe(
      'function orders: uploaded 16.0 of 16.0 MiB (100%) to s3://artifacts/k.zip'
    )
  })

  it('aborts the multipart upload when a part fails: no orphaned parts', async () => {
    const pkg = await zeroPackage('fails.zip', 2 * MULTIPART.partSize + 1024)
    s3.on(HeadObjectCommand).rejects(awsError('NotFound', 'NotFound', 404))
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' })
    s3.on(UploadPartCommand).callsFake((input: { PartNumber?: number }) => {
      if (input.PartNumber === 2) {
        return Promise.reject(awsError('InternalError', 'We encountered an internal error', 500))
      }
      return Promise.resolve({ ETag: `"etag-${input.PartNumber}"` })
    })
    s3.on(AbortMultipartUploadCommand).resolves({})
    const { ctx } = setup()
    await expect(stageCode(ctx, pkg, toS3, 'function orders')).rejects.toThrow(
      's3:PutObject on s3://artifacts/k.zip failed: InternalError: We encountered an internal error'
    )
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'artifacts', Key: 'k.zip', UploadId: 'up-2' }
    ])
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0)
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0)
  })

  it('uploads when HeadObject is denied (no s3:ListBucket), and says which grant skips it', async () => {
    const pkg = await zeroPackage('denied.zip', 2 * MULTIPART.partSize)
    s3.on(HeadObjectCommand).rejects(awsError('Forbidden', 'Forbidden', 403))
    mockMultipartUpload(s3, 'up-3')
    const { log, ctx } = setup()
    await stageCode(ctx, pkg, toS3, 'function orders')
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1)
    expect(log.lines[0]).toMatch(/HeadObject was denied \(grant s3:ListBucket and s3:GetObject/)
  })
})

describe('S3 SHA-256 checksums of a file', () => {
  it('gives the whole-object and the composite checksum, in parts of the given size', async () => {
    const data = randomBytes(2500)
    const path = join(dir, 'random.bin')
    await writeFile(path, data)
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest()
    const parts = [data.subarray(0, 1000), data.subarray(1000, 2000), data.subarray(2000)].map(sha)
    expect(await s3Sha256OfFile(path, 1000)).toEqual({
      whole: sha(data).toString('base64'),
      composite: `${sha(Buffer.concat(parts)).toString('base64')}-3`
    })
    // A file of exactly one part, and an empty one.
    await writeFile(path, data.subarray(0, 1000))
    expect((await s3Sha256OfFile(path, 1000)).composite).toBe(
      `${sha(sha(data.subarray(0, 1000))).toString('base64')}-1`
    )
    await writeFile(path, '')
    expect((await s3Sha256OfFile(path, 1000)).whole).toBe(sha(Buffer.alloc(0)).toString('base64'))
  })

  it.each([
    ['abc-3', true],
    ['abc', true],
    ['abc-2', false],
    ['whole', true],
    ['whole-1', false],
    ['other', false]
  ])('checksumMatches(%s) → %s', (recorded, matches) => {
    expect(checksumMatches(recorded, { whole: 'whole', composite: 'abc-3' })).toBe(matches)
  })
})
