// The project phase, before resolve: which file decides (discover.ts), its format's adapter
// (formats/) reads it into the normalised dependency set, and the local libraries it names (and
// the project itself, when it is a package) are built into wheels and pinned through one
// `--find-links` folder. Resolve gets the set and nothing else. A warm build runs no tool here:
// the formats are read directly, a uv.lock's export is kept in the project store, and local
// wheels are keyed by their libraries' contents.
import * as core from '@actions/core'
import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import { INPUT } from '../../constants.js'
import { InputError, UserError } from '../../errors.js'
import type { RuntimeFacts } from '../../lambda-facts.js'
import { relayInert } from '../../report/log.js'
import {
  emptySet,
  type DependencyEntry,
  type DependencySet
} from '../requirements/dependency-set.js'
import { fsReader } from '../requirements/fs-reader.js'
import type { CacheRestorePolicy } from '../stores/actions-cache.js'
import { keptSet, localWheels, type StoreOptions } from '../stores/project-store.js'
import { defaultStoreRoot } from '../stores/wheel-store.js'
import { projectTools } from '../tools/open-installer.js'
import type { Env, InstallerChoice } from '../tools/run-tool.js'
import { checkNotEmpty, decideFormat, type Decision } from './discover.js'
import type { DependencyKind, FormatContext, FormatTools } from './formats/format.js'
import { buildLibrary, libraryDigest } from './local-libraries.js'

export interface ProjectRequest {
  /** Absolute. */
  source: string
  /** The `requirements` input, absolute, when set. */
  requirements?: string
  extras: string[]
  groups: string[]
  runtime: RuntimeFacts
  installer: InstallerChoice
  useActionsCache: boolean
  /** Which restored Actions-cache entries may be used (default `any`). */
  cacheRestore?: CacheRestorePolicy
  /** Where the search for a lock stops; defaults to GITHUB_WORKSPACE, else the working directory. */
  workspace?: string
  storeRoot?: string
  /** Folders inside source that are not the project's contents (the output-dir). */
  excludePaths?: string[]
  env?: Env
}

export interface PreparedDependencies {
  /** What resolve and the closure check read; no entry is local any more. */
  set: DependencySet
  /** The file that decided, absolute; undefined when none did. */
  decidedBy?: string
  kind: DependencyKind | 'none'
  /** Which file decided and why, for the log and the job summary. */
  reason: string
  /** Local libraries built into wheels (`common 0.1.0`), for the log and the summary. */
  localLibraries: string[]
  /** Wheels built from source itself (the project is a package): their files are in source too. */
  ownWheels: string[]
}

/** extras and groups only mean something for a project file: never dropped silently. */
function checkSelectionApplies(decision: Decision, request: ProjectRequest): void {
  if (decision.found?.selects) return
  const what = decision.found ? decision.reason : 'no dependency file was found'
  for (const [input, values] of [
    [INPUT.extras, request.extras],
    [INPUT.groups, request.groups]
  ] as const) {
    if (values.length > 0) {
      throw new InputError(
        input,
        `applies to a project file or lock (pyproject.toml, uv.lock, poetry.lock, Pipfile.lock, pylock.toml), but ${what}; remove ${input} or point requirements at the project file.`
      )
    }
  }
}

/** Builds every local entry of `set` into its wheel; the set then pins them instead. */
async function buildLocalLibraries(
  set: DependencySet,
  request: ProjectRequest,
  store: StoreOptions,
  env: Env
): Promise<{ set: DependencySet; libraries: string[]; ownWheels: string[] }> {
  const locals = set.requirements.filter(
    (e): e is DependencyEntry & Required<Pick<DependencyEntry, 'local'>> => e.local !== undefined
  )
  if (locals.length === 0) return { set, libraries: [], ownWheels: [] }
  for (const entry of locals) {
    if (!existsSync(entry.local.path)) {
      throw new UserError(
        `${entry.where}: "${entry.text}" names ${entry.local.path}, which does not exist; fix the ` +
          'path (a relative path is relative to the file that names it)'
      )
    }
    if (entry.local.editable) {
      core.notice(
        `${entry.where}: ${entry.text} is installed as its built wheel (Lambda has no editable installs)`
      )
    }
  }
  const paths = [...new Set(locals.map((e) => e.local.path))].sort()
  const libraries = await Promise.all(
    paths.map(async (path) => ({ path, digest: await libraryDigest(path, request.excludePaths) }))
  )
  let tools: { python: string; uvPath?: string } | undefined
  const own = new Set(locals.filter((e) => e.local.own).map((e) => e.local.path))
  const { dir, built } = await localWheels(store, libraries, async (path, outDir) => {
    tools ??= await projectTools(request.installer, env, defaultStoreRoot(env))
    const library = await buildLibrary(path, { ...tools, outDir, env })
    const what = own.has(path) ? 'the project itself' : 'local library'
    relayInert(`${what} ${relative(process.cwd(), path) || path}: built ${library.wheel}`)
    return library
  })
  const ownWheels: string[] = []
  const names = new Map<string, string>()
  const requirements = set.requirements.map((entry): DependencyEntry => {
    if (!entry.local) return entry
    const library = built.get(entry.local.path)
    if (!library) throw new Error(`no wheel was built for ${entry.local.path}`)
    const itself = entry.local.own === true
    if (itself) ownWheels.push(library.wheel)
    names.set(
      library.wheel,
      `${library.project} ${library.version}${itself ? ' (the project itself)' : ''}`
    )
    const requirement = `${library.project}${entry.local.extras}==${library.version}`
    return {
      requirement,
      options: [],
      text: requirement,
      project: library.project,
      hashes: set.hashMode ? [`sha256:${library.sha256}`] : [],
      marker: entry.local.marker,
      markerVariables: entry.markerVariables,
      extras: entry.extras,
      where: entry.where
    }
  })
  const unique = requirements.filter(
    (entry, i) =>
      entry.project === undefined ||
      requirements.findIndex(
        (other) => other.requirement === entry.requirement && other.marker === entry.marker
      ) === i
  )
  return {
    set: {
      ...set,
      requirements: unique,
      options: [{ option: '--find-links', value: dir, shown: dir }, ...set.options]
    },
    libraries: [...names.values()].sort(),
    ownWheels
  }
}

export async function prepareDependencies(request: ProjectRequest): Promise<PreparedDependencies> {
  const env = request.env ?? process.env
  const context: FormatContext = {
    source: request.source,
    workspace: request.workspace ?? (env.GITHUB_WORKSPACE || process.cwd()),
    extras: request.extras,
    groups: request.groups,
    runtime: request.runtime,
    env,
    files: fsReader
  }
  const decision = decideFormat(context, request.requirements)
  for (const warning of decision.warnings) core.warning(warning)
  relayInert(decision.reason)
  checkSelectionApplies(decision, request)
  const empty = {
    set: emptySet(),
    kind: 'none' as const,
    reason: decision.reason,
    localLibraries: [],
    ownWheels: []
  }
  const { found } = decision
  if (!found) {
    checkNotEmpty(empty.set, decision, context)
    return empty
  }
  const store: StoreOptions = {
    root: request.storeRoot ?? defaultStoreRoot(env),
    useActionsCache: request.useActionsCache,
    cacheRestore: request.cacheRestore ?? 'any'
  }
  const tools: FormatTools = {
    async uv() {
      const { uvPath } = await projectTools(request.installer, env, defaultStoreRoot(env))
      if (uvPath === undefined) {
        throw new UserError(
          `a uv.lock needs uv to export the locked versions, and installer: ${request.installer} ` +
            'found none; set installer: auto or uv (astral-sh/setup-uv puts uv on PATH)'
        )
      }
      return uvPath
    },
    kept: (keyParts, produce, problems) => keptSet(store, keyParts, produce, problems)
  }
  const declared = await found.read(tools)
  checkNotEmpty(declared, decision, context)
  for (const secret of declared.secrets) core.setSecret(secret)
  const { set, libraries, ownWheels } = await buildLocalLibraries(declared, request, store, env)
  return {
    set,
    decidedBy: found.file,
    kind: found.kind,
    reason: decision.reason,
    localLibraries: libraries,
    ownWheels
  }
}
