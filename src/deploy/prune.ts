// keep-versions and keep-layer-versions: every changed deploy publishes a function version (and
// a changed dependency set a layer version); Lambda keeps them all, and all count against the
// region's code storage (issue 10). After a successful deploy, versions beyond the N newest are
// deleted, unless something may still use them.
//
// Safe with two runs at once (concurrency groups are not always set): a version either run
// published or points an alias to is never deleted, because
// - only versions OLDER than the one this run deployed are candidates: a concurrent run that
//   published after us has a higher number;
// - the N newest are counted after listing, right before deleting, so a concurrent run's
//   version published meanwhile takes one of the N places instead of being deleted;
// - a version published less than wait-timeout plus the function's timeout ago is kept: a run
//   that published it may still be waiting for its SnapStart snapshot or smoke-testing it, and
//   then move its alias to it (that is how long such a run can stay between PublishVersion and
//   UpdateAlias);
// - aliases (with the versions of their routing configuration) are read last, right before the
//   deletions, and Lambda itself refuses to delete a version an alias points to;
// - provisioned concurrency and event source mappings naming a version keep it;
// - a layer version that any function version in the account and region has attached is kept,
//   the functions outside this run included (ListFunctions with FunctionVersion ALL, read right
//   before the deletions): Lambda would let it go, and then a rollback to that function version
//   or any configuration update of a function holding it fails.
// A failed listing skips pruning and a failed deletion is a warning: never a failed deploy.
// Deleting is idempotent (a version already gone counts as deleted), so a re-run after a kill
// finishes the work.
import {
  DeleteFunctionCommand,
  DeleteLayerVersionCommand,
  GetFunctionConfigurationCommand,
  ListEventSourceMappingsCommand,
  paginateListAliases,
  paginateListEventSourceMappings,
  paginateListFunctions,
  paginateListLayerVersions,
  paginateListProvisionedConcurrencyConfigs,
  paginateListVersionsByFunction
} from '@aws-sdk/client-lambda'
import type { AwsClients } from '../aws/clients.js'
import {
  awsErrorName,
  awsFailure,
  isAccessDenied,
  isNotFound,
  isThrottling
} from '../aws/aws-error.js'
import { INPUT } from '../constants.js'
import { errorMessage } from '../errors.js'
import type { FunctionDeployResult, KeptVersion, PruneResult } from '../types.js'
import { deployContext } from './context.js'
import type { DeployContext, DeployDeps } from './context.js'
import { functionNameOf } from './function-config.js'
import type { FunctionTarget } from './function-config.js'
import { layerArnOf, layerNameOf } from './layer.js'
import { mapConcurrent } from './pool.js'
import { callAws } from './retry.js'

/** One published version (or layer version) as listed. */
export interface ListedVersion {
  version: number
  /** When it was published, ms since the epoch; undefined when Lambda did not say. */
  publishedAt?: number
}

export interface PrunePlanInput {
  versions: ListedVersion[]
  /** Versions this run deployed (a function's one, or the layer's per architecture). */
  own: number[]
  keep: number
  /** Versions something uses, with what (`alias live`). */
  inUse: Map<number, string[]>
  now: number
  /** Versions younger than this may belong to a run still between publishing and its alias. */
  inFlightMs: number
}

export interface PrunePlan {
  /** Oldest first. */
  deletions: number[]
  kept: { version: number; reasons: string[] }[]
}

/** Pure: which versions go and why the others stay (the rules at the top of this file). */
export function planPrune(input: PrunePlanInput): PrunePlan {
  const newestFirst = [...input.versions].sort((a, b) => b.version - a.version)
  const newest = new Set(newestFirst.slice(0, input.keep).map((v) => v.version))
  const oldestOwn = Math.min(...input.own)
  const deletions: number[] = []
  const kept: PrunePlan['kept'] = []
  for (const { version, publishedAt } of newestFirst) {
    const reasons: string[] = []
    const own = input.own.includes(version)
    if (own) reasons.push('deployed by this run')
    else if (version > oldestOwn) reasons.push("newer than this run's (another run's)")
    if (newest.has(version)) {
      reasons.push(input.keep === 1 ? 'the newest' : `one of the ${input.keep} newest`)
    }
    reasons.push(...(input.inUse.get(version) ?? []))
    // This run's own version is kept anyway: its age would only add noise.
    if (!own && publishedAt === undefined) {
      reasons.push('publication time unknown')
    } else if (!own && publishedAt !== undefined && input.now - publishedAt < input.inFlightMs) {
      const seconds = Math.max(0, Math.round((input.now - publishedAt) / 1000))
      reasons.push(`published ${seconds} s ago (a run may still be waiting for it)`)
    }
    if (reasons.length > 0) kept.push({ version, reasons })
    else deletions.push(version)
  }
  return { deletions: deletions.reverse(), kept }
}

/**
 * Lambda's time stamps: `2026-12-01T08:40:58.386+0000` (and emulators' `...386975000Z`);
 * normalised for Date.parse. Undefined when unreadable.
 */
export function parseLambdaTime(text: string | undefined): number | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(text ?? '')
  if (!match) return undefined
  const fraction = (match[2] ?? '').slice(0, 3).padEnd(3, '0')
  const zone = match[3] === 'Z' ? 'Z' : match[3]!.replace(/^([+-]\d\d):?(\d\d)$/, '$1:$2')
  const ms = Date.parse(`${match[1]}.${fraction}${zone}`)
  return Number.isNaN(ms) ? undefined : ms
}

/** `arn:...:function:orders:7` → 7; undefined for `$LATEST`, an alias, or no qualifier. */
function qualifierVersion(functionArn: string | undefined): number | undefined {
  const parts = (functionArn ?? '').split(':')
  const last = parts.length === 8 ? parts[7] : undefined
  return last !== undefined && /^\d+$/.test(last) ? Number(last) : undefined
}

function addUse(uses: Map<number, string[]>, version: number | undefined, what: string): void {
  if (version === undefined) return
  const list = uses.get(version) ?? []
  if (!list.includes(what)) list.push(what)
  uses.set(version, list)
}

/**
 * A listing, its failure named by the IAM action (a paginator does its own throttling
 * retries). `none` says which errors mean "nothing to list".
 */
async function listAll<T>(
  action: string,
  resource: string,
  pages: AsyncIterable<T>,
  none: (error: unknown) => boolean = () => false
): Promise<T[]> {
  const all: T[] = []
  try {
    for await (const page of pages) all.push(page)
  } catch (error) {
    if (none(error)) return []
    throw awsFailure(error, action, resource)
  }
  return all
}

interface FunctionVersions {
  versions: ListedVersion[]
  /** The function's timeout, ms: how long a smoke invocation can take. */
  timeoutMs: number
}

async function readFunctionVersions(
  ctx: DeployContext,
  functionId: string,
  functionName: string
): Promise<FunctionVersions> {
  const pages = await listAll(
    'lambda:ListVersionsByFunction',
    functionName,
    paginateListVersionsByFunction({ client: ctx.lambda }, { FunctionName: functionId })
  )
  const versions: ListedVersion[] = []
  let timeoutSeconds: number | undefined
  for (const config of pages.flatMap((page) => page.Versions ?? [])) {
    if (config.Version === '$LATEST') timeoutSeconds = config.Timeout
    if (!/^\d+$/.test(config.Version ?? '')) continue
    const publishedAt = parseLambdaTime(config.LastModified)
    versions.push({
      version: Number(config.Version),
      ...(publishedAt !== undefined ? { publishedAt } : {})
    })
  }
  // Lambda's maximum when the answer does not say: the longer keep is the safe side.
  return { versions, timeoutMs: (timeoutSeconds ?? 900) * 1000 }
}

/** Provisioned concurrency on a version (on an alias it is the alias's versions, kept anyway). */
async function readProvisioned(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  uses: Map<number, string[]>
): Promise<void> {
  const pages = await listAll(
    'lambda:ListProvisionedConcurrencyConfigs',
    functionName,
    paginateListProvisionedConcurrencyConfigs({ client: ctx.lambda }, { FunctionName: functionId }),
    // The function was found a moment ago: not found here means no configuration to protect
    // (Lambda emulators without this API, moto among them, answer 404).
    isNotFound
  )
  for (const config of pages.flatMap((page) => page.ProvisionedConcurrencyConfigs ?? [])) {
    addUse(uses, qualifierVersion(config.FunctionArn), 'provisioned concurrency')
  }
}

function mappingUse(mapping: { UUID?: string }): string {
  return `event source mapping ${mapping.UUID ?? ''}`.trim()
}

/** Event source mappings: listed by the function's name, which may name qualified ARNs. */
async function readMappings(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  uses: Map<number, string[]>
): Promise<void> {
  const pages = await listAll(
    'lambda:ListEventSourceMappings',
    functionName,
    paginateListEventSourceMappings({ client: ctx.lambda }, { FunctionName: functionId })
  )
  for (const mapping of pages.flatMap((page) => page.EventSourceMappings ?? [])) {
    addUse(uses, qualifierVersion(mapping.FunctionArn), mappingUse(mapping))
  }
}

/**
 * Mappings of one version, asked for by its qualified ARN (a documented form of FunctionName
 * here) right before deleting it: whether Lambda lists a version's mappings under the
 * unqualified name is not documented; this question is exact.
 */
async function versionMappings(
  ctx: DeployContext,
  functionArn: string,
  functionName: string,
  version: number
): Promise<string[]> {
  const answer = await callAws(
    ctx,
    'lambda:ListEventSourceMappings',
    `${functionName}:${version}`,
    () =>
      ctx.lambda.send(
        new ListEventSourceMappingsCommand({ FunctionName: `${functionArn}:${version}` })
      )
  )
  return (answer.EventSourceMappings ?? []).map(mappingUse)
}

async function readAliases(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  uses: Map<number, string[]>
): Promise<void> {
  const pages = await listAll(
    'lambda:ListAliases',
    functionName,
    paginateListAliases({ client: ctx.lambda }, { FunctionName: functionId })
  )
  for (const alias of pages.flatMap((page) => page.Aliases ?? [])) {
    const name = alias.Name ?? '?'
    if (/^\d+$/.test(alias.FunctionVersion ?? '')) {
      addUse(uses, Number(alias.FunctionVersion), `alias ${name}`)
    }
    for (const weighted of Object.keys(alias.RoutingConfig?.AdditionalVersionWeights ?? {})) {
      if (/^\d+$/.test(weighted)) addUse(uses, Number(weighted), `alias ${name} (routing weight)`)
    }
  }
}

/** The versions of `layerArn` among a function's `Layers`, used by `user`. */
function addLayerUses(
  uses: Map<number, string[]>,
  layerArn: string,
  layers: { Arn?: string }[] | undefined,
  user: string
): void {
  for (const layer of layers ?? []) {
    if (!layer.Arn || layerArnOf(layer.Arn) !== layerArn) continue
    addUse(uses, Number(layer.Arn.slice(layer.Arn.lastIndexOf(':') + 1)), `attached to ${user}`)
  }
}

/**
 * Versions of `layerArn` that any function version of the account and region has attached
 * (every page; a listing that fails throws, and nothing is deleted).
 */
async function readLayerUsers(
  ctx: DeployContext,
  layerArn: string,
  label: string,
  uses: Map<number, string[]>
): Promise<void> {
  const pages = await listAll(
    'lambda:ListFunctions',
    `the functions that may use ${label}`,
    paginateListFunctions({ client: ctx.lambda }, { FunctionVersion: 'ALL' })
  )
  for (const config of pages.flatMap((page) => page.Functions ?? [])) {
    const user =
      config.Version === '$LATEST' || config.Version === undefined
        ? config.FunctionName
        : `${config.FunctionName}:${config.Version}`
    addLayerUses(uses, layerArn, config.Layers, user ?? 'a function')
  }
}

function keptList(plan: PrunePlan): KeptVersion[] {
  return plan.kept.map((k) => ({ version: String(k.version), reasons: k.reasons }))
}

function logOutcome(ctx: DeployContext, input: string, keep: number, result: PruneResult): void {
  const kept = result.kept.map((k) => `${k.version} (${k.reasons.join(', ')})`).join('; ')
  ctx.log.info(
    `${result.subject}: ${input} ${keep}: deleted ${result.deleted.join(', ') || 'nothing'}; ` +
      `kept ${kept || 'nothing'}`
  )
}

type Deletion = 'deleted' | 'gone' | 'denied' | 'failed'

/**
 * One deletion; never throws. Throttling is retried (callAws); a conflict (Lambda: in use) is
 * not, it would only repeat. The warning names the version and, when denied, the permission.
 */
async function deleteOne(
  ctx: DeployContext,
  action: string,
  resource: string,
  send: () => Promise<unknown>,
  result: PruneResult
): Promise<Deletion> {
  try {
    await callAws(ctx, action, resource, send, { retryable: isThrottling })
    return 'deleted'
  } catch (error) {
    if (isNotFound(error)) {
      ctx.log.info(`${resource}: already deleted (another run?)`)
      return 'gone'
    }
    const said = errorMessage(error)
    const denied = isAccessDenied(error)
    const warning =
      `${resource} was not deleted: ${said}` +
      (awsErrorName(error) === 'ResourceConflictException' ? ' (it is in use)' : '') +
      ' The deploy itself succeeded.'
    ctx.log.warning(warning)
    result.warnings.push(warning)
    return denied ? 'denied' : 'failed'
  }
}

/** Deletes `plan.deletions` in order; after a denial the rest are kept, unasked. */
async function deleteAll(
  plan: PrunePlan,
  result: PruneResult,
  check: (version: number) => Promise<string[]>,
  remove: (version: number) => Promise<Deletion>
): Promise<void> {
  const kept = keptList(plan)
  let denied = false
  for (const version of plan.deletions) {
    if (denied) {
      kept.push({ version: String(version), reasons: ['not deleted: permission denied'] })
      continue
    }
    const uses = await check(version)
    if (uses.length > 0) {
      kept.push({ version: String(version), reasons: uses })
      continue
    }
    const outcome = await remove(version)
    if (outcome === 'deleted' || outcome === 'gone') result.deleted.push(String(version))
    else {
      const reason = outcome === 'denied' ? 'permission denied' : 'the deletion failed (warning)'
      kept.push({ version: String(version), reasons: [`not deleted: ${reason}`] })
    }
    denied = outcome === 'denied'
  }
  result.kept = kept.sort((a, b) => Number(b.version) - Number(a.version))
}

export interface FunctionPruneRequest {
  /** How calls name the function (its name). */
  functionId: string
  /** Its unqualified ARN. */
  functionArn: string
  functionName: string
  /** The version this run deployed (published, or found unchanged). */
  version: string
  keep: number
}

/** keep-versions for one function, after its deploy and alias move succeeded. Never throws. */
export async function pruneFunctionVersions(
  ctx: DeployContext,
  request: FunctionPruneRequest
): Promise<PruneResult> {
  const { functionId, functionName } = request
  const result: PruneResult = { subject: functionName, deleted: [], kept: [], warnings: [] }
  let plan: PrunePlan
  try {
    const uses = new Map<number, string[]>()
    const [listed] = await Promise.all([
      readFunctionVersions(ctx, functionId, functionName),
      readProvisioned(ctx, functionId, functionName, uses),
      readMappings(ctx, functionId, functionName, uses)
    ])
    // Last, right before the deletions: an alias moved meanwhile is seen.
    await readAliases(ctx, functionId, functionName, uses)
    plan = planPrune({
      versions: listed.versions,
      own: [Number(request.version)],
      keep: request.keep,
      inUse: uses,
      now: ctx.now(),
      inFlightMs: ctx.waitTimeoutMs + listed.timeoutMs
    })
  } catch (error) {
    const warning =
      `${functionName}: ${INPUT.keepVersions} skipped, nothing deleted: ${errorMessage(error)} ` +
      'The deploy itself succeeded.'
    ctx.log.warning(warning)
    result.warnings.push(warning)
    return result
  }
  await deleteAll(
    plan,
    result,
    (version) =>
      versionMappings(ctx, request.functionArn, functionName, version).catch((error: unknown) => {
        const warning = `${functionName}:${version} was not deleted: ${errorMessage(error)}`
        ctx.log.warning(warning)
        result.warnings.push(warning)
        return ['its event source mappings could not be listed']
      }),
    (version) =>
      deleteOne(
        ctx,
        'lambda:DeleteFunction',
        `${functionName}:${version}`,
        () =>
          ctx.lambda.send(
            new DeleteFunctionCommand({ FunctionName: functionId, Qualifier: String(version) })
          ),
        result
      )
  )
  logOutcome(ctx, INPUT.keepVersions, request.keep, result)
  return result
}

export interface LayerPruneRequest {
  /** Name or ARN, as the user gave it. */
  layerName: string
  keep: number
  /** Layer version ARNs this run's functions now use (one per architecture). */
  used: string[]
  /** The functions the action deployed (names): their configuration is read. */
  functionIds: string[]
}

/** keep-layer-versions for the dependency layer, after every function deployed. Never throws. */
export async function pruneLayerVersions(
  ctx: DeployContext,
  request: LayerPruneRequest
): Promise<PruneResult> {
  const label = `layer ${layerNameOf(request.layerName)}`
  const result: PruneResult = { subject: label, deleted: [], kept: [], warnings: [] }
  const layerArn = layerArnOf(request.used[0] ?? '')
  const own = request.used
    .filter((arn) => layerArnOf(arn) === layerArn)
    .map((arn) => Number(arn.slice(arn.lastIndexOf(':') + 1)))
  let plan: PrunePlan
  try {
    const pages = await listAll(
      'lambda:ListLayerVersions',
      label,
      paginateListLayerVersions({ client: ctx.lambda }, { LayerName: request.layerName })
    )
    const versions = pages
      .flatMap((page) => page.LayerVersions ?? [])
      .flatMap((v): ListedVersion[] => {
        if (v.Version === undefined) return []
        const publishedAt = parseLambdaTime(v.CreatedDate)
        return [{ version: v.Version, ...(publishedAt !== undefined ? { publishedAt } : {}) }]
      })
    // Read after the listing, right before deleting: a function attached meanwhile is seen.
    const uses = new Map<number, string[]>()
    let timeoutMs = 0
    for (const functionId of request.functionIds) {
      const config = await callAws(ctx, 'lambda:GetFunctionConfiguration', functionId, () =>
        ctx.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionId }))
      )
      timeoutMs = Math.max(timeoutMs, (config.Timeout ?? 900) * 1000)
      addLayerUses(uses, layerArn, config.Layers, functionId)
    }
    await readLayerUsers(ctx, layerArn, label, uses)
    plan = planPrune({
      versions,
      own,
      keep: request.keep,
      inUse: uses,
      now: ctx.now(),
      inFlightMs: ctx.waitTimeoutMs + timeoutMs
    })
  } catch (error) {
    const warning =
      `${label}: ${INPUT.keepLayerVersions} skipped, nothing deleted: ${errorMessage(error)} ` +
      'The deploy itself succeeded.'
    ctx.log.warning(warning)
    result.warnings.push(warning)
    return result
  }
  await deleteAll(
    plan,
    result,
    () => Promise.resolve([]),
    (version) =>
      deleteOne(
        ctx,
        'lambda:DeleteLayerVersion',
        `${label}:${version}`,
        () =>
          ctx.lambda.send(
            new DeleteLayerVersionCommand({ LayerName: request.layerName, VersionNumber: version })
          ),
        result
      )
  )
  logOutcome(ctx, INPUT.keepLayerVersions, request.keep, result)
  return result
}

export interface PruneOptions {
  keepVersions?: number
  keepLayerVersions?: number
  layerName?: string
}

/**
 * The prune stage, after the deploy stage: each function that deployed (its alias moved), and
 * the layer when every function deployed. Sets `prune` on the results; returns the layer's.
 */
export async function pruneAfterDeploy(
  targets: FunctionTarget[],
  results: FunctionDeployResult[],
  options: PruneOptions,
  clients: AwsClients,
  deps: DeployDeps = {}
): Promise<PruneResult | undefined> {
  const ctx = deployContext(clients, deps)
  const keep = options.keepVersions
  if (keep !== undefined) {
    await mapConcurrent(results, 4, async (result, i) => {
      const target = targets[i]
      if (result.status === 'failed' || result.version === undefined || !target) return
      result.prune = await pruneFunctionVersions(ctx, {
        functionId: functionNameOf(target.functionArn),
        functionArn: target.functionArn,
        functionName: result.functionName,
        version: result.version,
        keep
      })
    })
  }
  const keepLayers = options.keepLayerVersions
  const used = [...new Set(results.flatMap((r) => (r.layerVersionArn ? [r.layerVersionArn] : [])))]
  if (keepLayers === undefined) return undefined
  if (!options.layerName || used.length === 0) {
    ctx.log.info(`${INPUT.keepLayerVersions}: skipped, since no dependency layer was deployed`)
    return undefined
  }
  if (results.some((r) => r.status === 'failed')) {
    ctx.log.info(`${INPUT.keepLayerVersions}: skipped, since not every function deployed`)
    return undefined
  }
  return pruneLayerVersions(ctx, {
    layerName: options.layerName,
    keep: keepLayers,
    used,
    functionIds: targets.map((t) => functionNameOf(t.functionArn))
  })
}
