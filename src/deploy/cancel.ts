// Cancellation. When a job is cancelled, GitHub's runner sends SIGINT, then SIGTERM about 7.5 s
// later, then kills the process about 2.5 s after that. While the deploy stage runs, both
// signals abort its AbortSignal instead of ending the process: a release in progress rolls its
// alias back (routing cleared) and restores $LATEST before the step fails. The alias move is a
// single request, so it fits the few seconds left; the $LATEST restore may not, and a rerun then
// finds the alias back on the old version and $LATEST on this run's code, which it replaces.
import { UserError } from '../errors.js'
import type { DeployContext } from './context.js'

export class CancelledError extends UserError {
  override name = 'CancelledError'
}

/** Throws CancelledError once the job was cancelled; `when` completes "cancelled ...". */
export function throwIfCancelled(ctx: Pick<DeployContext, 'signal'>, when: string): void {
  if (ctx.signal?.aborted) throw new CancelledError(`The job was cancelled ${when}.`)
}

export interface CancelWatch {
  signal: AbortSignal
  /** Restores the default behaviour of the signals (the process ends on them again). */
  dispose(): void
}

export const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM'] as const

/** Turns SIGINT and SIGTERM into an abort until dispose(); `say` tells the log. */
export function watchCancellation(say: (message: string) => void): CancelWatch {
  const controller = new AbortController()
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      say(`${name} received: still rolling back; the runner ends the process in a few seconds.`)
      return
    }
    say(`${name} received: the job was cancelled. Rolling back what this run changed.`)
    controller.abort(new CancelledError(`The job was cancelled (${name}).`))
  }
  for (const name of CANCEL_SIGNALS) process.on(name, onSignal)
  return {
    signal: controller.signal,
    dispose() {
      for (const name of CANCEL_SIGNALS) process.removeListener(name, onSignal)
    }
  }
}
