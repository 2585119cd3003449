// The HTTP agents every request of the action goes through (the AWS SDK's handler, the GitHub
// API): per connection, proxy-env.ts decides between the proxy the environment names and a
// direct connection. The proxy protocol itself (CONNECT tunnels for https://, absolute-form
// requests for http://) is https-proxy-agent's and http-proxy-agent's. Failures through a proxy
// name the proxy (never its credentials) and the host, and keep the error code (ECONNRESET) the
// SDK's retry policy reads.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Duplex } from 'node:stream'
import { Agent, type AgentConnectOpts } from 'agent-base'
import { HttpProxyAgent } from 'http-proxy-agent'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { errorMessage } from '../errors.js'
import { proxyFor, redactedProxy, type Env, type ProxyChoice } from './proxy-env.js'

/** As the SDK's own default agents: connections kept and reused, at most 50 per host. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 50 }

/** `host:port` → what the user reads after "through the proxy ...". */
export function throughProxy(choice: ProxyChoice, target: string): string {
  return `${target} through the proxy ${redactedProxy(choice.url)} (from ${choice.variable})`
}

const WAY_OUT =
  'check that the proxy is running and lets this host through, or list the host in NO_PROXY ' +
  'to reach it directly'

/** Certificate errors through a tunnel: most often a proxy that inspects TLS with its own CA. */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)/

const CERTIFICATE_WAY_OUT =
  'a proxy that inspects TLS signs with its own certificate authority: give its CA certificate ' +
  'to the job as NODE_EXTRA_CA_CERTS (a PEM file; pip reads PIP_CERT, uv SSL_CERT_FILE), or list the ' +
  'host in NO_PROXY to reach it directly'

/** The message of a connection that failed through `choice`; `code` picks the way out. */
export function proxyFailureMessage(
  choice: ProxyChoice,
  target: string,
  said: string,
  code?: string
): string {
  const wayOut = code && CERTIFICATE_ERROR.test(code) ? CERTIFICATE_WAY_OUT : WAY_OUT
  return `cannot reach ${throughProxy(choice, target)}: ${said}; ${wayOut}`
}

/**
 * A connection through a proxy that failed before a request was sent. `code` is the cause's
 * (ECONNRESET, ECONNREFUSED), or ECONNRESET for a proxy that hung up without answering, so the
 * SDK retries it as it would a direct connection that failed.
 */
export class ProxyConnectionError extends Error {
  override name = 'ProxyConnectionError'
  readonly code: string | undefined
  constructor(choice: ProxyChoice, target: string, said: string, code: string | undefined) {
    super(proxyFailureMessage(choice, target, said))
    this.code = code
  }
}

function causeCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

const EXPLAINED = Symbol('explained through the proxy')

/**
 * An error raised on a socket already through the proxy (reset mid-request, TLS through the
 * tunnel failing): node's HTTP client hands this very object to the SDK, so the proxy and host
 * are added to its message in place rather than wrapped.
 */
function explainInPlace(
  error: Error & { [EXPLAINED]?: true },
  choice: ProxyChoice,
  target: string
) {
  if (error[EXPLAINED]) return
  error[EXPLAINED] = true
  error.message = proxyFailureMessage(choice, target, error.message, causeCode(error))
}

/** Chooses per connection: the proxy for the target's scheme, or direct when NO_PROXY says so. */
class ProxyRoutingAgent extends Agent {
  private readonly direct: HttpAgent
  private readonly viaProxy = new Map<string, Agent>()

  constructor(
    private readonly secure: boolean,
    private readonly env: Env
  ) {
    super(AGENT_OPTIONS)
    this.direct = secure ? new HttpsAgent(AGENT_OPTIONS) : new HttpAgent(AGENT_OPTIONS)
  }

  private proxyAgent(choice: ProxyChoice): Agent {
    const key = choice.url.href
    let agent = this.viaProxy.get(key)
    if (!agent) {
      agent = this.secure
        ? new HttpsProxyAgent(key, AGENT_OPTIONS)
        : new HttpProxyAgent(key, AGENT_OPTIONS)
      this.viaProxy.set(key, agent)
    }
    return agent
  }

  override async connect(
    req: ClientRequest,
    options: AgentConnectOpts
  ): Promise<Duplex | HttpAgent> {
    const host = options.host ?? 'localhost'
    const target = `${host.includes(':') ? `[${host}]` : host}:${options.port}`
    const choice = proxyFor(`${this.secure ? 'https' : 'http'}://${target}`, this.env)
    if (!choice) return this.direct
    let answer: { statusCode: number; statusText: string } | undefined
    req.once('proxyConnect', (connect: { statusCode: number; statusText: string }) => {
      answer = connect
    })
    let socket: Duplex
    try {
      // Both proxy agents answer a socket, never another agent.
      socket = (await this.proxyAgent(choice).connect(req, {
        ...options,
        secureEndpoint: this.secure
      } as AgentConnectOpts)) as Duplex
    } catch (error) {
      throw new ProxyConnectionError(
        choice,
        target,
        errorMessage(error),
        causeCode(error) ?? 'ECONNRESET'
      )
    }
    if (answer && answer.statusCode !== 200) {
      // The proxy's own refusal (407 without credentials, 403 for a host it does not allow):
      // https-proxy-agent would replay it as the AWS service's answer.
      socket.destroy()
      throw new ProxyConnectionError(
        choice,
        target,
        `the proxy answered ${answer.statusCode} ${answer.statusText}`.trim(),
        // A proxy that could not reach the host (502, 503, 504) is worth another try.
        answer.statusCode >= 500 ? 'ECONNREFUSED' : undefined
      )
    }
    socket.prependListener('error', (error: Error) => explainInPlace(error, choice, target))
    return socket
  }
}

export interface ProxyAgents {
  httpAgent: HttpAgent
  httpsAgent: HttpAgent
}

/** Agents that follow HTTPS_PROXY, HTTP_PROXY and NO_PROXY as `env` has them. */
export function proxyAgents(env: Env = process.env): ProxyAgents {
  return {
    httpAgent: new ProxyRoutingAgent(false, env),
    httpsAgent: new ProxyRoutingAgent(true, env)
  }
}

export interface FetchInit {
  method: string
  headers: Record<string, string>
  body?: string
  signal?: AbortSignal
}

export type Fetch = (url: string, init: FetchInit) => Promise<Response>

/** HTTP statuses whose answers have no body (a Response refuses one). */
const NO_BODY = new Set([101, 204, 205, 304])

/**
 * `fetch` over the agents above. The built-in fetch of Node 20 and 22 has no way to take them,
 * and the GitHub API needs the same proxy choice as the AWS calls.
 */
export function fetchThrough(agents: ProxyAgents): Fetch {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url)
      const secure = target.protocol === 'https:'
      const request = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: init.method,
          headers: init.headers,
          agent: secure ? agents.httpsAgent : agents.httpAgent,
          ...(init.signal ? { signal: init.signal } : {})
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', reject)
          response.on('end', () => {
            const headers = new Headers()
            for (const [name, value] of Object.entries(response.headers)) {
              for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
                headers.append(name, one)
              }
            }
            const status = response.statusCode ?? 0
            resolve(
              new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: response.statusMessage ?? '',
                headers
              })
            )
          })
        }
      )
      request.on('error', reject)
      request.end(init.body)
    })
}
