// GitHub's REST and GraphQL API, as much as the action uses: the sticky comment, and the pull
// request a deployed package-dir was built for. The token only ever goes in the Authorization
// header, to the API's own host.
import { USER_AGENT } from '../constants.js'
import type { Fetch } from './proxy-agent.js'

const REQUEST_TIMEOUT_MS = 30_000

export type Env = Record<string, string | undefined>

export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

/** `https://api.github.com`, or GitHub Enterprise Server's `GITHUB_API_URL`, no trailing slash. */
export function apiUrlOf(env: Env): string {
  return (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '')
}

/** One API call; a status outside 2xx throws a GitHubApiError with GitHub's message. */
export async function githubRequest(
  fetchImpl: Fetch,
  token: string,
  method: string,
  url: string,
  body?: unknown
): Promise<Response> {
  const response = await fetchImpl(url, {
    method,
    headers: {
      Accept: 'application/vnd.github+json',
      Authorization: `Bearer ${token}`,
      'User-Agent': USER_AGENT,
      'X-GitHub-Api-Version': '2022-11-28',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  })
  if (!response.ok) {
    let detail = ''
    try {
      const json = (await response.json()) as { message?: unknown }
      if (typeof json.message === 'string') detail = `: ${json.message}`
    } catch {
      // The status says enough.
    }
    throw new GitHubApiError(
      response.status,
      `${method} ${new URL(url).pathname} returned ${response.status}${detail}`
    )
  }
  return response
}

/** The `rel="next"` URL of a Link header. */
export function nextPageUrl(link: string | null): string | undefined {
  if (!link) return undefined
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part)
    if (match) return match[1]
  }
  return undefined
}

/** What the deploy's provenance check needs of a pull request associated with a commit. */
export interface PullRequestOfCommit {
  number: number
  mergedAt?: string
  mergeCommitSha?: string
  headSha?: string
}

/** A pull request as `GET /repos/{owner}/{repo}/commits/{sha}/pulls` lists it. */
interface CommitPullRequest {
  number?: unknown
  merged_at?: unknown
  merge_commit_sha?: unknown
  head?: { sha?: unknown }
}

/**
 * The pull requests GitHub associates with a commit of this repository (GITHUB_REPOSITORY):
 * for a merge commit, the pull request it merged. Throws when the API does not answer.
 */
export async function pullRequestsOfCommit(
  fetchImpl: Fetch,
  token: string,
  env: Env,
  commit: string
): Promise<PullRequestOfCommit[]> {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  const url =
    `${apiUrlOf(env)}/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(repo ?? '')}` +
    `/commits/${encodeURIComponent(commit)}/pulls?per_page=100`
  const response = await githubRequest(fetchImpl, token, 'GET', url)
  const listed = (await response.json()) as CommitPullRequest[]
  if (!Array.isArray(listed)) throw new Error('the answer is not a list of pull requests')
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined)
  return listed.flatMap((pr) =>
    typeof pr.number === 'number'
      ? [
          {
            number: pr.number,
            ...(str(pr.merged_at) ? { mergedAt: str(pr.merged_at) } : {}),
            ...(str(pr.merge_commit_sha) ? { mergeCommitSha: str(pr.merge_commit_sha) } : {}),
            ...(str(pr.head?.sha) ? { headSha: str(pr.head?.sha) } : {})
          }
        ]
      : []
  )
}
