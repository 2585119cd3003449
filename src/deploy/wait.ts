// Our own poller on LastUpdateStatus. The SDK's waiters retry on every error, so a missing
// lambda:GetFunctionConfiguration permission looks like a five-minute timeout; this one fails
// at once on AccessDenied and ResourceNotFound and names the permission or the function.
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import type { FunctionConfiguration } from '@aws-sdk/client-lambda'
import { awsFailure, isNotFound, isThrottling } from '../aws/aws-error.js'
import { INPUT } from '../constants.js'
import { UserError } from '../errors.js'
import type { DeployContext } from './context.js'

const POLL = { firstIntervalMs: 1_000, growth: 1.5, maxIntervalMs: 5_000 } as const

export interface WaitOptions {
  /**
   * True after one of our own changes: a Failed update fails the deployment. Before our first
   * change a Failed status is someone else's past update; it is reported and the deployment
   * goes on, since a new update is how it gets fixed.
   */
  afterChange: boolean
  /** What is being waited for, in log lines: `the code update`. */
  what?: string
  /** A published version to wait on (GetFunctionConfiguration's Qualifier) instead of $LATEST. */
  qualifier?: string
  /** Why it may take long, in the timeout message (SnapStart snapshots take minutes). */
  slowBecause?: string
}

export class UpdateTimeoutError extends UserError {
  override name = 'UpdateTimeoutError'
}

async function regionOf(ctx: Pick<DeployContext, 'lambda'>): Promise<string> {
  try {
    return await ctx.lambda.config.region()
  } catch {
    return 'the configured region'
  }
}

function reasonOf(code: string | undefined, reason: string | undefined): string {
  // Lambda's reasons end with a period; ours go inside sentences.
  return [code, reason?.replace(/\.+$/, '')].filter(Boolean).join(': ') || 'no reason given'
}

/** Not found: the name, the region and where to look. */
async function functionNotFound(
  ctx: Pick<DeployContext, 'lambda'>,
  functionName: string,
  cause: unknown
): Promise<UserError> {
  return new UserError(
    `Function "${functionName}" was not found in ${await regionOf(ctx)}: check function-name ` +
      'and the region (AWS_REGION, or aws-region of configure-aws-credentials).',
    { cause }
  )
}

/**
 * Polls GetFunctionConfiguration until no update is in progress and returns the settled
 * configuration (its CodeSha256 and RevisionId are what the next call's preconditions use).
 */
export async function waitForUpdate(
  ctx: DeployContext,
  functionName: string,
  options: WaitOptions
): Promise<FunctionConfiguration> {
  const started = ctx.now()
  const progress = { slept: false }
  try {
    return await poll(ctx, functionName, options, started, progress)
  } finally {
    // Only real waits count (a first answer that is settled already is no wait): the summary
    // shows where a deploy spent its time.
    if (ctx.waited && progress.slept) ctx.waited.ms += ctx.now() - started
  }
}

async function poll(
  ctx: DeployContext,
  functionName: string,
  options: WaitOptions,
  started: number,
  progress: { slept: boolean }
): Promise<FunctionConfiguration> {
  const what = options.what ?? 'the function'
  const qualified = options.qualifier ? `${functionName}:${options.qualifier}` : functionName
  const deadline = started + ctx.waitTimeoutMs
  let interval: number = POLL.firstIntervalMs
  let announced = false
  let lastSeen = 'no answer yet'

  for (;;) {
    let config: FunctionConfiguration | undefined
    try {
      config = await ctx.lambda.send(
        new GetFunctionConfigurationCommand({
          FunctionName: functionName,
          ...(options.qualifier ? { Qualifier: options.qualifier } : {})
        })
      )
    } catch (error) {
      if (isNotFound(error)) throw await functionNotFound(ctx, qualified, error)
      // Throttling keeps polling within the bound; every other error fails now.
      if (!isThrottling(error)) {
        throw awsFailure(error, 'lambda:GetFunctionConfiguration', qualified)
      }
      lastSeen = 'throttled'
    }

    if (config) {
      const status = config.LastUpdateStatus
      const updateReason = reasonOf(
        config.LastUpdateStatusReasonCode,
        config.LastUpdateStatusReason
      )
      const stateReason = reasonOf(config.StateReasonCode, config.StateReason)
      if (config.State === 'Failed' || status === 'Failed') {
        const failure =
          status === 'Failed'
            ? `its last update failed (LastUpdateStatus Failed): ${updateReason}`
            : `it is in state Failed: ${stateReason}`
        if (options.afterChange) {
          throw new UserError(`Waiting for ${what} of ${qualified}: ${failure}.`)
        }
        ctx.log.warning(`${qualified}: ${failure}. Deploying anyway, as a new update.`)
        return config
      }
      if (status !== 'InProgress' && config.State !== 'Pending') {
        if (announced) {
          ctx.log.info(
            `${qualified}: ${what} finished after ${Math.round((ctx.now() - started) / 1000)} s`
          )
        }
        return config
      }
      lastSeen =
        status === 'InProgress'
          ? `LastUpdateStatus InProgress (${updateReason})`
          : `State Pending (${stateReason})`
    }

    const now = ctx.now()
    if (now >= deadline) {
      throw new UpdateTimeoutError(
        `Timed out after ${Math.round((now - started) / 1000)} s waiting for ${what} of ` +
          `${qualified}: still ${lastSeen}. ` +
          (options.slowBecause ??
            'Lambda normally settles within seconds; check the function in the Lambda ' +
              'console (VPC network interfaces or KMS keys can hold an update)') +
          `; raise ${INPUT.waitTimeout} if it needs longer, and re-run.`
      )
    }
    if (!announced) {
      ctx.log.info(`${qualified}: waiting for ${what} (${lastSeen})`)
      announced = true
    }
    progress.slept = true
    await ctx.sleep(Math.min(interval, Math.max(0, deadline - now)))
    interval = Math.min(POLL.maxIntervalMs, interval * POLL.growth)
  }
}
