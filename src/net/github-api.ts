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
