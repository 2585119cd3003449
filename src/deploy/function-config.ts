// What a function is now: read once before building (runtime, architecture and handler default
// to the function's own) and again before each deployment.
import type { FunctionConfiguration } from '@aws-sdk/client-lambda'
import { UserError } from '../errors.js'
import { ARCHITECTURES } from '../lambda-facts.js'
import type { Architecture } from '../lambda-facts.js'
import type { DeployContext } from './context.js'
import { waitForUpdate } from './wait.js'

export interface FunctionTarget {
  /** As the user gave it (name or ARN). */
  functionName: string
  /** Unqualified ARN: every later call uses it. */
  functionArn: string
  runtime?: string
  architecture: Architecture
  handler?: string
  codeSha256: string
  /** Layer version ARNs attached, in order. */
  layers: string[]
  /** Configured memory, MB. */
  memorySize?: number
  /**
   * The function's configured variables (Environment.Variables), for the import check. Values
   * may be secrets: main.ts masks them as soon as they are read; never logged nor reported.
   */
  environment?: Record<string, string>
}

/** `arn:aws:lambda:<region>:<account>:function:<name>` → the account; undefined for a name. */
export function accountOf(functionArn: string): string | undefined {
  const account = functionArn.split(':')[4]
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:orders` → `orders`. */
export function functionNameOf(functionArn: string): string {
  const marker = ':function:'
  const at = functionArn.indexOf(marker)
  if (at < 0) return functionArn
  return functionArn.slice(at + marker.length).split(':')[0] ?? functionArn
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:orders` → `eu-west-1`. */
export function regionOf(functionArn: string): string | undefined {
  const region = functionArn.split(':')[3]
  return region === undefined || region === '' ? undefined : region
}

/** Drops a `:$LATEST` qualifier; a version or alias qualifier is refused by toFunctionTarget. */
function unqualified(functionArn: string): string {
  return functionArn.endsWith(':$LATEST') ? functionArn.slice(0, -':$LATEST'.length) : functionArn
}

function architectureOf(config: FunctionConfiguration, functionName: string): Architecture {
  // Lambda leaves Architectures out for functions created before arm64 existed: x86_64.
  const given = config.Architectures?.[0] ?? 'x86_64'
  const known = ARCHITECTURES.find((a) => a === given)
  if (!known) throw new UserError(`${functionName}: unknown architecture "${given}"`)
  return known
}

export function toFunctionTarget(
  functionName: string,
  config: FunctionConfiguration
): FunctionTarget {
  if (config.PackageType === 'Image') {
    throw new UserError(
      `${functionName} is a container image function; this action ships zip packages. ` +
        'Give a zip-packaged function in function-name.'
    )
  }
  if (config.Version && config.Version !== '$LATEST') {
    throw new UserError(
      `function-name: "${functionName}" names version or alias ${config.Version}, not the ` +
        'function. Give the name without a qualifier and use the alias input to move an alias.'
    )
  }
  if (!config.FunctionArn || !config.CodeSha256) {
    throw new UserError(`${functionName}: GetFunctionConfiguration returned no ARN or CodeSha256`)
  }
  return {
    functionName,
    functionArn: unqualified(config.FunctionArn),
    ...(config.Runtime ? { runtime: config.Runtime } : {}),
    architecture: architectureOf(config, functionName),
    ...(config.Handler ? { handler: config.Handler } : {}),
    codeSha256: config.CodeSha256,
    layers: (config.Layers ?? []).flatMap((layer) => (layer.Arn ? [layer.Arn] : [])),
    ...(config.MemorySize ? { memorySize: config.MemorySize } : {}),
    environment: { ...(config.Environment?.Variables ?? {}) }
  }
}

/** GetFunctionConfiguration, waiting out an update in progress (someone else's, if any). */
export function settledConfiguration(
  ctx: DeployContext,
  functionId: string
): Promise<FunctionConfiguration> {
  return waitForUpdate(ctx, functionId, { afterChange: false, what: 'an update in progress' })
}

/** What the function is now, once no update is in progress. */
export async function readTarget(
  ctx: DeployContext,
  functionName: string
): Promise<FunctionTarget> {
  return toFunctionTarget(functionName, await settledConfiguration(ctx, functionName))
}
