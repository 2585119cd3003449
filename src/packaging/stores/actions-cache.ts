// The Actions cache around one wheel-store entry. Best effort: no cache service means skip
// (debug line), any failure is a warning, never a failed step.
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { errorMessage } from '../../errors.js'

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
 * Restores `dir` (a wheel-store entry, or the folders of a project entry) saved under exactly `key`. True when the service
 * returned that entry; the caller still verifies it (marker, sizes, sha256).
 */
export async function restoreStoreEntry(dir: string | string[], key: string): Promise<boolean> {
  if (!available()) return false
  try {
    // No restore keys: an entry of another key holds other wheels. The service matches the
    // primary key by prefix too, so insist on the exact key.
    const hit = await cache.restoreCache(typeof dir === 'string' ? [dir] : dir, key)
    if (hit === undefined) {
      core.info(`Actions cache: no entry for ${key}`)
      return false
    }
    if (hit !== key) {
      core.info(`Actions cache: ${hit} is not ${key}; ignored`)
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

/** Saves `dir` under `key`, and logs the outcome; -1 from the service means "not saved". */
export async function saveStoreEntry(dir: string | string[], key: string): Promise<void> {
  if (!available()) return
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
