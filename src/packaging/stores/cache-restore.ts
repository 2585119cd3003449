// Restores an Actions cache entry into the paths it was saved from, and nowhere else. The
// service calls and the download are @actions/cache's own (its internal modules: the package
// exports only restoreCache, which extracts with `tar -P` into the workspace and so writes
// wherever the archive's names point). The archive is then read here (cache-archive.ts) into a
// private staging folder beside the first path, checked member by member, and only then moved
// into place. Issue 18, item 5.
import * as core from '@actions/core'
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve as resolvePath, sep } from 'node:path'
import {
  downloadCache,
  getCacheEntry
} from '../../../node_modules/@actions/cache/lib/internal/cacheHttpClient.js'
import {
  createTempDirectory,
  getCacheFileName,
  getCacheVersion,
  getCompressionMethod
} from '../../../node_modules/@actions/cache/lib/internal/cacheUtils.js'
import {
  getCacheMode,
  getCacheServiceVersion,
  isCacheReadable
} from '../../../node_modules/@actions/cache/lib/internal/config.js'
import { internalCacheTwirpClient } from '../../../node_modules/@actions/cache/lib/internal/shared/cacheTwirpClient.js'
import {
  decompressed,
  extractTar,
  RefusedArchive,
  type ArchiveCompression
} from './cache-archive.js'

/** A cache key as the service returned it: printed in the log, so nothing but printable text. */
function checkPrintable(key: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(key)) {
    throw new RefusedArchive(`an entry whose key holds control characters`)
  }
}

/**
 * How @actions/cache names a saved path inside the archive: relative to the workspace (the
 * folder its tar runs in), with `/` separators, `.` for the workspace itself.
 */
export function archiveName(path: string, workspace: string): string {
  const name = relative(workspace, resolvePath(path)).split(sep).join('/')
  return name === '' ? '.' : name
}

interface FoundEntry {
  key: string
  url: string
  compression: ArchiveCompression
  v2: boolean
}

/** The entry the service would give for these keys, or undefined on a miss; nothing downloaded. */
async function findEntry(
  paths: string[],
  primaryKey: string,
  restoreKeys: string[]
): Promise<FoundEntry | undefined> {
  const compression = (await getCompressionMethod()) as ArchiveCompression
  const v2 = getCacheServiceVersion() === 'v2'
  let found: FoundEntry
  if (v2) {
    const response = await internalCacheTwirpClient().GetCacheEntryDownloadURL({
      key: primaryKey,
      restoreKeys,
      version: getCacheVersion(paths, compression as never, false)
    })
    if (!response.ok) return undefined
    found = { key: response.matchedKey, url: response.signedDownloadUrl, compression, v2 }
  } else {
    const entry = await getCacheEntry([primaryKey, ...restoreKeys], paths, {
      compressionMethod: compression as never
    })
    if (!entry?.archiveLocation || !entry.cacheKey) return undefined
    found = { key: entry.cacheKey, url: entry.archiveLocation, compression, v2 }
  }
  checkPrintable(found.key)
  return found
}

/** The entry's archive, downloaded as restoreCache downloads it, into a temporary folder. */
async function download(found: FoundEntry): Promise<string> {
  const archive = join(await createTempDirectory(), getCacheFileName(found.compression as never))
  try {
    // The Azure SDK for v2's blob URLs, plain HTTP for v1's.
    await downloadCache(found.url, archive, found.v2 ? { useAzureSdk: true } : undefined)
  } catch (error) {
    await rm(dirname(archive), { recursive: true, force: true })
    throw error
  }
  return archive
}

/**
 * The key restoreCacheSafely would restore, without downloading anything (what restoreCache's
 * `lookupOnly` does, without printing the key the service returns).
 */
export async function lookupCacheSafely(
  paths: string[],
  primaryKey: string,
  restoreKeys: string[] = []
): Promise<string | undefined> {
  if (!isCacheReadable(getCacheMode())) return undefined
  return (await findEntry(paths, primaryKey, restoreKeys))?.key
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false
  )
}

/**
 * Moves what was restored for one path into place: the whole folder when nothing is there yet,
 * else each child that is missing (a store folder holding other entries keeps them).
 */
async function place(staged: string, target: string): Promise<void> {
  if (!(await exists(staged))) return
  if (!(await exists(target))) {
    await mkdir(dirname(target), { recursive: true })
    await rename(staged, target)
    return
  }
  for (const name of await readdir(staged)) {
    if (!(await exists(join(target, name)))) await rename(join(staged, name), join(target, name))
  }
}

/**
 * Restores `paths` from the entry `primaryKey` (or the newest entry whose key starts with one
 * of `restoreKeys`), as @actions/cache's restoreCache does, but writes only inside `paths`.
 * Returns the matched key, or undefined on a miss or when the service cannot be read here.
 * Throws RefusedArchive when the archive holds anything else; nothing of it is then used.
 */
export async function restoreCacheSafely(
  paths: string[],
  primaryKey: string,
  restoreKeys: string[] = []
): Promise<string | undefined> {
  if (!isCacheReadable(getCacheMode())) return undefined
  const found = await findEntry(paths, primaryKey, restoreKeys)
  if (found === undefined) return undefined
  const archive = await download(found)
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd()
  const roots = paths.map((path) => archiveName(path, workspace))
  const first = paths[0] as string
  let staging: string | undefined
  try {
    await mkdir(dirname(first), { recursive: true })
    staging = await mkdtemp(join(dirname(first), '.restoring-'))
    const destinations = paths.map((_, i) => join(staging as string, String(i)))
    const extracted = await extractTar(
      decompressed(archive, found.compression),
      roots,
      destinations
    )
    core.debug(
      `Actions cache: ${found.key} holds ${extracted.files} file(s), ${extracted.bytes} bytes, all inside ${paths.join(', ')}`
    )
    for (const [i, path] of paths.entries()) await place(destinations[i] as string, path)
    return found.key
  } catch (error) {
    if (error instanceof RefusedArchive) {
      throw new RefusedArchive(
        `the Actions cache entry ${found.key} holds ${error.message}: refused, nothing of it was used`
      )
    }
    throw error
  } finally {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true })
    await rm(dirname(archive), { recursive: true, force: true })
  }
}
