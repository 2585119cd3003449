// Which proxy a request goes through, from the variables self-hosted runners set
// (https://docs.github.com/en/actions/hosting-your-own-runners/managing-self-hosted-runners/using-a-proxy-server-with-self-hosted-runners):
// HTTPS_PROXY for https:// URLs, HTTP_PROXY for http:// URLs, NO_PROXY for the hosts reached
// directly. Pure: the agents in proxy-agent.ts ask this for every connection.
//
// Precedence as curl's: the lower-case variable before the upper-case one (an empty value counts
// as unset), NO_PROXY before any proxy. Unlike curl, upper-case HTTP_PROXY is honoured too: curl
// ignores it only because CGI servers put a client's `Proxy:` header there, which cannot happen
// in a runner's job.
import { BlockList, isIP } from 'node:net'

export type Env = Readonly<Record<string, string | undefined>>

/** Every variable read here, lower-case form first (the order they are looked up in). */
export const PROXY_VARIABLES = [
  'https_proxy',
  'HTTPS_PROXY',
  'http_proxy',
  'HTTP_PROXY',
  'no_proxy',
  'NO_PROXY'
] as const

export interface ProxyChoice {
  /** The proxy, credentials included: only ever given to the proxy agent. */
  url: URL
  /** Where it came from: `HTTPS_PROXY`, `http_proxy`, ... */
  variable: string
}

/** The first of `names` set to something other than blank, with its name. */
function firstSet(env: Env, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env[name]?.trim()
    if (value) return [name, value]
  }
  return undefined
}

/**
 * A proxy variable's value as a URL; `proxy:3128` means `http://proxy:3128`, as for curl. Throws
 * with the variable's name, the value without credentials, and what is accepted.
 */
export function parseProxyUrl(variable: string, value: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`${variable} is not a URL (${redactUrlText(text)}); set it to http://host:port`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `${variable}: ${url.protocol}// proxies are not supported (${redactedProxy(url)}); ` +
        `set it to an http:// or https:// proxy`
    )
  }
  return url
}

/** The proxy as it may be shown: scheme, host and port, never its user name or password. */
export function redactedProxy(url: URL): string {
  return `${url.protocol}//${url.host}`
}

function redactUrlText(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/, '//***@')
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80'
}

/** `[::1]` → `::1`; host names lower-case, without the trailing dot of a fully qualified name. */
function normaliseHost(host: string): string {
  return host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase()
}

interface NoProxyEntry {
  /** Host name (suffix-matched), IP address or CIDR block; `*` for every host. */
  host: string
  /** Only this port, when the entry names one. */
  port?: string
}

/** One NO_PROXY entry: `host`, `.domain`, `*.domain`, `host:port`, `10.0.0.0/8`, `[::1]:8080`. */
function parseEntry(text: string): NoProxyEntry {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed) return { host: bracketed[1]!.toLowerCase(), port: bracketed[2] }
  // A bare IPv6 address (`::1`, `fd00::/8`) has colons but no port.
  if (isIP(text.split('/')[0]!) === 6) return { host: text.toLowerCase() }
  const withPort = /^(.*):(\d+)$/.exec(text)
  const host = withPort ? withPort[1]! : text
  return {
    host: normaliseHost(host.replace(/^\*?\./, '')),
    ...(withPort ? { port: withPort[2] } : {})
  }
}

function ipMatches(entry: string, address: string): boolean {
  const [base = '', bits] = entry.split('/')
  const family = isIP(base)
  if (family === 0 || family !== isIP(address)) return false
  const type = family === 4 ? 'ipv4' : 'ipv6'
  const list = new BlockList()
  if (bits === undefined) list.addAddress(base, type)
  else list.addSubnet(base, Number(bits), type)
  return list.check(address, type)
}

/**
 * Whether NO_PROXY's value sends `host:port` direct. Entries are separated by commas or spaces;
 * a name matches itself and every name under it (`example.com` and `.example.com` both match
 * `api.example.com`); an IP address or CIDR block matches addresses, not names (no DNS here).
 */
export function noProxyMatches(noProxy: string, host: string, port: string): boolean {
  const target = normaliseHost(host)
  for (const text of noProxy.split(/[\s,]+/)) {
    if (text === '') continue
    if (text === '*') return true
    const entry = parseEntry(text)
    if (entry.port !== undefined && entry.port !== port) continue
    if (entry.host === '*') return true
    if (entry.host === '') continue
    if (isIP(entry.host.split('/')[0]!) !== 0) {
      if (ipMatches(entry.host, target)) return true
    } else if (target === entry.host || target.endsWith(`.${entry.host}`)) {
      return true
    }
  }
  return false
}

/** The proxy for `target`, or undefined to connect directly. Throws on an unusable proxy value. */
export function proxyFor(target: URL | string, env: Env): ProxyChoice | undefined {
  const url = typeof target === 'string' ? new URL(target) : target
  const scheme = url.protocol === 'https:' ? 'https' : url.protocol === 'http:' ? 'http' : undefined
  if (scheme === undefined) return undefined
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY'])
  if (noProxy && noProxyMatches(noProxy[1], url.hostname, url.port || defaultPort(url.protocol))) {
    return undefined
  }
  const proxy = firstSet(env, [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`])
  if (!proxy) return undefined
  return { url: parseProxyUrl(proxy[0], proxy[1]), variable: proxy[0] }
}

/** The proxy variables' values that may hold credentials, each as a URL text to search. */
export function proxyUrlTexts(env: Env): string[] {
  return PROXY_VARIABLES.filter((name) => !/no_proxy/i.test(name))
    .map((name) => env[name]?.trim())
    .filter((value): value is string => !!value)
    .map((value) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`))
}
