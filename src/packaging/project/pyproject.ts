// What a pyproject.toml says about dependencies: `[project].dependencies`, its optional
// dependencies (extras), PEP 735 dependency groups, `requires-python`, uv's path sources,
// Poetry's own tables, and whether the project is itself a package. Pure: text in, facts out
// (TOML read with smol-toml).
import { UserError } from '../../errors.js'
import { normalizeProjectName } from '../pep/wheel-tags.js'
import { parseToml, table, type Table } from './toml.js'

export interface Pyproject {
  /** `[project].name`, as written; undefined for a workspace root without a project. */
  name?: string
  requiresPython?: string
  dependencies: string[]
  /** Normalised extra name → requirements. */
  optionalDependencies: Record<string, string[]>
  /** Group name → entries: a requirement, or `{ include-group }`. */
  dependencyGroups: Record<string, (string | { 'include-group': string })[]>
  /** `[tool.uv.sources]` entries that name a local path: normalised project → path. */
  pathSources: Record<string, { path: string; editable: boolean }>
  /** `[tool.uv.sources]` entries with `workspace = true`. */
  workspaceSources: string[]
  /** `[tool.uv.workspace].members` globs, when this file is a workspace root. */
  workspaceMembers?: string[]
  /** `[build-system]` is there: a standard build front end can build it. */
  buildSystem: boolean
  /** `[tool.uv].package`, when set. */
  uvPackage?: boolean
  /** Poetry's view, when the file has `[tool.poetry]` or Poetry's build backend. */
  poetry?: PoetryProject
  /** The whole document, for the lock tools' content hashes. */
  document: Record<string, unknown>
}

export interface PoetryProject {
  /** `package-mode` (default true): Poetry installs the project itself. */
  packageMode: boolean
  /** `[tool.poetry.dependencies]` without `python`: normalised name → constraint (as written). */
  dependencies: Record<string, unknown>
  /** `[tool.poetry].dependencies.python`, when set. */
  python?: string
}

function strings(value: unknown, where: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new UserError(`${where} must be a list of strings`)
  }
  return value as string[]
}

export function parsePyproject(text: string, file: string): Pyproject {
  const doc = parseToml(text, file)
  const project = table(doc.project)
  const uv = table(table(doc.tool).uv)
  const optionalDependencies: Record<string, string[]> = {}
  for (const [extra, list] of Object.entries(table(project['optional-dependencies']))) {
    optionalDependencies[normalizeProjectName(extra)] = strings(
      list,
      `${file}: [project.optional-dependencies].${extra}`
    )
  }
  const dependencyGroups: Pyproject['dependencyGroups'] = {}
  for (const [group, list] of Object.entries(table(doc['dependency-groups']))) {
    if (!Array.isArray(list))
      throw new UserError(`${file}: [dependency-groups].${group} is not a list`)
    dependencyGroups[normalizeProjectName(group)] = list as Pyproject['dependencyGroups'][string]
  }
  // uv's legacy spelling of the dev group.
  const devDependencies = strings(uv['dev-dependencies'], `${file}: [tool.uv].dev-dependencies`)
  if (devDependencies.length > 0) {
    dependencyGroups.dev = [...(dependencyGroups.dev ?? []), ...devDependencies]
  }
  const pathSources: Pyproject['pathSources'] = {}
  const workspaceSources: string[] = []
  for (const [name, source] of Object.entries(table(uv.sources))) {
    const entry = table(Array.isArray(source) ? source[0] : source)
    if (typeof entry.path === 'string') {
      pathSources[normalizeProjectName(name)] = {
        path: entry.path,
        editable: entry.editable === true
      }
    }
    if (entry.workspace === true) workspaceSources.push(normalizeProjectName(name))
  }
  const workspace = table(uv.workspace)
  const buildSystem = doc['build-system'] !== undefined
  return {
    ...(typeof project.name === 'string' ? { name: project.name } : {}),
    ...(typeof project['requires-python'] === 'string'
      ? { requiresPython: project['requires-python'] }
      : {}),
    dependencies: strings(project.dependencies, `${file}: [project].dependencies`),
    optionalDependencies,
    dependencyGroups,
    pathSources,
    workspaceSources,
    ...(doc.tool !== undefined && uv.workspace !== undefined
      ? { workspaceMembers: strings(workspace.members, `${file}: [tool.uv.workspace].members`) }
      : {}),
    buildSystem,
    ...(typeof uv.package === 'boolean' ? { uvPackage: uv.package } : {}),
    ...poetryProject(doc),
    document: doc
  }
}

function poetryProject(doc: Table): { poetry?: PoetryProject } {
  const tool = table(doc.tool)
  const backend = table(doc['build-system'])['build-backend']
  if (tool.poetry === undefined && !(typeof backend === 'string' && backend.startsWith('poetry')))
    return {}
  const poetry = table(tool.poetry)
  const dependencies: Record<string, unknown> = {}
  let python: string | undefined
  for (const [name, constraint] of Object.entries(table(poetry.dependencies))) {
    if (name.toLowerCase() === 'python')
      python = typeof constraint === 'string' ? constraint : undefined
    else dependencies[normalizeProjectName(name)] = constraint
  }
  return {
    poetry: {
      packageMode: poetry['package-mode'] !== false,
      dependencies,
      ...(python === undefined ? {} : { python })
    }
  }
}

/**
 * Whether the project itself is a package its tool would install (issue 15): uv installs it when
 * `[tool.uv].package` says so, else when it has a `[build-system]`; Poetry unless
 * `package-mode = false`, and only a `[build-system]` lets a standard front end build it.
 */
export function isPackage(pyproject: Pyproject): boolean {
  if (pyproject.uvPackage !== undefined) return pyproject.uvPackage
  if (pyproject.poetry && !pyproject.poetry.packageMode) return false
  return pyproject.buildSystem
}

/** Whether the file says anything about dependencies (so ignoring it must not be silent). */
export function declaresDependencies(pyproject: Pyproject): boolean {
  return (
    pyproject.dependencies.length > 0 ||
    Object.values(pyproject.optionalDependencies).some((list) => list.length > 0) ||
    Object.keys(pyproject.poetry?.dependencies ?? {}).length > 0
  )
}

/** The extras and groups asked for must exist: a typo would otherwise ship less, silently. */
export function checkSelection(
  pyproject: Pyproject,
  file: string,
  extras: readonly string[],
  groups: readonly string[]
): void {
  const known = (names: string[]) => (names.length > 0 ? names.join(', ') : 'none')
  for (const extra of extras) {
    if (!(normalizeProjectName(extra) in pyproject.optionalDependencies)) {
      throw new UserError(
        `extras: ${file} has no optional-dependencies group "${extra}" (it has: ` +
          `${known(Object.keys(pyproject.optionalDependencies))})`
      )
    }
  }
  for (const group of groups) {
    if (!(normalizeProjectName(group) in pyproject.dependencyGroups)) {
      throw new UserError(
        `groups: ${file} has no dependency group "${group}" (it has: ` +
          `${known(Object.keys(pyproject.dependencyGroups))})`
      )
    }
  }
}

/** The requirement strings of `[project].dependencies`, the extras and the groups, in order. */
export function selectedRequirements(
  pyproject: Pyproject,
  file: string,
  extras: readonly string[],
  groups: readonly string[]
): string[] {
  checkSelection(pyproject, file, extras, groups)
  const out = [...pyproject.dependencies]
  for (const extra of extras) {
    out.push(...(pyproject.optionalDependencies[normalizeProjectName(extra)] ?? []))
  }
  const expand = (group: string, seen: string[]) => {
    if (seen.includes(group)) {
      throw new UserError(`${file}: dependency group "${group}" includes itself`)
    }
    const entries = pyproject.dependencyGroups[group]
    if (entries === undefined) {
      throw new UserError(`${file}: include-group "${group}" names no dependency group`)
    }
    for (const entry of entries) {
      if (typeof entry === 'string') out.push(entry)
      else expand(normalizeProjectName(entry['include-group']), [...seen, group])
    }
  }
  for (const group of groups) expand(normalizeProjectName(group), [])
  return out
}
