import { describe, expect, it } from 'vitest'
import { noProxyMatches, parseProxyUrl, proxyFor, redactedProxy } from '../../src/net/proxy-env.js'
import { environmentSecrets } from '../../src/secrets.js'

describe('noProxyMatches', () => {
  it.each([
    // [NO_PROXY, host, port, direct?]
    ['*', 'lambda.us-east-1.amazonaws.com', '443', true],
    ['', 'example.com', '443', false],
    ['example.com', 'example.com', '443', true],
    ['example.com', 'api.example.com', '443', true],
    ['example.com', 'notexample.com', '443', false],
    ['.example.com', 'api.example.com', '443', true],
    ['.example.com', 'example.com', '443', true],
    ['*.example.com', 'api.example.com', '443', true],
    ['EXAMPLE.com', 'Api.Example.COM', '443', true],
    ['example.com.', 'api.example.com', '443', true],
    ['example.com', 'example.com.', '443', true],
    ['amazonaws.com', 's3.amazonaws.com.evil.test', '443', false],
    ['s3.us-east-1.amazonaws.com', 'lambda.us-east-1.amazonaws.com', '443', false],
    ['ghe.corp:8443', 'ghe.corp', '8443', true],
    ['ghe.corp:8443', 'ghe.corp', '443', false],
    ['other.test, ghe.corp', 'ghe.corp', '443', true],
    ['other.test ghe.corp', 'ghe.corp', '443', true],
    [' other.test ,, ghe.corp ', 'ghe.corp', '443', true],
    ['10.1.2.3', '10.1.2.3', '443', true],
    ['10.1.2.3', '10.1.2.30', '443', false],
    ['10.0.0.0/8', '10.200.3.4', '443', true],
    ['10.0.0.0/8', '11.0.0.1', '443', false],
    ['169.254.169.254', '169.254.169.254', '80', true],
    ['127.0.0.1:9000', '127.0.0.1', '9000', true],
    ['127.0.0.1:9000', '127.0.0.1', '9001', false],
    ['::1', '::1', '443', true],
    ['::1', '[::1]', '443', true],
    ['[::1]:8080', '::1', '8080', true],
    ['[::1]:8080', '::1', '8081', false],
    ['fd00::/8', 'fd12::1', '443', true],
    // An IP entry never matches a name (no DNS here), nor a name an address.
    ['127.0.0.1', 'localhost', '443', false],
    ['localhost', '127.0.0.1', '443', false],
    ['.', 'example.com', '443', false]
  ])('NO_PROXY=%j, host %s port %s → direct %s', (noProxy, host, port, direct) => {
    expect(noProxyMatches(noProxy, host, port)).toBe(direct)
  })
})

const PROXY = 'http://proxy.corp:3128'

describe('proxyFor', () => {
  it.each([
    // [env, url, expected proxy href and variable, or undefined for direct]
    [{ HTTPS_PROXY: PROXY }, 'https://lambda.test/', [`${PROXY}/`, 'HTTPS_PROXY']],
    [{ https_proxy: PROXY }, 'https://lambda.test/', [`${PROXY}/`, 'https_proxy']],
    // Lower case first, as curl.
    [
      { https_proxy: 'http://lower:1/', HTTPS_PROXY: 'http://upper:2/' },
      'https://a.test/',
      ['http://lower:1/', 'https_proxy']
    ],
    [
      { http_proxy: 'http://lower:1/', HTTP_PROXY: 'http://upper:2/' },
      'http://a.test/',
      ['http://lower:1/', 'http_proxy']
    ],
    // An empty lower-case value counts as unset.
    [{ https_proxy: '', HTTPS_PROXY: PROXY }, 'https://a.test/', [`${PROXY}/`, 'HTTPS_PROXY']],
    // Each scheme its own variable.
    [{ HTTP_PROXY: PROXY }, 'https://a.test/', undefined],
    [{ HTTPS_PROXY: PROXY }, 'http://a.test/', undefined],
    [{ HTTP_PROXY: PROXY }, 'http://a.test:8080/', [`${PROXY}/`, 'HTTP_PROXY']],
    // No scheme means http://, as for curl.
    [{ HTTPS_PROXY: 'proxy.corp:3128' }, 'https://a.test/', [`${PROXY}/`, 'HTTPS_PROXY']],
    // NO_PROXY wins; lower case first.
    [{ HTTPS_PROXY: PROXY, NO_PROXY: 'a.test' }, 'https://a.test/', undefined],
    [
      { HTTPS_PROXY: PROXY, no_proxy: 'a.test', NO_PROXY: 'b.test' },
      'https://b.test/',
      [`${PROXY}/`, 'HTTPS_PROXY']
    ],
    [{ HTTPS_PROXY: PROXY, no_proxy: '', NO_PROXY: 'b.test' }, 'https://b.test/', undefined],
    // The default port is the one NO_PROXY's ports are compared with.
    [{ HTTPS_PROXY: PROXY, NO_PROXY: 'a.test:443' }, 'https://a.test/', undefined],
    [{ HTTP_PROXY: PROXY, NO_PROXY: 'a.test:80' }, 'http://a.test/', undefined],
    [
      { HTTPS_PROXY: PROXY, NO_PROXY: 'a.test:80' },
      'https://a.test/',
      [`${PROXY}/`, 'HTTPS_PROXY']
    ],
    [{}, 'https://a.test/', undefined]
  ])('%j, %s', (env, url, expected) => {
    const choice = proxyFor(url, env)
    expect(choice && [choice.url.href, choice.variable]).toEqual(expected)
  })

  it('refuses a SOCKS proxy and a malformed one, naming the variable, never the password', () => {
    expect(() => proxyFor('https://a.test/', { HTTPS_PROXY: 'socks5://u:pw1@proxy:1080' })).toThrow(
      'HTTPS_PROXY: socks5:// proxies are not supported (socks5://proxy:1080); set it to an http:// or https:// proxy'
    )
    expect(() => proxyFor('https://a.test/', { https_proxy: 'http://u:pw2@proxy:port' })).toThrow(
      'https_proxy is not a URL (http://***@proxy:port)'
    )
  })

  it('shows a proxy without its credentials', () => {
    expect(redactedProxy(parseProxyUrl('HTTPS_PROXY', 'http://bot:s3cret@proxy.corp:3128'))).toBe(
      'http://proxy.corp:3128'
    )
  })
})

describe('proxy credentials are secrets', () => {
  it('in every proxy variable, with or without a scheme', () => {
    expect(
      environmentSecrets({
        HTTPS_PROXY: 'http://bot:https-pass@proxy:3128',
        http_proxy: 'bot2:http-pass@proxy:3128',
        NO_PROXY: 'http://not:secret@x',
        HTTP_PROXY: 'http://proxy:3128'
      }).sort()
    ).toEqual(['bot:https-pass', 'https-pass', 'bot2:http-pass', 'http-pass'].sort())
  })
})
