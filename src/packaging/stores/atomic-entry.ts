// One entry of a store (a wheel-store entry, a project set, a folder of local wheels): filled in
// a staging folder beside it (same file system), marked whole last, renamed into place. A folder
// without its marker never counts; when two writers race, a whole entry already there wins.
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Written last into an entry: without it the entry is incomplete. */
export const COMPLETE_MARKER = '.complete'

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

export function isComplete(dir: string): Promise<boolean> {
  return exists(join(dir, COMPLETE_MARKER))
}

/** A fresh staging folder beside `dir`, where its entry is filled. */
export async function createStaging(dir: string): Promise<string> {
  await mkdir(dirname(dir), { recursive: true })
  return mkdtemp(join(dirname(dir), `.staging-${basename(dir)}-`))
}

/**
 * Marks `staging` whole (`marker` is the marker file's text) and renames it to `dir`. When
 * `isWhole(dir)` holds already, or after losing a race for the rename, that entry is kept and
 * the staging folder removed: false. True when ours is in place.
 */
export async function publishEntry(
  staging: string,
  dir: string,
  isWhole: (dir: string) => Promise<boolean> = isComplete,
  marker = ''
): Promise<boolean> {
  await writeFile(join(staging, COMPLETE_MARKER), marker)
  if (await isWhole(dir)) {
    await rm(staging, { recursive: true, force: true })
    return false
  }
  await rm(dir, { recursive: true, force: true })
  try {
    await rename(staging, dir)
    return true
  } catch (error) {
    const raced = await isWhole(dir)
    await rm(staging, { recursive: true, force: true })
    if (raced) return false
    throw error
  }
}
