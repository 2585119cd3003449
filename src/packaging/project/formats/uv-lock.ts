// uv.lock: the workspace member (or project) whose folder holds source, its locked pins from
// `uv export --locked` (which also refuses a stale lock), kept in the project store so a warm
// build runs no uv, and held against the lock's own hashes on every build (issue 18). What the
// lock says without uv (members, files and hashes) is read here; uv's export says the rest.
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'
import { UserError } from '../../../errors.js'
import { normalizeProjectName } from '../../pep/wheel-tags.js'
import type { DependencySet } from '../../requirements/dependency-set.js'
import { parseRequirements } from '../../requirements/requirements-file.js'
import { absoluteExportPaths, uvExport } from '../../tools/uv-export.js'
import { checkSelection, parsePyproject } from '../pyproject.js'
import { checkRequiresPython, ownProject } from './project-facts.js'
import {
  shown,
  type FormatContext,
  type FoundFormat,
  type ProjectFormat,
  cannotRead
} from './format.js'
import { parseToml, table } from '../toml.js'

interface LockDependency {
  name: string
  extra?: string[]
}

export interface LockPackage {
  name: string
  version?: string
  /** `editable`, `virtual`, `directory`, `path`, `registry`, `git`, `url`. */
  sourceKind: string
  /** For local sources: the path as written, relative to the lock's folder. */
  sourcePath?: string
  dependencies: LockDependency[]
  optionalDependencies: Record<string, LockDependency[]>
  /** Dependency groups, `dev` among them. */
  groups: Record<string, LockDependency[]>
  /** The files the lock allows (sdist and wheels): name and `sha256:<hex>`. */
  files: { name: string; hash?: string }[]
}

export interface UvLock {
  requiresPython?: string
  /** Normalised names of the workspace members (`[manifest].members`). */
  members: string[]
  packages: LockPackage[]
}

const LOCAL_SOURCES = ['editable', 'virtual', 'directory', 'path'] as const

function dependencyList(value: unknown): LockDependency[] {
  if (!Array.isArray(value)) return []
  return value.map((item) => {
    const entry = table(item)
    const extra = Array.isArray(entry.extra) ? (entry.extra as string[]) : undefined
    return { name: normalizeProjectName(String(entry.name)), ...(extra ? { extra } : {}) }
  })
}

function dependencyTables(value: unknown): Record<string, LockDependency[]> {
  const out: Record<string, LockDependency[]> = {}
  for (const [name, list] of Object.entries(table(value))) {
    out[normalizeProjectName(name)] = dependencyList(list)
  }
  return out
}

/** `{ url = ".../six-1.16.0.tar.gz", hash = "sha256:..." }` → its file name and hash. */
function lockFile(value: unknown): { name: string; hash?: string }[] {
  const entry = table(value)
  const location = [entry.filename, entry.url, entry.path].find((v) => typeof v === 'string')
  if (typeof location !== 'string') return []
  const name = decodeURIComponent(basename(location.split(/[?#]/)[0] as string))
  return [{ name, ...(typeof entry.hash === 'string' ? { hash: entry.hash.toLowerCase() } : {}) }]
}

export function parseUvLock(text: string, file: string): UvLock {
  const doc = parseToml(text, file, 'run `uv lock`')
  const packages: LockPackage[] = (Array.isArray(doc.package) ? doc.package : []).map((item) => {
    const entry = table(item)
    const source = table(entry.source)
    const sourceKind = Object.keys(source)[0] ?? 'registry'
    const sourcePath = (LOCAL_SOURCES as readonly string[]).includes(sourceKind)
      ? String(source[sourceKind])
      : undefined
    return {
      name: normalizeProjectName(String(entry.name)),
      ...(typeof entry.version === 'string' ? { version: entry.version } : {}),
      sourceKind,
      ...(sourcePath === undefined ? {} : { sourcePath }),
      dependencies: dependencyList(entry.dependencies),
      optionalDependencies: dependencyTables(entry['optional-dependencies']),
      groups: dependencyTables(entry['dev-dependencies']),
      files: [entry.sdist, ...(Array.isArray(entry.wheels) ? entry.wheels : [])].flatMap(lockFile)
    }
  })
  const manifest = table(doc.manifest)
  const members = Array.isArray(manifest.members)
    ? (manifest.members as string[]).map(normalizeProjectName)
    : packages.filter((p) => p.sourcePath === '.').map((p) => p.name)
  return {
    ...(typeof doc['requires-python'] === 'string'
      ? { requiresPython: doc['requires-python'] }
      : {}),
    members,
    packages
  }
}

function holds(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

export interface LockMember {
  name: string
  /** Absolute folder of the member. */
  dir: string
}

/** Every workspace member with its folder. */
export function lockMembers(lock: UvLock, lockDir: string): LockMember[] {
  return lock.packages
    .filter((p) => lock.members.includes(p.name) && p.sourcePath !== undefined)
    .map((p) => ({ name: p.name, dir: join(lockDir, p.sourcePath as string) }))
}

/**
 * The member whose folder holds `source` (the deepest, so `services/orders` wins over the
 * workspace root `.`); undefined when the lock's workspace does not include `source`.
 */
export function memberForSource(
  lock: UvLock,
  lockDir: string,
  source: string
): LockMember | undefined {
  const holding = lockMembers(lock, lockDir).filter((m) => holds(m.dir, source))
  holding.sort((a, b) => b.dir.split(sep).length - a.dir.split(sep).length)
  return holding[0]
}

const FILE = 'uv.lock'

/** The member's package is installed by uv (`editable`, `directory`), not `virtual`. */
function memberIsPackage(lock: UvLock, member: LockMember, lockDir: string): boolean {
  return lock.packages.some(
    (p) =>
      p.name === member.name &&
      p.sourcePath !== undefined &&
      join(lockDir, p.sourcePath) === member.dir &&
      (p.sourceKind === 'editable' || p.sourceKind === 'directory')
  )
}

/**
 * The pins of `set` that the lock does not hold as they are (another version, a hash the lock
 * never listed): a project-store entry rewritten by someone else, or uv disagreeing with itself.
 */
export function unlockedPins(set: DependencySet, lock: UvLock): string[] {
  const problems: string[] = []
  for (const entry of set.requirements) {
    if (entry.local) continue
    const pin = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)/.exec(
      entry.requirement
    )
    const name = pin ? normalizeProjectName(pin[1] as string) : undefined
    const locked = lock.packages.find((p) => p.name === name && p.version === pin?.[2])
    if (!locked) {
      problems.push(`${entry.text} is not a version the lock pins`)
      continue
    }
    const hashes = new Set(locked.files.flatMap((f) => (f.hash ? [f.hash] : [])))
    const foreign = entry.hashes.filter((h) => !hashes.has(h))
    if (foreign.length > 0)
      problems.push(`${entry.text} carries ${foreign[0]}, which the lock does not list`)
  }
  return problems
}

function found(
  file: string,
  lock: UvLock,
  member: LockMember,
  context: FormatContext,
  reason: string
): FoundFormat {
  const lockDir = dirname(file)
  const where = shown(file, context.workspace)
  const pyprojects = [...new Set([lockDir, ...lockMembers(lock, lockDir).map((m) => m.dir)])].map(
    (dir) => join(dir, 'pyproject.toml')
  )
  return {
    kind: 'uv-lock',
    file,
    reason,
    reads: pyprojects,
    selects: true,
    async read(tools) {
      const memberPyproject = join(member.dir, 'pyproject.toml')
      const memberText = context.files.readText(memberPyproject)
      if (memberText !== undefined) {
        const pyproject = parsePyproject(memberText, memberPyproject)
        const shownPyproject = shown(memberPyproject, context.workspace)
        checkRequiresPython(pyproject.requiresPython, shownPyproject, context.runtime)
        checkSelection(pyproject, shownPyproject, context.extras, context.groups)
      }
      checkRequiresPython(lock.requiresPython, where, context.runtime)
      // A stale lock must fail, so any edit of a pyproject.toml reruns `uv export --locked`.
      const keyParts = [
        'uv-lock',
        context.files.readText(file) ?? '',
        member.name,
        context.extras.map(normalizeProjectName).sort().join(','),
        context.groups.map(normalizeProjectName).sort().join(','),
        ...pyprojects.map((p) => `${relative(lockDir, p)}\n${context.files.readText(p) ?? ''}`)
      ]
      const set = await tools.kept(
        keyParts,
        async () => {
          const exported = await uvExport({
            uvPath: await tools.uv(),
            lockFile: file,
            member: member.name,
            extras: context.extras,
            groups: context.groups,
            runtimeName: context.runtime.name,
            env: context.env
          })
          const text = absoluteExportPaths(exported, lockDir)
          const reader = {
            readText: (path: string) => (path === file ? text : undefined),
            isDirectory: context.files.isDirectory
          }
          const parsed = parseRequirements(file, reader, context.env, true)
          return {
            requirements: parsed.requirements.map((entry) => ({
              ...entry,
              where: `${where} (${entry.project ?? entry.text})`
            })),
            constraints: [],
            options: parsed.options,
            localFindLinks: parsed.localFindLinks,
            secrets: parsed.secrets,
            hashMode: parsed.hashMode,
            lock: {
              file: where,
              extras: [],
              groups: [],
              noWheelAdvice: `pin a version that has one in pyproject.toml and run \`uv lock\``
            }
          }
        },
        (stored) => unlockedPins(stored, lock)
      )
      const files = new Map(lock.packages.map((p) => [`${p.name}==${p.version}`, p.files]))
      for (const entry of set.requirements) {
        const pin = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)/.exec(
          entry.requirement
        )
        const names = pin && files.get(`${normalizeProjectName(pin[1] as string)}==${pin[2]}`)
        if (names) entry.files = names.map((f) => f.name)
      }
      if (memberIsPackage(lock, member, lockDir)) {
        set.requirements.push(
          ownProject(member.dir, shown(join(member.dir, 'pyproject.toml'), context.workspace))
        )
      }
      return set
    }
  }
}

function readLock(file: string, context: FormatContext): UvLock | undefined {
  const text = context.files.readText(file)
  return text === undefined ? undefined : parseUvLock(text, shown(file, context.workspace))
}

export const uvLock: ProjectFormat = {
  kind: 'uv-lock',
  names: (file) => basename(file) === FILE,
  find(dir, context) {
    const file = join(dir, FILE)
    const lock = readLock(file, context)
    if (!lock) return undefined
    const member = memberForSource(lock, dir, context.source)
    if (!member) return undefined
    return found(file, lock, member, context, memberReason(file, lock, member, context))
  },
  named(file, context) {
    const lock = readLock(file, context)
    if (!lock) throw cannotRead(file)
    const member = memberForSource(lock, dirname(file), context.source)
    if (member) {
      const reason = `${memberReason(file, lock, member, context)} (the requirements input names it)`
      return found(file, lock, member, context, reason)
    }
    const { workspace, source } = context
    const members = lockMembers(lock, dirname(file))
    throw new UserError(
      `requirements: ${shown(file, workspace)} has no project or workspace member whose folder ` +
        `holds source ${shown(source, workspace)} (members: ` +
        `${members.map((m) => `${m.name} in ${shown(m.dir, workspace)}`).join(', ') || 'none'}); ` +
        'point source at a member, or add the folder to [tool.uv.workspace].members and run `uv lock`'
    )
  }
}

function memberReason(
  file: string,
  lock: UvLock,
  member: LockMember,
  context: FormatContext
): string {
  const { workspace, source } = context
  return (
    `${shown(file, workspace)} decides: its ${lock.members.length > 1 ? 'workspace member' : 'project'} ` +
    `${member.name} (${shown(member.dir, workspace)}) holds source ${shown(source, workspace)}`
  )
}
