// Unpacks a built zip into a folder for the import check, the way Lambda unpacks it, and keeps
// that folder between builds: only entries whose content changed are written again, files the
// zip no longer holds are removed. Each file's mtime is set from its CRC-32, so a file's
// (mtime, size) — what CPython checks before it trusts a cached .pyc — changes whenever its
// content does, and the import check can keep .pyc files (outside the tree) across builds.
import { createHash } from 'node:crypto'
import {
  closeSync,
  fchmodSync,
  futimesSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeSync
} from 'node:fs'
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { UserError } from '../../errors.js'
import { lockFolder, unlockFolder } from '../stores/folder-lock.js'
import {
  isExecutableEntry,
  readEntryData,
  readZipEntriesFrom,
  type ZipEntry
} from '../zip-format.js'

/** Entries read at once: reads overlap while another entry is inflated and written. */
const CONCURRENCY = 4
const MANIFEST = '.lpd-tree.json'
const FORMAT = 1

export interface TreeSync {
  written: number
  kept: number
  removed: number
}

/** The mtime (seconds) that stands for this content: pyc checks (mtime, size). */
function contentTime(entry: ZipEntry): number {
  return entry.crc32
}

function entryKey(entry: ZipEntry): string {
  return `${entry.crc32.toString(16)}-${entry.uncompressedSize}-${isExecutableEntry(entry) ? 'x' : 'f'}`
}

/** A zip entry name that stays inside the tree (the assembler never writes others). */
function safeTarget(root: string, name: string): string {
  const target = join(root, name)
  if (name.startsWith('/') || name.includes('\0') || !target.startsWith(root + sep)) {
    throw new UserError(
      `import check: zip entry ${JSON.stringify(name)} would leave the package folder`
    )
  }
  return target
}

/** Removes empty folders below `dir` (an empty folder would import as a namespace package). */
async function pruneEmptyFolders(dir: string): Promise<boolean> {
  const items = await readdir(dir, { withFileTypes: true }).catch(() => [])
  let empty = true
  for (const item of items) {
    if (item.isDirectory() && (await pruneEmptyFolders(join(dir, item.name)))) {
      await rm(join(dir, item.name), { recursive: true, force: true })
    } else {
      empty = false
    }
  }
  return empty
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const files: string[] = []
  let names
  try {
    names = await readdir(join(root, prefix), { withFileTypes: true })
  } catch {
    return files
  }
  for (const item of names) {
    const relative = prefix === '' ? item.name : `${prefix}/${item.name}`
    if (item.isDirectory()) files.push(...(await listFiles(root, relative)))
    else if (relative !== MANIFEST) files.push(relative)
  }
  return files
}

/**
 * Writes a file with its mode and content time, through one descriptor. Synchronous on
 * purpose: thousands of small files cost far less CPU this way than as thread-pool round trips.
 */
function writeContent(path: string, data: Buffer, mode: number, time: number): void {
  let fd: number
  try {
    fd = openSync(path, 'wx', mode)
    // A new file gets `mode` through the umask: set it exactly when the umask took bits away.
    if ((mode & process.umask()) !== 0) fchmodSync(fd, mode)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EEXIST' && code !== 'EISDIR') throw error
    // Left from an earlier package (a file, or a folder where the file now goes): replace it.
    rmSync(path, { recursive: true, force: true })
    fd = openSync(path, 'wx', mode)
    fchmodSync(fd, mode)
  }
  try {
    for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done)
    futimesSync(fd, time, time)
  } finally {
    closeSync(fd)
  }
}

/**
 * Makes `root` hold exactly the files of the zip at `zipPath` (plus a manifest). Files whose
 * recorded content, size and mtime still match are kept; everything else is written again.
 * `keep` spares files the zip does not hold (the bytecode probe keeps earlier .pyc files, and
 * ignores them, rather than delete and write them back on every build).
 */
export async function syncPackageTree(
  zipPath: string,
  root: string,
  keep: (name: string) => boolean = () => false
): Promise<TreeSync> {
  await mkdir(root, { recursive: true })
  const manifestPath = join(root, MANIFEST)
  let recorded: Record<string, string> = {}
  try {
    const data = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      format?: number
      zip?: string
      files?: Record<string, string>
    }
    if (data.format === FORMAT && data.files) recorded = data.files
  } catch {
    // No tree yet, or a damaged manifest: everything is written.
  }
  // The manifest goes first, so a run cut short leaves a tree that the next run rewrites.
  await rm(manifestPath, { force: true })

  const handle = await open(zipPath, 'r')
  const files: Record<string, string> = {}
  const result: TreeSync = { written: 0, kept: 0, removed: 0 }
  try {
    const entries = (await readZipEntriesFrom(handle, zipPath)).filter((e) => !e.name.endsWith('/'))
    const wanted = new Set(entries.map((e) => e.name))
    for (const name of await listFiles(root)) {
      if (wanted.has(name)) continue
      if (keep(name)) {
        // Still what the manifest says it is: a later sync that wants it can keep it.
        if (recorded[name] !== undefined) files[name] = recorded[name]
        continue
      }
      await rm(join(root, name), { force: true })
      result.removed++
    }
    const folders = new Set<string>()
    let next = 0
    const worker = async () => {
      while (next < entries.length) {
        const entry = entries[next++] as ZipEntry
        const target = safeTarget(root, entry.name)
        const key = entryKey(entry)
        files[entry.name] = key
        if (recorded[entry.name] === key) {
          const info = statSync(target, { throwIfNoEntry: false })
          if (
            info?.isFile() &&
            info.size === entry.uncompressedSize &&
            Math.floor(info.mtimeMs / 1000) === contentTime(entry)
          ) {
            result.kept++
            continue
          }
        }
        // Bounded by the declared size (+1 byte to tell a lie), checked against the CRC-32.
        const data = await readEntryData(handle, entry)
        const folder = dirname(target)
        if (!folders.has(folder)) {
          mkdirSync(folder, { recursive: true })
          folders.add(folder)
        }
        await writeContent(
          target,
          data,
          isExecutableEntry(entry) ? 0o755 : 0o644,
          contentTime(entry)
        )
        result.written++
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    if (result.removed > 0) await pruneEmptyFolders(root)
  } finally {
    await handle.close()
  }
  await writeFile(manifestPath, JSON.stringify({ format: FORMAT, files }))
  return result
}

/** A folder name for one package: the same target always reuses the same tree. */
export function treeName(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)
}

/** A folder to unpack one target's packages into; `release` when done. */
export interface TreeFolder {
  dir: string
  /** Kept between builds (what it holds may come from an earlier one), not temporary. */
  kept: boolean
  release: () => Promise<void>
}

/**
 * The folder named by `parts` under `treeRoot`, kept between builds (a warm build rewrites only
 * what changed) when no other build on this runner holds it; else a temporary one, deleted on
 * release.
 */
export async function openTreeFolder(
  treeRoot: string | undefined,
  parts: readonly string[],
  temporaryPrefix: string
): Promise<TreeFolder> {
  const kept = treeRoot === undefined ? undefined : join(treeRoot, treeName(parts))
  if (kept !== undefined && (await lockFolder(kept))) {
    return { dir: kept, kept: true, release: () => unlockFolder(kept) }
  }
  const dir = await mkdtemp(join(tmpdir(), temporaryPrefix))
  return { dir, kept: false, release: () => rm(dir, { recursive: true, force: true }) }
}
