// A loopback HTTP server standing in for the presigned S3 URL GetFunction returns for a version's
// code (Code.Location): it serves the zip at a path with a signature-like query, and records
// each request. Tests that restore $LATEST point GetFunction here; nothing leaves 127.0.0.1.
//
//   const server = await startCodeServer()
//   const url = server.serve('orders-1', zipBytes)   // http://127.0.0.1:<port>/orders-1?X-Amz-Signature=…
//   ... server.requests  // ['/orders-1?X-Amz-Signature=…']
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface CodeServer {
  /** Serves `body` at `/<name>` and returns its URL, as a presigned one looks. */
  serve(name: string, body: Uint8Array, options?: { status?: number }): string
  /** Paths (with queries) asked for, in order. */
  requests: string[]
  stop(): Promise<void>
}

export async function startCodeServer(): Promise<CodeServer> {
  const files = new Map<string, { body: Uint8Array; status: number }>()
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const file = files.get(path)
    if (!file) return void res.writeHead(404).end('NoSuchKey')
    if (file.status !== 200) return void res.writeHead(file.status).end('AccessDenied')
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': String(file.body.length)
    })
    res.end(file.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    requests,
    serve(name, body, options = {}) {
      files.set(`/${name}`, { body, status: options.status ?? 200 })
      return `http://127.0.0.1:${port}/${name}?X-Amz-Expires=600&X-Amz-Signature=test-signature`
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
