// `mode: deploy` end to end through `node dist/index.js` against a real moto on 127.0.0.1,
// pointed at by AWS_ENDPOINT_URL as a user's emulator would be: no test-only input.
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { runAction } from '../helpers/run-action.js'

let moto: MotoServer
/** Refuses every host but loopback: a rollback's download of moto's code URL goes nowhere. */
let proxy: ForwardProxy
const toolCache = mkdtempSync(join(tmpdir(), 'lpd-deploy-store-'))

/** Handler code with no dependencies: no resolver runs, so each run takes a second or two. */
function sourceDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lpd-deploy-src-'))
  writeFileSync(
    join(dir, 'app.py'),
    `TAG = ${JSON.stringify(tag)}\n\ndef handler(event, context):\n    return {"tag": TAG, **event}\n`
  )
  return dir
}

const deploy = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
  runAction({ inputs, env: { ...moto.env, RUNNER_TOOL_CACHE: toolCache, ...env } })

beforeAll(async () => {
  moto = await startMoto()
  proxy = await startForwardProxy()
})
afterAll(async () => {
  await moto?.stop()
  await proxy?.stop()
})
beforeEach(async () => {
  await moto.reset()
  await moto.createFunction({ name: 'orders', runtime: 'python3.12', architecture: 'arm64' })
})

describe('node dist/index.js, mode: deploy', () => {
  it('deploys, publishes, smoke-invokes and moves the alias; a rerun sends nothing', async () => {
    const inputs = {
      'function-name': 'orders',
      source: sourceDir('v1'),
      alias: 'live',
      'smoke-payload': '{"id": "smoke-1"}',
      'smoke-expect': '{"id": "smoke-1"}'
    }
    const first = await deploy(inputs)
    expect(first.code, first.stdout).toBe(0)
    expect(first.outputs).toMatchObject({ changed: 'true', version: '1' })
    expect(first.outputs['alias-arn']).toMatch(/:function:orders:live$/)
    expect(JSON.parse(first.outputs.functions!).orders).toMatchObject({
      status: 'deployed',
      changed: true,
      version: '1'
    })
    const config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    // What runs is what was built, and the runtime and handler were left alone.
    expect(config.CodeSha256).toBe(first.outputs['code-sha256'])
    expect(config).toMatchObject({ Runtime: 'python3.12', Handler: 'app.handler' })
    expect(first.summary).toContain(
      '| `orders` | arm64 | ✅ deployed | 1 | live | ✅ passed | direct |'
    )

    const second = await deploy(inputs)
    expect(second.code, second.stdout).toBe(0)
    expect(second.outputs).toMatchObject({ changed: 'false', version: '1' })
    expect(second.outputs['code-sha256']).toBe(first.outputs['code-sha256'])
    expect((await moto.publishedVersions('orders')).map((v) => v.version)).toEqual(['1'])
  })

  it('several functions: each output keeps its one-function type, `functions` is JSON', async () => {
    await moto.createFunction({ name: 'billing', runtime: 'python3.12', architecture: 'arm64' })
    const inputs = {
      'function-name': 'orders, billing',
      source: sourceDir('shared'),
      alias: 'live'
    }
    const first = await deploy(inputs)
    expect(first.code, first.stdout).toBe(0)
    expect(first.outputs).toMatchObject({
      changed: 'true',
      version: '',
      'version-arn': '',
      'alias-arn': ''
    })
    const functions = JSON.parse(first.outputs.functions!)
    expect(Object.keys(functions).sort()).toEqual(['billing', 'orders'])
    expect(functions.orders).toMatchObject({ status: 'deployed', changed: true, version: '1' })
    expect(functions.billing.aliasArn).toMatch(/:function:billing:live$/)

    const again = await deploy(inputs)
    expect(again.code, again.stdout).toBe(0)
    expect(again.outputs.changed).toBe('false')
    expect(JSON.parse(again.outputs.functions!).orders).toMatchObject({
      status: 'unchanged',
      changed: false,
      version: '1'
    })
  })

  it('publishes the dependency layer, attaches it, and reuses it while the dependencies stay', async () => {
    const source = sourceDir('layered')
    writeFileSync(join(source, 'requirements.txt'), 'six==1.17.0\n')
    const inputs = { 'function-name': 'orders', source, 'package-type': 'layer' }
    const first = await deploy(inputs)
    expect(first.code, first.stdout).toBe(0)
    expect(first.outputs['layer-version-arn']).toMatch(/:layer:orders-deps:1$/)
    const config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect((config.Layers ?? []).map((l) => l.Arn)).toEqual([first.outputs['layer-version-arn']])
    const packages = JSON.parse(first.outputs.packages!)
    expect(packages.arm64.layer.unzippedSize).toBeGreaterThan(0)

    writeFileSync(join(source, 'app.py'), 'def handler(event, context):\n    return {"v": 2}\n')
    const second = await deploy(inputs)
    expect(second.code, second.stdout).toBe(0)
    expect(second.outputs['layer-version-arn']).toBe(first.outputs['layer-version-arn'])
    expect(second.outputs.version).toBe('2')
  })

  it('ships what an earlier mode: build gated, byte for byte, and refuses a changed zip', async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'lpd-gated-'))
    const built = await deploy({
      mode: 'build',
      source: sourceDir('gated'),
      runtime: 'python3.12',
      architectures: 'arm64, x86_64',
      'output-dir': outputDir
    })
    expect(built.code, built.stdout).toBe(0)
    const packages = JSON.parse(built.outputs.packages!)

    const shipped = await deploy({ 'function-name': 'orders', 'package-dir': outputDir })
    expect(shipped.code, shipped.stdout).toBe(0)
    expect(shipped.stdout).not.toMatch(/Build python/)
    const config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect(config.CodeSha256).toBe(packages.arm64.function.codeSha256)

    appendFileSync(packages.arm64.function.path, 'tampered')
    const refused = await deploy({ 'function-name': 'orders', 'package-dir': outputDir })
    expect(refused.code).toBe(1)
    expect(refused.errors[0]).toMatch(
      /^package-dir: .*function\.zip is not the package that was built/
    )
  })

  it('refuses a package-dir built for another runtime than the function runs', async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'lpd-gated-313-'))
    const built = await deploy({
      mode: 'build',
      source: sourceDir('other-runtime'),
      runtime: 'python3.13',
      architectures: 'arm64',
      'output-dir': outputDir
    })
    expect(built.code, built.stdout).toBe(0)
    const refused = await deploy({ 'function-name': 'orders', 'package-dir': outputDir })
    expect(refused.code).toBe(1)
    expect(refused.errors[0]).toMatch(
      /^package-dir: the packages were built for python3\.13 but the functions run python3\.12/
    )
  })

  it('ships a gated layer build with its layer, told by the build itself', async () => {
    const source = sourceDir('gated-layer')
    writeFileSync(join(source, 'requirements.txt'), 'six==1.17.0\n')
    const outputDir = mkdtempSync(join(tmpdir(), 'lpd-gated-layer-'))
    const built = await deploy({
      mode: 'build',
      source,
      runtime: 'python3.12',
      architectures: 'arm64',
      'package-type': 'layer',
      'output-dir': outputDir
    })
    expect(built.code, built.stdout).toBe(0)
    // No package-type here: the report in package-dir says the build has a layer.
    const shipped = await deploy({ 'function-name': 'orders', 'package-dir': outputDir })
    expect(shipped.code, shipped.stdout).toBe(0)
    expect(shipped.outputs['layer-version-arn']).toMatch(/:layer:orders-deps:1$/)
    const config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect((config.Layers ?? []).map((l) => l.Arn)).toEqual([shipped.outputs['layer-version-arn']])
  })

  it('leaves the alias where it was when the smoke invocation fails', async () => {
    const inputs = { 'function-name': 'orders', alias: 'live', 'smoke-payload': '{}' }
    expect((await deploy({ ...inputs, source: sourceDir('good') })).code).toBe(0)
    // moto answers a queued result over 6,000,000 bytes with FunctionError: Unhandled.
    await moto.queueInvokeResults(['x'.repeat(6_000_001)])
    const bad = await deploy(
      { ...inputs, source: sourceDir('bad') },
      { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }
    )
    expect(bad.code).toBe(1)
    expect(bad.errors.join('\n')).toMatch(/orders/)
    expect(bad.outputs.version).toBe('2')
    expect(bad.outputs).toMatchObject({ rollout: 'rolled-back', 'serving-version': '1' })
    const alias = await moto.lambda.send(
      new GetAliasCommand({ FunctionName: 'orders', Name: 'live' })
    )
    expect(alias.FunctionVersion).toBe('1')
    // The $LATEST restore was attempted (moto's code URL, refused by the proxy) and reported.
    expect(proxy.requests.map((r) => r.outcome)).toEqual(['refused'])
    expect(bad.errors.join('\n')).toMatch(/\$LATEST still runs the rejected code/)
  })

  it('refuses a runtime that differs from the function, naming both, and changes nothing', async () => {
    const before = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    const run = await deploy({
      'function-name': 'orders',
      source: sourceDir('x'),
      runtime: 'python3.13'
    })
    expect(run.code).toBe(1)
    expect(run.errors[0]).toMatch(/python3\.13.*python3\.12/)
    const after = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect(after.CodeSha256).toBe(before.CodeSha256)
  })

  it('keep-versions: 2 over four changed deploys, another alias on version 1: 1, 3 and 4 remain', async () => {
    // The in-flight window is wait-timeout plus the function's timeout: 1 s + 1 s here.
    await moto.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'orders', Timeout: 1 })
    )
    const inputs = {
      'function-name': 'orders',
      alias: 'live',
      'keep-versions': '2',
      'wait-timeout': '1s'
    }
    expect((await deploy({ ...inputs, source: sourceDir('v1') })).code).toBe(0)
    await moto.lambda.send(
      new CreateAliasCommand({ FunctionName: 'orders', Name: 'rollback', FunctionVersion: '1' })
    )
    expect((await deploy({ ...inputs, source: sourceDir('v2') })).code).toBe(0)
    expect((await deploy({ ...inputs, source: sourceDir('v3') })).code).toBe(0)
    await new Promise((done) => setTimeout(done, 2_200))
    const fourth = await deploy({ ...inputs, source: sourceDir('v4') })
    expect(fourth.code, fourth.stdout).toBe(0)
    expect(fourth.outputs).toMatchObject({ version: '4' })
    expect((await moto.publishedVersions('orders')).map((v) => v.version)).toEqual(['1', '3', '4'])
    expect(fourth.stdout).toMatch(
      /orders: keep-versions 2: deleted 2; kept 4 \(deployed by this run/
    )
    expect(fourth.summary).toContain('#### Versions')
    expect(fourth.summary).toMatch(
      /\| `orders` \| 2 \| 4: deployed by this run, one of the 2 newest, alias live.*<br>3: one of the 2 newest<br>1: alias rollback \|/
    )
  })
})
