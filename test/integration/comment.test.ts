// The sticky comment against a fake GitHub API on 127.0.0.1 (REST issue comments, and GraphQL's
// `viewer` for the token's identity): created once, then edited; only ever its own.
import * as core from '@actions/core'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { graphqlUrl, upsertComment } from '../../src/report/comment.js'
import { publishComment } from '../../src/report/report.js'
import { commentMarker } from '../../src/report/summary.js'
import { runReport } from '../helpers/report-fixtures.js'

vi.mock('@actions/core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@actions/core')>()),
  debug: vi.fn(),
  info: vi.fn(),
  notice: vi.fn(),
  warning: vi.fn(),
  error: vi.fn(),
  setFailed: vi.fn(),
  setSecret: vi.fn()
}))

const TOKEN = 'ghs_fakeTokenForTheTestOnly0123456789'

interface Recorded {
  method: string
  path: string
  authorization?: string
  body?: { body?: string; query?: string }
}

interface StoredComment {
  id: number
  body: string
  user: { login: string; type: string }
  html_url: string
}

/** Issue comments of one repository, as much of the REST API as the action uses. */
class FakeGitHub {
  readonly requests: Recorded[] = []
  comments = new Map<number, StoredComment[]>()
  /** Status to answer writes with (403 for a fork's read-only token). */
  failWrites?: number
  failAll?: number
  /** Where the Link header of the first page points, to test the origin check. */
  foreignNextPage?: string
  /** Who the token is (GraphQL `viewer`), and what its comments say their author is. */
  viewer = { login: 'github-actions[bot]', type: 'Bot' }
  /** Status to answer GraphQL with, when it must fail. */
  failGraphql?: number
  private nextId = 1000
  private server?: Server
  url = ''

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }

  reset(): void {
    this.requests.length = 0
    this.comments.clear()
    this.failWrites = undefined
    this.failAll = undefined
    this.foreignNextPage = undefined
    this.viewer = { login: 'github-actions[bot]', type: 'Bot' }
    this.failGraphql = undefined
  }

  seed(issue: number, count: number, body = (i: number) => `a review comment ${i}`): void {
    const list = this.comments.get(issue) ?? []
    for (let i = 0; i < count; i++) list.push(this.comment(issue, body(i), 'a-reviewer', 'User'))
    this.comments.set(issue, list)
  }

  comment(issue: number, body: string, login: string, type: string): StoredComment {
    const id = this.nextId++
    return {
      id,
      body,
      user: { login, type },
      html_url: `https://github.com/acme/shop/pull/${issue}#issuecomment-${id}`
    }
  }

  /** Comments created (GraphQL queries aside). */
  posts(): Recorded[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path !== '/graphql')
  }

  graphqlQueries(): Recorded[] {
    return this.requests.filter((r) => r.path === '/graphql')
  }

  patches(): Recorded[] {
    return this.requests.filter((r) => r.method === 'PATCH')
  }

  private send(res: ServerResponse, status: number, body: unknown, headers = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = ''
    for await (const chunk of req) text += chunk
    const url = new URL(req.url ?? '/', this.url)
    const recorded: Recorded = {
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      ...(text ? { body: JSON.parse(text) as { body?: string; query?: string } } : {})
    }
    this.requests.push(recorded)
    if (this.failAll) return this.send(res, this.failAll, { message: 'Server Error' })

    if (url.pathname === '/graphql' && req.method === 'POST') {
      if (this.failGraphql) return this.send(res, this.failGraphql, { message: 'Bad credentials' })
      return this.send(res, 200, { data: { viewer: { login: this.viewer.login } } })
    }
    const list = /^\/repos\/acme\/shop\/issues\/(\d+)\/comments$/.exec(url.pathname)
    const one = /^\/repos\/acme\/shop\/issues\/comments\/(\d+)$/.exec(url.pathname)
    if (req.method !== 'GET' && this.failWrites) {
      return this.send(res, this.failWrites, { message: 'Resource not accessible by integration' })
    }
    if (list && req.method === 'GET') {
      const all = this.comments.get(Number(list[1])) ?? []
      const perPage = Number(url.searchParams.get('per_page') ?? 30)
      const page = Number(url.searchParams.get('page') ?? 1)
      const last = Math.max(1, Math.ceil(all.length / perPage))
      const links: string[] = []
      if (page < last) {
        links.push(`<${this.url}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"`)
        links.push(`<${this.url}${url.pathname}?per_page=${perPage}&page=${last}>; rel="last"`)
      }
      if (this.foreignNextPage && page === 1) links.push(`<${this.foreignNextPage}>; rel="next"`)
      const headers = links.length > 0 ? { Link: links.join(', ') } : {}
      return this.send(res, 200, all.slice((page - 1) * perPage, page * perPage), headers)
    }
    if (list && req.method === 'POST') {
      const issue = Number(list[1])
      const created = this.comment(
        issue,
        recorded.body?.body ?? '',
        this.viewer.login,
        this.viewer.type
      )
      this.comments.set(issue, [...(this.comments.get(issue) ?? []), created])
      return this.send(res, 201, created)
    }
    if (one && req.method === 'PATCH') {
      for (const comments of this.comments.values()) {
        const found = comments.find((c) => c.id === Number(one[1]))
        if (found) {
          found.body = recorded.body?.body ?? ''
          return this.send(res, 200, found)
        }
      }
    }
    return this.send(res, 404, { message: 'Not Found' })
  }
}

const github = new FakeGitHub()
let eventDir: string

function pullRequestEnv(number: number): Record<string, string> {
  const eventPath = join(eventDir, `event-${number}.json`)
  writeFileSync(eventPath, JSON.stringify({ action: 'synchronize', pull_request: { number } }))
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_API_URL: github.url
  }
}

function loggedText(): string {
  const calls = [core.info, core.notice, core.warning, core.debug, core.error].flatMap(
    (fn) => vi.mocked(fn).mock.calls
  )
  return calls.map((args) => args.map(String).join(' ')).join('\n')
}

beforeAll(async () => {
  await github.start()
  eventDir = mkdtempSync(join(tmpdir(), 'comment-test-'))
})

afterAll(async () => {
  await github.stop()
  rmSync(eventDir, { recursive: true, force: true })
})

beforeEach(() => github.reset())
afterEach(() => vi.clearAllMocks())

describe('sticky pull-request comment', () => {
  const marker = commentMarker('orders')
  /** Writes `body` as the comment `ownMarker` finds (orders unless told), with the test token. */
  const upsert = (env: Record<string, string>, body: string, ownMarker = marker) =>
    upsertComment({ body, marker: ownMarker, token: TOKEN, env })

  it('is created on the first run and edited, not duplicated, on the next', async () => {
    const env = pullRequestEnv(7)
    const first = await upsert(env, `${marker}\nv1`)
    expect(first.status).toBe('created')
    expect(first.url).toMatch(/^https:\/\/github\.com\/acme\/shop\/pull\/7#issuecomment-\d+$/)
    expect(github.posts().map((r) => r.path)).toEqual(['/repos/acme/shop/issues/7/comments'])

    const second = await upsert(env, `${marker}\nv2`)
    expect(second).toEqual({ status: 'updated', url: first.url })
    expect(github.posts()).toHaveLength(1)
    expect(github.patches()).toHaveLength(1)
    expect(github.patches()[0]!.path).toBe(
      `/repos/acme/shop/issues/comments/${first.url!.split('-').at(-1)}`
    )
    expect(github.comments.get(7)!.map((c) => c.body)).toEqual([`${marker}\nv2`])
  })

  it('is left alone when nothing changed', async () => {
    const env = pullRequestEnv(7)
    await upsert(env, `${marker}\nsame`)
    const again = await upsert(env, `${marker}\nsame`)
    expect(again.status).toBe('unchanged')
    expect(github.patches()).toHaveLength(0)
    expect(github.posts()).toHaveLength(1)
  })

  it('gives another function set its own comment', async () => {
    const env = pullRequestEnv(7)
    const billing = commentMarker('billing')
    await upsert(env, `${marker}\norders`)
    const other = await upsert(env, `${billing}\nbilling`, billing)
    expect(other.status).toBe('created')
    await upsert(env, `${billing}\nbilling v2`, billing)
    expect(github.comments.get(7)!.map((c) => c.body)).toEqual([
      `${marker}\norders`,
      `${billing}\nbilling v2`
    ])
    expect(github.posts()).toHaveLength(2)
  })

  it('follows pagination to find its comment among many', async () => {
    const env = pullRequestEnv(8)
    github.seed(8, 230)
    github.comments.get(8)!.push(github.comment(8, `${marker}\nold`, 'github-actions[bot]', 'Bot'))
    github.seed(8, 10)
    const result = await upsert(env, `${marker}\nnew`)
    expect(result.status).toBe('updated')
    expect(github.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
      '/repos/acme/shop/issues/8/comments?per_page=100',
      '/repos/acme/shop/issues/8/comments?per_page=100&page=2',
      '/repos/acme/shop/issues/8/comments?per_page=100&page=3'
    ])
    expect(github.posts()).toHaveLength(0)
  })

  it('never edits a comment someone else pre-posted with its marker', async () => {
    const env = pullRequestEnv(9)
    github.comments.set(9, [
      github.comment(9, `${marker}\nplanted by a visitor`, 'a-visitor', 'User'),
      // Not even one that says it is a bot's while a person wrote it.
      github.comment(9, `${marker}\nplanted again`, 'github-actions[bot]', 'User'),
      github.comment(9, `${marker}\nplanted by another app`, 'other-app[bot]', 'Bot')
    ])
    const first = await upsert(env, `${marker}\nv1`)
    expect(first.status).toBe('created')
    expect(github.patches()).toEqual([])
    expect(github.graphqlQueries()[0]!.body?.query).toBe('query { viewer { login } }')
    // The next run finds its own comment among the planted ones and edits that one only.
    const second = await upsert(env, `${marker}\nv2`)
    expect(second).toEqual({ status: 'updated', url: first.url })
    expect(github.comments.get(9)!.map((c) => c.body)).toEqual([
      `${marker}\nplanted by a visitor`,
      `${marker}\nplanted again`,
      `${marker}\nplanted by another app`,
      `${marker}\nv2`
    ])
    expect(loggedText()).toContain(
      'Pull-request comment: 3 comment(s) by a-visitor, github-actions[bot], other-app[bot] carry ' +
        "this report's marker but were not written by github-actions[bot]; left alone."
    )
  })

  it.each([
    ['a GitHub App token', { login: 'acme-deployer[bot]', type: 'Bot' }],
    ['a personal access token', { login: 'release-manager', type: 'User' }]
  ])('knows its own comments with %s (GraphQL viewer)', async (_kind, viewer) => {
    const env = pullRequestEnv(12)
    github.viewer = viewer
    github.comments.set(12, [
      github.comment(12, `${marker}\nby GITHUB_TOKEN`, 'github-actions[bot]', 'Bot'),
      github.comment(12, `${marker}\nold`, viewer.login, viewer.type)
    ])
    expect((await upsert(env, `${marker}\nnew`)).status).toBe('updated')
    expect(github.comments.get(12)!.map((c) => c.body)).toEqual([
      `${marker}\nby GITHUB_TOKEN`,
      `${marker}\nnew`
    ])
  })

  it("takes GITHUB_TOKEN's identity when GraphQL does not answer", async () => {
    const env = pullRequestEnv(13)
    github.failGraphql = 401
    github.comments.set(13, [
      github.comment(13, `${marker}\nplanted`, 'a-visitor', 'User'),
      github.comment(13, `${marker}\nold`, 'github-actions[bot]', 'Bot')
    ])
    expect((await upsert(env, `${marker}\nnew`)).status).toBe('updated')
    expect(github.comments.get(13)!.map((c) => c.body)).toEqual([
      `${marker}\nplanted`,
      `${marker}\nnew`
    ])
  })

  it('asks no identity when no comment carries the marker', async () => {
    await upsert(pullRequestEnv(14), `${marker}\nv1`)
    expect(github.graphqlQueries()).toEqual([])
  })

  it('sends GraphQL to the API host only, whatever GITHUB_GRAPHQL_URL says', async () => {
    const foreign = new FakeGitHub()
    await foreign.start()
    try {
      const env = { ...pullRequestEnv(15), GITHUB_GRAPHQL_URL: `${foreign.url}/graphql` }
      github.comments.set(15, [github.comment(15, `${marker}\nold`, 'github-actions[bot]', 'Bot')])
      expect((await upsert(env, `${marker}\nnew`)).status).toBe('updated')
      expect(foreign.requests).toEqual([])
      expect(github.graphqlQueries()).toHaveLength(1)
    } finally {
      await foreign.stop()
    }
  })

  it('never edits a reply that quotes the marker', async () => {
    const env = pullRequestEnv(10)
    github.comments.set(10, [
      github.comment(10, `> ${marker}\n> old\n\nwhy?`, 'a-reviewer', 'User')
    ])
    expect((await upsert(env, `${marker}\nnew`)).status).toBe('created')
    expect(github.patches()).toEqual([])
  })

  it('carries the token in the Authorization header and never logs it', async () => {
    const env = pullRequestEnv(7)
    await upsert(env, `${marker}\nv1`)
    await upsert(env, `${marker}\nv2`)
    github.failWrites = 403
    await upsert(env, `${marker}\nv3`)
    expect(github.requests.length).toBeGreaterThanOrEqual(5)
    for (const request of github.requests) expect(request.authorization).toBe(`Bearer ${TOKEN}`)
    expect(vi.mocked(core.setSecret)).toHaveBeenCalledWith(TOKEN)
    expect(loggedText()).not.toContain(TOKEN)
  })

  it.each([403, 404])('turns a %d (fork, read-only token) into a notice', async (status) => {
    github.failWrites = status
    const result = await upsert(pullRequestEnv(7), `${marker}\nv1`)
    expect(result.status).toBe('skipped')
    expect(vi.mocked(core.notice)).toHaveBeenCalledTimes(1)
    expect(String(vi.mocked(core.notice).mock.calls[0]![0])).toBe(
      `Pull-request comment skipped: the token cannot write to acme/shop#7 (POST /repos/acme/shop/issues/7/comments returned ${status}: Resource not accessible by integration). Pull requests from forks get a read-only token; elsewhere give the job \`permissions: pull-requests: write\`.`
    )
    expect(vi.mocked(core.warning)).not.toHaveBeenCalled()
    expect(vi.mocked(core.setFailed)).not.toHaveBeenCalled()
  })

  it('turns a server error into a warning, never a failure', async () => {
    github.failAll = 502
    const result = await upsert(pullRequestEnv(7), marker)
    expect(result.status).toBe('skipped')
    expect(String(vi.mocked(core.warning).mock.calls[0]![0])).toContain('returned 502')
    expect(vi.mocked(core.setFailed)).not.toHaveBeenCalled()
  })

  it('turns an unreachable API into a warning', async () => {
    const env = { ...pullRequestEnv(7), GITHUB_API_URL: 'http://127.0.0.1:1' }
    const result = await upsert(env, marker)
    expect(result.status).toBe('skipped')
    expect(vi.mocked(core.warning)).toHaveBeenCalledTimes(1)
  })

  it('does not send the token to a next page on another host', async () => {
    const foreign = new FakeGitHub()
    await foreign.start()
    try {
      github.foreignNextPage = `${foreign.url}/repos/acme/shop/issues/7/comments?page=2`
      const result = await upsert(pullRequestEnv(7), marker)
      expect(result.status).toBe('created')
      expect(foreign.requests).toEqual([])
    } finally {
      await foreign.stop()
    }
  })

  it('does nothing outside pull requests, or without a token', async () => {
    const push = { ...pullRequestEnv(7), GITHUB_EVENT_NAME: 'push' }
    expect(await upsert(push, marker)).toEqual({
      status: 'skipped',
      reason: 'not a pull request'
    })
    const noToken = await upsertComment({
      body: marker,
      marker,
      token: undefined,
      env: pullRequestEnv(7)
    })
    expect(noToken.status).toBe('skipped')
    expect(github.requests).toEqual([])
  })

  it('posts the rendered report with its marker (publishComment)', async () => {
    const report = runReport('pull-request', { id: 'f00dfeed0001', baseBranch: 'main' })
    const result = await publishComment(report, TOKEN, pullRequestEnv(11))
    expect(result.status).toBe('created')
    const body = github.comments.get(11)![0]!.body
    expect(body.startsWith('<!-- lambda-python-deploy:f00dfeed0001 -->\n')).toBe(true)
    expect(body).toContain('| ✅ arm64 | 17.3 MB | 47.7 MB | 214.4 MB (81.8% free) |')
  })
})

describe('graphqlUrl', () => {
  it.each([
    ['https://api.github.com', {}, 'https://api.github.com/graphql'],
    ['https://ghe.corp/api/v3', {}, 'https://ghe.corp/api/graphql'],
    [
      'https://ghe.corp/api/v3',
      { GITHUB_GRAPHQL_URL: 'https://ghe.corp/api/graphql' },
      'https://ghe.corp/api/graphql'
    ],
    [
      'https://api.github.com',
      { GITHUB_GRAPHQL_URL: 'https://elsewhere.example/graphql' },
      'https://api.github.com/graphql'
    ]
  ])('%s with %j → %s', (apiUrl, env, expected) => {
    expect(graphqlUrl(apiUrl, env)).toBe(expected)
  })
})
