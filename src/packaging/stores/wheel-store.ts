// The local wheel store: `<root>/<cacheKey>/` holds the wheels, a manifest (name, size,
// sha256 of each) and a completion marker written last. Entries are assembled in a staging
// directory beside them and renamed into place, so a half-written entry never counts.
//
// A wheel is verified once, when it enters the store: read as pip reads it, every entry
// inflated (bounded) and CRC-checked (zip-format's verifyZip). Packages then copy its compressed
// bytes verbatim. The manifest records that check beside the wheel's sha256, and every read of
// the entry checks the sha256, so a warm build trusts the check without inflating again.
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { CACHE_FORMAT_VERSION } from '../../constants.js'
import { UserError } from '../../errors.js'
import { fileDigests } from '../../file-digest.js'
import { MalformedZipError, verifyZip } from '../zip-format.js'
import { parseWheelName } from '../pep/wheel-tags.js'
import {
  COMPLETE_MARKER,
  createStaging as stagingBeside,
  exists,
  publishEntry
} from './atomic-entry.js'

export { COMPLETE_MARKER }
export const MANIFEST_FILE = 'manifest.json'

/** `$RUNNER_TOOL_CACHE/lambda-python-deploy` on a runner, else `~/.cache/lambda-python-deploy`. */
export function defaultStoreRoot(env: Readonly<Record<string, string | undefined>>): string {
  const toolCache = env.RUNNER_TOOL_CACHE
  if (toolCache !== undefined && toolCache !== '') return join(toolCache, 'lambda-python-deploy')
  return join(homedir(), '.cache', 'lambda-python-deploy')
}

export function entryDir(root: string, key: string): string {
  return join(root, key)
}

export interface ManifestWheel {
  file: string
  size: number
  sha256: string
  /** Every entry was read and checked as this sha256's bytes entered the store (verifyZip). */
  verified: true
}

export interface Manifest {
  format: string
  cacheKey: string
  wheels: ManifestWheel[]
}

export type EntryState =
  /** `sha256`: each wheel's digest, as checked against its bytes just now. */
  | { state: 'complete'; dir: string; wheels: string[]; sha256: string[] }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string }

function parseManifest(text: string, key: string): Manifest | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'its manifest is not JSON'
  }
  const manifest = value as Partial<Manifest>
  if (manifest.format !== CACHE_FORMAT_VERSION)
    return `its manifest format is ${String(manifest.format)}`
  if (manifest.cacheKey !== key) return 'its manifest names another cache key'
  if (!Array.isArray(manifest.wheels)) return 'its manifest lists no wheels'
  for (const wheel of manifest.wheels as unknown[]) {
    const w = wheel as Partial<ManifestWheel>
    if (
      typeof w.file !== 'string' ||
      typeof w.size !== 'number' ||
      typeof w.sha256 !== 'string' ||
      w.file.includes('/') ||
      w.file.includes('\\')
    ) {
      return 'its manifest has a malformed wheel entry'
    }
    if (w.verified !== true) return `its manifest does not record ${w.file} as verified`
  }
  return manifest as Manifest
}

/**
 * The entry for `key`, verified: the marker exists and every wheel has the size and sha256
 * the manifest recorded. A truncated or altered wheel makes the entry `corrupt`.
 */
export async function readEntry(root: string, key: string): Promise<EntryState> {
  const dir = entryDir(root, key)
  if (!(await exists(dir))) return { state: 'missing' }
  if (!(await exists(join(dir, COMPLETE_MARKER)))) {
    return { state: 'corrupt', reason: 'it has no completion marker (a write was interrupted)' }
  }
  let text: string
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8')
  } catch {
    return { state: 'corrupt', reason: 'its manifest is missing' }
  }
  const manifest = parseManifest(text, key)
  if (typeof manifest === 'string') return { state: 'corrupt', reason: manifest }
  const problems = await Promise.all(
    manifest.wheels.map(async (wheel) => {
      const path = join(dir, wheel.file)
      let size: number
      try {
        size = (await stat(path)).size
      } catch {
        return `${wheel.file} is missing`
      }
      if (size !== wheel.size)
        return `${wheel.file} has ${size} bytes, the manifest says ${wheel.size}`
      const { sha256 } = await fileDigests(path, ['sha256'])
      if (sha256 !== wheel.sha256) return `${wheel.file} does not match its sha256`
      return undefined
    })
  )
  const problem = problems.find((p) => p !== undefined)
  if (problem !== undefined) return { state: 'corrupt', reason: problem }
  return {
    state: 'complete',
    dir,
    wheels: manifest.wheels.map((w) => join(dir, w.file)),
    sha256: manifest.wheels.map((w) => w.sha256)
  }
}

export async function removeEntry(root: string, key: string): Promise<void> {
  await rm(entryDir(root, key), { recursive: true, force: true })
}

/** A fresh directory beside the entries (same file system, so the final rename is atomic). */
export function createStaging(root: string, key: string): Promise<string> {
  return stagingBeside(entryDir(root, key))
}

/** Wheel file names in `dir`, sorted. */
export async function listWheels(dir: string): Promise<string[]> {
  const names = await readdir(dir)
  return names.filter((name) => name.endsWith('.whl')).sort()
}

/**
 * Turns a staging directory holding the wheels into the entry for `key`: manifest, then the
 * marker, then the rename. When another process committed the same key first, its complete
 * entry wins and the staging directory is removed. Returns the wheels' absolute paths.
 */
export async function commitEntry(root: string, key: string, staging: string): Promise<string[]> {
  const files = await listWheels(staging)
  // One wheel at a time: each check holds up to a few MiB, whatever the wheel.
  for (const file of files) await verifyWheel(join(staging, file))
  const wheels = await Promise.all(
    files.map(async (file): Promise<ManifestWheel> => {
      const path = join(staging, file)
      const [{ size }, { sha256 }] = await Promise.all([stat(path), fileDigests(path, ['sha256'])])
      return { file, size, sha256: sha256 as string, verified: true }
    })
  )
  const manifest: Manifest = { format: CACHE_FORMAT_VERSION, cacheKey: key, wheels }
  await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  const dir = entryDir(root, key)
  const whole = async () => (await readEntry(root, key)).state === 'complete'
  if (!(await publishEntry(staging, dir, whole, `${key}\n`))) {
    const current = await readEntry(root, key)
    if (current.state === 'complete') return current.wheels
  }
  return files.map((file) => join(dir, file))
}

/**
 * Refuses a wheel that pip would read otherwise or not at all, or whose bytes are not what its
 * headers declare. It came from the index or find-links as it is (pip checks a hash the index
 * gives), so a fresh download would bring the same bytes: the way out is another version.
 */
export async function verifyWheel(path: string): Promise<void> {
  try {
    await verifyZip(path)
  } catch (error) {
    if (!(error instanceof MalformedZipError)) throw error
    const wheel = basename(path)
    const project = parseWheelName(wheel)?.project ?? wheel
    throw new UserError(
      `${wheel}: refused, not a wheel as pip reads it: ${error.problem}. Nothing is copied from it. ` +
        `This is the file as its index or find-links folder serves it, so downloading it again would not help: ` +
        `require another version of ${project}, or report the file to its maintainers.`
    )
  }
}
