// What kind of run this is, from the runner's variables and the event payload: a pull request,
// a run on the default branch, or anything else; and, from that, whether the Actions cache may
// be written. The size report (report/base-report.ts), the comment and the stores read it.
import * as core from '@actions/core'
import { readFile } from 'node:fs/promises'
import { errorMessage } from './errors.js'
import { isRecord } from './report/report-json.js'

type Env = Readonly<Record<string, string | undefined>>

export type RunKind =
  | { kind: 'default-branch'; branch: string; sha: string }
  | { kind: 'pull-request'; baseBranch: string }
  | { kind: 'other' }

function record(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined
}

/** The webhook payload GitHub wrote for this run, or undefined when there is none to read. */
export async function readEventPayload(env: Env): Promise<Record<string, unknown> | undefined> {
  if (!env.GITHUB_EVENT_PATH) return undefined
  try {
    return record(JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')))
  } catch (error) {
    core.debug(`event payload not read: ${errorMessage(error)}`)
    return undefined
  }
}

/** A `pull_request` or `pull_request_target` run. */
export function isPullRequestEvent(env: Env): boolean {
  return env.GITHUB_EVENT_NAME === 'pull_request' || env.GITHUB_EVENT_NAME === 'pull_request_target'
}

/** The repository's default branch, from the payload (a scheduled run runs on it). */
function defaultBranchRef(
  env: Env,
  event: Record<string, unknown> | undefined
): string | undefined {
  const name = record(event?.repository)?.default_branch
  if (typeof name === 'string') return `refs/heads/${name}`
  return env.GITHUB_EVENT_NAME === 'schedule' ? env.GITHUB_REF : undefined
}

/** A pull request (and its base branch), a run on the default branch, or anything else. */
export function runKind(env: Env, event: Record<string, unknown> | undefined): RunKind {
  if (isPullRequestEvent(env)) {
    const base = record(record(event?.pull_request)?.base)
    const baseBranch = env.GITHUB_BASE_REF || (typeof base?.ref === 'string' ? base.ref : '')
    return baseBranch ? { kind: 'pull-request', baseBranch } : { kind: 'other' }
  }
  const defaultRef = defaultBranchRef(env, event)
  const ref = env.GITHUB_REF ?? ''
  if (defaultRef !== undefined && ref === defaultRef && env.GITHUB_SHA) {
    return { kind: 'default-branch', branch: ref.slice('refs/heads/'.length), sha: env.GITHUB_SHA }
  }
  return { kind: 'other' }
}

export type CacheSaveDecision = { save: true } | { save: false; reason: string }

/**
 * Whether this run may write the Actions cache. An entry lands in the scope of the run's ref,
 * and a run reads its own ref's scope and the default branch's. So:
 * - a run on the default branch saves (deploys on it restore what it saved);
 * - a `pull_request` run saves into its pull request's own scope (refs/pull/<n>/merge), which no
 *   run on a branch restores from;
 * - a `pull_request_target` run never saves: it runs in the base branch's scope, with the pull
 *   request's code when a workflow checks out its head, and deploys restore from that scope;
 * - any other run (another branch, a tag, a merge queue) never saves: a deploy on that ref would
 *   restore what it wrote.
 */
export function cacheSaveDecision(
  env: Env,
  event: Record<string, unknown> | undefined
): CacheSaveDecision {
  const name = env.GITHUB_EVENT_NAME ?? ''
  if (name === 'pull_request_target') {
    return {
      save: false,
      reason:
        'a pull_request_target run writes into the base branch cache scope, which deploys restore from'
    }
  }
  if (name === 'pull_request') return { save: true }
  const defaultRef = defaultBranchRef(env, event)
  const ref = env.GITHUB_REF ?? ''
  if (defaultRef !== undefined && ref === defaultRef) return { save: true }
  return {
    save: false,
    reason:
      defaultRef === undefined
        ? `the default branch is not known here (no event payload names it), and a deploy on ${ref || 'this ref'} would restore what this run saved`
        : `${ref || 'this run'} is not the default branch (${defaultRef}): a deploy on it would restore what this run saved`
  }
}
