// Log helpers every stage shares: one collapsible group per phase with its duration, throttled
// progress lines for long transfers, the final one-line result, and text from outside the
// action printed so that the runner cannot take any of it for a workflow command.
import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { formatDuration, formatSize } from './sizes.js'

const durations = new Map<string, number>()
/** Actions log groups do not nest: phases inside a phase, or running at once, log plain lines. */
let groupOpen = false

/**
 * Runs one phase of the pipeline in a log group and records how long it took (ms). A phase that
 * throws is logged as failed and rethrown.
 */
export async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const ownsGroup = !groupOpen
  if (ownsGroup) {
    groupOpen = true
    core.startGroup(name)
  } else {
    core.info(`${name}…`)
  }
  const start = performance.now()
  let failed = false
  try {
    return await work()
  } catch (error) {
    failed = true
    throw error
  } finally {
    const ms = Math.round(performance.now() - start)
    durations.set(name, (durations.get(name) ?? 0) + ms)
    core.info(`${name} ${failed ? 'failed after' : 'done in'} ${formatDuration(ms)}`)
    if (ownsGroup) {
      core.endGroup()
      groupOpen = false
    }
  }
}

/**
 * Whether the runner could read some line of `text` as a workflow command. It reads `::name::`
 * at the start of a line (after whitespace, in .NET's sense of it) and the older `##[name]`
 * anywhere in a line (actions/runner, ActionCommand.TryParse). Errs on the side of yes.
 */
export function mayHoldCommands(text: string): boolean {
  return text.includes('::') || text.includes('##[')
}

/**
 * Prints text that comes from outside the action (a tool's or a build backend's output, a
 * function's log tail, file names, member names) so that none of it runs as a workflow command:
 * it cannot set an output, a mask, an annotation or an environment variable. Text that could
 * hold a command goes between `::stop-commands::<token>` and `::<token>::`; the token is 128
 * random bits drawn after the text was written, so the text cannot end the pause itself. The
 * runner masks tokens longer than six characters in the log. Issue 18, item 2.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#stopping-and-starting-workflow-commands
 */
export function relayInert(text: string, write: (line: string) => void = core.info): void {
  if (!mayHoldCommands(text)) {
    write(text)
    return
  }
  const token = randomBytes(16).toString('hex')
  write(`::stop-commands::${token}`)
  write(text)
  write(`::${token}::`)
}

/**
 * A block of output (a tool's log, a function's log tail): a group of its own, or plain lines
 * under a heading when a phase group is already open. Title and body are relayed inert.
 */
export function logBlock(title: string, body: string): void {
  if (groupOpen) {
    relayInert(`── ${title}\n${body}`)
    return
  }
  // A group title is one escaped command argument: it cannot start a command of its own.
  core.startGroup(title)
  relayInert(body)
  core.endGroup()
}

/** Milliseconds per phase so far, in the order the phases started. */
export function phaseTimings(): Record<string, number> {
  return Object.fromEntries(durations)
}

/** Forgets the recorded phases (tests, or a second run in one process). */
export function resetPhases(): void {
  durations.clear()
  groupOpen = false
}

/** `Uploading arm64 function zip: 45% of 60.2 MB, 12.3 MB/s`. */
export function progressLine(
  label: string,
  transferred: number,
  total: number,
  elapsedMs: number
): string {
  const percent = total > 0 ? Math.min(100, Math.floor((transferred / total) * 100)) : 0
  const rate = elapsedMs > 0 ? `${formatSize((transferred / elapsedMs) * 1000)}/s` : '-'
  return `${label}: ${percent}% of ${formatSize(total)}, ${rate}`
}

export interface ProgressOptions {
  /** What moves: `Uploading arm64 function zip to S3`. */
  label: string
  totalBytes: number
  /** At most one line per interval; transfers shorter than it log nothing. Default 5 s. */
  intervalMs?: number
  now?: () => number
  write?: (line: string) => void
}

export interface Progress {
  /** Bytes moved so far. */
  update(transferredBytes: number): void
  /** The transfer ended: a closing line when it was long enough to report progress. */
  done(): void
}

/** Progress for one download or upload: percent and MB/s, throttled. */
export function transferProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now())
  const write = options.write ?? core.info
  const interval = options.intervalMs ?? 5000
  const start = now()
  let lastLine = start
  let transferred = 0
  let reported = false
  return {
    update(bytes) {
      transferred = bytes
      const at = now()
      if (at - lastLine < interval) return
      lastLine = at
      reported = true
      write(progressLine(options.label, transferred, options.totalBytes, at - start))
    },
    done() {
      if (!reported) return
      const elapsed = now() - start
      write(
        `${progressLine(options.label, options.totalBytes, options.totalBytes, elapsed)} in ${formatDuration(elapsed)}`
      )
    }
  }
}
