// The installers behind one small interface: pin the requirements for a target, fetch the
// pinned wheels, fetch and build a source distribution. uv pins (it evaluates environment
// markers for the target); pip fetches on both paths (uv has no download command) and builds
// source distributions. Which installer runs is `chooseInstaller`, pure; the rest of the
// resolve stage sees only `InstallerAdapter`.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../../errors.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import { logBlock } from '../../report/log.js'
import {
  runTool,
  ToolFailure,
  type Env,
  type HostPython,
  type InstallerChoice,
  type ToolResult
} from './run-tool.js'
import {
  pipDownloadArgs,
  pipSdistDownloadArgs,
  pipWheelArgs,
  uvCompileArgs,
  type UvSourceSettings
} from './tool-args.js'
import { maskCredentials } from '../requirements/requirements-file.js'
import { missingWheelFromPip, missingWheelFromUv, type MissingWheel } from './sdist.js'

export interface Target {
  runtime: RuntimeFacts
  architecture: Architecture
  /** `linux_<arch>` wheels may be fetched too (they then face the ELF checks). */
  allowLinuxWheels?: boolean
}

/** What `pin` yields: a requirements file for `fetch`. */
export interface PinnedList {
  file: string
  /** It lists every dependency, pinned for the target: fetch exactly these (`--no-deps`). */
  complete: boolean
  /**
   * The resolver already held each pin to the target's `Requires-Python`. uv reads `3.9` as any
   * 3.9.x (Lambda runs a late patch release); pip's `--python-version 3.9` means 3.9.0 and would
   * refuse, say, cryptography 47 (`!=3.9.0,!=3.9.1`), so the fetch does not check it again.
   */
  requiresPythonChecked?: boolean
}

export interface PinRequest {
  requirementsFile: string
  /** Extra `--find-links` directories (wheels built from source distributions). */
  findLinks: readonly string[]
  /** A private directory for the pinned list. */
  work: string
}

export interface FetchRequest {
  destination: string
  findLinks?: readonly string[]
}

export interface SourceDistribution {
  /** Absolute path of the archive. */
  path: string
  /** Its member names (to judge whether it has compiled code). */
  members: string[]
}

export interface InstallerAdapter {
  readonly name: 'pip' | 'uv'
  /** The resolver's version: uv's (the pinned one, before a bootstrapped uv is fetched), or pip's. */
  readonly version: string
  /** For the log: `uv 0.13.8 on PATH (/usr/bin/uv)`. */
  readonly description: string
  /** The interpreter pip runs on (both paths). */
  readonly host: HostPython
  /**
   * The requirements pinned for `target`. pip cannot pin without fetching, so its list is the
   * requirements file itself (`complete: false`), resolved as `fetch` runs.
   */
  pin(target: Target, request: PinRequest): Promise<PinnedList>
  /** Which requirement has no wheel for the target, from the output of a failed step. */
  missingWheel(step: 'pin' | 'fetch', output: string): MissingWheel | undefined
  /** Downloads the wheels of `pinned` for `target` into `request.destination`. */
  fetch(target: Target, pinned: PinnedList, request: FetchRequest): Promise<void>
  /** Downloads the one source distribution `requirementsFile` names into `destination`. */
  fetchSource(
    target: Target,
    requirementsFile: string,
    destination: string
  ): Promise<SourceDistribution | undefined>
  /** Builds `sdist` into a wheel in `destination` on this machine; returns its file name. */
  buildWheel(sdist: string, destination: string, optionsFile: string): Promise<string | undefined>
}

/** Which installer runs: pure, from the `installer` input and uv's place on PATH. */
export type InstallerPlan =
  | { name: 'pip' }
  | { name: 'uv'; uvPath: string }
  /** No uv on PATH: the pinned uv the action brings (fetched only when a resolve needs it). */
  | { name: 'uv'; bootstrap: true }

export function chooseInstaller(
  choice: InstallerChoice,
  uvOnPath: string | undefined
): InstallerPlan {
  if (choice === 'pip') return { name: 'pip' }
  if (uvOnPath !== undefined) return { name: 'uv', uvPath: uvOnPath }
  if (choice === 'uv') {
    throw new UserError(
      'installer: uv is not on PATH; install it (astral-sh/setup-uv), or use installer: auto ' +
        '(the action then brings a pinned uv)'
    )
  }
  return { name: 'uv', bootstrap: true }
}

/** A uv binary: its version is known before the binary is (the pinned one is fetched lazily). */
export interface UvBinary {
  version: string
  description: string
  path(): Promise<string>
}

/** Prints a tool's whole output at once (two architectures run concurrently). */
function logGroup(title: string, output: string): void {
  logBlock(title, maskCredentials(output).trimEnd() || '(no output)')
}

/** Runs a tool with its output logged as one block, failed or not. */
export async function runLogged(
  command: string,
  args: readonly string[],
  what: string,
  env: Env
): Promise<ToolResult> {
  try {
    const result = await runTool(command, args, { env, what })
    logGroup(what, result.output)
    return result
  } catch (error) {
    if (error instanceof ToolFailure) logGroup(`${what} (failed)`, error.result.output)
    throw error
  }
}

/** `python3.12 arm64`: how logs and messages name a target. */
export function targetLabel(target: Target): string {
  return `${target.runtime.name} ${target.architecture}`
}

/** Lists the members of a source archive with the host Python (tar.gz, zip). */
async function sdistMembers(python: string, path: string, env: Env): Promise<string[]> {
  const script = [
    'import sys, tarfile, zipfile',
    'p = sys.argv[1]',
    'names = zipfile.ZipFile(p).namelist() if zipfile.is_zipfile(p) else tarfile.open(p).getnames()',
    "print('\\n'.join(names))"
  ].join('\n')
  const result = await runTool(python, ['-c', script, path], { env, what: `list ${path}` })
  return result.stdout.split(/\r?\n/).filter(Boolean)
}

/** pip: resolves as it fetches (markers evaluated on this host); fetches and builds for uv too. */
export function pipInstaller(host: HostPython, env: Env): InstallerAdapter {
  const pip = (args: string[], what: string) =>
    runLogged(host.python, ['-m', 'pip', ...args], what, env)
  return {
    name: 'pip',
    version: host.pipVersion,
    description: `pip ${host.pipVersion} (${host.python}, Python ${host.pythonVersion})`,
    host,
    pin: (_target, request) => Promise.resolve({ file: request.requirementsFile, complete: false }),
    // pip's pin runs nothing, so only its fetch fails.
    missingWheel: (_step, output) => missingWheelFromPip(output),
    async fetch(target, pinned, request) {
      const args = pipDownloadArgs({
        runtime: target.runtime,
        architecture: target.architecture,
        allowLinuxWheels: target.allowLinuxWheels,
        destination: request.destination,
        requirementsFile: pinned.file,
        noDeps: pinned.complete,
        ignoreRequiresPython: pinned.requiresPythonChecked,
        findLinks: request.findLinks
      })
      await pip(args, `pip download (${targetLabel(target)})`)
    },
    async fetchSource(target, requirementsFile, destination) {
      const args = pipSdistDownloadArgs({ runtime: target.runtime, destination, requirementsFile })
      await pip(args, `pip download (source, ${targetLabel(target)})`)
      const [sdist] = await readdir(destination)
      if (sdist === undefined) return undefined
      const path = join(destination, sdist)
      return { path, members: await sdistMembers(host.python, path, env) }
    },
    async buildWheel(sdist, destination, optionsFile) {
      await pip(pipWheelArgs(sdist, destination, ['-r', optionsFile]), `pip wheel ${sdist}`)
      return (await readdir(destination)).filter((name) => name.endsWith('.whl')).sort()[0]
    }
  }
}

/** uv pins for the target; pip (on the same host) fetches and builds. */
export function uvInstaller(
  host: HostPython,
  env: Env,
  uv: UvBinary,
  sources: UvSourceSettings
): InstallerAdapter {
  const pip = pipInstaller(host, env)
  const uvEnv: Env = { ...env, ...sources.env }
  return {
    ...pip,
    name: 'uv',
    version: uv.version,
    description: uv.description,
    async pin(target, request) {
      const file = join(request.work, 'pinned.txt')
      const args = uvCompileArgs({
        ...target,
        requirementsFile: request.requirementsFile,
        outputFile: file,
        findLinks: request.findLinks,
        sourceArgs: sources.args
      })
      await runLogged(await uv.path(), args, `uv pip compile (${targetLabel(target)})`, uvEnv)
      return { file, complete: true, requiresPythonChecked: true }
    },
    missingWheel: (step, output) =>
      step === 'pin' ? missingWheelFromUv(output) : pip.missingWheel(step, output)
  }
}

/** `error` when a child process failed (the caller decides what that means); else rethrown. */
export function toolFailure(error: unknown): ToolFailure {
  if (error instanceof ToolFailure) return error
  throw error
}
