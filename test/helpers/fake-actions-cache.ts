// The Actions cache service on 127.0.0.1, as much of it as @actions/cache 6 uses (cache service
// v2): the Twirp calls that create, finalize and look up entries, and the blob store behind the
// signed URLs (an Azure-style single PUT up, HEAD and ranged GETs down). Entries are kept in
// memory, so one server carries a report from a run on main to a pull request's run.
//
//   const cache = await startFakeActionsCache()
//   ... runAction({ env: { ...cache.env, ... } }) ...
//   await cache.stop()
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeActionsCache {
  url: string
  /** What makes @actions/cache use this server: cache service v2, github.com (not GHES). */
  env: Record<string, string>
  /** Keys of the finalized entries. */
  keys(): string[]
  stop(): Promise<void>
}

interface Entry {
  key: string
  version: string
  blob: string
  finalized: boolean
}

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/'

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

export async function startFakeActionsCache(): Promise<FakeActionsCache> {
  const entries: Entry[] = []
  const blobs = new Map<string, Buffer>()
  let url = ''

  /** Exact key first, then each restore key as a prefix, newest entry first (as GitHub does). */
  function lookup(keys: string[], version: string): Entry | undefined {
    const usable = entries.filter((e) => e.finalized && e.version === version).reverse()
    for (const key of keys) {
      const found = usable.find((e) => e.key === key) ?? usable.find((e) => e.key.startsWith(key))
      if (found) return found
    }
    return undefined
  }

  async function twirp(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = JSON.parse((await body(req)).toString('utf8')) as Record<string, unknown>
    const key = String(request.key ?? '')
    const version = String(request.version ?? '')
    if (method === 'CreateCacheEntry') {
      if (entries.some((e) => e.key === key && e.version === version))
        return json(res, { ok: false })
      const blob = `/devstoreaccount1/cache/${entries.length + 1}`
      entries.push({ key, version, blob, finalized: false })
      return json(res, { ok: true, signed_upload_url: `${url}${blob}?sig=fake` })
    }
    if (method === 'FinalizeCacheEntryUpload') {
      const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized)
      if (!entry || !blobs.has(entry.blob)) return json(res, { ok: false })
      entry.finalized = true
      return json(res, { ok: true, entry_id: String(entries.indexOf(entry) + 1) })
    }
    if (method === 'GetCacheEntryDownloadURL') {
      const restoreKeys = Array.isArray(request.restore_keys)
        ? request.restore_keys.map(String)
        : []
      const found = lookup([key, ...restoreKeys], version)
      if (!found) return json(res, { ok: false })
      return json(res, {
        ok: true,
        signed_download_url: `${url}${found.blob}?sig=fake`,
        matched_key: found.key
      })
    }
    res.writeHead(404).end()
  }

  async function blob(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const headers = {
      'last-modified': new Date(0).toUTCString(),
      etag: '"fake"',
      'x-ms-blob-type': 'BlockBlob'
    }
    if (req.method === 'PUT') {
      blobs.set(path, await body(req))
      return void res.writeHead(201, headers).end()
    }
    const stored = blobs.get(path)
    if (!stored) return void res.writeHead(404).end()
    const range = /bytes=(\d+)-(\d*)/.exec(String(req.headers['x-ms-range'] ?? req.headers.range))
    if (req.method === 'HEAD') {
      return void res.writeHead(200, { ...headers, 'content-length': stored.length }).end()
    }
    if (!range)
      return void res.writeHead(200, { ...headers, 'content-length': stored.length }).end(stored)
    const start = Number(range[1])
    const end = range[2] ? Math.min(Number(range[2]), stored.length - 1) : stored.length - 1
    const part = stored.subarray(start, end + 1)
    res.writeHead(206, {
      ...headers,
      'content-length': part.length,
      'content-range': `bytes ${start}-${end}/${stored.length}`
    })
    res.end(part)
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const handled = path.startsWith(TWIRP)
      ? twirp(path.slice(TWIRP.length), req, res)
      : blob(req, res, path)
    handled.catch((error: unknown) => res.writeHead(500).end(String(error)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    env: {
      ACTIONS_CACHE_SERVICE_V2: 'true',
      ACTIONS_RESULTS_URL: `${url}/`,
      ACTIONS_CACHE_URL: `${url}/`,
      ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-tests',
      GITHUB_SERVER_URL: 'https://github.com'
    },
    keys: () => entries.filter((e) => e.finalized).map((e) => e.key),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
