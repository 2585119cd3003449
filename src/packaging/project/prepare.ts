// The project phase, before resolve: which file decides the dependencies, and what that file
// means as a pip requirements file for the resolve phase. A lone requirements.txt passes
// through untouched. A pyproject.toml becomes the requirements it declares; a uv.lock becomes
// its `uv export` for the function's member; local libraries become wheels built here and
// pinned through a `--find-links` folder. The result is keyed by the contents that decide it
// (lock, pyproject files, library files), hashed here without running uv, so a warm build runs
// no uv and reaches no network.
import * as core from '@actions/core'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { INPUT } from '../../constants.js'
import { InputError, UserError } from '../../errors.js'
import type { RuntimeFacts } from '../../lambda-facts.js'
import { relayInert } from '../../report/log.js'
import type { Env, InstallerChoice } from '../tools/run-tool.js'
import type { CacheRestorePolicy } from '../stores/actions-cache.js'
import { parseRequirements } from '../requirements/requirements-file.js'
import { defaultStoreRoot } from '../stores/wheel-store.js'
import { normalizeProjectName } from '../pep/wheel-tags.js'
import { decideDependencyFile, shown, type Decision, type DependencyFile } from './discover.js'
import { libraryDigest, localPaths } from './local-libraries.js'
import { fsReader } from '../requirements/fs-reader.js'
import { projectEntry, sha256 } from './project-store.js'
import { checkSelection, parsePyproject, selectedRequirements } from './pyproject.js'
import { pythonSatisfies } from './requires-python.js'
import { absoluteExportPaths, uvExport } from '../tools/uv-export.js'
import { localClosure, lockMembers } from './uv-lock.js'

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
  /** Where the uv.lock search stops; defaults to GITHUB_WORKSPACE, else the working directory. */
  workspace?: string
  storeRoot?: string
  env?: Env
}

export interface PreparedDependencies {
  /** What resolveWheels reads; undefined: no dependencies. */
  requirementsFile?: string
  /** The file that decided, absolute; undefined when none did. */
  decidedBy?: string
  kind: DependencyFile['kind']
  /** Which file decided and why, for the log and the job summary. */
  reason: string
  /** Local libraries built into wheels (project names), for the log and the summary. */
  localLibraries: string[]
}

function checkRequiresPython(
  specifier: string | undefined,
  file: string,
  runtime: RuntimeFacts
): void {
  if (specifier === undefined || pythonSatisfies(specifier, runtime.pythonVersion, file)) return
  throw new UserError(
    `${file} has requires-python = "${specifier}", which ${runtime.name} (Python ` +
      `${runtime.pythonVersion}) does not satisfy; build for a runtime it allows, or change requires-python`
  )
}

/** extras and groups only mean something for a project file: never dropped silently. */
function checkSelectionApplies(decision: Decision, request: ProjectRequest): void {
  const { kind } = decision.decided
  if (kind === 'pyproject' || kind === 'uv-lock') return
  const what = kind === 'none' ? 'no dependency file was found' : decision.reason
  if (request.extras.length > 0) {
    throw new InputError(
      INPUT.extras,
      `applies to a pyproject.toml or uv.lock, but ${what}; remove extras or point requirements at the project file.`
    )
  }
  if (request.groups.length > 0) {
    throw new InputError(
      INPUT.groups,
      `applies to a pyproject.toml or uv.lock, but ${what}; remove groups or point requirements at the project file.`
    )
  }
}

export async function prepareDependencies(request: ProjectRequest): Promise<PreparedDependencies> {
  const env = request.env ?? process.env
  const workspace = request.workspace ?? (env.GITHUB_WORKSPACE || process.cwd())
  const decision = decideDependencyFile(
    { source: request.source, requirements: request.requirements, workspace },
    fsReader
  )
  for (const warning of decision.warnings) core.warning(warning)
  relayInert(decision.reason)
  checkSelectionApplies(decision, request)
  const { decided } = decision
  const base = { kind: decided.kind, reason: decision.reason, localLibraries: [] as string[] }
  if (decided.kind === 'none') return base
  const root = request.storeRoot ?? defaultStoreRoot(env)
  const entryOptions = {
    installer: request.installer,
    useActionsCache: request.useActionsCache,
    cacheRestore: request.cacheRestore ?? 'any',
    env
  }
  const prepared = (requirementsFile: string, localLibraries: string[] = []) => ({
    ...base,
    decidedBy: decided.file,
    requirementsFile,
    localLibraries
  })

  if (decided.kind === 'requirements') {
    const parsed = parseRequirements(decided.file, fsReader, env, true)
    const libraries = localPaths(parsed)
    // No local library: the file goes to resolve as it is, byte for byte.
    if (libraries.length === 0) return prepared(decided.file)
    const texts = parsed.files.map((file) => `${file}\n${fsReader.readText(file) ?? ''}`)
    const key = sha256([
      'requirements',
      ...texts,
      ...(await Promise.all(libraries.map(libraryDigest)))
    ])
    const entry = await projectEntry(root, key, entryOptions, {
      needsUv: false,
      produce: async () => ({ file: decided.file })
    })
    return prepared(entry.file, entry.libraries)
  }

  if (decided.kind === 'pyproject') {
    const text = fsReader.readText(decided.file) as string
    const pyproject = parsePyproject(text, decided.file)
    checkRequiresPython(pyproject.requiresPython, shown(decided.file, workspace), request.runtime)
    const lines = selectedRequirements(
      pyproject,
      shown(decided.file, workspace),
      request.extras,
      request.groups
    )
    const projectDir = dirname(decided.file)
    const requirementLines = lines.map((line) => {
      const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line)?.[1]
      const project = name === undefined ? undefined : normalizeProjectName(name)
      if (project !== undefined && pyproject.workspaceSources.includes(project)) {
        throw new UserError(
          `${decided.file}: ${name} comes from the uv workspace, which only a uv.lock describes; ` +
            'run `uv lock` and commit uv.lock'
        )
      }
      const source = project === undefined ? undefined : pyproject.pathSources[project]
      if (source === undefined) return line
      // `common[x]>=1 ; marker` with a path source: the path, its extras and marker.
      const extras = /^\s*[A-Za-z0-9._-]+\s*(\[[^\]]*\])?/.exec(line)?.[1] ?? ''
      const marker = line.includes(';') ? ` ; ${line.slice(line.indexOf(';') + 1).trim()}` : ''
      return `${join(projectDir, source.path)}${extras}${marker}`
    })
    const generated = `${requirementLines.join('\n')}\n`
    const sourceFile = join(root, 'projects', `pyproject-${sha256([decided.file, generated])}.txt`)
    if (fsReader.readText(sourceFile) !== generated) {
      await mkdir(dirname(sourceFile), { recursive: true })
      const staging = `${sourceFile}.${process.pid}.tmp`
      await writeFile(staging, generated)
      await rename(staging, sourceFile)
    }
    const parsed = parseRequirements(sourceFile, fsReader, env, true)
    const libraries = localPaths(parsed)
    if (libraries.length === 0) return prepared(sourceFile)
    const key = sha256([
      'pyproject',
      generated,
      ...(await Promise.all(libraries.map(libraryDigest)))
    ])
    const entry = await projectEntry(root, key, entryOptions, {
      needsUv: false,
      produce: async () => ({ file: sourceFile })
    })
    return prepared(entry.file, entry.libraries)
  }

  // uv.lock: the key covers the lock, every member's pyproject.toml (a stale lock must fail,
  // so any edit reruns `uv export --locked`) and the contents of the libraries the member needs.
  const lockDir = dirname(decided.file)
  const memberPyproject = join(decided.member.dir, 'pyproject.toml')
  const memberText = fsReader.readText(memberPyproject)
  if (memberText !== undefined) {
    const pyproject = parsePyproject(memberText, memberPyproject)
    checkRequiresPython(
      pyproject.requiresPython,
      shown(memberPyproject, workspace),
      request.runtime
    )
    checkSelection(pyproject, shown(memberPyproject, workspace), request.extras, request.groups)
  }
  checkRequiresPython(decided.lock.requiresPython, shown(decided.file, workspace), request.runtime)
  const pyprojects = [
    ...new Set([lockDir, ...lockMembers(decided.lock, lockDir).map((m) => m.dir)])
  ].map((dir) => {
    const file = join(dir, 'pyproject.toml')
    return `${relative(lockDir, file)}\n${fsReader.readText(file) ?? ''}`
  })
  const closure = localClosure(
    decided.lock,
    lockDir,
    decided.member.name,
    request.extras,
    request.groups
  )
  const key = sha256([
    'uv-lock',
    fsReader.readText(decided.file) as string,
    decided.member.name,
    request.extras.map(normalizeProjectName).sort().join(','),
    request.groups.map(normalizeProjectName).sort().join(','),
    ...pyprojects,
    ...(await Promise.all(closure.map(async (p) => `${p.name} ${await libraryDigest(p.path)}`)))
  ])
  const entry = await projectEntry(root, key, entryOptions, {
    needsUv: true,
    produce: async (uvPath) => {
      const exported = await uvExport({
        uvPath,
        lockFile: decided.file,
        member: decided.member.name,
        extras: request.extras,
        groups: request.groups,
        runtimeName: request.runtime.name,
        env
      })
      return absoluteExportPaths(exported, lockDir)
    }
  })
  return prepared(entry.file, entry.libraries)
}
