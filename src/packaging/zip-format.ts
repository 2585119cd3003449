// Our one zip reader and writer, written from the PKWARE APPNOTE (sections 4.3 and 4.4).
//
// Reading: wheels are zips. We parse the end-of-central-directory record and the central
// directory, then read each entry's bytes with positional reads, so a 50 MB wheel is never
// held in memory.
//
// Writing: byte-reproducible packages. Entries go out in the order the caller gives (it sorts),
// each as local header + data, then the central directory and the end record. No extra fields,
// no data descriptors, one fixed timestamp, Unix modes normalised to 0644/0755, one deflate
// level. Entries copied from a wheel keep their compressed bytes verbatim: no inflate/deflate.
//
// No zip64, on purpose: Lambda refuses more than 262,144,000 bytes unzipped, so a package never
// comes near 4 GiB or 65,535 entries. Both are checked and refused with a clear message.
import { createHash, type Hash } from 'node:crypto'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { constants as zlibConstants, crc32, inflateRawSync } from 'node:zlib'
import { Deflate, deflateRaw } from 'pako'
import { UserError } from '../errors.js'

const SIG_LOCAL = 0x04034b50
const SIG_CENTRAL = 0x02014b50
const SIG_END = 0x06054b50
const SIG_ZIP64_LOCATOR = 0x07064b50
const LOCAL_HEADER_SIZE = 30
const CENTRAL_HEADER_SIZE = 46
const END_RECORD_SIZE = 22
const ZIP64_LOCATOR_SIZE = 20
const MAX_COMMENT = 0xffff

export const METHOD_STORED = 0
export const METHOD_DEFLATED = 8

const FLAG_ENCRYPTED = 0x0001
const FLAG_STRONG_ENCRYPTION = 0x0040
const FLAG_UTF8 = 0x0800

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
  /** Where the central directory starts: no entry's data may reach past it. */
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

function decodeName(bytes: Buffer, flags: number): string {
  if ((flags & FLAG_UTF8) !== 0 || bytes.every((byte) => byte < 0x80)) return bytes.toString('utf8')
  let name = ''
  for (const byte of bytes) {
    name += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80]
  }
  return name
}

function corrupt(archive: string, problem: string): UserError {
  return new UserError(
    `${archive}: not a readable zip (${problem}). The file is truncated or corrupt; delete it so that it is downloaded again.`
  )
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

/** Reads the central directory from an open zip; `archive` names it in messages. */
export async function readZipEntriesFrom(handle: FileHandle, archive: string): Promise<ZipEntry[]> {
  const { size: fileSize } = await handle.stat()
  if (fileSize < END_RECORD_SIZE) throw corrupt(archive, 'too small to be a zip')
  const tailLength = Math.min(fileSize, END_RECORD_SIZE + MAX_COMMENT)
  const tailStart = fileSize - tailLength
  const tail = await readExactly(handle, archive, tailLength, tailStart)

  let endAt = -1
  for (let i = tailLength - END_RECORD_SIZE; i >= 0; i--) {
    if (
      tail.readUInt32LE(i) === SIG_END &&
      i + END_RECORD_SIZE + tail.readUInt16LE(i + 20) === tailLength
    ) {
      endAt = i
      break
    }
  }
  if (endAt < 0) throw corrupt(archive, 'no end of central directory record')
  const end = tail.subarray(endAt)
  const endOffset = tailStart + endAt
  const diskNumber = end.readUInt16LE(4)
  const centralDisk = end.readUInt16LE(6)
  const entriesOnDisk = end.readUInt16LE(8)
  const totalEntries = end.readUInt16LE(10)
  const centralSize = end.readUInt32LE(12)
  const centralOffset = end.readUInt32LE(16)

  const zip64Locator =
    endAt >= ZIP64_LOCATOR_SIZE &&
    tail.readUInt32LE(endAt - ZIP64_LOCATOR_SIZE) === SIG_ZIP64_LOCATOR
  if (
    zip64Locator ||
    totalEntries === MAX_ENTRIES ||
    centralSize === MAX_OFFSET ||
    centralOffset === MAX_OFFSET
  ) {
    throw zip64Refused(archive)
  }
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== totalEntries) {
    throw new UserError(`${archive}: multi-part (spanned) zips are not supported.`)
  }
  if (centralOffset + centralSize > endOffset) {
    throw corrupt(archive, 'central directory lies outside the file')
  }

  const central = await readExactly(handle, archive, centralSize, centralOffset)
  const entries: ZipEntry[] = []
  let at = 0
  while (entries.length < totalEntries) {
    if (at + CENTRAL_HEADER_SIZE > central.length || central.readUInt32LE(at) !== SIG_CENTRAL) {
      throw corrupt(archive, `central directory entry ${entries.length + 1} is damaged`)
    }
    const flags = central.readUInt16LE(at + 8)
    const nameLength = central.readUInt16LE(at + 28)
    const extraLength = central.readUInt16LE(at + 30)
    const commentLength = central.readUInt16LE(at + 32)
    const recordEnd = at + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength
    if (recordEnd > central.length) {
      throw corrupt(archive, `central directory entry ${entries.length + 1} is damaged`)
    }
    const name = decodeName(
      central.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength),
      flags
    )
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
      dataLimit: centralOffset
    }
    if (
      entry.compressedSize === MAX_OFFSET ||
      entry.uncompressedSize === MAX_OFFSET ||
      entry.localHeaderOffset === MAX_OFFSET
    ) {
      throw zip64Refused(archive)
    }
    if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) {
      throw new UserError(
        `${archive}: entry ${name} is encrypted; encrypted zips are not supported.`
      )
    }
    if (entry.localHeaderOffset + LOCAL_HEADER_SIZE + entry.compressedSize > centralOffset) {
      throw corrupt(archive, `entry ${name} lies outside the file`)
    }
    entries.push(entry)
    at = recordEnd
  }
  return entries
}

function zip64Refused(archive: string): UserError {
  return new UserError(
    `${archive}: zip64 archives are not supported (a Lambda package is far below 4 GiB and 65,535 entries, where zip64 starts).`
  )
}

function unsupportedMethod(entry: ZipEntry): UserError {
  return new UserError(
    `${entry.archive}: entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported.`
  )
}

function parseLocalHeader(entry: ZipEntry, header: Buffer): number {
  if (header.readUInt32LE(0) !== SIG_LOCAL) {
    throw corrupt(entry.archive, `no local header for entry ${entry.name}`)
  }
  // The local name and extra lengths may differ from the central ones: take the local ones.
  const dataOffset =
    entry.localHeaderOffset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28)
  if (dataOffset + entry.compressedSize > entry.dataLimit) {
    throw corrupt(entry.archive, `entry ${entry.name} lies outside the file`)
  }
  return dataOffset
}

/** Offset of the entry's compressed bytes, from its local header. */
export async function entryDataOffset(handle: FileHandle, entry: ZipEntry): Promise<number> {
  const header = await readExactly(
    handle,
    entry.archive,
    LOCAL_HEADER_SIZE,
    entry.localHeaderOffset
  )
  return parseLocalHeader(entry, header)
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
 * The entry's uncompressed bytes, checked against its size and CRC-32. Holds the whole entry in
 * memory: meant for metadata files (METADATA, WHEEL, RECORD), not for big libraries.
 */
export async function readEntryData(handle: FileHandle, entry: ZipEntry): Promise<Buffer> {
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw unsupportedMethod(entry)
  }
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
 * Up to `length` bytes from the start of the entry's uncompressed content, inflating only a
 * prefix of the compressed bytes (an ELF header check needs 64 bytes of each `.so`).
 */
export async function readEntryHead(
  handle: FileHandle,
  entry: ZipEntry,
  length: number
): Promise<Buffer> {
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw unsupportedMethod(entry)
  }
  const start = await entryDataOffset(handle, entry)
  const wanted = Math.min(length, entry.uncompressedSize)
  if (entry.method === METHOD_STORED) {
    return Buffer.from(await readExactly(handle, entry.archive, wanted, start))
  }
  // Grow the compressed prefix until it inflates to enough bytes; for a 64-byte ELF header
  // the first read is nearly always enough.
  for (let readLength = Math.min(entry.compressedSize, Math.max(256, wanted)); ; readLength *= 2) {
    readLength = Math.min(readLength, entry.compressedSize)
    const raw = await readExactly(handle, entry.archive, readLength, start)
    let data: Buffer
    try {
      // Z_SYNC_FLUSH returns what the prefix holds instead of failing on the missing end.
      data = inflateRawSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH })
    } catch {
      throw corrupt(entry.archive, `entry ${entry.name} does not inflate`)
    }
    if (data.length >= wanted || readLength === entry.compressedSize) {
      return Buffer.from(data.subarray(0, wanted))
    }
  }
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
   * compressed bytes verbatim, nothing inflated or deflated again.
   */
  async addRaw(
    name: string,
    source: FileHandle,
    entry: ZipEntry,
    executable: boolean
  ): Promise<void> {
    if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
      throw unsupportedMethod(entry)
    }
    const nameBytes = this.startEntry(name)
    // Header and data come from a read window when they fit (most wheel entries do); the 512
    // bytes of slack cover a local extra field longer than the central one.
    const span = LOCAL_HEADER_SIZE + Buffer.byteLength(entry.name) + entry.compressedSize + 512
    let dataOffset: number
    let inWindow: Buffer | undefined
    if (span <= READ_WINDOW_SIZE) {
      const view = await this.windows.read(source, entry.archive, entry.localHeaderOffset, span)
      if (view.length < LOCAL_HEADER_SIZE) {
        throw corrupt(entry.archive, `no local header for entry ${entry.name}`)
      }
      dataOffset = parseLocalHeader(entry, view)
      const from = dataOffset - entry.localHeaderOffset
      if (from + entry.compressedSize <= view.length) {
        inWindow = view.subarray(from, from + entry.compressedSize)
      }
    } else {
      dataOffset = await entryDataOffset(source, entry)
    }
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
    const nameBytes = this.startEntry(name)
    const deflated = deflateRaw(data, { level: DEFLATE_LEVEL })
    const store = deflated.length >= data.length
    const record: EntryRecord = {
      name: nameBytes,
      flags: nameFlags(name),
      method: store ? METHOD_STORED : METHOD_DEFLATED,
      crc32: crc32(data),
      compressedSize: store ? data.length : deflated.length,
      uncompressedSize: data.length,
      mode: executable ? EXECUTABLE_MODE : FILE_MODE,
      offset: this.offset
    }
    await this.writeLocalHeader(record)
    await this.append(store ? data : deflated)
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
