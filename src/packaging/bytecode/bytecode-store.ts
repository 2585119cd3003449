// Compiled .pyc files kept between builds, beside the wheel store: a warm build compiles only
// the sources that changed. One file per compiled source, `<root>/bytecode/<namespace>/<ab>/<key>`:
// - the namespace names everything that decides the bytes besides the source: this format, the
//   interpreter (cache tag, magic number, exact version), the compile program and the deflate
//   level, so an interpreter or action update never reuses another's results;
// - the key is the SHA-256 of the source's Lambda path (recorded in the .pyc) and of the
//   source's own SHA-256: keyed by content, never by name or date.
// Each file holds the entry as the zip stores it, with the .pyc's size, CRC-32 and SHA-256.
// A read checks all three against the bytes, and the .pyc header against the interpreter's magic
// number and checked-hash flags, before anything is used; a file that fails is ignored (and
// compiled again). Writes are atomic (a temporary file renamed into place). Best effort both
// ways: a store that cannot be read or written costs time, never the build.
//
// Who may have written a kept file: on a self-hosted runner, any job that runs as the same user.
// What such a job can plant, a content hash cannot rule out (it can write the hash too), so in
// deploy mode on a runner that is not GitHub-hosted the caller does not read kept files at all
// (`readKept: false`) and compiles afresh (docs/bytecode.md).
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, inflateRawSync } from 'node:zlib'
import { DEFLATE_LEVEL, METHOD_DEFLATED, METHOD_STORED, type PreparedEntry } from '../zip-format.js'
import { COMPILE_SCRIPT } from './compile-script.js'

const FORMAT = 'lambda-python-deploy bytecode 1'
const FILE_SIGNATURE = Buffer.from('LPDB', 'latin1')
/** Signature 4, method 1, padding 3, size 4, CRC-32 4, SHA-256 32. */
const HEADER_SIZE = 48
/** PEP 552 flags: bit 0 hash-based, bit 1 check the source. */
const CHECKED_HASH_FLAGS = 0b11

/** What identifies the interpreter that compiled: `cpython-312`, its magic number (hex), `3.12.7`. */
export interface CompilerIdentity {
  cacheTag: string
  magic: string
  version: string
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The folder of one interpreter's results under `root` (the wheel store's root). */
export function namespaceDir(root: string, compiler: CompilerIdentity): string {
  const namespace = sha256(
    [
      FORMAT,
      compiler.cacheTag,
      compiler.magic,
      compiler.version,
      DEFLATE_LEVEL,
      sha256(COMPILE_SCRIPT)
    ].join('\n')
  ).slice(0, 16)
  return join(root, 'bytecode', `${compiler.cacheTag}-${namespace}`)
}

/** The key of one compiled source: where it sits on Lambda, and its content. */
export function bytecodeKey(lambdaPath: string, source: Uint8Array): string {
  return sha256(`${lambdaPath}\n${sha256(source)}`)
}

export class BytecodeStore {
  /**
   * `readKept: false` writes results for later builds but never reads any (deploy mode on a
   * runner other jobs share).
   */
  constructor(
    readonly dir: string,
    private readonly magic: string,
    readonly readKept: boolean
  ) {}

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), key)
  }

  /** The kept entry for `key`, checked; undefined when missing, unreadable or damaged. */
  async get(key: string): Promise<PreparedEntry | undefined> {
    if (!this.readKept) return undefined
    let file: Buffer
    try {
      file = await readFile(this.path(key))
    } catch {
      return undefined
    }
    return this.check(file)
  }

  private check(file: Buffer): PreparedEntry | undefined {
    if (file.length < HEADER_SIZE || !file.subarray(0, 4).equals(FILE_SIGNATURE)) return undefined
    const method = file[4]
    if (method !== METHOD_STORED && method !== METHOD_DEFLATED) return undefined
    const size = file.readUInt32LE(8)
    const recordedCrc = file.readUInt32LE(12)
    const recordedSha256 = file.subarray(16, HEADER_SIZE).toString('hex')
    const data = file.subarray(HEADER_SIZE)
    let pyc: Buffer
    try {
      pyc = method === METHOD_STORED ? data : inflateRawSync(data, { maxOutputLength: size + 1 })
    } catch {
      return undefined
    }
    if (pyc.length !== size || crc32(pyc) !== recordedCrc || sha256(pyc) !== recordedSha256) {
      return undefined
    }
    if (
      pyc.length < 16 ||
      pyc.subarray(0, 4).toString('hex') !== this.magic ||
      pyc.readUInt32LE(4) !== CHECKED_HASH_FLAGS
    ) {
      return undefined
    }
    return { method, crc32: recordedCrc, uncompressedSize: size, data: Buffer.from(data) }
  }

  /** Keeps `prepared` (made from `pyc`) under `key`; failures are ignored. */
  async put(key: string, pyc: Uint8Array, prepared: PreparedEntry): Promise<void> {
    const target = this.path(key)
    const header = Buffer.alloc(HEADER_SIZE)
    FILE_SIGNATURE.copy(header, 0)
    header[4] = prepared.method
    header.writeUInt32LE(prepared.uncompressedSize, 8)
    header.writeUInt32LE(prepared.crc32, 12)
    Buffer.from(sha256(pyc), 'hex').copy(header, 16)
    const partial = `${target}.${randomBytes(6).toString('hex')}.partial`
    try {
      // Only this user may write here: another account on the runner cannot plant results.
      await mkdir(join(target, '..'), { recursive: true, mode: 0o700 })
      await writeFile(partial, Buffer.concat([header, prepared.data]), { mode: 0o600 })
      await rename(partial, target)
    } catch {
      await rm(partial, { force: true }).catch(() => undefined)
    }
  }
}
