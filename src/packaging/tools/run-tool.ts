// The installers as child processes: the host interpreter pip runs on, uv's version, pip's
// settings, and running them. No decisions here.
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { delimiter, join, resolve as resolvePath, sep } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { getExecOutput, type ExecOptions, type ExecOutput } from '@actions/exec'
import { UserError, errorMessage } from '../../errors.js'
import { maskCredentials } from '../requirements/requirements-file.js'
import { childEnvironment } from './child-env.js'

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
  /** The settings the tool runs with; it sees only their allowlisted part (child-env.ts). */
  env: Env
  cwd?: string
  /** For messages: `pip download`. */
  what: string
}

/**
 * The executable `command` names, looked up on the child's own PATH: @actions/exec would look
 * on this process's PATH, and say "Unable to locate executable file" in words of its own.
 */
async function executable(command: string, env: Env, cwd: string | undefined): Promise<string> {
  if (command.includes(sep)) {
    const found = await isExecutable(resolvePath(cwd ?? process.cwd(), command))
    if (found === undefined) throw new UserError(`${command} does not exist or is not executable`)
    return found
  }
  const found = await findOnPath(command, env)
  if (found === undefined) throw new UserError(`${command} was not found on PATH`)
  return found
}

async function isExecutable(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.X_OK)
    return path
  } catch {
    return undefined
  }
}

/**
 * Runs an executable through @actions/exec with /dev/null as its stdin, as `stdio: 'ignore'`
 * would: a tool that prompts (pip asking for an index password) gets end-of-file instead of
 * waiting forever. @actions/exec has no stdio option, and ending the stdin pipe it opens (its
 * `input` option) raises an uncaught EPIPE when the child exits before the write.
 *
 * `env` is required: without it the child would inherit this process's whole environment.
 * Callers pass `childEnvironment(...)`, or (the import check) an environment built from scratch.
 */
export function execWithoutStdin(
  path: string,
  args: readonly string[],
  options: ExecOptions & { env: Record<string, string> }
): Promise<ExecOutput> {
  return getExecOutput('/bin/sh', ['-c', 'exec "$0" "$@" </dev/null', path, ...args], options)
}

/** Runs `command args` through @actions/exec, stdin closed; rejects with ToolFailure on a non-zero exit. */
export async function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions
): Promise<ToolResult> {
  let path: string
  try {
    path = await executable(command, options.env, options.cwd)
  } catch (error) {
    throw new UserError(`${options.what}: ${errorMessage(error)}`)
  }
  // Both streams in the order they arrived: the grouped log shows them as the tool wrote them.
  let output = ''
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }
  let result: ExecOutput
  try {
    result = await execWithoutStdin(path, args, {
      env: childEnvironment(options.env),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      // Our own log groups print the output; @actions/exec would echo it all, and the command line.
      silent: true,
      ignoreReturnCode: true,
      listeners: {
        stdout: (data: Buffer) => (output += decoders.stdout.write(data)),
        stderr: (data: Buffer) => (output += decoders.stderr.write(data))
      }
    })
  } catch (error) {
    throw new UserError(`${options.what}: cannot run ${command}: ${errorMessage(error)}`)
  }
  output += decoders.stdout.end() + decoders.stderr.end()
  const toolResult = { output, stdout: result.stdout, stderr: result.stderr }
  if (result.exitCode === 0) return toolResult
  throw new ToolFailure(command, result.exitCode, toolResult, options.what)
}

/** Absolute path of an executable on `env.PATH`, if any. */
export async function findOnPath(command: string, env: Env): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const found = await isExecutable(join(dir, command))
    if (found !== undefined) return found
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

/** `global.find-links='/opt/wheels'` → ['global.find-links', '/opt/wheels']. */
export function parsePipConfigList(text: string): [string, string][] {
  const entries: [string, string][] = []
  for (const line of text.split(/\r?\n/)) {
    const match = /^([^=\s]+)=(.*)$/.exec(line.trim())
    if (!match) continue
    const value = (match[2] as string).replace(/^'(.*)'$/s, '$1').replace(/^"(.*)"$/s, '$1')
    entries.push([match[1] as string, value])
  }
  return entries
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
