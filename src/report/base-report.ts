// Keeps the default branch's size report in the Actions cache and brings the latest one back on
// pull requests, for the change against the base. Best effort: a cache that is missing or
// failing gives a notice or a warning, never a failed step.
import * as actionsCache from '@actions/cache'
import * as core from '@actions/core'
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPORT_FILE } from '../constants.js'
import { errorMessage } from '../errors.js'
import { readEventPayload, runKind } from '../github-run.js'
import { lookupCacheSafely, restoreCacheSafely } from '../packaging/stores/cache-restore.js'
import { relayInert } from './log.js'
import { parseReportJson, type BuildReportJson } from './report-json.js'

// Where they lived first; the stores read them too (github-run.ts).
export { isPullRequestEvent, readEventPayload, runKind, type RunKind } from '../github-run.js'

/** The part of @actions/cache used here; tests pass their own. */
export interface CacheService {
  isFeatureAvailable(): boolean
  saveCache(paths: string[], key: string): Promise<number>
  restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys?: string[],
    options?: { lookupOnly?: boolean }
  ): Promise<string | undefined>
}

export type Env = Record<string, string | undefined>

/**
 * @actions/cache, except that restores and lookups go through cache-restore.ts: an entry found
 * by prefix was written by whoever could write the base branch's scope; its archive may name any
 * path, and its key any text. Only the report's own folder is written, and no key is printed raw.
 */
const safeActionsCache: CacheService = {
  isFeatureAvailable: actionsCache.isFeatureAvailable,
  saveCache: actionsCache.saveCache,
  restoreCache: (paths, primaryKey, restoreKeys, options) =>
    options?.lookupOnly
      ? lookupCacheSafely(paths, primaryKey, restoreKeys)
      : restoreCacheSafely(paths, primaryKey, restoreKeys)
}

const KEY_PREFIX = 'lambda-python-deploy-report'

/** Cache keys may not hold commas; branch names may. */
function keyPart(text: string): string {
  return text.replace(/,/g, '_')
}

/** `lambda-python-deploy-report-<id>-<branch>-`: every report of one function set on one branch. */
export function baseReportPrefix(id: string, branch: string): string {
  return `${KEY_PREFIX}-${keyPart(id)}-${keyPart(branch)}-`
}

export function baseReportKey(id: string, branch: string, sha: string): string {
  return `${baseReportPrefix(id, branch)}${sha}`
}

/**
 * Where the report is copied to be saved, and restored to. The cache's version hashes this
 * path, so save and restore must use the very same string.
 */
export function baseReportDir(env: Env, id: string): string {
  return join(env.RUNNER_TEMP || tmpdir(), 'lambda-python-deploy-base', id)
}

export interface SaveOptions {
  id: string
  /** This run's report JSON (`<output-dir>/report.json`). */
  reportPath: string
  env?: Env
  cache?: CacheService
}

export type SaveResult = 'saved' | 'skipped' | 'failed'

/** On the default branch: keeps this run's report in the Actions cache for pull requests. */
export async function saveBaseReport(options: SaveOptions): Promise<SaveResult> {
  const env = options.env ?? process.env
  const cache: CacheService = options.cache ?? safeActionsCache
  const run = runKind(env, await readEventPayload(env))
  if (run.kind !== 'default-branch') {
    core.debug('size report not kept for pull requests: this is not a run on the default branch')
    return 'skipped'
  }
  if (!cache.isFeatureAvailable()) {
    core.notice(
      'Size report not kept for pull requests: the Actions cache service is not available here.'
    )
    return 'skipped'
  }
  const key = baseReportKey(options.id, run.branch, run.sha)
  try {
    parseReportJson(await readFile(options.reportPath, 'utf8'))
    const dir = baseReportDir(env, options.id)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    await copyFile(options.reportPath, join(dir, REPORT_FILE))
    // A rerun, or a second workflow on the same commit (a gate and a deploy of the same code),
    // finds the report already kept: saving again would only warn that the key exists.
    if ((await cache.restoreCache([dir], key, [], { lookupOnly: true })) === key) {
      core.info(`Size report for ${run.branch} at ${run.sha} is already kept (cache key ${key}).`)
      return 'skipped'
    }
    // -1: not saved; @actions/cache has already said why (often: a rerun, the key exists).
    if ((await cache.saveCache([dir], key)) === -1) return 'failed'
    core.info(`Size report kept for pull requests against ${run.branch} (cache key ${key}).`)
    return 'saved'
  } catch (error) {
    core.warning(
      `Size report not kept for pull requests (cache key ${key}): ${errorMessage(error)}`
    )
    return 'failed'
  }
}

export interface RestoreOptions {
  id: string
  env?: Env
  cache?: CacheService
}

export interface BaseReport {
  /** The branch a pull request merges into; undefined when this run is not a pull request. */
  baseBranch?: string
  report?: BuildReportJson
  /** Commit the report was saved for, from its cache key. */
  commit?: string
}

/** On pull requests: the base branch's latest saved report, when there is one. */
export async function restoreBaseReport(options: RestoreOptions): Promise<BaseReport> {
  const env = options.env ?? process.env
  const cache: CacheService = options.cache ?? safeActionsCache
  const run = runKind(env, await readEventPayload(env))
  if (run.kind !== 'pull-request') return {}
  const baseBranch = run.baseBranch
  if (!cache.isFeatureAvailable()) {
    core.notice(`No change against ${baseBranch}: the Actions cache service is not available here.`)
    return { baseBranch }
  }
  const prefix = baseReportPrefix(options.id, baseBranch)
  const dir = baseReportDir(env, options.id)
  try {
    await rm(dir, { recursive: true, force: true })
    const key = await cache.restoreCache([dir], prefix, [prefix])
    if (!key) {
      core.info(`No size report from ${baseBranch} in the Actions cache yet (prefix ${prefix}).`)
      return { baseBranch }
    }
    const report = parseReportJson(await readFile(join(dir, REPORT_FILE), 'utf8'))
    // Shown in the summary and the comment: only a commit id, never other text from the key.
    const suffix = key.startsWith(prefix) ? key.slice(prefix.length) : ''
    const commit = /^[0-9a-f]{1,64}$/i.test(suffix) ? suffix : undefined
    // The key is whatever the entry's writer chose after the prefix.
    relayInert(`Comparing with the size report of ${baseBranch} from cache key ${key}.`)
    return { baseBranch, report, ...(commit ? { commit } : {}) }
  } catch (error) {
    core.warning(
      `No change against ${baseBranch}: the base report could not be read: ${errorMessage(error)}`
    )
    return { baseBranch }
  }
}
