// keep-versions, keep-layer-versions and SnapStart waits with mocked clients: what moto does not
// model (routing configurations, provisioned concurrency, event source mappings naming versions,
// AccessDenied on delete, a concurrent publish, a Pending version). The deploy-prune cycle
// against real moto is in test/integration/deploy-moto.test.ts.
import {
  CreateAliasCommand,
  DeleteFunctionCommand,
  DeleteLayerVersionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListAliasesCommand,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ListLayerVersionsCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand
} from '@aws-sdk/client-lambda'
import type { AliasConfiguration, FunctionConfiguration } from '@aws-sdk/client-lambda'
import { describe, expect, it } from 'vitest'
import { deployContext } from '../../src/deploy/context.js'
import {
  parseLambdaTime,
  planPrune,
  pruneAfterDeploy,
  pruneFunctionVersions,
  pruneLayerVersions
} from '../../src/deploy/prune.js'
import type { FunctionDeployResult } from '../../src/types.js'
import {
  ORDERS_ARN as ARN,
  awsError,
  invokePayload,
  mockedDeploy,
  ordersConfiguration as current,
  ordersTarget,
  recordingLog,
  testDeps,
  zipDeployOptions as options
} from '../helpers/deploy-fixtures.js'

const { clients, lambda, files, deployOrders } = mockedDeploy()

const NOW = Date.parse('2026-12-01T12:00:00Z')
const HOUR = 3_600_000

/** Lambda's LastModified for a version published `ago` ms before NOW. */
function stamp(ago: number): string {
  return new Date(NOW - ago).toISOString().replace('Z', '+0000')
}

/** ListVersionsByFunction's answer: $LATEST, then versions published `ago` ms before NOW. */
function versionList(published: [number, number][]): FunctionConfiguration[] {
  return [
    { Version: '$LATEST', FunctionArn: `${ARN}:$LATEST`, Timeout: 30, LastModified: stamp(0) },
    ...published.map(([version, ago]) => ({
      Version: String(version),
      FunctionArn: `${ARN}:${version}`,
      LastModified: stamp(ago)
    }))
  ]
}

/** Versions 1..n, version k published (n - k + 1) hours ago. */
function oldVersions(n: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => [i + 1, (n - i) * HOUR])
}

function mockListings(
  versions: [number, number][],
  aliases: AliasConfiguration[] = [],
  extra: {
    provisioned?: string[]
    mappings?: string[]
    byVersion?: Record<string, { UUID: string; FunctionArn: string }[]>
  } = {}
): void {
  lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: versionList(versions) })
  lambda.on(ListAliasesCommand).resolves({ Aliases: aliases })
  lambda.on(ListProvisionedConcurrencyConfigsCommand).resolves({
    ProvisionedConcurrencyConfigs: (extra.provisioned ?? []).map((q) => ({
      FunctionArn: `${ARN}:${q}`
    }))
  })
  // Listed by the unqualified name: the mappings given; by a qualified name: those of `byVersion`.
  lambda.on(ListEventSourceMappingsCommand).callsFake((input: { FunctionName?: string }) => {
    const qualifier = /:(\d+)$/.exec(input.FunctionName ?? '')?.[1]
    if (qualifier) return { EventSourceMappings: extra.byVersion?.[qualifier] ?? [] }
    return {
      EventSourceMappings: (extra.mappings ?? []).map((arn, i) => ({
        UUID: `uuid-${i}`,
        FunctionArn: arn
      }))
    }
  })
  lambda.on(DeleteFunctionCommand).resolves({})
}

function deletedVersions(): string[] {
  return lambda.commandCalls(DeleteFunctionCommand).map((c) => c.args[0].input.Qualifier ?? '')
}

function pruneOrders(version: string, keep: number, ctxOverrides = {}) {
  const log = recordingLog()
  const ctx = deployContext(clients, { now: () => NOW, log, ...ctxOverrides })
  return {
    log,
    result: pruneFunctionVersions(ctx, {
      functionId: 'orders',
      functionArn: ARN,
      functionName: 'orders',
      version,
      keep
    })
  }
}

describe('planPrune (pure)', () => {
  const base = { own: [6], keep: 2, inUse: new Map<number, string[]>(), now: NOW, inFlightMs: 0 }
  const listed = (n: number) =>
    oldVersions(n).map(([version, ago]) => ({ version, publishedAt: NOW - ago }))

  it.each([
    ['keeps the two newest, deletes the rest oldest first', { versions: listed(6) }, [1, 2, 3, 4]],
    ['keep 1 keeps only this run’s', { versions: listed(6), keep: 1 }, [1, 2, 3, 4, 5]],
    ['never a version newer than this run’s', { versions: listed(8), keep: 1 }, [1, 2, 3, 4, 5]],
    ['never one in use', { versions: listed(6), inUse: new Map([[2, ['alias live']]]) }, [1, 3, 4]],
    [
      'never one published within the in-flight window',
      { versions: listed(6), keep: 1, inFlightMs: 2.5 * HOUR },
      [1, 2, 3, 4]
    ],
    [
      'never one whose publication time is unknown',
      { versions: [{ version: 1 }, ...listed(6).slice(1)] },
      [2, 3, 4]
    ],
    ['nothing beyond N: nothing', { versions: listed(6), keep: 10 }, []]
  ])('%s', (_, input, deletions) => {
    expect(planPrune({ ...base, ...input }).deletions).toEqual(deletions)
  })

  it('says why each kept version stays', () => {
    const plan = planPrune({
      ...base,
      versions: listed(8),
      keep: 2,
      inUse: new Map([[3, ['alias live']]]),
      inFlightMs: 2.5 * HOUR
    })
    expect(plan.kept).toEqual([
      {
        version: 8,
        reasons: [
          "newer than this run's (another run's)",
          'one of the 2 newest',
          expect.stringMatching(/^published 3600 s ago/)
        ]
      },
      {
        version: 7,
        reasons: [
          "newer than this run's (another run's)",
          'one of the 2 newest',
          expect.stringMatching(/^published 7200 s ago/)
        ]
      },
      { version: 6, reasons: ['deployed by this run'] },
      { version: 3, reasons: ['alias live'] }
    ])
  })
})

describe('parseLambdaTime', () => {
  it.each([
    ['2026-12-01T08:40:58.386+0000', Date.parse('2026-12-01T08:40:58.386Z')],
    ['2026-12-01T08:40:58.386975000Z', Date.parse('2026-12-01T08:40:58.386Z')],
    ['2026-12-01T10:40:58+02:00', Date.parse('2026-12-01T08:40:58Z')],
    ['yesterday', undefined],
    [undefined, undefined]
  ])('%s', (text, ms) => {
    expect(parseLambdaTime(text)).toBe(ms)
  })
})

describe('keep-versions for a function', () => {
  it('keeps the versions of a weighted alias (routing configuration) and the alias’s own', async () => {
    mockListings(oldVersions(6), [
      {
        Name: 'live',
        FunctionVersion: '4',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } }
      }
    ])
    const { result } = pruneOrders('6', 1)
    const prune = await result
    expect(deletedVersions()).toEqual(['1', '3', '5'])
    expect(prune.deleted).toEqual(['1', '3', '5'])
    expect(prune.kept).toEqual([
      { version: '6', reasons: ['deployed by this run', 'the newest'] },
      { version: '4', reasons: ['alias live'] },
      { version: '2', reasons: ['alias live (routing weight)'] }
    ])
  })

  it('keeps versions with provisioned concurrency', async () => {
    mockListings(oldVersions(4), [], { provisioned: ['2', 'live'] })
    await pruneOrders('4', 1).result
    expect(deletedVersions()).toEqual(['1', '3'])
  })

  it('keeps versions an event source mapping names: listed by name, and asked per version', async () => {
    // Asked by its qualified name, version 3 has a mapping too.
    mockListings(oldVersions(5), [], {
      mappings: [`${ARN}:1`, ARN],
      byVersion: { '3': [{ UUID: 'queue-3', FunctionArn: `${ARN}:3` }] }
    })
    const prune = await pruneOrders('5', 1).result
    expect(deletedVersions()).toEqual(['2', '4'])
    expect(prune.kept).toContainEqual({ version: '1', reasons: ['event source mapping uuid-0'] })
    expect(prune.kept).toContainEqual({ version: '3', reasons: ['event source mapping queue-3'] })
    // Asked by the qualified ARN, a documented form of ListEventSourceMappings' FunctionName.
    expect(
      lambda.commandCalls(ListEventSourceMappingsCommand).map((c) => c.args[0].input.FunctionName)
    ).toEqual(['orders', `${ARN}:2`, `${ARN}:3`, `${ARN}:4`])
  })

  it('a version whose mappings cannot be listed is kept, with a warning', async () => {
    mockListings(oldVersions(3))
    lambda
      .on(ListEventSourceMappingsCommand, { FunctionName: `${ARN}:1` })
      .rejects(awsError('InvalidParameterValueException', 'bad FunctionName'))
    const { log, result } = pruneOrders('3', 1)
    const prune = await result
    expect(deletedVersions()).toEqual(['2'])
    expect(prune.kept).toContainEqual({
      version: '1',
      reasons: ['its event source mappings could not be listed']
    })
    expect(log.warnings).toEqual([
      expect.stringMatching(
        /^orders:1 was not deleted: lambda:ListEventSourceMappings on orders:1 failed: InvalidParameterValueException/
      )
    ])
  })

  it('reads every page of versions', async () => {
    const all = versionList(oldVersions(4))
    mockListings([])
    lambda
      .on(ListVersionsByFunctionCommand)
      .resolvesOnce({ Versions: all.slice(0, 2), NextMarker: 'page-2' })
      .resolves({ Versions: all.slice(2) })
    await pruneOrders('4', 1).result
    expect(deletedVersions()).toEqual(['1', '2', '3'])
    expect(lambda.commandCalls(ListVersionsByFunctionCommand)[1]!.args[0].input.Marker).toBe(
      'page-2'
    )
  })

  it('AccessDenied on delete: a warning naming the version and lambda:DeleteFunction, no more tries', async () => {
    mockListings(oldVersions(5))
    lambda
      .on(DeleteFunctionCommand)
      .rejects(
        awsError('AccessDeniedException', 'not authorized to perform: lambda:DeleteFunction', 403)
      )
    const { log, result } = pruneOrders('5', 1)
    const prune = await result
    expect(deletedVersions()).toEqual(['1'])
    expect(prune.deleted).toEqual([])
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toMatch(
      /^orders:1 was not deleted: Permission denied: lambda:DeleteFunction on orders:1\. Allow "lambda:DeleteFunction"/
    )
    expect(log.warnings[0]).toMatch(/The deploy itself succeeded\.$/)
    expect(prune.kept.map((k) => k.version)).toEqual(['5', '4', '3', '2', '1'])
    expect(prune.kept.find((k) => k.version === '3')?.reasons).toEqual([
      'not deleted: permission denied'
    ])
  })

  it('a version in use (conflict) or already gone: one warning, the rest go on', async () => {
    mockListings(oldVersions(4))
    lambda
      .on(DeleteFunctionCommand, { Qualifier: '1' })
      .rejects(awsError('ResourceNotFoundException', 'Function not found', 404))
      .on(DeleteFunctionCommand, { Qualifier: '2' })
      .rejects(awsError('ResourceConflictException', 'referenced by alias canary', 409))
    const { log, result } = pruneOrders('4', 1)
    const prune = await result
    expect(deletedVersions()).toEqual(['1', '2', '3'])
    expect(prune.deleted).toEqual(['1', '3'])
    expect(log.warnings).toEqual([
      expect.stringMatching(/^orders:2 was not deleted: .*\(it is in use\)/)
    ])
  })

  it('a listing denied: nothing deleted, a warning naming the permission', async () => {
    mockListings(oldVersions(4))
    lambda
      .on(ListAliasesCommand)
      .rejects(
        awsError('AccessDeniedException', 'not authorized to perform: lambda:ListAliases', 403)
      )
    const { log, result } = pruneOrders('4', 1)
    const prune = await result
    expect(deletedVersions()).toEqual([])
    expect(prune.warnings).toEqual([
      expect.stringMatching(
        /^orders: keep-versions skipped, nothing deleted: Permission denied: lambda:ListAliases on orders\./
      )
    ])
    expect(log.warnings).toEqual(prune.warnings)
  })

  it('a concurrent publish: the other run’s versions, before and after ours, are not deleted', async () => {
    // This run published 6. Another run published 5 a minute ago (still smoke-testing it, its
    // alias not moved yet) and 7 meanwhile. keep-versions: 1.
    mockListings([...oldVersions(4), [5, 60_000], [6, 30_000], [7, 10_000]])
    const prune = await pruneOrders('6', 1, { waitTimeoutMs: 10 * 60_000 }).result
    expect(deletedVersions()).toEqual(['1', '2', '3', '4'])
    expect(prune.kept.map((k) => [k.version, k.reasons[0]])).toEqual([
      ['7', "newer than this run's (another run's)"],
      ['6', 'deployed by this run'],
      ['5', 'published 60 s ago (a run may still be waiting for it)']
    ])
  })

  it('an alias moved by another run while listing: read last, its version is kept', async () => {
    mockListings(oldVersions(4))
    // The versions listing is answered; by the time aliases are read, one points to 2.
    lambda.on(ListAliasesCommand).resolves({ Aliases: [{ Name: 'live', FunctionVersion: '2' }] })
    await pruneOrders('4', 1).result
    const order = lambda
      .calls()
      .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''))
    expect(order.indexOf('ListAliases')).toBeGreaterThan(order.indexOf('ListVersionsByFunction'))
    expect(order.indexOf('ListAliases')).toBeLessThan(order.indexOf('DeleteFunction'))
    expect(deletedVersions()).toEqual(['1', '3'])
  })
})

describe('the prune stage', () => {
  const deployed: FunctionDeployResult = {
    functionName: 'orders',
    architecture: 'arm64',
    status: 'deployed',
    version: '4',
    layerVersionArn: 'arn:aws:lambda:eu-west-1:111122223333:layer:orders-deps:9'
  }

  it('leaves a failed function and the layer alone', async () => {
    const results: FunctionDeployResult[] = [{ ...deployed, status: 'failed', error: 'boom' }]
    const layer = await pruneAfterDeploy(
      [ordersTarget],
      results,
      { keepVersions: 1, keepLayerVersions: 1, layerName: 'orders-deps' },
      clients,
      testDeps().deps
    )
    expect(layer).toBeUndefined()
    expect(results[0]!.prune).toBeUndefined()
    expect(lambda.calls()).toHaveLength(0)
  })

  it('layer versions: never one a deployed function has attached, nor this run’s', async () => {
    const layerArn = 'arn:aws:lambda:eu-west-1:111122223333:layer:orders-deps'
    lambda.on(ListLayerVersionsCommand).resolves({
      LayerVersions: [9, 8, 7, 6, 5].map((v) => ({
        Version: v,
        LayerVersionArn: `${layerArn}:${v}`,
        CreatedDate: stamp((10 - v) * HOUR)
      }))
    })
    // orders still has 6 (not yet moved) besides an unrelated layer.
    lambda.on(GetFunctionConfigurationCommand).resolves(
      current({
        Timeout: 60,
        Layers: [
          { Arn: `${layerArn}:6` },
          { Arn: 'arn:aws:lambda:eu-west-1:111122223333:layer:other:5' }
        ]
      })
    )
    lambda.on(ListFunctionsCommand).resolves({
      Functions: [
        { FunctionName: 'orders', Version: '$LATEST', Layers: [{ Arn: `${layerArn}:6` }] }
      ]
    })
    lambda.on(DeleteLayerVersionCommand).resolves({})
    const log = recordingLog()
    const prune = await pruneLayerVersions(deployContext(clients, { now: () => NOW, log }), {
      layerName: 'orders-deps',
      keep: 1,
      used: [`${layerArn}:9`],
      functionIds: ['orders']
    })
    expect(lambda.commandCalls(DeleteLayerVersionCommand).map((c) => c.args[0].input)).toEqual([
      { LayerName: 'orders-deps', VersionNumber: 5 },
      { LayerName: 'orders-deps', VersionNumber: 7 },
      { LayerName: 'orders-deps', VersionNumber: 8 }
    ])
    expect(prune).toMatchObject({ subject: 'layer orders-deps', deleted: ['5', '7', '8'] })
    expect(prune.kept).toEqual([
      { version: '9', reasons: ['deployed by this run', 'the newest'] },
      { version: '6', reasons: ['attached to orders'] }
    ])
  })

  it('layer versions: DeleteLayerVersion denied is a warning naming the permission', async () => {
    const layerArn = 'arn:aws:lambda:eu-west-1:111122223333:layer:orders-deps'
    lambda.on(ListLayerVersionsCommand).resolves({
      LayerVersions: [3, 2, 1].map((v) => ({ Version: v, CreatedDate: stamp(v * HOUR) }))
    })
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(current({ Layers: [{ Arn: `${layerArn}:3` }] }))
    lambda.on(ListFunctionsCommand).resolves({ Functions: [] })
    lambda.on(DeleteLayerVersionCommand).rejects(awsError('AccessDeniedException', 'denied', 403))
    const log = recordingLog()
    const prune = await pruneLayerVersions(deployContext(clients, { now: () => NOW, log }), {
      layerName: 'orders-deps',
      keep: 1,
      used: [`${layerArn}:3`],
      functionIds: ['orders']
    })
    expect(lambda.commandCalls(DeleteLayerVersionCommand)).toHaveLength(1)
    expect(log.warnings).toEqual([
      expect.stringMatching(
        /^layer orders-deps:1 was not deleted: Permission denied: lambda:DeleteLayerVersion on layer orders-deps:1/
      )
    ])
    expect(prune.deleted).toEqual([])
  })
})

describe('keep-layer-versions and the functions outside this run', () => {
  const layerArn = 'arn:aws:lambda:eu-west-1:111122223333:layer:orders-deps'
  const otherLayer = 'arn:aws:lambda:eu-west-1:111122223333:layer:other'

  function mockLayer(): void {
    lambda.on(ListLayerVersionsCommand).resolves({
      LayerVersions: [9, 8, 7, 6, 5].map((v) => ({
        Version: v,
        LayerVersionArn: `${layerArn}:${v}`,
        CreatedDate: stamp((10 - v) * HOUR)
      }))
    })
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(current({ Timeout: 60, Layers: [{ Arn: `${layerArn}:9` }] }))
    lambda.on(DeleteLayerVersionCommand).resolves({})
  }

  const prune = (log = recordingLog()) =>
    pruneLayerVersions(deployContext(clients, { now: () => NOW, log }), {
      layerName: 'orders-deps',
      keep: 1,
      used: [`${layerArn}:9`],
      functionIds: ['orders']
    })

  it('keeps every version a function of the account uses, across every page, published versions too', async () => {
    mockLayer()
    lambda
      .on(ListFunctionsCommand, { FunctionVersion: 'ALL' })
      .resolves({
        Functions: [
          { FunctionName: 'orders', Version: '$LATEST', Layers: [{ Arn: `${layerArn}:9` }] },
          // A rollback target: orders version 3 still holds 8.
          { FunctionName: 'orders', Version: '3', Layers: [{ Arn: `${layerArn}:8` }] }
        ],
        NextMarker: 'page-2'
      })
      .on(ListFunctionsCommand, { FunctionVersion: 'ALL', Marker: 'page-2' })
      .resolves({
        Functions: [
          // A function this run never touches shares the layer.
          { FunctionName: 'billing', Version: '$LATEST', Layers: [{ Arn: `${layerArn}:6` }] },
          { FunctionName: 'reports', Version: '$LATEST', Layers: [{ Arn: `${otherLayer}:7` }] }
        ]
      })
    const result = await prune()
    const listings = lambda.commandCalls(ListFunctionsCommand).map((c) => c.args[0].input)
    // Both pages read (the paginator reuses one input object, so its Marker shows the last).
    expect(listings.map((input) => input.FunctionVersion)).toEqual(['ALL', 'ALL'])
    expect(lambda.commandCalls(DeleteLayerVersionCommand).map((c) => c.args[0].input)).toEqual([
      { LayerName: 'orders-deps', VersionNumber: 5 },
      { LayerName: 'orders-deps', VersionNumber: 7 }
    ])
    expect(result.kept).toEqual([
      { version: '9', reasons: ['deployed by this run', 'the newest', 'attached to orders'] },
      { version: '8', reasons: ['attached to orders:3'] },
      { version: '6', reasons: ['attached to billing'] }
    ])
  })

  it.each([
    ['denied', awsError('AccessDeniedException', 'not authorized', 403), /lambda:ListFunctions/],
    ['failing', awsError('ServiceException', 'internal error', 500), /internal error/]
  ])('deletes nothing when the functions cannot be listed (%s)', async (_what, error, said) => {
    mockLayer()
    lambda
      .on(ListFunctionsCommand, { FunctionVersion: 'ALL' })
      .resolves({ Functions: [], NextMarker: 'page-2' })
      .on(ListFunctionsCommand, { FunctionVersion: 'ALL', Marker: 'page-2' })
      .rejects(error)
    const log = recordingLog()
    const result = await prune(log)
    expect(lambda.commandCalls(DeleteLayerVersionCommand)).toEqual([])
    expect(result.deleted).toEqual([])
    expect(log.warnings).toEqual([
      expect.stringMatching(/^layer orders-deps: keep-layer-versions skipped, nothing deleted: /)
    ])
    expect(log.warnings[0]).toMatch(said)
  })
})

describe('SnapStart: a published version waited for until Active', () => {
  function mockDeploy(states: FunctionConfiguration[]): void {
    // $LATEST: as before the update, then updated; version 5: `states` in turn, then the last.
    let latestCalls = 0
    let versionCalls = 0
    lambda
      .on(GetFunctionConfigurationCommand)
      .callsFake((input: { Qualifier?: string }) =>
        input.Qualifier === '5'
          ? states[Math.min(versionCalls++, states.length - 1)]
          : latestCalls++ === 0
            ? current()
            : current({ CodeSha256: files.pkg.codeSha256 })
      )
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda
      .on(PublishVersionCommand)
      .resolves({ Version: '5', FunctionArn: `${ARN}:5`, State: 'Pending' })
    lambda.on(GetAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '4' })
    lambda.on(UpdateAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '5' })
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload('{"ok":true}') })
  }
  const pending = current({
    Version: '5',
    State: 'Pending',
    StateReasonCode: 'Creating',
    StateReason: 'The function is being created.'
  })

  it('Pending for several polls, then Active: only then smoke-invoked and the alias moved', async () => {
    mockDeploy([pending, pending, pending, current({ Version: '5', State: 'Active' })])
    const { log, time, deps } = testDeps()
    const [result] = await deployOrders({ ...options, alias: 'live', smokePayload: '{}' }, deps)
    expect(result).toMatchObject({ status: 'deployed', version: '5', aliasArn: `${ARN}:live` })
    const order = lambda.calls().map((c) => (c.args[0] as object).constructor.name)
    const polls = lambda.commandCalls(GetFunctionConfigurationCommand, { Qualifier: '5' })
    expect(polls).toHaveLength(4)
    // Every poll of the version came before the smoke invocation and the alias move.
    const lastPoll = order.lastIndexOf('GetFunctionConfigurationCommand')
    expect(lastPoll).toBeLessThan(order.indexOf('InvokeCommand'))
    expect(order.indexOf('InvokeCommand')).toBeLessThan(order.indexOf('UpdateAliasCommand'))
    expect(lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Qualifier).toBe('5')
    // 1 + 1.5 + 2.25 s of polling, shown in the summary.
    expect(time.sleeps).toEqual([1000, 1500, 2250])
    expect(result!.waitedMs).toBe(4750)
    expect(log.lines).toContain(
      'orders:5: waiting for the published version (State Pending (Creating: The function is being created))'
    )
  })

  it('Failed: fails with StateReasonCode and StateReason; no smoke, the alias not moved', async () => {
    mockDeploy([
      pending,
      current({
        Version: '5',
        State: 'Failed',
        StateReasonCode: 'FunctionError.InitTimeout',
        StateReason: 'The init phase of the snapshot timed out.'
      })
    ])
    const [result] = await deployOrders(
      { ...options, alias: 'live', smokePayload: '{}' },
      testDeps().deps
    )
    expect(result).toMatchObject({ status: 'failed', version: '5' })
    expect(result!.error).toBe(
      'Waiting for the published version of orders:5: it is in state Failed: FunctionError.InitTimeout: ' +
        'The init phase of the snapshot timed out.\n' +
        'Alias live was not moved; no smoke invocation ran. Version 5 stays published; fix the ' +
        'cause, then deploy changed code (a re-run of this code finds this version again).'
    )
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0)
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0)
    expect(lambda.commandCalls(CreateAliasCommand)).toHaveLength(0)
  })

  it('Pending past wait-timeout: a timeout naming SnapStart and wait-timeout', async () => {
    mockDeploy([pending])
    const [result] = await deployOrders(options, testDeps({ waitTimeoutMs: 30_000 }).deps)
    expect(result!.status).toBe('failed')
    expect(result!.error).toMatch(
      /^Timed out after 30 s waiting for the published version of orders:5: still State Pending .*A SnapStart snapshot can take several minutes; raise wait-timeout if it needs longer, and re-run\.\nNo smoke invocation ran\. Version 5 stays published; a re-run waits for it again\.$/
    )
    expect(result!.waitedMs).toBe(30_000)
  })
})
