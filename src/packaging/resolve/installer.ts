// The installers as child processes: the host interpreter pip runs on, uv's version, pip's
// settings, and running them. No decisions here.
import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { UserError } from '../../errors.js'
import { maskCredentials } from './requirements.js'

export type InstallerChoice = 'pip' | 'uv' | 'auto'
export type Env = Readonly<Record<string, string | undefined>>

/** The interpreter pip runs on: `$PYTHON` when set (as in scripts/tools.mjs), else `python3`. */
export function pythonCommand(env: Env): string {
  return env.PYTHON !== undefined && env.PYTHON !== '' ? env.PYTHON : 'python3'
}

export interface HostPython {
  /** The command that runs it. */
  python: string
  /** `3.11` */
  pythonVersion: string
  /** `platform.machine()` */
  machine: string
  /** `platform.system()` */
  system: string
  /** `sys.implementation.name` */
  implementation: string
  pipVersion: string
}

export interface ToolResult {
  /** stdout and stderr in arrival order. */
  output: string
  stdout: string
  stderr: string
}

/** A child process that exited non-zero; the message ends with its last stderr lines. */
export class ToolFailure extends UserError {
  override name = 'ToolFailure'
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly result: ToolResult,
    what: string
  ) {
    super(
      `${what} failed (exit code ${exitCode ?? 'signal'}):\n${lastLines(result.stderr || result.output)}`
    )
  }
}

/** The last `count` non-empty lines, credentials masked: the part of a tool's output that says why. */
export function lastLines(text: string, count = 15): string {
  const lines = maskCredentials(text)
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
  return lines.slice(-count).join('\n')
}

export interface RunOptions {
  env: Env
  cwd?: string
  /** For messages: `pip download`. */
  what: string
}

/** Runs `command args`, no stdin; rejects with ToolFailure on a non-zero exit. */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env as NodeJS.ProcessEnv,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
      output += chunk
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new UserError(`${options.what}: ${command} was not found on PATH`)
          : new UserError(`${options.what}: cannot run ${command}: ${error.message}`)
      )
    })
    child.on('close', (code) => {
      const result = { output, stdout, stderr }
      if (code === 0) resolve(result)
      else reject(new ToolFailure(command, code, result, options.what))
    })
  })
}

/** Absolute path of an executable on `env.PATH`, if any. */
export async function findOnPath(command: string, env: Env): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not here.
    }
  }
  return undefined
}

const PROBE = [
  'import platform, sys',
  'try:',
  '    import pip; v = pip.__version__',
  'except Exception:',
  "    v = ''",
  "print('%d.%d' % sys.version_info[:2]); print(platform.machine()); print(platform.system())",
  'print(sys.implementation.name); print(v)'
].join('\n')

/**
 * The host's answers (Python's facts, pip's settings, uv's version) are the same for every
 * architecture of one run: ask once per question and environment (each probe starts a child
 * process, about a second for Python through pyenv-style shims).
 */
const hostAnswers = new Map<string, Promise<unknown>>()

function askHostOnce<T>(what: string, env: Env, ask: () => Promise<T>): Promise<T> {
  const settings = Object.entries(env).filter(([name]) => /^(PATH|PYTHON|PIP_.*|UV_.*)$/.test(name))
  const key = `${what}\0${JSON.stringify(settings.sort())}`
  let answer = hostAnswers.get(key) as Promise<T> | undefined
  if (!answer) {
    answer = ask()
    hostAnswers.set(key, answer)
    answer.catch(() => hostAnswers.delete(key))
  }
  return answer
}

/** The host interpreter's facts and pip's version, in one child process. */
export function probePython(env: Env): Promise<HostPython> {
  return askHostOnce('probe', env, () => probeHostPython(env))
}

async function probeHostPython(env: Env): Promise<HostPython> {
  const python = pythonCommand(env)
  let result: ToolResult
  try {
    result = await runTool(python, ['-c', PROBE], { env, what: `${python} (host Python)` })
  } catch (error) {
    if (error instanceof UserError) {
      throw new UserError(
        `${error.message}. pip downloads the wheels: put Python 3 with pip on PATH ` +
          `(actions/setup-python) or set PYTHON to its path.`
      )
    }
    throw error
  }
  const [pythonVersion = '', machine = '', system = '', implementation = '', pipVersion = ''] =
    result.stdout.split(/\r?\n/).map((line) => line.trim())
  if (pipVersion === '') {
    throw new UserError(
      `${python} has no pip module: pip downloads the wheels; install it ` +
        `(${python} -m ensurepip) or set PYTHON to an interpreter that has it`
    )
  }
  return { python, pythonVersion, machine, system, implementation, pipVersion }
}

/** `uv 0.13.8 (x86_64-unknown-linux-gnu)` → `0.13.8`. */
function parseUvVersion(output: string): string {
  return /uv\s+(\S+)/.exec(output)?.[1] ?? output.trim()
}

/** `uv --version` of the uv at `uvPath`, asked once per run. */
export function uvVersion(uvPath: string, env: Env): Promise<string> {
  return askHostOnce(`uv --version ${uvPath}`, env, async () => {
    const result = await runTool(uvPath, ['--version'], { env, what: 'uv --version' })
    return parseUvVersion(result.stdout)
  })
}

/** `pip config list`: pip's settings from every config file and `PIP_*` variable. */
export function pipConfigList(python: string, env: Env): Promise<string> {
  return askHostOnce(`pip config list ${python}`, env, async () => {
    const result = await runTool(python, ['-m', 'pip', 'config', 'list'], {
      env,
      what: 'pip config list'
    })
    return result.stdout
  })
}
