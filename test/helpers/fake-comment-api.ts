// The smallest GitHub REST API a run's pull-request comment needs, on 127.0.0.1: a pull request
// with no comments yet, and the comments the run posts. (test/integration/comment.test.ts has the
// fuller fake, with pagination, edits and failures.)
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeCommentApi {
  /** For GITHUB_API_URL. */
  url: string
  /** Bodies of the comments posted, in order. */
  posted: string[]
  stop(): Promise<void>
}

export async function startFakeCommentApi(): Promise<FakeCommentApi> {
  const posted: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
      const comments = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(path)
      res.setHeader('content-type', 'application/json')
      if (comments && req.method === 'GET') return void res.end('[]')
      if (comments && req.method === 'POST') {
        const { body } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { body: string }
        posted.push(body)
        const id = posted.length
        return void res
          .writeHead(201)
          .end(JSON.stringify({ id, body, html_url: `https://github.com/comment/${id}` }))
      }
      res.writeHead(404).end('{"message":"Not Found"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posted,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
