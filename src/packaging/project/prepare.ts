// The project phase, before resolve: which file decides the dependencies, and what that file
// means as a pip requirements file for the resolve phase. A lone requirements.txt passes
// through untouched. A pyproject.toml becomes the requirements it declares; a uv.lock becomes
// its `uv export` for the function's member; local libraries become wheels built here and
// pinned through a `--find-links` folder. The result is keyed by the contents that decide it
// (lock, pyproject files, library files), hashed here without running uv, so a warm build runs
// no uv and reaches no network.
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative } from 'node:path'
import { CACHE_FORMAT_VERSION, INPUT } from '../../constants.js'
import { InputError, UserError } from '../../errors.js'
import type { RuntimeFacts } from '../../lambda-facts.js'
import { restoreStoreEntry, saveStoreEntry } from '../resolve/actions-cache.js'
import {
  findInstaller,
  lastLines,
  runTool,
  ToolFailure,
  type Env,
  type InstallerChoice
} from '../resolve/installer.js'
import {
  parseRequirements,
  type ParsedRequirements,
  type RequirementsReader
} from '../resolve/requirements.js'
import { defaultStoreRoot } from '../resolve/wheel-store.js'
import { normalizeProjectName } from '../resolve/wheel-tags.js'
import { decideDependencyFile, type Decision, type DependencyFile } from './discover.js'
import { buildLibrary, libraryDigest } from './local-libraries.js'
import { checkSelection, parsePyproject, selectedRequirements } from './pyproject.js'
import { pythonSatisfies } from './requires-python.js'
import { rewriteRequirements, type BuiltLibrary } from './rewrite.js'
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

const fsReader: RequirementsReader & { readText(path: string): string | undefined } = {
  readText(path) {
    try {
      return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined
    } catch {
      return undefined
    }
  },
  isDirectory(path) {
    try {
      return statSync(path).isDirectory()
    } catch {
      return false
    }
  }
}

/** Marks a project entry or a local-wheel folder as whole; written last. */
const COMPLETE = '.complete'
/** Maps library digests to the wheel built from them, inside a local-wheel folder. */
const LIBRARIES_FILE = 'libraries.json'

function sha256(parts: readonly string[]): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(`${part.length}:${part}\n`)
  return hash.digest('hex')
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
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

/** The local-library lines of a parsed requirements file, unique by path. */
function localPaths(parsed: ParsedRequirements): string[] {
  const paths = new Set<string>()
  for (const entry of [...parsed.requirements, ...parsed.constraints]) {
    if (!entry.local) continue
    const where = `${relative(dirname(parsed.root), entry.file) || basename(entry.file)}:${entry.line}`
    if (!existsSync(entry.local.path)) {
      throw new UserError(
        `${where}: "${entry.text}" names ${entry.local.path}, which does not exist; fix the path ` +
          '(a relative path is relative to the file that names it)'
      )
    }
    if (entry.local.editable) {
      core.notice(
        `${where}: ${entry.text} is installed as its built wheel (Lambda has no editable installs)`
      )
    }
    paths.add(entry.local.path)
  }
  return [...paths].sort()
}

/** `uv export` writes local paths relative to the lock's folder (`./libs/common`): make them absolute. */
export function absoluteExportPaths(text: string, lockDir: string): string {
  return text
    .split('\n')
    .map((line) => {
      const match = /^(\.{1,2}(?:\/[^\s;]*)?)(.*)$/.exec(line)
      return match ? `${join(lockDir, match[1] as string)}${match[2] as string}` : line
    })
    .join('\n')
}

interface Producer {
  /** Text of the requirements that need building, written to `file` by the caller. */
  produce(uvPath: string | undefined): Promise<string | { file: string }>
  /** Whether producing needs uv (a lock) or only the libraries do. */
  needsUv: boolean
}

export async function prepareDependencies(request: ProjectRequest): Promise<PreparedDependencies> {
  const env = request.env ?? process.env
  const workspace = request.workspace ?? (env.GITHUB_WORKSPACE || process.cwd())
  const decision = decideDependencyFile(
    { source: request.source, requirements: request.requirements, workspace },
    fsReader
  )
  for (const warning of decision.warnings) core.warning(warning)
  core.info(decision.reason)
  checkSelectionApplies(decision, request)
  const { decided } = decision
  const base = { kind: decided.kind, reason: decision.reason, localLibraries: [] as string[] }
  if (decided.kind === 'none') return base
  const root = request.storeRoot ?? defaultStoreRoot(env)
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
    const entry = await projectEntry(root, key, request, env, {
      needsUv: false,
      produce: async () => ({ file: decided.file })
    })
    return prepared(entry.file, entry.libraries)
  }

  if (decided.kind === 'pyproject') {
    const text = fsReader.readText(decided.file) as string
    const pyproject = parsePyproject(text, decided.file)
    checkRequiresPython(pyproject.requiresPython, decided.file, request.runtime)
    const lines = selectedRequirements(pyproject, decided.file, request.extras, request.groups)
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
    const entry = await projectEntry(root, key, request, env, {
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
    checkRequiresPython(pyproject.requiresPython, memberPyproject, request.runtime)
    checkSelection(pyproject, memberPyproject, request.extras, request.groups)
  }
  checkRequiresPython(decided.lock.requiresPython, decided.file, request.runtime)
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
  const entry = await projectEntry(root, key, request, env, {
    needsUv: true,
    produce: async (uvPath) => {
      const exported = await uvExport(
        uvPath as string,
        decided.file,
        decided.member.name,
        request,
        env
      )
      return absoluteExportPaths(exported, lockDir)
    }
  })
  return prepared(entry.file, entry.libraries)
}

function exportArgs(
  check: '--locked' | '--frozen',
  member: string,
  extras: readonly string[],
  groups: readonly string[]
): string[] {
  return [
    'export',
    check,
    // A miss must not fetch an interpreter: the check below copes without one.
    '--no-python-downloads',
    '--package',
    member,
    '--no-default-groups',
    '--no-editable',
    '--no-emit-project',
    '--no-header',
    '--no-annotate',
    ...extras.flatMap((extra) => ['--extra', extra]),
    ...groups.flatMap((group) => ['--group', group])
  ]
}

/** uv checks the lock against the pyproject files only with an interpreter that satisfies them. */
const NO_INTERPRETER = /interpreter|No Python|python requirement|requires-python/i

async function uvExport(
  uvPath: string,
  lockFile: string,
  member: string,
  request: ProjectRequest,
  env: Env
): Promise<string> {
  const exportWith = async (check: '--locked' | '--frozen') => {
    const args = exportArgs(check, member, request.extras, request.groups)
    const result = await runTool(uvPath, args, {
      env,
      cwd: dirname(lockFile),
      what: `uv ${args.join(' ')}`
    })
    const lines = result.stdout.split('\n').filter((line) => /^\S/.test(line)).length
    core.info(`uv export ${check} --package ${member}: ${lines} requirement(s)`)
    return result.stdout
  }
  try {
    return await exportWith('--locked')
  } catch (error) {
    if (!(error instanceof ToolFailure)) throw error
    const output = error.result.stderr || error.result.output
    if (/needs to be updated/i.test(output)) {
      throw new UserError(
        `${lockFile} no longer matches its pyproject.toml files: run \`uv lock\` and commit uv.lock ` +
          '(the locked versions are what ships, so a stale lock is refused)'
      )
    }
    if (!NO_INTERPRETER.test(output)) {
      throw new UserError(
        `uv export for ${member} from ${lockFile} failed:\n${lastLines(output, 10)}`
      )
    }
    core.warning(
      `${lockFile}: uv could not check that the lock matches its pyproject.toml files (it needs a ` +
        `Python that requires-python allows on this runner: ${lastLines(output, 1)}); the locked ` +
        `versions ship as they are. Set up ${request.runtime.name}'s Python (actions/setup-python) ` +
        'to have stale locks refused.'
    )
    return exportWith('--frozen')
  }
}

interface EntryResult {
  /** The rewritten top-level requirements file. */
  file: string
  libraries: string[]
}

/**
 * `<store>/projects/<key>/` holds the rewritten requirements (`0.txt`, its includes as `1.txt`
 * ...); `<store>/local-wheels/<digest>/` the wheels built from the libraries, keyed by their
 * contents alone, so a change in another member reuses them and resolve's key stays the same.
 */
async function projectEntry(
  root: string,
  key: string,
  request: ProjectRequest,
  env: Env,
  producer: Producer
): Promise<EntryResult> {
  const dir = join(root, 'projects', key)
  const cacheKey = `lambda-python-deploy-project-${CACHE_FORMAT_VERSION}-${key}`
  const stored = await readProjectEntry(dir)
  if (stored) return stored
  if (request.useActionsCache) {
    const wheelsDirs = join(root, 'local-wheels')
    if (await restoreStoreEntry([dir, wheelsDirs], cacheKey)) {
      const restored = await readProjectEntry(dir)
      if (restored) return restored
    }
  }

  const installer = await findInstaller(request.installer, env)
  if (installer.uvPath === undefined) {
    throw new UserError(
      `${producer.needsUv ? 'a uv.lock' : 'local libraries'} need uv to ` +
        `${producer.needsUv ? 'export the locked versions' : 'build them into wheels'}, and ` +
        `installer: ${request.installer} found none; set installer: auto or uv (astral-sh/setup-uv puts uv on PATH)`
    )
  }
  const produced = await producer.produce(installer.uvPath)
  await mkdir(join(root, 'projects'), { recursive: true })
  const staging = await mkdtemp(join(root, 'projects', '.staging-'))
  try {
    let sourceFile: string
    if (typeof produced === 'string') {
      sourceFile = join(staging, 'exported.txt')
      await writeFile(sourceFile, produced)
    } else {
      sourceFile = produced.file
    }
    const parsed = parseRequirements(sourceFile, fsReader, env, true)
    const libraries = localPaths(parsed)
    const digests = await Promise.all(libraries.map(libraryDigest))
    const wheelsDir = join(root, 'local-wheels', sha256(digests))
    const built = await localWheels(
      wheelsDir,
      libraries,
      digests,
      installer.uvPath,
      installer.host.python,
      env
    )
    const texts = new Map(parsed.files.map((file) => [file, fsReader.readText(file) ?? '']))
    const files = rewriteRequirements(parsed, texts, built, wheelsDir, dir, fsReader.isDirectory)
    for (const [file, text] of files) {
      await writeFile(join(staging, basename(file)), text)
    }
    await rm(join(staging, 'exported.txt'), { force: true })
    const libraryNames = [...built.values()].map((b) => `${b.project} ${b.version}`)
    await writeFile(join(staging, LIBRARIES_FILE), JSON.stringify(libraryNames))
    await writeFile(join(staging, COMPLETE), '')
    await rm(dir, { recursive: true, force: true })
    await rename(staging, dir)
    if (request.useActionsCache) await saveStoreEntry([dir, join(root, 'local-wheels')], cacheKey)
    return { file: join(dir, '0.txt'), libraries: libraryNames }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

async function readProjectEntry(dir: string): Promise<EntryResult | undefined> {
  if (!(await exists(join(dir, COMPLETE)))) return undefined
  try {
    const libraries = JSON.parse(await readFile(join(dir, LIBRARIES_FILE), 'utf8')) as string[]
    const findLinks = /^--find-links (.+)$/m.exec(await readFile(join(dir, '0.txt'), 'utf8'))?.[1]
    // The wheels it pins must still be there (a store cleaned by hand).
    if (findLinks === undefined || !(await exists(join(findLinks, COMPLETE)))) return undefined
    return { file: join(dir, '0.txt'), libraries }
  } catch {
    return undefined
  }
}

/** The wheels of `libraries` in `wheelsDir`, built once per set of contents. */
async function localWheels(
  wheelsDir: string,
  libraries: readonly string[],
  digests: readonly string[],
  uvPath: string,
  python: string,
  env: Env
): Promise<Map<string, BuiltLibrary>> {
  const byDigest = new Map<string, Omit<BuiltLibrary, 'path'>>()
  if (await exists(join(wheelsDir, COMPLETE))) {
    const listed = JSON.parse(await readFile(join(wheelsDir, LIBRARIES_FILE), 'utf8')) as Record<
      string,
      Omit<BuiltLibrary, 'path'>
    >
    for (const [digest, library] of Object.entries(listed)) byDigest.set(digest, library)
  }
  const missing = digests.some((digest) => !byDigest.has(digest))
  if (missing) {
    await mkdir(dirname(wheelsDir), { recursive: true })
    const staging = await mkdtemp(`${wheelsDir}.staging-`)
    try {
      const listed: Record<string, Omit<BuiltLibrary, 'path'>> = {}
      for (const [i, path] of libraries.entries()) {
        const { path: _path, ...library } = await buildLibrary(path, {
          uvPath,
          python,
          outDir: staging,
          env
        })
        void _path
        listed[digests[i] as string] = library
        byDigest.set(digests[i] as string, library)
        core.info(`local library ${relative(process.cwd(), path) || path}: built ${library.wheel}`)
      }
      await writeFile(join(staging, LIBRARIES_FILE), JSON.stringify(listed, null, 2))
      await writeFile(join(staging, COMPLETE), '')
      await rm(wheelsDir, { recursive: true, force: true })
      await rename(staging, wheelsDir)
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  }
  return new Map(
    libraries.map((path, i) => [
      path,
      { path, ...(byDigest.get(digests[i] as string) as Omit<BuiltLibrary, 'path'>) }
    ])
  )
}
