// Promotion: the alias moves to the new version only after its smoke invocation passed.
// UpdateAlias, or CreateAlias when the alias does not exist yet.
import { CreateAliasCommand, GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda'
import type { AliasConfiguration } from '@aws-sdk/client-lambda'
import { isConflict, isNotFound } from '../aws/aws-error.js'
import { UserError } from '../errors.js'
import type { DeployContext } from './context.js'
import { callAws, isRetryable } from './retry.js'

export interface AliasState {
  aliasArn: string
  version: string
}

export interface AliasMove extends AliasState {
  /** Where the alias pointed before; undefined when it was created. */
  previousVersion?: string
}

function stateOf(alias: AliasConfiguration, name: string): AliasState {
  if (!alias.AliasArn || !alias.FunctionVersion) {
    throw new UserError(`alias ${name}: Lambda returned no ARN or version`)
  }
  return { aliasArn: alias.AliasArn, version: alias.FunctionVersion }
}

/** Where the alias points now, or undefined when it does not exist. */
export async function readAlias(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  alias: string
): Promise<AliasState | undefined> {
  try {
    const found = await callAws(ctx, 'lambda:GetAlias', `${functionName}:${alias}`, () =>
      ctx.lambda.send(new GetAliasCommand({ FunctionName: functionId, Name: alias }))
    )
    return stateOf(found, alias)
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

async function createAlias(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  alias: string,
  version: string
): Promise<AliasConfiguration> {
  return callAws(
    ctx,
    'lambda:CreateAlias',
    `${functionName}:${alias}`,
    () =>
      ctx.lambda.send(
        new CreateAliasCommand({ FunctionName: functionId, Name: alias, FunctionVersion: version })
      ),
    // Here a conflict means "the alias exists" (created meanwhile): retrying cannot help.
    { retryable: (e) => isRetryable(e) && !isConflict(e) }
  )
}

async function updateAlias(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  alias: string,
  version: string
): Promise<AliasConfiguration> {
  return callAws(ctx, 'lambda:UpdateAlias', `${functionName}:${alias}`, () =>
    ctx.lambda.send(
      new UpdateAliasCommand({ FunctionName: functionId, Name: alias, FunctionVersion: version })
    )
  )
}

/**
 * Points `alias` at `version`: UpdateAlias, falling back to CreateAlias on ResourceNotFound
 * (and back to UpdateAlias if another run created it in between). `before` is what readAlias
 * saw: it decides which call goes first and names the previous version in the log.
 */
export async function promoteAlias(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  alias: string,
  version: string,
  before: AliasState | undefined
): Promise<AliasMove> {
  if (before?.version === version) {
    ctx.log.info(`${functionName}: alias ${alias} already points to version ${version}`)
    return { ...before, previousVersion: version }
  }
  let moved: AliasConfiguration
  if (before) {
    try {
      moved = await updateAlias(ctx, functionId, functionName, alias, version)
    } catch (error) {
      if (!isNotFound(error)) throw error
      moved = await createAlias(ctx, functionId, functionName, alias, version)
    }
  } else {
    try {
      moved = await createAlias(ctx, functionId, functionName, alias, version)
    } catch (error) {
      if (!isConflict(error)) throw error
      moved = await updateAlias(ctx, functionId, functionName, alias, version)
    }
  }
  const state = stateOf(moved, alias)
  ctx.log.info(
    before
      ? `${functionName}: alias ${alias} moved from version ${before.version} to ${version}`
      : `${functionName}: alias ${alias} created at version ${version}`
  )
  return { ...state, ...(before ? { previousVersion: before.version } : {}) }
}
