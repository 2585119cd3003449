// Gets a zip to Lambda: in the request (ZipFile) up to the direct-upload limit, above it through
// S3 with a multipart upload streamed from disk. S3 keys are content-addressed, so an object
// that is already there is not uploaded again, but only when S3's own SHA-256 checksum of it is
// the package's: anyone who can write the prefix could have put other bytes of the same size
// there (issue 18). Every S3 request names the account that must own the bucket
// (ExpectedBucketOwner), so a bucket deleted and re-created elsewhere is never written to nor
// read from. Buckets are never created.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import {
  AbortMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { awsErrorName, awsFailure, httpStatus, isNotFound } from '../aws/aws-error.js'
import { INPUT } from '../constants.js'
import { UserError, errorMessage } from '../errors.js'
import { s3Sha256OfFile, type S3Sha256 } from '../file-digest.js'
import { LIMITS } from '../lambda-facts.js'
import { formatBytes } from '../report/sizes.js'
import { uploadMethod } from '../report/gate.js'
import type { PackageFile } from '../types.js'
import type { DeployContext } from './context.js'

/** What UpdateFunctionCode and PublishLayerVersion's Content take. */
export type CodeSource = { ZipFile: Uint8Array } | { S3Bucket: string; S3Key: string }

export type UploadPlan =
  { method: 'direct' } | { method: 's3'; bucket: string; key: string; expectedBucketOwner?: string }

export interface UploadWhere {
  s3Bucket?: string
  s3Prefix: string
  /** The account that must own the bucket: `s3-bucket-owner`, else the function's. */
  expectedBucketOwner?: string
  /** Function or layer name: the folder of the key. */
  owner: string
  /** `function orders`, `layer orders-deps`: names the package in messages. */
  label: string
}

/** Parts of 8 MiB, four in flight: at most 32 MiB of the zip is in memory at a time. */
export const MULTIPART = { partSize: 8 * 1024 * 1024, queueSize: 4 } as const

/** `57.2`: upload messages count in MiB, the unit of the direct-upload limit (50 MiB). */
function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1)
}

/** `60,000,000 bytes (57.2 MiB)` */
function bytesAndMib(bytes: number): string {
  return `${formatBytes(bytes)} bytes (${mib(bytes)} MiB)`
}

/** Lambda's CodeSha256 is base64; keys use the hex form. */
export function sha256Hex(codeSha256: string): string {
  return Buffer.from(codeSha256, 'base64').toString('hex')
}

/** `<s3-prefix><owner>/<sha256hex>.zip` */
export function s3KeyFor(s3Prefix: string, owner: string, codeSha256: string): string {
  return `${s3Prefix}${owner}/${sha256Hex(codeSha256)}.zip`
}

/** Direct or S3; above the limit without a bucket fails here, before any request. */
export function planUpload(size: number, codeSha256: string, where: UploadWhere): UploadPlan {
  if (uploadMethod(size) === 'direct') return { method: 'direct' }
  if (!where.s3Bucket) {
    throw new UserError(
      `s3-bucket: the ${where.label} package is ${bytesAndMib(size)}, over Lambda's ` +
        `${formatBytes(LIMITS.directUploadBytes)}-byte limit for a direct upload. ` +
        "Set s3-bucket to an existing bucket in the function's region; the package goes there " +
        `as ${s3KeyFor(where.s3Prefix, where.owner, codeSha256)}.`
    )
  }
  return {
    method: 's3',
    bucket: where.s3Bucket,
    key: s3KeyFor(where.s3Prefix, where.owner, codeSha256),
    ...(where.expectedBucketOwner ? { expectedBucketOwner: where.expectedBucketOwner } : {})
  }
}

type S3Plan = Extract<UploadPlan, { method: 's3' }>

/** The fields every S3 request of one upload carries. */
function s3Target(plan: S3Plan): { Bucket: string; Key: string; ExpectedBucketOwner?: string } {
  return {
    Bucket: plan.bucket,
    Key: plan.key,
    ...(plan.expectedBucketOwner ? { ExpectedBucketOwner: plan.expectedBucketOwner } : {})
  }
}

/** What a denied S3 request may also mean when ExpectedBucketOwner was sent. */
function ownerHint(plan: S3Plan): string {
  return plan.expectedBucketOwner
    ? ` S3 also answers 403 when the bucket is not owned by account ${plan.expectedBucketOwner}: ` +
        `if it belongs to another account, set ${INPUT.s3BucketOwner} to that account's ID.`
    : ''
}

/** A missing package file, or one whose size changed since the build, fails before any request. */
export async function checkPackageFile(pkg: PackageFile, label: string): Promise<void> {
  let size: number
  try {
    size = (await stat(pkg.path)).size
  } catch (error) {
    throw new UserError(`The ${label} package ${pkg.path} cannot be read: it must exist.`, {
      cause: error
    })
  }
  if (size !== pkg.size) {
    throw new UserError(
      `The ${label} package ${pkg.path} is ${size} bytes on disk but was built as ${pkg.size}: ` +
        'it changed after the build. Rebuild, or deploy the untouched output-dir.'
    )
  }
}

function checkSha(pkg: PackageFile, actual: string, label: string): void {
  if (actual !== pkg.codeSha256) {
    throw new UserError(
      `The ${label} package ${pkg.path} has CodeSha256 ${actual} but was built as ` +
        `${pkg.codeSha256}: it changed after the build. Rebuild, or deploy the untouched output-dir.`
    )
  }
}

/**
 * Whether S3's SHA-256 checksum of an object is the package's: the whole file's for one
 * PutObject, the composite of our parts for a multipart upload. S3 writes `<value>-<parts>` for
 * a composite checksum (moto leaves the part count out).
 */
export function checksumMatches(recorded: string, expected: S3Sha256): boolean {
  const [value, parts] = recorded.split('-')
  if (parts === undefined && value === expected.whole) return true
  const [composite, compositeParts] = expected.composite.split('-')
  return value === composite && (parts === undefined || parts === compositeParts)
}

/**
 * Undefined when the content-addressed object holds the package, else why it must be uploaded
 * (again). An object of another size or checksum, or with no SHA-256 checksum (uploaded by
 * someone else, or by a version of this action before issue 18), is overwritten.
 */
async function whyUpload(
  ctx: DeployContext,
  plan: S3Plan,
  size: number,
  expected: S3Sha256
): Promise<string | undefined> {
  const where = `s3://${plan.bucket}/${plan.key}`
  try {
    const head = await ctx.s3.send(
      new HeadObjectCommand({ ...s3Target(plan), ChecksumMode: 'ENABLED' })
    )
    if (head.ContentLength !== size) {
      return `${where} is there, ${head.ContentLength ?? '?'} bytes instead of ${size}; uploading it again`
    }
    if (!head.ChecksumSHA256) {
      return `${where} is there with no SHA-256 checksum to prove its bytes; uploading it again`
    }
    if (!checksumMatches(head.ChecksumSHA256, expected)) {
      return `${where} is there with the package's size but not its bytes (SHA-256 ${head.ChecksumSHA256}); uploading it again`
    }
    return undefined
  } catch (error) {
    if (isNotFound(error)) return `uploading to ${where}`
    // Without s3:ListBucket, S3 answers 403 for a missing key: upload, and let PutObject say
    // whether writing is allowed.
    if (httpStatus(error) === 403) {
      return (
        `${where}: HeadObject was denied (grant s3:ListBucket and s3:GetObject ` +
        'to skip uploads of unchanged packages); uploading'
      )
    }
    throw awsFailure(error, 's3:GetObject', where)
  }
}

/**
 * Aborts unfinished multipart uploads of exactly this key. A run killed mid-upload (SIGKILL, a
 * lost runner) cannot abort its own, and S3 bills their parts until a lifecycle rule removes
 * them. The key is content-addressed, so an upload of the same package by another run at this
 * very moment would be aborted too: that run fails, and its rerun finds the object. Best effort:
 * a denied or failing cleanup is reported and the upload goes on.
 */
async function abortUnfinishedUploads(
  ctx: DeployContext,
  plan: S3Plan,
  label: string
): Promise<void> {
  const { bucket, key } = plan
  let uploadIds: string[]
  try {
    const answer = await ctx.s3.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: key,
        ...(plan.expectedBucketOwner ? { ExpectedBucketOwner: plan.expectedBucketOwner } : {})
      })
    )
    uploadIds = (answer.Uploads ?? []).flatMap((u) =>
      u.Key === key && u.UploadId ? [u.UploadId] : []
    )
  } catch (error) {
    if (httpStatus(error) === 403) {
      ctx.log.info(
        `s3://${bucket}/${key}: ListMultipartUploads was denied (grant ` +
          's3:ListBucketMultipartUploads and s3:AbortMultipartUpload to clean up uploads that ' +
          'a stopped run left)'
      )
    } else {
      ctx.log.warning(
        `s3://${bucket}/${key}: unfinished uploads not checked: ${errorMessage(error)}`
      )
    }
    return
  }
  for (const uploadId of uploadIds) {
    try {
      await ctx.s3.send(new AbortMultipartUploadCommand({ ...s3Target(plan), UploadId: uploadId }))
      ctx.log.info(
        `${label}: aborted an unfinished upload to s3://${bucket}/${key} that an earlier run left`
      )
    } catch (error) {
      if (awsErrorName(error) === 'NoSuchUpload') continue
      ctx.log.warning(
        `s3://${bucket}/${key}: unfinished upload ${uploadId} not aborted ` +
          `(grant s3:AbortMultipartUpload): ${errorMessage(error)}`
      )
    }
  }
}

async function uploadToS3(
  ctx: DeployContext,
  path: string,
  size: number,
  plan: S3Plan,
  label: string
): Promise<void> {
  const { bucket, key } = plan
  const body = createReadStream(path)
  const upload = new Upload({
    client: ctx.s3,
    params: {
      ...s3Target(plan),
      Body: body,
      ContentLength: size,
      ContentType: 'application/zip',
      // S3 checks each part against it and records the object's checksum: the next deploy of
      // the same package proves the object's bytes by it (whyUpload).
      ChecksumAlgorithm: 'SHA256'
    },
    partSize: MULTIPART.partSize,
    queueSize: MULTIPART.queueSize,
    // A failed upload sends AbortMultipartUpload: no orphaned parts billed in the bucket.
    leavePartsOnError: false
  })
  let reported = 0
  upload.on('httpUploadProgress', (progress) => {
    const loaded = progress.loaded ?? 0
    const percent = Math.floor((loaded / size) * 100)
    if (percent >= reported + 10 || loaded === size) {
      reported = percent - (percent % 10)
      ctx.log.info(
        `${label}: uploaded ${mib(loaded)} of ${mib(size)} MiB ` +
          `(${percent}%) to s3://${bucket}/${key}`
      )
    }
  })
  try {
    await upload.done()
  } catch (error) {
    const failure = awsFailure(error, 's3:PutObject', `s3://${bucket}/${key}`)
    if (httpStatus(error) === 403) failure.message += ownerHint(plan)
    throw failure
  } finally {
    body.destroy()
  }
}

/** Reads or uploads the package and returns what Lambda's code fields take. */
export async function stageCode(
  ctx: DeployContext,
  pkg: PackageFile,
  plan: UploadPlan,
  label: string
): Promise<CodeSource> {
  if (plan.method === 'direct') {
    const zip = await readFile(pkg.path)
    checkSha(pkg, createHash('sha256').update(zip).digest('base64'), label)
    return { ZipFile: zip }
  }
  const checksums = await s3Sha256OfFile(pkg.path, MULTIPART.partSize)
  checkSha(pkg, checksums.whole, label)
  const why = await whyUpload(ctx, plan, pkg.size, checksums)
  if (why === undefined) {
    ctx.log.info(
      `${label}: s3://${plan.bucket}/${plan.key} is already there, its SHA-256 checksum the ` +
        "package's; not uploading"
    )
  } else {
    ctx.log.info(`${label}: ${why}`)
    await abortUnfinishedUploads(ctx, plan, label)
    ctx.log.info(`${label}: uploading ${bytesAndMib(pkg.size)} to s3://${plan.bucket}/${plan.key}`)
    await uploadToS3(ctx, pkg.path, pkg.size, plan, label)
  }
  return { S3Bucket: plan.bucket, S3Key: plan.key }
}
