// Hashing a file on disk, in one streamed read (never the whole file in memory): wheel-store
// manifests, `--hash` checks, and the CodeSha256 of a zip before it ships.
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

/** Lambda's CodeSha256 of a file: the base64 SHA-256 of its bytes. */
export async function codeSha256OfFile(path: string): Promise<string> {
  return (await fileDigests(path, ['sha256'], 'base64')).sha256!
}
