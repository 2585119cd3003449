// A stand-in for GitHub's Actions cache service v2 on 127.0.0.1, as @actions/cache 6 talks to
// it: the Twirp JSON methods (CreateCacheEntry, FinalizeCacheEntryUpload,
// GetCacheEntryDownloadURL) and the blob URLs they hand out (PUT from the Azure SDK's upload,
// HEAD and ranged GET for downloads).
//
// Scopes as GitHub keeps them: an entry belongs to the ref of the run that wrote it, and a run
// reads its own ref's entries, then the default branch's. The stand-in takes the run's ref from
// its runtime token (tests give each job ACTIONS_RUNTIME_TOKEN = its ref, see `cacheJobEnv`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/'

export interface CacheEntry {
  id: number
  key: string
  version: string
  /** The ref of the run that wrote it. */
  scope: string
  data?: Buffer
  finalized: boolean
}

export interface CacheServiceStandIn {
  url: string
  entries: CacheEntry[]
  /** Every request: `<Twirp method> <key>`, or `<HTTP method> <path>` for blobs. */
  requests: string[]
  stop(): Promise<void>
}

/** What a job needs in its environment to use the stand-in as the ref `ref`. */
export function cacheJobEnv(url: string, ref: string): Record<string, string> {
  return {
    ACTIONS_CACHE_SERVICE_V2: 'true',
    ACTIONS_RESULTS_URL: `${url}/`,
    ACTIONS_CACHE_URL: `${url}/`,
    ACTIONS_RUNTIME_TOKEN: ref
  }
}

function field(body: Record<string, unknown>, camel: string, snake: string): unknown {
  return body[camel] ?? body[snake]
}

function json(response: ServerResponse, value: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(JSON.stringify(value))
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export async function startCacheService(
  defaultRef = 'refs/heads/main'
): Promise<CacheServiceStandIn> {
  const entries: CacheEntry[] = []
  const requests: string[] = []
  let url = ''

  /** Newest first, own scope before the default branch's; exact key, then key prefix. */
  function lookup(scope: string, version: string, keys: string[]): CacheEntry | undefined {
    for (const readable of [...new Set([scope, defaultRef])]) {
      const candidates = entries
        .filter((e) => e.finalized && e.scope === readable && e.version === version)
        .reverse()
      for (const key of keys) {
        const hit =
          candidates.find((e) => e.key === key) ?? candidates.find((e) => e.key.startsWith(key))
        if (hit) return hit
      }
    }
    return undefined
  }

  async function twirp(
    method: string,
    scope: string,
    request: IncomingMessage,
    response: ServerResponse
  ) {
    const body = JSON.parse((await readBody(request)).toString('utf8') || '{}') as Record<
      string,
      unknown
    >
    const key = String(body.key ?? '')
    const version = String(body.version ?? '')
    requests.push(`${method} ${key}`)
    if (method === 'CreateCacheEntry') {
      if (entries.some((e) => e.scope === scope && e.key === key && e.version === version)) {
        json(response, { ok: false, message: 'cache entry already exists' })
        return
      }
      const entry: CacheEntry = { id: entries.length + 1, key, version, scope, finalized: false }
      entries.push(entry)
      json(response, {
        ok: true,
        signed_upload_url: `${url}/devstoreaccount1/cache/${entry.id}?sig=upload`
      })
      return
    }
    if (method === 'FinalizeCacheEntryUpload') {
      const entry = entries.find(
        (e) => e.scope === scope && e.key === key && e.version === version && !e.finalized
      )
      if (!entry?.data) {
        json(response, { ok: false, message: 'nothing uploaded' })
        return
      }
      entry.finalized = true
      json(response, { ok: true, entry_id: String(entry.id) })
      return
    }
    if (method === 'GetCacheEntryDownloadURL') {
      const restoreKeys = (field(body, 'restoreKeys', 'restore_keys') as string[] | undefined) ?? []
      const hit = lookup(scope, version, [key, ...restoreKeys])
      if (!hit) {
        json(response, { ok: false, signed_download_url: '', matched_key: '' })
        return
      }
      json(response, {
        ok: true,
        signed_download_url: `${url}/devstoreaccount1/cache/${hit.id}?sig=download`,
        matched_key: hit.key
      })
      return
    }
    response.writeHead(404, { 'content-type': 'application/json' })
    response.end('{"code":"bad_route","msg":"no such method"}')
  }

  async function blob(id: number, request: IncomingMessage, response: ServerResponse) {
    const entry = entries.find((e) => e.id === id)
    if (!entry) {
      response.writeHead(404).end()
      return
    }
    if (request.method === 'PUT') {
      entry.data = await readBody(request)
      response.writeHead(201, {
        etag: `"${entry.id}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-server-encrypted': 'true'
      })
      response.end()
      return
    }
    const data = entry.data ?? Buffer.alloc(0)
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '')
    const start = range ? Number(range[1]) : 0
    const end = range && range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1
    const part = data.subarray(start, end + 1)
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'content-length': part.length,
      'accept-ranges': 'bytes',
      'x-ms-blob-type': 'BlockBlob'
    }
    if (range) headers['content-range'] = `bytes ${start}-${end}/${data.length}`
    response.writeHead(range ? 206 : 200, headers)
    response.end(request.method === 'HEAD' ? undefined : part)
  }

  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0] as string
    const scope = (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '')
    const run = async () => {
      if (request.method === 'POST' && path.startsWith(TWIRP)) {
        await twirp(path.slice(TWIRP.length), scope, request, response)
        return
      }
      requests.push(`${request.method} ${path}`)
      const blobId = /^\/devstoreaccount1\/cache\/(\d+)$/.exec(path)
      if (blobId) {
        await blob(Number(blobId[1]), request, response)
        return
      }
      response.writeHead(404).end()
    }
    run().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ msg: String(error) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    entries,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
