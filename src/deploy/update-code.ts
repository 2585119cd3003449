// UpdateFunctionCode, code only: configuration (runtime, handler, environment) is never sent.
import { UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda'
import type { FunctionConfiguration } from '@aws-sdk/client-lambda'
import { awsErrorName } from '../aws/aws-error.js'
import { UserError } from '../errors.js'
import type { Architecture } from '../lambda-facts.js'
import type { DeployContext } from './context.js'
import { callAws } from './retry.js'
import type { CodeSource } from './upload.js'
import { waitForUpdate } from './wait.js'

export interface CodeUpdate {
  /** How the calls name the function (its name, or ARN). */
  functionId: string
  /** For messages: the name the user gave. */
  functionName: string
  source: CodeSource
  /** The package's CodeSha256: Lambda must report it back. */
  codeSha256: string
  /** RevisionId read just before: nobody else's change is overwritten unseen. */
  revisionId?: string
  /** Switch the function to this architecture with the code (UpdateFunctionCode takes it). */
  architecture?: Architecture
}

/**
 * callAws for a call sent with a RevisionId precondition: a mismatch (someone else changed the
 * function meanwhile) is explained, never retried.
 */
export async function callWithRevision<T>(
  ctx: DeployContext,
  action: string,
  functionName: string,
  call: () => Promise<T>
): Promise<T> {
  try {
    return await callAws(ctx, action, functionName, call)
  } catch (error) {
    if (awsErrorName(error) !== 'PreconditionFailedException') throw error
    throw new UserError(
      `${functionName} changed while this deployment ran (its RevisionId no longer matches): ` +
        'another deployment or a console edit? Nothing was overwritten; re-run.',
      { cause: error }
    )
  }
}

/** Sends the code, checks the CodeSha256 Lambda computed, and waits for the update to finish. */
export async function updateFunctionCode(
  ctx: DeployContext,
  update: CodeUpdate
): Promise<FunctionConfiguration> {
  const answer = await callWithRevision(ctx, 'lambda:UpdateFunctionCode', update.functionName, () =>
    ctx.lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: update.functionId,
        ...update.source,
        Publish: false,
        ...(update.revisionId ? { RevisionId: update.revisionId } : {}),
        ...(update.architecture ? { Architectures: [update.architecture] } : {})
      })
    )
  )
  if (answer.CodeSha256 && answer.CodeSha256 !== update.codeSha256) {
    throw new UserError(
      `${update.functionName}: Lambda computed CodeSha256 ${answer.CodeSha256} for the uploaded ` +
        `code, but the package's is ${update.codeSha256}. ` +
        ('S3Key' in update.source
          ? `The object s3://${update.source.S3Bucket}/${update.source.S3Key} does not hold ` +
            'this package: delete it and re-run.'
          : 'The upload was altered on the way; re-run.')
    )
  }
  return waitForUpdate(ctx, update.functionId, { afterChange: true, what: 'the code update' })
}
