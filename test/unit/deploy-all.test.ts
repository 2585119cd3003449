// The orchestrator with mocked clients: what is sent, in what order, and what is never sent
// (no request at all for a plan that cannot work; no configuration change unless a layer).
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetLayerVersionCommand,
  InvokeCommand,
  ListLayerVersionsCommand,
  ListVersionsByFunctionCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { describe, expect, it } from 'vitest'
import { deployAll, type DeployOptions } from '../../src/deploy/deploy.js'
import {
  ORDERS_ARN as ARN,
  awsError,
  buildOf,
  invokePayload,
  mockedDeploy,
  ordersConfiguration as current,
  ordersTarget as target,
  testDeps,
  zeroPackage,
  zipDeployOptions as options
} from '../helpers/deploy-fixtures.js'

const { clients, lambda, s3, files, deployOrders } = mockedDeploy()

/** Command names sent to the Lambda mock, in order. */
function sent(): string[] {
  return lambda.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''))
}

describe('checks that fail before any request', () => {
  it('a package above the direct limit with no s3-bucket: names s3-bucket and the size', async () => {
    const big = await zeroPackage(files.dir, 'big.zip', 60_000_000)
    const [result] = await deployAll(
      [target],
      buildOf([{ function: big }]),
      options,
      clients,
      testDeps().deps
    )
    expect(result).toMatchObject({ functionName: 'orders', status: 'failed' })
    expect(result!.error).toMatch(
      /^s3-bucket: the function orders package is 60,000,000 bytes \(57\.2 MiB\), over Lambda's 52,428,800-byte limit/
    )
    expect(lambda.calls()).toHaveLength(0)
    expect(s3.calls()).toHaveLength(0)
  })

  it('a runtime other than the function’s: names both', async () => {
    const [result] = await deployAll(
      [{ ...target, runtime: 'python3.11' }],
      buildOf([{ function: files.pkg }]),
      options,
      clients,
      testDeps().deps
    )
    expect(result!.error).toMatch(
      /^runtime: the package is built for python3\.12, but orders runs python3\.11\. This action never changes a function's runtime/
    )
    expect(lambda.calls()).toHaveLength(0)
  })

  it('a sixth layer is refused', async () => {
    const others = [1, 2, 3, 4, 5].map((n) => `arn:aws:lambda:eu-west-1:1:layer:tool${n}:1`)
    const [result] = await deployAll(
      [{ ...target, layers: others }],
      buildOf([{ function: files.pkg, layer: files.layerPkg }]),
      { ...options, packageType: 'layer', layerName: 'orders-deps' },
      clients,
      testDeps().deps
    )
    expect(result!.error).toMatch(
      /^orders already has 5 layers \(.*\); attaching orders-deps would make 6, and Lambda allows 5\./
    )
    expect(lambda.calls()).toHaveLength(0)
  })

  it('a package missing for the function’s architecture', async () => {
    const [result] = await deployAll(
      [{ ...target, architecture: 'x86_64' }],
      buildOf([{ architecture: 'arm64', function: files.pkg }]),
      options,
      clients,
      testDeps().deps
    )
    expect(result!.error).toBe(
      'architectures: orders runs x86_64, but packages were built for arm64. Add x86_64 to ' +
        "architectures, or leave it empty to build for the function's own."
    )
    expect(lambda.calls()).toHaveLength(0)
  })
})

describe('a deployment', () => {
  it('waits, updates code only, waits, publishes with preconditions, smokes, then creates the alias', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current({ LastUpdateStatus: 'InProgress' }))
      .resolvesOnce(current())
      .resolvesOnce(
        current({
          CodeSha256: files.pkg.codeSha256,
          RevisionId: 'rev-2',
          LastUpdateStatus: 'InProgress'
        })
      )
      .resolves(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-3' }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda.on(PublishVersionCommand).resolves({ Version: '5', FunctionArn: `${ARN}:5` })
    lambda
      .on(GetAliasCommand)
      .rejects(awsError('ResourceNotFoundException', 'Cannot find alias', 404))
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload('{"ok":true}') })
    lambda.on(CreateAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '5' })

    const { log, deps: d } = testDeps()
    const [result] = await deployOrders(
      { ...options, alias: 'live', smokePayload: '{"ping":1}', smokeExpect: { ok: true } },
      d
    )
    expect(result).toEqual({
      functionName: 'orders',
      architecture: 'arm64',
      status: 'deployed',
      upload: 'direct',
      version: '5',
      versionArn: `${ARN}:5`,
      aliasArn: `${ARN}:live`,
      smoke: { status: 'passed', detail: 'response {"ok":true}' },
      rollout: 'promoted',
      servingVersion: '5',
      // Two polls found the update InProgress: one second each.
      waitedMs: 2000
    })
    expect(sent()).toEqual([
      'GetFunctionConfiguration',
      'GetFunctionConfiguration',
      'UpdateFunctionCode',
      'GetFunctionConfiguration',
      'GetFunctionConfiguration',
      'PublishVersion',
      'GetAlias',
      'Invoke',
      'CreateAlias'
    ])
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'orders',
      ZipFile: Buffer.from('function zip bytes'),
      Publish: false,
      RevisionId: 'rev-1'
    })
    expect(lambda.commandCalls(PublishVersionCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'orders',
      CodeSha256: files.pkg.codeSha256,
      RevisionId: 'rev-3'
    })
    expect(lambda.commandCalls(InvokeCommand)[0]!.args[0].input).toMatchObject({
      Qualifier: '5',
      LogType: 'Tail'
    })
    expect(lambda.commandCalls(CreateAliasCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'orders',
      Name: 'live',
      FunctionVersion: '5'
    })
    expect(lambda.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(0)
    expect(log.lines).toContain('orders: alias live created at version 5')
  })

  it('a smoke-expect mismatch fails the function and leaves the alias where it was', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current())
      .resolves(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-2' }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda.on(PublishVersionCommand).resolves({ Version: '8', FunctionArn: `${ARN}:8` })
    lambda.on(GetAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '7' })
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload('{"ok":false}') })

    const [result] = await deployOrders({
      ...options,
      alias: 'live',
      smokePayload: '{}',
      smokeExpect: { ok: true }
    })
    expect(result).toMatchObject({
      status: 'failed',
      version: '8',
      versionArn: `${ARN}:8`,
      smoke: {
        status: 'failed',
        detail:
          'response does not match smoke-expect (1 difference: $.ok: expected true, got false)'
      }
    })
    expect(result!.aliasArn).toBeUndefined()
    expect(result!.error).toContain('  $.ok: expected true, got false')
    expect(result!.error).toContain('Alias live was left at version 7.')
    expect(result!.error).toContain('Version 8 stays published.')
    expect(result).toMatchObject({ rollout: 'rolled-back', servingVersion: '7' })
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0)
    expect(lambda.commandCalls(CreateAliasCommand)).toHaveLength(0)
  })

  it('moves an existing alias with UpdateAlias and reports where it was', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current())
      .resolves(current({ CodeSha256: files.pkg.codeSha256, RevisionId: 'rev-2' }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda.on(PublishVersionCommand).resolves({ Version: '8', FunctionArn: `${ARN}:8` })
    lambda
      .on(GetAliasCommand)
      .resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '7', RevisionId: 'alias-rev-1' })
    lambda.on(UpdateAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '8' })
    const [result] = await deployOrders({ ...options, alias: 'live' })
    expect(result).toMatchObject({
      status: 'deployed',
      aliasArn: `${ARN}:live`,
      previousAliasVersion: '7',
      rollout: 'promoted',
      servingVersion: '8'
    })
    // The RevisionId read: a concurrent run's move is never overwritten unseen. Routing is
    // always sent, cleared: left out, Lambda would keep an earlier run's.
    expect(lambda.commandCalls(UpdateAliasCommand)[0]!.args[0].input).toEqual({
      FunctionName: 'orders',
      Name: 'live',
      FunctionVersion: '8',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'alias-rev-1'
    })
  })

  it('falls back to CreateAlias when UpdateAlias says ResourceNotFound', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current())
      .resolves(current({ CodeSha256: files.pkg.codeSha256 }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    lambda.on(PublishVersionCommand).resolves({ Version: '8', FunctionArn: `${ARN}:8` })
    // Deleted between the read and the update: read again (gone), then created.
    lambda
      .on(GetAliasCommand)
      .resolvesOnce({ AliasArn: `${ARN}:live`, FunctionVersion: '7' })
      .rejects(awsError('ResourceNotFoundException', 'Alias not found', 404))
    lambda
      .on(UpdateAliasCommand)
      .rejects(awsError('ResourceNotFoundException', 'Alias not found', 404))
    lambda.on(CreateAliasCommand).resolves({ AliasArn: `${ARN}:live`, FunctionVersion: '8' })
    const [result] = await deployOrders({ ...options, alias: 'live' })
    expect(result).toMatchObject({ status: 'deployed', aliasArn: `${ARN}:live` })
    expect(sent().slice(-4)).toEqual(['GetAlias', 'UpdateAlias', 'GetAlias', 'CreateAlias'])
  })

  it('switches the architecture with the code update when asked', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(current({ Architectures: ['x86_64'] }))
      .resolves(current({ CodeSha256: files.pkg.codeSha256 }))
    lambda.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: files.pkg.codeSha256 })
    const { log, deps: d } = testDeps()
    const [result] = await deployAll(
      [{ ...target, architecture: 'x86_64' }],
      buildOf([{ architecture: 'arm64', function: files.pkg }]),
      { ...options, publish: false, switchArchitecture: 'arm64' },
      clients,
      d
    )
    expect(result).toMatchObject({ status: 'deployed', architecture: 'arm64' })
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)[0]!.args[0].input).toMatchObject({
      Architectures: ['arm64']
    })
    expect(log.lines).toContain('orders: switching from x86_64 to arm64')
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0)
  })

  it('fails when the function’s runtime changed since it was read', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(current({ Runtime: 'python3.13' }))
    const [result] = await deployOrders(options)
    expect(result!.error).toMatch(
      /^runtime: the package is built for python3\.12, but orders runs python3\.13/
    )
    expect(sent()).toEqual(['GetFunctionConfiguration'])
  })

  it('unchanged code with no published version yet: publishes one, not a duplicate', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(current({ CodeSha256: files.pkg.codeSha256 }))
    lambda.on(ListVersionsByFunctionCommand).resolves({
      Versions: [
        { Version: '$LATEST', CodeSha256: files.pkg.codeSha256, FunctionArn: `${ARN}:$LATEST` },
        { Version: '3', CodeSha256: 'old=', FunctionArn: `${ARN}:3` }
      ]
    })
    lambda.on(PublishVersionCommand).resolves({ Version: '4', FunctionArn: `${ARN}:4` })
    const [result] = await deployOrders(options)
    expect(result).toMatchObject({ status: 'deployed', version: '4' })
    expect(sent()).toEqual(['GetFunctionConfiguration', 'ListVersionsByFunction', 'PublishVersion'])
  })
})

describe('layers', () => {
  const layerOptions: DeployOptions = { ...options, packageType: 'layer', layerName: 'orders-deps' }
  const LAYER = 'arn:aws:lambda:eu-west-1:111122223333:layer:orders-deps'

  it('publishes once for two functions and attaches it in place of the old version', async () => {
    const tools = 'arn:aws:lambda:eu-west-1:111122223333:layer:tools:2'
    lambda.on(ListLayerVersionsCommand).resolves({
      LayerVersions: [
        { Version: 3, CompatibleArchitectures: ['arm64'], CompatibleRuntimes: ['python3.12'] }
      ]
    })
    lambda
      .on(GetLayerVersionCommand)
      .resolves({ LayerVersionArn: `${LAYER}:3`, Content: { CodeSha256: 'older=' } })
    lambda.on(PublishLayerVersionCommand).resolves({
      LayerVersionArn: `${LAYER}:4`,
      Version: 4,
      Content: { CodeSha256: files.layerPkg.codeSha256 }
    })
    lambda.on(GetFunctionConfigurationCommand).resolves(
      current({
        CodeSha256: files.pkg.codeSha256,
        Layers: [{ Arn: `${LAYER}:3` }, { Arn: tools }]
      })
    )
    lambda.on(UpdateFunctionConfigurationCommand).resolves({})
    const other = {
      ...target,
      functionName: 'billing',
      functionArn: ARN.replace('orders', 'billing')
    }

    const results = await deployAll(
      [target, other],
      buildOf([{ function: files.pkg, layer: files.layerPkg }]),
      { ...layerOptions, publish: false },
      clients,
      testDeps().deps
    )
    expect(results.map((r) => [r.status, r.layerVersionArn])).toEqual([
      ['deployed', `${LAYER}:4`],
      ['deployed', `${LAYER}:4`]
    ])
    expect(lambda.commandCalls(PublishLayerVersionCommand)).toHaveLength(1)
    expect(lambda.commandCalls(PublishLayerVersionCommand)[0]!.args[0].input).toEqual({
      LayerName: 'orders-deps',
      Content: { ZipFile: Buffer.from('layer zip bytes') },
      CompatibleRuntimes: ['python3.12'],
      CompatibleArchitectures: ['arm64']
    })
    // Only Layers (and the RevisionId precondition): runtime, handler, environment untouched.
    expect(
      lambda.commandCalls(UpdateFunctionConfigurationCommand).map((c) => c.args[0].input)
    ).toEqual([
      { FunctionName: 'orders', Layers: [`${LAYER}:4`, tools], RevisionId: 'rev-1' },
      { FunctionName: 'billing', Layers: [`${LAYER}:4`, tools], RevisionId: 'rev-1' }
    ])
    // Code was already there: no UpdateFunctionCode.
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0)
  })

  it('reuses the latest version with the same CodeSha256 and sends nothing when attached', async () => {
    lambda.on(ListLayerVersionsCommand).resolves({
      LayerVersions: [
        { Version: 6, CompatibleArchitectures: ['x86_64'], CompatibleRuntimes: ['python3.12'] },
        { Version: 5, CompatibleArchitectures: ['arm64'], CompatibleRuntimes: ['python3.12'] }
      ]
    })
    lambda.on(GetLayerVersionCommand, { LayerName: 'orders-deps', VersionNumber: 5 }).resolves({
      LayerVersionArn: `${LAYER}:5`,
      Content: { CodeSha256: files.layerPkg.codeSha256 }
    })
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(current({ CodeSha256: files.pkg.codeSha256, Layers: [{ Arn: `${LAYER}:5` }] }))
    const [result] = await deployAll(
      [{ ...target, layers: [`${LAYER}:5`] }],
      buildOf([{ function: files.pkg, layer: files.layerPkg }]),
      { ...layerOptions, publish: false },
      clients,
      testDeps().deps
    )
    expect(result).toMatchObject({ status: 'unchanged', layerVersionArn: `${LAYER}:5` })
    expect(sent()).toEqual(['ListLayerVersions', 'GetLayerVersion', 'GetFunctionConfiguration'])
    expect(lambda.commandCalls(ListLayerVersionsCommand)[0]!.args[0].input).toEqual({
      LayerName: 'orders-deps',
      CompatibleArchitecture: 'arm64',
      CompatibleRuntime: 'python3.12'
    })
  })
})
