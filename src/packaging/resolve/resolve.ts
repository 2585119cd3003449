// Resolve stage: the dependency set (project/ made it; no project file is read here) → wheels
// that load on (runtime, architecture), through the wheel store and the Actions cache. A lock's
// pins are chosen for the target here and fetched as they are; anything else is pinned for the
// target by the installer first. Every store hit is held against the set's hashes again (issue
// 18). The decisions live in the pure modules beside this one.
import * as core from '@actions/core'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, isAbsolute, join } from 'node:path'
import { UserError, errorMessage } from '../../errors.js'
import { relayInert } from '../../report/log.js'
import { indexUrlSecrets } from '../../secrets.js'
import { fileDigests } from '../../file-digest.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import {
  restoreStoreEntry,
  saveStoreEntry,
  type CacheRestorePolicy
} from '../stores/actions-cache.js'
import { cacheKey, cacheKeyMaterial, resolutionSettings } from '../stores/cache-key.js'
import {
  findOnPath,
  parsePipConfigList,
  pipConfigList,
  probePython,
  pythonCommand,
  type Env,
  type InstallerChoice
} from '../tools/run-tool.js'
import {
  targetLabel,
  chooseInstaller,
  toolFailure,
  type InstallerAdapter,
  type Target
} from '../tools/installer-adapter.js'
import { openInstaller } from '../tools/open-installer.js'
import { platformTags } from '../pep/platform-tags.js'
import { uvPythonPlatform } from '../tools/tool-args.js'
import { findCredentials } from '../requirements/requirements-file.js'
import {
  fetchArgs,
  hashAlgorithms,
  hashProblems,
  hostMarkerWarnings,
  lockedPinsFor,
  normalizedRequirements,
  pinsWithoutWheel,
  renderConstraints,
  renderRequirements,
  type DependencySet,
  type DownloadedWheel
} from '../requirements/dependency-set.js'
import type { PinnedList } from '../tools/installer-adapter.js'
import { afterFailure, hashMismatchesFromPip } from '../tools/sdist.js'
import { buildPureWheel, probeVersions } from './source-build.js'
import {
  commitEntry,
  createStaging,
  defaultStoreRoot,
  entryDir,
  listWheels,
  readEntry,
  removeEntry,
  verifyWheel
} from '../stores/wheel-store.js'
import { checkWheels, parseWheelName, wheelProblems } from '../pep/wheel-tags.js'
import { fsReader } from '../requirements/fs-reader.js'

export interface ResolveRequest {
  /** What the project phase read; no requirements: resolve nothing, cacheHit true. */
  dependencies: DependencySet
  runtime: RuntimeFacts
  architecture: Architecture
  installer: InstallerChoice
  useActionsCache: boolean
  /** Which restored Actions-cache entries may be used (default `any`; see actions-cache.ts). */
  cacheRestore?: CacheRestorePolicy
  allowLinuxWheels: boolean
  /** Defaults to `$RUNNER_TOOL_CACHE/lambda-python-deploy`, else `~/.cache/lambda-python-deploy`. */
  storeRoot?: string
  /**
   * Where the uv the action brings (no uv on PATH, `installer: auto`) is kept and reused;
   * defaults to the same root as `storeRoot`'s default, whatever `storeRoot` says.
   */
  toolCache?: string
  /** Environment for the installers and settings; defaults to `process.env`. */
  env?: Env
}

export interface ResolvedWheels {
  /** Absolute .whl paths inside the store, sorted by file name. */
  wheels: string[]
  /** Empty when there is nothing to resolve. */
  cacheKey: string
  /** True: no resolver and no network ran. */
  cacheHit: boolean
  /** `version` is empty when nothing was resolved (no requirements). */
  installer: { name: 'pip' | 'uv'; version: string }
  /**
   * Only when `installer: auto` found no uv on PATH and this resolve needed one: the pinned uv
   * the action brought (from the tool cache, or fetched with pip this run).
   */
  bootstrappedUv?: string
  /**
   * Things the user should act on, for the caller to show (`core.warning`, summary): today,
   * requirement lines whose markers pip evaluated on this host rather than the target.
   * Operational problems (a corrupt store entry, a cache-service failure) are logged here as
   * `core.warning` directly.
   */
  warnings: string[]
  /** Credentials found in index URLs; already passed to `core.setSecret`. */
  secrets: string[]
}

/** Most sdist-only dependencies of one project are a handful; more means a loop. */
const MAX_SOURCE_BUILDS = 10

/** Local directories among find-links values (`/opt/wheels`, `file:///x`), absolute. */
function localDirectories(values: readonly string[]): string[] {
  const dirs: string[] = []
  for (const value of values) {
    const path = value.startsWith('file://')
      ? decodeURIComponent(value.slice('file://'.length))
      : value
    if (isAbsolute(path) && fsReader.isDirectory(path)) dirs.push(path)
  }
  return dirs
}

/** `<dir>/<file> <size>` for every file in each directory: what find-links offers pip. */
async function listFindLinks(dirs: readonly string[]): Promise<string[]> {
  const lines: string[] = []
  for (const dir of [...new Set(dirs)]) {
    for (const name of (await readdir(dir)).sort()) {
      try {
        const info = await stat(join(dir, name))
        if (info.isFile()) lines.push(`${join(dir, name)} ${info.size}`)
      } catch {
        // Vanished while listing.
      }
    }
  }
  return lines
}

export async function resolveWheels(request: ResolveRequest): Promise<ResolvedWheels> {
  const env = request.env ?? process.env
  const set = request.dependencies
  const nothing: ResolvedWheels = {
    wheels: [],
    cacheKey: '',
    cacheHit: true,
    installer: { name: request.installer === 'pip' ? 'pip' : 'uv', version: '' },
    warnings: [],
    secrets: []
  }
  const secrets = new Set<string>()
  const mask = (found: readonly string[]) => {
    for (const secret of found) {
      if (!secrets.has(secret)) core.setSecret(secret)
      secrets.add(secret)
    }
  }
  mask(set.secrets)
  if (set.requirements.length === 0) {
    core.info(`${targetLabel(request)}: no requirements: no dependencies to resolve`)
    return { ...nothing, secrets: [...secrets] }
  }
  if (set.lock && lockedPinsFor(set, request).length === 0) {
    relayInert(`${targetLabel(request)}: no pin of ${set.lock.file} holds for the target`)
    return { ...nothing, secrets: [...secrets] }
  }

  const plan = chooseInstaller(
    request.installer,
    request.installer === 'pip' ? undefined : await findOnPath('uv', env)
  )
  const [host, configText] = await Promise.all([
    probePython(env),
    pipConfigList(pythonCommand(env), env)
  ])
  mask([...findCredentials(configText), ...indexUrlSecrets(env)])
  let bootstrappedUv: string | undefined
  const installer = await openInstaller(
    plan,
    host,
    env,
    configText,
    fetchArgs(set),
    request.toolCache ?? defaultStoreRoot(env),
    (path) => (bootstrappedUv = path)
  )

  const pipFindLinks = parsePipConfigList(configText)
    .filter(([key]) => key.endsWith('.find-links'))
    .flatMap(([, value]) => value.split(/\s+/))
  const uvFindLinks = installer.name === 'uv' ? (env.UV_FIND_LINKS ?? '').split(/[\s,]+/) : []
  const findLinksListing = await listFindLinks([
    ...set.localFindLinks,
    ...localDirectories([...pipFindLinks, ...uvFindLinks].filter(Boolean))
  ])

  const ladder = platformTags(request.runtime, request.architecture, request)
  const keyInput = {
    requirements: normalizedRequirements(set),
    runtime: request.runtime,
    architecture: request.architecture,
    platformTags: ladder,
    ...(installer.name === 'uv'
      ? { uvPlatform: uvPythonPlatform(request.runtime, request.architecture) }
      : {
          hostMarkers: `${host.pythonVersion} ${host.machine} ${host.system} ${host.implementation}`
        }),
    installer: { name: installer.name, version: installer.version },
    pipVersion: host.pipVersion,
    settings: resolutionSettings(installer.name, env, configText),
    localFindLinks: findLinksListing,
    allowLinuxWheels: request.allowLinuxWheels
  }
  const key = cacheKey(keyInput)
  core.debug(`cache key ${key} covers:\n${cacheKeyMaterial(keyInput)}`)
  core.info(`${targetLabel(request)}: installer ${installer.description}`)

  const warnings =
    installer.name === 'pip'
      ? hostMarkerWarnings(set, host, request.runtime, request.architecture)
      : []
  const result = (wheels: string[], cacheHit: boolean): ResolvedWheels => ({
    wheels,
    cacheKey: key,
    cacheHit,
    installer: { name: installer.name, version: installer.version },
    ...(bootstrappedUv === undefined ? {} : { bootstrappedUv }),
    warnings,
    secrets: [...secrets]
  })

  const root = request.storeRoot ?? defaultStoreRoot(env)
  const stored = await usableEntry(root, key, request)
  if (stored) {
    core.info(`${targetLabel(request)}: ${stored.length} wheel(s) from the wheel store (${key})`)
    return result(stored, true)
  }
  if (
    request.useActionsCache &&
    mayRestore(request.cacheRestore ?? 'any', set, targetLabel(request)) &&
    (await restoreStoreEntry(entryDir(root, key), key))
  ) {
    const restored = await restoredEntry(root, key, request)
    if (restored) {
      core.info(
        `${targetLabel(request)}: ${restored.length} wheel(s) from the Actions cache (${key})`
      )
      return result(restored, true)
    }
  }

  const wheels = await resolveFresh(request, installer, root, key, env)
  if (request.useActionsCache) await saveStoreEntry(entryDir(root, key), key)
  return result(wheels, false)
}

/** Whether an entry restored from the Actions cache could be used at all: the policy, said once. */
function mayRestore(policy: CacheRestorePolicy, set: DependencySet, label: string): boolean {
  if (policy === 'any' || (policy === 'hashed' && set.hashMode)) return true
  core.info(
    policy === 'none'
      ? `${label}: the Actions cache is not read (cache-in-deploy: none)`
      : `${label}: the Actions cache is not read: the requirements pin no hashes, so nothing ` +
          'could check an entry whoever wrote it (cache-in-deploy: hashed)'
  )
  return false
}

/**
 * An entry just restored from the Actions cache: usable (below, the hashes included), and each
 * wheel read again as pip reads it, since the manifest's record of that check came with the
 * entry and proves nothing. A refused entry is removed: the resolve runs instead.
 */
async function restoredEntry(
  root: string,
  key: string,
  request: ResolveRequest
): Promise<string[] | undefined> {
  const wheels = await usableEntry(root, key, request)
  if (!wheels) return undefined
  try {
    for (const wheel of wheels) await verifyWheel(wheel)
    return wheels
  } catch (error) {
    core.warning(`Actions cache entry ${key} refused: ${errorMessage(error)}; resolving instead`)
    await removeEntry(root, key)
    return undefined
  }
}

/**
 * The stored wheels for `key` when the entry is whole, every wheel loads, and every wheel has a
 * hash the set allows (pip's rules, as on a fresh resolve): someone who can write the Actions
 * cache or the runner's tool cache can rewrite a wheel and its manifest together, never the
 * hashes the user pinned. Else undefined, the entry removed, and the caller resolves again.
 */
async function usableEntry(
  root: string,
  key: string,
  request: ResolveRequest
): Promise<string[] | undefined> {
  const entry = await readEntry(root, key)
  if (entry.state === 'missing') return undefined
  const refuse = async (reason: string) => {
    core.warning(`Wheel store entry ${key} ${reason}; resolving again`)
    await removeEntry(root, key)
    return undefined
  }
  if (entry.state === 'corrupt') return refuse(`is damaged (${entry.reason})`)
  const problems = wheelProblems(entry.wheels, request.runtime, request.architecture, request)
  if (problems.length > 0) return refuse('holds wheels that do not load')
  const unpinned = await storedHashProblems(request.dependencies, entry.wheels, entry.sha256)
  if (unpinned.length > 0) {
    return refuse(
      `fails the requirements' hashes:\n${unpinned.map((p) => `  - ${p}`).join('\n')}\n` +
        'Someone may have rewritten the store (the Actions cache, a shared tool cache)'
    )
  }
  return entry.wheels
}

/** The set's hash problems for stored wheels; sha256 comes from the entry's check of the bytes. */
async function storedHashProblems(
  set: DependencySet,
  wheels: readonly string[],
  sha256: readonly string[]
): Promise<string[]> {
  if (hashAlgorithms(set).length === 0) return []
  const others = hashAlgorithms(set).filter((a) => a !== 'sha256')
  const digested: DownloadedWheel[] = await Promise.all(
    wheels.map(async (path, i) => ({
      file: basename(path),
      project: parseWheelName(basename(path))?.project ?? basename(path),
      digests: {
        ...(others.length > 0 ? await fileDigests(path, others) : {}),
        sha256: sha256[i] as string
      }
    }))
  )
  return hashProblems(set, digested)
}

/** What the installer fetches for a lock: its pins whose markers hold for the target, as they are. */
async function lockedList(request: ResolveRequest, work: string): Promise<PinnedList> {
  const set = request.dependencies
  const lock = set.lock as NonNullable<DependencySet['lock']>
  const pins = lockedPinsFor(set, request)
  const missing = pinsWithoutWheel(pins, request)
  if (missing.length > 0) {
    throw new UserError(
      `${lock.file}: ${missing.length === 1 ? 'a locked package has' : `${missing.length} locked packages have`} ` +
        `no wheel that loads on ${targetLabel(request)}:\n${missing.map((m) => `  - ${m}`).join('\n')}\n` +
        `Way out: ${lock.noWheelAdvice}.`
    )
  }
  const file = join(work, 'locked.txt')
  await writeFile(file, renderRequirements(set, undefined, pins, false))
  core.info(
    `${targetLabel(request)}: ${pins.length} of the lock's ${set.requirements.length} pins hold for the target`
  )
  return { file, complete: true, requiresPythonChecked: true }
}

async function resolveFresh(
  request: ResolveRequest,
  installer: InstallerAdapter,
  root: string,
  key: string,
  env: Env
): Promise<string[]> {
  const set = request.dependencies
  const work = await mkdtemp(join(tmpdir(), 'lambda-python-deploy-'))
  const staging = await createStaging(root, key)
  const built = join(work, 'built')
  await mkdir(built)
  // The set as the installers read it, in this private folder (it may hold credentials).
  const requirementsFile = join(work, 'requirements.txt')
  const constraintsFile = join(work, 'constraints.txt')
  await writeFile(requirementsFile, renderRequirements(set, constraintsFile))
  if (set.constraints.length > 0) await writeFile(constraintsFile, renderConstraints(set))
  const attempted = new Set<string>()
  const { runtime, architecture } = request
  const goal: Target = { runtime, architecture, allowLinuxWheels: request.allowLinuxWheels }
  const label = targetLabel(request)
  /** Pin for the target, then fetch; the step that failed and what it said, if one did. */
  const attempt = async (findLinks: string[]) => {
    let step: 'pin' | 'fetch' = 'pin'
    try {
      const pinned = set.lock
        ? await lockedList(request, work)
        : await installer.pin(goal, { requirementsFile, findLinks, work })
      step = 'fetch'
      await installer.fetch(goal, pinned, { destination: staging, findLinks })
      return undefined
    } catch (error) {
      const failure = toolFailure(error)
      return { failure, missing: installer.missingWheel(step, failure.result.output) }
    }
  }
  try {
    for (;;) {
      const findLinks = (await listWheels(built)).length > 0 ? [built] : []
      const failed = await attempt(findLinks)
      if (failed === undefined) break
      // pip checks the hashes as it downloads (and picks among the files they allow): say which
      // wheel failed as our own check would.
      const mismatches = hashMismatchesFromPip(failed.failure.result.output)
      if (mismatches.length > 0) {
        throwHashProblems(
          hashProblems(
            set,
            mismatches.map((m) => ({
              file: m.file,
              project: m.project,
              digests: { sha256: m.sha256 }
            }))
          )
        )
      }
      const next = afterFailure(failed.missing, attempted, MAX_SOURCE_BUILDS)
      if (next.step === 'fail') throw failed.failure
      let missing = next.missing
      if (next.step === 'not-found') {
        throw new UserError(
          `${missing.project} was not found on the package index ${installer.name} used for ` +
            `${label}; check its name and the index settings (UV_INDEX_URL, PIP_INDEX_URL, ` +
            `--index-url in the requirements)`
        )
      }
      if (next.step === 'give-up') {
        throw new UserError(
          `${missing.project}: the wheel built from its source distribution did not satisfy ` +
            `${missing.requirement} for ${label}:\n${failed.failure.message}`
        )
      }
      attempted.add(missing.project)
      if (next.step === 'probe')
        missing = await probeVersions(missing, request, fetchArgs(set), installer, work, env)
      await buildPureWheel(missing, request, fetchArgs(set), installer, work, built, env)
      // A new wheel on find-links may change the whole resolution: start from an empty store.
      await rm(staging, { recursive: true, force: true })
      await mkdir(staging)
    }

    const files = await listWheels(staging)
    checkWheels(files, runtime, architecture, request)
    await checkHashes(set, staging, files)
    const wheels = await commitEntry(root, key, staging)
    core.info(`${label}: resolved ${wheels.length} wheel(s) into the wheel store (${key})`)
    return wheels
  } finally {
    await rm(work, { recursive: true, force: true })
    await rm(staging, { recursive: true, force: true })
  }
}

async function checkHashes(set: DependencySet, dir: string, files: string[]) {
  if (hashAlgorithms(set).length === 0) return
  const algorithms = [...new Set(['sha256', ...hashAlgorithms(set)])]
  const wheels = await Promise.all(
    files.map(async (file) => ({
      file,
      project: parseWheelName(file)?.project ?? file,
      digests: await fileDigests(join(dir, file), algorithms)
    }))
  )
  throwHashProblems(hashProblems(set, wheels))
}

function throwHashProblems(problems: readonly string[]): void {
  if (problems.length === 0) return
  throw new UserError(
    `${problems.length} wheel(s) fail the --hash check:\n${problems.map((p) => `  - ${p}`).join('\n')}`
  )
}
