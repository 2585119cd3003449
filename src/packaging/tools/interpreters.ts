// A CPython of a Lambda runtime's exact minor that can run code for a target architecture: the
// import check runs the handler's import with it, and bytecode is compiled with it. Found on the
// runner or brought into the tool cache (tools/python/), for the runner's machine natively and
// for the other one under qemu. Which interpreter was found (or why none was) is reported per
// target. Looked up once per process and target.
import * as core from '@actions/core'
import { WHEEL_ARCH, type Architecture, type RuntimeFacts } from '../../lambda-facts.js'
import type { Env } from './run-tool.js'
import { fromEmulation } from './python/emulated-python.js'
import { keptToolsDir } from './python/kept-tools.js'
import {
  lookupSteps,
  type LookupContext,
  type LookupStep,
  type StepResult,
  type TargetInterpreter
} from './python/lookup.js'
import {
  fromHostedToolCache,
  fromInput,
  fromKept,
  fromPath,
  fromUvFind,
  fromUvInstall
} from './python/native-python.js'

export type { TargetInterpreter } from './python/lookup.js'

export type InterpreterLookup = { found: TargetInterpreter } | { found?: undefined; reason: string }

export interface InterpreterRequest {
  runtime: RuntimeFacts
  architecture: Architecture
  env: Env
  /**
   * The wheel store's root (`$RUNNER_TOOL_CACHE/lambda-python-deploy`): what the action brings
   * is kept under its `tools/`.
   */
  toolCache: string
  /** The `python` input: an interpreter the user names (a path, or a command on PATH). */
  python?: string
}

/** Lambda's name for the machine this process runs on, if Lambda has one. */
export function hostArchitecture(arch: string = process.arch): Architecture | undefined {
  if (arch === 'x64') return 'x86_64'
  if (arch === 'arm64') return 'arm64'
  return undefined
}

const lookups = new Map<string, Promise<InterpreterLookup>>()

/** Settings that change what a lookup finds: the same answer is reused within a run. */
function lookupKey(request: InterpreterRequest): string {
  const env = Object.entries(request.env)
    .filter(([name]) => /^(PATH|HOME|RUNNER_TOOL_CACHE|VIRTUAL_ENV|UV_.*)$/.test(name))
    .sort()
  return JSON.stringify([
    request.runtime.name,
    request.architecture,
    request.toolCache,
    request.python ?? '',
    env
  ])
}

/**
 * An interpreter of the runtime's minor for the target, or why there is none. Memoised per
 * process: both the import check and bytecode ask, and a build may ask early (to overlap the
 * lookup with resolving). An input naming an unusable interpreter rejects with an InputError.
 */
export function findTargetInterpreter(request: InterpreterRequest): Promise<InterpreterLookup> {
  const key = lookupKey(request)
  let pending = lookups.get(key)
  if (!pending) {
    pending = lookUp(request)
    lookups.set(key, pending)
  }
  return pending
}

async function lookUp(request: InterpreterRequest): Promise<InterpreterLookup> {
  const { runtime, architecture } = request
  const started = performance.now()
  const plan = lookupSteps({
    target: architecture,
    host: hostArchitecture(),
    platform: process.platform,
    hostArch: process.arch,
    input: request.python !== undefined
  })
  if ('reason' in plan) return { reason: plan.reason }
  const context: LookupContext = {
    pythonVersion: runtime.pythonVersion,
    architecture,
    machine: WHEEL_ARCH[architecture],
    env: request.env,
    toolCache: request.toolCache,
    keptDir: keptToolsDir(request.toolCache)
  }
  const steps: Record<LookupStep, () => Promise<StepResult>> = {
    input: () => fromInput(context, request.python as string),
    path: () => fromPath(context),
    'hosted-tool-cache': () => fromHostedToolCache(context),
    kept: () => fromKept(context),
    'uv-find': () => fromUvFind(context),
    'uv-install': () => fromUvInstall(context),
    emulation: () => fromEmulation(context)
  }
  const misses: string[] = []
  for (const step of plan.steps) {
    const result = await steps[step]()
    if (result.found) {
      const ms = Math.round(performance.now() - started)
      core.info(
        `${architecture}: ${runtime.name} code runs on ${result.found.description} (ready in ${ms} ms)`
      )
      return { found: result.found }
    }
    if (result.miss) misses.push(result.miss)
  }
  return { reason: noInterpreterReason(runtime, architecture, misses) }
}

/** Why no interpreter ran, with what each place said and the ways out. */
export function noInterpreterReason(
  runtime: RuntimeFacts,
  architecture: Architecture,
  misses: readonly string[]
): string {
  const host = hostArchitecture()
  const wayOut =
    host === architecture
      ? `put Python ${runtime.pythonVersion} on PATH (actions/setup-python) or name one with the python input`
      : `build on an ${architecture} runner, or give this runner GitHub's downloads or Debian's or Ubuntu's archive`
  return `no CPython ${runtime.pythonVersion} for ${architecture}: ${misses.join('; ')}. To check it, ${wayOut}`
}
