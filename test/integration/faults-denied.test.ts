// AccessDenied on each call the deploy makes, in turn, through `node dist/index.js` against moto
// behind the fault proxy: the step fails at once, sends the denied call once, and names the IAM
// action to allow. The SDK's own waiters retry on every error, so a missing permission there
// looks like a five-minute timeout; the bound below is that difference, not a speed test.
import {
  CreateAliasCommand,
  ListVersionsByFunctionCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand
} from '@aws-sdk/client-lambda'
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { MULTIPART } from '../../src/deploy/upload.js'
import {
  deployThrough,
  logOf,
  openUploads,
  publishOldVersions,
  standardPackages,
  FAULT_BUCKET,
  startFaultBench,
  type BuiltPackages,
  type FaultBench
} from '../helpers/fault-bench.js'
import type { FaultProxy } from '../helpers/fault-proxy.js'
import { helloZip, MOTO_ACCOUNT, MOTO_REGION } from '../helpers/moto.js'

/**
 * Generous on purpose: a denied run takes about a second here, a waiter that hides AccessDenied
 * takes 300 s. Two shared cores and node start-up make anything tighter a flaky perf assertion.
 */
const FAILS_WITHIN_MS = 30_000
const BUCKET = FAULT_BUCKET
let bench: FaultBench
let proxy: FaultProxy
let small: BuiltPackages
let big: BuiltPackages
let layered: BuiltPackages

beforeAll(async () => {
  bench = await startFaultBench()
  proxy = bench.proxy
  ;({ small, big, layered } = await standardPackages(bench))
})

afterAll(async () => {
  await bench?.stop()
})

beforeEach(() => bench.fresh({ withFunction: false }))

/** What the function and its surroundings hold before the run. */
type Setup = 'new code' | 'alias exists' | 'code deployed' | 'layer' | 'older layer' | 'over 50 MiB'

interface Row {
  operation: string
  /** Calls of the operation let through first. */
  skip?: number
  setup: Setup
  /** The IAM action the message must name. */
  permission: string
}

const ROWS: Row[] = [
  {
    operation: 'GetFunctionConfiguration',
    setup: 'new code',
    permission: 'lambda:GetFunctionConfiguration'
  },
  // The wait before the update, then the wait for our own update to finish.
  {
    operation: 'GetFunctionConfiguration',
    skip: 1,
    setup: 'new code',
    permission: 'lambda:GetFunctionConfiguration'
  },
  {
    operation: 'GetFunctionConfiguration',
    skip: 2,
    setup: 'new code',
    permission: 'lambda:GetFunctionConfiguration'
  },
  { operation: 'UpdateFunctionCode', setup: 'new code', permission: 'lambda:UpdateFunctionCode' },
  { operation: 'PublishVersion', setup: 'new code', permission: 'lambda:PublishVersion' },
  { operation: 'Invoke', setup: 'new code', permission: 'lambda:InvokeFunction' },
  { operation: 'GetAlias', setup: 'new code', permission: 'lambda:GetAlias' },
  { operation: 'CreateAlias', setup: 'new code', permission: 'lambda:CreateAlias' },
  { operation: 'UpdateAlias', setup: 'alias exists', permission: 'lambda:UpdateAlias' },
  {
    operation: 'ListVersionsByFunction',
    setup: 'code deployed',
    permission: 'lambda:ListVersionsByFunction'
  },
  { operation: 'ListLayerVersions', setup: 'layer', permission: 'lambda:ListLayerVersions' },
  { operation: 'GetLayerVersion', setup: 'older layer', permission: 'lambda:GetLayerVersion' },
  { operation: 'PublishLayerVersion', setup: 'layer', permission: 'lambda:PublishLayerVersion' },
  {
    operation: 'UpdateFunctionConfiguration',
    setup: 'layer',
    permission: 'lambda:UpdateFunctionConfiguration'
  },
  { operation: 'CreateMultipartUpload', setup: 'over 50 MiB', permission: 's3:PutObject' },
  { operation: 'UploadPart', setup: 'over 50 MiB', permission: 's3:PutObject' }
]

/** Creates what `setup` needs and returns the inputs of the run. */
async function prepare(setup: Setup): Promise<Record<string, string>> {
  const { moto } = bench
  const common = { 'function-name': 'orders', alias: 'live', 'smoke-payload': '{"ping": 1}' }
  if (setup === 'code deployed') {
    await moto.createFunction({ name: 'orders', zip: await readFile(small.zipPath) })
  } else {
    await moto.createFunction({ name: 'orders', zip: await helloZip() })
  }
  if (setup === 'alias exists') {
    await moto.lambda.send(new PublishVersionCommand({ FunctionName: 'orders' }))
    await moto.lambda.send(
      new CreateAliasCommand({ FunctionName: 'orders', Name: 'live', FunctionVersion: '1' })
    )
  }
  if (setup === 'older layer') {
    await moto.lambda.send(
      new PublishLayerVersionCommand({
        LayerName: 'orders-deps',
        Content: { ZipFile: await helloZip() },
        CompatibleRuntimes: ['python3.12'],
        CompatibleArchitectures: ['arm64']
      })
    )
  }
  if (setup === 'layer' || setup === 'older layer') {
    return {
      ...common,
      'package-dir': layered.packageDir,
      'package-type': 'layer',
      'layer-name': 'orders-deps'
    }
  }
  if (setup === 'over 50 MiB')
    return { ...common, 'package-dir': big.packageDir, 's3-bucket': BUCKET }
  return { ...common, 'package-dir': small.packageDir }
}

/** What AWS says, with the caller and the resource, as IAM words it. */
function deniedMessage(permission: string): string {
  return (
    `User: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/deploy/github-actions is not authorized to ` +
    `perform: ${permission} on resource: arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT}:function:orders ` +
    `because no identity-based policy allows the ${permission} action`
  )
}

describe('AccessDenied on each call', () => {
  it.each(ROWS.map((row) => ({ ...row, skip: row.skip ?? 0, call: (row.skip ?? 0) + 1 })))(
    '$operation, call $call ($setup): fails at once naming $permission',
    async ({ operation, skip, setup, permission }) => {
      const inputs = await prepare(setup)
      const denied = proxy.inject(
        { operation },
        permission.startsWith('s3:')
          ? { kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied' }
          : {
              kind: 'error',
              status: 403,
              code: 'AccessDeniedException',
              message: deniedMessage(permission)
            },
        { skip, times: Infinity }
      )
      const run = await deployThrough(proxy, inputs)
      expect(run.code, logOf(run)).toBe(1)
      expect(run.elapsedMs).toBeLessThan(FAILS_WITHIN_MS)
      const error = run.errors.join('\n')
      expect(error).toContain(`Permission denied: ${permission} on `)
      expect(error).toContain(`Allow "${permission}"`)
      // Asked once: neither the SDK nor the action's retry asks again. Parts go up to
      // MULTIPART.queueSize at a time, each denied once.
      const asked = proxy.requests
        .filter((r) => r.operation === operation && r.fault !== undefined)
        .map((r) => `${r.path}?${r.query.get('partNumber') ?? ''}`)
      expect(new Set(asked).size, logOf(run)).toBe(asked.length)
      expect(denied.hits).toBeLessThanOrEqual(operation === 'UploadPart' ? MULTIPART.queueSize : 1)
      if (setup === 'over 50 MiB') {
        expect(await openUploads(bench.moto, BUCKET)).toEqual([])
      }
    }
  )
})

describe('AccessDenied while pruning (keep-versions)', () => {
  /** Versions 1 and 2 of other code, older than the in-flight window (1 s + 1 s here). */
  async function twoOldVersions(): Promise<void> {
    const { moto } = bench
    await moto.createFunction({ name: 'orders', zip: await helloZip() })
    await publishOldVersions(moto, 'orders', [1, 2])
  }

  const inputs = () => ({
    'function-name': 'orders',
    'package-dir': small.packageDir,
    'keep-versions': '1',
    'wait-timeout': '1s'
  })

  it.each([
    [
      'DeleteFunction',
      'lambda:DeleteFunction',
      'orders:1 was not deleted: Permission denied: lambda:DeleteFunction on orders:1.'
    ],
    [
      'ListAliases',
      'lambda:ListAliases',
      'orders: keep-versions skipped, nothing deleted: Permission denied: lambda:ListAliases on orders.'
    ]
  ])(
    '%s denied: the deploy succeeds, a warning names %s, nothing is deleted',
    async (operation, permission, warning) => {
      await twoOldVersions()
      const denied = proxy.inject(
        { operation },
        {
          kind: 'error',
          status: 403,
          code: 'AccessDeniedException',
          message: deniedMessage(permission)
        },
        { times: Infinity }
      )
      const run = await deployThrough(proxy, inputs())
      expect(run.code, logOf(run)).toBe(0)
      expect(run.outputs).toMatchObject({ changed: 'true', version: '3' })
      expect(run.stdout).toContain(`::warning::${warning}`)
      expect(run.stdout).toContain(`Allow "${permission}"`)
      // One denial, then no further deletion is tried.
      expect(denied.hits).toBe(1)
      const listed = await bench.moto.lambda.send(
        new ListVersionsByFunctionCommand({ FunctionName: 'orders' })
      )
      expect(listed.Versions?.map((v) => v.Version)).toEqual(['$LATEST', '1', '2', '3'])
      expect(run.summary).toContain('#### Versions')
    }
  )
})
