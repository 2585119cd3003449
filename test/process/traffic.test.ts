// Traffic shifting end to end through `node dist/index.js` against moto on 127.0.0.1, with
// durations of seconds: a healthy canary, an alarm that trips mid-shift, a job cancelled the way
// GitHub cancels one (SIGINT, then SIGTERM), and a run killed mid-shift, then run again.
//
// Every run gets HTTPS_PROXY pointing at a forward proxy that refuses every host but loopback
// (reached directly through NO_PROXY): the $LATEST restore asks for moto's code URL, on an AWS
// host, and the tests check it was attempted and reported, and refused.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand
} from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js'
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'

let moto: MotoServer
let proxy: ForwardProxy
const toolCache = mkdtempSync(join(tmpdir(), 'lpd-traffic-store-'))

function sourceDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lpd-traffic-src-'))
  writeFileSync(
    join(dir, 'app.py'),
    `import os\nTAG = ${JSON.stringify(tag)}\n\ndef handler(event, context):\n    return {"tag": TAG}\n`
  )
  return dir
}

interface Run {
  run: Promise<ActionRun>
  /** Resolves when the log has printed a line matching `pattern`. */
  logged(pattern: RegExp): Promise<void>
  child(): ChildProcess
}

function start(inputs: Record<string, string>): Run {
  let child: ChildProcess | undefined
  let log = ''
  const waiting: { pattern: RegExp; resolve: () => void }[] = []
  const run = runAction({
    inputs: { 'function-name': 'orders', alias: 'live', 'smoke-payload': '{"ping": 1}', ...inputs },
    env: {
      ...moto.env,
      RUNNER_TOOL_CACHE: toolCache,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1'
    },
    onSpawn: (spawned) => {
      child = spawned
      spawned.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString()
        for (const wait of [...waiting]) {
          if (wait.pattern.test(log)) {
            waiting.splice(waiting.indexOf(wait), 1)
            wait.resolve()
          }
        }
      })
    }
  })
  return {
    run,
    logged: (pattern) =>
      Promise.race([
        new Promise<void>((resolve) => {
          if (pattern.test(log)) resolve()
          else waiting.push({ pattern, resolve })
        }),
        run.then((ended) => {
          throw new Error(`the run ended before logging ${pattern}:\n${ended.stdout}`)
        })
      ]),
    child: () => child!
  }
}

async function alias() {
  const found = await moto.lambda.send(
    new GetAliasCommand({ FunctionName: 'orders', Name: 'live' })
  )
  return {
    version: found.FunctionVersion,
    weights: found.RoutingConfig?.AdditionalVersionWeights ?? {}
  }
}

async function latestSha(): Promise<string | undefined> {
  return (await moto.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders' })))
    .CodeSha256
}

/** The proxy's record of the restore's download: moto's code URL, on an AWS host, refused. */
function restoreAttempts(): string[] {
  return proxy.requests
    .filter((r) => r.target.startsWith('awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com'))
    .map((r) => `${r.method} ${r.target} ${r.outcome}`)
}

let v1Sha: string | undefined

/** The log as a reader sees it: workflow commands' escapes (%25, %0A) undone. */
function readable(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

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
  proxy.requests.length = 0
  // Version 1 serves through live; the alarm watches it.
  await moto.createFunction({ name: 'orders', runtime: 'python3.12', architecture: 'arm64' })
  await moto.lambda.send(new PublishVersionCommand({ FunctionName: 'orders' }))
  await moto.lambda.send(
    new CreateAliasCommand({ FunctionName: 'orders', Name: 'live', FunctionVersion: '1' })
  )
  await moto.createAlarm('orders-errors')
  v1Sha = await latestSha()
})

describe('node dist/index.js, traffic', () => {
  it('a healthy canary promotes; outputs, job summary timeline and chart say so', async () => {
    const { run } = start({
      source: sourceDir('v2'),
      traffic: 'canary 10% 2s',
      alarms: 'orders-errors'
    })
    const done = await run
    expect(done.code, done.stdout).toBe(0)
    expect(done.outputs).toMatchObject({
      version: '2',
      rollout: 'promoted',
      'serving-version': '2'
    })
    expect(await alias()).toEqual({ version: '2', weights: {} })
    expect(done.stdout).toMatch(/orders: 10% of live to version 2 for 2s/)
    expect(done.summary).toContain('#### Traffic')
    expect(done.summary).toContain('##### `orders`: alias `live`, canary 10% 2s, version 1 → 2')
    expect(done.summary).toMatch(
      /\| 1 \| \+[\d.]+ (ms|s) \| [\d.]+ s \| 10% \| 0 \| 0 \| 0 \| none \| 2 \| ✅ healthy \|/
    )
    expect(done.summary).toContain('```mermaid\ngantt\n')
    expect(restoreAttempts()).toEqual([])
  })

  it('an alarm tripped mid-canary: rolled back, the step fails naming the alarm and versions', async () => {
    const { run, logged } = start({
      source: sourceDir('v2'),
      traffic: 'canary 10% 4s',
      alarms: 'orders-errors'
    })
    await logged(/10% of live to version 2 for 4s/)
    expect(await alias()).toEqual({ version: '1', weights: { '2': 0.1 } })
    await moto.setAlarmState('orders-errors', 'ALARM', 'Threshold Crossed: 1 datapoint [7.0]')
    const done = await run

    expect(done.code).toBe(1)
    expect(done.outputs).toMatchObject({ rollout: 'rolled-back', 'serving-version': '1' })
    expect(await alias()).toEqual({ version: '1', weights: {} })
    const error = readable(done.errors.join('\n'))
    expect(error).toMatch(
      /^orders: Version 2 was rejected: alarm orders-errors is in ALARM \(Threshold Crossed: 1 datapoint \[7\.0\]\) \(at 10% to version 2, \d+ s into the shift\)\.\nAlias live serves version 1 again, routing cleared\.\n\$LATEST still runs the rejected code \(CodeSha256 .{12}\): restoring the code of version 1 failed: downloading from awslambda-us-east-1-tasks\.s3\.us-east-1\.amazonaws\.com failed: .*the proxy answered 403/
    )
    // Attempted through the runner's proxy, which would not let it leave this machine.
    expect(restoreAttempts()).toEqual([
      'CONNECT awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com:443 refused'
    ])
    expect(done.summary).toContain('↩️ rolled back to 1')
    expect(done.summary).toMatch(
      /\| 1 \| .* \| 10% \| .* \| orders-errors \| \d+ \| ❌ unhealthy \|/
    )
    expect(done.summary).toContain('rolled back to v1 :crit')
  })

  it('a cancelled job (SIGINT, then SIGTERM) mid-shift rolls back and leaves no routing', async () => {
    const { run, logged, child } = start({ source: sourceDir('v2'), traffic: 'canary 10% 10m' })
    await logged(/10% of live to version 2 for 10m/)
    expect((await alias()).weights).toEqual({ '2': 0.1 })
    // As GitHub's runner cancels a step: SIGINT, then SIGTERM a few seconds later.
    child().kill('SIGINT')
    const term = setTimeout(() => child().kill('SIGTERM'), 2_000)
    const done = await run
    clearTimeout(term)

    expect(done.code).toBe(1)
    expect(done.stdout).toMatch(/SIGINT received: the job was cancelled\. Rolling back/)
    expect(done.outputs).toMatchObject({ rollout: 'rolled-back', 'serving-version': '1' })
    expect(readable(done.errors.join('\n'))).toMatch(
      /^orders: Version 2 was rejected: the job was cancelled \(at 10% to version 2, \d+ s into the shift\)\.\nAlias live serves version 1 again, routing cleared\./
    )
    expect(await alias()).toEqual({ version: '1', weights: {} })
    expect(restoreAttempts()).toHaveLength(1)
  })

  it('killed mid-shift, then run again: the rerun finishes the shift it finds, and says so', async () => {
    const inputs = { source: sourceDir('v2'), traffic: 'canary 10% 2s' }
    const first = start(inputs)
    await first.logged(/10% of live to version 2 for 2s/)
    first.child().kill('SIGKILL')
    expect((await first.run).code).not.toBe(0)
    const between = await alias()
    expect(between).toEqual({ version: '1', weights: { '2': 0.1 } })
    const v2Sha = await latestSha()
    expect(v2Sha).not.toBe(v1Sha)

    const again = await start(inputs).run
    expect(again.code, again.stdout).toBe(0)
    expect(readable(again.stdout)).toContain(
      'orders: alias live routes 10% to version 2, left by a shift that did not finish (a killed run?): finishing it, from 10%, health checked as before'
    )
    expect(again.outputs).toMatchObject({
      changed: 'false',
      version: '2',
      rollout: 'promoted',
      'serving-version': '2'
    })
    expect(await alias()).toEqual({ version: '2', weights: {} })
    expect((await moto.publishedVersions('orders')).map((v) => v.version)).toEqual(['1', '2'])
    expect(await latestSha()).toBe(v2Sha)
    expect(again.summary).toContain("Resumed an earlier run's unfinished shift found at 10%.")
  })

  it('killed mid-shift, then a run of other code: the leftover share is rolled back first', async () => {
    const first = start({ source: sourceDir('v2'), traffic: 'canary 10% 30s' })
    await first.logged(/10% of live to version 2 for 30s/)
    first.child().kill('SIGKILL')
    await first.run

    const again = await start({ source: sourceDir('v3') }).run
    expect(again.code, again.stdout).toBe(0)
    expect(readable(again.stdout)).toMatch(
      /orders: alias live routes 10% to version 2, left by a traffic shift that did not finish \(a killed run\?\): rolling it back to version 1, routing cleared, before this deployment/
    )
    expect(again.outputs).toMatchObject({ version: '3', rollout: 'promoted' })
    expect(await alias()).toEqual({ version: '3', weights: {} })
  })

  it('an alarm that does not exist fails before anything is sent to Lambda but reads', async () => {
    const done = await start({
      source: sourceDir('v2'),
      traffic: 'canary 10% 2s',
      alarms: 'orders-errors, orders-typo'
    }).run
    expect(done.code).toBe(1)
    expect(done.errors[0]).toMatch(/^alarms: 'orders-typo' does not exist in us-east-1/)
    expect((await moto.publishedVersions('orders')).map((v) => v.version)).toEqual(['1'])
    expect(await latestSha()).toBe(v1Sha)
  })
})
