// The sticky pull-request comment: found again by its hidden marker, edited in place, created
// once. Best effort: a token that cannot write (forks, read-only) gives a notice, any other
// problem a warning; the step never fails here. The token only ever goes in a header.
//
// Anyone can post a comment that starts with the marker; only a comment written by the token's
// own identity is ever edited (issue 18). That identity comes from GraphQL's `viewer`, which
// answers installation tokens (GITHUB_TOKEN: `github-actions[bot]`; a GitHub App's:
// `<slug>[bot]`) and personal tokens alike, where REST `GET /user` refuses installation tokens.
import * as core from '@actions/core'
import { errorMessage } from '../errors.js'
import { GitHubApiError, apiUrlOf, githubRequest, nextPageUrl } from '../net/github-api.js'
import { fetchThrough, proxyAgents, type Fetch } from '../net/proxy-agent.js'
import { isPullRequestEvent, readEventPayload, type Env } from './base-report.js'
import { isRecord } from './report-json.js'

export interface CommentTarget {
  apiUrl: string
  owner: string
  repo: string
  issueNumber: number
}

export interface CommentResult {
  status: 'created' | 'updated' | 'unchanged' | 'skipped'
  /** The comment's html_url, when one was written or found. */
  url?: string
  /** Why it was skipped. */
  reason?: string
}

/** Enough pages for 5,000 comments; a runaway Link chain stops here. */
const MAX_PAGES = 50

/** The pull request this run comments on, or undefined when it is not a pull-request event. */
function commentTarget(
  env: Env,
  event: Record<string, unknown> | undefined
): CommentTarget | undefined {
  if (!isPullRequestEvent(env)) return undefined
  const pullRequest = isRecord(event?.pull_request) ? event.pull_request : undefined
  const number = pullRequest?.number ?? event?.number
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  if (typeof number !== 'number' || !owner || !repo) return undefined
  return { apiUrl: apiUrlOf(env), owner, repo, issueNumber: number }
}

/** `<api>/repos/<owner>/<repo>/issues`: comments are listed under an issue, edited under this. */
function issuesUrl(target: CommentTarget): string {
  return `${target.apiUrl}/repos/${encodeURIComponent(target.owner)}/${encodeURIComponent(target.repo)}/issues`
}

interface IssueComment {
  id: number
  body?: string
  html_url?: string
  user?: { login?: string; type?: string }
}

/** Who GITHUB_TOKEN writes as: assumed when the token's identity cannot be read. */
const GITHUB_TOKEN_LOGIN = 'github-actions[bot]'

/** Comments that start with the marker, oldest first, following the Link header. */
async function findMarked(
  fetchImpl: Fetch,
  token: string,
  target: CommentTarget,
  marker: string
): Promise<IssueComment[]> {
  const origin = new URL(target.apiUrl).origin
  let url: string | undefined = `${issuesUrl(target)}/${target.issueNumber}/comments?per_page=100`
  const marked: IssueComment[] = []
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const response = await githubRequest(fetchImpl, token, 'GET', url)
    for (const comment of (await response.json()) as IssueComment[]) {
      // Ours start with the marker; a reply quoting one starts with `>` and is not ours.
      if (typeof comment.body === 'string' && comment.body.trimStart().startsWith(marker)) {
        marked.push(comment)
      }
    }
    url = nextPageUrl(response.headers.get('link'))
    // The token goes to the API's own host only.
    if (url && new URL(url).origin !== origin) url = undefined
  }
  return marked
}

/** GraphQL's address: GITHUB_GRAPHQL_URL on the API's host, else beside the REST API. */
export function graphqlUrl(apiUrl: string, env: Env): string {
  const configured = env.GITHUB_GRAPHQL_URL
  if (configured) {
    try {
      if (new URL(configured).origin === new URL(apiUrl).origin) return configured
    } catch {
      // Not a URL: derive it.
    }
  }
  // api.github.com/graphql; GitHub Enterprise Server: <host>/api/v3 → <host>/api/graphql.
  return `${apiUrl.replace(/\/v3$/, '')}/graphql`
}

/** The login the token writes comments as, or undefined when GitHub does not say. */
async function tokenLogin(
  fetchImpl: Fetch,
  token: string,
  target: CommentTarget,
  env: Env
): Promise<string | undefined> {
  try {
    const url = graphqlUrl(target.apiUrl, env)
    const response = await githubRequest(fetchImpl, token, 'POST', url, {
      query: 'query { viewer { login } }'
    })
    const answer = (await response.json()) as { data?: { viewer?: { login?: unknown } } }
    const login = answer.data?.viewer?.login
    return typeof login === 'string' && login !== '' ? login : undefined
  } catch (error) {
    core.debug(`the token's identity was not read: ${errorMessage(error)}`)
    return undefined
  }
}

/** Written by `login`: the same login, and a bot's comment written by a bot. */
function isWrittenBy(comment: IssueComment, login: string): boolean {
  const author = comment.user?.login
  if (!author || author.toLowerCase() !== login.toLowerCase()) return false
  return !login.toLowerCase().endsWith('[bot]') || comment.user?.type === 'Bot'
}

/** Our comment: the oldest marked one the token's identity wrote. Others are never edited. */
async function findOwnComment(
  fetchImpl: Fetch,
  token: string,
  target: CommentTarget,
  marker: string,
  env: Env
): Promise<IssueComment | undefined> {
  const marked = await findMarked(fetchImpl, token, target, marker)
  if (marked.length === 0) return undefined
  const viewer = await tokenLogin(fetchImpl, token, target, env)
  if (!viewer) core.debug(`taking ${GITHUB_TOKEN_LOGIN}, the identity of GITHUB_TOKEN`)
  const login = viewer ?? GITHUB_TOKEN_LOGIN
  const own = marked.filter((comment) => isWrittenBy(comment, login))
  const others = marked.filter((comment) => !own.includes(comment))
  if (others.length > 0) {
    const authors = [...new Set(others.map((c) => c.user?.login ?? 'unknown'))].join(', ')
    core.info(
      `Pull-request comment: ${others.length} comment(s) by ${authors} carry this report's marker but were not written by ${login}; left alone.`
    )
  }
  return own[0]
}

export interface UpsertCommentOptions {
  /** The whole comment, marker included. */
  body: string
  /** The hidden marker that tells our comment apart (summary.ts `commentMarker`). */
  marker: string
  token: string | undefined
  env?: Env
  fetch?: Fetch
}

function skipped(reason: string, annotate: (message: string) => void): CommentResult {
  annotate(`Pull-request comment skipped: ${reason}`)
  return { status: 'skipped', reason }
}

/** Creates our comment on the pull request, or edits it when the marker finds it. Never throws. */
export async function upsertComment(options: UpsertCommentOptions): Promise<CommentResult> {
  const env = options.env ?? process.env
  // HTTPS_PROXY / NO_PROXY as for the AWS calls; GitHub Enterprise Server's GITHUB_API_URL too.
  const fetchImpl = options.fetch ?? fetchThrough(proxyAgents(env))
  const target = commentTarget(env, await readEventPayload(env))
  if (!target) {
    core.debug('no pull-request comment: this run is not for a pull request')
    return { status: 'skipped', reason: 'not a pull request' }
  }
  const token = options.token
  if (!token) return skipped('no github-token.', core.notice)
  core.setSecret(token)
  const where = `${target.owner}/${target.repo}#${target.issueNumber}`
  try {
    const existing = await findOwnComment(fetchImpl, token, target, options.marker, env)
    if (existing?.body === options.body) {
      core.info(`Pull-request comment on ${where} is up to date.`)
      return { status: 'unchanged', url: existing.html_url }
    }
    const [status, method, url] = existing
      ? (['updated', 'PATCH', `${issuesUrl(target)}/comments/${existing.id}`] as const)
      : (['created', 'POST', `${issuesUrl(target)}/${target.issueNumber}/comments`] as const)
    const response = await githubRequest(fetchImpl, token, method, url, { body: options.body })
    const comment = (await response.json()) as IssueComment
    core.info(`Pull-request comment ${status}: ${comment.html_url ?? where}`)
    return { status, url: comment.html_url }
  } catch (error) {
    if (error instanceof GitHubApiError && (error.status === 403 || error.status === 404)) {
      return skipped(
        `the token cannot write to ${where} (${error.message}). Pull requests from forks get a read-only token; elsewhere give the job \`permissions: pull-requests: write\`.`,
        core.notice
      )
    }
    const cause = error instanceof Error && error.cause ? ` (${errorMessage(error.cause)})` : ''
    return skipped(`${where}: ${errorMessage(error)}${cause}`, core.warning)
  }
}
