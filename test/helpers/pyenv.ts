// The CPython of each Lambda runtime this machine has through pyenv (3.9 to 3.13; `pyenv root`
// names the folder), for tests that need the runtime's own interpreter on PATH.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

function pyenvRoot(): string {
  try {
    return execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim()
  } catch {
    return join(process.env.HOME ?? '/root', '.pyenv')
  }
}

/** The folder holding `python3.X` of the newest pyenv-installed 3.X; throws when there is none. */
export function pyenvBin(pythonVersion: string): string {
  const versions = join(pyenvRoot(), 'versions')
  const found = (existsSync(versions) ? readdirSync(versions) : [])
    .filter((v) => v.startsWith(`${pythonVersion}.`) && /^\d+\.\d+\.\d+$/.test(v))
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
    .at(-1)
  const bin = found && join(versions, found, 'bin')
  if (!bin || !existsSync(join(bin, `python${pythonVersion}`))) {
    throw new Error(`no CPython ${pythonVersion} under ${versions} (GUIDE: pyenv has 3.9 to 3.13)`)
  }
  return bin
}

/** `python3.X` of this machine, by absolute path. */
export function pyenvPython(pythonVersion: string): string {
  return join(pyenvBin(pythonVersion), `python${pythonVersion}`)
}

const linked = new Map<string, string>()

/**
 * PATH with `python3.X` of the runtime on it, and nothing else of that installation (its
 * `python3` and `pip` would change what the rest of the run uses).
 */
export function pathWithPython(pythonVersion: string, path = process.env.PATH ?? ''): string {
  let dir = linked.get(pythonVersion)
  if (!dir) {
    dir = join(mkdtempSync(join(tmpdir(), 'lpd-python-')), 'bin')
    mkdirSync(dir)
    symlinkSync(pyenvPython(pythonVersion), join(dir, `python${pythonVersion}`))
    linked.set(pythonVersion, dir)
  }
  return [dir, path].join(delimiter)
}
