// The run killed (SIGKILL: no handler runs, nothing is cleaned up) at each phase, then run
// again as it was: the rerun converges. Same CodeSha256 on the function, the alias on a version
// with that code, one version per code, one layer version per layer content, no multipart
// upload left open. The proxy holds the request that marks the phase until the test kills.
import type { ChildProcess } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateAliasCommand, PublishVersionCommand } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  buildPackages,
  deployThrough,
  descendants,
  functionState,
  killHard,
  layerVersions,
  logOf,
  openUploads,
  publishOldVersions,
  standardPackages,
  FAULT_BUCKET,
  startFaultBench,
  writeSource,
  type BuiltPackages,
  type FaultBench
} from '../helpers/fault-bench.js'
import type { FaultAction, FaultProxy, RequestMatch } from '../helpers/fault-proxy.js'
import type { ActionRun } from '../helpers/run-action.js'

const BUCKET = FAULT_BUCKET
let bench: FaultBench
let proxy: FaultProxy
let small: BuiltPackages
let big: BuiltPackages
let layered: BuiltPackages
/** A clean build of the source the build-phase test uses, for its CodeSha256. */
let reference: BuiltPackages
/** requirements.txt naming one pure-Python wheel from a local folder: pip runs, offline. */
let requirements: string

beforeAll(async () => {
  bench = await startFaultBench()
  proxy = bench.proxy
  ;({ requirements, small, big, layered } = await standardPackages(bench))
  reference = await buildPackages(bench.dir, { inputs: { requirements, installer: 'pip' } })
})

afterAll(async () => {
  await bench?.stop()
})

beforeEach(() =>
  bench.fresh({
    // The alias on the function's first version: a deployment moves it.
    setup: async () => {
      await bench.moto.lambda.send(new PublishVersionCommand({ FunctionName: 'orders' }))
      await bench.moto.lambda.send(
        new CreateAliasCommand({ FunctionName: 'orders', Name: 'live', FunctionVersion: '1' })
      )
    }
  })
)

/**
 * Starts a deploy, waits until the proxy holds the request that marks the phase, kills the run
 * there, and returns its log (the held request is dropped with the connection).
 */
async function killWhenHeld(
  inputs: Record<string, string>,
  match: RequestMatch,
  action: Extract<FaultAction, { kind: 'hold' }>,
  options: { skip?: number } = {}
): Promise<ActionRun> {
  const hold = proxy.inject(match, action, options)
  let child: ChildProcess | undefined
  const run = deployThrough(proxy, inputs, { onSpawn: (c) => (child = c) })
  const first = await Promise.race([hold.reached.then(() => 'held' as const), run])
  if (first !== 'held') throw new Error(`the run ended before the hold:\n${logOf(first)}`)
  killHard(child!)
  const killed = await run
  expect(killed.code, logOf(killed)).not.toBe(0)
  proxy.clear()
  // From here on, the proxy counts the rerun's requests only.
  proxy.forget()
  return killed
}

const ALIAS_INPUTS = { 'function-name': 'orders', alias: 'live' }

/** One version per code: versions 1 (the first code) and 2 (ours), the alias on 2. */
async function expectConverged(codeSha256: string): Promise<void> {
  const state = await functionState(bench.moto, 'orders', 'live')
  expect(state.codeSha256).toBe(codeSha256)
  expect(state.versions.map((v) => v.version)).toEqual(['1', '2'])
  expect(state.versions[0]!.codeSha256).not.toBe(codeSha256)
  expect(state.versions[1]!.codeSha256).toBe(codeSha256)
  expect(state.aliasVersion).toBe('2')
  expect(await openUploads(bench.moto, BUCKET)).toEqual([])
}

async function rerun(inputs: Record<string, string>): Promise<ActionRun> {
  const again = await deployThrough(proxy, inputs)
  expect(again.code, logOf(again)).toBe(0)
  return again
}

describe('killed, then run again', () => {
  it('during the build (pip running): nothing was sent; the rerun builds the same package', async () => {
    const source = await writeSource(bench.dir)
    const outputDir = await mkdtemp(join(bench.dir, 'out-'))
    const toolCache = await mkdtemp(join(bench.dir, 'tool-cache-'))
    const inputs = {
      ...ALIAS_INPUTS,
      source,
      requirements,
      installer: 'pip',
      'import-check': 'false',
      cache: 'false',
      'output-dir': outputDir
    }
    // The same wheel store and output-dir for both runs: whatever the killed run left there.
    const env = { RUNNER_TOOL_CACHE: toolCache }
    let child: ChildProcess | undefined
    const killed = await deployThrough(proxy, inputs, {
      env,
      onSpawn: (c) => {
        child = c
        const timer = setInterval(() => {
          if (c.exitCode !== null) return clearInterval(timer)
          if (pipRunning(c.pid!)) {
            clearInterval(timer)
            killHard(c)
          }
        }, 20)
      }
    })
    expect(child).toBeDefined()
    expect(killed.code, logOf(killed)).not.toBe(0)
    expect(killed.stdout).not.toMatch(/Build python3\.12 arm64 done/)
    expect(proxy.count({ service: 'lambda', method: 'PUT' })).toBe(0)
    expect(proxy.count({ service: 'lambda', method: 'POST' })).toBe(0)

    const again = await deployThrough(proxy, inputs, { env })
    expect(again.code, logOf(again)).toBe(0)
    expect(again.outputs['code-sha256']).toBe(reference.functionSha)
    await expectConverged(reference.functionSha)
  })

  it('after UpdateFunctionCode, before PublishVersion: the rerun publishes once', async () => {
    const inputs = { ...ALIAS_INPUTS, 'package-dir': small.packageDir }
    await killWhenHeld(inputs, { operation: 'PublishVersion' }, { kind: 'hold', forward: false })
    const between = await functionState(bench.moto, 'orders', 'live')
    expect(between).toMatchObject({ codeSha256: small.functionSha, aliasVersion: '1' })
    expect(between.versions).toHaveLength(1)

    const again = await rerun(inputs)
    expect(again.outputs).toMatchObject({ changed: 'true', version: '2' })
    expect(proxy.count({ operation: 'UpdateFunctionCode' })).toBe(0)
    await expectConverged(small.functionSha)
  })

  it('after PublishVersion, before the alias moves: the rerun reuses the version', async () => {
    const inputs = { ...ALIAS_INPUTS, 'package-dir': small.packageDir }
    await killWhenHeld(inputs, { operation: 'PublishVersion' }, { kind: 'hold', forward: true })
    const between = await functionState(bench.moto, 'orders', 'live')
    expect(between.versions).toHaveLength(2)
    expect(between.aliasVersion).toBe('1')

    const again = await rerun(inputs)
    expect(again.outputs).toMatchObject({ changed: 'false', version: '2' })
    expect(proxy.count({ operation: 'PublishVersion' })).toBe(0)
    await expectConverged(small.functionSha)
  })

  it('during the S3 multipart upload: the rerun leaves no upload open', async () => {
    const inputs = { ...ALIAS_INPUTS, 'package-dir': big.packageDir, 's3-bucket': BUCKET }
    await killWhenHeld(
      inputs,
      { operation: 'UploadPart' },
      { kind: 'hold', forward: false },
      { skip: 1 }
    )
    expect(await openUploads(bench.moto, BUCKET)).toHaveLength(1)

    const again = await rerun(inputs)
    expect(again.stdout).toMatch(
      /aborted an unfinished upload to s3:\/\/artifacts\/.* that an earlier run left/
    )
    expect(proxy.count({ operation: 'AbortMultipartUpload' })).toBe(1)
    await expectConverged(big.functionSha)
  })

  it('after UpdateFunctionCode from S3 (object uploaded): the rerun uploads nothing again', async () => {
    const inputs = { ...ALIAS_INPUTS, 'package-dir': big.packageDir, 's3-bucket': BUCKET }
    await killWhenHeld(inputs, { operation: 'UpdateFunctionCode' }, { kind: 'hold', forward: true })

    await rerun(inputs)
    expect(proxy.count({ operation: 'CreateMultipartUpload' })).toBe(0)
    expect(proxy.count({ operation: 'UpdateFunctionCode' })).toBe(0)
    await expectConverged(big.functionSha)
  })

  it.each([
    ['after PublishLayerVersion, before attaching it', 'PublishLayerVersion'],
    ['after attaching the layer, before the code update', 'UpdateFunctionConfiguration'],
    ['after the code update of a layer deployment', 'UpdateFunctionCode']
  ])('package-type: layer, %s: no second layer version', async (_phase, operation) => {
    const inputs = {
      ...ALIAS_INPUTS,
      'package-dir': layered.packageDir,
      'package-type': 'layer',
      'layer-name': 'orders-deps'
    }
    await killWhenHeld(inputs, { operation }, { kind: 'hold', forward: true })

    const again = await rerun(inputs)
    expect(proxy.count({ operation: 'PublishLayerVersion' })).toBe(0)
    const layers = await layerVersions(bench.moto, 'orders-deps')
    expect(layers.map((l) => l.version)).toEqual([1])
    expect(again.outputs['layer-version-arn']).toBe(layers[0]!.arn)
    await expectConverged(layered.functionSha)
  })

  it('while keep-versions deletes old versions: the rerun deletes the rest', async () => {
    const { moto } = bench
    // Versions 2 and 3 of other code besides 1 (the alias's), older than the in-flight window
    // (wait-timeout 1 s + the function's timeout 1 s).
    await publishOldVersions(moto, 'orders', [2, 3])
    const inputs = {
      ...ALIAS_INPUTS,
      'package-dir': small.packageDir,
      'keep-versions': '1',
      'wait-timeout': '1s'
    }
    // Killed at the second deletion (version 2), after version 1 went.
    await killWhenHeld(
      inputs,
      { operation: 'DeleteFunction' },
      { kind: 'hold', forward: false },
      { skip: 1 }
    )
    const between = await functionState(moto, 'orders', 'live')
    expect(between.versions.map((v) => v.version)).toEqual(['2', '3', '4'])
    expect(between.aliasVersion).toBe('4')

    const again = await rerun(inputs)
    expect(again.outputs).toMatchObject({ changed: 'false', version: '4' })
    const after = await functionState(moto, 'orders', 'live')
    expect(after.versions.map((v) => v.version)).toEqual(['4'])
    expect(after.codeSha256).toBe(small.functionSha)
    expect(after.versions[0]!.codeSha256).toBe(small.functionSha)
  })
})

/** True while a `python -m pip` process (the build's resolver) runs below `pid`. */
function pipRunning(pid: number): boolean {
  return descendants(pid).some((p) => / -m pip (download|install|wheel) /.test(p.cmdline))
}
