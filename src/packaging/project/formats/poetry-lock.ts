// poetry.lock (Poetry 2: lock-version 2.1, for `[tool.poetry]` and `[project]` projects alike),
// read here without Poetry: the lock records each package's groups and its markers per group,
// so the packages of the main group (and the groups and extras asked for) are chosen without a
// resolver, and their markers are judged for the target in resolve. The lock is current when its
// content-hash is the one Poetry computes from pyproject.toml (Locker._get_content_hash). Found
// beside the nearest pyproject.toml up from source, never in the working directory.
import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { UserError } from '../../../errors.js'
import { normalizeProjectName } from '../../pep/wheel-tags.js'
import {
  emptySet,
  type DependencyEntry,
  type DependencySet
} from '../../requirements/dependency-set.js'
import { pep508Entry } from '../../requirements/requirements-file.js'
import { isPackage, parsePyproject, type Pyproject } from '../pyproject.js'
import { pythonSatisfies } from '../requires-python.js'
import { addIndex, checkRequiresPython, ownProject } from './project-facts.js'
import { pythonJsonDumps } from './python-json.js'
import {
  nearerManifest,
  shown,
  type FormatContext,
  type FoundFormat,
  type ProjectFormat,
  cannotRead,
  namedReason
} from './format.js'
import { parseToml, table, type Table } from '../toml.js'

const FILE = 'poetry.lock'
const LOCK_FIX = 'run `poetry lock` and commit poetry.lock'

export interface PoetryPackage {
  name: string
  version: string
  /** Groups that need it (`main`, `dev`, ...). */
  groups: string[]
  /** Its marker: one for every group, or one per group; absent: always. */
  markers?: string | Record<string, string>
  files: { file: string; hash: string }[]
  /** `[package.source]`: `directory`, `file`, `url`, `git`, `legacy` (another index). */
  source?: { type: string; url: string; reference?: string }
  develop: boolean
}

export interface PoetryLock {
  lockVersion: string
  contentHash?: string
  /** `[metadata].python-versions`, in Poetry's constraint syntax (`^3.11`). */
  pythonVersions?: string
  packages: PoetryPackage[]
}

export function parsePoetryLock(text: string, file: string): PoetryLock {
  const doc = parseToml(text, file, LOCK_FIX)
  const metadata = table(doc.metadata)
  const packages = (Array.isArray(doc.package) ? doc.package : []).map((item): PoetryPackage => {
    const entry = table(item)
    const source = table(entry.source)
    const markers = entry.markers
    return {
      name: normalizeProjectName(String(entry.name)),
      version: String(entry.version),
      groups: Array.isArray(entry.groups) ? entry.groups.map(String) : [],
      ...(typeof markers === 'string' || (markers !== undefined && typeof markers === 'object')
        ? { markers: markers as string | Record<string, string> }
        : {}),
      files: (Array.isArray(entry.files) ? entry.files : []).map((f) => ({
        file: String(table(f).file),
        hash: String(table(f).hash).toLowerCase()
      })),
      ...(typeof source.type === 'string'
        ? {
            source: {
              type: source.type,
              url: String(source.url ?? ''),
              ...(typeof source.reference === 'string' ? { reference: source.reference } : {})
            }
          }
        : {}),
      develop: entry.develop === true
    }
  })
  return {
    lockVersion: String(metadata['lock-version'] ?? ''),
    ...(typeof metadata['content-hash'] === 'string'
      ? { contentHash: metadata['content-hash'] }
      : {}),
    ...(typeof metadata['python-versions'] === 'string'
      ? { pythonVersions: metadata['python-versions'] }
      : {}),
    packages
  }
}

/** Keys of `[tool.poetry]` the hash covers; the first four even when absent (as null). */
const LEGACY_KEYS = ['dependencies', 'source', 'extras', 'dev-dependencies']
const POETRY_KEYS = [...LEGACY_KEYS, 'group']
const PROJECT_KEYS = ['requires-python', 'dependencies', 'optional-dependencies']

/**
 * The content-hash Poetry writes into poetry.lock for this pyproject.toml. Poetry 2.3 added
 * `[dependency-groups]` to it; locks written before carry the hash without them.
 */
export function poetryContentHash(document: Table, withDependencyGroups: boolean): string {
  const project = table(document.project)
  const groups = withDependencyGroups ? table(document['dependency-groups']) : {}
  const poetry = table(table(document.tool).poetry)
  const projectContent: Table = {}
  for (const key of PROJECT_KEYS) if (project[key] !== undefined) projectContent[key] = project[key]
  const hasGroups = Object.keys(groups).length > 0
  const hasProject = Object.keys(projectContent).length > 0
  const poetryContent: Table = {}
  for (const key of POETRY_KEYS) {
    const value = poetry[key]
    if (value === undefined && (!LEGACY_KEYS.includes(key) || hasProject || hasGroups)) continue
    poetryContent[key] = value ?? null
  }
  let content: Table = {}
  if (hasProject) content.project = projectContent
  if (hasGroups) content['dependency-groups'] = groups
  if (Object.keys(content).length > 0) content.tool = { poetry: poetryContent }
  else content = poetryContent
  const json = pythonJsonDumps(content, { itemSeparator: ', ', keySeparator: ': ' })
  return createHash('sha256').update(json).digest('hex')
}

/**
 * Poetry's python constraint (`^3.10`, `~3.11`, `>=3.9,<4.0`, `3.11.*`, `>=3.9 || <2`) as PEP 440
 * alternatives: `^X.Y` is `>=X.Y,<X+1`, `~X.Y` is `>=X.Y,<X.Y+1`, a bare version is `==`.
 */
export function poetryPythonSpecifiers(constraint: string): string[] {
  return constraint.split('||').map((alternative) =>
    alternative
      .split(/\s*,\s*|\s+(?=[<>=!~^])/)
      .map((clause) => clause.trim())
      .filter((clause) => clause !== '' && clause !== '*')
      .map((clause) => {
        const caret = /^\^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(clause)
        if (caret) {
          const [major, minor] = [Number(caret[1]), Number(caret[2] ?? 0)]
          const upper = major > 0 ? `${major + 1}.0` : `0.${minor + 1}`
          return `>=${clause.slice(1).trim()},<${upper}`
        }
        const tilde = /^~(?!=)\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(clause)
        if (tilde) {
          const upper =
            tilde[2] === undefined
              ? `${Number(tilde[1]) + 1}`
              : `${tilde[1]}.${Number(tilde[2]) + 1}`
          return `>=${clause.slice(1).trim()},<${upper}`
        }
        return /^\d/.test(clause) ? `==${clause}` : clause
      })
      .join(',')
  )
}

/** The groups in pyproject.toml (`[tool.poetry.group.X]`, `[dependency-groups]`). */
function declaredGroups(pyproject: Pyproject): string[] {
  const poetryGroups = Object.keys(table(table(table(pyproject.document.tool).poetry).group))
  return [...new Set(['main', ...poetryGroups, ...Object.keys(pyproject.dependencyGroups)])]
    .map(normalizeProjectName)
    .sort()
}

/** The extras in pyproject.toml (`[tool.poetry.extras]`, `[project.optional-dependencies]`). */
function declaredExtras(pyproject: Pyproject): string[] {
  const poetryExtras = Object.keys(table(table(table(pyproject.document.tool).poetry).extras))
  return [...new Set([...poetryExtras, ...Object.keys(pyproject.optionalDependencies)])]
    .map(normalizeProjectName)
    .sort()
}

function checkSelection(pyproject: Pyproject, where: string, context: FormatContext): void {
  const known = (names: string[]) => (names.length > 0 ? names.join(', ') : 'none')
  const groups = declaredGroups(pyproject)
  for (const group of context.groups) {
    if (!groups.includes(normalizeProjectName(group))) {
      throw new UserError(
        `groups: ${where} has no dependency group "${group}" (it has: ${known(groups)})`
      )
    }
  }
  const extras = declaredExtras(pyproject)
  for (const extra of context.extras) {
    if (!extras.includes(normalizeProjectName(extra))) {
      throw new UserError(`extras: ${where} has no extra "${extra}" (it has: ${known(extras)})`)
    }
  }
}

/**
 * The marker that selects `pkg` for the chosen groups: the disjunction of its per-group markers;
 * '' when one of those groups needs it everywhere; undefined when no chosen group needs it.
 */
export function selectedMarker(pkg: PoetryPackage, groups: readonly string[]): string | undefined {
  const chosen = pkg.groups.filter((g) => groups.includes(normalizeProjectName(g)))
  if (chosen.length === 0) return undefined
  const markers = chosen.map((group) =>
    pkg.markers === undefined
      ? ''
      : typeof pkg.markers === 'string'
        ? pkg.markers
        : (pkg.markers[group] ?? '')
  )
  if (markers.includes('')) return ''
  const unique = [...new Set(markers)]
  return unique.length === 1 ? (unique[0] as string) : unique.map((m) => `(${m})`).join(' or ')
}

/**
 * Credentials for a Poetry source come from the environment as Poetry reads them in CI:
 * `POETRY_HTTP_BASIC_<NAME>_USERNAME` and `_PASSWORD`.
 */
function indexUrl(url: string, reference: string | undefined, context: FormatContext): string {
  if (reference === undefined) return url
  const name = reference.toUpperCase().replace(/[^A-Z0-9]/g, '_')
  const user = context.env[`POETRY_HTTP_BASIC_${name}_USERNAME`]
  const password = context.env[`POETRY_HTTP_BASIC_${name}_PASSWORD`]
  if (!user || !/^https?:\/\//.test(url) || url.includes('@')) return url
  const credentials =
    encodeURIComponent(user) + (password ? `:${encodeURIComponent(password)}` : '')
  return url.replace(/^(https?:\/\/)/, `$1${credentials}@`)
}

function entry(
  pkg: PoetryPackage,
  marker: string,
  where: string,
  lockDir: string,
  set: DependencySet,
  context: FormatContext
): DependencyEntry {
  const at = `${where} (${pkg.name} ${pkg.version})`
  const suffix = marker === '' ? '' : ` ; ${marker}`
  const hashes = pkg.files.map((f) => f.hash)
  const source = pkg.source
  if (source?.type === 'git') {
    throw new UserError(
      `${at}: a git dependency cannot be cached by content or cross-built for Lambda; publish it ` +
        'to an index, or build its wheel and name it by path in pyproject.toml'
    )
  }
  if (source?.type === 'directory' || source?.type === 'file') {
    const base = pep508Entry(`${pkg.name}==${pkg.version}${suffix}`, at, lockDir)
    return {
      ...base,
      local: { path: join(lockDir, source.url), extras: '', marker, editable: pkg.develop }
    }
  }
  if (source?.type === 'url') {
    return { ...pep508Entry(`${pkg.name} @ ${source.url}${suffix}`, at, lockDir, hashes) }
  }
  if (source?.type === 'legacy') addIndex(set, indexUrl(source.url, source.reference, context))
  return {
    ...pep508Entry(`${pkg.name}==${pkg.version}${suffix}`, at, lockDir, hashes),
    files: pkg.files.map((f) => f.file)
  }
}

function found(
  file: string,
  pyprojectFile: string,
  context: FormatContext,
  reason: string
): FoundFormat {
  const where = shown(file, context.workspace)
  const lockDir = dirname(file)
  return {
    kind: 'poetry-lock',
    file,
    reason,
    reads: [pyprojectFile],
    selects: true,
    read: () => {
      const pyprojectShown = shown(pyprojectFile, context.workspace)
      const pyproject = parsePyproject(context.files.readText(pyprojectFile) ?? '', pyprojectShown)
      const lock = parsePoetryLock(context.files.readText(file) ?? '', where)
      if (!/^2\.(?:[1-9]|\d{2,})/.test(lock.lockVersion)) {
        throw new UserError(
          `${where} has lock-version ${lock.lockVersion || '(none)'}, written by Poetry 1.x, which ` +
            "does not record each package's groups and markers: run `poetry lock` with Poetry 2 " +
            '(it keeps the locked versions) and commit poetry.lock'
        )
      }
      const fresh =
        lock.contentHash !== undefined &&
        [true, false].some(
          (groups) => poetryContentHash(pyproject.document, groups) === lock.contentHash
        )
      if (!fresh) {
        throw new UserError(
          `${where} no longer matches ${pyprojectShown} (its content-hash is not the one Poetry ` +
            `computes from the file): ${LOCK_FIX} (the locked versions are what ships, so a stale ` +
            'lock is refused)'
        )
      }
      checkRequiresPython(pyproject.requiresPython, pyprojectShown, context.runtime)
      const python = pyproject.poetry?.python ?? lock.pythonVersions
      if (python !== undefined && !pyproject.requiresPython) {
        const holds = poetryPythonSpecifiers(python).some(
          (spec) =>
            spec === '' || pythonSatisfies(spec, context.runtime.pythonVersion, pyprojectShown)
        )
        if (!holds) {
          throw new UserError(
            `${pyprojectShown} allows python ${python}, which ${context.runtime.name} (Python ` +
              `${context.runtime.pythonVersion}) does not satisfy; build for a runtime it allows, or change it`
          )
        }
      }
      checkSelection(pyproject, pyprojectShown, context)
      const groups = ['main', ...context.groups].map(normalizeProjectName)
      const extras = context.extras.map(normalizeProjectName)
      const set = emptySet()
      set.lock = {
        file: where,
        extras,
        groups,
        noWheelAdvice: 'pin a version that has one in pyproject.toml and run `poetry lock`'
      }
      for (const pkg of lock.packages) {
        const marker = selectedMarker(pkg, groups)
        if (marker === undefined) continue
        set.requirements.push(entry(pkg, marker, where, lockDir, set, context))
      }
      // pip's hash-checking mode when every download has hashes (local libraries get theirs
      // when they are built; a `url` source may have none).
      set.hashMode = set.requirements.every((e) => e.local !== undefined || e.hashes.length > 0)
      if (isPackage(pyproject)) set.requirements.push(ownProject(lockDir, pyprojectShown))
      return Promise.resolve(set)
    }
  }
}

export const poetryLock: ProjectFormat = {
  kind: 'poetry-lock',
  names: (file) => basename(file) === FILE,
  find(dir, context) {
    const file = join(dir, FILE)
    const pyproject = join(dir, 'pyproject.toml')
    if (
      context.files.readText(file) === undefined ||
      context.files.readText(pyproject) === undefined
    ) {
      return undefined
    }
    if (nearerManifest(dir, context.source, 'pyproject.toml', context.files)) return undefined
    const where = shown(file, context.workspace)
    const covers =
      dir === context.source
        ? 'it is in source'
        : `its project (${shown(dir, context.workspace)}) holds source ${shown(context.source, context.workspace)}`
    return found(file, pyproject, context, `${where} decides: ${covers}`)
  },
  named(file, context) {
    const pyproject = join(dirname(file), 'pyproject.toml')
    if (context.files.readText(file) === undefined) {
      throw cannotRead(file)
    }
    if (context.files.readText(pyproject) === undefined) {
      throw new UserError(
        `requirements: ${shown(file, context.workspace)} has no pyproject.toml beside it; a poetry.lock ` +
          'is read with the pyproject.toml it locks'
      )
    }
    return found(file, pyproject, context, namedReason(file, context))
  }
}
