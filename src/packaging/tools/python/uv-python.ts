// uv's Python management as child processes: `uv python find` (what is already on the runner,
// never a download) and `uv python install` (a standalone CPython, also for the other machine,
// into a folder the action keeps). The uv is the one on PATH, else the one the action brings.
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../../../errors.js'
import { projectTools } from '../open-installer.js'
import { findOnPath, lastLines, runTool, ToolFailure, type Env } from '../run-tool.js'

/** uv's name for a CPython of a minor on a Linux machine: `cpython-3.12-linux-aarch64-gnu`. */
export function uvPythonKey(pythonVersion: string, machine: string): string {
  return `cpython-${pythonVersion}-linux-${machine}-gnu`
}

/** The folder `uv python install` creates for a key: `cpython-3.12.7-linux-aarch64-gnu`. */
export function isInstallationOf(folder: string, pythonVersion: string, machine: string): boolean {
  const [major, minor] = pythonVersion.split('.')
  return new RegExp(`^cpython-${major}\\.${minor}\\.\\d+-linux-${machine}-gnu$`).test(folder)
}

const uvPaths = new Map<string, Promise<string>>()

/** uv on PATH, else the pinned uv the action brings into the tool cache (fetched with pip once). */
export function uvForPythons(env: Env, toolCache: string): Promise<string> {
  const key = `${env.PATH ?? ''}\0${toolCache}`
  let pending = uvPaths.get(key)
  if (!pending) {
    pending = (async () => {
      const onPath = await findOnPath('uv', env)
      if (onPath !== undefined) return onPath
      const { uvPath } = await projectTools('auto', env, toolCache)
      return uvPath as string
    })()
    uvPaths.set(key, pending)
    pending.catch(() => uvPaths.delete(key))
  }
  return pending
}

/**
 * One line of why a uv command failed, from its `error:` line and `cause:` chain: what failed,
 * its first cause (the URL it could not download) and the root cause.
 */
export function uvFailureSummary(output: string): string {
  const lines = output.split('\n').map((line) => line.trim())
  const error = lines
    .find((line) => line.startsWith('error:'))
    ?.slice('error:'.length)
    .trim()
  const causes = lines
    .filter((line) => line.startsWith('cause:'))
    .map((line) => line.slice('cause:'.length).trim())
  if (error === undefined) return lastLines(output, 2).replace(/\s*\n\s*/g, ' ')
  const [first, last] = [causes[0], causes.at(-1)]
  if (first === undefined) return error
  return first === last ? `${error}: ${first}` : `${error}: ${first} (${last})`
}

function why(error: unknown): string {
  return error instanceof ToolFailure
    ? uvFailureSummary(error.result.stderr || error.result.output)
    : errorMessage(error).replace(/\s*\n\s*/g, ' ')
}

/** An interpreter `uv python find` knows of (never downloading one), or why there is none. */
export async function uvFindPython(
  uv: string,
  pythonVersion: string,
  env: Env
): Promise<{ path: string } | { path?: undefined; problem: string }> {
  try {
    const { stdout } = await runTool(
      uv,
      [
        'python',
        'find',
        '--no-project',
        '--no-config',
        '--no-python-downloads',
        `cpython@${pythonVersion}`
      ],
      {
        env: { ...env, UV_PYTHON_DOWNLOADS: 'never' },
        // No project around: its .python-version must not answer instead.
        cwd: tmpdir(),
        what: `uv python find ${pythonVersion}`
      }
    )
    const path = stdout.trim().split('\n').at(-1)
    return path ? { path } : { problem: 'uv python find printed nothing' }
  } catch (error) {
    return { problem: `uv python find ${pythonVersion}: ${why(error)}` }
  }
}

/**
 * Installs a standalone CPython (`uvPythonKey`) into `installDir` and returns its folder. Fails
 * with uv's own words when it cannot download (runners without access to GitHub's downloads).
 */
export async function uvInstallPython(
  uv: string,
  key: string,
  installDir: string,
  env: Env
): Promise<string> {
  const [, version, , machine] = key.split('-') as [string, string, string, string]
  try {
    await runTool(
      uv,
      ['python', 'install', '--no-bin', '--no-config', '--install-dir', installDir, key],
      {
        env,
        cwd: tmpdir(),
        what: `uv python install ${key}`
      }
    )
  } catch (error) {
    throw new Error(`uv python install ${key}: ${why(error)}`)
  }
  const folders = (await readdir(installDir, { withFileTypes: true })).filter(
    (entry) => entry.isDirectory() && isInstallationOf(entry.name, version, machine)
  )
  const folder = folders[0]
  if (folder === undefined) {
    throw new Error(
      `uv python install ${key} left no cpython-${version}.*-linux-${machine}-gnu folder`
    )
  }
  return join(installDir, folder.name)
}
