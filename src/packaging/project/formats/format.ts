// The shape every project format's adapter has (one module per format in this folder): it finds
// its files for a `source` folder, checks that its lock is current, and yields the normalised
// dependency set (requirements/dependency-set.ts) that resolve consumes. Which format decides
// when several are present is discover.ts's table.
import { dirname, relative, resolve, sep } from 'node:path'
import { UserError } from '../../../errors.js'
import type { RuntimeFacts } from '../../../lambda-facts.js'
import type { DependencySet } from '../../requirements/dependency-set.js'
import type { RequirementsReader } from '../../requirements/requirements-file.js'
import type { Env } from '../../tools/run-tool.js'

export type DependencyKind =
  'requirements' | 'pyproject' | 'uv-lock' | 'poetry-lock' | 'pipfile-lock' | 'pylock'

/** The file system as the adapters see it: text of a file (or undefined), folders, names. */
export interface ProjectReader extends RequirementsReader {
  /** The names in a folder; empty when it is not one. */
  list(dir: string): string[]
}

/** What every adapter is told about the build. */
export interface FormatContext {
  /** Absolute. */
  source: string
  /** Absolute; the search up from `source` stops here (GITHUB_WORKSPACE). */
  workspace: string
  /** The `extras` and `groups` inputs. */
  extras: readonly string[]
  groups: readonly string[]
  runtime: RuntimeFacts
  env: Env
  files: ProjectReader
}

/** What reading may need beyond the files: only uv.lock runs a tool. */
export interface FormatTools {
  /** The uv the resolve would run (on PATH, or the one the action brings). */
  uv(): Promise<string>
  /**
   * The set `produce` makes, kept in the project store under `keyParts` (the contents that
   * decide it), so a warm build runs no tool. `problems` holds a kept set against the files it
   * came from: a stored set with problems is made again (someone else wrote it), a fresh one
   * with problems fails.
   */
  kept(
    keyParts: readonly string[],
    produce: () => Promise<DependencySet>,
    problems: (set: DependencySet) => string[]
  ): Promise<DependencySet>
}

/** A format found for `source`. */
export interface FoundFormat {
  kind: DependencyKind
  /** The file that decides, absolute. */
  file: string
  /** One sentence for the log and the job summary: which file decides, and why. */
  reason: string
  /** The other files it reads (its pyproject.toml, its Pipfile): never "present but ignored". */
  reads: string[]
  /** Whether the `extras` and `groups` inputs mean something for it. */
  selects: boolean
  /**
   * Checks that the lock is current, then yields the set. Local libraries (and the project
   * itself, when it is a package) are entries with `local`, built into wheels after this.
   */
  read(tools: FormatTools): Promise<DependencySet>
}

export interface ProjectFormat {
  kind: DependencyKind
  /** The file name(s) the `requirements` input may name for this format. */
  names(file: string): boolean
  /** This format in `dir` (a folder from `source` up to the workspace), covering `source`. */
  find(dir: string, context: FormatContext): FoundFormat | undefined
  /** The `requirements` input names `file`: this format for it (or a UserError why not). */
  named(file: string, context: FormatContext): FoundFormat
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return (
    rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && resolve(root, rel) === path)
  )
}

/** The `requirements` input's file: it must be there. */
export function cannotRead(file: string): UserError {
  return new UserError(`requirements: cannot read ${file}; check the path`)
}

/** The reason a file the `requirements` input names decides. */
export function namedReason(file: string, context: FormatContext): string {
  return `${shown(file, context.workspace)} decides (the requirements input names it)`
}

/** `path` relative to the workspace for messages (`services/orders/pyproject.toml`). */
export function shown(path: string, workspace: string): string {
  const rel = relative(workspace, path)
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel
}

/**
 * Whether a manifest named `name` (pyproject.toml, Pipfile) sits in a folder from `source` up
 * to, not including, `dir`: then that nearer project is the one its tool would use from
 * `source` (Poetry and Pipenv look upwards for the nearest), and `dir`'s lock does not cover it.
 */
export function nearerManifest(
  dir: string,
  source: string,
  name: string,
  files: ProjectReader
): string | undefined {
  for (let folder = source; folder !== dir && isInside(dir, folder); folder = dirname(folder)) {
    const file = `${folder}${sep}${name}`
    if (files.readText(file) !== undefined) return file
  }
  return undefined
}
