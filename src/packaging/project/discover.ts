// Which file decides the dependencies (issue 9): the `requirements` input when set; else, from
// `source` up to the workspace, a uv.lock whose project or workspace holds `source`, else
// `requirements.txt` in `source`, else `pyproject.toml` in `source`. Pure: the file system
// comes in as a reader.
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { UserError } from '../../errors.js'
import { declaresDependencies, parsePyproject } from './pyproject.js'
import {
  lockMembers,
  memberForSource,
  parseUvLock,
  type LockMember,
  type UvLock
} from './uv-lock.js'

export interface ProjectReader {
  /** Text of an absolute path, `undefined` when it is not a readable file. */
  readText(path: string): string | undefined
}

export type DependencyFile =
  | { kind: 'none' }
  | { kind: 'requirements'; file: string }
  | { kind: 'pyproject'; file: string }
  | { kind: 'uv-lock'; file: string; lock: UvLock; member: LockMember }

export interface Decision {
  decided: DependencyFile
  /** One sentence for the log and the job summary: which file, and why. */
  reason: string
  /** Files that say something about dependencies and are ignored: never silent. */
  warnings: string[]
}

export interface DecideRequest {
  /** Absolute. */
  source: string
  /** The `requirements` input, absolute, when set. */
  requirements?: string
  /** Absolute; the search for a uv.lock stops here (GITHUB_WORKSPACE). */
  workspace: string
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)
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

/** `path` relative to the workspace for messages (`services/orders/pyproject.toml`). */
export function shown(path: string, workspace: string): string {
  const rel = relative(workspace, path)
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel
}

function lockDecision(
  file: string,
  text: string,
  source: string,
  workspace: string
): { decided: DependencyFile; reason: string } | { members: LockMember[]; lock: UvLock } {
  const lock = parseUvLock(text, file)
  const member = memberForSource(lock, dirname(file), source)
  if (!member) return { members: lockMembers(lock, dirname(file)), lock }
  const where = shown(member.dir, workspace)
  return {
    decided: { kind: 'uv-lock', file, lock, member },
    reason:
      `${shown(file, workspace)} decides: its ${lock.members.length > 1 ? 'workspace member' : 'project'} ` +
      `${member.name} (${where}) holds source ${shown(source, workspace)}`
  }
}

function pyprojectWarning(
  dir: string,
  workspace: string,
  decidedBy: string,
  reader: ProjectReader
): string[] {
  const file = join(dir, 'pyproject.toml')
  const text = reader.readText(file)
  if (text === undefined) return []
  let declares = false
  try {
    declares = declaresDependencies(parsePyproject(text, file))
  } catch {
    declares = true
  }
  if (!declares) return []
  return [
    `${shown(file, workspace)} declares dependencies and is ignored: ${decidedBy} decides. ` +
      `Set requirements: ${shown(file, workspace)} to build from it, or remove its dependencies.`
  ]
}

export function decideDependencyFile(request: DecideRequest, reader: ProjectReader): Decision {
  const source = resolve(request.source)
  const workspace = resolve(request.workspace)
  if (request.requirements !== undefined) {
    const file = resolve(request.requirements)
    const text = reader.readText(file)
    if (text === undefined) throw new UserError(`requirements: cannot read ${file}; check the path`)
    const name = basename(file)
    if (name === 'uv.lock') {
      const found = lockDecision(file, text, source, workspace)
      if ('decided' in found) {
        return {
          ...found,
          reason: `${found.reason} (the requirements input names it)`,
          warnings: []
        }
      }
      throw new UserError(
        `requirements: ${shown(file, workspace)} has no project or workspace member whose folder ` +
          `holds source ${shown(source, workspace)} (members: ` +
          `${found.members.map((m) => `${m.name} in ${shown(m.dir, workspace)}`).join(', ') || 'none'}); ` +
          'point source at a member, or add the folder to [tool.uv.workspace].members and run `uv lock`'
      )
    }
    const kind = name === 'pyproject.toml' ? 'pyproject' : 'requirements'
    return {
      decided: { kind, file },
      reason: `${shown(file, workspace)} decides (the requirements input names it)`,
      warnings: []
    }
  }

  const warnings: string[] = []
  for (const dir of foldersUp(source, workspace)) {
    const file = join(dir, 'uv.lock')
    const text = reader.readText(file)
    if (text === undefined) continue
    const found = lockDecision(file, text, source, workspace)
    if ('decided' in found) {
      const requirementsTxt = join(source, 'requirements.txt')
      if (reader.readText(requirementsTxt) !== undefined) {
        warnings.push(
          `${shown(requirementsTxt, workspace)} is ignored: ${shown(file, workspace)} decides. ` +
            `Set requirements: ${shown(requirementsTxt, workspace)} to build from it instead.`
        )
      }
      return { ...found, warnings }
    }
  }
  const requirementsTxt = join(source, 'requirements.txt')
  if (reader.readText(requirementsTxt) !== undefined) {
    return {
      decided: { kind: 'requirements', file: requirementsTxt },
      reason: `${shown(requirementsTxt, workspace)} decides: no uv.lock covers source, and it is in source`,
      warnings: pyprojectWarning(source, workspace, shown(requirementsTxt, workspace), reader)
    }
  }
  const pyproject = join(source, 'pyproject.toml')
  if (reader.readText(pyproject) !== undefined) {
    return {
      decided: { kind: 'pyproject', file: pyproject },
      reason:
        `${shown(pyproject, workspace)} decides: no uv.lock covers source and there is no ` +
        'requirements.txt in it (dependencies resolved fresh for the target: commit a uv.lock to pin them)',
      warnings
    }
  }
  return {
    decided: { kind: 'none' },
    reason: `no dependencies: no uv.lock covers source ${shown(source, workspace)}, and it has no requirements.txt or pyproject.toml`,
    warnings
  }
}
