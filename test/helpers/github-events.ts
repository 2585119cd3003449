// The environment GitHub gives a step for a push to main and for a pull request: event name,
// ref, commit and the webhook payload file the action reads.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const REPOSITORY = 'acme/shop'

function common(runId: string): Record<string, string> {
  return {
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: runId
  }
}

/** A push to main, the default branch, at `sha`. */
export function pushToMainEnv(dir: string, sha: string, runId = '1001'): Record<string, string> {
  const event = join(dir, 'push-event.json')
  writeFileSync(
    event,
    JSON.stringify({ ref: 'refs/heads/main', repository: { default_branch: 'main' } })
  )
  return {
    ...common(runId),
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: event,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: sha
  }
}

/** Pull request `number` into main, its comments served by `apiUrl`. */
export function pullRequestEnv(
  dir: string,
  number: number,
  apiUrl: string,
  runId = '1002'
): Record<string, string> {
  const event = join(dir, `pull-request-${number}-event.json`)
  writeFileSync(event, JSON.stringify({ number, pull_request: { number, base: { ref: 'main' } } }))
  return {
    ...common(runId),
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_REF: `refs/pull/${number}/merge`,
    GITHUB_BASE_REF: 'main',
    GITHUB_HEAD_REF: 'feature',
    GITHUB_API_URL: apiUrl
  }
}
