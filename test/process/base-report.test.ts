// The change against main, end to end: a run on main keeps its size report in the Actions cache
// (a fake cache service on 127.0.0.1 that @actions/cache 6 talks to as it does to GitHub's),
// and a pull request's run brings it back, shows the change in its job summary, and charts it
// in the comment it posts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeActionsCache, type FakeActionsCache } from '../helpers/fake-actions-cache.js'
import { startFakeCommentApi, type FakeCommentApi } from '../helpers/fake-comment-api.js'
import { pullRequestEnv, pushToMainEnv } from '../helpers/github-events.js'
import { runAction } from '../helpers/run-action.js'

const MAIN_SHA = 'c0ffee0000000000000000000000000000000001'
let dir: string
let cache: FakeActionsCache
let github: FakeCommentApi

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lpd-base-report-'))
  cache = await startFakeActionsCache()
  github = await startFakeCommentApi()
})
afterAll(async () => {
  await cache?.stop()
  await github?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function build(source: string, env: Record<string, string>) {
  return runAction({
    inputs: {
      mode: 'build',
      source,
      runtime: 'python3.12',
      architectures: 'arm64',
      handler: 'app.handler',
      'github-token': 'ghs_fakeTokenForTheTestOnly'
    },
    // One RUNNER_TEMP for both runs, as on GitHub's runners: the cache version hashes the path.
    env: {
      ...cache.env,
      ...env,
      RUNNER_TEMP: join(dir, 'runner-temp'),
      RUNNER_TOOL_CACHE: join(dir, 'tool-cache')
    },
    cwd: dir
  })
}

describe('the change against main', () => {
  it('is kept by a run on main and shown, and charted, on a pull request', async () => {
    const source = join(dir, 'orders')
    const app = (extra: string) =>
      writeFileSync(join(source, 'app.py'), `def handler(event, context):\n    return {}\n${extra}`)
    mkdirSync(source)
    writeFileSync(join(source, 'requirements.txt'), 'six==1.17.0\n')
    app('')

    const main = await build(source, pushToMainEnv(dir, MAIN_SHA))
    expect(main.code, main.stdout).toBe(0)
    expect(cache.keys().filter((key) => key.startsWith('lambda-python-deploy-report-'))).toEqual([
      expect.stringMatching(/-main-c0ffee0000000000000000000000000000000001$/)
    ])

    app(`# ${'grown '.repeat(2000)}\n`)
    const pull = await build(source, pullRequestEnv(dir, 7, github.url))
    expect(pull.code, pull.stdout).toBe(0)
    expect(pull.summary).toContain('#### Change against `main`')
    expect(pull.summary).toContain('Compared with the latest report saved on `main` (`c0ffee0`).')
    expect(pull.summary).toMatch(/\| _handler code_ \| +\| \+12\.0 kB/)
    expect(github.posted).toHaveLength(1)
    expect(github.posted[0]).toContain('\nxychart-beta horizontal\n')
    expect(github.posted[0]).toContain('  x-axis ["six"]')
    expect(github.posted[0]).toMatch(/ {2}line \[0\.\d\d\]/)
  })
})
