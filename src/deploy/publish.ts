// Versions: published with CodeSha256 and RevisionId as preconditions (what was tested is what
// gets a number), and found again instead of published twice when the code is unchanged.
import { PublishVersionCommand, paginateListVersionsByFunction } from '@aws-sdk/client-lambda'
import { awsFailure } from '../aws/aws-error.js'
import { UserError } from '../errors.js'
import type { DeployContext } from './context.js'
import { callWithRevision } from './update-code.js'
import { waitForUpdate } from './wait.js'

export interface PublishedVersion {
  version: string
  versionArn: string
  /** Its State as Lambda last said: `Pending` while a SnapStart snapshot is taken. */
  state?: string
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
  return {
    version: answer.Version,
    versionArn: answer.FunctionArn,
    ...(answer.State ? { state: answer.State } : {})
  }
}

/**
 * With SnapStart on, a new version stays Pending while Lambda snapshots it, and invoking it
 * raises SnapStartNotReadyException: nothing may use it before it is Active. Polls the
 * qualified version (our poller: AccessDenied fails at once); a Failed version throws with
 * its StateReasonCode and StateReason.
 * https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html
 */
export async function waitForVersion(
  ctx: DeployContext,
  functionId: string,
  version: PublishedVersion
): Promise<void> {
  // Lambda always says; an answer without a State is taken as it stands.
  if (version.state === undefined || version.state === 'Active') return
  await waitForUpdate(ctx, functionId, {
    afterChange: true,
    qualifier: version.version,
    what: 'the published version',
    slowBecause: 'A SnapStart snapshot can take several minutes'
  })
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
          const found: PublishedVersion = {
            version: String(number),
            versionArn: config.FunctionArn
          }
          if (config.State) found.state = config.State
          best = { number, found }
        }
      }
    }
  } catch (error) {
    throw awsFailure(error, 'lambda:ListVersionsByFunction', functionName)
  }
  return best?.found
}
