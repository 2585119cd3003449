// The dependency layer: published once per content (per architecture and runtime), attached by
// replacing the previous version of the same layer and keeping the function's other layers.
import {
  GetLayerVersionCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import type { FunctionConfiguration, Runtime } from '@aws-sdk/client-lambda'
import { isNotFound } from '../aws/aws-error.js'
import { UserError } from '../errors.js'
import { LIMITS } from '../lambda-facts.js'
import type { Architecture } from '../lambda-facts.js'
import type { PackageFile } from '../types.js'
import type { DeployContext } from './context.js'
import { callAws } from './retry.js'
import { callWithRevision } from './update-code.js'
import { stageCode } from './upload.js'
import type { UploadPlan } from './upload.js'
import { waitForUpdate } from './wait.js'

export interface LayerVersionRef {
  layerVersionArn: string
  version: number
  /** False when an existing version with the same CodeSha256 was reused. */
  published: boolean
}

export interface LayerRequest {
  /** Name or ARN, as PublishLayerVersion's LayerName takes it. */
  layerName: string
  pkg: PackageFile
  plan: UploadPlan
  runtime: string
  architecture: Architecture
  description?: string
}

/** `arn:...:layer:deps:7` → `arn:...:layer:deps` (the layer, any version). */
export function layerArnOf(layerVersionArn: string): string {
  const parts = layerVersionArn.split(':')
  return parts.length === 8 ? parts.slice(0, 7).join(':') : layerVersionArn
}

/** The bare name, whether `layerName` is a name or an ARN. */
export function layerNameOf(layerName: string): string {
  const marker = ':layer:'
  const at = layerName.indexOf(marker)
  return at < 0 ? layerName : (layerName.slice(at + marker.length).split(':')[0] ?? layerName)
}

function tooManyLayers(functionName: string, current: string[], adding: string): UserError {
  return new UserError(
    `${functionName} already has ${current.length} layers (${current.join(', ')}); attaching ` +
      `${adding} would make ${current.length + 1}, and Lambda allows ` +
      `${LIMITS.layersPerFunction}. Detach one, or use package-type: zip.`
  )
}

/** Before any request: a function with five other layers cannot take ours. */
export function checkLayerRoom(functionName: string, current: string[], layerName: string): void {
  const name = layerNameOf(layerName)
  const ours = current.some((arn) => layerNameOf(layerArnOf(arn)) === name)
  if (!ours && current.length >= LIMITS.layersPerFunction) {
    throw tooManyLayers(functionName, current, name)
  }
}

/**
 * The function's layers with `layerVersionArn` in place of any version of the same layer
 * (same position), or appended; refused above Lambda's limit.
 */
export function planLayers(
  functionName: string,
  current: string[],
  layerVersionArn: string
): string[] {
  const layer = layerArnOf(layerVersionArn)
  const replaced = current.some((arn) => layerArnOf(arn) === layer)
  const next = replaced
    ? current.map((arn) => (layerArnOf(arn) === layer ? layerVersionArn : arn))
    : [...current, layerVersionArn]
  if (next.length > LIMITS.layersPerFunction) {
    throw tooManyLayers(functionName, current, layerVersionArn)
  }
  return next
}

/** Newest version of the layer for this architecture and runtime that has `codeSha256`. */
async function findSameLayer(
  ctx: DeployContext,
  request: LayerRequest
): Promise<LayerVersionRef | undefined> {
  const name = request.layerName
  let versions
  try {
    versions = await callAws(ctx, 'lambda:ListLayerVersions', `layer ${name}`, () =>
      ctx.lambda.send(
        new ListLayerVersionsCommand({
          LayerName: name,
          CompatibleArchitecture: request.architecture,
          // Lambda's runtime identifiers are open-ended strings on the wire.
          CompatibleRuntime: request.runtime as Runtime
        })
      )
    )
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
  // Filtered again here: not every implementation of the API honours the filters.
  const latest = (versions.LayerVersions ?? [])
    .filter(
      (v) =>
        (v.CompatibleArchitectures ?? [request.architecture]).includes(request.architecture) &&
        (v.CompatibleRuntimes ?? [request.runtime]).includes(request.runtime)
    )
    .sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0))[0]
  if (!latest?.Version) return undefined
  const detail = await callAws(ctx, 'lambda:GetLayerVersion', `layer ${name}`, () =>
    ctx.lambda.send(new GetLayerVersionCommand({ LayerName: name, VersionNumber: latest.Version }))
  )
  if (detail.Content?.CodeSha256 !== request.pkg.codeSha256 || !detail.LayerVersionArn) {
    return undefined
  }
  return { layerVersionArn: detail.LayerVersionArn, version: latest.Version, published: false }
}

/** The layer version holding this package: the latest one if its code is the same, else new. */
export async function ensureLayerVersion(
  ctx: DeployContext,
  request: LayerRequest
): Promise<LayerVersionRef> {
  const label = `layer ${layerNameOf(request.layerName)} (${request.architecture})`
  const same = await findSameLayer(ctx, request)
  if (same) {
    ctx.log.info(`${label}: version ${same.version} has this CodeSha256; not publishing`)
    return same
  }
  const content = await stageCode(ctx, request.pkg, request.plan, label)
  const answer = await callAws(ctx, 'lambda:PublishLayerVersion', label, () =>
    ctx.lambda.send(
      new PublishLayerVersionCommand({
        LayerName: request.layerName,
        Content: content,
        CompatibleRuntimes: [request.runtime as Runtime],
        CompatibleArchitectures: [request.architecture],
        ...(request.description ? { Description: request.description } : {})
      })
    )
  )
  if (!answer.LayerVersionArn || answer.Version === undefined) {
    throw new UserError(`${label}: PublishLayerVersion returned no version`)
  }
  if (answer.Content?.CodeSha256 && answer.Content.CodeSha256 !== request.pkg.codeSha256) {
    throw new UserError(
      `${label}: Lambda computed CodeSha256 ${answer.Content.CodeSha256} for version ` +
        `${answer.Version}, but the package's is ${request.pkg.codeSha256}.`
    )
  }
  ctx.log.info(`${label}: published version ${answer.Version}`)
  return { layerVersionArn: answer.LayerVersionArn, version: answer.Version, published: true }
}

/** UpdateFunctionConfiguration with Layers alone: nothing else of the configuration is sent. */
export async function attachLayers(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  layers: string[],
  revisionId: string | undefined
): Promise<FunctionConfiguration> {
  await callWithRevision(ctx, 'lambda:UpdateFunctionConfiguration', functionName, () =>
    ctx.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: functionId,
        Layers: layers,
        ...(revisionId ? { RevisionId: revisionId } : {})
      })
    )
  )
  return waitForUpdate(ctx, functionId, { afterChange: true, what: 'the layer update' })
}
