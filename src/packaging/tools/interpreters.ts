// A CPython of a Lambda runtime's exact minor that can run code for a target architecture: the
// import check runs the handler's import with it, and bytecode is compiled with it. Which
// interpreter was found (or why none was) is reported per target.
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import { childEnvironment } from './child-env.js'
import { execWithoutStdin, type Env } from './run-tool.js'

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
  /** What the command needs in its environment beyond the caller's own (e.g. QEMU_LD_PREFIX). */
  env: Readonly<Record<string, string>>
}

export type InterpreterLookup = { found: TargetInterpreter } | { found?: undefined; reason: string }

export interface InterpreterRequest {
  runtime: RuntimeFacts
  architecture: Architecture
  env: Env
}

/** Lambda's name for the machine this process runs on, if Lambda has one. */
export function hostArchitecture(arch: string = process.arch): Architecture | undefined {
  if (arch === 'x64') return 'x86_64'
  if (arch === 'arm64') return 'arm64'
  return undefined
}

/** `3.12.7` when `command` runs and is a CPython; undefined otherwise. */
async function cpythonVersion(command: readonly string[], env: Env): Promise<string | undefined> {
  const [path, ...args] = command
  if (path === undefined) return undefined
  try {
    const result = await execWithoutStdin(
      path,
      [
        ...args,
        '-c',
        'import platform; print(platform.python_implementation(), platform.python_version())'
      ],
      { silent: true, ignoreReturnCode: true, env: childEnvironment(env) }
    )
    const match = /^CPython (\d+\.\d+\.\d+\S*)\s*$/.exec(result.stdout)
    return result.exitCode === 0 && match ? match[1] : undefined
  } catch {
    return undefined
  }
}

/**
 * An interpreter of the runtime's minor for the target: today `python3.X` on PATH, else
 * `python3` when it is that minor, on a runner of the target's architecture.
 */
export async function findTargetInterpreter(
  request: InterpreterRequest
): Promise<InterpreterLookup> {
  const { runtime, architecture, env } = request
  const host = hostArchitecture()
  if (host !== architecture) {
    return {
      reason: `this runner is ${host ?? process.arch}, the package is ${architecture} (run on a ${architecture} runner to check it)`
    }
  }
  for (const candidate of [`python${runtime.pythonVersion}`, 'python3']) {
    const version = await cpythonVersion([candidate], env)
    if (
      version !== undefined &&
      version.split('.').slice(0, 2).join('.') === runtime.pythonVersion
    ) {
      return {
        found: {
          command: [candidate],
          version,
          description: `CPython ${version} (${candidate} on PATH)`,
          emulated: false,
          env: {}
        }
      }
    }
  }
  return {
    reason: `no Python ${runtime.pythonVersion} on this runner (actions/setup-python with python-version ${runtime.pythonVersion} enables the check)`
  }
}
