// A fault-injecting HTTP proxy on 127.0.0.1 in front of moto. Every request is named by its AWS
// operation (PublishVersion, UploadPart, ...) and recorded; rules answer the first N matching
// requests with an AWS-shaped error, reset the connection part-way through the request body,
// or hold the request (before or after moto saw it) until the test lets it go or kills the run.
//
//   const proxy = await startFaultProxy(moto.url)
//   proxy.inject({ operation: 'PublishVersion' }, { kind: 'error', status: 429 }, { times: 2 })
//   proxy.inject({ operation: 'UploadPart' }, { kind: 'reset', afterBytes: 1 << 20 })
//   const held = proxy.inject({ operation: 'PublishVersion' }, { kind: 'hold', forward: true })
//   await held.reached                       // moto has published; the answer is held back
//   ... run with env { ...proxy.env } (AWS_ENDPOINT_URL = the proxy) ...
//   proxy.count({ operation: 'AbortMultipartUpload' })
//   proxy.clear()                            // rules off, held requests let go
import { randomUUID } from 'node:crypto'
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { motoEnv } from './moto.js'

export interface ProxiedRequest {
  /** Order of arrival, from 1. */
  seq: number
  method: string
  path: string
  query: URLSearchParams
  /** From the SigV4 credential scope: `lambda`, `s3`, `iam`; `moto` for /moto-api. */
  service: string
  /** `PublishVersion`, `UploadPart`, ...; `Unknown` when the path is not one we name. */
  operation: string
  /** X-Amz-Target, for JSON-protocol services. */
  target?: string
  headers: IncomingHttpHeaders
  /** Status sent back, or what happened instead. */
  outcome?: number | 'reset' | 'dropped'
  /** Description of the rule that touched this request. */
  fault?: string
}

/** Every field given must match; `path` as a substring or a pattern. */
export interface RequestMatch {
  service?: string
  operation?: string
  method?: string
  path?: string | RegExp
  /** A query parameter that must be present (`uploads`, `partNumber`). */
  query?: string
  target?: string
  /** Anything else. */
  where?: (request: ProxiedRequest) => boolean
}

export type FaultAction =
  /** An AWS-shaped error (JSON for Lambda, XML for S3) with this status and error code. */
  | { kind: 'error'; status: number; code?: string; message?: string }
  /** Forwards `afterBytes` of the request body to moto, then destroys both connections. */
  | { kind: 'reset'; afterBytes: number }
  /**
   * Holds the request: `forward: false` before moto sees it, `forward: true` after moto has
   * answered (the change is made, the caller never hears of it). Let go by `release()` or
   * `clear()`, or dropped when the caller goes away (a killed run).
   */
  | { kind: 'hold'; forward: boolean }

export interface FaultOptions {
  /** Matching requests the rule applies to, after `skip`; 1 by default. */
  times?: number
  /** Matching requests let through untouched first. */
  skip?: number
}

export interface Fault {
  /** Requests the rule has applied to so far. */
  readonly hits: number
  /** Resolves with the first request the rule applied to (for holds: once it is held). */
  readonly reached: Promise<ProxiedRequest>
  /** Lets held requests go on (forwarded, or their held answer sent) and stops the rule. */
  release(): void
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** motoEnv pointed at the proxy: AWS_ENDPOINT_URL, dummy credentials, region. */
  env: Record<string, string>
  /** Every request so far, in order of arrival. */
  requests: ProxiedRequest[]
  inject(match: RequestMatch, action: FaultAction, options?: FaultOptions): Fault
  /** Requests so far that match. */
  count(match: RequestMatch): number
  /** What each matching request got, in order: its status (`ok` for any 2xx), or `reset`. */
  outcomes(match: RequestMatch): (number | 'ok' | 'reset' | 'dropped' | undefined)[]
  /** Removes every rule and lets held requests go. */
  clear(): void
  /** Forgets the recorded requests (rules stay). */
  forget(): void
  stop(): Promise<void>
}

const LAMBDA_ROUTES: [method: string, pattern: RegExp, operation: string][] = [
  ['GET', /^\/2015-03-31\/functions\/?$/, 'ListFunctions'],
  ['POST', /^\/2015-03-31\/functions\/?$/, 'CreateFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'GetFunction'],
  ['DELETE', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'DeleteFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'GetFunctionConfiguration'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'UpdateFunctionConfiguration'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/code$/, 'UpdateFunctionCode'],
  ['POST', /^\/2015-03-31\/functions\/[^/]+\/versions$/, 'PublishVersion'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/versions$/, 'ListVersionsByFunction'],
  ['POST', /^\/2015-03-31\/functions\/[^/]+\/aliases$/, 'CreateAlias'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/aliases$/, 'ListAliases'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+$/, 'GetAlias'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+$/, 'UpdateAlias'],
  ['POST', /^\/2015-03-31\/functions\/[^/]+\/invocations$/, 'Invoke'],
  ['GET', /^\/2018-10-31\/layers\/?$/, 'ListLayers'],
  ['GET', /^\/2018-10-31\/layers\/[^/]+\/versions$/, 'ListLayerVersions'],
  ['POST', /^\/2018-10-31\/layers\/[^/]+\/versions$/, 'PublishLayerVersion'],
  ['GET', /^\/2018-10-31\/layers\/[^/]+\/versions\/\d+$/, 'GetLayerVersion'],
  ['DELETE', /^\/2018-10-31\/layers\/[^/]+\/versions\/\d+$/, 'DeleteLayerVersion']
]

/** Path-style S3 (`/<bucket>/<key>`), as the action uses with an endpoint override. */
function s3Operation(method: string, path: string, query: URLSearchParams): string {
  const [, , ...keyParts] = path.split('/')
  const hasKey = keyParts.join('/') !== ''
  if (!hasKey) {
    if (method === 'GET' && query.has('uploads')) return 'ListMultipartUploads'
    if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects'
    if (method === 'PUT') return 'CreateBucket'
    if (method === 'HEAD') return 'HeadBucket'
    if (method === 'DELETE') return 'DeleteBucket'
    return 'Unknown'
  }
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload'
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload'
  if (method === 'PUT' && query.has('partNumber')) return 'UploadPart'
  if (method === 'PUT') return 'PutObject'
  if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload'
  if (method === 'DELETE') return 'DeleteObject'
  if (method === 'GET' && query.has('uploadId')) return 'ListParts'
  if (method === 'GET') return 'GetObject'
  return 'Unknown'
}

/** The service a SigV4 request is signed for: `Credential=AKID/date/region/<service>/aws4_request`. */
function serviceOf(headers: IncomingHttpHeaders, path: string): string {
  if (path.startsWith('/moto-api')) return 'moto'
  const scope = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\/aws4_request/.exec(
    headers.authorization ?? ''
  )
  return scope?.[1] ?? 'unknown'
}

export function describeRequest(
  method: string,
  rawUrl: string,
  headers: IncomingHttpHeaders
): Pick<ProxiedRequest, 'method' | 'path' | 'query' | 'service' | 'operation' | 'target'> {
  const url = new URL(rawUrl, 'http://proxy')
  const path = url.pathname
  const service = serviceOf(headers, path)
  const target = typeof headers['x-amz-target'] === 'string' ? headers['x-amz-target'] : undefined
  let operation = 'Unknown'
  if (service === 'lambda') {
    operation =
      LAMBDA_ROUTES.find(([m, pattern]) => m === method && pattern.test(path))?.[2] ?? 'Unknown'
  } else if (service === 's3') {
    operation = s3Operation(method, path, url.searchParams)
  } else if (target) {
    operation = target.split('.').pop() ?? 'Unknown'
  } else if (url.searchParams.has('Action')) {
    operation = url.searchParams.get('Action') ?? 'Unknown'
  }
  return {
    method,
    path,
    query: url.searchParams,
    service,
    operation,
    ...(target ? { target } : {})
  }
}

export function matches(request: ProxiedRequest, match: RequestMatch): boolean {
  if (match.service !== undefined && request.service !== match.service) return false
  if (match.operation !== undefined && request.operation !== match.operation) return false
  if (match.method !== undefined && request.method !== match.method) return false
  if (match.target !== undefined && request.target !== match.target) return false
  if (match.query !== undefined && !request.query.has(match.query)) return false
  if (typeof match.path === 'string' && !request.path.includes(match.path)) return false
  if (match.path instanceof RegExp && !match.path.test(request.path)) return false
  return !match.where || match.where(request)
}

const DEFAULT_CODES: Record<string, Record<number, [code: string, message: string]>> = {
  lambda: {
    403: ['AccessDeniedException', 'Access denied'],
    429: ['TooManyRequestsException', 'Rate exceeded'],
    500: ['ServiceException', 'An internal error occurred. Please try again.'],
    502: ['ServiceException', 'Bad gateway'],
    503: ['ServiceException', 'Service unavailable. Please try again.']
  },
  s3: {
    403: ['AccessDenied', 'Access Denied'],
    429: ['SlowDown', 'Please reduce your request rate.'],
    500: ['InternalError', 'We encountered an internal error. Please try again.'],
    502: ['InternalError', 'Bad gateway'],
    503: ['SlowDown', 'Please reduce your request rate.']
  }
}

/** The error body and headers the service itself would send. */
function sendError(
  request: ProxiedRequest,
  res: ServerResponse,
  action: Extract<FaultAction, { kind: 'error' }>
): string {
  const defaults = DEFAULT_CODES[request.service === 's3' ? 's3' : 'lambda']?.[action.status]
  const code = action.code ?? defaults?.[0] ?? 'ServiceException'
  const message = action.message ?? defaults?.[1] ?? `HTTP ${action.status}`
  const requestId = randomUUID()
  if (request.service === 's3') {
    // HEAD answers carry no body: the SDK names the error from the status.
    const body =
      request.method === 'HEAD'
        ? ''
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
          `<Message>${message}</Message><RequestId>${requestId}</RequestId>` +
          `<HostId>fault-proxy</HostId></Error>`
    res.writeHead(action.status, {
      'content-type': 'application/xml',
      'x-amz-request-id': requestId,
      'content-length': Buffer.byteLength(body)
    })
    res.end(body)
  } else {
    const body = JSON.stringify({
      Type: action.status >= 500 ? 'Service' : 'User',
      message,
      ...(action.status === 429 ? { Reason: 'CallerRateLimitExceeded' } : {})
    })
    res.writeHead(action.status, {
      'content-type': 'application/json',
      'x-amzn-errortype': code,
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(body)
    })
    res.end(body)
  }
  return `${action.status} ${code}`
}

interface Rule {
  match: RequestMatch
  action: FaultAction
  times: number
  skip: number
  seen: number
  hits: number
  released: boolean
  /** Held requests waiting for release. */
  waiting: (() => void)[]
  reach: (request: ProxiedRequest) => void
  reached: Promise<ProxiedRequest>
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream)
  const requests: ProxiedRequest[] = []
  let rules: Rule[] = []
  let seq = 0

  /** Sends the request to moto; `afterBytes` cuts the body there and resets both sides. */
  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    record: ProxiedRequest,
    options: { afterBytes?: number; holdAnswer?: (send: () => void) => void } = {}
  ): void {
    const upstreamReq = httpRequest({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      // This side answers 100-continue itself; moto gets the body straight away.
      headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'expect'))
    })
    upstreamReq.on('response', (upstreamRes) => {
      const send = (): void => {
        if (res.destroyed) {
          upstreamRes.resume()
          record.outcome = 'dropped'
          return
        }
        record.outcome = upstreamRes.statusCode ?? 0
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers)
        upstreamRes.pipe(res)
      }
      if (options.holdAnswer) {
        // Read moto's whole answer first: the change is made before the hold begins.
        const chunks: Buffer[] = []
        upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk))
        upstreamRes.on('end', () =>
          options.holdAnswer!(() => {
            if (res.destroyed) {
              record.outcome = 'dropped'
              return
            }
            record.outcome = upstreamRes.statusCode ?? 0
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers)
            res.end(Buffer.concat(chunks))
          })
        )
      } else {
        send()
      }
    })
    // The caller went away (a killed run) before its request was whole: so does moto's copy.
    req.on('close', () => {
      if (!req.complete) upstreamReq.destroy()
    })
    upstreamReq.on('error', () => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502)
        res.end()
      }
    })
    const limit = options.afterBytes
    if (limit === undefined) {
      req.pipe(upstreamReq)
      return
    }
    let sent = 0
    req.on('data', (chunk: Buffer) => {
      if (sent >= limit) return
      const part = chunk.subarray(0, limit - sent)
      sent += part.length
      upstreamReq.write(part)
      if (sent >= limit) {
        record.outcome = 'reset'
        upstreamReq.destroy()
        req.socket.destroy()
      }
    })
    req.on('end', () => {
      if (sent < limit) upstreamReq.end()
    })
  }

  const server = createServer((req, res) => {
    const record: ProxiedRequest = {
      seq: ++seq,
      ...describeRequest(req.method ?? 'GET', req.url ?? '/', req.headers),
      headers: req.headers
    }
    requests.push(record)
    res.on('close', () => {
      if (record.outcome === undefined && !res.writableFinished) record.outcome = 'dropped'
    })

    // Each rule counts the requests it matches; the first rule with a turn left applies.
    let rule: Rule | undefined
    for (const candidate of rules) {
      if (candidate.released || !matches(record, candidate.match)) continue
      candidate.seen++
      if (!rule && candidate.seen > candidate.skip && candidate.hits < candidate.times) {
        rule = candidate
      }
    }
    if (!rule) {
      forward(req, res, record)
      return
    }
    rule.hits++
    const { action } = rule
    if (action.kind === 'error') {
      // Read the body first, so the caller is not cut off while still sending it.
      req.resume()
      req.on('end', () => {
        record.fault = sendError(record, res, action)
        record.outcome = action.status
        rule.reach(record)
      })
    } else if (action.kind === 'reset') {
      record.fault = `reset after ${action.afterBytes} bytes`
      forward(req, res, record, { afterBytes: action.afterBytes })
      rule.reach(record)
    } else if (action.forward) {
      record.fault = 'held after forwarding'
      forward(req, res, record, {
        holdAnswer: (send) => {
          if (rule.released) return send()
          rule.waiting.push(send)
          rule.reach(record)
        }
      })
    } else {
      record.fault = 'held before forwarding'
      req.pause()
      rule.waiting.push(() => {
        if (res.destroyed) {
          record.outcome = 'dropped'
          return
        }
        forward(req, res, record)
      })
      rule.reach(record)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`

  function release(rule: Rule): void {
    rule.released = true
    for (const go of rule.waiting.splice(0)) go()
  }

  return {
    url,
    env: motoEnv(url),
    requests,
    inject(match, action, options = {}) {
      let reach!: (request: ProxiedRequest) => void
      const reached = new Promise<ProxiedRequest>((resolve) => (reach = resolve))
      const rule: Rule = {
        match,
        action,
        times: options.times ?? 1,
        skip: options.skip ?? 0,
        seen: 0,
        hits: 0,
        released: false,
        waiting: [],
        reach,
        reached
      }
      rules.push(rule)
      return {
        get hits() {
          return rule.hits
        },
        reached,
        release: () => release(rule)
      }
    },
    count: (match) => requests.filter((r) => matches(r, match)).length,
    outcomes: (match) =>
      requests
        .filter((r) => matches(r, match))
        .map((r) => (typeof r.outcome === 'number' && r.outcome < 300 ? 'ok' : r.outcome)),
    clear() {
      for (const rule of rules) release(rule)
      rules = []
    },
    forget() {
      requests.length = 0
    },
    stop() {
      for (const rule of rules) release(rule)
      return new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
    }
  }
}
