// The deploy stage, top to bottom for each function: check the plan (no request), wait out any
// update in progress, skip what is unchanged, attach the layer, update the code, publish; then
// release it (release.ts): smoke-invoke the new version, and only then move the alias, at once
// or through a traffic shift, rolling back on a rejection.
import type { FunctionConfiguration } from '@aws-sdk/client-lambda'
import type { AwsClients } from '../aws/clients.js'
import { UserError, errorMessage } from '../errors.js'
import type { Architecture } from '../lambda-facts.js'
import type { ArchBuild, BuildResult, FunctionDeployResult, PackageFile } from '../types.js'
import { throwIfCancelled } from './cancel.js'
import { deployContext } from './context.js'
import type { DeployContext, DeployDeps } from './context.js'
import {
  accountOf,
  functionNameOf,
  readTarget,
  settledConfiguration,
  toFunctionTarget
} from './function-config.js'
import type { FunctionTarget } from './function-config.js'
import {
  attachLayers,
  checkLayerRoom,
  ensureLayerVersion,
  layerNameOf,
  planLayers
} from './layer.js'
import type { LayerVersionRef } from './layer.js'
import { mapConcurrent } from './pool.js'
import { findVersion, publishVersion, waitForVersion } from './publish.js'
import type { PublishedVersion } from './publish.js'
import { release } from './release.js'
import type { HealthLimits } from './traffic/health.js'
import type { TrafficSpec } from './traffic/plan.js'
import { updateFunctionCode } from './update-code.js'
import { UpdateTimeoutError } from './wait.js'
import { checkPackageFile, planUpload, stageCode } from './upload.js'
import type { UploadPlan } from './upload.js'

export type { FunctionTarget } from './function-config.js'
export type { DeployDeps, DeployLog } from './context.js'

export interface DeployOptions {
  /** The runtime the package was built for. */
  runtime: string
  packageType: 'zip' | 'layer'
  layerName?: string
  s3Bucket?: string
  /** The account that must own s3-bucket; unset: the function's own account. */
  s3BucketOwner?: string
  s3Prefix: string
  publish: boolean
  alias?: string
  /** JSON text, validated by the inputs already. */
  smokePayload?: string
  /** Parsed JSON the smoke response must contain. */
  smokeExpect?: unknown
  /** How the alias's traffic moves to the new version; all-at-once by default. */
  traffic?: TrafficSpec
  /** What a traffic shift watches. */
  health?: HealthLimits
  /** Functions shipped at once; 4 by default. Releases (smoke, traffic) all run at once. */
  concurrency?: number
  /**
   * The user asked for ONE architecture, different from the function's: the function is
   * switched to it with the code update.
   */
  switchArchitecture?: Architecture
  /** Description of published versions and layer versions (e.g. the commit). */
  description?: string
}

const DEFAULT_CONCURRENCY = 4

/** GetFunctionConfiguration for each name, waiting out updates in progress. */
export async function readTargets(
  functionNames: string[],
  clients: AwsClients,
  deps: DeployDeps = {}
): Promise<FunctionTarget[]> {
  const ctx = deployContext(clients, deps)
  const outcomes = await mapConcurrent(functionNames, DEFAULT_CONCURRENCY, async (name) => {
    try {
      return { ok: true as const, target: await readTarget(ctx, name) }
    } catch (error) {
      return { ok: false as const, error: errorMessage(error) }
    }
  })
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [o.error]))
  if (failures.length === 1) throw new UserError(failures[0] ?? '')
  if (failures.length > 1) {
    throw new UserError(
      `${failures.length} of ${functionNames.length} functions cannot be read:\n` +
        failures.map((f) => `- ${f}`).join('\n')
    )
  }
  const targets = outcomes.flatMap((o) => (o.ok ? [o.target] : []))
  const seen = new Map<string, string>()
  for (const target of targets) {
    const other = seen.get(target.functionArn)
    if (other !== undefined) {
      throw new UserError(
        `function-name: "${other}" and "${target.functionName}" are the same function ` +
          `(${target.functionArn}); give each function once.`
      )
    }
    seen.set(target.functionArn, target.functionName)
  }
  return targets
}

/** Everything decided before the first request for one function. */
interface FunctionPlan {
  target: FunctionTarget
  architecture: Architecture
  code: PackageFile
  codeUpload: UploadPlan
  layer?: LayerPlan
}

interface LayerPlan {
  /** Name or ARN, as the user gave it. */
  name: string
  pkg: PackageFile
  upload: UploadPlan
}

function runtimeMismatch(functionName: string, built: string, functionRuntime: string): UserError {
  return new UserError(
    `runtime: the package is built for ${built}, but ${functionName} runs ${functionRuntime}. ` +
      `This action never changes a function's runtime: set runtime to ${functionRuntime} (or ` +
      `leave it empty), or move the function to ${built} first.`
  )
}

function archBuildFor(target: FunctionTarget, build: BuildResult, arch: Architecture): ArchBuild {
  const found = build.architectures.find((b) => b.architecture === arch)
  if (found) return found
  const built = build.architectures.map((b) => b.architecture).join(', ') || 'nothing'
  throw new UserError(
    `architectures: ${target.functionName} runs ${arch}, but packages were built for ${built}. ` +
      `Add ${arch} to architectures, or leave it empty to build for the function's own.`
  )
}

/**
 * The package file as built, and how it will travel: `owner` is the folder of its S3 key, and
 * the bucket must belong to s3-bucket-owner, else to the function's account.
 */
async function planPackage(
  pkg: PackageFile,
  options: DeployOptions,
  target: FunctionTarget,
  owner: string,
  label: string
): Promise<UploadPlan> {
  await checkPackageFile(pkg, label)
  const expectedBucketOwner = options.s3BucketOwner ?? accountOf(target.functionArn)
  return planUpload(pkg.size, pkg.codeSha256, {
    ...(options.s3Bucket ? { s3Bucket: options.s3Bucket } : {}),
    ...(expectedBucketOwner ? { expectedBucketOwner } : {}),
    s3Prefix: options.s3Prefix,
    owner,
    label
  })
}

/** Pure checks and local file checks: a failure here means no request was sent for it. */
async function planFunction(
  target: FunctionTarget,
  build: BuildResult,
  options: DeployOptions
): Promise<FunctionPlan> {
  const name = target.functionName
  if (build.runtime !== options.runtime) {
    throw new UserError(`runtime: packages were built for ${build.runtime}, not ${options.runtime}`)
  }
  if (target.runtime !== undefined && target.runtime !== options.runtime) {
    throw runtimeMismatch(name, options.runtime, target.runtime)
  }
  if (options.alias && !options.publish) {
    throw new UserError('alias: an alias points to a published version; set publish: true.')
  }
  const architecture = options.switchArchitecture ?? target.architecture
  const archBuild = archBuildFor(target, build, architecture)
  const code = archBuild.packages.function
  const codeUpload = await planPackage(
    code,
    options,
    target,
    functionNameOf(target.functionArn),
    `function ${name}`
  )
  const plan: FunctionPlan = { target, architecture, code, codeUpload }
  if (options.packageType === 'layer') {
    const pkg = archBuild.packages.layer
    if (!options.layerName || !pkg) {
      throw new UserError(
        `package-type: layer needs a layer package and layer-name (${architecture} build has ` +
          `${pkg ? 'a layer package' : 'no layer package'}, layer-name is ` +
          `${options.layerName ? `"${options.layerName}"` : 'empty'}).`
      )
    }
    const layerName = layerNameOf(options.layerName)
    checkLayerRoom(name, target.layers, options.layerName)
    const upload = await planPackage(pkg, options, target, layerName, `layer ${layerName}`)
    plan.layer = { name: options.layerName, pkg, upload }
  }
  return plan
}

type LayerSource = (layer: LayerPlan, architecture: Architecture) => Promise<LayerVersionRef>

/** One layer version per architecture, shared by every function of that architecture. */
function layerSource(ctx: DeployContext, options: DeployOptions): LayerSource {
  const byArchitecture = new Map<Architecture, Promise<LayerVersionRef>>()
  return (layer, architecture) => {
    let pending = byArchitecture.get(architecture)
    if (!pending) {
      pending = ensureLayerVersion(ctx, {
        layerName: layer.name,
        pkg: layer.pkg,
        plan: layer.upload,
        runtime: options.runtime,
        architecture,
        ...(options.description ? { description: options.description } : {})
      })
      byArchitecture.set(architecture, pending)
    }
    return pending
  }
}

interface FunctionStep {
  ctx: DeployContext
  plan: FunctionPlan
  options: DeployOptions
  /** How calls name the function. */
  id: string
  /** The name the user gave, for messages. */
  name: string
  result: FunctionDeployResult
}

function publishRequest(step: FunctionStep, revisionId: string | undefined) {
  return {
    functionId: step.id,
    functionName: step.name,
    codeSha256: step.plan.code.codeSha256,
    ...(revisionId ? { revisionId } : {}),
    ...(step.options.description ? { description: step.options.description } : {})
  }
}

/** Code and layer already in place: send nothing, find the version that has them. */
async function keepUnchanged(
  step: FunctionStep,
  layer: LayerVersionRef | undefined,
  revisionId: string | undefined
): Promise<PublishedVersion | undefined> {
  const { ctx, name, result } = step
  const sha = step.plan.code.codeSha256
  result.status = 'unchanged'
  ctx.log.info(`${name}: CodeSha256 ${sha} is deployed already; nothing to send`)
  if (!step.options.publish) return undefined
  const found = await findVersion(ctx, step.id, name, sha, layer?.layerVersionArn)
  if (found) {
    ctx.log.info(`${name}: version ${found.version} has this code`)
    return found
  }
  ctx.log.info(`${name}: no published version has this code yet; publishing one`)
  result.status = 'deployed'
  return publishVersion(ctx, publishRequest(step, revisionId))
}

/** Layer, then code, each waited for; then the version, with CodeSha256 and RevisionId. */
async function ship(
  step: FunctionStep,
  now: FunctionTarget,
  layer: LayerVersionRef | undefined,
  config: FunctionConfiguration
): Promise<PublishedVersion | undefined> {
  const { ctx, plan, id, name, result } = step
  // The layer first: new dependencies under the old code is the safer of the two short
  // windows (aliases point to versions and see neither).
  if (layer && !now.layers.includes(layer.layerVersionArn)) {
    const layers = planLayers(name, now.layers, layer.layerVersionArn)
    ctx.log.info(`${name}: attaching ${layer.layerVersionArn}`)
    config = await attachLayers(ctx, id, name, layers, config.RevisionId)
  }
  const switching = now.architecture !== plan.architecture
  if (now.codeSha256 !== plan.code.codeSha256 || switching) {
    if (switching)
      ctx.log.info(`${name}: switching from ${now.architecture} to ${plan.architecture}`)
    const source = await stageCode(ctx, plan.code, plan.codeUpload, `function ${name}`)
    throwIfCancelled(ctx, 'before the code update (the package was uploaded; nothing else changed)')
    result.upload = plan.codeUpload.method
    config = await updateFunctionCode(ctx, {
      functionId: id,
      functionName: name,
      source,
      codeSha256: plan.code.codeSha256,
      ...(config.RevisionId ? { revisionId: config.RevisionId } : {}),
      ...(switching ? { architecture: plan.architecture } : {})
    })
  }
  result.status = 'deployed'
  return step.options.publish
    ? publishVersion(ctx, publishRequest(step, config.RevisionId))
    : undefined
}

/** What shipping left for the release: the version, and what $LATEST ran and holds. */
interface Shipped {
  step: FunctionStep
  version: PublishedVersion | undefined
  previousCodeSha256: string
  environment?: Record<string, string>
}

/** Everything up to a published, ready version; nothing serves it yet. */
async function shipFunction(
  ctx: DeployContext,
  plan: FunctionPlan,
  options: DeployOptions,
  layerFor: LayerSource,
  result: FunctionDeployResult
): Promise<Shipped> {
  const name = plan.target.functionName
  // Calls name the function by its short name: for the caller's account and region the same
  // function as its ARN (the only place Lambda lets these calls reach), and the form every
  // emulator understands.
  const step: FunctionStep = {
    ctx,
    plan,
    options,
    id: functionNameOf(plan.target.functionArn),
    name,
    result
  }

  const layer = plan.layer ? await layerFor(plan.layer, plan.architecture) : undefined
  if (layer) result.layerVersionArn = layer.layerVersionArn

  const config = await settledConfiguration(ctx, step.id)
  const now = toFunctionTarget(name, config)
  if (now.runtime !== undefined && now.runtime !== options.runtime) {
    throw runtimeMismatch(name, options.runtime, now.runtime)
  }
  const unchanged =
    now.codeSha256 === plan.code.codeSha256 &&
    now.architecture === plan.architecture &&
    (!layer || now.layers.includes(layer.layerVersionArn))

  throwIfCancelled(ctx, 'before anything was changed')
  const version = unchanged
    ? await keepUnchanged(step, layer, config.RevisionId)
    : await ship(step, now, layer, config)
  if (version) {
    result.version = version.version
    result.versionArn = version.versionArn
    await versionReady(step, version)
  }
  return {
    step,
    version,
    previousCodeSha256: now.codeSha256,
    ...(config.Environment?.Variables ? { environment: config.Environment.Variables } : {})
  }
}

function releaseFunction(shipped: Shipped): Promise<void> {
  const { step, version } = shipped
  return release(
    step.ctx,
    {
      functionId: step.id,
      functionName: step.name,
      ...(version ? { version } : {}),
      codeSha256: step.plan.code.codeSha256,
      previousCodeSha256: shipped.previousCodeSha256,
      ...(shipped.environment ? { environment: shipped.environment } : {})
    },
    step.options,
    step.result
  )
}

/** Waits for a Pending (SnapStart) version; a Failed one stops here, before smoke and alias. */
async function versionReady(step: FunctionStep, version: PublishedVersion): Promise<void> {
  try {
    await waitForVersion(step.ctx, step.id, version)
  } catch (error) {
    const alias = step.options.alias
    // Lambda publishes no new version of unchanged code: a Failed one is found again.
    const next =
      error instanceof UpdateTimeoutError
        ? 'a re-run waits for it again.'
        : 'fix the cause, then deploy changed code (a re-run of this code finds this version again).'
    throw new UserError(
      `${errorMessage(error)}\n${alias ? `Alias ${alias} was not moved; no` : 'No'} smoke ` +
        `invocation ran. Version ${version.version} stays published; ${next}`,
      { cause: error }
    )
  }
}

/**
 * Ships the build to each target, at most `concurrency` at a time. One function's failure
 * does not stop or hide the others: every target gets a result, `failed` ones with `error`.
 */
export async function deployAll(
  targets: FunctionTarget[],
  build: BuildResult,
  options: DeployOptions,
  clients: AwsClients,
  deps: DeployDeps = {}
): Promise<FunctionDeployResult[]> {
  const ctx = deployContext(clients, deps)
  // Every plan before any request: a missing s3-bucket or a sixth layer sends nothing.
  const plans = await Promise.all(
    targets.map(async (target) => {
      try {
        return { plan: await planFunction(target, build, options) }
      } catch (error) {
        return { error }
      }
    })
  )
  const layerFor = layerSource(ctx, options)
  const fail = (result: FunctionDeployResult, error: unknown): void => {
    result.status = 'failed'
    result.error = errorMessage(error)
    result.rollout ??= 'failed'
  }
  const shipped = await mapConcurrent(
    targets,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async (target, i) => {
      const planned = plans[i]
      const result: FunctionDeployResult = {
        functionName: target.functionName,
        architecture: options.switchArchitecture ?? target.architecture,
        status: 'failed'
      }
      // Its own count of time spent waiting; the layer's waits, shared, stay out of it.
      const functionCtx: DeployContext = { ...ctx, waited: { ms: 0 } }
      let ready: Shipped | undefined
      try {
        if (!planned || 'error' in planned) throw planned?.error
        ready = await shipFunction(functionCtx, planned.plan, options, layerFor, result)
      } catch (error) {
        fail(result, error)
      }
      return { result, ready, functionCtx }
    }
  )
  // Every release at once: a traffic shift is mostly waiting, and the functions of one
  // deployment shift side by side, each with its own health checks and rollback.
  await Promise.all(
    shipped.map(async ({ result, ready }) => {
      if (!ready) return
      try {
        await releaseFunction(ready)
      } catch (error) {
        fail(result, error)
      }
    })
  )
  return shipped.map(({ result, functionCtx }) => {
    if (functionCtx.waited?.ms) result.waitedMs = functionCtx.waited.ms
    return result
  })
}
