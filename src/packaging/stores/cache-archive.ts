// Reads an Actions cache archive without trusting it. @actions/cache writes a POSIX tar of the
// saved paths, named relative to the workspace (`../../../opt/hostedtoolcache/...` for a folder
// outside it), and its own restore extracts with `tar -P` into the workspace: whatever names the
// archive holds, absolute ones included, get written. Anyone who can write the cache scope a run
// reads from chooses those names. Here every member is checked before a byte is written: it must
// lie under one of the paths this restore asked for, be a regular file or a folder, and stay
// within size bounds; it is written into a private staging folder, never where its name points.
// Issue 18, item 5.
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { childEnvironment } from '../tools/child-env.js'

/** The cache archive's compression, as @actions/cache names it. */
export type ArchiveCompression = 'gzip' | 'zstd' | 'zstd-without-long'

/** Bounds no wheel-store entry comes near: Lambda's whole package is 250 MB unzipped. */
export const ARCHIVE_LIMITS = { bytes: 4 * 1024 ** 3, members: 200_000 }

/** The archive holds something this restore does not accept; nothing of it is used. */
export class RefusedArchive extends Error {
  override name = 'RefusedArchive'
}

const BLOCK = 512

/** Where a member goes: which of the restored paths, and the path segments below it. */
export interface MemberPlace {
  root: number
  segments: string[]
}

/**
 * Places member `name` under one of `roots` (the saved paths as the archive names them), or
 * says why it cannot be placed. Pure.
 */
export function placeMember(name: string, roots: readonly string[]): MemberPlace | string {
  if (name.includes('\0')) return `a member name with a NUL byte`
  const trimmed = name.replace(/\/+$/, '')
  for (const [root, prefix] of roots.entries()) {
    let rest: string
    if (trimmed === prefix) rest = ''
    else if (trimmed.startsWith(`${prefix}/`)) rest = trimmed.slice(prefix.length + 1)
    else continue
    const segments = rest === '' ? [] : rest.split('/')
    const bad = segments.find((s) => s === '' || s === '.' || s === '..')
    if (bad !== undefined) return `${JSON.stringify(name)}, which leaves the folder it belongs to`
    return { root, segments }
  }
  return `${JSON.stringify(name)}, outside every folder this restore asked for`
}

/** A tar number field: octal text, or GNU's base-256 for large values. */
function tarNumber(field: Buffer): number {
  if ((field[0]! & 0x80) !== 0) {
    let value = field[0]! & 0x7f
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!
    return value
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim()
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw new RefusedArchive(`a malformed tar number (${text})`)
  return parseInt(text, 8)
}

function tarText(field: Buffer): string {
  const end = field.indexOf(0)
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8')
}

/** pax records: `<length> <key>=<value>\n`, repeated. */
export function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space < 0) throw new RefusedArchive('a malformed pax header')
    const length = Number(data.subarray(at, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= space - at || at + length > data.length) {
      throw new RefusedArchive('a malformed pax header')
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8')
    const equals = record.indexOf('=')
    if (equals < 0) throw new RefusedArchive('a malformed pax header')
    records[record.slice(0, equals)] = record.slice(equals + 1)
    at += length
  }
  return records
}

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  private buffered: Buffer[] = []
  private length = 0
  private done = false
  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  private async fill(count: number): Promise<boolean> {
    while (this.length < count && !this.done) {
      const next = await this.chunks.next()
      if (next.done) this.done = true
      else {
        this.buffered.push(next.value)
        this.length += next.value.length
      }
    }
    return this.length >= count
  }

  /** Exactly `count` bytes, or undefined at the end of the stream. */
  async read(count: number): Promise<Buffer | undefined> {
    if (!(await this.fill(count))) return undefined
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered)
    this.buffered = [all.subarray(count)]
    this.length -= count
    return all.subarray(0, count)
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async readSome(max: number): Promise<Buffer | undefined> {
    if (!(await this.fill(1))) return undefined
    const first = this.buffered.shift()!
    if (first.length <= max) {
      this.length -= first.length
      return first
    }
    this.buffered.unshift(first.subarray(max))
    this.length -= max
    return first.subarray(0, max)
  }
}

function checksumOk(header: Buffer): boolean {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!
  return sum === tarNumber(header.subarray(148, 156))
}

export interface ExtractResult {
  files: number
  bytes: number
}

/**
 * Extracts the tar stream `chunks` into `destinations[i]` for members under `roots[i]`. Throws
 * RefusedArchive naming the first member that is not a file or folder under a root, or that
 * breaks a bound; the caller then discards the destinations.
 */
export async function extractTar(
  chunks: AsyncIterable<Buffer>,
  roots: readonly string[],
  destinations: readonly string[],
  limits = ARCHIVE_LIMITS
): Promise<ExtractResult> {
  const iterator = chunks[Symbol.asyncIterator]()
  try {
    return await extractMembers(new ByteReader(iterator), roots, destinations, limits)
  } finally {
    // Ends the source (a zstd child stops) whether the archive ended, broke or was refused.
    await iterator.return?.()
  }
}

async function extractMembers(
  reader: ByteReader,
  roots: readonly string[],
  destinations: readonly string[],
  limits: typeof ARCHIVE_LIMITS
): Promise<ExtractResult> {
  const result: ExtractResult = { files: 0, bytes: 0 }
  let pax: Record<string, string> = {}
  let members = 0
  for (;;) {
    const header = await reader.read(BLOCK)
    if (header === undefined) throw new RefusedArchive('a tar stream cut short')
    if (header.every((byte) => byte === 0)) return result
    if (!checksumOk(header)) throw new RefusedArchive('a tar header with a wrong checksum')
    if (++members > limits.members) {
      throw new RefusedArchive(`more than ${limits.members} members`)
    }
    const type = String.fromCharCode(header[156]!)
    const size = tarNumber(header.subarray(124, 136))
    const padded = Math.ceil(size / BLOCK) * BLOCK
    if (type === 'x' || type === 'g') {
      if (size > 1024 * 1024) throw new RefusedArchive('a pax header over 1 MiB')
      const data = await reader.read(padded)
      if (data === undefined) throw new RefusedArchive('a tar stream cut short')
      // A global header (g) only names defaults; the per-member header (x) applies to the next.
      if (type === 'x') pax = parsePax(data.subarray(0, size))
      continue
    }
    const ustar = header.subarray(257, 262).toString('latin1') === 'ustar'
    const prefix = ustar ? tarText(header.subarray(345, 500)) : ''
    const short = tarText(header.subarray(0, 100))
    const name = pax.path ?? (prefix ? `${prefix}/${short}` : short)
    const memberSize = pax.size !== undefined ? Number(pax.size) : size
    pax = {}
    if (type !== '0' && type !== '\0' && type !== '5') {
      const kind = {
        '1': 'hard link',
        '2': 'symbolic link',
        '3': 'device',
        '4': 'device',
        '6': 'FIFO'
      }[type]
      throw new RefusedArchive(
        `${JSON.stringify(name)}, a ${kind ?? `member of type ${JSON.stringify(type)}`}`
      )
    }
    const place = placeMember(name, roots)
    if (typeof place === 'string') throw new RefusedArchive(place)
    const target = join(destinations[place.root]!, ...place.segments)
    if (type === '5') {
      await mkdir(target, { recursive: true })
      await skip(reader, padded)
      continue
    }
    if (!Number.isSafeInteger(memberSize) || memberSize < 0) {
      throw new RefusedArchive(`${JSON.stringify(name)} with a malformed size`)
    }
    result.bytes += memberSize
    if (result.bytes > limits.bytes) {
      throw new RefusedArchive(`more than ${limits.bytes} bytes of files`)
    }
    if (place.segments.length === 0) {
      throw new RefusedArchive(`${JSON.stringify(name)}, a file where a folder was saved`)
    }
    await mkdir(join(target, '..'), { recursive: true })
    await writeMember(reader, target, memberSize, name)
    await skip(reader, Math.ceil(memberSize / BLOCK) * BLOCK - memberSize)
    result.files++
  }
}

async function skip(reader: ByteReader, count: number): Promise<void> {
  if (count > 0 && (await reader.read(count)) === undefined) {
    throw new RefusedArchive('a tar stream cut short')
  }
}

/** Writes `size` bytes as a new file (never through an existing one: `wx`), mode 0644. */
async function writeMember(
  reader: ByteReader,
  target: string,
  size: number,
  name: string
): Promise<void> {
  let file
  try {
    file = await open(target, 'wx', 0o644)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RefusedArchive(`${JSON.stringify(name)} twice`)
    }
    throw error
  }
  try {
    let left = size
    while (left > 0) {
      const chunk = await reader.readSome(Math.min(left, 1024 * 1024))
      if (chunk === undefined) throw new RefusedArchive('a tar stream cut short')
      await file.write(chunk)
      left -= chunk.length
    }
  } finally {
    await file.close()
  }
}

/** The archive's bytes, decompressed: gzip in Node, zstd through the `zstd` binary. */
export async function* decompressed(
  archivePath: string,
  compression: ArchiveCompression
): AsyncGenerator<Buffer> {
  if (compression === 'gzip') {
    yield* createReadStream(archivePath).pipe(createGunzip()) as AsyncIterable<Buffer>
    return
  }
  // --long=30 only raises the window zstd accepts; it reads archives written with or without it.
  const child = spawn('zstd', ['-d', '-c', '--long=30', '--', archivePath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnvironment(process.env)
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  try {
    yield* child.stdout as AsyncIterable<Buffer>
    const code = await exited
    if (code !== 0) throw new RefusedArchive(`zstd could not read it: ${stderr.trim()}`)
  } finally {
    if (child.exitCode === null) child.kill()
  }
}
