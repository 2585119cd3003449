// The release of a shipped version: smoke-invoke it, then move the alias to it, all at once or
// through a traffic shift with health checks. A rejection (failed smoke invocation, unhealthy
// shift, cancellation) rolls back: the alias goes back to the version it served with routing
// cleared, and $LATEST back to that version's code, so nothing (qualified or not) keeps running
// rejected code. An earlier run's unfinished shift found on the alias is finished (same version)
// or rolled back (another version) first, and said so.
import { UserError, errorMessage } from '../errors.js'
import { variableSecrets } from '../secrets.js'
import type { FunctionDeployResult } from '../types.js'
import { describeAlias, moveAlias, readAlias } from './alias.js'
import type { AliasRef, AliasState } from './alias.js'
import type { DeployContext } from './context.js'
import { findVersion, type PublishedVersion } from './publish.js'
import { restoreLatest, type LatestRestore } from './restore-latest.js'
import { SmokeFailure, smokeTest } from './smoke.js'
import type { HealthLimits } from './traffic/health.js'
import { describeTraffic, planShift, remainingSteps, type TrafficSpec } from './traffic/plan.js'
import { runShift } from './traffic/shift.js'

export interface ReleaseOptions {
  alias?: string
  smokePayload?: string
  smokeExpect?: unknown
  traffic?: TrafficSpec
  health?: HealthLimits
  s3Bucket?: string
  s3Prefix: string
}

export interface ReleaseRequest {
  /** How the calls name the function. */
  functionId: string
  functionName: string
  /** The published version; undefined with publish: false (the smoke invokes $LATEST). */
  version?: PublishedVersion
  /** The shipped package's CodeSha256: what $LATEST runs now. */
  codeSha256: string
  /** What $LATEST ran before this run: the restore's source when no alias says better. */
  previousCodeSha256: string
  /** The function's environment variables: their values are masked in what it prints. */
  environment?: Record<string, string>
}

const NO_ROUTING = { kind: 'all-at-once' } as const satisfies TrafficSpec

/** Why the release stopped: the message, and the alias as last seen (for the rollback). */
class Rejection extends Error {
  constructor(
    readonly reason: string,
    readonly alias: AliasState | undefined,
    options?: { cause?: unknown }
  ) {
    super(reason, options)
  }
}

/**
 * Smoke, then the alias; sets `result.rollout`, `servingVersion`, `aliasArn`, `smoke`,
 * `traffic` and, after a rejection, `latestRestore`, then throws the rejection's UserError.
 */
export async function release(
  ctx: DeployContext,
  request: ReleaseRequest,
  options: ReleaseOptions,
  result: FunctionDeployResult
): Promise<void> {
  const { version } = request
  // An alias needs a published version (planFunction checked publish: true).
  const ref: AliasRef | undefined =
    options.alias && version
      ? { functionId: request.functionId, functionName: request.functionName, alias: options.alias }
      : undefined
  let before = ref ? await readAlias(ctx, ref) : undefined
  /** Where the alias is now, as far as this run knows: a rollback's precondition. */
  let current = before
  try {
    if (ref && before?.routing && before.routing.version !== version?.version) {
      current = before = await clearLeftover(ctx, ref, before)
    }
    // Code unchanged and the alias (if any) on it already: nothing new to test.
    await smoke(
      ctx,
      request,
      options,
      result,
      ref === undefined || settledOn(before, version?.version)
    )
    if (!ref || !version) {
      result.rollout = result.status === 'unchanged' ? 'unchanged' : 'promoted'
      return
    }
    if (ctx.signal?.aborted) {
      throw new Rejection('the job was cancelled before the alias moved', current)
    }
    await promote(ctx, ref, version.version, before, options, result, (state) => {
      current = state
    })
  } catch (error) {
    if (!(error instanceof Rejection)) throw error
    await rollBack(ctx, request, options, result, ref, before, error.alias ?? current, error)
  }
}

/** The alias serves `version` already, routing clear. */
function settledOn(alias: AliasState | undefined, version: string | undefined): boolean {
  return alias !== undefined && alias.version === version && !alias.routing
}

/** An earlier run's unfinished shift to another version: rolled back before anything else. */
async function clearLeftover(
  ctx: DeployContext,
  ref: AliasRef,
  found: AliasState
): Promise<AliasState | undefined> {
  const left = found.routing!
  ctx.log.warning(
    `${ref.functionName}: alias ${ref.alias} routes ${left.percent}% to version ${left.version}, ` +
      `left by a traffic shift that did not finish (a killed run?): rolling it back to version ` +
      `${found.version}, routing cleared, before this deployment`
  )
  const moved = await moveAlias(
    ctx,
    ref,
    { kind: 'rollback', to: found.version, rejected: left.version },
    found
  )
  if (moved.outcome !== 'moved') {
    throw new UserError(
      `${ref.functionName}:${ref.alias} is being moved by another deployment (now ` +
        `${describeAlias(moved.state)}); nothing was released. Run one deployment of a function ` +
        'at a time (a GitHub concurrency group), then re-run.'
    )
  }
  return moved.state
}

async function smoke(
  ctx: DeployContext,
  request: ReleaseRequest,
  options: ReleaseOptions,
  result: FunctionDeployResult,
  aliasSettled: boolean
): Promise<void> {
  if (options.smokePayload === undefined) return
  if (result.status === 'unchanged' && aliasSettled) {
    result.smoke = { status: 'skipped', detail: 'code unchanged' }
    return
  }
  if (ctx.signal?.aborted) {
    throw new Rejection('the job was cancelled before the smoke invocation', undefined)
  }
  try {
    const detail = await smokeTest(ctx, {
      functionId: request.functionId,
      functionName: request.functionName,
      ...(request.version ? { qualifier: request.version.version } : {}),
      payload: options.smokePayload,
      ...(options.smokeExpect !== undefined ? { expect: options.smokeExpect } : {}),
      secrets: variableSecrets(Object.values(request.environment ?? {}))
    })
    result.smoke = { status: 'passed', detail }
  } catch (error) {
    result.smoke = {
      status: 'failed',
      detail: error instanceof SmokeFailure ? error.detail : errorMessage(error)
    }
    throw new Rejection(errorMessage(error), undefined, { cause: error })
  }
}

async function promote(
  ctx: DeployContext,
  ref: AliasRef,
  version: string,
  before: AliasState | undefined,
  options: ReleaseOptions,
  result: FunctionDeployResult,
  seen: (state: AliasState | undefined) => void
): Promise<void> {
  const traffic = options.traffic ?? NO_ROUTING
  const name = ref.functionName
  if (settledOn(before, version)) {
    ctx.log.info(`${name}: alias ${ref.alias} already points to version ${version}`)
    result.rollout = 'unchanged'
    setAlias(result, before)
    return
  }
  if (before) result.previousAliasVersion = before.version
  const resumedAt = before?.routing?.version === version ? before.routing.percent : undefined
  if (!before || traffic.kind === 'all-at-once') {
    if (!before && traffic.kind !== 'all-at-once') {
      ctx.log.info(
        `${name}: alias ${ref.alias} does not exist yet, so no traffic to shift: creating it at ` +
          `version ${version}`
      )
    }
    if (resumedAt !== undefined) {
      ctx.log.info(
        `${name}: alias ${ref.alias} routes ${resumedAt}% to version ${version} (an earlier ` +
          'run’s unfinished shift): finishing it now, as traffic is all-at-once'
      )
    }
    const moved = await moveAlias(ctx, ref, { kind: 'promote', version }, before)
    seen(moved.state)
    if (moved.outcome !== 'moved') return supersede(ctx, ref, version, moved.state, result)
    ctx.log.info(
      before
        ? `${name}: alias ${ref.alias} moved from ${describeAlias(before)} to version ${version}`
        : `${name}: alias ${ref.alias} created at version ${version}`
    )
    result.rollout = 'promoted'
    setAlias(result, moved.state)
    return
  }

  const planned = planShift(traffic)
  const steps = resumedAt === undefined ? planned : remainingSteps(planned, resumedAt)
  if (resumedAt !== undefined) {
    ctx.log.warning(
      `${name}: alias ${ref.alias} routes ${resumedAt}% to version ${version}, left by a shift ` +
        `that did not finish (a killed run?): finishing it, from ${steps[0]!.percent}%, health ` +
        'checked as before'
    )
  }
  let shifted
  try {
    shifted = await runShift(ctx, {
      ref,
      from: before.version,
      to: version,
      steps,
      health: options.health ?? { alarms: [], maxErrors: 0 },
      alias: before,
      traffic: describeTraffic(traffic),
      ...(resumedAt !== undefined ? { resumedAt } : {})
    })
  } catch (error) {
    // A failed alias move mid-shift may leave routing behind: rolled back like a rejection.
    throw new Rejection(`the traffic shift failed: ${errorMessage(error)}`, undefined, {
      cause: error
    })
  }
  seen(shifted.alias)
  result.traffic = shifted.record
  if (shifted.outcome === 'promoted') {
    result.rollout = 'promoted'
    setAlias(result, shifted.alias)
    return
  }
  if (shifted.outcome === 'superseded') {
    return supersede(ctx, ref, version, shifted.alias, result)
  }
  throw new Rejection(shifted.reason ?? 'the shift stopped', shifted.alias)
}

/** The alias as this run leaves it; `alias-arn` only names an alias this run moved to us. */
function setAlias(result: FunctionDeployResult, state: AliasState | undefined, ours = true): void {
  if (!state) return
  if (ours) result.aliasArn = state.aliasArn
  result.servingVersion = state.version
}

/** Another deployment moved the alias meanwhile: left where it is, and said so. */
function supersede(
  ctx: DeployContext,
  ref: AliasRef,
  version: string,
  state: AliasState | undefined,
  result: FunctionDeployResult
): void {
  ctx.log.warning(
    `${ref.functionName}: alias ${ref.alias} was moved by another deployment while this one ran ` +
      `(it now serves ${describeAlias(state)}); left there, not moved back to version ${version}.`
  )
  result.rollout = 'superseded'
  setAlias(result, state)
}

/** Alias back, routing cleared; $LATEST back; then the step fails saying all of it. */
async function rollBack(
  ctx: DeployContext,
  request: ReleaseRequest,
  options: ReleaseOptions,
  result: FunctionDeployResult,
  ref: AliasRef | undefined,
  before: AliasState | undefined,
  now: AliasState | undefined,
  rejection: Rejection
): Promise<never> {
  const name = request.functionName
  const rejected = request.version?.version
  const what = rejected ? `Version ${rejected}` : 'The new code'
  const reason = rejection.reason.trimEnd()
  const lines = [`${what} was rejected: ${reason}${/[.!?]$/.test(reason) ? '' : '.'}`]
  result.rollout = 'rolled-back'

  if (ref && before && rejected) {
    // Read again: the last move may have failed half-way, or someone else moved it since.
    now = await readAlias(ctx, ref).catch(() => now)
    const touched = now?.version === rejected || now?.routing?.version === rejected
    if (!touched) {
      lines.push(`Alias ${ref.alias} was left at ${describeAlias(now)}.`)
      setAlias(result, now, false)
    } else {
      try {
        const moved = await moveAlias(
          ctx,
          ref,
          { kind: 'rollback', to: before.version, rejected },
          now
        )
        setAlias(result, moved.state, false)
        lines.push(
          moved.outcome === 'moved'
            ? `Alias ${ref.alias} serves version ${before.version} again, routing cleared.`
            : `Alias ${ref.alias} was moved by another deployment meanwhile (now ` +
                `${describeAlias(moved.state)}); left there.`
        )
      } catch (error) {
        result.rollout = 'rollback-failed'
        lines.push(
          `Alias ${ref.alias} could NOT be put back on version ${before.version} (${errorMessage(error)}): ` +
            `it may still route traffic to version ${rejected}. Put it back with: aws lambda ` +
            `update-alias --function-name ${request.functionId} --name ${ref.alias} ` +
            `--function-version ${before.version} --routing-config AdditionalVersionWeights={}`
        )
      }
    }
  } else if (ref) {
    lines.push(`Alias ${ref.alias} was not created.`)
  }

  const restore = await restoreLatestFor(ctx, request, options, before)
  result.latestRestore = restore
  lines.push(`${restore.detail}.`)
  if (rejected) lines.push(`Version ${rejected} stays published.`)
  ctx.log.info(`${name}: ${lines.join(' ')}`)
  throw new UserError(lines.join('\n'), { cause: rejection })
}

/** The code the alias served, or (no alias) the newest version holding what $LATEST ran. */
async function restoreLatestFor(
  ctx: DeployContext,
  request: ReleaseRequest,
  options: ReleaseOptions,
  before: AliasState | undefined
): Promise<LatestRestore> {
  const common = {
    functionId: request.functionId,
    functionName: request.functionName,
    rejectedCodeSha256: request.codeSha256,
    ...(options.s3Bucket ? { s3Bucket: options.s3Bucket } : {}),
    s3Prefix: options.s3Prefix
  }
  if (before) return restoreLatest(ctx, { ...common, version: before.version })
  if (request.previousCodeSha256 === request.codeSha256) {
    return restoreLatest(ctx, {
      ...common,
      noVersionBecause: 'it ran this code before this deployment too'
    })
  }
  let found: PublishedVersion | undefined
  try {
    found = await findVersion(
      ctx,
      request.functionId,
      request.functionName,
      request.previousCodeSha256
    )
  } catch (error) {
    return restoreLatest(ctx, {
      ...common,
      noVersionBecause: `the versions could not be listed to find its earlier code (${errorMessage(error)})`
    })
  }
  return restoreLatest(ctx, {
    ...common,
    ...(found
      ? { version: found.version }
      : {
          noVersionBecause:
            'no published version holds the code it ran before (deploy with publish: true and ' +
            'an alias to have one)'
        })
  })
}
