// Log helpers every stage shares: one collapsible group per phase with its duration, throttled
// progress lines for long transfers, and the final one-line result.
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
 * Prints text that someone else wrote (a function's log tail) so that the runner executes none
 * of the workflow commands in it: between `::stop-commands::<token>` and `::<token>::`, with a
 * token nobody can guess, so the text cannot end the pause itself.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#stopping-and-starting-workflow-commands
 */
export function relayInert(text: string, write: (line: string) => void = core.info): void {
  const token = randomBytes(16).toString('hex')
  write(`::stop-commands::${token}`)
  write(text)
  write(`::${token}::`)
}

/**
 * A block of output (a tool's log, a function's log tail): a group of its own, or plain lines
 * under a heading when a phase group is already open. `print` writes the body (relayInert for
 * text the action did not write).
 */
export function logBlock(
  title: string,
  body: string,
  print: (text: string) => void = core.info
): void {
  if (groupOpen) {
    core.info(`── ${title}`)
    print(body)
    return
  }
  core.startGroup(title)
  print(body)
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
