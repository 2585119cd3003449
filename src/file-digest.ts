// Hashing a file on disk, in one streamed read (never the whole file in memory): wheel-store
// manifests, `--hash` checks, the CodeSha256 of a zip before it ships, and the checksum S3
// records for it.
import { createHash, type BinaryToTextEncoding } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** Digests of a file, one per algorithm (`sha256`, `sha384`, `sha512`), in one read. */
export async function fileDigests(
  path: string,
  algorithms: readonly string[],
  encoding: BinaryToTextEncoding = 'hex'
): Promise<Record<string, string>> {
  const hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)] as const)
  for await (const chunk of createReadStream(path)) {
    for (const [, hash] of hashes) hash.update(chunk as Buffer)
  }
  return Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest(encoding)]))
}

/** The hex SHA-256 of a file; undefined when it cannot be read (missing, a folder ...). */
export async function sha256OfFile(path: string): Promise<string | undefined> {
  try {
    return (await fileDigests(path, ['sha256'])).sha256
  } catch {
    return undefined
  }
}

/** Lambda's CodeSha256 of a file: the base64 SHA-256 of its bytes. */
export async function codeSha256OfFile(path: string): Promise<string> {
  return (await fileDigests(path, ['sha256'], 'base64')).sha256!
}

/** What S3 records as an object's SHA-256 checksum, for the two ways it can be uploaded. */
export interface S3Sha256 {
  /** One PutObject: the SHA-256 of the whole object (FULL_OBJECT), which is the CodeSha256. */
  whole: string
  /** A multipart upload in parts of `partSize` bytes (COMPOSITE): `<sha256 of the parts' SHA-256s>-<parts>`. */
  composite: string
}

/** Both S3 SHA-256 checksums of a file, with the CodeSha256, in one read. */
export async function s3Sha256OfFile(path: string, partSize: number): Promise<S3Sha256> {
  const whole = createHash('sha256')
  const partDigests: Buffer[] = []
  let part = createHash('sha256')
  let inPart = 0
  for await (const data of createReadStream(path)) {
    let chunk = data as Buffer
    whole.update(chunk)
    while (chunk.length > 0) {
      const taken = chunk.subarray(0, partSize - inPart)
      part.update(taken)
      inPart += taken.length
      chunk = chunk.subarray(taken.length)
      if (inPart === partSize) {
        partDigests.push(part.digest())
        part = createHash('sha256')
        inPart = 0
      }
    }
  }
  if (inPart > 0 || partDigests.length === 0) partDigests.push(part.digest())
  const composite = createHash('sha256').update(Buffer.concat(partDigests)).digest('base64')
  return { whole: whole.digest('base64'), composite: `${composite}-${partDigests.length}` }
}
