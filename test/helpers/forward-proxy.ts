// A forward HTTP proxy on 127.0.0.1, as a company's egress proxy: CONNECT tunnels for https://
// and absolute-form requests for http://. Names under `.test` resolve nowhere, so the action can
// reach them only through here; the proxy maps them to 127.0.0.1 (same port) and refuses every
// other host, so nothing leaves loopback. It records what it was asked for and the local port of
// each of its own connections onward, which a server behind it checks requests against.
//
//   const proxy = await startForwardProxy({ credentials: { user: 'bot', password: 'pw' } })
//   ... run with HTTPS_PROXY: proxy.urlWith('bot', 'pw') ...
//   proxy.requests            // [{ method: 'CONNECT', target: 'moto.test:40123', ... }]
//   proxy.misbehave('reset')  // every connection reset from now on, open tunnels too
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'

export interface ProxyRequest {
  /** `CONNECT`, or the method of an absolute-form request. */
  method: string
  /** `host:port` asked for. */
  target: string
  /** The Proxy-Authorization header sent, if any. */
  authorization?: string
  /** What the proxy did. */
  outcome: 'tunnel' | 'forwarded' | 'refused' | 'reset' | 'unauthorized'
}

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** The proxy URL with credentials in it, as a runner's HTTPS_PROXY has them. */
  urlWith(user: string, password: string): string
  requests: ProxyRequest[]
  /** Local ports of the proxy's own connections to targets: proof a request came through here. */
  upstreamPorts: Set<number>
  /** `reset`: every connection, new and open, is reset; `pass` (the default): all go through. */
  misbehave(mode: 'reset' | 'pass'): void
  stop(): Promise<void>
}

export interface ForwardProxyOptions {
  /** Require Basic credentials (407 without them). */
  credentials?: { user: string; password: string }
}

/** Only `.test` names and 127.0.0.1 exist behind this proxy, all on loopback. */
function upstreamHost(host: string): string | undefined {
  const name = host.toLowerCase()
  return name.endsWith('.test') || name === '127.0.0.1' ? '127.0.0.1' : undefined
}

function splitTarget(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':')
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) }
}

export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const requests: ProxyRequest[] = []
  const upstreamPorts = new Set<number>()
  const open = new Set<Socket>()
  let mode: 'reset' | 'pass' = 'pass'
  const expected = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`
    : undefined

  /** Records the request; undefined when it may go on, else what was done instead. */
  function gate(req: IncomingMessage, target: string): ProxyRequest {
    const authorization = req.headers['proxy-authorization']
    const entry: ProxyRequest = {
      method: req.method ?? '',
      target,
      ...(authorization ? { authorization } : {}),
      outcome: req.method === 'CONNECT' ? 'tunnel' : 'forwarded'
    }
    if (mode === 'reset') entry.outcome = 'reset'
    else if (expected && authorization !== expected) entry.outcome = 'unauthorized'
    else if (!upstreamHost(splitTarget(target).host)) entry.outcome = 'refused'
    requests.push(entry)
    return entry
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/')
    const target = `${url.hostname}:${url.port || 80}`
    const entry = gate(req, target)
    if (entry.outcome === 'reset') return req.socket.resetAndDestroy()
    if (entry.outcome === 'unauthorized') {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end()
      return
    }
    if (entry.outcome === 'refused') return void res.writeHead(403).end('not behind this proxy')
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const onward = httpRequest(
      {
        host: upstreamHost(url.hostname),
        port: Number(url.port || 80),
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        agent: false
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    onward.on('socket', (socket) =>
      socket.on('connect', () => upstreamPorts.add(socket.localPort!))
    )
    onward.on('error', () => res.destroy())
    req.pipe(onward)
  })

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const socket = client as Socket
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    socket.on('error', () => undefined)
    const target = req.url ?? ''
    const entry = gate(req, target)
    if (entry.outcome === 'reset') return socket.resetAndDestroy()
    if (entry.outcome === 'unauthorized') {
      return socket.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n'
      )
    }
    if (entry.outcome === 'refused') return socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    const { host, port } = splitTarget(target)
    const onward = connect(port, upstreamHost(host)!, () => {
      upstreamPorts.add(onward.localPort!)
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      onward.write(head)
      onward.pipe(socket)
      socket.pipe(onward)
    })
    open.add(onward)
    onward.on('close', () => open.delete(onward))
    onward.on('error', () => socket.destroy())
    socket.on('close', () => onward.destroy())
  })

  server.on('connection', (socket: Socket) => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    urlWith: (user, password) =>
      `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    requests,
    upstreamPorts,
    misbehave(next) {
      mode = next
      if (next === 'reset') for (const socket of open) socket.resetAndDestroy()
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy()
        server.close(() => resolve())
      })
  }
}
