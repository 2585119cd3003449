// What the action brought to run a target's CPython (interpreters, qemu, sysroots), kept in the
// tool cache under `<root>/tools/python/<name>/`: the files in `tree/`, and `manifest.json` with
// each file's SHA-256 and each link's target as they were fetched. Before anything kept runs, its
// tree is hashed again and must match the manifest exactly (a changed, missing or extra file, a
// planted `sitecustomize.py` say, makes it damaged: it is removed and fetched again). An entry is
// filled beside its place and renamed into it when whole; a lock keeps two builds on one runner
// from fetching the same entry at once.
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, readlink, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '../../../errors.js'

export interface EntryManifest {
  format: 1
  /** For the log and the report: what it is and where it came from. */
  description: string
  /** What was learnt while fetching it: versions, package lists, the interpreter's path. */
  facts: Record<string, string>
  /** Relative path → `sha256:<hex>` for a file, `link:<target>` for a symbolic link. */
  files: Record<string, string>
}

export interface KeptEntry {
  name: string
  /** Where its files are. */
  tree: string
  manifest: EntryManifest
  /** Files checked before this use (0 when this process fetched it). */
  verifiedFiles: number
}

/** Where kept entries live under the wheel store's root (the runner's tool cache). */
export function keptToolsDir(root: string): string {
  return join(root, 'tools', 'python')
}

const HASHES_AT_ONCE = 16

/** Every file and link under `tree`, as the manifest records them. */
export async function treeDigests(tree: string): Promise<Record<string, string>> {
  const found: [string, string][] = []
  const files: string[] = []
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(tree, relative), { withFileTypes: true })
    await Promise.all(
      entries.map(async (entry) => {
        const path = relative === '' ? entry.name : `${relative}/${entry.name}`
        if (entry.isSymbolicLink()) found.push([path, `link:${await readlink(join(tree, path))}`])
        else if (entry.isDirectory()) await walk(path)
        else if (entry.isFile()) files.push(path)
        else found.push([path, 'other'])
      })
    )
  }
  await walk('')
  for (let i = 0; i < files.length; i += HASHES_AT_ONCE) {
    await Promise.all(
      files.slice(i, i + HASHES_AT_ONCE).map(async (path) => {
        const digest = createHash('sha256')
          .update(await readFile(join(tree, path)))
          .digest('hex')
        found.push([path, `sha256:${digest}`])
      })
    )
  }
  return Object.fromEntries(found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** The first difference between what was recorded and what is there, in words; undefined: none. */
export function treeDifference(
  recorded: Readonly<Record<string, string>>,
  present: Readonly<Record<string, string>>
): string | undefined {
  for (const [path, digest] of Object.entries(recorded)) {
    if (!(path in present)) return `${path} is missing`
    if (present[path] !== digest) return `${path} has changed`
  }
  for (const path of Object.keys(present)) {
    if (!(path in recorded)) return `${path} was added`
  }
  return undefined
}

/** Checked once per process: both architectures of a build share qemu, say. */
const verified = new Map<string, Promise<KeptEntry | undefined>>()

/** A kept entry whose files match its manifest; undefined when there is none (a damaged one is removed). */
export function openKept(toolsDir: string, name: string): Promise<KeptEntry | undefined> {
  const dir = join(toolsDir, name)
  let pending = verified.get(dir)
  if (!pending) {
    pending = verify(dir, name)
    verified.set(dir, pending)
    // Only a verified entry is remembered: a missing one may be fetched later in this run.
    pending.then(
      (entry) => entry === undefined && verified.delete(dir),
      () => verified.delete(dir)
    )
  }
  return pending
}

async function verify(dir: string, name: string): Promise<KeptEntry | undefined> {
  let manifest: EntryManifest
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as EntryManifest
  } catch {
    // Never written whole (the manifest goes last): nothing kept.
    return undefined
  }
  const tree = join(dir, 'tree')
  let problem: string | undefined
  try {
    problem =
      manifest.format === 1
        ? treeDifference(manifest.files, await treeDigests(tree))
        : `its format ${String(manifest.format)} is not this action's`
  } catch (error) {
    problem = errorMessage(error)
  }
  if (problem !== undefined) {
    core.warning(
      `${manifest.description ?? name} in the tool cache (${dir}) is damaged (${problem}); fetching it again`
    )
    await rm(dir, { recursive: true, force: true })
    return undefined
  }
  return { name, tree, manifest, verifiedFiles: Object.keys(manifest.files).length }
}

/** A lock older than this was left by a run that died. */
const STALE_LOCK_MS = 20 * 60 * 1000

async function takeLock(lock: string): Promise<void> {
  for (;;) {
    try {
      await mkdir(lock)
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const info = await stat(lock).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > STALE_LOCK_MS) {
      await rm(lock, { recursive: true, force: true })
      continue
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** What filling an entry found out. */
export interface Filled {
  description: string
  facts: Record<string, string>
}

/**
 * The kept entry `name`, fetched with `fill` (which creates the folder it is given and writes
 * the entry's files into it) when it is not kept yet. Another build fetching it meanwhile is waited for.
 */
export async function keep(
  toolsDir: string,
  name: string,
  fill: (tree: string) => Promise<Filled>
): Promise<KeptEntry> {
  const kept = await openKept(toolsDir, name)
  if (kept) return kept
  await mkdir(toolsDir, { recursive: true })
  const lock = join(toolsDir, `${name}.lock`)
  await takeLock(lock)
  try {
    // Fetched by another build while this one waited.
    const fetched = await openKept(toolsDir, name)
    if (fetched) return fetched
    const staging = join(toolsDir, `.${name}-${process.pid}-${Date.now()}`)
    await rm(staging, { recursive: true, force: true })
    const tree = join(staging, 'tree')
    await mkdir(staging, { recursive: true })
    try {
      const { description, facts } = await fill(tree)
      const manifest: EntryManifest = {
        format: 1,
        description,
        facts,
        files: await treeDigests(tree)
      }
      await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`)
      const dir = join(toolsDir, name)
      await rm(dir, { recursive: true, force: true })
      await rename(staging, dir)
      const entry = { name, tree: join(dir, 'tree'), manifest, verifiedFiles: 0 }
      verified.set(dir, Promise.resolve(entry))
      return entry
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

/** A fetch that failed is not tried again for this long: a runner without access fails fast. */
export const RETRY_AFTER_MS = 60 * 60 * 1000

export interface RememberedFailure {
  /** When it failed, ms since the epoch. */
  at: number
  message: string
}

function failureFile(toolsDir: string, key: string): string {
  return join(toolsDir, 'failed', `${key.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`)
}

/** A failure of `key` within the last RETRY_AFTER_MS, if any. */
export async function recentFailure(
  toolsDir: string,
  key: string,
  now = Date.now()
): Promise<RememberedFailure | undefined> {
  try {
    const failure = JSON.parse(
      await readFile(failureFile(toolsDir, key), 'utf8')
    ) as RememberedFailure
    return now - failure.at < RETRY_AFTER_MS && now >= failure.at ? failure : undefined
  } catch {
    return undefined
  }
}

async function rememberFailure(toolsDir: string, key: string, message: string): Promise<void> {
  const file = failureFile(toolsDir, key)
  try {
    await mkdir(join(toolsDir, 'failed'), { recursive: true })
    await writeFile(file, JSON.stringify({ at: Date.now(), message } satisfies RememberedFailure))
  } catch {
    // Only speed is lost: the next run tries again.
  }
}

/**
 * A fetch could not start because a tool it runs is missing (uv, when it is neither on PATH nor
 * fetchable): said like any failure, but not remembered as the fetch's, so a later run that has
 * the tool tries the fetch at once.
 */
export class ToolMissing extends Error {}

/** Said once per run and key: the reason the next places are looked in. */
const toldFailures = new Set<string>()

/**
 * Runs a fetch unless it failed within the last hour; a failure is remembered (not a ToolMissing)
 * and said once in the log (`prefix: message; looking further`). The failure's first line is the
 * miss.
 */
export async function unlessFailedRecently<T>(
  toolsDir: string,
  key: string,
  prefix: string,
  attempt: () => Promise<T>
): Promise<{ value: T } | { value?: undefined; miss: string }> {
  const earlier = await recentFailure(toolsDir, key)
  if (earlier) {
    const at = new Date(earlier.at).toISOString().slice(11, 16)
    return { miss: `${earlier.message} (at ${at} UTC; tried again an hour later)` }
  }
  try {
    return { value: await attempt() }
  } catch (error) {
    const message = errorMessage(error).split('\n')[0] ?? ''
    if (!(error instanceof ToolMissing)) await rememberFailure(toolsDir, key, message)
    if (!toldFailures.has(key)) {
      toldFailures.add(key)
      core.info(`${prefix}: ${message}; looking further`)
    }
    return { miss: message }
  }
}
