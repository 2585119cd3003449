// Traffic shifting against a real moto server on loopback: moto stores the alias's
// RoutingConfig, takes AWS/Lambda datapoints (put-metric-data) and alarm states
// (set-alarm-state), so what the shift reads and leaves is real. Durations are seconds.
//
// moto's GetFunction names a code location on an AWS host that tests must never contact. The
// restore tests change only that URL (to a loopback code server holding the same bytes); the
// last test lets the action try moto's own URL through a forward proxy that refuses every host
// but loopback, and checks the attempt is made and reported.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  UpdateAliasCommand,
  type GetFunctionCommandOutput
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createClients, type AwsClients } from '../../src/aws/clients.js'
import { deployAll, readTargets, type DeployOptions } from '../../src/deploy/deploy.js'
import type { TrafficSpec } from '../../src/deploy/traffic/plan.js'
import { checkHealthSources } from '../../src/deploy/traffic/preflight.js'
import type { PackageFile } from '../../src/types.js'
import { startCodeServer, type CodeServer } from '../helpers/code-server.js'
import { buildOf, recordingLog } from '../helpers/deploy-fixtures.js'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'
import { handlerZip, startMoto, type MotoServer } from '../helpers/moto.js'

let moto: MotoServer
let restoreEnv: () => void
let clients: AwsClients
let proxy: ForwardProxy
let server: CodeServer
let dir: string

const base: DeployOptions = {
  runtime: 'python3.12',
  packageType: 'zip',
  s3Prefix: 'lambda-python-deploy/',
  publish: true,
  alias: 'live',
  smokePayload: '{"ping": 1}'
}
const canary: TrafficSpec = { kind: 'canary', percent: 10, stepMs: 3_000 }

async function deploy(pkg: PackageFile, options: Partial<DeployOptions> = {}) {
  const log = recordingLog()
  const targets = await readTargets(['orders'], clients, { log })
  const [result] = await deployAll(
    targets,
    buildOf([{ function: pkg }]),
    { ...base, ...options },
    clients,
    {
      log
    }
  )
  return { result: result!, log }
}

async function aliasNow() {
  return moto.lambda.send(new GetAliasCommand({ FunctionName: 'orders', Name: 'live' }))
}

/** The alias as a killed run leaves it: `serving` with `weight` routed to `routed`. */
async function leaveShare(serving: string, routed: string, weight: number): Promise<void> {
  await moto.lambda.send(
    new UpdateAliasCommand({
      FunctionName: 'orders',
      Name: 'live',
      FunctionVersion: serving,
      RoutingConfig: { AdditionalVersionWeights: { [routed]: weight } }
    })
  )
}

async function latestSha(): Promise<string | undefined> {
  return (await moto.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders' })))
    .CodeSha256
}

/** Resolves with the alias's weights once it routes a share (polled while a deploy runs). */
async function routingSeen(until: Promise<unknown>): Promise<Record<string, number>> {
  let done = false
  void until.finally(() => (done = true))
  while (!done) {
    const weights = (await aliasNow()).RoutingConfig?.AdditionalVersionWeights ?? {}
    if (Object.keys(weights).length > 0) return weights
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the deploy ended before the alias routed any traffic')
}

/**
 * GetFunction answered by moto, its Code.Location (an AWS host) swapped for the loopback code
 * server holding `code`: the download, the upload and moto's $LATEST are real.
 */
function codeOnLoopback(code: Uint8Array): string[] {
  const asked: string[] = []
  const send = clients.lambda.send.bind(clients.lambda) as (command: unknown) => Promise<unknown>
  vi.spyOn(clients.lambda, 'send').mockImplementation((async (command: unknown) => {
    const answer = await send(command)
    if (command instanceof GetFunctionCommand) {
      const found = answer as GetFunctionCommandOutput
      asked.push(found.Code!.Location!)
      found.Code!.Location = server.serve(`orders-${command.input.Qualifier}`, code)
    }
    return answer
  }) as never)
  return asked
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
  server = await startCodeServer()
  dir = await mkdtemp(join(tmpdir(), 'lpd-traffic-moto-'))
})

afterAll(async () => {
  restoreEnv?.()
  await moto?.stop()
  await proxy?.stop()
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

let v1: PackageFile

beforeEach(async () => {
  vi.restoreAllMocks()
  await moto.reset()
  await moto.createFunction({ name: 'orders' })
  await moto.createAlarm('orders-errors')
  v1 = await handlerZip(dir, 'v1')
  // Version 1 serves through live: the version every test shifts away from.
  const { result } = await deploy(v1)
  expect(result).toMatchObject({ version: '1', rollout: 'promoted' })
})

describe('traffic shifting against moto', () => {
  it('a healthy canary routes 10% to the new version, then promotes it with no routing left', async () => {
    const running = deploy(await handlerZip(dir, 'v2'), {
      traffic: canary,
      health: { alarms: ['orders-errors'], maxErrors: 0 }
    })
    expect(await routingSeen(running)).toEqual({ '2': 0.1 })
    expect((await aliasNow()).FunctionVersion).toBe('1')
    // Healthy traffic, as Lambda would count it: reported, no error.
    await moto.putVersionMetric('orders', 'live', '2', 'Invocations', 40)
    await moto.putVersionMetric('orders', 'live', '2', 'Throttles', 2)
    const { result, log } = await running

    expect(result).toMatchObject({
      status: 'deployed',
      version: '2',
      rollout: 'promoted',
      servingVersion: '2',
      previousAliasVersion: '1'
    })
    const alias = await aliasNow()
    expect(alias.FunctionVersion).toBe('2')
    expect(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({})
    expect(result.traffic?.steps.map((s) => [s.percent, s.verdict])).toEqual([
      [0, 'healthy'],
      [10, 'healthy'],
      [100, 'promoted']
    ])
    expect(result.traffic?.steps[1]).toMatchObject({ invocations: 40, throttles: 2, errors: 0 })
    expect(log.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^orders: alias live moved from version 1 to 2 after \d+ s of canary 10% 3s$/
        )
      ])
    )
  })

  it('an alarm tripped mid-canary rolls back: alias on version 1, routing cleared, $LATEST restored', async () => {
    const v2 = await handlerZip(dir, 'v2')
    const downloaded = codeOnLoopback(await readFile(v1.path))
    const running = deploy(v2, {
      traffic: canary,
      health: { alarms: ['orders-errors'], maxErrors: 0 }
    })
    await routingSeen(running)
    expect(await latestSha()).toBe(v2.codeSha256)
    await moto.setAlarmState('orders-errors', 'ALARM', 'Threshold Crossed: 1 datapoint [5.0]')
    const { result } = await running

    expect(result).toMatchObject({
      status: 'failed',
      rollout: 'rolled-back',
      servingVersion: '1',
      latestRestore: { status: 'restored' }
    })
    expect(result.error).toMatch(
      /^Version 2 was rejected: alarm orders-errors is in ALARM \(Threshold Crossed: 1 datapoint \[5\.0\]\) \(at 10% to version 2, \d s into the shift\)\.\nAlias live serves version 1 again, routing cleared\.\n\$LATEST restored to the code of version 1 /
    )
    const alias = await aliasNow()
    expect(alias.FunctionVersion).toBe('1')
    expect(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({})
    expect(await latestSha()).toBe(v1.codeSha256)
    // moto's own URL was asked for and never contacted.
    expect(downloaded).toEqual([expect.stringMatching(/^https:\/\/awslambda-us-east-1-tasks\./)])
    expect(result.traffic?.steps.at(-1)).toMatchObject({
      percent: 10,
      verdict: 'unhealthy',
      alarmsInAlarm: ['orders-errors']
    })
  })

  it('errors seeded for the new version roll back, naming the metric and its sum', async () => {
    codeOnLoopback(await readFile(v1.path))
    const running = deploy(await handlerZip(dir, 'v2'), {
      traffic: { kind: 'linear', percent: 50, stepMs: 3_000 },
      health: { alarms: [], maxErrors: 1 }
    })
    await routingSeen(running)
    await moto.putVersionMetric('orders', 'live', '2', 'Invocations', 9)
    await moto.putVersionMetric('orders', 'live', '2', 'Errors', 2)
    // The old version's errors are not the new one's: never counted.
    await moto.putVersionMetric('orders', 'live', '1', 'Errors', 50)
    const { result } = await running
    expect(result.rollout).toBe('rolled-back')
    expect(result.error).toMatch(
      /^Version 2 was rejected: AWS\/Lambda Errors of version 2 through orders:live is 2 \(in 9 invocations\), above max-errors 1 \(at 50% to version 2, /
    )
    expect((await aliasNow()).FunctionVersion).toBe('1')
    expect(await latestSha()).toBe(v1.codeSha256)
  })

  it('$LATEST is restored after a failed smoke invocation; the alias never moved', async () => {
    codeOnLoopback(await readFile(v1.path))
    // moto answers a queued result over 6,000,000 bytes with FunctionError: Unhandled.
    await moto.queueInvokeResults(['x'.repeat(6_000_001)])
    const { result } = await deploy(await handlerZip(dir, 'bad'))
    expect(result).toMatchObject({
      rollout: 'rolled-back',
      smoke: { status: 'failed' },
      latestRestore: { status: 'restored' }
    })
    expect(result.error).toMatch(/^Version 2 was rejected: Smoke invocation of orders:2 failed/)
    expect(result.error).toContain('Alias live was left at version 1.')
    expect((await aliasNow()).FunctionVersion).toBe('1')
    expect(await latestSha()).toBe(v1.codeSha256)
  })

  it('restores through moto’s own code URL: attempted, refused by the proxy, and reported', async () => {
    proxy.requests.length = 0
    {
      await moto.queueInvokeResults(['x'.repeat(6_000_001)])
      const { result } = await deploy(await handlerZip(dir, 'bad'))
      expect(result).toMatchObject({ rollout: 'rolled-back', latestRestore: { status: 'failed' } })
      expect(result.latestRestore?.detail).toMatch(
        /^\$LATEST still runs the rejected code \(CodeSha256 .{12}\): restoring the code of version 1 failed: downloading from awslambda-us-east-1-tasks\.s3\.us-east-1\.amazonaws\.com failed: cannot reach awslambda-us-east-1-tasks\.s3\.us-east-1\.amazonaws\.com:443 through the proxy http:\/\/127\.0\.0\.1:\d+ \(from HTTPS_PROXY\): the proxy answered 403/
      )
      expect(result.error).toContain(result.latestRestore!.detail)
      expect(proxy.requests).toEqual([
        {
          method: 'CONNECT',
          target: 'awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com:443',
          outcome: 'refused'
        }
      ])
    }
  })

  it('an earlier run’s half shift to another version is rolled back before this deploy, and said', async () => {
    const v2 = await handlerZip(dir, 'v2')
    await deploy(v2, { traffic: { kind: 'canary', percent: 10, stepMs: 1_000 } })
    // As a killed run leaves it: 30% to version 1 while 2 serves.
    await leaveShare('2', '1', 0.3)
    const { result, log } = await deploy(await handlerZip(dir, 'v3'))
    expect(result).toMatchObject({ version: '3', rollout: 'promoted', servingVersion: '3' })
    expect(log.warnings).toContain(
      'orders: alias live routes 30% to version 1, left by a traffic shift that did not finish (a killed run?): rolling it back to version 2, routing cleared, before this deployment'
    )
    expect((await aliasNow()).RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({})
  })
})

describe('several functions', () => {
  it('each shifts on its own health: the one with errors rolls back, the other promotes', async () => {
    await moto.createFunction({ name: 'billing' })
    const log = recordingLog()
    const first = await handlerZip(dir, 'both-v1')
    // billing's version 1 behind live too (orders has one from beforeEach).
    const setup = await readTargets(['billing'], clients, { log })
    await deployAll(setup, buildOf([{ function: first }]), base, clients, { log })
    const billingV1 = await readFile(first.path)
    codeOnLoopback(billingV1)

    const targets = await readTargets(['orders', 'billing'], clients, { log })
    const running = deployAll(
      targets,
      buildOf([{ function: await handlerZip(dir, 'both-v2') }]),
      { ...base, traffic: canary, health: { alarms: [], maxErrors: 0 } },
      clients,
      { log }
    )
    await routingSeen(running)
    await moto.putVersionMetric('billing', 'live', '2', 'Errors', 1)
    const [orders, billing] = await running

    expect(orders).toMatchObject({
      functionName: 'orders',
      rollout: 'promoted',
      servingVersion: '2'
    })
    expect(billing).toMatchObject({
      functionName: 'billing',
      rollout: 'rolled-back',
      servingVersion: '1',
      latestRestore: { status: 'restored' }
    })
    expect(billing!.error).toMatch(
      /^Version 2 was rejected: AWS\/Lambda Errors of version 2 through billing:live is 1/
    )
    const billingAlias = await moto.lambda.send(
      new GetAliasCommand({ FunctionName: 'billing', Name: 'live' })
    )
    expect(billingAlias.FunctionVersion).toBe('1')
    expect(billingAlias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({})
    expect((await aliasNow()).FunctionVersion).toBe('2')
    // Side by side: each shift began before the other ended.
    const [a, b] = [orders!.traffic!, billing!.traffic!]
    expect(a.startedAt).toBeLessThan(b.startedAt + b.totalMs)
    expect(b.startedAt).toBeLessThan(a.startedAt + a.totalMs)
  })
})

describe('checks before any change', () => {
  it('an alarm that does not exist fails naming the input, before anything is sent to Lambda', async () => {
    const targets = await readTargets(['orders'], clients)
    await expect(
      checkHealthSources(
        targets,
        'live',
        { alarms: ['orders-errors', 'typo-alarm'], maxErrors: 0 },
        clients
      )
    ).rejects.toThrow(
      /^alarms: 'typo-alarm' does not exist in us-east-1: give the names of existing CloudWatch alarms/
    )
  })

  it('an alarm in ALARM already fails before anything changes, unless a shift is unfinished', async () => {
    await moto.setAlarmState('orders-errors', 'ALARM', 'Threshold Crossed')
    const targets = await readTargets(['orders'], clients)
    const health = { alarms: ['orders-errors'], maxErrors: 0 }
    await expect(checkHealthSources(targets, 'live', health, clients)).rejects.toThrow(
      /^alarms: orders-errors \(Threshold Crossed\): in ALARM already, so a traffic shift would roll back before routing a single request\. Nothing was changed\./
    )
    const log = recordingLog()
    // A leftover share: the deploy must go on to finish or roll it back.
    await leaveShare('1', '2', 0.2)
    await checkHealthSources(targets, 'live', health, clients, { log })
    expect(log.warnings[0]).toMatch(
      /^alarms: orders-errors \(Threshold Crossed\) in ALARM, and 1 alias still route traffic/
    )
  })
})
