// The uv the action brings when none is on PATH: the pinned uv wheel, fetched once with the
// runner's pip (so PIP_INDEX_URL, pip.conf and private mirrors apply), checked against the
// SHA-256 pinned in uv-pin.json, its binary kept in the tool cache and reused from there.
import * as core from '@actions/core'
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { UserError } from '../../errors.js'
import { sha256OfFile } from '../../file-digest.js'
import { readEntryData, readZipEntriesFrom } from '../zip-format.js'
import { lastLines, parsePipConfigList, runTool, ToolFailure, type Env } from './run-tool.js'
import { maskCredentials } from '../requirements/requirements-file.js'
import UV_PIN from './uv-pin.json' with { type: 'json' }

/** The uv version the action brings (also the one the tests install: scripts/tools.mjs). */
export const PINNED_UV_VERSION: string = UV_PIN.version

/** Host machines the pinned uv has a wheel for, as wheel tags spell them. */
export type UvHostMachine = keyof typeof UV_PIN.wheels

export interface PinnedUvWheel {
  file: string
  /** Of the wheel, as PyPI lists it. */
  sha256: string
  /** Of `uv-<version>.data/scripts/uv` inside it (its RECORD line): checked on every reuse. */
  binarySha256: string
}

export const WAY_OUT = 'add astral-sh/setup-uv before this step (uv on PATH is used as it is)'

/**
 * The host machine to fetch uv for, or why the action cannot bring one: the pinned wheels are
 * manylinux builds for x86_64 and aarch64 (GitHub's Linux runners, most self-hosted ones).
 */
export function uvHostMachine(
  platform: NodeJS.Platform,
  arch: string
): { machine: UvHostMachine } | { reason: string } {
  if (platform !== 'linux') {
    return { reason: `the runner is ${platform}; the action brings uv for Linux runners only` }
  }
  if (arch === 'x64') return { machine: 'x86_64' }
  if (arch === 'arm64') return { machine: 'aarch64' }
  return { reason: `the runner's machine is ${arch}; the action brings uv for x64 and arm64 only` }
}

export function pinnedUvWheel(machine: UvHostMachine): PinnedUvWheel {
  return UV_PIN.wheels[machine]
}

/** `<root>/tools/uv-<version>-<machine>/uv`: beside the wheel store, in the runner's tool cache. */
export function bootstrappedUvPath(root: string, machine: UvHostMachine): string {
  return join(root, 'tools', `uv-${PINNED_UV_VERSION}-${machine}`, 'uv')
}

/** Arguments after `python -m pip`: the pinned uv wheel alone, for the host machine. */
export function uvDownloadArgs(
  machine: UvHostMachine,
  requirementsFile: string,
  destination: string
): string[] {
  return [
    'download',
    '--no-deps',
    '--only-binary=:all:',
    // pip takes --platform literally; both pinned wheels carry this tag.
    '--platform',
    `manylinux_2_17_${machine}`,
    '--no-input',
    '--progress-bar=off',
    '-d',
    destination,
    '-r',
    requirementsFile
  ]
}

/**
 * The indexes pip was told to use, for messages, credentials masked: the requirements file's
 * options first (they win), then `pip config list` (which includes `PIP_*` variables).
 */
export function indexesTried(pipConfigList: string, fetchArgs: readonly string[]): string {
  const found: string[] = []
  let primary: string | undefined
  let noIndex = false
  const take = (option: string, value: string | undefined) => {
    if (option === 'index-url' && value && primary === undefined) primary = value
    else if (option === 'extra-index-url' && value) found.push(...value.split(/\s+/))
    else if (option === 'find-links' && value) found.push(...value.split(/\s+/))
    else if (option === 'no-index' && value !== 'false' && value !== '0') noIndex = true
  }
  for (let i = 0; i < fetchArgs.length; i++) {
    const option = (fetchArgs[i] as string).replace(/^--/, '')
    const value = fetchArgs[i + 1]?.startsWith('--') === false ? fetchArgs[++i] : undefined
    take(option, value)
  }
  // `:env:` entries (PIP_INDEX_URL) before config files, as pip reads them.
  const entries = parsePipConfigList(pipConfigList).sort(
    ([a], [b]) => Number(!a.startsWith(':env:')) - Number(!b.startsWith(':env:'))
  )
  for (const [key, value] of entries) take(key.slice(key.lastIndexOf('.') + 1), value)
  const all = noIndex
    ? [...new Set(found)]
    : [primary ?? 'https://pypi.org/simple', ...new Set(found)]
  if (all.length === 0) return 'no index (--no-index and no find-links)'
  return all.map((location) => maskCredentials(location)).join(', ')
}

export interface BootstrapRequest {
  /** The host Python that runs pip. */
  python: string
  env: Env
  /** Where the binary is kept: the wheel store's root (the runner's tool cache). */
  root: string
  /** Where-to-fetch-from lines of the user's requirements file (index URLs, find-links). */
  fetchLines: string
  /** For messages: `indexesTried()`. */
  indexes: string
  platform?: NodeJS.Platform
  arch?: string
}

/**
 * Two architectures resolve at once in one run: they share one fetch. Only while it is under
 * way: a later resolve checks the binary again.
 */
const bootstraps = new Map<string, Promise<string>>()

/** The path of the pinned uv: from the tool cache, else fetched with pip and checked. */
export function bootstrapUv(request: BootstrapRequest): Promise<string> {
  const host = uvHostMachine(request.platform ?? process.platform, request.arch ?? process.arch)
  if ('reason' in host) {
    return Promise.reject(
      new UserError(
        `installer: auto: uv is not on PATH and the action cannot bring one: ${host.reason}; ` +
          `${WAY_OUT}. (installer: pip is right only on a runner whose Python minor and machine ` +
          "are the function's: pip evaluates environment markers on the runner.)"
      )
    )
  }
  const path = bootstrappedUvPath(request.root, host.machine)
  let pending = bootstraps.get(path)
  if (!pending) {
    pending = obtainUv(request, host.machine, path)
    bootstraps.set(path, pending)
    const settled = () => bootstraps.delete(path)
    pending.then(settled, settled)
  }
  return pending
}

async function obtainUv(
  request: BootstrapRequest,
  machine: UvHostMachine,
  path: string
): Promise<string> {
  const pin = pinnedUvWheel(machine)
  const cached = await sha256OfFile(path)
  if (cached === pin.binarySha256) {
    core.info(`uv ${PINNED_UV_VERSION}: from the tool cache (${path})`)
    return path
  }
  if (cached !== undefined) {
    core.warning(
      `uv ${PINNED_UV_VERSION} in the tool cache (${path}) is damaged; fetching it again`
    )
  }
  const start = performance.now()
  const work = await mkdtemp(join(tmpdir(), 'lambda-python-deploy-uv-'))
  try {
    const wheelPath = await downloadWheel(request, machine, work)
    const wheel = basename(wheelPath)
    const got = await sha256OfFile(wheelPath)
    if (got !== pin.sha256) {
      throw new UserError(
        `installer: auto: the uv wheel pip fetched from ${request.indexes} (${wheel}) has ` +
          `sha256 ${got}, not the pinned ${pin.sha256} of ${pin.file}: the index serves ` +
          `another file under that name. Check the index, or ${WAY_OUT}`
      )
    }
    await extractBinary(wheelPath, pin, path)
    const seconds = ((performance.now() - start) / 1000).toFixed(1)
    core.info(
      `uv ${PINNED_UV_VERSION}: fetched ${wheel} with pip from ${request.indexes} in ${seconds} s, ` +
        `sha256 checked, kept at ${path}`
    )
    return path
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

async function downloadWheel(
  request: BootstrapRequest,
  machine: UvHostMachine,
  work: string
): Promise<string> {
  const requirement = join(work, 'uv-requirement.txt')
  // The user's index lines travel in a file: credentials stay out of argv.
  await writeFile(requirement, `${request.fetchLines}uv==${PINNED_UV_VERSION}\n`)
  const destination = join(work, 'wheel')
  const cannot = (why: string) =>
    new UserError(
      `installer: auto: uv is not on PATH, and the pinned uv ${PINNED_UV_VERSION} could not be ` +
        `fetched with pip from ${request.indexes}: ${why}\nThe way out: ${WAY_OUT} ` +
        `(or put ${pinnedUvWheel(machine).file} in a --find-links folder).`
    )
  try {
    await runTool(
      request.python,
      ['-m', 'pip', ...uvDownloadArgs(machine, requirement, destination)],
      { env: request.env, what: `pip download uv==${PINNED_UV_VERSION}` }
    )
  } catch (error) {
    if (error instanceof ToolFailure) {
      throw cannot(lastLines(error.result.stderr || error.result.output, 6))
    }
    throw error
  }
  const [wheel] = (await readdir(destination)).filter((name) => name.endsWith('.whl'))
  if (wheel === undefined) throw cannot('pip reported success but saved no wheel')
  return join(destination, wheel)
}

/** Writes the wheel's `uv` binary to `path` (a temporary name, then a rename: never half). */
async function extractBinary(wheelPath: string, pin: PinnedUvWheel, path: string): Promise<void> {
  const member = `uv-${PINNED_UV_VERSION}.data/scripts/uv`
  const handle = await open(wheelPath, 'r')
  let data: Buffer
  try {
    const entry = (await readZipEntriesFrom(handle, wheelPath)).find((e) => e.name === member)
    if (!entry) throw new UserError(`${pin.file} holds no ${member}`)
    data = await readEntryData(handle, entry)
  } finally {
    await handle.close()
  }
  const dir = dirname(path)
  await mkdir(dir, { recursive: true })
  const partial = join(dir, `.uv-${process.pid}-${Date.now()}`)
  await writeFile(partial, data)
  if ((await sha256OfFile(partial)) !== pin.binarySha256) {
    await rm(partial, { force: true })
    throw new UserError(`${pin.file}: ${member} does not match its pinned sha256`)
  }
  await chmod(partial, 0o755)
  await rename(partial, path)
}
