// The deploy stage against a real moto server on loopback: what ends up on the function, its
// versions, aliases and layers, and in the bucket. State machines moto does not model
// (InProgress, conflicts, throttling, AccessDenied) are in test/unit/deploy-*.test.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import type { AwsClients } from '../../src/aws/clients.js'
import { deployAll, readTargets } from '../../src/deploy/deploy.js'
import type { DeployOptions } from '../../src/deploy/deploy.js'
import { pruneAfterDeploy } from '../../src/deploy/prune.js'
import { sha256Hex } from '../../src/deploy/upload.js'
import { LIMITS } from '../../src/lambda-facts.js'
import type { PackageFile } from '../../src/types.js'
import { buildOf, recordingLog } from '../helpers/deploy-fixtures.js'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'
import { handlerZip, startMoto, writeZip } from '../helpers/moto.js'
import type { MotoServer } from '../helpers/moto.js'

let moto: MotoServer
let restoreEnv: () => void
let clients: AwsClients
let proxy: ForwardProxy
let dir: string
let zipCount = 0

const baseOptions: DeployOptions = {
  runtime: 'python3.12',
  packageType: 'zip',
  s3Prefix: 'lambda-python-deploy/',
  publish: true
}

function layerZip(tag: string): Promise<PackageFile> {
  return writeZip(join(dir, `layer-${++zipCount}.zip`), {
    'python/dep/__init__.py': `VERSION = ${JSON.stringify(tag)}\n`
  })
}

/** Names of the commands a client sent, in order. */
function recordCommands(client: { send: (...args: never[]) => unknown }): string[] {
  const sent: string[] = []
  const original = client.send.bind(client) as (...args: unknown[]) => unknown
  vi.spyOn(client, 'send').mockImplementation(((...args: unknown[]) => {
    sent.push((args[0] as object).constructor.name.replace(/Command$/, ''))
    return original(...args)
  }) as never)
  return sent
}

async function codeSha(name: string): Promise<string | undefined> {
  const config = await moto.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
  return config.CodeSha256
}

async function aliasVersion(name: string, alias: string): Promise<string | undefined> {
  const answer = await moto.lambda.send(new GetAliasCommand({ FunctionName: name, Name: alias }))
  return answer.FunctionVersion
}

beforeAll(async () => {
  moto = await startMoto()
  restoreEnv = moto.applyEnv()
  // A rollback downloads the code moto's GetFunction names on an AWS host: only through this
  // proxy, which refuses every host but loopback (reached directly).
  proxy = await startForwardProxy()
  clients = createClients({
    env: { ...process.env, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }
  })
  dir = await mkdtemp(join(tmpdir(), 'lpd-deploy-moto-'))
})

afterAll(async () => {
  restoreEnv?.()
  await moto?.stop()
  await proxy?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  vi.restoreAllMocks()
  await moto.reset()
})

describe('deploy against moto', () => {
  it('uploads directly, publishes, smoke-tests, creates the alias, then moves it', async () => {
    await moto.createFunction({ name: 'orders' })
    const v1 = await handlerZip(dir, 'v1')
    const [target] = await readTargets(['orders'], clients)
    expect(target).toMatchObject({ runtime: 'python3.12', architecture: 'arm64', layers: [] })

    const options: DeployOptions = {
      ...baseOptions,
      alias: 'live',
      smokePayload: '{"ping": 1, "nested": {"a": [1, 2]}}',
      smokeExpect: { ping: 1, nested: { a: [1] } }
    }
    const [first] = await deployAll([target!], buildOf([{ function: v1 }]), options, clients, {
      log: recordingLog()
    })
    expect(first).toMatchObject({
      functionName: 'orders',
      architecture: 'arm64',
      status: 'deployed',
      upload: 'direct',
      version: '1',
      versionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders:1',
      aliasArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders:live',
      smoke: { status: 'passed' }
    })
    expect(first!.previousAliasVersion).toBeUndefined()
    expect(await codeSha('orders')).toBe(v1.codeSha256)
    expect(await aliasVersion('orders', 'live')).toBe('1')

    const v2 = await handlerZip(dir, 'v2')
    const [again] = await readTargets(['orders'], clients)
    const [second] = await deployAll([again!], buildOf([{ function: v2 }]), options, clients, {
      log: recordingLog()
    })
    expect(second).toMatchObject({ status: 'deployed', version: '2', previousAliasVersion: '1' })
    expect(await codeSha('orders')).toBe(v2.codeSha256)
    expect(await aliasVersion('orders', 'live')).toBe('2')
    expect(await moto.publishedVersions('orders')).toEqual([
      { version: '1', codeSha256: v1.codeSha256 },
      { version: '2', codeSha256: v2.codeSha256 }
    ])
  })

  it('sends nothing when the CodeSha256 is deployed already and reports the existing version', async () => {
    await moto.createFunction({ name: 'orders' })
    const v1 = await handlerZip(dir, 'v1')
    const options: DeployOptions = { ...baseOptions, alias: 'live', smokePayload: '{}' }
    const [target] = await readTargets(['orders'], clients)
    await deployAll([target!], buildOf([{ function: v1 }]), options, clients, {
      log: recordingLog()
    })

    const sent = recordCommands(clients.lambda)
    const [again] = await readTargets(['orders'], clients)
    const [result] = await deployAll([again!], buildOf([{ function: v1 }]), options, clients, {
      log: recordingLog()
    })
    expect(result).toMatchObject({
      status: 'unchanged',
      version: '1',
      versionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders:1',
      aliasArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders:live',
      smoke: { status: 'skipped' }
    })
    expect(result!.upload).toBeUndefined()
    // Reads only: no code, no version, no invocation, no alias change.
    expect(sent).toEqual([
      'GetFunctionConfiguration',
      'GetFunctionConfiguration',
      'ListVersionsByFunction',
      'GetAlias'
    ])
    expect(await moto.publishedVersions('orders')).toHaveLength(1)
  })

  it('ships a package over 52,428,800 bytes through S3 with a content-addressed key, once', async () => {
    await moto.createFunction({ name: 'orders' })
    await moto.createBucket('artifacts')
    const big = await writeZip(
      join(dir, 'big.zip'),
      { 'app.py': 'def handler(event, context):\n    return 1\n' },
      { randomBytes: LIMITS.directUploadBytes + 1024 * 1024 }
    )
    expect(big.size).toBeGreaterThan(LIMITS.directUploadBytes)
    const options: DeployOptions = { ...baseOptions, s3Bucket: 'artifacts', s3Prefix: 'lpd/' }
    const key = `lpd/orders/${sha256Hex(big.codeSha256)}.zip`

    const log = recordingLog()
    const [target] = await readTargets(['orders'], clients)
    const [result] = await deployAll([target!], buildOf([{ function: big }]), options, clients, {
      log
    })
    expect(result).toMatchObject({ status: 'deployed', upload: 's3', version: '1' })
    expect(await codeSha('orders')).toBe(big.codeSha256)
    const head = await moto.s3.send(new HeadObjectCommand({ Bucket: 'artifacts', Key: key }))
    expect(head.ContentLength).toBe(big.size)
    expect(
      log.lines.some((l) => /uploaded .* MiB \(100%\) to s3:\/\/artifacts\/lpd\/orders\//.test(l))
    ).toBe(true)

    // Put other code on the function, then ship the big package again: the object is reused.
    const small = await handlerZip(dir, 'small')
    await moto.lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: 'orders',
        ZipFile: await readFile(small.path)
      })
    )
    const s3Sent = recordCommands(clients.s3)
    const again = recordingLog()
    const [retarget] = await readTargets(['orders'], clients)
    const [second] = await deployAll([retarget!], buildOf([{ function: big }]), options, clients, {
      log: again
    })
    expect(second).toMatchObject({ status: 'deployed', upload: 's3' })
    expect(s3Sent).toEqual(['HeadObject'])
    expect(again.lines).toContain(
      `function orders: s3://artifacts/${key} is already there, its SHA-256 checksum the ` +
        "package's; not uploading"
    )
    expect(await codeSha('orders')).toBe(big.codeSha256)
  })

  it('publishes the layer once, attaches it next to the other layers, and replaces its version', async () => {
    const other = await moto.lambda.send(
      new PublishLayerVersionCommand({
        LayerName: 'shared-tools',
        Content: { ZipFile: await readFile((await layerZip('tools')).path) }
      })
    )
    await moto.createFunction({ name: 'orders', layers: [other.LayerVersionArn!] })
    const options: DeployOptions = {
      ...baseOptions,
      packageType: 'layer',
      layerName: 'orders-deps'
    }
    const deps1 = await layerZip('1.0')
    const code1 = await handlerZip(dir, 'code1')

    const [target] = await readTargets(['orders'], clients)
    const [first] = await deployAll(
      [target!],
      buildOf([{ function: code1, layer: deps1 }]),
      options,
      clients,
      { log: recordingLog() }
    )
    const deps1Arn = 'arn:aws:lambda:us-east-1:123456789012:layer:orders-deps:1'
    expect(first).toMatchObject({ status: 'deployed', version: '1', layerVersionArn: deps1Arn })
    const layer = await moto.lambda.send(
      new GetLayerVersionCommand({ LayerName: 'orders-deps', VersionNumber: 1 })
    )
    expect(layer.Content?.CodeSha256).toBe(deps1.codeSha256)
    expect(layer.CompatibleRuntimes).toEqual(['python3.12'])
    expect(layer.CompatibleArchitectures).toEqual(['arm64'])
    let config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect(config.Layers?.map((l) => l.Arn)).toEqual([other.LayerVersionArn, deps1Arn])
    expect(config.CodeSha256).toBe(code1.codeSha256)

    // New code, same dependencies: the layer version is reused, not published again.
    const code2 = await handlerZip(dir, 'code2')
    const [t2] = await readTargets(['orders'], clients)
    const [second] = await deployAll(
      [t2!],
      buildOf([{ function: code2, layer: deps1 }]),
      options,
      clients,
      { log: recordingLog() }
    )
    expect(second).toMatchObject({ status: 'deployed', version: '2', layerVersionArn: deps1Arn })
    const listed = await moto.lambda.send(
      new ListLayerVersionsCommand({ LayerName: 'orders-deps' })
    )
    expect(listed.LayerVersions).toHaveLength(1)

    // New dependencies: version 2, in the place of version 1; the other layer stays first.
    const deps2 = await layerZip('2.0')
    const [t3] = await readTargets(['orders'], clients)
    const [third] = await deployAll(
      [t3!],
      buildOf([{ function: code2, layer: deps2 }]),
      options,
      clients,
      { log: recordingLog() }
    )
    const deps2Arn = 'arn:aws:lambda:us-east-1:123456789012:layer:orders-deps:2'
    expect(third).toMatchObject({ status: 'deployed', version: '3', layerVersionArn: deps2Arn })
    config = await moto.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders' }))
    expect(config.Layers?.map((l) => l.Arn)).toEqual([other.LayerVersionArn, deps2Arn])
    expect(config.CodeSha256).toBe(code2.codeSha256)
  })

  it('leaves the alias where it was when the smoke invocation fails, and reports the new version', async () => {
    await moto.createFunction({ name: 'orders' })
    const options: DeployOptions = { ...baseOptions, alias: 'live', smokePayload: '{"ping":1}' }
    const [t1] = await readTargets(['orders'], clients)
    await deployAll(
      [t1!],
      buildOf([{ function: await handlerZip(dir, 'good') }]),
      options,
      clients,
      {
        log: recordingLog()
      }
    )
    expect(await aliasVersion('orders', 'live')).toBe('1')

    // moto answers a queued result over 6,000,000 bytes with FunctionError: Unhandled.
    await moto.queueInvokeResults(['x'.repeat(6_000_001)])
    const [t2] = await readTargets(['orders'], clients)
    const [result] = await deployAll(
      [t2!],
      buildOf([{ function: await handlerZip(dir, 'bad') }]),
      options,
      clients,
      { log: recordingLog() }
    )
    expect(result).toMatchObject({
      status: 'failed',
      version: '2',
      versionArn: 'arn:aws:lambda:us-east-1:123456789012:function:orders:2',
      smoke: {
        status: 'failed',
        detail: expect.stringMatching(/^Function\.ResponseSizeTooLarge: /)
      }
    })
    expect(result!.aliasArn).toBeUndefined()
    expect(result!.error).toMatch(/Smoke invocation of orders:2 failed \(FunctionError Unhandled\)/)
    expect(result!.error).toContain('Alias live was left at version 1.')
    expect(result!.error).toContain('Version 2 stays published.')
    // $LATEST's restore was tried through moto's code URL, which the proxy refuses (the restore
    // itself: test/integration/traffic-moto.test.ts).
    expect(result).toMatchObject({ rollout: 'rolled-back', latestRestore: { status: 'failed' } })
    expect(proxy.requests.map((r) => r.outcome)).toEqual(['refused'])
    expect(await aliasVersion('orders', 'live')).toBe('1')
    expect(await moto.publishedVersions('orders')).toHaveLength(2)
  })

  it('deploys the other functions when one fails, and reports each', async () => {
    await moto.createFunction({ name: 'alpha' })
    await moto.createFunction({ name: 'beta' })
    await moto.createFunction({ name: 'gamma' })
    const targets = await readTargets(['alpha', 'beta', 'gamma'], clients)
    await moto.lambda.send(new DeleteFunctionCommand({ FunctionName: 'beta' }))
    const pkg = await handlerZip(dir, 'multi')

    const results = await deployAll(
      targets,
      buildOf([{ function: pkg }]),
      { ...baseOptions, concurrency: 2 },
      clients,
      { log: recordingLog() }
    )
    expect(results.map((r) => [r.functionName, r.status, r.version])).toEqual([
      ['alpha', 'deployed', '1'],
      ['beta', 'failed', undefined],
      ['gamma', 'deployed', '1']
    ])
    expect(results[1]!.error).toMatch(/Function "beta" was not found in us-east-1/)
    expect(await codeSha('alpha')).toBe(pkg.codeSha256)
    expect(await codeSha('gamma')).toBe(pkg.codeSha256)
  })

  it('fails readTargets naming the missing function', async () => {
    await moto.createFunction({ name: 'alpha' })
    await expect(readTargets(['alpha', 'nope'], clients)).rejects.toThrow(
      /Function "nope" was not found in us-east-1: check function-name/
    )
  })
})

describe('keep-versions and keep-layer-versions against moto', () => {
  // In-flight window (wait-timeout + the function's timeout): 1 ms + 1 s here, so versions a
  // second old are prunable; the rule itself is table-tested in test/unit/deploy-prune.test.ts.
  const deps = { log: recordingLog(), waitTimeoutMs: 1 }

  async function shortTimeout(name: string): Promise<void> {
    await moto.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 1 })
    )
  }

  /** One run: deploy, then the prune stage, as main.ts wires them. */
  async function deployAndPrune(
    packages: { function: PackageFile; layer?: PackageFile },
    options: DeployOptions,
    keep: { keepVersions?: number; keepLayerVersions?: number }
  ) {
    const targets = await readTargets(['orders'], clients, deps)
    const results = await deployAll(targets, buildOf([packages]), options, clients, deps)
    const layer = await pruneAfterDeploy(
      targets,
      results,
      { ...keep, ...(options.layerName ? { layerName: options.layerName } : {}) },
      clients,
      deps
    )
    return { result: results[0]!, layer }
  }

  /**
   * One run of a layer build (handler code and dependencies named by `tag`); with `prune`,
   * keeping one function version and one layer version. moto numbers a new version by counting
   * the versions left (Lambda never reuses a number), so only the last run of a test prunes:
   * a deletion in an earlier one would make the next version take a number again.
   */
  async function deployLayered(tag: string, prune = false) {
    return deployAndPrune(
      { function: await handlerZip(dir, `code ${tag}`), layer: await layerZip(tag) },
      { ...baseOptions, packageType: 'layer', layerName: 'orders-deps' },
      prune ? { keepVersions: 1, keepLayerVersions: 1 } : {}
    )
  }

  it('four changed deploys with keep-versions 2 and another alias on version 1: 1, 3 and 4 remain', async () => {
    await moto.createFunction({ name: 'orders' })
    await shortTimeout('orders')
    const options: DeployOptions = { ...baseOptions, alias: 'live' }
    const keep = { keepVersions: 2 }

    const first = await deployAndPrune({ function: await handlerZip(dir, 'v1') }, options, keep)
    expect(first.result).toMatchObject({ status: 'deployed', version: '1' })
    await moto.lambda.send(
      new CreateAliasCommand({ FunctionName: 'orders', Name: 'rollback', FunctionVersion: '1' })
    )
    await deployAndPrune({ function: await handlerZip(dir, 'v2') }, options, keep)
    await deployAndPrune({ function: await handlerZip(dir, 'v3') }, options, keep)
    // Versions a second old are past the in-flight window.
    await new Promise((done) => setTimeout(done, 1_200))
    const v4 = await handlerZip(dir, 'v4')
    const fourth = await deployAndPrune({ function: v4 }, options, keep)

    expect(fourth.result).toMatchObject({ status: 'deployed', version: '4' })
    expect((await moto.publishedVersions('orders')).map((v) => v.version)).toEqual(['1', '3', '4'])
    expect(await aliasVersion('orders', 'live')).toBe('4')
    expect(fourth.result.prune).toEqual({
      subject: 'orders',
      deleted: ['2'],
      kept: [
        { version: '4', reasons: ['deployed by this run', 'one of the 2 newest', 'alias live'] },
        { version: '3', reasons: ['one of the 2 newest'] },
        { version: '1', reasons: ['alias rollback'] }
      ],
      warnings: []
    })

    // A re-run with the same code (as after a kill) finds version 4 and prunes again.
    const rerun = await deployAndPrune({ function: v4 }, options, { keepVersions: 1 })
    expect(rerun.result).toMatchObject({ status: 'unchanged', version: '4' })
    expect((await moto.publishedVersions('orders')).map((v) => v.version)).toEqual(['1', '4'])
  })

  it('keep-layer-versions 1: only the layer version in use stays; other layers are untouched', async () => {
    const other = await moto.lambda.send(
      new PublishLayerVersionCommand({
        LayerName: 'shared-tools',
        Content: { ZipFile: await readFile((await layerZip('tools')).path) }
      })
    )
    await moto.createFunction({ name: 'orders', layers: [other.LayerVersionArn!] })
    await shortTimeout('orders')
    await deployLayered('1')
    await deployLayered('2')
    // Versions a second old are past the in-flight window.
    await new Promise((done) => setTimeout(done, 1_200))
    const third = await deployLayered('3', true)

    const layerVersions = async (name: string) =>
      (
        (await moto.lambda.send(new ListLayerVersionsCommand({ LayerName: name }))).LayerVersions ??
        []
      ).map((v) => v.Version)
    expect(await layerVersions('orders-deps')).toEqual([3])
    expect(await layerVersions('shared-tools')).toEqual([1])
    expect(third.layer?.subject).toBe('layer orders-deps')
    expect(third.layer?.deleted).toEqual(['1', '2'])
    expect((await moto.publishedVersions('orders')).map((v) => v.version)).toEqual(['3'])
    const config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect(config.Layers?.map((l) => l.Arn)).toEqual([
      other.LayerVersionArn,
      'arn:aws:lambda:us-east-1:123456789012:layer:orders-deps:3'
    ])
  })

  it('keep-layer-versions never deletes a layer version that a function outside this run uses', async () => {
    await moto.createFunction({ name: 'orders' })
    await shortTimeout('orders')
    const first = await deployLayered('d1')
    // Another function of the account shares the first dependency layer version.
    await moto.createFunction({ name: 'billing', layers: [first.result.layerVersionArn!] })
    await deployLayered('d2')
    await new Promise((done) => setTimeout(done, 1_200))
    const third = await deployLayered('d3', true)

    const listed = await moto.lambda.send(
      new ListLayerVersionsCommand({ LayerName: 'orders-deps' })
    )
    expect((listed.LayerVersions ?? []).map((v) => v.Version)).toEqual([3, 1])
    expect(third.layer?.deleted).toEqual(['2'])
    expect(third.layer?.kept).toEqual([
      {
        version: '3',
        reasons: [
          'deployed by this run',
          'the newest',
          'attached to orders',
          'attached to orders:3'
        ]
      },
      { version: '1', reasons: ['attached to billing'] }
    ])
    const billing = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'billing' })
    )
    expect(billing.Layers?.map((l) => l.Arn)).toEqual([first.result.layerVersionArn])
  })
})
