// Resolve stage: requirements → wheels that load on (runtime, architecture), through the
// wheel store and the Actions cache. The decisions live in the pure modules beside this one.
import * as core from '@actions/core'
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, isAbsolute, join, resolve as resolvePath } from 'node:path'
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
import {
  findCredentials,
  hashAlgorithms,
  hashProblems,
  hostMarkerWarnings,
  normalizedRequirements,
  parseRequirements,
  type ParsedRequirements
} from '../requirements/requirements-file.js'
import { afterFailure } from '../tools/sdist.js'
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
  /** Absolute; undefined = no dependencies (resolve nothing, cacheHit true). */
  requirementsFile?: string
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
  const file =
    request.requirementsFile === undefined ? undefined : resolvePath(request.requirementsFile)
  const nothing: ResolvedWheels = {
    wheels: [],
    cacheKey: '',
    cacheHit: true,
    installer: { name: request.installer === 'pip' ? 'pip' : 'uv', version: '' },
    warnings: [],
    secrets: []
  }
  if (file === undefined) return nothing

  const secrets = new Set<string>()
  const mask = (found: readonly string[]) => {
    for (const secret of found) {
      if (!secrets.has(secret)) core.setSecret(secret)
      secrets.add(secret)
    }
  }
  const parsed = parseRequirements(file, fsReader, env)
  mask(parsed.secrets)
  if (parsed.requirements.length === 0) {
    relayInert(`${file} lists no requirements: no dependencies to resolve`)
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
    parsed,
    request.toolCache ?? defaultStoreRoot(env),
    (path) => (bootstrappedUv = path)
  )

  const pipFindLinks = parsePipConfigList(configText)
    .filter(([key]) => key.endsWith('.find-links'))
    .flatMap(([, value]) => value.split(/\s+/))
  const uvFindLinks = installer.name === 'uv' ? (env.UV_FIND_LINKS ?? '').split(/[\s,]+/) : []
  const findLinksListing = await listFindLinks([
    ...parsed.localFindLinks,
    ...localDirectories([...pipFindLinks, ...uvFindLinks].filter(Boolean))
  ])

  const ladder = platformTags(request.runtime, request.architecture, request)
  const keyInput = {
    requirements: normalizedRequirements(parsed),
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
      ? hostMarkerWarnings(parsed, host, request.runtime, request.architecture)
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
    mayRestore(request.cacheRestore ?? 'any', parsed, targetLabel(request)) &&
    (await restoreStoreEntry(entryDir(root, key), key))
  ) {
    const restored = await restoredEntry(root, key, request, parsed)
    if (restored) {
      core.info(
        `${targetLabel(request)}: ${restored.length} wheel(s) from the Actions cache (${key})`
      )
      return result(restored, true)
    }
  }

  const wheels = await resolveFresh(request, parsed, installer, root, key, env)
  if (request.useActionsCache) await saveStoreEntry(entryDir(root, key), key)
  return result(wheels, false)
}

/** Whether an entry restored from the Actions cache could be used at all: the policy, said once. */
function mayRestore(
  policy: CacheRestorePolicy,
  parsed: ParsedRequirements,
  label: string
): boolean {
  if (policy === 'any' || (policy === 'hashed' && parsed.hashMode)) return true
  core.info(
    policy === 'none'
      ? `${label}: the Actions cache is not read (cache-in-deploy: none)`
      : `${label}: the Actions cache is not read: the requirements pin no hashes, so nothing ` +
          'could check an entry whoever wrote it (cache-in-deploy: hashed)'
  )
  return false
}

/**
 * An entry just restored from the Actions cache, checked as if its wheels entered the store
 * now: its manifest came with it, so neither that manifest's sha256s nor its record of the
 * zip check prove anything. Each wheel is read as pip reads it, and held to the requirements'
 * hashes when there are any. A refused entry is removed: the resolve runs instead.
 */
async function restoredEntry(
  root: string,
  key: string,
  request: ResolveRequest,
  parsed: ParsedRequirements
): Promise<string[] | undefined> {
  const wheels = await usableEntry(root, key, request)
  if (!wheels) return undefined
  try {
    for (const wheel of wheels) await verifyWheel(wheel)
    await checkHashes(
      parsed,
      entryDir(root, key),
      wheels.map((wheel) => basename(wheel))
    )
    return wheels
  } catch (error) {
    core.warning(`Actions cache entry ${key} refused: ${errorMessage(error)}; resolving instead`)
    await removeEntry(root, key)
    return undefined
  }
}

/** The stored wheels for `key` when the entry is whole and every wheel loads; else undefined. */
async function usableEntry(
  root: string,
  key: string,
  request: ResolveRequest
): Promise<string[] | undefined> {
  const entry = await readEntry(root, key)
  if (entry.state === 'missing') return undefined
  if (entry.state === 'corrupt') {
    core.warning(`Wheel store entry ${key} is damaged (${entry.reason}); resolving again`)
    await removeEntry(root, key)
    return undefined
  }
  const problems = wheelProblems(entry.wheels, request.runtime, request.architecture, request)
  if (problems.length > 0) {
    core.warning(`Wheel store entry ${key} holds wheels that do not load; resolving again`)
    await removeEntry(root, key)
    return undefined
  }
  return entry.wheels
}

async function resolveFresh(
  request: ResolveRequest,
  parsed: ParsedRequirements,
  installer: InstallerAdapter,
  root: string,
  key: string,
  env: Env
): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'lambda-python-deploy-'))
  const staging = await createStaging(root, key)
  const built = join(work, 'built')
  await mkdir(built)
  const attempted = new Set<string>()
  const { runtime, architecture } = request
  const goal: Target = { runtime, architecture, allowLinuxWheels: request.allowLinuxWheels }
  const label = targetLabel(request)
  /** Pin for the target, then fetch; the step that failed and what it said, if one did. */
  const attempt = async (findLinks: string[]) => {
    let step: 'pin' | 'fetch' = 'pin'
    try {
      const pinned = await installer.pin(goal, {
        requirementsFile: parsed.root,
        findLinks,
        work
      })
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
        missing = await probeVersions(missing, request, parsed, installer, work, env)
      await buildPureWheel(missing, request, parsed, installer, work, built, env)
      // A new wheel on find-links may change the whole resolution: start from an empty store.
      await rm(staging, { recursive: true, force: true })
      await mkdir(staging)
    }

    const files = await listWheels(staging)
    checkWheels(files, runtime, architecture, request)
    await checkHashes(parsed, staging, files)
    const wheels = await commitEntry(root, key, staging)
    core.info(`${label}: resolved ${wheels.length} wheel(s) into the wheel store (${key})`)
    return wheels
  } finally {
    await rm(work, { recursive: true, force: true })
    await rm(staging, { recursive: true, force: true })
  }
}

async function checkHashes(parsed: ParsedRequirements, dir: string, files: string[]) {
  // Any `--hash` turns hash-checking mode on.
  if (!parsed.hashMode) return
  const algorithms = [...new Set(['sha256', ...hashAlgorithms(parsed)])]
  const wheels = await Promise.all(
    files.map(async (file) => ({
      file,
      project: parseWheelName(file)?.project ?? file,
      digests: await fileDigests(join(dir, file), algorithms)
    }))
  )
  const problems = hashProblems(parsed, wheels)
  if (problems.length > 0) {
    throw new UserError(
      `${problems.length} wheel(s) fail the --hash check:\n${problems.map((p) => `  - ${p}`).join('\n')}`
    )
  }
}
