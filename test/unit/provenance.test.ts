// Where a build happened, and which deploys may ship it: the decision table of
// src/report/provenance.ts. The same rules through `node dist/index.js` are in
// test/process/package-dir-trust.test.ts.
import { describe, expect, it } from 'vitest'
import type { PullRequestOfCommit } from '../../src/net/github-api.js'
import {
  buildProvenance,
  judgeProvenance,
  parseProvenance,
  thisRun,
  type BuildProvenance,
  type ThisRun
} from '../../src/report/provenance.js'

const sha = (c: string) => c.repeat(40)
const MERGE_OF_PR = sha('a') // GITHUB_SHA of the pull-request run: refs/pull/5/merge
const HEAD = sha('b')
const BASE = sha('c')
const MERGED = sha('d') // the commit on main that merged #5
const OTHER = sha('e')

const actionsEnv = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_REPOSITORY_ID: '4242',
  GITHUB_WORKFLOW: 'Lambda',
  GITHUB_WORKFLOW_REF: 'acme/shop/.github/workflows/lambda.yml@refs/heads/main',
  GITHUB_RUN_ID: '1001',
  GITHUB_RUN_ATTEMPT: '2'
}

const pullRequestEvent = {
  number: 5,
  pull_request: {
    number: 5,
    head: { sha: HEAD, repo: { full_name: 'acme/shop' } },
    base: { ref: 'main', sha: BASE }
  }
}

/** A pull-request build of #5 (head HEAD merged onto BASE), as report.json records it. */
const prBuild: BuildProvenance = buildProvenance(
  thisRun(
    {
      ...actionsEnv,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_SHA: MERGE_OF_PR,
      GITHUB_REF: 'refs/pull/5/merge',
      GITHUB_RUN_ID: '900',
      GITHUB_RUN_ATTEMPT: '1'
    },
    pullRequestEvent
  )!
)

/** The push to main that merged #5 onto BASE. */
const mergePush: ThisRun = thisRun(
  { ...actionsEnv, GITHUB_EVENT_NAME: 'push', GITHUB_SHA: MERGED, GITHUB_REF: 'refs/heads/main' },
  { before: BASE, after: MERGED }
)!

const mainBuild: BuildProvenance = buildProvenance(
  thisRun(
    { ...actionsEnv, GITHUB_EVENT_NAME: 'push', GITHUB_SHA: OTHER, GITHUB_REF: 'refs/heads/main' },
    { before: BASE }
  )!
)

const merged5: PullRequestOfCommit = {
  number: 5,
  mergedAt: '2026-12-01T10:00:00Z',
  mergeCommitSha: MERGED,
  headSha: HEAD
}
const finds =
  (...pulls: PullRequestOfCommit[]) =>
  (commit: string) =>
    Promise.resolve(commit === MERGED ? pulls : [])
const noLookup = () => Promise.reject(new Error('no lookup expected'))

describe('thisRun', () => {
  it('reads a pull-request run, with the pull request it builds', () => {
    expect(prBuild).toEqual({
      serverUrl: 'https://github.com',
      repository: 'acme/shop',
      repositoryId: '4242',
      commit: MERGE_OF_PR,
      ref: 'refs/pull/5/merge',
      event: 'pull_request',
      workflow: 'Lambda',
      workflowRef: 'acme/shop/.github/workflows/lambda.yml@refs/heads/main',
      runId: '900',
      runAttempt: '1',
      pullRequest: {
        number: 5,
        headSha: HEAD,
        headRepository: 'acme/shop',
        baseRef: 'main',
        baseSha: BASE
      }
    })
  })

  it('reads what a push and a workflow_run say about the commits around them', () => {
    expect(mergePush.pushedOnto).toBe(BASE)
    const triggered = thisRun(
      {
        ...actionsEnv,
        GITHUB_EVENT_NAME: 'workflow_run',
        GITHUB_SHA: MERGED,
        GITHUB_REF: 'refs/heads/main'
      },
      { workflow_run: { id: 1001, head_sha: OTHER, event: 'push' } }
    )
    expect(triggered?.triggeringRun).toEqual({ runId: '1001', commit: OTHER, event: 'push' })
    // What a build records leaves them out.
    expect(buildProvenance(mergePush)).not.toHaveProperty('pushedOnto')
  })

  it('is undefined outside GitHub Actions', () => {
    expect(thisRun({}, undefined)).toBeUndefined()
    expect(thisRun({ GITHUB_REPOSITORY: 'acme/shop' }, undefined)).toBeUndefined()
  })
})

describe('parseProvenance', () => {
  it('reads back what a build recorded, and nothing else', () => {
    expect(parseProvenance(JSON.parse(JSON.stringify({ ...prBuild, extra: 1 })))).toEqual(prBuild)
    expect(parseProvenance(undefined)).toBeUndefined()
  })

  it.each([[null], ['acme/shop'], [{ repository: 'acme/shop' }], [{ ...mainBuild, commit: 7 }]])(
    'refuses %j',
    (value) => {
      expect(() => parseProvenance(value)).toThrow(/^provenance must hold/)
    }
  )
})

describe('judgeProvenance: which builds a deploy ships', () => {
  it('ships a build of this very commit, saying which run made it', async () => {
    const here = thisRun(
      {
        ...actionsEnv,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_SHA: OTHER,
        GITHUB_REF: 'refs/heads/main'
      },
      {}
    )!
    expect(await judgeProvenance(mainBuild, here, noLookup)).toEqual({
      kind: 'same commit',
      note: 'Built from this commit by this workflow run (attempt 2).'
    })
    const rerun = { ...here, runId: '2002' }
    expect((await judgeProvenance(mainBuild, rerun, noLookup)).note).toBe(
      'Built from this commit by acme/shop run 1001 attempt 2 (workflow "Lambda", push on ' +
        'refs/heads/main) at commit eeeeeee.'
    )
  })

  it('ships a build of a renamed repository (same repository ID)', async () => {
    const here = { ...mergePush, commit: OTHER, repository: 'acme/store' }
    expect((await judgeProvenance(mainBuild, here, noLookup)).kind).toBe('same commit')
  })

  it.each([
    ['another repository', { ...mainBuild, repository: 'mallory/shop', repositoryId: '666' }],
    ['a repository that took the name again', { ...mainBuild, repositoryId: '666' }],
    [
      'the same name on another server',
      { ...mainBuild, serverUrl: 'https://ghe.example', repositoryId: undefined }
    ]
  ])('refuses a build from %s', async (_what, built) => {
    const here = { ...mergePush, commit: OTHER }
    await expect(judgeProvenance(built, here, noLookup)).rejects.toThrow(
      /^package-dir: report\.json was built in .*only packages built in this repository deploy\.$/
    )
  })

  it('refuses a report that does not say where it was built', async () => {
    await expect(judgeProvenance(undefined, mergePush, noLookup)).rejects.toThrow(
      /^package-dir: report\.json does not say where it was built/
    )
  })

  it('refuses a pull_request_target build, even of this commit', async () => {
    const built = { ...mainBuild, event: 'pull_request_target', commit: MERGED }
    await expect(judgeProvenance(built, mergePush, noLookup)).rejects.toThrow(
      /built by a pull_request_target run .*never deploy/
    )
  })

  it('refuses a build of another commit outside the flows that expect one', async () => {
    const dispatch = { ...mergePush, event: 'workflow_dispatch', pushedOnto: undefined }
    await expect(judgeProvenance(mainBuild, dispatch, noLookup)).rejects.toThrow(
      /^package-dir: report\.json was built from commit eeeeeee by .*; this run is at ddddddd\. Deploy packages built from this commit/
    )
  })

  it('says where a build was made when this run is not in GitHub Actions', async () => {
    expect(await judgeProvenance(mainBuild, undefined, noLookup)).toMatchObject({
      kind: 'not checked'
    })
    expect(await judgeProvenance(undefined, undefined, noLookup)).toMatchObject({
      kind: 'not checked'
    })
  })

  describe('workflow_run: the run that triggered this deploy built it', () => {
    const triggered = (trigger: { runId: string; commit: string; event: string }): ThisRun => ({
      ...mergePush,
      event: 'workflow_run',
      runId: '3003',
      triggeringRun: trigger
    })

    it('ships it, saying so', async () => {
      const here = triggered({ runId: '1001', commit: OTHER, event: 'push' })
      expect(await judgeProvenance(mainBuild, here, noLookup)).toMatchObject({
        kind: 'triggering run',
        note: expect.stringMatching(/the run that triggered this one; this run is at ddddddd\.$/)
      })
    })

    it.each([
      ['another run', { runId: '1002', commit: OTHER, event: 'push' }, /this run is at/],
      ['another commit', { runId: '1001', commit: BASE, event: 'push' }, /this run is at/],
      [
        'a pull-request run',
        { runId: '1001', commit: OTHER, event: 'pull_request' },
        /deploys only from its merge/
      ]
    ])('refuses when the trigger is %s', async (_what, trigger, said) => {
      await expect(judgeProvenance(mainBuild, triggered(trigger), noLookup)).rejects.toThrow(said)
    })
  })

  describe("a pull request's build, deployed on the push that merged it", () => {
    it('ships it when the merge, the head and the base all fit, and says so', async () => {
      expect(await judgeProvenance(prBuild, mergePush, finds(merged5))).toEqual({
        kind: 'merged pull request',
        note:
          'Built for pull request #5 at its head bbbbbbb onto main at ccccccc, by acme/shop run ' +
          '900 attempt 1 (workflow "Lambda", pull_request on refs/pull/5/merge) at commit ' +
          'aaaaaaa; deployed from its merge, commit ddddddd.'
      })
    })

    it('names a fork the pull request came from', async () => {
      const fromFork = {
        ...prBuild,
        pullRequest: { ...prBuild.pullRequest!, headRepository: 'contributor/shop' }
      }
      expect((await judgeProvenance(fromFork, mergePush, finds(merged5))).note).toContain(
        '(from the fork contributor/shop)'
      )
    })

    it.each([
      [
        'commits came after the build',
        finds({ ...merged5, headSha: OTHER }),
        mergePush,
        /#5 was merged at head eeeeeee: commits came after that build/
      ],
      [
        'the base branch moved meanwhile',
        finds(merged5),
        { ...mergePush, pushedOnto: OTHER },
        /main was at eeeeeee when it was merged: the build lacks what was merged in between/
      ],
      [
        'this commit merged another pull request',
        finds({ ...merged5, number: 6 }),
        mergePush,
        /commit ddddddd is not that pull request's merge \(GitHub lists #6 for it\)/
      ],
      [
        'the pull request is not merged',
        finds({ number: 5, headSha: HEAD }),
        mergePush,
        /is not that pull request's merge/
      ],
      [
        'this run is not a push to its base',
        finds(merged5),
        { ...mergePush, ref: 'refs/heads/release' },
        /is not the push that merged it into main/
      ],
      [
        'the API does not answer',
        () => Promise.reject(new Error('GET /repos/acme/shop/commits/x/pulls returned 403')),
        mergePush,
        /could not be read from the GitHub API \(.*403\)\. Give the job a github-token with contents: read and pull-requests: read\./
      ]
    ])('refuses it when %s', async (_what, lookup, here, said) => {
      await expect(judgeProvenance(prBuild, here, lookup)).rejects.toThrow(said)
    })
  })
})
