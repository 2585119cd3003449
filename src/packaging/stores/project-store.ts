// The project phase's entries in the store, each an atomic entry (atomic-entry.ts) saved to and
// restored from the Actions cache:
// - `projects/<key>/set.json`: a dependency set a tool made (a uv.lock's `uv export`), keyed by
//   the contents that decide it, so a warm build runs no tool;
// - `local-wheels/<digest>/`: the wheels built from local libraries (and from the project itself
//   when it is a package), keyed by the libraries' contents alone, so a change elsewhere in a
//   monorepo reuses them.
import { createHash } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as core from '@actions/core'
import { CACHE_FORMAT_VERSION } from '../../constants.js'
import { UserError } from '../../errors.js'
import type { DependencySet } from '../requirements/dependency-set.js'
import { restoreStoreEntry, saveStoreEntry, type CacheRestorePolicy } from './actions-cache.js'
import { createStaging, isComplete, publishEntry } from './atomic-entry.js'

const SET_FILE = 'set.json'
/** Maps library digests to the wheel built from them, inside a local-wheel folder. */
const LIBRARIES_FILE = 'libraries.json'

export function sha256(parts: readonly string[]): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(`${part.length}:${part}\n`)
  return hash.digest('hex')
}

/** A wheel built from a local library. */
export interface BuiltLibrary {
  /** Absolute path of the library as the dependency set names it. */
  path: string
  /** Wheel file name in the local-wheel folder. */
  wheel: string
  project: string
  version: string
  sha256: string
}

export interface StoreOptions {
  /** The store's root (`$RUNNER_TOOL_CACHE/lambda-python-deploy`). */
  root: string
  useActionsCache: boolean
  /**
   * Which entries restored from the Actions cache may be used: a dependency set is checked
   * against the lock it was made from, so `hashed` takes it; local wheels have nothing the user
   * pinned to check them against, so only `any` does.
   */
  cacheRestore: CacheRestorePolicy
}

async function restored(
  dir: string,
  key: string,
  options: StoreOptions,
  checkable: boolean
): Promise<boolean> {
  if (await isComplete(dir)) return true
  const policy = options.cacheRestore
  const allowed = policy === 'any' || (policy === 'hashed' && checkable)
  return (
    options.useActionsCache && allowed && (await restoreStoreEntry(dir, key)) && isComplete(dir)
  )
}

async function readSet(dir: string): Promise<DependencySet | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, SET_FILE), 'utf8')) as DependencySet
  } catch {
    return undefined
  }
}

/**
 * The set under `keyParts`: the stored one when whole and without `problems`, else `produce`'s,
 * stored. A stored set with problems was written by someone else (the Actions cache, a shared
 * tool cache): it is made again, with a warning. A fresh set with problems fails.
 */
export async function keptSet(
  options: StoreOptions,
  keyParts: readonly string[],
  produce: () => Promise<DependencySet>,
  problems: (set: DependencySet) => string[]
): Promise<DependencySet> {
  const key = sha256(keyParts)
  const dir = join(options.root, 'projects', key)
  const cacheKey = `lambda-python-deploy-project-${CACHE_FORMAT_VERSION}-${key}`
  if (await restored(dir, cacheKey, options, true)) {
    const stored = await readSet(dir)
    const found = stored === undefined ? ['it cannot be read'] : problems(stored)
    if (stored !== undefined && found.length === 0) return stored
    core.warning(
      `The stored dependency set ${key} does not match the files it was made from ` +
        `(${found.slice(0, 3).join('; ')}); making it again`
    )
    await rm(dir, { recursive: true, force: true })
  }
  const set = await produce()
  const found = problems(set)
  if (found.length > 0) {
    throw new UserError(
      `The dependency set does not match its lock:\n${found.map((p) => `  - ${p}`).join('\n')}`
    )
  }
  const staging = await createStaging(dir)
  try {
    await writeFile(join(staging, SET_FILE), JSON.stringify(set))
    await publishEntry(staging, dir)
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  if (options.useActionsCache) await saveStoreEntry(dir, cacheKey)
  return set
}

export interface LocalLibrary {
  /** Absolute path of the folder (or .whl) to build. */
  path: string
  /** Its contents' digest. */
  digest: string
}

/**
 * The wheels of `libraries` in `local-wheels/<digest of all>/`, built with `build` (into the
 * folder it is given) once per set of contents. Returns the folder and each library's wheel.
 */
export async function localWheels(
  options: StoreOptions,
  libraries: readonly LocalLibrary[],
  build: (path: string, outDir: string) => Promise<BuiltLibrary>
): Promise<{ dir: string; built: Map<string, BuiltLibrary> }> {
  const digest = sha256(libraries.map((l) => l.digest).sort())
  const dir = join(options.root, 'local-wheels', digest)
  const cacheKey = `lambda-python-deploy-local-wheels-${CACHE_FORMAT_VERSION}-${digest}`
  let listed: Record<string, Omit<BuiltLibrary, 'path'>> | undefined
  if (await restored(dir, cacheKey, options, false)) {
    try {
      listed = JSON.parse(await readFile(join(dir, LIBRARIES_FILE), 'utf8')) as typeof listed
    } catch {
      listed = undefined
    }
  }
  if (listed === undefined || libraries.some((l) => listed?.[l.digest] === undefined)) {
    // Whole but not what its name promises (edited by hand): replaced, not kept.
    await rm(dir, { recursive: true, force: true })
    const staging = await createStaging(dir)
    try {
      const made: Record<string, Omit<BuiltLibrary, 'path'>> = {}
      for (const library of libraries) {
        const { path: _path, ...wheel } = await build(library.path, staging)
        void _path
        made[library.digest] = wheel
      }
      await writeFile(join(staging, LIBRARIES_FILE), JSON.stringify(made, null, 2))
      await publishEntry(staging, dir)
      listed = made
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
    if (options.useActionsCache) await saveStoreEntry(dir, cacheKey)
  }
  const wheels = listed
  return {
    dir,
    built: new Map(
      libraries.map((l) => [
        l.path,
        { path: l.path, ...(wheels[l.digest] as Omit<BuiltLibrary, 'path'>) }
      ])
    )
  }
}
