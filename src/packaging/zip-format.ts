// Our one zip reader and writer, written from the PKWARE APPNOTE (sections 4.3 and 4.4).
//
// Reading: wheels are zips, and pip reads them with Python's zipfile, so we read the archive
// zipfile reads (its choice of end record, zip64 end record and extra fields, the local name
// that must match the central one) and refuse what it would read differently or that would let
// bytes count twice: a central directory not ending at the end record, an entry count that
// disagrees, overlapping entries. Entries' bytes are read with positional reads, so a 50 MB
// wheel is never held in memory, and every inflate is bounded.
//
// Writing: byte-reproducible packages. Entries go out in the order the caller gives (it sorts),
// each as local header + data, then the central directory and the end record. No extra fields,
// no data descriptors, one fixed timestamp, Unix modes normalised to 0644/0755, one deflate
// level. Entries copied from a wheel keep their compressed bytes verbatim: no inflate/deflate.
//
// Writing has no zip64, on purpose: Lambda refuses more than 262,144,000 bytes unzipped, so a
// package never comes near 4 GiB or 65,535 entries. Both are checked and refused with a clear
// message (the plan checks them first, before anything is written).
import { createHash, type Hash } from 'node:crypto'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { constants as zlibConstants, crc32, createInflateRaw, inflateRawSync } from 'node:zlib'
import { Deflate, deflateRaw } from 'pako'
import { UserError } from '../errors.js'

const SIG_LOCAL = 0x04034b50
const SIG_CENTRAL = 0x02014b50
const SIG_END = 0x06054b50
const SIG_ZIP64_LOCATOR = 0x07064b50
const SIG_ZIP64_END = 0x06064b50
const SIG_END_BYTES = Buffer.from([0x50, 0x4b, 0x05, 0x06])
const LOCAL_HEADER_SIZE = 30
const CENTRAL_HEADER_SIZE = 46
const END_RECORD_SIZE = 22
const ZIP64_LOCATOR_SIZE = 20
const ZIP64_END_SIZE = 56
const ZIP64_EXTRA = 0x0001
const MAX_COMMENT = 0xffff

export const METHOD_STORED = 0
export const METHOD_DEFLATED = 8

const FLAG_ENCRYPTED = 0x0001
const FLAG_PATCHED = 0x0020
const FLAG_STRONG_ENCRYPTION = 0x0040
const FLAG_UTF8 = 0x0800

/** zipfile's MAX_EXTRACT_VERSION: it refuses entries that need a later APPNOTE version. */
const MAX_EXTRACT_VERSION = 63

/** Largest entry count and offset a zip without zip64 can express (the max values are zip64 markers). */
const MAX_ENTRIES = 0xffff
const MAX_OFFSET = 0xffffffff

/** Made by Unix (3), APPNOTE 2.0: unzip and Lambda then read the high 16 bits as st_mode. */
const VERSION_MADE_BY = (3 << 8) | 20
const VERSION_NEEDED_STORED = 10
const VERSION_NEEDED_DEFLATED = 20

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const FILE_MODE = 0o644
const EXECUTABLE_MODE = 0o755

/**
 * One fixed level for everything we deflate ourselves (handler code), with pako, a pure
 * JavaScript deflate: Node's bundled zlib (Chromium's) picks CPU-specific code paths whose output
 * can differ between runners and Node releases; pako gives the same bytes everywhere, so the same
 * CodeSha256 on an x86_64 and an arm64 runner alike.
 */
export const DEFLATE_LEVEL = 6

/** Bytes moved per read/write when copying; also the writer's output buffer size. */
const CHUNK_SIZE = 1024 * 1024

/** Size and count of the writer's read windows over source zips (see ReadWindows). */
const READ_WINDOW_SIZE = 2 * 1024 * 1024
const READ_WINDOWS = 4

/** Compressed bytes fed to a streaming inflate at a time: bounds what one piece can expand to. */
const INFLATE_INPUT_CHUNK = 16 * 1024
/** Compressed bytes readEntryHead inflates in one call before it falls back to streaming. */
const HEAD_PREFIX_BYTES = 4 * 1024

/** Output pieces of a streaming inflate: fewer, larger pieces cost less per byte. */
const INFLATE_OUTPUT_CHUNK = 256 * 1024

/** Entries up to this size are verified with one bounded inflate call; larger ones stream. */
const SMALL_ENTRY_LIMIT = 8 * 1024 * 1024

/** Files up to this size are deflated in one call; larger ones stream through zlib twice. */
const IN_MEMORY_FILE_LIMIT = 16 * 1024 * 1024

/** The high half of code page 437, which APPNOTE appendix D makes the default name encoding. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0'

/** One entry of a zip's central directory. */
export interface ZipEntry {
  /** Path of the zip it belongs to, for messages. */
  archive: string
  /** Decoded name: UTF-8 when flag bit 11 says so, else CP437 (as Python's zipfile does). */
  name: string
  flags: number
  method: number
  crc32: number
  compressedSize: number
  uncompressedSize: number
  localHeaderOffset: number
  /** High 16 bits: Unix st_mode when made on Unix. */
  externalAttributes: number
  versionMadeBy: number
  /** Where the next entry's local header (or the central directory) starts: this entry's data may not reach past it. */
  dataLimit: number
}

/** Byte order of the UTF-8 names: the order entries are written in. */
export function compareEntryNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** A regular file with any execute bit, as pip decides when it installs a wheel entry. */
export function isExecutableEntry(entry: Pick<ZipEntry, 'externalAttributes'>): boolean {
  const mode = entry.externalAttributes >>> 16
  return (mode & S_IFMT) === S_IFREG && (mode & 0o111) !== 0
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

function decodeName(bytes: Buffer, flags: number, archive: string): string {
  if (bytes.every((byte) => byte < 0x80)) return bytes.toString('latin1')
  if ((flags & FLAG_UTF8) !== 0) {
    try {
      return STRICT_UTF8.decode(bytes)
    } catch {
      // zipfile fails on it too (UnicodeDecodeError).
      throw corrupt(archive, `an entry name flagged UTF-8 is not UTF-8: ${bytes.toString('hex')}`)
    }
  }
  let name = ''
  for (const byte of bytes) {
    name += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80]
  }
  return name
}

/** A zip we refuse to read; the caller that knows where the file comes from adds the way out. */
export class MalformedZipError extends UserError {
  constructor(
    readonly archive: string,
    readonly problem: string
  ) {
    super(`${archive}: not a readable zip (${problem}).`)
  }
}

function corrupt(archive: string, problem: string): MalformedZipError {
  return new MalformedZipError(archive, problem)
}

async function readExactly(
  handle: FileHandle,
  archive: string,
  length: number,
  position: number,
  into?: Buffer
): Promise<Buffer> {
  const buffer = into ?? Buffer.allocUnsafe(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done)
    if (bytesRead === 0) throw corrupt(archive, `unexpected end of file at byte ${position + done}`)
    done += bytesRead
  }
  return buffer.subarray(0, length)
}

/** Reads the central directory of the zip at `path`. */
export async function readZipEntries(path: string): Promise<ZipEntry[]> {
  const handle = await open(path, 'r')
  try {
    return await readZipEntriesFrom(handle, path)
  } finally {
    await handle.close()
  }
}

/** What the end records say about the central directory. */
interface CentralDirectory {
  offset: number
  size: number
  entries: number
  /** Where the central directory must end: the zip64 end record, else the end record. */
  end: number
}

/** An 8-byte zip64 field as a number; beyond 2^53 no real file reaches. */
function readUInt64(buffer: Buffer, at: number, archive: string): number {
  const value = buffer.readBigUInt64LE(at)
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw corrupt(archive, 'a zip64 field is out of range')
  return Number(value)
}

/**
 * Finds the end record as Python's zipfile (_EndRecData) does, so the action reads the archive
 * pip reads: the last 22 bytes when they hold one without a comment, else the last signature in
 * the final 64 KiB + 22 bytes. Then the zip64 end record, if a locator sits right before it.
 */
async function findCentralDirectory(
  handle: FileHandle,
  archive: string,
  fileSize: number
): Promise<CentralDirectory> {
  if (fileSize < END_RECORD_SIZE) throw corrupt(archive, 'too small to be a zip')
  const tailStart = Math.max(0, fileSize - END_RECORD_SIZE - MAX_COMMENT - 1)
  const tail = await readExactly(handle, archive, fileSize - tailStart, tailStart)
  let endAt = tail.length - END_RECORD_SIZE
  if (tail.readUInt32LE(endAt) !== SIG_END || tail.readUInt16LE(endAt + 20) !== 0) {
    endAt = tail.lastIndexOf(SIG_END_BYTES)
    if (endAt < 0 || endAt + END_RECORD_SIZE > tail.length) {
      throw corrupt(archive, 'no end of central directory record')
    }
  }
  const endOffset = tailStart + endAt
  let diskNumber = tail.readUInt16LE(endAt + 4)
  let centralDisk = tail.readUInt16LE(endAt + 6)
  let entriesOnDisk = tail.readUInt16LE(endAt + 8)
  let entries = tail.readUInt16LE(endAt + 10)
  let size = tail.readUInt32LE(endAt + 12)
  let offset = tail.readUInt32LE(endAt + 16)
  let end = endOffset

  if (endOffset >= ZIP64_LOCATOR_SIZE) {
    const locator = await readExactly(
      handle,
      archive,
      ZIP64_LOCATOR_SIZE,
      endOffset - ZIP64_LOCATOR_SIZE
    )
    if (locator.readUInt32LE(0) === SIG_ZIP64_LOCATOR) {
      if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) > 1) throw spanned(archive)
      // zipfile reads the zip64 end record right before the locator, whatever the locator's
      // offset says, and ignores the locator when no record is there.
      const at = endOffset - ZIP64_LOCATOR_SIZE - ZIP64_END_SIZE
      if (at < 0) throw corrupt(archive, 'zip64 locator without room for its end record')
      const record = await readExactly(handle, archive, ZIP64_END_SIZE, at)
      if (record.readUInt32LE(0) === SIG_ZIP64_END) {
        diskNumber = record.readUInt32LE(16)
        centralDisk = record.readUInt32LE(20)
        entriesOnDisk = readUInt64(record, 24, archive)
        entries = readUInt64(record, 32, archive)
        size = readUInt64(record, 40, archive)
        offset = readUInt64(record, 48, archive)
        end = at
      }
    }
  }
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== entries) throw spanned(archive)
  // zipfile would shift every offset by the difference (data prepended to the zip); a wheel
  // has no reason to, and refusing keeps one reading of the file.
  if (offset + size !== end) {
    throw corrupt(archive, 'the central directory does not end where the end record begins')
  }
  return { offset, size, entries, end }
}

/** Applies a zip64 extra field (0x0001) to the fields that hold 0xFFFFFFFF, as zipfile does. */
function applyZip64Extra(extra: Buffer, entry: ZipEntry): void {
  for (let at = 0; at + 4 <= extra.length;) {
    const type = extra.readUInt16LE(at)
    const length = extra.readUInt16LE(at + 2)
    const dataEnd = at + 4 + length
    if (dataEnd > extra.length) {
      throw corrupt(entry.archive, `entry ${entry.name} has a damaged extra field`)
    }
    if (type === ZIP64_EXTRA) {
      let field = at + 4
      const next = (): number => {
        if (field + 8 > dataEnd) {
          throw corrupt(entry.archive, `entry ${entry.name} has a short zip64 extra field`)
        }
        field += 8
        return readUInt64(extra, field - 8, entry.archive)
      }
      if (entry.uncompressedSize === MAX_OFFSET) entry.uncompressedSize = next()
      if (entry.compressedSize === MAX_OFFSET) entry.compressedSize = next()
      if (entry.localHeaderOffset === MAX_OFFSET) entry.localHeaderOffset = next()
    }
    at = dataEnd
  }
}

/**
 * Reads the central directory from an open zip; `archive` names it in messages. Refuses what
 * pip would read otherwise or not at all, and what would let one entry's bytes count twice.
 */
export async function readZipEntriesFrom(handle: FileHandle, archive: string): Promise<ZipEntry[]> {
  const { size: fileSize } = await handle.stat()
  const directory = await findCentralDirectory(handle, archive, fileSize)
  const central = await readExactly(handle, archive, directory.size, directory.offset)
  const entries: ZipEntry[] = []
  for (let at = 0; at < central.length;) {
    const damaged = (): UserError =>
      corrupt(archive, `central directory entry ${entries.length + 1} is damaged`)
    if (at + CENTRAL_HEADER_SIZE > central.length || central.readUInt32LE(at) !== SIG_CENTRAL) {
      throw damaged()
    }
    const flags = central.readUInt16LE(at + 8)
    const nameLength = central.readUInt16LE(at + 28)
    const extraLength = central.readUInt16LE(at + 30)
    const commentLength = central.readUInt16LE(at + 32)
    const nameStart = at + CENTRAL_HEADER_SIZE
    const recordEnd = nameStart + nameLength + extraLength + commentLength
    if (recordEnd > central.length) throw damaged()
    const name = decodeName(central.subarray(nameStart, nameStart + nameLength), flags, archive)
    const entry: ZipEntry = {
      archive,
      name,
      flags,
      method: central.readUInt16LE(at + 10),
      crc32: central.readUInt32LE(at + 16),
      compressedSize: central.readUInt32LE(at + 20),
      uncompressedSize: central.readUInt32LE(at + 24),
      localHeaderOffset: central.readUInt32LE(at + 42),
      externalAttributes: central.readUInt32LE(at + 38),
      versionMadeBy: central.readUInt16LE(at + 4),
      dataLimit: directory.offset
    }
    applyZip64Extra(
      central.subarray(nameStart + nameLength, nameStart + nameLength + extraLength),
      entry
    )
    // zipfile cuts a name at its first NUL: the action would see another name than pip.
    if (name.includes('\0')) throw corrupt(archive, `entry ${JSON.stringify(name)} has a NUL byte`)
    if (central.readUInt16LE(at + 6) > MAX_EXTRACT_VERSION) {
      throw corrupt(archive, `entry ${name} needs a zip version pip cannot read`)
    }
    if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) {
      throw corrupt(archive, `entry ${name} is encrypted; encrypted zips are not supported`)
    }
    if ((flags & FLAG_PATCHED) !== 0) {
      throw corrupt(archive, `entry ${name} holds patch data, which pip cannot read`)
    }
    if (
      entry.compressedSize >= MAX_OFFSET ||
      entry.uncompressedSize >= MAX_OFFSET ||
      entry.localHeaderOffset >= MAX_OFFSET
    ) {
      throw corrupt(archive, `entry ${name} declares 4 GiB or more, which no Lambda package holds`)
    }
    entries.push(entry)
    at = recordEnd
  }
  if (entries.length !== directory.entries) {
    throw corrupt(
      archive,
      `the end record counts ${directory.entries} entries, the central directory holds ${entries.length}`
    )
  }
  // Each entry's data must end before the next local header (zipfile's overlap check): else
  // many records share one deflate stream and the package counts its bytes many times.
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)
  let limit = directory.offset
  for (let i = byOffset.length - 1; i >= 0; i--) {
    const entry = byOffset[i] as ZipEntry
    entry.dataLimit = limit
    if (entry.localHeaderOffset + LOCAL_HEADER_SIZE + entry.compressedSize > limit) {
      throw overlapping(entry)
    }
    limit = entry.localHeaderOffset
  }
  return entries
}

function overlapping(entry: ZipEntry): UserError {
  return corrupt(
    entry.archive,
    `entry ${entry.name} overlaps the next entry or the central directory (several records share bytes)`
  )
}

function spanned(archive: string): UserError {
  return corrupt(archive, 'a multi-part (spanned) zip; those are not supported')
}

function unsupportedMethod(entry: ZipEntry): UserError {
  return corrupt(
    entry.archive,
    `entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`
  )
}

function checkMethod(entry: ZipEntry): void {
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw unsupportedMethod(entry)
  }
}

/**
 * Offset of the entry's data from its local header in `header` (the bytes at the header's
 * offset), or undefined when `header` is too short to hold the header and its name. The local
 * name must be the central one, as zipfile requires; the extra length may differ.
 */
function localDataOffset(entry: ZipEntry, header: Buffer): number | undefined {
  if (header.length < LOCAL_HEADER_SIZE) return undefined
  if (header.readUInt32LE(0) !== SIG_LOCAL) {
    throw corrupt(entry.archive, `no local header for entry ${entry.name}`)
  }
  const nameLength = header.readUInt16LE(26)
  if (header.length < LOCAL_HEADER_SIZE + nameLength) return undefined
  const localName = decodeName(
    header.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + nameLength),
    header.readUInt16LE(6),
    entry.archive
  )
  if (localName !== entry.name) {
    throw corrupt(
      entry.archive,
      `entry ${entry.name} is named ${JSON.stringify(localName)} in its local header`
    )
  }
  const dataOffset =
    entry.localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + header.readUInt16LE(28)
  if (dataOffset + entry.compressedSize > entry.dataLimit) throw overlapping(entry)
  return dataOffset
}

/** Offset of the entry's compressed bytes, from its local header. */
export async function entryDataOffset(handle: FileHandle, entry: ZipEntry): Promise<number> {
  let length = LOCAL_HEADER_SIZE + Buffer.byteLength(entry.name)
  for (;;) {
    const header = await readExactly(handle, entry.archive, length, entry.localHeaderOffset)
    const offset = localDataOffset(entry, header)
    if (offset !== undefined) return offset
    length = LOCAL_HEADER_SIZE + header.readUInt16LE(26)
  }
}

/**
 * The entry's data offset and, when header and data fit one read window (most wheel entries
 * do), its compressed bytes, valid until the next read through `windows`.
 */
async function locateEntry(
  handle: FileHandle,
  entry: ZipEntry,
  windows: ReadWindows
): Promise<{ dataOffset: number; data?: Buffer }> {
  // 512 bytes of slack cover a local extra field longer than the central one.
  const span = LOCAL_HEADER_SIZE + Buffer.byteLength(entry.name) + entry.compressedSize + 512
  if (span <= READ_WINDOW_SIZE) {
    const view = await windows.read(handle, entry.archive, entry.localHeaderOffset, span)
    const dataOffset = localDataOffset(entry, view)
    if (dataOffset !== undefined) {
      const from = dataOffset - entry.localHeaderOffset
      if (from + entry.compressedSize <= view.length) {
        return { dataOffset, data: view.subarray(from, from + entry.compressedSize) }
      }
      return { dataOffset }
    }
  }
  return { dataOffset: await entryDataOffset(handle, entry) }
}

/** The entry's compressed bytes as stored, in chunks of at most `chunkSize`. */
export async function* readEntryRaw(
  handle: FileHandle,
  entry: ZipEntry,
  chunkSize = CHUNK_SIZE
): AsyncGenerator<Buffer> {
  const start = await entryDataOffset(handle, entry)
  for (let done = 0; done < entry.compressedSize;) {
    const length = Math.min(chunkSize, entry.compressedSize - done)
    yield await readExactly(handle, entry.archive, length, start + done)
    done += length
  }
}

/**
 * The entry's uncompressed bytes in chunks, with bounded memory whatever the entry holds: the
 * compressed bytes go in small pieces through a streaming inflate (a 16 KiB piece inflates to
 * at most about 16 MiB). Stop early by leaving the loop.
 */
async function* inflatedChunks(handle: FileHandle, entry: ZipEntry): AsyncGenerator<Buffer> {
  checkMethod(entry)
  if (entry.method === METHOD_STORED) {
    yield* readEntryRaw(handle, entry)
    return
  }
  const source = Readable.from(readEntryRaw(handle, entry, INFLATE_INPUT_CHUNK))
  const inflater = createInflateRaw({ chunkSize: INFLATE_OUTPUT_CHUNK })
  source.on('error', (error) => inflater.destroy(error))
  source.pipe(inflater)
  try {
    for await (const chunk of inflater) yield chunk as Buffer
  } catch (error) {
    if (error instanceof UserError) throw error
    throw corrupt(entry.archive, `entry ${entry.name} does not inflate`)
  } finally {
    source.destroy()
    inflater.destroy()
  }
}

/**
 * Checks one entry as pip's extraction reads it, and stricter: its data lies in its own span,
 * a stored entry's two sizes agree, and it inflates to exactly its declared size (never more
 * than size + 1 bytes are inflated, so a lie costs nothing) with its CRC-32.
 */
async function verifyEntry(
  handle: FileHandle,
  entry: ZipEntry,
  windows: ReadWindows
): Promise<void> {
  checkMethod(entry)
  const declared = entry.uncompressedSize
  if (entry.method === METHOD_STORED && entry.compressedSize !== declared) {
    throw corrupt(
      entry.archive,
      `stored entry ${entry.name} declares ${entry.compressedSize} bytes stored but ${declared} bytes of content`
    )
  }
  const tooBig = () =>
    corrupt(
      entry.archive,
      `entry ${entry.name} inflates to more than the ${declared} bytes it declares`
    )
  let crc = 0
  let size = 0
  const { data } = await locateEntry(handle, entry, windows)
  if (data && declared <= SMALL_ENTRY_LIMIT) {
    let content: Buffer = data
    if (entry.method === METHOD_DEFLATED) {
      try {
        content = inflateRawSync(data, { maxOutputLength: declared + 1 })
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig()
        throw corrupt(entry.archive, `entry ${entry.name} does not inflate`)
      }
    }
    size = content.length
    crc = crc32(content)
  } else {
    for await (const chunk of inflatedChunks(handle, entry)) {
      size += chunk.length
      if (size > declared) throw tooBig()
      crc = crc32(chunk, crc)
    }
  }
  if (size > declared) throw tooBig()
  if (size !== declared) {
    throw corrupt(
      entry.archive,
      `entry ${entry.name} inflates to ${size} bytes, not the ${declared} it declares`
    )
  }
  if (crc !== entry.crc32)
    throw corrupt(entry.archive, `entry ${entry.name} fails its CRC-32 check`)
}

/**
 * Reads the zip at `path` as pip does and checks every entry's bytes (see verifyEntry): after
 * this, copying its compressed bytes verbatim ships exactly what pip would install. Returns the
 * entries.
 */
export async function verifyZip(path: string): Promise<ZipEntry[]> {
  const handle = await open(path, 'r')
  try {
    const entries = await readZipEntriesFrom(handle, path)
    const windows = new ReadWindows()
    // File order: the read windows then serve neighbouring entries.
    const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)
    for (const entry of byOffset) await verifyEntry(handle, entry, windows)
    return entries
  } finally {
    await handle.close()
  }
}

/**
 * The entry's uncompressed bytes, checked against its size and CRC-32. Holds the whole entry in
 * memory: meant for metadata files (METADATA, WHEEL, RECORD), not for big libraries.
 */
export async function readEntryData(handle: FileHandle, entry: ZipEntry): Promise<Buffer> {
  checkMethod(entry)
  const start = await entryDataOffset(handle, entry)
  const raw = await readExactly(handle, entry.archive, entry.compressedSize, start)
  let data: Buffer
  if (entry.method === METHOD_STORED) {
    data = raw
  } else {
    try {
      // One byte of headroom tells an entry larger than announced from one of the right size.
      data = inflateRawSync(raw, { maxOutputLength: entry.uncompressedSize + 1 })
    } catch {
      throw corrupt(entry.archive, `entry ${entry.name} does not inflate`)
    }
  }
  if (data.length !== entry.uncompressedSize || crc32(data) !== entry.crc32) {
    throw corrupt(entry.archive, `entry ${entry.name} fails its size or CRC-32 check`)
  }
  return data
}

/**
 * Up to `length` bytes from the start of the entry's uncompressed content (an ELF header check
 * needs 20 bytes of each `.so`). Inflates only until it has them, in bounded memory.
 */
export async function readEntryHead(
  handle: FileHandle,
  entry: ZipEntry,
  length: number
): Promise<Buffer> {
  checkMethod(entry)
  const wanted = Math.min(length, entry.uncompressedSize)
  if (entry.method === METHOD_STORED) {
    const start = await entryDataOffset(handle, entry)
    return Buffer.from(await readExactly(handle, entry.archive, wanted, start))
  }
  // Nearly always the first few KiB hold the header: one small read, one inflate call, whose
  // output a 4 KiB input bounds at about 4 MiB. Only a stream that starts with empty blocks
  // needs the streaming inflate below.
  const start = await entryDataOffset(handle, entry)
  const prefix = await readExactly(
    handle,
    entry.archive,
    Math.min(entry.compressedSize, HEAD_PREFIX_BYTES),
    start
  )
  try {
    const data = inflateRawSync(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH })
    if (data.length >= wanted || prefix.length === entry.compressedSize) {
      return Buffer.from(data.subarray(0, wanted))
    }
  } catch {
    // Judged by the streaming inflate below, which names the entry.
  }
  const parts: Buffer[] = []
  let have = 0
  for await (const chunk of inflatedChunks(handle, entry)) {
    parts.push(chunk)
    have += chunk.length
    if (have >= wanted) break
  }
  return Buffer.from(Buffer.concat(parts).subarray(0, wanted))
}

/** MS-DOS date and time fields (APPNOTE 4.4.6): local wall time, two-second steps, 1980-2107. */
export interface DosDateTime {
  date: number
  time: number
}

const DOS_EPOCH_SECONDS = Date.UTC(1980, 0, 1) / 1000
const DOS_LAST_SECONDS = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000

/**
 * The one timestamp every entry carries: 1980-01-01 00:00, or SOURCE_DATE_EPOCH read as UTC
 * (the reproducible-builds convention) and clamped to what DOS time can express.
 */
export function dosDateTime(sourceDateEpoch?: number): DosDateTime {
  const seconds = Math.min(
    DOS_LAST_SECONDS,
    Math.max(
      DOS_EPOCH_SECONDS,
      Number.isFinite(sourceDateEpoch) ? Math.floor(sourceDateEpoch as number) : DOS_EPOCH_SECONDS
    )
  )
  const d = new Date(seconds * 1000)
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2)
  }
}

/** An entry's bytes as the writer stores them: what `addPrepared` takes. */
export interface PreparedEntry {
  method: typeof METHOD_STORED | typeof METHOD_DEFLATED
  crc32: number
  uncompressedSize: number
  /** The deflated bytes, or the content itself when stored. */
  data: Uint8Array
}

/** Deflates at DEFLATE_LEVEL with pako (the same bytes on every machine), or stores when that does not shrink. */
export function prepareEntry(data: Uint8Array): PreparedEntry {
  const deflated = deflateRaw(data, { level: DEFLATE_LEVEL })
  const store = deflated.length >= data.length
  return {
    method: store ? METHOD_STORED : METHOD_DEFLATED,
    crc32: crc32(data),
    uncompressedSize: data.length,
    data: store ? data : deflated
  }
}

/** Bytes one entry costs beyond its data: local (30) and central (46) headers, the name in each. */
export function entryHeaderBytes(name: string): number {
  return LOCAL_HEADER_SIZE + CENTRAL_HEADER_SIZE + 2 * Buffer.byteLength(name, 'utf8')
}

export interface ZipWriterOptions {
  /** Seconds since 1970; the caller reads SOURCE_DATE_EPOCH. Default: 1980-01-01 00:00. */
  sourceDateEpoch?: number
}

/** What the writer produced. */
export interface WrittenZip {
  path: string
  /** Zipped size, bytes. */
  size: number
  /** Sum of the entries' uncompressed sizes. */
  unzippedSize: number
  /** Base64 SHA-256 of every byte written: Lambda's CodeSha256. */
  codeSha256: string
  entries: number
}

interface EntryRecord {
  name: Buffer
  flags: number
  method: number
  crc32: number
  compressedSize: number
  uncompressedSize: number
  mode: number
  offset: number
}

/**
 * Writes a deterministic zip to `path`, entry by entry, with bounded memory. Call `finish()` to
 * write the central directory, or `abort()` to close and delete the partial file.
 */
export class ZipWriter {
  // Two output buffers: one fills while the other is being written.
  private buffer = Buffer.allocUnsafe(CHUNK_SIZE)
  private spare = Buffer.allocUnsafe(CHUNK_SIZE)
  private pendingWrite: Promise<void> = Promise.resolve()
  private writeError: unknown
  private readonly scratch = Buffer.allocUnsafe(CHUNK_SIZE)
  private readonly windows = new ReadWindows()
  private used = 0
  private offset = 0
  private unzippedSize = 0
  private readonly records: EntryRecord[] = []
  private readonly names = new Set<string>()
  private readonly hash: Hash = createHash('sha256')
  private readonly timestamp: DosDateTime
  private closed = false

  private constructor(
    readonly path: string,
    private readonly out: FileHandle,
    options: ZipWriterOptions
  ) {
    this.timestamp = dosDateTime(options.sourceDateEpoch)
  }

  static async create(path: string, options: ZipWriterOptions = {}): Promise<ZipWriter> {
    return new ZipWriter(path, await open(path, 'w'), options)
  }

  /**
   * Copies an entry of an open zip (a wheel) as it is stored: method, CRC-32, sizes and the
   * compressed bytes verbatim, nothing inflated or deflated again. Safe because every wheel was
   * checked by verifyZip when it entered the wheel store, and its sha256 on every use since.
   */
  async addRaw(
    name: string,
    source: FileHandle,
    entry: ZipEntry,
    executable: boolean
  ): Promise<void> {
    checkMethod(entry)
    const nameBytes = this.startEntry(name)
    const { dataOffset, data: inWindow } = await locateEntry(source, entry, this.windows)
    const record: EntryRecord = {
      name: nameBytes,
      flags: nameFlags(name),
      method: entry.method,
      crc32: entry.crc32,
      compressedSize: entry.compressedSize,
      uncompressedSize: entry.uncompressedSize,
      mode: executable ? EXECUTABLE_MODE : FILE_MODE,
      offset: this.offset
    }
    await this.writeLocalHeader(record)
    if (inWindow) {
      await this.append(inWindow)
    } else {
      for (let done = 0; done < entry.compressedSize;) {
        const length = Math.min(this.scratch.length, entry.compressedSize - done)
        await this.append(
          await readExactly(source, entry.archive, length, dataOffset + done, this.scratch)
        )
        done += length
      }
    }
    this.endEntry(record)
  }

  /** Adds bytes we hold, deflated at DEFLATE_LEVEL, or stored when deflate does not shrink them. */
  async addBytes(name: string, data: Uint8Array, executable = false): Promise<void> {
    await this.addPrepared(name, prepareEntry(data), executable)
  }

  /** Adds an entry whose bytes `prepareEntry` made (now or in an earlier build, kept). */
  async addPrepared(name: string, prepared: PreparedEntry, executable = false): Promise<void> {
    const nameBytes = this.startEntry(name)
    const stored = prepared.method === METHOD_STORED
    if (
      (!stored && prepared.method !== METHOD_DEFLATED) ||
      (stored && prepared.data.length !== prepared.uncompressedSize)
    ) {
      throw new Error(`zip entry ${name}: not a prepared entry`)
    }
    const record: EntryRecord = {
      name: nameBytes,
      flags: nameFlags(name),
      method: prepared.method,
      crc32: prepared.crc32,
      compressedSize: prepared.data.length,
      uncompressedSize: prepared.uncompressedSize,
      mode: executable ? EXECUTABLE_MODE : FILE_MODE,
      offset: this.offset
    }
    await this.writeLocalHeader(record)
    await this.append(prepared.data)
    this.endEntry(record)
  }

  /** Adds a file from disk, compressed by us like `addBytes`. */
  async addFile(name: string, absolutePath: string, executable: boolean): Promise<void> {
    let input: FileHandle
    try {
      input = await open(absolutePath, 'r')
    } catch (error) {
      throw new UserError(`${absolutePath}: cannot be read (${(error as Error).message}).`)
    }
    try {
      const { size } = await input.stat()
      if (size <= IN_MEMORY_FILE_LIMIT) {
        await this.addBytes(name, await readExactly(input, absolutePath, size, 0), executable)
      } else {
        await this.addLargeFile(name, input, absolutePath, size, executable)
      }
    } finally {
      await input.close()
    }
  }

  /**
   * Big files stream through zlib twice: once to learn the CRC-32 and compressed size that the
   * local header needs (no data descriptors), once to write. Reads are fixed-size, so both
   * passes feed zlib the same chunks and produce the same bytes.
   */
  private async addLargeFile(
    name: string,
    input: FileHandle,
    path: string,
    size: number,
    executable: boolean
  ): Promise<void> {
    if (size >= MAX_OFFSET) throw tooLarge(this.path)
    const nameBytes = this.startEntry(name)
    let crc = 0
    let deflatedSize = 0
    for await (const chunk of readFileChunks(input, path, size)) crc = crc32(chunk, crc)
    for await (const chunk of deflateFile(input, path, size)) deflatedSize += chunk.length
    const store = deflatedSize >= size
    const record: EntryRecord = {
      name: nameBytes,
      flags: nameFlags(name),
      method: store ? METHOD_STORED : METHOD_DEFLATED,
      crc32: crc,
      compressedSize: store ? size : deflatedSize,
      uncompressedSize: size,
      mode: executable ? EXECUTABLE_MODE : FILE_MODE,
      offset: this.offset
    }
    await this.writeLocalHeader(record)
    let written = 0
    for await (const chunk of store
      ? readFileChunks(input, path, size)
      : deflateFile(input, path, size)) {
      written += chunk.length
      await this.append(chunk)
    }
    if (written !== record.compressedSize) {
      throw new UserError(`${path}: changed while it was being packaged; run the build again.`)
    }
    this.endEntry(record)
  }

  /** Writes the central directory and the end record, closes the file. */
  async finish(): Promise<WrittenZip> {
    const centralOffset = this.offset
    for (const record of this.records) {
      const header = Buffer.alloc(CENTRAL_HEADER_SIZE)
      header.writeUInt32LE(SIG_CENTRAL, 0)
      header.writeUInt16LE(VERSION_MADE_BY, 4)
      this.writeEntryFields(header, record, 6)
      // Extra field, comment, disk number start and internal attributes stay 0.
      header.writeUInt32LE(((S_IFREG | record.mode) << 16) >>> 0, 38)
      header.writeUInt32LE(record.offset, 42)
      await this.append(header)
      await this.append(record.name)
    }
    const centralSize = this.offset - centralOffset
    if (this.offset >= MAX_OFFSET) throw tooLarge(this.path)
    const end = Buffer.alloc(END_RECORD_SIZE)
    end.writeUInt32LE(SIG_END, 0)
    end.writeUInt16LE(this.records.length, 8)
    end.writeUInt16LE(this.records.length, 10)
    end.writeUInt32LE(centralSize, 12)
    end.writeUInt32LE(centralOffset, 16)
    await this.append(end)
    await this.flush()
    await this.settleWrite()
    this.closed = true
    await this.out.close()
    return {
      path: this.path,
      size: this.offset,
      unzippedSize: this.unzippedSize,
      codeSha256: this.hash.digest('base64'),
      entries: this.records.length
    }
  }

  /** Closes and deletes the partial file (after an error). */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      await this.pendingWrite
      await this.out.close().catch(() => undefined)
    }
    await rm(this.path, { force: true })
  }

  private startEntry(name: string): Buffer {
    if (this.records.length >= MAX_ENTRIES) {
      throw new UserError(
        `${this.path}: more than 65,535 files; a Lambda package this large cannot load (250 MB unzipped cap). Exclude files or use slim.`
      )
    }
    if (name === '' || name.startsWith('/') || name.endsWith('/') || name.includes('\0')) {
      throw new Error(`zip entry name ${JSON.stringify(name)} is not a relative file path`)
    }
    if (this.names.has(name)) throw new Error(`zip entry ${name} added twice`)
    const bytes = Buffer.from(name, 'utf8')
    if (bytes.length > 0xffff) throw new UserError(`${name}: path too long for a zip entry`)
    this.names.add(name)
    return bytes
  }

  private endEntry(record: EntryRecord): void {
    if (this.offset >= MAX_OFFSET) throw tooLarge(this.path)
    this.records.push(record)
    this.unzippedSize += record.uncompressedSize
  }

  /**
   * The fields local and central headers share, in the same order (APPNOTE 4.3.7 and 4.3.12):
   * version needed, flags, method, time, date, CRC-32, sizes, name length. They start at byte 4
   * of a local header and byte 6 of a central one.
   */
  private writeEntryFields(header: Buffer, record: EntryRecord, at: number): void {
    header.writeUInt16LE(versionNeeded(record.method), at)
    header.writeUInt16LE(record.flags, at + 2)
    header.writeUInt16LE(record.method, at + 4)
    header.writeUInt16LE(this.timestamp.time, at + 6)
    header.writeUInt16LE(this.timestamp.date, at + 8)
    header.writeUInt32LE(record.crc32, at + 10)
    header.writeUInt32LE(record.compressedSize, at + 14)
    header.writeUInt32LE(record.uncompressedSize, at + 18)
    header.writeUInt16LE(record.name.length, at + 22)
  }

  private async writeLocalHeader(record: EntryRecord): Promise<void> {
    if (record.offset >= MAX_OFFSET || record.compressedSize >= MAX_OFFSET)
      throw tooLarge(this.path)
    const header = Buffer.alloc(LOCAL_HEADER_SIZE)
    header.writeUInt32LE(SIG_LOCAL, 0)
    this.writeEntryFields(header, record, 4)
    await this.append(header)
    await this.append(record.name)
  }

  private async append(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk)
    this.offset += chunk.length
    if (this.used + chunk.length > this.buffer.length) await this.flush()
    if (chunk.length >= this.buffer.length) {
      await this.settleWrite()
      await writeAll(this.out, chunk)
    } else {
      this.buffer.set(chunk, this.used)
      this.used += chunk.length
    }
  }

  /** Starts writing the full buffer and switches to the spare one. */
  private async flush(): Promise<void> {
    if (this.used === 0) return
    await this.settleWrite()
    const full = this.buffer.subarray(0, this.used)
    this.pendingWrite = writeAll(this.out, full).catch((error: unknown) => {
      this.writeError = error ?? new Error('write failed')
    })
    ;[this.buffer, this.spare] = [this.spare, this.buffer]
    this.used = 0
  }

  private async settleWrite(): Promise<void> {
    await this.pendingWrite
    if (this.writeError !== undefined) throw this.writeError
  }
}

/**
 * Writes the zip at `path` with the entries `fill` adds, beside the final name first and renamed
 * at the end: a failed build never leaves a zip that looks complete.
 */
export async function writeZipFile(
  path: string,
  options: ZipWriterOptions,
  fill: (writer: ZipWriter) => Promise<void>
): Promise<WrittenZip> {
  const partial = `${path}.partial`
  const writer = await ZipWriter.create(partial, options)
  try {
    await fill(writer)
    const written = await writer.finish()
    await rename(partial, path)
    return { ...written, path }
  } catch (error) {
    await writer.abort()
    throw error
  }
}

/**
 * A few recently read stretches of the source zips. Sorted output names mostly follow each
 * wheel's own order, so one 2 MiB read serves dozens of small entries: a few dozen reads
 * instead of one per entry. Bounded: READ_WINDOWS buffers per writer, reused.
 */
class ReadWindows {
  private readonly windows: {
    handle: FileHandle
    start: number
    length: number
    buffer: Buffer
  }[] = []

  /** Up to `length` bytes at `position` (fewer only at the end of the file). */
  async read(
    handle: FileHandle,
    archive: string,
    position: number,
    length: number
  ): Promise<Buffer> {
    const index = this.windows.findIndex(
      (w) =>
        w.handle === handle &&
        position >= w.start &&
        (position + length <= w.start + w.length || w.length < READ_WINDOW_SIZE) &&
        position < w.start + w.length
    )
    let window = this.windows[index]
    if (window) {
      this.windows.splice(index, 1)
    } else {
      const reused = this.windows.length >= READ_WINDOWS ? this.windows.pop() : undefined
      const buffer = reused?.buffer ?? Buffer.allocUnsafe(READ_WINDOW_SIZE)
      let filled = 0
      while (filled < READ_WINDOW_SIZE) {
        const { bytesRead } = await handle.read(
          buffer,
          filled,
          READ_WINDOW_SIZE - filled,
          position + filled
        )
        if (bytesRead === 0) break
        filled += bytesRead
      }
      if (filled === 0) throw corrupt(archive, `unexpected end of file at byte ${position}`)
      window = { handle, start: position, length: filled, buffer }
    }
    this.windows.unshift(window)
    const from = position - window.start
    return window.buffer.subarray(from, Math.min(window.length, from + length))
  }
}

function nameFlags(name: string): number {
  // Pure-ASCII names need no flag; others are written as UTF-8 and say so.
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0x7f) return FLAG_UTF8
  return 0
}

function versionNeeded(method: number): number {
  return method === METHOD_DEFLATED ? VERSION_NEEDED_DEFLATED : VERSION_NEEDED_STORED
}

function tooLarge(path: string): UserError {
  return new UserError(
    `${path}: the package would pass 4 GiB, which a zip without zip64 cannot hold; Lambda accepts at most 262,144,000 bytes unzipped anyway. Exclude files or use slim.`
  )
}

async function writeAll(out: FileHandle, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await out.write(data, done, data.length - done)
    done += bytesWritten
  }
}

async function* readFileChunks(
  input: FileHandle,
  path: string,
  size: number
): AsyncGenerator<Buffer> {
  for (let done = 0; done < size;) {
    const length = Math.min(CHUNK_SIZE, size - done)
    yield await readExactly(input, path, length, done)
    done += length
  }
}

async function* deflateFile(input: FileHandle, path: string, size: number): AsyncGenerator<Buffer> {
  const deflater = new Deflate({ level: DEFLATE_LEVEL, raw: true })
  const ready: Uint8Array[] = []
  deflater.onData = (chunk) => ready.push(chunk as Uint8Array)
  let read = 0
  for await (const chunk of readFileChunks(input, path, size)) {
    read += chunk.length
    deflater.push(chunk, read >= size)
    for (const out of ready.splice(0)) yield Buffer.from(out.buffer, out.byteOffset, out.length)
  }
  if (deflater.err) throw new UserError(`${path}: deflate failed (${deflater.msg}).`)
}
