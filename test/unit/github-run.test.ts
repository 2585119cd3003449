// Where a run may write the Actions cache (issue 18, item 5): an entry lands in the scope of
// the run's ref, and deploys on a ref restore from that ref's scope and the default branch's.
import { describe, expect, it } from 'vitest'
import { cacheSaveDecision, runKind } from '../../src/github-run.js'

const repository = { repository: { default_branch: 'main' } }

describe('cacheSaveDecision', () => {
  it.each([
    [
      'a push to the default branch',
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' },
      repository,
      true
    ],
    [
      'a workflow_dispatch on the default branch',
      { GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/main' },
      repository,
      true
    ],
    [
      'a schedule (runs on the default branch; its payload names no repository)',
      { GITHUB_EVENT_NAME: 'schedule', GITHUB_REF: 'refs/heads/main' },
      {},
      true
    ],
    [
      'a pull_request (its own refs/pull scope)',
      { GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: 'refs/pull/7/merge' },
      repository,
      true
    ],
    [
      'a pull_request_target (the base branch scope)',
      { GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_REF: 'refs/heads/main' },
      repository,
      false
    ],
    [
      'a push to another branch',
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/feature' },
      repository,
      false
    ],
    ['a tag', { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1' }, repository, false],
    [
      'a merge queue',
      {
        GITHUB_EVENT_NAME: 'merge_group',
        GITHUB_REF: 'refs/heads/gh-readonly-queue/main/pr-7-abc'
      },
      repository,
      false
    ],
    [
      'a push whose payload cannot be read',
      { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' },
      undefined,
      false
    ],
    ['no event at all (not in a workflow)', {}, undefined, false]
  ])('%s: save %s', (_what, env, event, save) => {
    const decision = cacheSaveDecision(env, event as Record<string, unknown> | undefined)
    expect(decision.save).toBe(save)
    if (!decision.save) expect(decision.reason.length).toBeGreaterThan(20)
  })

  it('says why a pull_request_target run does not save', () => {
    expect(cacheSaveDecision({ GITHUB_EVENT_NAME: 'pull_request_target' }, repository)).toEqual({
      save: false,
      reason:
        'a pull_request_target run writes into the base branch cache scope, which deploys restore from'
    })
  })
})

describe('runKind', () => {
  it('a scheduled run is a run on the default branch', () => {
    expect(
      runKind({ GITHUB_EVENT_NAME: 'schedule', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 's' }, {})
    ).toEqual({ kind: 'default-branch', branch: 'main', sha: 's' })
  })
})
