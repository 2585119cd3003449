// Where a build happened (repository, commit, ref, workflow, run and attempt), recorded in
// report.json, and whether a deploy with `package-dir` may ship it (issue 18). Pure: the
// GitHub API lookup the merged-pull-request rule needs is passed in.
//
// report.json is not signed: whoever wrote the package-dir could have written any provenance.
// The checks catch an artifact from another repository, a stale or unrelated build, and a
// build-once flow wired the wrong way; where the artifact comes from is the workflow's trust
// decision (docs/build-once.md). A package from another commit ships only in the two flows
// that expect one:
// - `workflow_run`: the deploy was triggered by the very run that built it, on a push;
// - a pull request's build, deployed on the push that merged it: the API says this commit is
//   that pull request's merge, its head is the head that was built, and the base branch had not
//   moved since (the push's `before` is the base the build merged onto).
import { INPUT } from '../constants.js'
import { InputError } from '../errors.js'
import type { Env, PullRequestOfCommit } from '../net/github-api.js'
import { isRecord } from './report-json.js'

/** The pull request a `pull_request` run built, from its event payload. */
export interface PullRequestBuilt {
  number: number
  /** The pull request's head commit (GITHUB_SHA is the merge of it into the base). */
  headSha: string
  /** `owner/name` of the head's repository: another one for a fork. */
  headRepository: string
  baseRef: string
  /** The base branch commit the run merged the head onto. */
  baseSha: string
}

export interface BuildProvenance {
  serverUrl: string
  /** `owner/name` */
  repository: string
  /** Stays when a repository is renamed; differs when a name is taken again. */
  repositoryId?: string
  commit: string
  ref: string
  event: string
  workflow: string
  /** `owner/name/.github/workflows/file.yml@ref` */
  workflowRef?: string
  runId: string
  runAttempt: string
  pullRequest?: PullRequestBuilt
}

/** This run, with what its event says about the commits around it. */
export interface ThisRun extends BuildProvenance {
  /** push: the branch's commit before this push. */
  pushedOnto?: string
  /** workflow_run: the run that triggered this one. */
  triggeringRun?: { runId: string; commit: string; event: string }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function id(value: unknown): string | undefined {
  return typeof value === 'number' ? String(value) : text(value)
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) current = isRecord(current) ? current[key] : undefined
  return current
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target'])

function pullRequestOf(event: unknown): PullRequestBuilt | undefined {
  const pr = field(event, 'pull_request')
  const number = field(pr, 'number')
  const headSha = text(field(pr, 'head', 'sha'))
  const headRepository = text(field(pr, 'head', 'repo', 'full_name'))
  const baseRef = text(field(pr, 'base', 'ref'))
  const baseSha = text(field(pr, 'base', 'sha'))
  if (typeof number !== 'number' || !headSha || !baseRef || !baseSha) return undefined
  return { number, headSha, headRepository: headRepository ?? '', baseRef, baseSha }
}

/** Where this run is, from the runner's variables and its event; undefined outside Actions. */
export function thisRun(env: Env, event: Record<string, unknown> | undefined): ThisRun | undefined {
  const repository = text(env.GITHUB_REPOSITORY)
  const commit = text(env.GITHUB_SHA)
  const runId = text(env.GITHUB_RUN_ID)
  if (!repository || !commit || !runId) return undefined
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  const pullRequest = PULL_REQUEST_EVENTS.has(eventName) ? pullRequestOf(event) : undefined
  const pushedOnto = eventName === 'push' ? text(field(event, 'before')) : undefined
  const run = field(event, 'workflow_run')
  const triggering =
    eventName === 'workflow_run'
      ? {
          runId: id(field(run, 'id')),
          commit: text(field(run, 'head_sha')),
          event: text(field(run, 'event'))
        }
      : undefined
  return {
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    repository,
    ...(env.GITHUB_REPOSITORY_ID ? { repositoryId: env.GITHUB_REPOSITORY_ID } : {}),
    commit,
    ref: env.GITHUB_REF ?? '',
    event: eventName,
    workflow: env.GITHUB_WORKFLOW ?? '',
    ...(env.GITHUB_WORKFLOW_REF ? { workflowRef: env.GITHUB_WORKFLOW_REF } : {}),
    runId,
    runAttempt: env.GITHUB_RUN_ATTEMPT || '1',
    ...(pullRequest ? { pullRequest } : {}),
    ...(pushedOnto ? { pushedOnto } : {}),
    ...(triggering?.runId && triggering.commit && triggering.event
      ? {
          triggeringRun: {
            runId: triggering.runId,
            commit: triggering.commit,
            event: triggering.event
          }
        }
      : {})
  }
}

/** What a build records: this run, without what only a deploy asks of its event. */
export function buildProvenance(run: ThisRun): BuildProvenance {
  const { pushedOnto: _pushedOnto, triggeringRun: _triggeringRun, ...recorded } = run
  return recorded
}

/** The provenance of a report.json; undefined when it has none, an Error when it is malformed. */
export function parseProvenance(value: unknown): BuildProvenance | undefined {
  if (value === undefined) return undefined
  const strings = ['serverUrl', 'repository', 'commit', 'ref', 'event', 'workflow', 'runId']
  if (!isRecord(value) || strings.some((key) => typeof value[key] !== 'string')) {
    throw new Error(`provenance must hold ${strings.join(', ')}`)
  }
  const pullRequest = parsePullRequest(value.pullRequest)
  return {
    serverUrl: value.serverUrl as string,
    repository: value.repository as string,
    ...(text(value.repositoryId) ? { repositoryId: value.repositoryId as string } : {}),
    commit: value.commit as string,
    ref: value.ref as string,
    event: value.event as string,
    workflow: value.workflow as string,
    ...(text(value.workflowRef) ? { workflowRef: value.workflowRef as string } : {}),
    runId: value.runId as string,
    runAttempt: text(value.runAttempt) ?? '1',
    ...(pullRequest ? { pullRequest } : {})
  }
}

function parsePullRequest(value: unknown): PullRequestBuilt | undefined {
  if (!isRecord(value) || typeof value.number !== 'number') return undefined
  const [headSha, baseRef, baseSha] = [value.headSha, value.baseRef, value.baseSha].map(text)
  if (!headSha || !baseRef || !baseSha) return undefined
  return {
    number: value.number,
    headSha,
    headRepository: text(value.headRepository) ?? '',
    baseRef,
    baseSha
  }
}

function short(sha: string): string {
  return sha.slice(0, 7)
}

/** `acme/shop run 123 attempt 2 (workflow "CI", push on refs/heads/main) at commit 1a2b3c4` */
export function describeProvenance(p: BuildProvenance): string {
  return (
    `${p.repository} run ${p.runId} attempt ${p.runAttempt} (workflow "${p.workflow}", ` +
    `${p.event} on ${p.ref}) at commit ${short(p.commit)}`
  )
}

/** The run's page: `<server>/<repository>/actions/runs/<id>/attempts/<attempt>`. */
export function runLink(p: BuildProvenance): string {
  return `${p.serverUrl}/${p.repository}/actions/runs/${p.runId}/attempts/${p.runAttempt}`
}

/** The pull requests GitHub associates with a commit; throws when it cannot say. */
export type FindPullRequests = (commit: string) => Promise<PullRequestOfCommit[]>

export type TrustKind = 'same commit' | 'triggering run' | 'merged pull request' | 'not checked'

export interface TrustVerdict {
  kind: TrustKind
  /** One sentence for the log and the job summary. */
  note: string
}

function refuse(message: string): InputError {
  return new InputError(INPUT.packageDir, message)
}

const REBUILD =
  'Deploy packages built from this commit (build and deploy in one workflow run), or see ' +
  'docs/build-once.md for the flows that deploy a build from another commit.'

function sameRepository(built: BuildProvenance, here: BuildProvenance): boolean {
  if (built.serverUrl.toLowerCase() !== here.serverUrl.toLowerCase()) return false
  if (built.repositoryId && here.repositoryId) return built.repositoryId === here.repositoryId
  return built.repository.toLowerCase() === here.repository.toLowerCase()
}

/** The merged-pull-request rule; a refusal names what does not fit. */
async function judgeMergedPullRequest(
  built: BuildProvenance & { pullRequest: PullRequestBuilt },
  here: ThisRun,
  findPullRequests: FindPullRequests
): Promise<TrustVerdict> {
  const pr = built.pullRequest
  const what = `built for pull request #${pr.number} (head ${short(pr.headSha)})`
  if (here.event !== 'push' || here.ref !== `refs/heads/${pr.baseRef}`) {
    throw refuse(
      `report.json was ${what} by ${describeProvenance(built)}; this run (${here.event} on ` +
        `${here.ref}) is not the push that merged it into ${pr.baseRef}. ${REBUILD}`
    )
  }
  let pulls: PullRequestOfCommit[]
  try {
    pulls = await findPullRequests(here.commit)
  } catch (error) {
    throw refuse(
      `report.json was ${what}; whether commit ${short(here.commit)} is its merge could not be ` +
        `read from the GitHub API (${(error as Error).message}). Give the job a github-token ` +
        'with contents: read and pull-requests: read.'
    )
  }
  const merged = pulls.find((p) => p.number === pr.number)
  if (!merged?.mergedAt || merged.mergeCommitSha !== here.commit) {
    throw refuse(
      `report.json was ${what}, but commit ${short(here.commit)} is not that pull request's ` +
        `merge (GitHub lists ${pulls.map((p) => `#${p.number}`).join(', ') || 'no pull request'} ` +
        `for it). ${REBUILD}`
    )
  }
  if (merged.headSha !== pr.headSha) {
    throw refuse(
      `report.json was ${what}, but #${pr.number} was merged at head ` +
        `${short(merged.headSha ?? '?')}: commits came after that build. Deploy the artifact of ` +
        `the pull request's last run, or build from ${short(here.commit)}.`
    )
  }
  if (here.pushedOnto !== pr.baseSha) {
    throw refuse(
      `report.json was ${what} onto ${pr.baseRef} at ${short(pr.baseSha)}, but ${pr.baseRef} was ` +
        `at ${short(here.pushedOnto ?? '?')} when it was merged: the build lacks what was merged ` +
        `in between. Build from ${short(here.commit)}, or have pull requests brought up to date ` +
        'before they merge (branch protection, or a merge queue).'
    )
  }
  const fork = pr.headRepository && pr.headRepository !== built.repository
  return {
    kind: 'merged pull request',
    note:
      `Built for pull request #${pr.number} at its head ${short(pr.headSha)}` +
      (fork ? ` (from the fork ${pr.headRepository})` : '') +
      ` onto ${pr.baseRef} at ${short(pr.baseSha)}, by ${describeProvenance(built)}; ` +
      `deployed from its merge, commit ${short(here.commit)}.`
  }
}

/**
 * Whether a package-dir built as `built` ships in `here`. Throws an InputError naming
 * package-dir when it does not.
 */
export async function judgeProvenance(
  built: BuildProvenance | undefined,
  here: ThisRun | undefined,
  findPullRequests: FindPullRequests
): Promise<TrustVerdict> {
  if (!here) {
    return {
      kind: 'not checked',
      note: built
        ? `Built by ${describeProvenance(built)}; not checked, since this run is not in GitHub Actions.`
        : 'Where the packages were built is not recorded, nor checked: this run is not in GitHub Actions.'
    }
  }
  if (!built) {
    throw refuse(
      'report.json does not say where it was built (repository, commit, run): it was not ' +
        `written by mode: build in a GitHub Actions run. ${REBUILD}`
    )
  }
  if (!sameRepository(built, here)) {
    throw refuse(
      `report.json was built in ${built.serverUrl}/${built.repository} (${describeProvenance(built)}), ` +
        `not in ${here.serverUrl}/${here.repository}: only packages built in this repository deploy.`
    )
  }
  if (built.event === 'pull_request_target') {
    throw refuse(
      `report.json was built by a pull_request_target run (${describeProvenance(built)}): such a ` +
        "run's commit is the base branch's, whatever code the job checked out, so its packages " +
        `never deploy. ${REBUILD}`
    )
  }
  if (built.commit === here.commit) {
    const where =
      built.runId === here.runId
        ? `this workflow run (attempt ${built.runAttempt})`
        : describeProvenance(built)
    return { kind: 'same commit', note: `Built from this commit by ${where}.` }
  }
  const trigger = here.triggeringRun
  if (trigger && trigger.runId === built.runId && trigger.commit === built.commit) {
    if (PULL_REQUEST_EVENTS.has(trigger.event) || PULL_REQUEST_EVENTS.has(built.event)) {
      throw refuse(
        `report.json was built by the pull-request run that triggered this one ` +
          `(${describeProvenance(built)}): a pull request's build deploys only from its merge. ` +
          REBUILD
      )
    }
    return {
      kind: 'triggering run',
      note:
        `Built by ${describeProvenance(built)}, the run that triggered this one; this run is ` +
        `at ${short(here.commit)}.`
    }
  }
  if (built.event === 'pull_request' && built.pullRequest) {
    return judgeMergedPullRequest(
      { ...built, pullRequest: built.pullRequest },
      here,
      findPullRequests
    )
  }
  throw refuse(
    `report.json was built from commit ${short(built.commit)} by ${describeProvenance(built)}; ` +
      `this run is at ${short(here.commit)}. ${REBUILD}`
  )
}
