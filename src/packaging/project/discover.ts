// Which file decides the dependencies (issues 9 and 15), as one table in order (docs/
// project-formats.md shows it): the `requirements` input when set; else, in each folder from
// `source` up to the workspace, nearest first, a lock that covers source (uv.lock, poetry.lock,
// Pipfile.lock, pylock.toml); else in `source` itself a requirements.txt, a Pipfile (which then
// needs its lock), a pyproject.toml. A format present but not chosen is a warning, and a
// package is never empty while a file in source declares dependencies. Pure: the file system
// comes in as a reader.
import { basename, dirname, join, resolve } from 'node:path'
import { parse } from 'smol-toml'
import { UserError } from '../../errors.js'
import type { DependencySet } from '../requirements/dependency-set.js'
import { logicalLines } from '../requirements/requirements-file.js'
import { declaresDependencies, parsePyproject, type Pyproject } from './pyproject.js'
import {
  isInside,
  shown,
  type FormatContext,
  type FoundFormat,
  type ProjectFormat
} from './formats/format.js'
import { pipfileLock, pipfileWithoutLock } from './formats/pipfile-lock.js'
import { poetryLock } from './formats/poetry-lock.js'
import { pylockToml } from './formats/pylock-toml.js'
import { pyprojectToml } from './formats/pyproject-toml.js'
import { requirementsTxt } from './formats/requirements-txt.js'
import { uvLock } from './formats/uv-lock.js'

/**
 * The order: every `up` format in each folder from source up (nearest folder first, this order
 * within a folder), then the `source` formats in source. The first found decides.
 */
export const DECIDING_ORDER: readonly { format: ProjectFormat; where: 'up' | 'source' }[] = [
  { format: uvLock, where: 'up' },
  { format: poetryLock, where: 'up' },
  { format: pipfileLock, where: 'up' },
  { format: pylockToml, where: 'up' },
  { format: requirementsTxt, where: 'source' },
  { format: pipfileWithoutLock, where: 'source' },
  { format: pyprojectToml, where: 'source' }
]

/** Files that say something about dependencies, by name, for "present but not chosen". */
const LOCK_FILES = ['uv.lock', 'poetry.lock', 'Pipfile.lock', 'pylock.toml']
const PYLOCK_NAMED = /^pylock\.[^.]+\.toml$/

export interface Decision {
  /** The format that decides; undefined: no file does. */
  found?: FoundFormat
  /** One sentence for the log and the job summary: which file, and why. */
  reason: string
  /** Files that say something about dependencies and are ignored: never silent. */
  warnings: string[]
}

/** The folders from `source` up to `workspace`, nearest first (`source` alone when outside). */
function foldersUp(source: string, workspace: string): string[] {
  const folders = [source]
  if (!isInside(workspace, source)) return folders
  let dir = source
  while (dir !== workspace && dirname(dir) !== dir) {
    dir = dirname(dir)
    folders.push(dir)
  }
  return folders
}

function readPyproject(file: string, context: FormatContext): Pyproject | 'unreadable' | undefined {
  const text = context.files.readText(file)
  if (text === undefined) return undefined
  try {
    return parsePyproject(text, file)
  } catch {
    return 'unreadable'
  }
}

/** The `requirements` input names a file: the format it is. */
function named(file: string, context: FormatContext): FoundFormat {
  if (pyprojectToml.names(file)) {
    // A Poetry project's dependencies are its lock's: naming its pyproject.toml means the lock.
    const pyproject = readPyproject(file, context)
    const lock = join(dirname(file), 'poetry.lock')
    if (
      typeof pyproject === 'object' &&
      pyproject.poetry &&
      context.files.readText(lock) !== undefined
    ) {
      return poetryLock.named(lock, context)
    }
    return pyprojectToml.named(file, context)
  }
  const format = DECIDING_ORDER.map((o) => o.format).find(
    (f) => f !== requirementsTxt && f.names(file)
  )
  return (format ?? requirementsTxt).named(file, context)
}

/** Dependency files in `folders` (and, in source, manifests) that `found` does not read. */
function ignoredFiles(
  found: FoundFormat,
  folders: readonly string[],
  context: FormatContext
): string[] {
  const used = new Set([found.file, ...found.reads])
  const warnings: string[] = []
  const decided = shown(found.file, context.workspace)
  for (const dir of folders) {
    const names = [
      ...LOCK_FILES,
      ...context.files
        .list(dir)
        .filter((name) => PYLOCK_NAMED.test(name))
        .sort(),
      ...(dir === context.source ? ['requirements.txt', 'Pipfile', 'pyproject.toml'] : [])
    ]
    for (const name of names) {
      const file = join(dir, name)
      if (used.has(file) || context.files.readText(file) === undefined) continue
      const where = shown(file, context.workspace)
      if (name === 'pyproject.toml') {
        const pyproject = readPyproject(file, context)
        if (typeof pyproject === 'object' && !declaresDependencies(pyproject)) continue
        warnings.push(
          `${where} declares dependencies and is ignored: ${decided} decides. Set requirements: ` +
            `${where} to build from it, or remove its dependencies.`
        )
        continue
      }
      warnings.push(
        `${where} is ignored: ${decided} decides. Set requirements: ${where} to build from it instead.`
      )
    }
  }
  return warnings
}

export function decideFormat(context: FormatContext, requirements?: string): Decision {
  if (requirements !== undefined) {
    const found = named(resolve(requirements), context)
    return { found, reason: found.reason, warnings: [] }
  }
  const folders = foldersUp(context.source, context.workspace)
  const decide = (found: FoundFormat, upTo: number): Decision => ({
    found,
    reason: found.reason,
    warnings: ignoredFiles(found, folders.slice(0, upTo + 1), context)
  })
  for (const [i, dir] of folders.entries()) {
    for (const { format } of DECIDING_ORDER.filter((o) => o.where === 'up')) {
      const found = format.find(dir, context)
      if (found) return decide(found, i)
    }
  }
  for (const { format } of DECIDING_ORDER.filter((o) => o.where === 'source')) {
    const found = format.find(context.source, context)
    if (found) return decide(found, 0)
  }
  const where = shown(context.source, context.workspace)
  return {
    reason:
      `no dependencies: no lock covers source ${where}, and it has no requirements.txt, Pipfile ` +
      'or pyproject.toml',
    warnings: []
  }
}

/** Whether a Pipfile's `[packages]` lists anything (an unreadable one counts: it may). */
function pipfileDeclares(text: string): boolean {
  try {
    const packages = (parse(text) as { packages?: unknown }).packages
    return typeof packages === 'object' && packages !== null && Object.keys(packages).length > 0
  } catch {
    return true
  }
}

/** Whether a requirements-style file names at least one package (not only options). */
function namesPackages(text: string): boolean {
  return logicalLines(text).some(({ text: line }) => !line.startsWith('-'))
}

/**
 * The files in `source` that declare what the function needs at run time: requirements files
 * (`requirements*.txt`, `requirements/*.txt`), a pyproject.toml's main dependencies, a Pipfile's
 * packages, setup.py's and setup.cfg's install_requires. Development-only lists do not count.
 */
export function declaringFiles(context: FormatContext): string[] {
  const { source, files } = context
  const found: string[] = []
  const add = (file: string) => found.push(shown(file, context.workspace))
  const requirementFiles = [
    ...files
      .list(source)
      .filter((n) => /^requirements.*\.txt$/.test(n))
      .map((n) => join(source, n)),
    ...files
      .list(join(source, 'requirements'))
      .filter((n) => n.endsWith('.txt'))
      .map((n) => join(source, 'requirements', n))
  ]
  for (const file of requirementFiles) {
    if (/dev|test|lint|doc/i.test(basename(file))) continue
    const text = files.readText(file)
    if (text !== undefined && namesPackages(text)) add(file)
  }
  const pyproject = readPyproject(join(source, 'pyproject.toml'), context)
  if (
    pyproject === 'unreadable' ||
    (pyproject !== undefined &&
      (pyproject.dependencies.length > 0 ||
        Object.keys(pyproject.poetry?.dependencies ?? {}).length > 0))
  ) {
    add(join(source, 'pyproject.toml'))
  }
  const pipfile = files.readText(join(source, 'Pipfile'))
  if (pipfile !== undefined && pipfileDeclares(pipfile)) add(join(source, 'Pipfile'))
  const setupPy = files.readText(join(source, 'setup.py'))
  if (setupPy !== undefined && /install_requires\s*=\s*(?!\[\s*\])/.test(setupPy))
    add(join(source, 'setup.py'))
  const setupCfg = files.readText(join(source, 'setup.cfg'))
  if (setupCfg !== undefined && /^install_requires\s*=\s*\S/m.test(setupCfg))
    add(join(source, 'setup.cfg'))
  return found
}

/**
 * Never an empty package while a file in source declares dependencies (issue 15 item 5, issue
 * 20 item 5): an empty set (or no deciding file at all) next to such a file fails, naming it.
 */
export function checkNotEmpty(
  set: DependencySet,
  decision: Decision,
  context: FormatContext
): void {
  if (set.requirements.length > 0) return
  const declaring = declaringFiles(context)
  if (declaring.length === 0) return
  const first = declaring[0] as string
  const what = decision.found
    ? `${shown(decision.found.file, context.workspace)} decides and names no dependency`
    : 'no dependency file this action reads decides'
  throw new UserError(
    `the package would ship no dependencies: ${what}, yet ${declaring.join(', ')} ` +
      `${declaring.length === 1 ? 'declares' : 'declare'} some. Set requirements: ${first} to build ` +
      `from it${/setup\.(py|cfg)$/.test(first) ? ' (list them in a requirements.txt or pyproject.toml first)' : ''}, ` +
      'or remove what it declares.'
  )
}
