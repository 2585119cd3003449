// package-dir is confined and traceable (issue 18), through `node dist/index.js` as GitHub runs
// it, against moto behind the recording proxy. A real `mode: build` records where it ran; forged
// reports (a function path of /etc/hostname with its size and CodeSha256, a `..` path, a
// symbolic link out of the folder, another repository) are refused before any Lambda request.
// The pull-request artifact flow ships a pull request's build from its merge only, checked
// against a fake GitHub API. The decision table is in test/unit/provenance.test.ts.
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { BuildResult } from '../../src/types.js'
import {
  deployThrough,
  logOf,
  startFaultBench,
  HANDLER_SOURCE,
  type FaultBench
} from '../helpers/fault-bench.js'
import { startRecorder, type HttpRecorder, type RecordedRequest } from '../helpers/http-recorder.js'
import { runAction } from '../helpers/run-action.js'

const sha = (c: string) => c.repeat(40)
const COMMIT = sha('1')
const PR_MERGE_REF_COMMIT = sha('2')
const HEAD = sha('3')
const BASE = sha('4')
const MERGED = sha('5')

let bench: FaultBench
let github: HttpRecorder
/** What the fake GitHub API lists for `/repos/acme/shop/commits/<MERGED>/pulls`. */
let pullsOfMerged: unknown[] = []
let work: string
/** Built by a push run at COMMIT; never changed (cases copy it). */
let pushBuild: string
/** Built by the pull-request run of #5 (head HEAD onto BASE). */
let prBuild: string
let shippedSha: string

function actionsEnv(
  event: string,
  commit: string,
  ref: string,
  payload: unknown,
  runId: string
): Record<string, string> {
  const eventPath = join(work, `event-${runId}.json`)
  writeFileSync(eventPath, JSON.stringify(payload))
  return {
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: github.url,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_REPOSITORY_ID: '4242',
    GITHUB_WORKFLOW: 'Lambda',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: commit,
    GITHUB_REF: ref,
    GITHUB_RUN_ID: runId
  }
}

const pushEnv = (runId: string, commit = COMMIT, before = sha('0')) =>
  actionsEnv('push', commit, 'refs/heads/main', { before, after: commit }, runId)

const pullRequestEnv = (runId: string) =>
  actionsEnv(
    'pull_request',
    PR_MERGE_REF_COMMIT,
    'refs/pull/5/merge',
    {
      number: 5,
      pull_request: {
        number: 5,
        head: { sha: HEAD, repo: { full_name: 'acme/shop' } },
        base: { ref: 'main', sha: BASE }
      }
    },
    runId
  )

async function build(env: Record<string, string>): Promise<string> {
  const source = mkdtempSync(join(work, 'src-'))
  writeFileSync(join(source, 'app.py'), HANDLER_SOURCE)
  const outputDir = mkdtempSync(join(work, 'out-'))
  const run = await runAction({
    inputs: {
      mode: 'build',
      source,
      runtime: 'python3.12',
      architectures: 'arm64',
      'output-dir': outputDir,
      comment: 'false',
      cache: 'false'
    },
    env
  })
  expect(run.code, logOf(run)).toBe(0)
  return outputDir
}

const deploy = (packageDir: string, env: Record<string, string>) =>
  deployThrough(
    bench.proxy,
    { 'function-name': 'orders', 'package-dir': packageDir, 'github-token': 'ghs_testToken0123' },
    { env }
  )

function reportOf(dir: string): BuildResult {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as BuildResult
}

/** A copy of the push build whose report.json `change` rewrites. */
function forged(change: (report: BuildResult, dir: string) => void): string {
  const dir = mkdtempSync(join(work, 'forged-'))
  cpSync(pushBuild, dir, { recursive: true })
  const report = reportOf(dir)
  change(report, dir)
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2))
  return dir
}

/** Points the arm64 function zip of `report` at `path`, its size and CodeSha256 adjusted. */
function pointAt(report: BuildResult, path: string, bytes: Buffer): void {
  const fn = report.architectures[0]!.packages.function
  fn.path = path
  fn.size = bytes.length
  fn.codeSha256 = createHash('sha256').update(bytes).digest('base64')
}

async function deployedSha(): Promise<string | undefined> {
  const config = await bench.moto.lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
  )
  return config.CodeSha256
}

beforeAll(async () => {
  bench = await startFaultBench()
  work = mkdtempSync(join(bench.dir, 'trust-'))
  github = await startRecorder((request: RecordedRequest, response) => {
    const ok = request.url.startsWith(`/repos/acme/shop/commits/${MERGED}/pulls`)
    response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
    response.end(JSON.stringify(ok ? pullsOfMerged : { message: 'Not Found' }))
  })
  ;[pushBuild, prBuild] = await Promise.all([build(pushEnv('100')), build(pullRequestEnv('200'))])
  shippedSha = reportOf(pushBuild).architectures[0]!.packages.function.codeSha256
})

afterAll(async () => {
  await Promise.all([github?.stop(), bench?.stop()])
})

beforeEach(async () => {
  await bench.fresh()
  github.requests.length = 0
  pullsOfMerged = []
})

describe('report.json records where it was built', () => {
  it('repository, commit, ref, workflow, run and attempt; the pull request of a PR build', () => {
    expect(reportOf(pushBuild).provenance).toEqual({
      serverUrl: 'https://github.com',
      repository: 'acme/shop',
      repositoryId: '4242',
      commit: COMMIT,
      ref: 'refs/heads/main',
      event: 'push',
      workflow: 'Lambda',
      runId: '100',
      runAttempt: '1'
    })
    expect(reportOf(prBuild).provenance).toMatchObject({
      commit: PR_MERGE_REF_COMMIT,
      ref: 'refs/pull/5/merge',
      event: 'pull_request',
      pullRequest: {
        number: 5,
        headSha: HEAD,
        headRepository: 'acme/shop',
        baseRef: 'main',
        baseSha: BASE
      }
    })
  })
})

describe('a forged package-dir is refused before any Lambda request', () => {
  const refused = async (dir: string, said: RegExp) => {
    const before = await deployedSha()
    const run = await deploy(dir, pushEnv('101'))
    expect(run.code, logOf(run)).toBe(1)
    expect(run.errors.join('\n')).toMatch(said)
    expect(bench.proxy.count({ service: 'lambda' })).toBe(0)
    expect(bench.proxy.count({ service: 's3' })).toBe(0)
    expect(await deployedSha()).toBe(before)
  }

  it('a function path of /etc/hostname, its size and CodeSha256 adjusted', async () => {
    const dir = forged((report) => pointAt(report, '/etc/hostname', readFileSync('/etc/hostname')))
    await refused(
      dir,
      /^package-dir: report\.json names \/etc\/hostname for the arm64 function zip, outside /
    )
  })

  it('a path with ..', async () => {
    const outside = mkdtempSync(join(work, 'outside-'))
    const bytes = Buffer.from('PK\u0005\u0006'.padEnd(22, '\u0000'), 'latin1')
    writeFileSync(join(outside, 'function.zip'), bytes)
    const dir = forged((report) =>
      pointAt(report, join('..', basename(outside), 'function.zip'), bytes)
    )
    await refused(
      dir,
      /^package-dir: report\.json names \.\.\/outside-\w+\/function\.zip for the arm64 function zip, outside /
    )
  })

  it('a symbolic link out of the folder', async () => {
    const dir = forged((report, folder) => {
      mkdirSync(join(folder, 'links'))
      symlinkSync('/etc/hostname', join(folder, 'links', 'function.zip'))
      pointAt(report, 'links/function.zip', readFileSync('/etc/hostname'))
    })
    await refused(
      dir,
      /^package-dir: .*links\/function\.zip \(the arm64 function zip\) is a symbolic link to \/etc\/hostname, outside /
    )
  })

  it('a report from another repository', async () => {
    const dir = forged((report) => {
      report.provenance = { ...report.provenance!, repository: 'mallory/shop', repositoryId: '666' }
    })
    await refused(
      dir,
      /^package-dir: report\.json was built in https:\/\/github\.com\/mallory\/shop .*only packages built in this repository deploy\./
    )
  })

  it('a report that does not say where it was built', async () => {
    const dir = forged((report) => {
      delete report.provenance
    })
    await refused(dir, /^package-dir: report\.json does not say where it was built/)
  })

  it('a build of another commit, deployed by a plain push', async () => {
    const run = await deploy(pushBuild, pushEnv('102', MERGED))
    expect(run.code, logOf(run)).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /^package-dir: report\.json was built from commit 1111111 by acme\/shop run 100 attempt 1 .*; this run is at 5555555\./
    )
    expect(bench.proxy.count({ service: 'lambda' })).toBe(0)
  })
})

describe('a package-dir that fits this run ships, and the summary says where it was built', () => {
  it('built from this commit', async () => {
    const run = await deploy(pushBuild, pushEnv('100'))
    expect(run.code, logOf(run)).toBe(0)
    expect(await deployedSha()).toBe(shippedSha)
    expect(run.summary).toContain(
      'Packages from `package-dir`: Built from this commit by this workflow run (attempt 1). ' +
        '([build run](https://github.com/acme/shop/actions/runs/100/attempts/1))'
    )
  })

  it("a pull request's build, deployed on the push that merged it (the PR-artifact flow)", async () => {
    pullsOfMerged = [
      {
        number: 5,
        merged_at: '2026-12-01T10:00:00Z',
        merge_commit_sha: MERGED,
        head: { sha: HEAD }
      }
    ]
    const run = await deploy(prBuild, pushEnv('300', MERGED, BASE))
    expect(run.code, logOf(run)).toBe(0)
    expect(await deployedSha()).toBe(
      reportOf(prBuild).architectures[0]!.packages.function.codeSha256
    )
    expect(run.summary).toContain(
      'Packages from `package-dir`: Built for pull request #5 at its head 3333333 onto main at ' +
        '4444444, by acme/shop run 200 attempt 1'
    )
    expect(run.summary).toContain('deployed from its merge, commit 5555555.')
    expect(github.requests.map((r) => r.url)).toEqual([
      `/repos/acme/shop/commits/${MERGED}/pulls?per_page=100`
    ])
    expect(github.requests[0]!.headers.authorization).toBe('Bearer ghs_testToken0123')
  })

  it("refuses the pull request's build when commits came after it", async () => {
    pullsOfMerged = [
      {
        number: 5,
        merged_at: '2026-12-01T10:00:00Z',
        merge_commit_sha: MERGED,
        head: { sha: sha('6') }
      }
    ]
    const run = await deploy(prBuild, pushEnv('301', MERGED, BASE))
    expect(run.code, logOf(run)).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /#5 was merged at head 6666666: commits came after that build/
    )
    expect(bench.proxy.count({ service: 'lambda' })).toBe(0)
  })
})
