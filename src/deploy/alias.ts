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

type AliasCall = 'CreateAlias' | 'UpdateAlias'

/** CreateAlias or UpdateAlias: the same request, pointing `alias` at `version`. */
async function sendAlias(
  ctx: DeployContext,
  call: AliasCall,
  functionId: string,
  functionName: string,
  alias: string,
  version: string
): Promise<AliasConfiguration> {
  const input = { FunctionName: functionId, Name: alias, FunctionVersion: version }
  return callAws(
    ctx,
    `lambda:${call}`,
    `${functionName}:${alias}`,
    () =>
      call === 'CreateAlias'
        ? ctx.lambda.send(new CreateAliasCommand(input))
        : ctx.lambda.send(new UpdateAliasCommand(input)),
    // For CreateAlias a conflict means "the alias exists" (created meanwhile): retrying cannot help.
    call === 'CreateAlias' ? { retryable: (e) => isRetryable(e) && !isConflict(e) } : {}
  )
}

/**
 * Points `alias` at `version`. `before` is what readAlias saw: UpdateAlias when the alias was
 * there (CreateAlias if it was deleted meanwhile), CreateAlias when it was not (UpdateAlias if
 * another run created it meanwhile). It also names the previous version in the log.
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
  // The call `before` points to, and the error that means the other one is needed.
  const [first, fallback, needsFallback]: [AliasCall, AliasCall, (error: unknown) => boolean] =
    before ? ['UpdateAlias', 'CreateAlias', isNotFound] : ['CreateAlias', 'UpdateAlias', isConflict]
  let moved: AliasConfiguration
  try {
    moved = await sendAlias(ctx, first, functionId, functionName, alias, version)
  } catch (error) {
    if (!needsFallback(error)) throw error
    moved = await sendAlias(ctx, fallback, functionId, functionName, alias, version)
  }
  const state = stateOf(moved, alias)
  ctx.log.info(
    before
      ? `${functionName}: alias ${alias} moved from version ${before.version} to ${version}`
      : `${functionName}: alias ${alias} created at version ${version}`
  )
  return { ...state, ...(before ? { previousVersion: before.version } : {}) }
}
