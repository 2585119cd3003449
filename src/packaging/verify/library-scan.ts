// Reads every ELF file of the built zips once and hands them to the pure library check. Each
// `.so` (and each executable entry, which may be an ELF program) is inflated whole, bounded by
// its declared size, and parsed; parses are kept by content (CRC-32 and sizes of the entry) so a
// warm build, whose zips hold the same library bytes, inflates nothing again.
import * as core from '@actions/core'
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { UserError } from '../../errors.js'
import { LAYER_ROOT, TASK_ROOT, type Architecture, type RuntimeFacts } from '../../lambda-facts.js'
import type { ArchPackages } from '../../types.js'
import {
  isExecutableEntry,
  readEntryData,
  readEntryHead,
  readZipEntriesFrom,
  type ZipEntry
} from '../zip-format.js'
import { isElf, isSharedLibrary, parseElf, type ElfParse } from './elf.js'
import {
  checkLibraries,
  type LibraryProblem,
  type LibraryReport,
  type PackagedFile
} from './library-check.js'

/** Bump when ElfParse changes shape or meaning: old cache files are then ignored. */
const CACHE_FORMAT = 1
/** Entries kept; the oldest go first. A big build has a few hundred ELF files per target. */
const CACHE_LIMIT = 20_000

/** Parses by entry content, shared by every target of one build and saved for the next. */
export class ElfParseCache {
  private readonly parses = new Map<string, ElfParse>()
  private changed = false

  private constructor(private readonly file: string | undefined) {}

  /** The cache kept at `file`; an unreadable or foreign file starts an empty one. */
  static async load(file: string | undefined): Promise<ElfParseCache> {
    const cache = new ElfParseCache(file)
    if (file === undefined) return cache
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as {
        format?: number
        parses?: Record<string, ElfParse>
      }
      if (data.format === CACHE_FORMAT && data.parses && typeof data.parses === 'object') {
        for (const [key, parse] of Object.entries(data.parses)) cache.parses.set(key, parse)
      }
    } catch {
      // Missing or damaged: parse again.
    }
    return cache
  }

  static key(entry: ZipEntry): string {
    return `${entry.crc32.toString(16)}-${entry.uncompressedSize}-${entry.compressedSize}-${entry.method}`
  }

  get(entry: ZipEntry): ElfParse | undefined {
    const key = ElfParseCache.key(entry)
    const parse = this.parses.get(key)
    if (parse) {
      // Most recently used last, so the limit drops the oldest.
      this.parses.delete(key)
      this.parses.set(key, parse)
    }
    return parse
  }

  set(entry: ZipEntry, parse: ElfParse): void {
    this.parses.set(ElfParseCache.key(entry), parse)
    this.changed = true
  }

  /** Writes the cache atomically; a failure costs only speed, so it is a warning. */
  async save(): Promise<void> {
    if (this.file === undefined || !this.changed) return
    const kept = [...this.parses].slice(-CACHE_LIMIT)
    const temporary = `${this.file}.${process.pid}.tmp`
    try {
      await mkdir(dirname(this.file), { recursive: true })
      await writeFile(
        temporary,
        JSON.stringify({ format: CACHE_FORMAT, parses: Object.fromEntries(kept) })
      )
      await rename(temporary, this.file)
      this.changed = false
    } catch (error) {
      core.warning(`Could not save the ELF parse cache ${this.file}: ${(error as Error).message}`)
    }
  }
}

/** Where the cache lives in the wheel store's root. */
export function elfParseCacheFile(storeRoot: string): string {
  return join(storeRoot, `elf-parses-v${CACHE_FORMAT}.json`)
}

/** Entries that may be ELF files: shared libraries by name, and executables. */
function mayBeElf(entry: ZipEntry): boolean {
  return isSharedLibrary(entry.name) || isExecutableEntry(entry)
}

async function scanZip(
  zipPath: string,
  root: string,
  cache: ElfParseCache
): Promise<PackagedFile[]> {
  const files: PackagedFile[] = []
  const handle = await open(zipPath, 'r')
  try {
    for (const entry of await readZipEntriesFrom(handle, zipPath)) {
      if (!mayBeElf(entry)) continue
      let parsed = cache.get(entry)
      if (!parsed) {
        // An executable that is a script need not be inflated whole: its first bytes tell.
        const elf = isSharedLibrary(entry.name) || isElf(await readEntryHead(handle, entry, 4))
        parsed = elf ? parseElf(await readEntryData(handle, entry)) : { kind: 'not-elf' }
        cache.set(entry, parsed)
      }
      if (parsed.kind === 'not-elf') continue
      files.push({
        path: `${root}/${entry.name}`,
        entry: `${entry.name} (${basename(zipPath)})`,
        parsed
      })
    }
  } finally {
    await handle.close()
  }
  return files
}

export interface LibraryCheckRequest {
  packages: ArchPackages
  runtime: RuntimeFacts
  architecture: Architecture
  cache: ElfParseCache
}

/**
 * Every ELF file of the packages, checked against Lambda: right machine, glibc no newer than the
 * runtime's, every library an extension module needs in the package or the runtime. The report's
 * failures are judged with the import check's result (library-verdict.ts) before they fail the
 * build (`libraryError`).
 */
export async function scanPackageLibraries(request: LibraryCheckRequest): Promise<LibraryReport> {
  const { packages, runtime, architecture, cache } = request
  const files = await scanZip(packages.function.path, TASK_ROOT, cache)
  if (packages.layer) files.push(...(await scanZip(packages.layer.path, LAYER_ROOT, cache)))
  return checkLibraries(files, runtime, architecture)
}

/** The build's error for library problems that would fail the import on Lambda. */
export function libraryError(
  failures: readonly LibraryProblem[],
  runtime: RuntimeFacts,
  architecture: Architecture
): UserError {
  const shown = failures.slice(0, 12).map((p) => `  - ${p.entry} ${p.message}`)
  const more = failures.length > 12 ? `\n  … and ${failures.length - 12} more` : ''
  return new UserError(
    `${failures.length} shared-library problem(s) in the ${architecture} package would fail the import on Lambda (${runtime.name}):\n${shown.join('\n')}${more}`
  )
}
