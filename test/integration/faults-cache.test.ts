// The Actions cache service failing (answering 500, or resetting every connection) while a
// `mode: build` run restores and saves its wheel-store entry and its size report: the build
// goes on with a warning and its outputs are those of a run without the cache. The service is
// a server on 127.0.0.1 that @actions/cache 6 talks to as cache service v2 (Twirp).
import { writeFile } from 'node:fs/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildInputs, writeLocalRequirements, writeSource } from '../helpers/fault-bench.js'
import { answer500, startRecorder, type RecorderHandler } from '../helpers/http-recorder.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'

let dir: string
let source: string
let requirements: string
let expectedSha: string

/**
 * What makes @actions/cache 6 use the service: ACTIONS_CACHE_SERVICE_V2 picks v2 (not on GHES:
 * GITHUB_SERVER_URL stays unset), and v2 is available when ACTIONS_RESULTS_URL is set; the token
 * is sent as a bearer.
 */
function cacheEnv(url: string): Record<string, string> {
  return {
    ACTIONS_CACHE_SERVICE_V2: 'true',
    ACTIONS_RESULTS_URL: `${url}/`,
    ACTIONS_CACHE_URL: `${url}/`,
    ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-tests'
  }
}

function build(
  env: Record<string, string>,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  const outputDir = mkdtempSync(join(dir, 'out-'))
  return runAction({
    inputs: {
      ...buildInputs(source, outputDir),
      requirements,
      installer: 'pip',
      cache: 'true',
      comment: 'false',
      ...inputs
    },
    // A fresh wheel store each run: the Actions cache is asked every time.
    env: { RUNNER_TOOL_CACHE: mkdtempSync(join(dir, 'tool-cache-')), ...env }
  })
}

const resetConnection: RecorderHandler = (_request, response) => {
  response.socket?.destroy()
}

/**
 * A restore or lookup that failed, in the words of whichever it was (cache-restore.ts does all
 * three): the wheel store's, the base size report's, and the lookup before keeping a report.
 */
const RESTORE_FAILED =
  /(restoring \S+ failed, resolving instead: |the base report could not be read: |Size report not kept for pull requests \(cache key \S+\): )/

/** A push to main: a run whose saves a deploy on main would restore, so it saves. */
async function pushToMain(): Promise<Record<string, string>> {
  const eventPath = join(dir, 'event-push-main.json')
  await writeFile(eventPath, JSON.stringify({ repository: { default_branch: 'main' } }))
  return {
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: 'b'.repeat(40),
    GITHUB_EVENT_PATH: eventPath
  }
}

function warnings(run: ActionRun): string[] {
  return run.stdout.split('\n').filter((line) => line.startsWith('::warning'))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lpd-faults-cache-'))
  source = await writeSource(dir)
  requirements = await writeLocalRequirements(dir)
  const reference = await build({}, { cache: 'false' })
  expect(reference.code, reference.stdout).toBe(0)
  expectedSha = reference.outputs['code-sha256']!
})

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.concurrent('the Actions cache service failing', () => {
  it('answers 500 to the restore (retried by @actions/cache), resets the save: warnings, same package', async () => {
    // One server per case would be simpler; restore answering 500 costs @actions/cache's five
    // attempts with backoff (about 30 s), so the save gets the quick failure.
    const mixed = await startRecorder((request, response) => {
      // The wheel store's restore gets the 500s; the size report's lookup the quick reset.
      const wheelEntry = request.body.includes('"lambda-python-deploy-v')
      if (request.url.endsWith('/GetCacheEntryDownloadURL') && wheelEntry)
        answer500(request, response)
      else resetConnection(request, response)
    })
    try {
      const run = await build({ ...cacheEnv(mixed.url), ...(await pushToMain()) })
      expect(run.code, run.stdout + run.stderr).toBe(0)
      const asked = mixed.requests.map((r) => r.url.split('/').pop())
      // The wheel store's restore (five attempts), then the size report's lookup (reset once).
      expect(asked.filter((m) => m === 'GetCacheEntryDownloadURL')).toHaveLength(6)
      expect(asked).toContain('CreateCacheEntry')
      expect(warnings(run).join('\n')).toMatch(new RegExp(`${RESTORE_FAILED.source}.*\\(500\\)`))
      expect(warnings(run).join('\n')).toMatch(/Failed to save: /)
      expect(run.stdout).toMatch(/pip download/)
      expect(run.outputs['code-sha256']).toBe(expectedSha)
      expect(run.outputs['cache-hit']).toBe('false')
      expect(JSON.parse(run.outputs.packages!).arm64.function.codeSha256).toBe(expectedSha)
    } finally {
      await mixed.stop()
    }
  })

  it.each([
    // The wheel-store entry (restore, save), then the base report (restore).
    [
      'a pull request (restores the base size report)',
      { GITHUB_EVENT_NAME: 'pull_request', GITHUB_BASE_REF: 'main' },
      { restores: 2, saves: 1 }
    ],
    // The wheel-store entry (restore, save), then the size report (looked up; the lookup
    // failed, so no save is tried).
    [
      'a push to the default branch (keeps the size report)',
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 'a'.repeat(40) },
      { restores: 2, saves: 1 }
    ]
  ])('resets every connection, on %s: warnings, same package', async (_event, eventEnv, tries) => {
    const eventPath = join(dir, `event-${eventEnv.GITHUB_EVENT_NAME}.json`)
    await writeFile(eventPath, JSON.stringify({ repository: { default_branch: 'main' } }))
    const resetting = await startRecorder(resetConnection)
    const run = await build({
      ...cacheEnv(resetting.url),
      ...eventEnv,
      GITHUB_EVENT_PATH: eventPath
    }).finally(() => resetting.stop())
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const failed = warnings(run).join('\n')
    expect(failed.match(new RegExp(`${RESTORE_FAILED.source}.*ECONNRESET`, 'g'))).toHaveLength(
      tries.restores
    )
    // @actions/cache words a reset CreateCacheEntry as "Unable to reserve cache ...".
    expect(failed.match(/Failed to save: /g)).toHaveLength(tries.saves)
    expect(resetting.requests).toHaveLength(tries.restores + tries.saves)
    expect(run.errors).toEqual([])
    expect(run.outputs['code-sha256']).toBe(expectedSha)
    expect(run.outputs['cache-hit']).toBe('false')
  })
})
