// This machine's CPython 3.9 to 3.13 (pyenv's versions/ folder), laid out as the places the
// action looks in: GitHub's hosted tool cache, a folder holding only `python` (what uv finds
// and PATH's python3.X does not), and a python-build-standalone-like download uv can install
// from a local downloads list. And the folder where what the action brings (qemu, the arm64
// interpreters and sysroots) is kept for every test: fetched once per machine, by the action's
// own code, under .tools/.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  mkdtempSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

const ROOT = new URL('../..', import.meta.url).pathname

export const MINORS = ['3.9', '3.10', '3.11', '3.12', '3.13'] as const

export function pyenvRoot(): string {
  return execFileSync('pyenv', ['root']).toString().trim()
}

/** `3.12` → `3.12.1`, the newest pyenv version of that minor here. */
export function pyenvVersion(minor: string): string {
  const versions = readdirSync(join(pyenvRoot(), 'versions')).filter((v) =>
    new RegExp(`^${minor.replace('.', '\\.')}\\.\\d+$`).test(v)
  )
  const newest = versions.sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]))[0]
  if (!newest) throw new Error(`no pyenv CPython ${minor} on this machine`)
  return newest
}

/** The real interpreter binary of a minor (no pyenv shim). */
export function pyenvPython(minor: string): string {
  return join(pyenvRoot(), 'versions', pyenvVersion(minor), 'bin', `python${minor}`)
}

const linked = new Map<string, string>()

/**
 * PATH with `python3.X` of the runtime on it, and nothing else of that installation (its
 * `python3` and `pip` would change what the rest of the run uses).
 */
export function pathWithPython(minor: string, path = process.env.PATH ?? ''): string {
  let dir = linked.get(minor)
  if (!dir) {
    dir = join(mkdtempSync(join(tmpdir(), 'lpd-python-')), 'bin')
    mkdirSync(dir)
    symlinkSync(pyenvPython(minor), join(dir, `python${minor}`))
    linked.set(minor, dir)
  }
  return [dir, path].join(delimiter)
}

/**
 * `<toolCache>/Python/<x.y.z>/x64` for every minor, linked to pyenv's install, with
 * `x64.complete` beside it: the layout GitHub's ubuntu images and actions/setup-python use.
 */
export function hostedToolCache(toolCache: string, minors: readonly string[] = MINORS): string {
  for (const minor of minors) {
    const version = pyenvVersion(minor)
    const dir = join(toolCache, 'Python', version)
    mkdirSync(dir, { recursive: true })
    if (!existsSync(join(dir, 'x64'))) {
      symlinkSync(join(pyenvRoot(), 'versions', version), join(dir, 'x64'))
    }
    writeFileSync(join(dir, 'x64.complete'), '')
  }
  return toolCache
}

/**
 * `hostedToolCache` on a machine with pyenv's CPythons of `minors`; elsewhere nothing is laid out
 * and the action says it found no interpreter. For the demo and the docs pictures.
 */
export function hostedToolCacheIfHere(toolCache: string, minors: readonly string[]): boolean {
  try {
    hostedToolCache(toolCache, minors)
    return true
  } catch {
    return false
  }
}

/** A folder holding `python` (only) for a minor, and uv: what `uv python find` sees on PATH. */
export function bareInterpreterDir(dir: string, minor: string): string {
  mkdirSync(dir, { recursive: true })
  if (!existsSync(join(dir, 'python'))) symlinkSync(pyenvPython(minor), join(dir, 'python'))
  if (!existsSync(join(dir, 'uv')))
    symlinkSync(join(ROOT, '.tools', 'venv', 'bin', 'uv'), join(dir, 'uv'))
  return dir
}

/**
 * A CPython download in python-build-standalone's `install_only` layout (`python/bin/...`) made
 * from pyenv's install of a minor, and a downloads list naming it with its SHA-256: with
 * `UV_PYTHON_DOWNLOADS_JSON_URL` pointing at the list, `uv python install` installs it as it
 * installs GitHub's downloads on a hosted runner. Built once under .tools/.
 */
export function localPythonDownload(minor: string): { downloadsJson: string; version: string } {
  const version = pyenvVersion(minor)
  const dir = join(ROOT, '.tools', 'python-downloads')
  const archive = join(dir, `cpython-${version}-x86_64-unknown-linux-gnu-install_only.tar.gz`)
  const downloadsJson = join(dir, `downloads-${version}.json`)
  if (!existsSync(downloadsJson)) {
    mkdirSync(dir, { recursive: true })
    const stage = join(dir, `stage-${process.pid}`)
    rmSync(stage, { recursive: true, force: true })
    mkdirSync(stage)
    // The standard library and the interpreter, without the test suite and site-packages.
    execFileSync('cp', ['-a', join(pyenvRoot(), 'versions', version), join(stage, 'python')])
    for (const left of [`lib/python${minor}/test`, `lib/python${minor}/site-packages`]) {
      rmSync(join(stage, 'python', left), { recursive: true, force: true })
    }
    mkdirSync(join(stage, 'python', `lib/python${minor}/site-packages`))
    execFileSync('tar', ['-C', stage, '-czf', `${archive}.partial`, 'python'])
    renameSync(`${archive}.partial`, archive)
    rmSync(stage, { recursive: true, force: true })
    const [major, minorNumber, patch] = version.split('.').map(Number)
    const key = `cpython-${version}-linux-x86_64-gnu`
    const entry = {
      name: 'cpython',
      arch: { family: 'x86_64', variant: null },
      os: 'linux',
      libc: 'gnu',
      major,
      minor: minorNumber,
      patch,
      prerelease: '',
      url: `file://${archive}`,
      sha256: createHash('sha256').update(readFileSync(archive)).digest('hex'),
      variant: null
    }
    writeFileSync(`${downloadsJson}.partial`, JSON.stringify({ [key]: entry }))
    renameSync(`${downloadsJson}.partial`, downloadsJson)
  }
  return { downloadsJson, version }
}

/**
 * Where every test keeps what the action brings to run the other architecture (qemu, arm64
 * CPythons and sysroots), so it is fetched once per machine: `<store root>/tools/python` of each
 * test's tool cache links here.
 */
export const SHARED_KEPT_PYTHONS = join(ROOT, '.tools', 'kept-pythons')

/** Links `<RUNNER_TOOL_CACHE>/lambda-python-deploy/tools/python` to the shared folder. */
export function shareKeptPythons(runnerToolCache: string): void {
  const tools = join(runnerToolCache, 'lambda-python-deploy', 'tools')
  const link = join(tools, 'python')
  try {
    lstatSync(link)
    return
  } catch {
    // Not linked yet.
  }
  mkdirSync(SHARED_KEPT_PYTHONS, { recursive: true })
  mkdirSync(tools, { recursive: true })
  symlinkSync(SHARED_KEPT_PYTHONS, link)
}

/** A store root (as `toolCache` of an in-process lookup) whose kept pythons are the shared ones. */
export function sharedStoreRoot(dir: string): string {
  const root = join(dir, 'lambda-python-deploy')
  shareKeptPythons(dir)
  return root
}
