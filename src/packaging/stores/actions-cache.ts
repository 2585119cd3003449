// The Actions cache around one wheel-store entry. Best effort: no cache service means skip
// (debug line), any failure is a warning, never a failed step. Restores write only into the
// entry's own folders (cache-restore.ts); saves happen only where no deploy would restore what
// this run wrote (github-run.ts, cacheSaveDecision).
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { errorMessage } from '../../errors.js'
import { cacheSaveDecision, readEventPayload, type CacheSaveDecision } from '../../github-run.js'
import { restoreCacheSafely } from './cache-restore.js'

/**
 * Which restored entries a build may use. `any`: every one (build mode). `hashed`: an entry
 * only when the requirements pin every wheel by hash, so its bytes are checked whoever wrote
 * it (deploy mode's default: the action cannot tell who wrote an entry in the default branch's
 * scope). `none`: never restore.
 */
export type CacheRestorePolicy = 'any' | 'hashed' | 'none'

function available(): boolean {
  let ok = false
  try {
    ok = cache.isFeatureAvailable()
  } catch {
    ok = false
  }
  if (!ok) core.debug('Actions cache service not available: using the local wheel store only')
  return ok
}

/**
 * Restores `dir` (a wheel-store entry, or the folders of a project entry) saved under exactly
 * `key`. True when the service returned that entry and its archive held only files inside
 * those folders; the caller still verifies the contents (marker, sizes, sha256, hashes).
 */
export async function restoreStoreEntry(dir: string | string[], key: string): Promise<boolean> {
  if (!available()) return false
  try {
    // No restore keys: an entry of another key holds other wheels. The service matches the
    // primary key by prefix too, so insist on the exact key.
    const hit = await restoreCacheSafely(typeof dir === 'string' ? [dir] : dir, key)
    if (hit === undefined) {
      core.info(`Actions cache: no entry for ${key}`)
      return false
    }
    if (hit !== key) {
      core.info(`Actions cache: an entry whose key starts with ${key} is not ${key}; ignored`)
      return false
    }
    core.info(`Actions cache: restored ${key}`)
    return true
  } catch (error) {
    core.warning(
      `Actions cache: restoring ${key} failed, resolving instead: ${errorMessage(error)}`
    )
    return false
  }
}

let saveDecision: Promise<CacheSaveDecision> | undefined

/** Asked once per run: the event does not change. */
function mayThisRunSave(): Promise<CacheSaveDecision> {
  saveDecision ??= readEventPayload(process.env).then((event) =>
    cacheSaveDecision(process.env, event)
  )
  return saveDecision
}

/** Saves `dir` under `key`, and logs the outcome; -1 from the service means "not saved". */
export async function saveStoreEntry(dir: string | string[], key: string): Promise<void> {
  if (!available()) return
  const decision = await mayThisRunSave()
  if (!decision.save) {
    core.info(`Actions cache: ${key} not saved: ${decision.reason}`)
    return
  }
  try {
    const id = await cache.saveCache(typeof dir === 'string' ? [dir] : dir, key)
    core.info(
      id === -1
        ? `Actions cache: ${key} was not saved (the service declined; it may exist already)`
        : `Actions cache: saved ${key}`
    )
  } catch (error) {
    if (error instanceof cache.ReserveCacheError) {
      core.info(`Actions cache: ${key} not saved: ${errorMessage(error)}`)
    } else {
      core.warning(`Actions cache: saving ${key} failed: ${errorMessage(error)}`)
    }
  }
}
