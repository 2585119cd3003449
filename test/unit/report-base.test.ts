// The base report kept in (and restored from) the Actions cache, with a fake cache service.
import * as core from '@actions/core'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  baseReportDir,
  baseReportKey,
  baseReportPrefix,
  restoreBaseReport,
  runKind,
  saveBaseReport,
  type CacheService
} from '../../src/report/base-report.js'
import { loadReport, reportFixturePath } from '../helpers/report-fixtures.js'

vi.mock('@actions/core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@actions/core')>()),
  debug: vi.fn(),
  info: vi.fn(),
  notice: vi.fn(),
  warning: vi.fn(),
  setFailed: vi.fn()
}))

/** An Actions cache in a directory: keys to copies of the saved paths; prefix restore, newest first. */
class FakeCache implements CacheService {
  available = true
  failSave?: Error
  readonly saved: { key: string; paths: string[] }[] = []
  private readonly entries: { key: string; paths: string[]; dir: string }[] = []
  constructor(private readonly root: string) {}

  isFeatureAvailable(): boolean {
    return this.available
  }

  async saveCache(paths: string[], key: string): Promise<number> {
    if (this.failSave) throw this.failSave
    if (this.entries.some((e) => e.key === key)) return -1
    const dir = join(this.root, String(this.entries.length))
    paths.forEach((path, i) => cpSync(path, join(dir, String(i)), { recursive: true }))
    this.entries.push({ key, paths, dir })
    this.saved.push({ key, paths })
    return this.entries.length
  }

  async restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys: string[] = [],
    options: { lookupOnly?: boolean } = {}
  ) {
    const samePaths = this.entries.filter((e) => e.paths.join('\n') === paths.join('\n'))
    for (const prefix of [primaryKey, ...restoreKeys]) {
      const hit = samePaths.filter((e) => e.key.startsWith(prefix)).at(-1)
      if (hit && options.lookupOnly) return hit.key
      if (hit) {
        paths.forEach((path, i) => cpSync(join(hit.dir, String(i)), path, { recursive: true }))
        return hit.key
      }
    }
    return undefined
  }
}

let work: string
let cache: FakeCache

function event(payload: unknown): string {
  const path = join(work, `event-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, JSON.stringify(payload))
  return path
}

function pushEnv(sha: string, ref = 'refs/heads/main'): Record<string, string> {
  return {
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REF: ref,
    GITHUB_SHA: sha,
    GITHUB_EVENT_PATH: event({ repository: { default_branch: 'main' } }),
    RUNNER_TEMP: join(work, 'temp')
  }
}

function pullRequestEnv(): Record<string, string> {
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REF: 'refs/pull/7/merge',
    GITHUB_BASE_REF: 'main',
    GITHUB_SHA: 'ffff',
    GITHUB_EVENT_PATH: event({ pull_request: { number: 7, base: { ref: 'main' } } }),
    RUNNER_TEMP: join(work, 'temp')
  }
}

/** Keeps the report at `reportPath` (main's unless told) for function set `id`, in the fake cache. */
function save(id: string, env: Record<string, string>, reportPath = reportFixturePath('main')) {
  return saveBaseReport({ id, reportPath, env, cache })
}

function restore(id: string, env = pullRequestEnv()) {
  return restoreBaseReport({ id, env, cache })
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'base-report-'))
  mkdirSync(join(work, 'temp'))
  cache = new FakeCache(join(work, 'cache'))
})

afterEach(() => {
  rmSync(work, { recursive: true, force: true })
  vi.clearAllMocks()
})

describe('keys', () => {
  it.each([
    ['a1b2', 'main', 'abc', 'lambda-python-deploy-report-a1b2-main-abc'],
    ['a1b2', 'release/2.x', 'abc', 'lambda-python-deploy-report-a1b2-release/2.x-abc'],
    ['a1b2', 'odd,name', 'abc', 'lambda-python-deploy-report-a1b2-odd_name-abc']
  ])('%s on %s at %s', (id, branch, sha, key) => {
    expect(baseReportKey(id, branch, sha)).toBe(key)
    expect(key.startsWith(baseReportPrefix(id, branch))).toBe(true)
  })
})

describe('runKind', () => {
  const payload = { repository: { default_branch: 'main' } }
  it.each([
    [
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 's' },
      payload,
      { kind: 'default-branch', branch: 'main', sha: 's' }
    ],
    [
      { GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 's' },
      payload,
      { kind: 'default-branch', branch: 'main', sha: 's' }
    ],
    [
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/feature', GITHUB_SHA: 's' },
      payload,
      { kind: 'other' }
    ],
    [
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1', GITHUB_SHA: 's' },
      payload,
      { kind: 'other' }
    ],
    [
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 's' },
      undefined,
      { kind: 'other' }
    ],
    [
      { GITHUB_EVENT_NAME: 'pull_request', GITHUB_BASE_REF: 'develop' },
      {},
      { kind: 'pull-request', baseBranch: 'develop' }
    ],
    [
      { GITHUB_EVENT_NAME: 'pull_request_target' },
      { pull_request: { base: { ref: 'main' } } },
      { kind: 'pull-request', baseBranch: 'main' }
    ]
  ])('%j is %j', (env, event, kind) => {
    expect(runKind(env, event)).toEqual(kind)
  })
})

describe('saveBaseReport and restoreBaseReport', () => {
  it('keeps the default branch report and gives the latest back to a pull request', async () => {
    const id = 'a1b2c3d4e5f6'
    expect(await save(id, pushEnv('1111'))).toBe('saved')
    expect(await save(id, pushEnv('2222'), reportFixturePath('pull-request'))).toBe('saved')
    expect(cache.saved.map((s) => s.key)).toEqual([
      'lambda-python-deploy-report-a1b2c3d4e5f6-main-1111',
      'lambda-python-deploy-report-a1b2c3d4e5f6-main-2222'
    ])
    expect(cache.saved[0]!.paths).toEqual([baseReportDir({ RUNNER_TEMP: join(work, 'temp') }, id)])

    const base = await restore(id)
    expect(base).toEqual({ baseBranch: 'main', report: loadReport('pull-request'), commit: '2222' })
  })

  it('skips a commit whose report is already kept (a rerun, or a second workflow)', async () => {
    expect(await save('x', pushEnv('1'))).toBe('saved')
    expect(await save('x', pushEnv('1'))).toBe('skipped')
    expect(cache.saved).toHaveLength(1)
    expect(vi.mocked(core.warning)).not.toHaveBeenCalled()
  })

  it('saves nothing outside the default branch', async () => {
    const id = 'x'
    expect(await save(id, pushEnv('1', 'refs/heads/feature'))).toBe('skipped')
    expect(await save(id, pullRequestEnv())).toBe('skipped')
    expect(cache.saved).toEqual([])
  })

  it('keeps function sets apart', async () => {
    await save('orders', pushEnv('1'))
    expect(await restore('billing')).toEqual({ baseBranch: 'main' })
  })

  it('says there is no base report yet, without failing', async () => {
    expect(await restore('x')).toEqual({ baseBranch: 'main' })
    expect(vi.mocked(core.warning)).not.toHaveBeenCalled()
  })

  it('does not read a stale file when the cache misses', async () => {
    const env = pullRequestEnv()
    const dir = baseReportDir(env, 'x')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'report.json'), readFileSync(reportFixturePath('main')))
    expect(await restore('x', env)).toEqual({ baseBranch: 'main' })
    expect(existsSync(join(dir, 'report.json'))).toBe(false)
  })

  it('is a notice when the cache service is not available', async () => {
    cache.available = false
    expect(await save('x', pushEnv('1'))).toBe('skipped')
    expect(await restore('x')).toEqual({ baseBranch: 'main' })
    expect(vi.mocked(core.notice)).toHaveBeenCalledTimes(2)
    expect(vi.mocked(core.setFailed)).not.toHaveBeenCalled()
  })

  it('is a warning when the cache service fails', async () => {
    cache.failSave = new Error('Cache service responded with 503')
    expect(await save('x', pushEnv('1'))).toBe('failed')
    expect(String(vi.mocked(core.warning).mock.calls[0]![0])).toBe(
      'Size report not kept for pull requests (cache key lambda-python-deploy-report-x-main-1): Cache service responded with 503'
    )
  })

  it('refuses to keep something that is not a size report', async () => {
    const bad = join(work, 'report.json')
    writeFileSync(bad, '{"hello": 1}')
    expect(await save('x', pushEnv('1'), bad)).toBe('failed')
    expect(cache.saved).toEqual([])
    expect(String(vi.mocked(core.warning).mock.calls[0]![0])).toContain('architectures is missing')
  })

  it('is a warning when the restored report cannot be read', async () => {
    const env = pushEnv('1')
    const dir = baseReportDir(env, 'x')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'report.json'), 'not json')
    await cache.saveCache([dir], baseReportKey('x', 'main', '1'))
    expect(await restore('x')).toEqual({ baseBranch: 'main' })
    expect(String(vi.mocked(core.warning).mock.calls[0]![0])).toMatch(
      /^No change against main: the base report could not be read: not JSON/
    )
  })
})
