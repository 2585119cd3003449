// pyproject.toml alone (no lock covers source): its `[project].dependencies`, the extras and
// dependency groups asked for, uv's path sources as local libraries, and the project itself
// when it is a package. Resolved fresh for the target. A Poetry project needs its poetry.lock.
import { dirname, join } from 'node:path'
import { UserError } from '../../../errors.js'
import { emptySet, type DependencyEntry } from '../../requirements/dependency-set.js'
import { pep508Entry } from '../../requirements/requirements-file.js'
import { isPackage, parsePyproject, selectedRequirements, type Pyproject } from '../pyproject.js'
import { checkRequiresPython, ownProject } from './project-facts.js'
import {
  shown,
  type FormatContext,
  type FoundFormat,
  type ProjectFormat,
  cannotRead,
  namedReason
} from './format.js'

const FILE = 'pyproject.toml'

function entries(pyproject: Pyproject, file: string, context: FormatContext): DependencyEntry[] {
  const where = shown(file, context.workspace)
  const dir = dirname(file)
  const lines = selectedRequirements(pyproject, where, context.extras, context.groups)
  return lines.map((line) => {
    const entry = pep508Entry(line, where, dir)
    const project = entry.project
    if (project !== undefined && pyproject.workspaceSources.includes(project)) {
      throw new UserError(
        `${file}: ${project} comes from the uv workspace, which only a uv.lock describes; ` +
          'run `uv lock` and commit uv.lock'
      )
    }
    const source = project === undefined ? undefined : pyproject.pathSources[project]
    if (source === undefined) return entry
    const extras = /^\s*[A-Za-z0-9._-]+\s*(\[[^\]]*\])?/.exec(line)?.[1] ?? ''
    return {
      ...entry,
      local: {
        path: join(dir, source.path),
        extras,
        marker: entry.marker,
        editable: source.editable
      }
    }
  })
}

function found(
  file: string,
  pyproject: Pyproject,
  context: FormatContext,
  reason: string
): FoundFormat {
  if (pyproject.poetry) {
    throw new UserError(
      `${shown(file, context.workspace)} is a Poetry project and has no poetry.lock beside it: run ` +
        '`poetry lock` and commit poetry.lock (the action never locks for you: the lock is what ships)'
    )
  }
  return {
    kind: 'pyproject',
    file,
    reason,
    reads: [],
    selects: true,
    read: () => {
      checkRequiresPython(pyproject.requiresPython, shown(file, context.workspace), context.runtime)
      const set = emptySet()
      set.requirements = entries(pyproject, file, context)
      if (isPackage(pyproject))
        set.requirements.push(ownProject(dirname(file), shown(file, context.workspace)))
      return Promise.resolve(set)
    }
  }
}

function read(file: string, context: FormatContext): Pyproject | undefined {
  const text = context.files.readText(file)
  return text === undefined ? undefined : parsePyproject(text, shown(file, context.workspace))
}

export const pyprojectToml: ProjectFormat = {
  kind: 'pyproject',
  names: (file) => file.endsWith(`/${FILE}`) || file === FILE,
  find(dir, context) {
    if (dir !== context.source) return undefined
    const file = join(dir, FILE)
    const pyproject = read(file, context)
    if (pyproject === undefined) return undefined
    return found(
      file,
      pyproject,
      context,
      `${shown(file, context.workspace)} decides: no lock covers source and there is no ` +
        'requirements.txt in it (dependencies resolved fresh for the target: commit a lock to pin them)'
    )
  },
  named(file, context) {
    const pyproject = read(file, context)
    if (pyproject === undefined) throw cannotRead(file)
    return found(file, pyproject, context, namedReason(file, context))
  }
}
