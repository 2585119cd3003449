// An HTTP server on 127.0.0.1 that records every request. Point AWS_ENDPOINT_URL (or
// GITHUB_API_URL) at it to prove what a run sent, or that it sent nothing at all.
//
//   const recorder = await startRecorder()          // answers 500 to everything
//   ... run with AWS_ENDPOINT_URL: recorder.url ...
//   expect(recorder.requests).toEqual([])
//   await recorder.stop()
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** Answers one request; the default answers 500 with a JSON error. */
export type RecorderHandler = (request: RecordedRequest, response: ServerResponse) => void

export interface HttpRecorder {
  /** `http://127.0.0.1:<port>` */
  url: string
  requests: RecordedRequest[]
  stop(): Promise<void>
}

export const answer500: RecorderHandler = (_request, response) => {
  response.writeHead(500, { 'content-type': 'application/json' })
  response.end('{"message":"recorder: every request fails"}')
}

export async function startRecorder(handler: RecorderHandler = answer500): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8')
      }
      requests.push(recorded)
      handler(recorded, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
