// The agents against a real forward proxy on 127.0.0.1 (test/helpers/forward-proxy.ts): what a
// caller gets when the proxy is down or refuses, and the GitHub API's fetch through it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchThrough, proxyAgents, ProxyConnectionError } from '../../src/net/proxy-agent.js'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'
import { startRecorder, type HttpRecorder } from '../helpers/http-recorder.js'
import { makeTestCertificate, startTlsFront } from '../helpers/tls-front.js'

let proxy: ForwardProxy
let api: HttpRecorder

beforeAll(async () => {
  ;[proxy, api] = await Promise.all([
    startForwardProxy({ credentials: { user: 'bot', password: 'pw-in-url' } }),
    startRecorder((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', link: '<x>; rel="next"' })
      response.end('{"ok":true}')
    })
  ])
})
afterAll(async () => Promise.all([proxy?.stop(), api?.stop()]))

const apiAt = (host: string) => `http://${host}:${new URL(api.url).port}/repos/a/b`

function get(url: string, env: Record<string, string>): Promise<Response> {
  return fetchThrough(proxyAgents(env))(url, { method: 'GET', headers: { accept: 'x' } })
}

describe('fetchThrough', () => {
  it('goes through HTTP_PROXY with its credentials, and answers like fetch', async () => {
    const response = await get(apiAt('github.test'), {
      HTTP_PROXY: proxy.urlWith('bot', 'pw-in-url')
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('link')).toBe('<x>; rel="next"')
    expect(await response.json()).toEqual({ ok: true })
    expect(proxy.requests.at(-1)).toMatchObject({
      method: 'GET',
      target: `github.test:${new URL(api.url).port}`,
      outcome: 'forwarded'
    })
  })

  it('goes direct for a NO_PROXY host', async () => {
    const before = proxy.requests.length
    const response = await get(apiAt('127.0.0.1'), {
      HTTP_PROXY: proxy.urlWith('bot', 'pw-in-url'),
      NO_PROXY: '127.0.0.1'
    })
    expect(response.status).toBe(200)
    expect(proxy.requests.length).toBe(before)
  })
})

describe('a proxy that fails', () => {
  const port = () => new URL(proxy.url).port

  it('refusing the credentials (407): names proxy and host, not the password', async () => {
    const failure = await get(`https://github.test:${port()}/`, {
      HTTPS_PROXY: proxy.urlWith('bot', 'wrong-password')
    }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ProxyConnectionError)
    const message = (failure as Error).message
    expect(message).toBe(
      `cannot reach github.test:${port()} through the proxy ${proxy.url} (from HTTPS_PROXY): ` +
        'the proxy answered 407 Proxy Authentication Required; check that the proxy is ' +
        'running and lets this host through, or list the host in NO_PROXY to reach it directly'
    )
    expect((failure as ProxyConnectionError).code).toBeUndefined()
  })

  it('not running: the connection error, named, with the code the SDK retries on', async () => {
    const failure = await get('https://lambda.test/', {
      https_proxy: 'http://bot:pw-in-url@127.0.0.1:9'
    }).catch((error: unknown) => error)
    expect((failure as Error).message).toMatch(
      /^cannot reach lambda\.test:443 through the proxy http:\/\/127\.0\.0\.1:9 \(from https_proxy\): .*ECONNREFUSED/
    )
    expect((failure as Error).message).not.toContain('pw-in-url')
    expect((failure as ProxyConnectionError).code).toBe('ECONNREFUSED')
  })

  it('resetting the tunnel: ECONNRESET, named', async () => {
    proxy.misbehave('reset')
    try {
      const failure = await get('https://lambda.test/', {
        HTTPS_PROXY: proxy.urlWith('bot', 'pw-in-url')
      }).catch((error: unknown) => error)
      expect((failure as Error).message).toContain(
        `cannot reach lambda.test:443 through the proxy ${proxy.url} (from HTTPS_PROXY)`
      )
      expect((failure as ProxyConnectionError).code).toBe('ECONNRESET')
    } finally {
      proxy.misbehave('pass')
    }
  })

  it('a certificate this process does not trust (a TLS-inspecting proxy): says where the CA goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lpd-proxy-cert-'))
    const front = await startTlsFront(api.url, makeTestCertificate(dir, ['github.test']))
    try {
      const failure = await get(`https://github.test:${front.port}/`, {
        HTTPS_PROXY: proxy.urlWith('bot', 'pw-in-url')
      }).catch((error: unknown) => error)
      const message = (failure as Error).message
      expect(message).toContain(
        `cannot reach github.test:${front.port} through the proxy ${proxy.url} (from HTTPS_PROXY): self-signed certificate`
      )
      expect(message).toContain('give its CA certificate to the job as NODE_EXTRA_CA_CERTS')
      expect(front.requests).toEqual([])
    } finally {
      await front.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
