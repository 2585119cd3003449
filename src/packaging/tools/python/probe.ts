// Asks a candidate interpreter what it is (one child process), and decides whether it can stand
// in for a Lambda runtime's CPython on a target machine (pure).
import { errorMessage } from '../../../errors.js'
import { execWithoutStdin, lastLines, type Env } from '../run-tool.js'

export interface InterpreterFacts {
  /** `CPython`, `PyPy` */
  implementation: string
  /** `3.12.7` */
  version: string
  /** `platform.machine()`: `x86_64`, `aarch64` */
  machine: string
  /** A free-threaded build (`python3.13t`): Lambda's runtimes are not. */
  freeThreaded: boolean
}

const PROBE =
  'import platform, sysconfig; print(platform.python_implementation(), platform.python_version(), ' +
  "platform.machine(), int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))))"

export function parseProbe(stdout: string): InterpreterFacts | undefined {
  const match = /^(\S+) (\d+\.\d+\.\d+\S*) (\S+) ([01])\s*$/.exec(
    stdout.trim().split('\n').at(-1) ?? ''
  )
  if (!match) return undefined
  const [, implementation, version, machine, freeThreaded] = match as unknown as string[]
  return {
    implementation: implementation as string,
    version: version as string,
    machine: machine as string,
    freeThreaded: freeThreaded === '1'
  }
}

/** `3.12` of `3.12.7`. */
export function minorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.')
}

/**
 * Why an interpreter cannot run a runtime's code for a machine (`is CPython 3.11.7, not 3.12`),
 * or undefined when it can.
 */
export function mismatch(
  facts: InterpreterFacts,
  pythonVersion: string,
  machine: string
): string | undefined {
  if (facts.implementation !== 'CPython') {
    return `is ${facts.implementation} ${facts.version}, not CPython`
  }
  if (minorOf(facts.version) !== pythonVersion) {
    return `is CPython ${facts.version}, not ${pythonVersion}`
  }
  if (facts.freeThreaded) return `is a free-threaded build of CPython ${facts.version}`
  if (facts.machine !== machine) return `runs as ${facts.machine}, not ${machine}`
  return undefined
}

export type ProbeResult = { facts: InterpreterFacts } | { facts?: undefined; problem: string }

/** Runs `command` (an argv prefix) with the probe; the problem says why it gave no answer. */
export async function probeInterpreter(
  command: readonly string[],
  env: Env,
  extraEnv: Readonly<Record<string, string>> = {}
): Promise<ProbeResult> {
  const [path, ...prefix] = command
  if (path === undefined) return { problem: 'no command' }
  try {
    const result = await execWithoutStdin(path, [...prefix, '-I', '-c', PROBE], {
      silent: true,
      ignoreReturnCode: true,
      env: { ...(env as Record<string, string>), ...extraEnv }
    })
    const facts = result.exitCode === 0 ? parseProbe(result.stdout) : undefined
    if (facts) return { facts }
    const why = lastLines(result.stderr || result.stdout, 2) || `exit code ${result.exitCode}`
    return { problem: `does not run as a Python: ${why.replace(/\n/g, ' ')}` }
  } catch (error) {
    return { problem: `does not run: ${errorMessage(error)}` }
  }
}
