// Behind a proxy, as on a self-hosted runner whose only way out is the company's egress proxy:
// `node dist/index.js` with HTTPS_PROXY / HTTP_PROXY (credentials in the URL) and NO_PROXY, the
// Lambda, S3 and GitHub endpoints at https:// names under `.test` that resolve nowhere, reached
// only through a forward proxy on 127.0.0.1 (CONNECT tunnels) that maps them to moto and a
// recorder standing in for the GitHub API. pip's index and the Actions cache sit behind it too
// (http://, as the proxy's absolute-form requests and @actions/http-client's tunnels).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LIMITS } from '../../src/lambda-facts.js'
import {
  functionState,
  logOf,
  writePrebuilt,
  writeSource,
  type BuiltPackages
} from '../helpers/fault-bench.js'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'
import { startRecorder, type HttpRecorder } from '../helpers/http-recorder.js'
import { findLeaks, isMasked } from '../helpers/leaks.js'
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { TOOLS_BIN, runAction, type ActionRun } from '../helpers/run-action.js'
import { makeTestCertificate, startTlsFront, type TlsFront } from '../helpers/tls-front.js'
import { sha256Hex, writeWheel } from '../helpers/wheels.js'

const PROXY_USER = 'egress-bot'
const PROXY_PASSWORD = 'Planted-Proxy-Passw0rd'
const PROXY_SECRETS = [PROXY_PASSWORD, `${PROXY_USER}:${PROXY_PASSWORD}`]
const BUCKET = 'artifacts'
const TOKEN = 'ghs_fakeTokenForTheProxyTest0123456789'

const dir = mkdtempSync(join(tmpdir(), 'lpd-proxy-'))
let moto: MotoServer
let github: HttpRecorder
let index: HttpRecorder
let cache: HttpRecorder
let awsFront: TlsFront
let githubFront: TlsFront
let proxy: ForwardProxy
let big: BuiltPackages
let small: BuiltPackages
let certFile: string
const runs: ActionRun[] = []

/** Enough of the GitHub API for the sticky comment: none yet, then one created. */
function answerGitHub(request: { method: string }, response: ServerResponse) {
  response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' })
  response.end(
    request.method === 'POST'
      ? '{"id":1,"html_url":"https://github.test/acme/orders/pull/7#issuecomment-1"}'
      : '[]'
  )
}

beforeAll(async () => {
  const certificate = makeTestCertificate(dir, ['moto.test', 'github.test'])
  certFile = certificate.certFile
  moto = await startMoto()
  ;[github, proxy, big, small] = await Promise.all([
    startRecorder(answerGitHub),
    startForwardProxy({ credentials: { user: PROXY_USER, password: PROXY_PASSWORD } }),
    writePrebuilt(dir, { randomBytes: LIMITS.directUploadBytes + 64 * 1024 }),
    writePrebuilt(dir)
  ])
  ;[awsFront, githubFront] = await Promise.all([
    startTlsFront(moto.url, certificate),
    startTlsFront(github.url, certificate)
  ])
  await moto.createFunction({ name: 'orders' })
  await moto.createBucket(BUCKET)
}, 60_000)

afterAll(async () => {
  await Promise.all([
    proxy?.stop(),
    awsFront?.stop(),
    githubFront?.stop(),
    github?.stop(),
    index?.stop(),
    cache?.stop()
  ])
  await moto?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** What every run behind the proxy shares: the proxy, its certificate, AWS at moto.test. */
function behindProxy(proxyUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...moto.env,
    AWS_ENDPOINT_URL: `https://moto.test:${awsFront.port}`,
    HTTPS_PROXY: proxyUrl,
    HTTP_PROXY: proxyUrl,
    NODE_EXTRA_CA_CERTS: certFile,
    ...env
  }
}

function pullRequestEnv(): Record<string, string> {
  const event = join(dir, 'event.json')
  writeFileSync(event, JSON.stringify({ number: 7, pull_request: { number: 7 } }))
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: 'acme/orders',
    GITHUB_API_URL: `https://github.test:${githubFront.port}`,
    GITHUB_SERVER_URL: 'https://github.test',
    GITHUB_RUN_ID: '1'
  }
}

async function run(inputs: Record<string, string>, env: Record<string, string>) {
  const result = await runAction({ inputs, env })
  runs.push(result)
  return result
}

const ports = () => proxy.upstreamPorts

describe.sequential('behind a proxy', () => {
  it('deploys a package over 50 MB through S3 and comments: every request passed the proxy', async () => {
    awsFront.requests.length = 0
    const deploy = await run(
      {
        mode: 'deploy',
        'function-name': 'orders',
        'package-dir': big.packageDir,
        's3-bucket': BUCKET,
        comment: 'true',
        'github-token': TOKEN
      },
      behindProxy(proxy.urlWith(PROXY_USER, PROXY_PASSWORD), pullRequestEnv())
    )
    expect(deploy.code, logOf(deploy)).toBe(0)
    expect(big.functionSize).toBeGreaterThan(50 * 1024 * 1024)
    expect((await functionState(moto, 'orders')).codeSha256).toBe(big.functionSha)

    // The upload went in parts, and each request moto saw came from one of the proxy's sockets.
    const parts = awsFront.requests.filter((r) => r.method === 'PUT' && /partNumber=/.test(r.path))
    expect(parts).toHaveLength(Math.ceil(big.functionSize / (8 * 1024 * 1024)))
    expect(awsFront.requests.some((r) => r.path.includes('/2015-03-31/functions/orders'))).toBe(
      true
    )
    expect(awsFront.requests.filter((r) => !ports().has(r.remotePort))).toEqual([])
    const comment = githubFront.requests.find((r) => r.method === 'POST')
    expect(comment?.path).toBe('/repos/acme/orders/issues/7/comments')
    expect(ports().has(comment!.remotePort)).toBe(true)

    // Tunnels only, each with the proxy's credentials.
    const targets = new Set(proxy.requests.map((r) => `${r.method} ${r.target} ${r.outcome}`))
    expect([...targets].sort()).toEqual(
      [
        `CONNECT github.test:${githubFront.port} tunnel`,
        `CONNECT moto.test:${awsFront.port} tunnel`
      ].sort()
    )
    const basic = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`
    expect(proxy.requests.every((r) => r.authorization === basic)).toBe(true)
    expect(isMasked(deploy.stdout, PROXY_PASSWORD)).toBe(true)
  }, 120_000)

  it('pip and the Actions cache go through it too (HTTP_PROXY), from a pull-request build', async () => {
    const wheel = writeWheel(join(dir, 'wheels'), {
      name: 'proxydep',
      version: '1.0',
      files: { 'proxydep/__init__.py': 'X = 1\n' }
    })
    const wheelName = 'proxydep-1.0-py3-none-any.whl'
    index = await startRecorder((request, response) => {
      if (request.url.startsWith('/simple/proxydep')) {
        response.writeHead(200, { 'content-type': 'text/html' })
        response.end(`<a href="/files/${wheelName}#sha256=${sha256Hex(wheel)}">${wheelName}</a>`)
      } else if (request.url === `/files/${wheelName}`) {
        response.writeHead(200, { 'content-type': 'application/octet-stream' })
        response.end(readFileSync(wheel))
      } else {
        response.writeHead(404).end()
      }
    })
    // A cache service with nothing stored that reserves nothing: quick answers, no retries.
    cache = await startRecorder((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":false}')
    })
    const indexHost = `pypi.test:${new URL(index.url).port}`
    const cacheUrl = `http://results.test:${new URL(cache.url).port}/`
    const requirements = join(dir, 'requirements.txt')
    writeFileSync(
      requirements,
      `--index-url http://${indexHost}/simple\n--trusted-host pypi.test\nproxydep==1.0\n`
    )
    const source = await writeSource(dir)
    const build = await run(
      {
        mode: 'build',
        source,
        requirements,
        installer: 'pip',
        runtime: 'python3.12',
        architectures: 'x86_64',
        handler: 'app.handler',
        'import-check': 'false',
        cache: 'true',
        comment: 'false',
        'output-dir': mkdtempSync(join(dir, 'out-'))
      },
      behindProxy(proxy.urlWith(PROXY_USER, PROXY_PASSWORD), {
        ...pullRequestEnv(),
        GITHUB_BASE_REF: 'main',
        // github.com's cache service (v2, Twirp); another server would mean GHES's (v1).
        GITHUB_SERVER_URL: 'https://github.com',
        RUNNER_TOOL_CACHE: mkdtempSync(join(dir, 'tool-cache-')),
        ACTIONS_CACHE_SERVICE_V2: 'true',
        ACTIONS_RESULTS_URL: cacheUrl,
        ACTIONS_CACHE_URL: cacheUrl,
        ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-tests',
        PIP_RETRIES: '0'
      })
    )
    expect(build.code, logOf(build)).toBe(0)
    expect(JSON.parse(build.outputs.packages!).x86_64.function.size).toBeGreaterThan(0)
    // pip asked the proxy for the index page and the wheel (absolute-form requests).
    const viaProxy = proxy.requests.filter((r) => r.target === indexHost).map((r) => r.outcome)
    expect(viaProxy.length).toBeGreaterThanOrEqual(2)
    expect(new Set(viaProxy)).toEqual(new Set(['forwarded']))
    expect(index.requests.map((r) => r.url)).toContain(`/files/${wheelName}`)
    // @actions/http-client tunnelled the cache service's calls through the proxy.
    expect(proxy.requests.some((r) => r.target === new URL(cacheUrl).host)).toBe(true)
    expect(cache.requests.map((r) => r.url.split('/').pop())).toContain('GetCacheEntryDownloadURL')
  }, 120_000)

  it('uv resolves through it too (the index of the test before)', async () => {
    const indexHost = `pypi.test:${new URL(index.url).port}`
    const requirements = join(dir, 'requirements-uv.txt')
    writeFileSync(
      requirements,
      `--index-url http://${indexHost}/simple\n--trusted-host pypi.test\nproxydep==1.0\n`
    )
    const before = proxy.requests.length
    const build = await run(
      {
        mode: 'build',
        source: await writeSource(dir),
        requirements,
        installer: 'uv',
        runtime: 'python3.12',
        architectures: 'x86_64',
        handler: 'app.handler',
        'import-check': 'false',
        cache: 'false',
        'output-dir': mkdtempSync(join(dir, 'out-'))
      },
      behindProxy(proxy.urlWith(PROXY_USER, PROXY_PASSWORD), {
        PATH: `${TOOLS_BIN}:${process.env.PATH ?? ''}`,
        // uv's pinned list keeps the index but not --trusted-host for the pip download after it.
        PIP_TRUSTED_HOST: 'pypi.test',
        RUNNER_TOOL_CACHE: mkdtempSync(join(dir, 'tool-cache-')),
        PIP_RETRIES: '0'
      })
    )
    expect(build.code, logOf(build)).toBe(0)
    expect(build.stdout).toMatch(/uv pip compile/)
    const viaProxy = proxy.requests.slice(before).filter((r) => r.target === indexHost)
    expect(viaProxy.length).toBeGreaterThanOrEqual(2)
    expect(viaProxy.every((r) => r.outcome === 'forwarded')).toBe(true)
    // The index is reachable only through the proxy: uv itself asked it.
    expect(index.requests.some((r) => String(r.headers['user-agent']).startsWith('uv/'))).toBe(true)
  }, 120_000)

  it('reaches a NO_PROXY host directly, the others through the proxy', async () => {
    github.requests.length = 0
    const before = proxy.requests.length
    const deploy = await run(
      {
        mode: 'deploy',
        'function-name': 'orders',
        'package-dir': small.packageDir,
        comment: 'true',
        'github-token': TOKEN
      },
      behindProxy(proxy.urlWith(PROXY_USER, PROXY_PASSWORD), {
        ...pullRequestEnv(),
        // Lambda and S3 straight to moto on loopback; GitHub still at github.test.
        AWS_ENDPOINT_URL: moto.url,
        NO_PROXY: 'localhost, 127.0.0.1'
      })
    )
    expect(deploy.code, logOf(deploy)).toBe(0)
    const asked = proxy.requests.slice(before).map((r) => r.target)
    expect(new Set(asked)).toEqual(new Set([`github.test:${githubFront.port}`]))
    expect(github.requests.some((r) => r.method === 'POST')).toBe(true)
  }, 120_000)

  it('a proxy that resets connections mid-upload fails naming proxy and host; a rerun converges', async () => {
    await moto.createFunction({ name: 'payments' })
    let broke = false
    const watch = setInterval(() => {
      if (!broke && awsFront.requests.some((r) => /partNumber=2\b/.test(r.path))) {
        broke = true
        proxy.misbehave('reset')
      }
    }, 5)
    awsFront.requests.length = 0
    const inputs = {
      mode: 'deploy',
      'function-name': 'payments',
      'package-dir': big.packageDir,
      's3-bucket': BUCKET,
      's3-prefix': 'reset'
    }
    const env = behindProxy(proxy.urlWith(PROXY_USER, PROXY_PASSWORD))
    const failed = await run(inputs, env).finally(() => clearInterval(watch))
    expect(broke).toBe(true)
    expect(failed.code).toBe(1)
    const error = failed.errors.join('\n')
    expect(error).toContain(
      `moto.test:${awsFront.port} through the proxy ${proxy.url} (from HTTPS_PROXY)`
    )
    expect(error).toContain('NO_PROXY')

    proxy.misbehave('pass')
    const rerun = await run(inputs, env)
    expect(rerun.code, logOf(rerun)).toBe(0)
    expect((await functionState(moto, 'payments')).codeSha256).toBe(big.functionSha)
    const open = await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))
    // The failed run could not abort its upload through the broken proxy; the rerun's completed.
    expect((open.Uploads ?? []).length).toBeLessThanOrEqual(1)
  }, 180_000)

  it('the proxy credentials appear in no output of any run', () => {
    expect(runs.length).toBeGreaterThanOrEqual(4)
    const everything = Object.fromEntries(
      runs.flatMap((r, i) => [
        [`run ${i} stdout`, r.stdout],
        [`run ${i} stderr`, r.stderr],
        [`run ${i} summary`, r.summary],
        [`run ${i} outputs`, JSON.stringify(r.outputs)]
      ])
    )
    expect(findLeaks(everything, PROXY_SECRETS)).toEqual([])
  })
})
