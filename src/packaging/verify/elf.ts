// Reads what the dynamic loader reads from an ELF file (System V gABI, "Dynamic Section" and the
// GNU symbol-versioning extension): the machine, the libraries it needs (DT_NEEDED), where it
// looks for them (DT_RPATH, DT_RUNPATH) and the symbol versions it needs from each
// (DT_VERNEED). Pure and bounded: every read is checked against the buffer, every list and
// chain has a cap, and a damaged file gives a reason instead of an exception.
const MACHINE_NAMES: Record<number, string> = {
  3: 'x86 (32-bit)',
  40: 'ARM (32-bit)',
  62: 'x86_64',
  183: 'aarch64',
  243: 'RISC-V',
  21: 'PowerPC64',
  22: 's390'
}

/** Whether the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x7f &&
    bytes[1] === 0x45 &&
    bytes[2] === 0x4c &&
    bytes[3] === 0x46
  )
}

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `ELF machine ${machine}`
}

/** Whether a zip entry is a shared library worth checking (`.so`, `.so.1.2`). */
export function isSharedLibrary(name: string): boolean {
  return /\.so(\.\d+)*$/.test(name)
}

/** Symbol versions needed from one library (one Verneed record and its Vernaux chain). */
export interface VersionNeed {
  /** `libc.so.6` */
  file: string
  /** `GLIBC_2.17`, `GLIBC_2.2.5` */
  versions: string[]
}

/** What the dynamic loader needs to know about one ELF file. JSON-serialisable (cached). */
export interface ElfDynamicInfo {
  machine: number
  /** DT_NEEDED, in order. */
  needed: string[]
  /** DT_RPATH entries (colon-separated list split), `$ORIGIN` unexpanded. */
  rpath: string[]
  /** DT_RUNPATH entries, likewise. */
  runpath: string[]
  soname?: string
  versionNeeds: VersionNeed[]
  /**
   * `PyInit_<name>` strings in the dynamic string table: an extension module defines
   * `PyInit_<module>`, which is what CPython's import looks up.
   */
  pyInit: string[]
}

export type ElfParse =
  | { kind: 'not-elf' }
  | { kind: 'damaged'; machine?: number; reason: string }
  | ({ kind: 'elf' } & ElfDynamicInfo)

// ELF constants (gABI; GNU extensions from glibc's elf.h).
const PT_LOAD = 1
const PT_DYNAMIC = 2
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_STRSZ = 10
const DT_SONAME = 14
const DT_RPATH = 15
const DT_RUNPATH = 29
const DT_VERNEED = 0x6ffffffe
const DT_VERNEEDNUM = 0x6fffffff

/** Caps against hostile files: far above anything a real library carries. */
const MAX_PROGRAM_HEADERS = 4096
const MAX_DYNAMIC_ENTRIES = 65536
const MAX_STRING = 4096
const MAX_VERNEED = 1024
const MAX_VERNAUX = 1024
const MAX_PYINIT = 64

class Damaged extends Error {}

/** Bounds-checked reads over one buffer; any read past the end throws Damaged. */
class Reader {
  private readonly view: DataView
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly is64: boolean
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  private check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.bytes.length) {
      throw new Damaged(`${what} lies outside the file`)
    }
  }

  u16(offset: number, what: string): number {
    this.check(offset, 2, what)
    return this.view.getUint16(offset, this.littleEndian)
  }

  u32(offset: number, what: string): number {
    this.check(offset, 4, what)
    return this.view.getUint32(offset, this.littleEndian)
  }

  /** A word: 4 bytes in ELFCLASS32, 8 in ELFCLASS64 (refused above 2^53). */
  word(offset: number, what: string): number {
    if (!this.is64) return this.u32(offset, what)
    this.check(offset, 8, what)
    const value = this.view.getBigUint64(offset, this.littleEndian)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Damaged(`${what} is out of range`)
    return Number(value)
  }

  /** A signed word (d_tag). */
  sword(offset: number, what: string): number {
    if (!this.is64) {
      this.check(offset, 4, what)
      return this.view.getInt32(offset, this.littleEndian)
    }
    this.check(offset, 8, what)
    const value = this.view.getBigInt64(offset, this.littleEndian)
    // Tags we read all fit in 32 bits; anything else is ignored, never an index.
    return value > 0x7fffffffn || value < -0x80000000n ? -1 : Number(value)
  }
}

interface Segment {
  vaddr: number
  offset: number
  filesz: number
}

interface StringTable {
  offset: number
  size: number
}

function readString(reader: Reader, table: StringTable, index: number, what: string): string {
  if (!Number.isSafeInteger(index) || index < 0 || index >= table.size) {
    throw new Damaged(`${what} points outside the string table`)
  }
  const start = table.offset + index
  const end = Math.min(table.offset + table.size, start + MAX_STRING)
  const bytes = reader.bytes
  let at = start
  while (at < end && bytes[at] !== 0) at++
  if (at >= end) throw new Damaged(`${what} is not a terminated string`)
  return new TextDecoder('latin1').decode(bytes.subarray(start, at))
}

/** Maps a virtual address to a file offset through the PT_LOAD segments. */
function fileOffset(segments: readonly Segment[], vaddr: number, what: string): number {
  for (const s of segments) {
    if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr)
  }
  throw new Damaged(`${what} is at an address no segment loads from the file`)
}

function parseVersionNeeds(
  reader: Reader,
  strings: StringTable,
  start: number,
  count: number
): VersionNeed[] {
  const needs: VersionNeed[] = []
  let at = start
  for (let i = 0; i < Math.min(count, MAX_VERNEED); i++) {
    // Elf{32,64}_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
    const auxCount = reader.u16(at + 2, 'a version need')
    const file = readString(reader, strings, reader.u32(at + 4, 'a version need'), 'vn_file')
    const versions: string[] = []
    let aux = at + reader.u32(at + 8, 'a version need')
    for (let j = 0; j < Math.min(auxCount, MAX_VERNAUX); j++) {
      // Elf{32,64}_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
      versions.push(readString(reader, strings, reader.u32(aux + 8, 'a version'), 'vna_name'))
      const next = reader.u32(aux + 12, 'a version')
      if (next === 0) break
      aux += next
    }
    needs.push({ file, versions })
    const next = reader.u32(at + 12, 'a version need')
    if (next === 0) break
    at += next
  }
  return needs
}

/** Every `PyInit_*` string in the table, bounded. */
function pyInitNames(reader: Reader, strings: StringTable): string[] {
  const table = Buffer.from(
    reader.bytes.buffer,
    reader.bytes.byteOffset + strings.offset,
    strings.size
  )
  const names: string[] = []
  for (let at = table.indexOf('\0PyInit_'); at >= 0 && names.length < MAX_PYINIT;) {
    const end = table.indexOf(0, at + 1)
    if (end < 0) break
    names.push(table.toString('latin1', at + 1, end))
    at = table.indexOf('\0PyInit_', end)
  }
  return names
}

function parse(bytes: Uint8Array): ElfParse {
  if (!isElf(bytes)) return { kind: 'not-elf' }
  if (bytes.length < 52) return { kind: 'damaged', reason: 'the ELF header is cut short' }
  const elfClass = bytes[4]
  const encoding = bytes[5]
  if ((elfClass !== 1 && elfClass !== 2) || (encoding !== 1 && encoding !== 2)) {
    return { kind: 'damaged', reason: 'the ELF header names no known class or byte order' }
  }
  const reader = new Reader(bytes, encoding === 1, elfClass === 2)
  const machine = reader.u16(18, 'e_machine')
  try {
    const is64 = reader.is64
    const phoff = reader.word(is64 ? 32 : 28, 'e_phoff')
    const phentsize = reader.u16(is64 ? 54 : 42, 'e_phentsize')
    const phnum = reader.u16(is64 ? 56 : 44, 'e_phnum')
    if (phnum > MAX_PROGRAM_HEADERS) throw new Damaged('too many program headers')
    if (phnum > 0 && phentsize < (is64 ? 56 : 32)) throw new Damaged('program headers too small')
    const segments: Segment[] = []
    let dynamic: { offset: number; size: number } | undefined
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize
      const type = reader.u32(at, 'a program header')
      // Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz, memsz, align.
      // Elf32_Phdr: type, offset, vaddr, paddr, filesz, memsz, flags, align.
      const offset = reader.word(at + (is64 ? 8 : 4), 'p_offset')
      const vaddr = reader.word(at + (is64 ? 16 : 8), 'p_vaddr')
      const filesz = reader.word(at + (is64 ? 32 : 16), 'p_filesz')
      if (type === PT_LOAD) segments.push({ vaddr, offset, filesz })
      if (type === PT_DYNAMIC) dynamic = { offset, size: filesz }
    }
    const info: ElfDynamicInfo = {
      machine,
      needed: [],
      rpath: [],
      runpath: [],
      versionNeeds: [],
      pyInit: []
    }
    // A static executable or an object file: it loads nothing.
    if (!dynamic) return { kind: 'elf', ...info }

    const entrySize = is64 ? 16 : 8
    const tags: { tag: number; value: number }[] = []
    const entries = Math.min(Math.floor(dynamic.size / entrySize), MAX_DYNAMIC_ENTRIES)
    for (let i = 0; i < entries; i++) {
      const at = dynamic.offset + i * entrySize
      const tag = reader.sword(at, 'a dynamic entry')
      if (tag === DT_NULL) break
      tags.push({ tag, value: reader.word(at + entrySize / 2, 'a dynamic entry') })
    }
    const value = (tag: number) => tags.find((t) => t.tag === tag)?.value
    const strtab = value(DT_STRTAB)
    const strsz = value(DT_STRSZ)
    if (strtab === undefined || strsz === undefined) {
      if (tags.some((t) => [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(t.tag))) {
        throw new Damaged('the dynamic section has names but no string table')
      }
      return { kind: 'elf', ...info }
    }
    const strings: StringTable = { offset: fileOffset(segments, strtab, 'DT_STRTAB'), size: strsz }
    if (strings.offset + strings.size > bytes.length) {
      throw new Damaged('the string table lies outside the file')
    }
    const text = (index: number, what: string) => readString(reader, strings, index, what)
    const paths = (index: number, what: string) => text(index, what).split(':').filter(Boolean)
    for (const { tag, value: v } of tags) {
      if (tag === DT_NEEDED) info.needed.push(text(v, 'DT_NEEDED'))
      else if (tag === DT_SONAME) info.soname = text(v, 'DT_SONAME')
      else if (tag === DT_RPATH) info.rpath.push(...paths(v, 'DT_RPATH'))
      else if (tag === DT_RUNPATH) info.runpath.push(...paths(v, 'DT_RUNPATH'))
    }
    const verneed = value(DT_VERNEED)
    if (verneed !== undefined) {
      info.versionNeeds = parseVersionNeeds(
        reader,
        strings,
        fileOffset(segments, verneed, 'DT_VERNEED'),
        value(DT_VERNEEDNUM) ?? 0
      )
    }
    info.pyInit = pyInitNames(reader, strings)
    return { kind: 'elf', ...info }
  } catch (error) {
    if (error instanceof Damaged) return { kind: 'damaged', machine, reason: error.message }
    throw error
  }
}

/**
 * Parses one ELF file. Never reads outside `bytes`; a truncated or hostile file comes back as
 * `damaged` with the reason (the loader would refuse it too).
 */
export function parseElf(bytes: Uint8Array): ElfParse {
  try {
    return parse(bytes)
  } catch (error) {
    if (error instanceof Damaged) return { kind: 'damaged', reason: error.message }
    throw error
  }
}

/**
 * glibc release that introduced a version name the loader checks: `GLIBC_2.34` → 34,
 * `GLIBC_2.2.5` → 2. `GLIBC_ABI_DT_RELR` (binaries linked with `-z pack-relative-relocs`)
 * exists from glibc 2.36. Undefined for other names (`GLIBC_PRIVATE`, `GLIBCXX_3.4`).
 */
export function glibcMinorOf(version: string): number | undefined {
  if (version === 'GLIBC_ABI_DT_RELR') return 36
  const match = /^GLIBC_2\.(\d+)(?:\.\d+)?$/.exec(version)
  return match ? Number(match[1]) : undefined
}

/** The newest glibc version the file needs, as `{ minor, version }`, or undefined. */
export function newestGlibc(
  info: Pick<ElfDynamicInfo, 'versionNeeds'>
): { minor: number; version: string } | undefined {
  let newest: { minor: number; version: string } | undefined
  for (const need of info.versionNeeds) {
    for (const version of need.versions) {
      const minor = glibcMinorOf(version)
      if (minor !== undefined && (newest === undefined || minor > newest.minor)) {
        newest = { minor, version }
      }
    }
  }
  return newest
}
