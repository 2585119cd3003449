// Versions: published with CodeSha256 and RevisionId as preconditions (what was tested is what
// gets a number), and found again instead of published twice when the code is unchanged.
import { PublishVersionCommand, paginateListVersionsByFunction } from '@aws-sdk/client-lambda'
import { awsFailure } from '../aws/aws-error.js'
import { UserError } from '../errors.js'
import type { DeployContext } from './context.js'
import { callWithRevision } from './update-code.js'

export interface PublishedVersion {
  version: string
  versionArn: string
}

export interface PublishRequest {
  /** How the calls name the function (its name, or ARN). */
  functionId: string
  functionName: string
  codeSha256: string
  revisionId?: string
  description?: string
}

export async function publishVersion(
  ctx: DeployContext,
  request: PublishRequest
): Promise<PublishedVersion> {
  const answer = await callWithRevision(ctx, 'lambda:PublishVersion', request.functionName, () =>
    ctx.lambda.send(
      new PublishVersionCommand({
        FunctionName: request.functionId,
        CodeSha256: request.codeSha256,
        ...(request.revisionId ? { RevisionId: request.revisionId } : {}),
        ...(request.description ? { Description: request.description } : {})
      })
    )
  )
  if (!answer.Version || !answer.FunctionArn) {
    throw new UserError(`${request.functionName}: PublishVersion returned no version`)
  }
  ctx.log.info(`${request.functionName}: published version ${answer.Version}`)
  return { version: answer.Version, versionArn: answer.FunctionArn }
}

/**
 * The newest published version whose code is `codeSha256` (and, for a layer package, with
 * that layer version attached), or undefined.
 */
export async function findVersion(
  ctx: DeployContext,
  functionId: string,
  functionName: string,
  codeSha256: string,
  layerVersionArn?: string
): Promise<PublishedVersion | undefined> {
  let best: { number: number; found: PublishedVersion } | undefined
  try {
    for await (const page of paginateListVersionsByFunction(
      { client: ctx.lambda },
      { FunctionName: functionId }
    )) {
      for (const config of page.Versions ?? []) {
        const number = Number(config.Version)
        if (!Number.isInteger(number) || config.CodeSha256 !== codeSha256) continue
        if (layerVersionArn && !(config.Layers ?? []).some((l) => l.Arn === layerVersionArn)) {
          continue
        }
        if (config.FunctionArn && (!best || number > best.number)) {
          best = { number, found: { version: String(number), versionArn: config.FunctionArn } }
        }
      }
    }
  } catch (error) {
    throw awsFailure(error, 'lambda:ListVersionsByFunction', functionName)
  }
  return best?.found
}
