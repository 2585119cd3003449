// The alias: where it points, and every move of it (promotion, a traffic step, a rollback) sent
// with the RevisionId last seen, so a concurrent run's move is never overwritten unseen. When
// Lambda answers PreconditionFailed, the alias is read again and decideAfterConflict says what
// to do: go on from the new revision, stop because the alias is already where we wanted it, or
// leave it to whoever moved it (a newer version promoted by a later run is never moved back).
import { CreateAliasCommand, GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda'
import type { AliasConfiguration } from '@aws-sdk/client-lambda'
import { awsErrorName, isConflict, isNotFound } from '../aws/aws-error.js'
import { UserError } from '../errors.js'
import type { DeployContext } from './context.js'
import { callAws, isRetryable } from './retry.js'
import { percentOf, weightOf } from './traffic/plan.js'

/** A share of the alias's traffic routed to a second version. */
export interface AliasRouting {
  version: string
  /** Percent, 0-100. */
  percent: number
}

export interface AliasState {
  aliasArn: string
  version: string
  /** AdditionalVersionWeights, when the alias routes a share to another version. */
  routing?: AliasRouting
  /** The precondition of the next move. */
  revisionId?: string
}

/** Which function and alias: ids for calls, names for messages. */
export interface AliasRef {
  functionId: string
  functionName: string
  alias: string
}

/** Where a move wants the alias. */
export type AliasIntent =
  /** Everything to `version`, routing cleared. */
  | { kind: 'promote'; version: string }
  /** `from` keeps the alias, `percent` of its traffic goes to `to`. */
  | { kind: 'shift'; from: string; to: string; percent: number }
  /** Back to `to`, routing cleared, taking the alias away from the rejected version. */
  | { kind: 'rollback'; to: string; rejected: string }

/**
 * After a PreconditionFailed (someone moved the alias since we read it), from what the alias is
 * now: `retry` from its new revision, `done` (it is where we wanted it), `superseded` (a newer
 * version than ours serves: a later deployment's), `taken` (someone else is moving it; leave it).
 */
export type ConflictDecision = 'retry' | 'done' | 'superseded' | 'taken'

function newer(version: string | undefined, than: string): boolean {
  return version !== undefined && Number(version) > Number(than)
}

export function decideAfterConflict(
  intent: AliasIntent,
  seen: AliasState | undefined
): ConflictDecision {
  if (!seen) return intent.kind === 'promote' ? 'retry' : 'taken'
  const routed = seen.routing?.version
  switch (intent.kind) {
    case 'promote':
      if (seen.version === intent.version && !routed) return 'done'
      return newer(seen.version, intent.version) || newer(routed, intent.version)
        ? 'superseded'
        : 'retry'
    case 'shift':
      return seen.version === intent.from && (!routed || routed === intent.to) ? 'retry' : 'taken'
    case 'rollback':
      if (seen.version === intent.to && !routed) return 'done'
      return seen.version === intent.rejected || routed === intent.rejected ? 'retry' : 'taken'
  }
}

function stateOf(alias: AliasConfiguration, name: string): AliasState {
  if (!alias.AliasArn || !alias.FunctionVersion) {
    throw new UserError(`alias ${name}: Lambda returned no ARN or version`)
  }
  const [routed] = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {})
  return {
    aliasArn: alias.AliasArn,
    version: alias.FunctionVersion,
    ...(routed && routed[1] > 0
      ? { routing: { version: routed[0], percent: percentOf(routed[1]) } }
      : {}),
    ...(alias.RevisionId ? { revisionId: alias.RevisionId } : {})
  }
}

function label(ref: AliasRef): string {
  return `${ref.functionName}:${ref.alias}`
}

/** Where the alias points now, or undefined when it does not exist. */
export async function readAlias(
  ctx: DeployContext,
  ref: AliasRef
): Promise<AliasState | undefined> {
  try {
    const found = await callAws(ctx, 'lambda:GetAlias', label(ref), () =>
      ctx.lambda.send(new GetAliasCommand({ FunctionName: ref.functionId, Name: ref.alias }))
    )
    return stateOf(found, ref.alias)
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

/** `version 4`, or `version 3 with 10% to version 4`. */
export function describeAlias(state: AliasState | undefined): string {
  if (!state) return 'nothing (the alias does not exist)'
  return state.routing
    ? `version ${state.version} with ${state.routing.percent}% to version ${state.routing.version}`
    : `version ${state.version}`
}

function target(intent: AliasIntent): { version: string; routing?: AliasRouting } {
  switch (intent.kind) {
    case 'promote':
      return { version: intent.version }
    case 'rollback':
      return { version: intent.to }
    case 'shift':
      return { version: intent.from, routing: { version: intent.to, percent: intent.percent } }
  }
}

async function send(
  ctx: DeployContext,
  ref: AliasRef,
  intent: AliasIntent,
  known: AliasState | undefined
): Promise<AliasConfiguration> {
  const { version, routing } = target(intent)
  const base = { FunctionName: ref.functionId, Name: ref.alias, FunctionVersion: version }
  if (!known) {
    // For CreateAlias a conflict means "the alias exists" (created meanwhile): retrying cannot help.
    return callAws(
      ctx,
      'lambda:CreateAlias',
      label(ref),
      () => ctx.lambda.send(new CreateAliasCommand(base)),
      { retryable: (e) => isRetryable(e) && !isConflict(e) }
    )
  }
  return callAws(ctx, 'lambda:UpdateAlias', label(ref), () =>
    ctx.lambda.send(
      new UpdateAliasCommand({
        ...base,
        // Always sent: left out, Lambda would keep an earlier run's routing.
        RoutingConfig: {
          AdditionalVersionWeights: routing ? { [routing.version]: weightOf(routing.percent) } : {}
        },
        ...(known.revisionId ? { RevisionId: known.revisionId } : {})
      })
    )
  )
}

export type AliasMoveOutcome = 'moved' | 'superseded' | 'taken'

export interface AliasMove {
  outcome: AliasMoveOutcome
  /** The alias after the move, or as found when it was left alone; undefined if deleted. */
  state: AliasState | undefined
}

/** A concurrent run can make us re-read a few times; more means something keeps moving it. */
const MAX_CONFLICTS = 3

/**
 * Moves the alias as `intent` says, from `known` (what we last read or wrote; undefined: it did
 * not exist, so it is created). Each attempt carries the RevisionId last seen.
 */
export async function moveAlias(
  ctx: DeployContext,
  ref: AliasRef,
  intent: AliasIntent,
  known: AliasState | undefined
): Promise<AliasMove> {
  let current = known
  for (let conflicts = 0; ; conflicts++) {
    try {
      return { outcome: 'moved', state: stateOf(await send(ctx, ref, intent, current), ref.alias) }
    } catch (error) {
      const precondition = awsErrorName(error) === 'PreconditionFailedException'
      // UpdateAlias on a deleted alias, or CreateAlias on one created meanwhile.
      const vanished = current !== undefined && isNotFound(error)
      const appeared = current === undefined && isConflict(error)
      if (!precondition && !vanished && !appeared) throw error
      if (conflicts >= MAX_CONFLICTS) {
        throw new UserError(
          `${label(ref)} kept changing while this run moved it (${conflicts + 1} attempts): is ` +
            'another deployment of it running? Use a GitHub concurrency group per function.',
          { cause: error }
        )
      }
      const seen = await readAlias(ctx, ref)
      const decision = decideAfterConflict(intent, seen)
      ctx.log.info(
        `${label(ref)} changed since it was read (now ${describeAlias(seen)}): ` +
          (decision === 'retry' ? 'trying again from its new revision' : decision)
      )
      if (decision === 'retry') {
        current = seen
        continue
      }
      return { outcome: decision === 'done' ? 'moved' : decision, state: seen }
    }
  }
}
