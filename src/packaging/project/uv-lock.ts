// What a uv.lock says without running uv: which workspace member a folder belongs to, and
// which local packages (workspace members, path sources) that member's closure reaches. Enough
// to key the cache on their contents before uv runs at all. Pure: text in, facts out.
import { isAbsolute, join, relative, sep } from 'node:path'
import { parse } from 'smol-toml'
import { UserError } from '../../errors.js'
import { normalizeProjectName } from '../pep/wheel-tags.js'

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
}

export interface UvLock {
  requiresPython?: string
  /** Normalised names of the workspace members (`[manifest].members`). */
  members: string[]
  packages: LockPackage[]
}

const LOCAL_SOURCES = ['editable', 'virtual', 'directory', 'path'] as const

type Table = Record<string, unknown>
const table = (value: unknown): Table =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Table) : {}

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

export function parseUvLock(text: string, file: string): UvLock {
  let doc: Table
  try {
    doc = parse(text) as Table
  } catch (error) {
    throw new UserError(
      `${file} is not valid TOML (${(error as Error).message.split('\n')[0]}); run \`uv lock\``
    )
  }
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
      groups: dependencyTables(entry['dev-dependencies'])
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

function isInside(root: string, path: string): boolean {
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
  const holding = lockMembers(lock, lockDir).filter((m) => isInside(m.dir, source))
  holding.sort((a, b) => b.dir.split(sep).length - a.dir.split(sep).length)
  return holding[0]
}

export interface LocalPackage {
  name: string
  /** Absolute path (a project folder, or a wheel or sdist file). */
  path: string
}

/**
 * Local packages (workspace members, path and directory sources) that `member` needs with
 * these extras and groups, itself excluded, markers ignored (a superset is fine for a key).
 */
export function localClosure(
  lock: UvLock,
  lockDir: string,
  member: string,
  extras: readonly string[],
  groups: readonly string[]
): LocalPackage[] {
  const byName = new Map<string, LockPackage[]>()
  for (const p of lock.packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p])
  const root = byName.get(member) ?? []
  const queue: LockDependency[] = []
  for (const p of root) {
    queue.push(...p.dependencies)
    for (const extra of extras)
      queue.push(...(p.optionalDependencies[normalizeProjectName(extra)] ?? []))
    for (const group of groups) queue.push(...(p.groups[normalizeProjectName(group)] ?? []))
  }
  const seen = new Set<string>()
  const local = new Map<string, LocalPackage>()
  while (queue.length > 0) {
    const dep = queue.shift() as LockDependency
    const id = `${dep.name}[${(dep.extra ?? []).join(',')}]`
    if (seen.has(id) || dep.name === member) continue
    seen.add(id)
    for (const p of byName.get(dep.name) ?? []) {
      queue.push(...p.dependencies)
      for (const extra of dep.extra ?? []) queue.push(...(p.optionalDependencies[extra] ?? []))
      if (p.sourcePath !== undefined && p.sourceKind !== 'virtual') {
        local.set(p.name, { name: p.name, path: join(lockDir, p.sourcePath) })
      }
    }
  }
  return [...local.values()].sort((a, b) => a.name.localeCompare(b.name))
}
