// The shapes a lookup for a target's CPython passes around, and the order it looks in (pure).
import type { Architecture } from '../../../lambda-facts.js'
import type { Env } from '../run-tool.js'

export interface TargetInterpreter {
  /**
   * The argv prefix that starts it: `['/usr/bin/python3.12']`, or an emulator in front of a
   * foreign interpreter (`['qemu-aarch64-static', '-L', sysroot, python]`).
   */
  command: readonly string[]
  /** `3.12.7`, as the interpreter itself reports it. */
  version: string
  /** For the log, the summary and report.json: what it is and where it came from. */
  description: string
  /** Runs under an emulator (the other architecture). */
  emulated: boolean
  /** What the command needs in its environment beyond the caller's own. */
  env: Readonly<Record<string, string>>
}

/** What one place to look gave: an interpreter, or (maybe) a few words on why not. */
export type StepResult = { found: TargetInterpreter } | { found?: undefined; miss?: string }

/** Everything a place to look needs to know. */
export interface LookupContext {
  /** `3.12` */
  pythonVersion: string
  architecture: Architecture
  /** `aarch64`, `x86_64`: what `platform.machine()` says on the target. */
  machine: string
  env: Env
  /** The wheel store's root: the uv the action brings lives there. */
  toolCache: string
  /** Where brought interpreters, qemu and sysroots are kept (kept-tools.ts). */
  keptDir: string
}

/**
 * Places to look, in order. On the target's own machine: an interpreter the `python` input names,
 * `python3.X` (or `python3`) on PATH, the hosted tool cache, one the action installed with uv
 * before, one uv finds, one uv installs. For the other machine: the input (an interpreter that
 * runs it through binfmt), then emulation. A named interpreter comes first: naming one and
 * having another used would be an input ignored.
 */
export type LookupStep =
  'input' | 'path' | 'hosted-tool-cache' | 'kept' | 'uv-find' | 'uv-install' | 'emulation'

export function lookupSteps(request: {
  target: Architecture
  host: Architecture | undefined
  platform: NodeJS.Platform
  hostArch: string
  input: boolean
}): { steps: LookupStep[] } | { reason: string } {
  if (request.platform !== 'linux') {
    return {
      reason: `this runner runs ${request.platform}, and a Lambda package holds Linux extension modules: check it on a Linux runner`
    }
  }
  if (request.host === undefined) {
    return {
      reason: `this runner's machine is ${request.hostArch}; the action runs the check on x64 and arm64 runners`
    }
  }
  const input: LookupStep[] = request.input ? ['input'] : []
  if (request.target !== request.host) return { steps: [...input, 'emulation'] }
  return { steps: [...input, 'path', 'hosted-tool-cache', 'kept', 'uv-find', 'uv-install'] }
}
