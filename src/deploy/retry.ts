// Lambda answers ResourceConflictException while another update of the function is in
// progress, and throttles bursts. Both are retried here with jittered exponential backoff;
// anything else fails at once (a missing permission never turns into a long wait).
import { awsErrorName, awsFailure, isConflict, isThrottling } from '../aws/aws-error.js'
import { UserError, errorMessage } from '../errors.js'
import type { DeployContext } from './context.js'

export interface RetryPolicy {
  /** Calls in all, the first included. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

/** About two minutes of retrying in the worst case. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 1_000, maxDelayMs: 20_000 }

export function isRetryable(error: unknown): boolean {
  return isConflict(error) || isThrottling(error)
}

/**
 * Delay before retry number `retry` (0 = the first retry): half of the capped exponential
 * step is fixed, half random, so concurrent deployments spread out but never retry at once.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
  return Math.round(step / 2 + random() * (step / 2))
}

export interface RetryOptions {
  policy?: RetryPolicy
  /** Which errors are worth another try; conflicts and throttling by default. */
  retryable?: (error: unknown) => boolean
}

type RetryContext = Pick<DeployContext, 'sleep' | 'random' | 'log'>

/** Runs `call`, retrying what `retryable` admits; `label` names the call in logs and errors. */
export async function withRetry<T>(
  label: string,
  call: () => Promise<T>,
  ctx: RetryContext,
  options: RetryOptions = {}
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY
  const retryable = options.retryable ?? isRetryable
  let waitedMs = 0
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!retryable(error)) throw error
      const reason = `${awsErrorName(error) ?? 'error'}: ${errorMessage(error)}`
      if (attempt >= policy.attempts) {
        const hint = isConflict(error)
          ? ' Another update kept the function busy the whole time: is another deployment ' +
            'of it running at the same time?'
          : ''
        throw new UserError(
          `${label}: gave up after ${attempt} attempts over ${Math.round(waitedMs / 1000)} s ` +
            `(${reason}).${hint}`,
          { cause: error }
        )
      }
      const delay = backoffDelay(attempt - 1, policy, ctx.random)
      ctx.log.info(
        `${label}: ${reason}; retry ${attempt}/${policy.attempts - 1} in ` +
          `${(delay / 1000).toFixed(1)} s`
      )
      waitedMs += delay
      await ctx.sleep(delay)
    }
  }
}

/** One AWS call, retried as above, its failure named by IAM action and resource. */
export async function callAws<T>(
  ctx: RetryContext,
  action: string,
  resource: string,
  call: () => Promise<T>,
  options: RetryOptions = {}
): Promise<T> {
  try {
    return await withRetry(`${action} on ${resource}`, call, ctx, options)
  } catch (error) {
    throw awsFailure(error, action, resource)
  }
}
