// pylock.toml and pylock.<name>.toml (PEP 751), read here: every package with its marker (which
// may read the `extras` and `dependency_groups` asked for), its wheels and their hashes, and its
// index. The markers are judged for the target in resolve, and a package whose lock lists no
// wheel that loads there fails naming it: what a `pip lock` made on a Mac holds. A PEP 751 lock
// records nothing of its inputs, so there is no staleness to check.
import { basename, dirname, join } from 'node:path'
import { UserError } from '../../../errors.js'
import { normalizeProjectName } from '../../pep/wheel-tags.js'
import {
  emptySet,
  type DependencyEntry,
  type DependencySet
} from '../../requirements/dependency-set.js'
import { pep508Entry } from '../../requirements/requirements-file.js'
import { parseMarker } from '../../pep/marker.js'
import { judgeMarker, targetEnvironments } from '../../pep/target-markers.js'
import { pythonSatisfies } from '../requires-python.js'
import { addIndex, checkRequiresPython } from './project-facts.js'
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

const NAMED = /^pylock\.([^.]+)\.toml$/
const UNIVERSAL =
  'lock for every platform: `uv export --format pylock.toml` in a uv project, or ' +
  '`uv pip compile --universal -o pylock.toml requirements.txt` (a `pip lock` holds only the ' +
  'wheels of the machine it ran on)'

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [])

/** `{ url, path, name, hashes = { sha256 = ... } }` → the file's name and `algorithm:hex` hashes. */
function lockedFile(value: unknown): { name?: string; hashes: string[] } {
  const file = table(value)
  const location = [file.name, file.url, file.path].find((v) => typeof v === 'string') as
    string | undefined
  return {
    ...(location === undefined
      ? {}
      : { name: decodeURIComponent(basename(location.split(/[?#]/)[0] as string)) }),
    hashes: Object.entries(table(file.hashes)).map(([alg, hex]) =>
      `${alg}:${String(hex)}`.toLowerCase()
    )
  }
}

function packageEntry(
  item: Table,
  where: string,
  dir: string,
  set: DependencySet,
  context: FormatContext
): DependencyEntry {
  const name = String(item.name)
  const version = typeof item.version === 'string' ? item.version : undefined
  const at = `${where} (${name}${version ? ` ${version}` : ''})`
  const marker = typeof item.marker === 'string' && item.marker !== '' ? ` ; ${item.marker}` : ''
  if (item.vcs !== undefined) {
    throw new UserError(
      `${at}: a VCS package cannot be cached by content or cross-built for Lambda; publish it to ` +
        'an index, or build its wheel and lock that'
    )
  }
  if (typeof item['requires-python'] === 'string') {
    if (!pythonSatisfies(item['requires-python'], context.runtime.pythonVersion, at)) {
      throw new UserError(
        `${at} requires Python ${item['requires-python']}, which ${context.runtime.name} does not ` +
          `satisfy; ${UNIVERSAL}, with the runtime's Python in its range`
      )
    }
  }
  const directory = table(item.directory)
  if (typeof directory.path === 'string') {
    const base = pep508Entry(`${name}${marker}`, at, dir)
    return {
      ...base,
      local: {
        path: join(dir, directory.path),
        extras: '',
        marker: base.marker,
        editable: directory.editable === true
      }
    }
  }
  const archive = table(item.archive)
  if (typeof archive.url === 'string' || typeof archive.path === 'string') {
    const { hashes } = lockedFile(archive)
    if (typeof archive.url === 'string') {
      return pep508Entry(`${name} @ ${archive.url}${marker}`, at, dir, hashes)
    }
    const base = pep508Entry(`${name}${marker}`, at, dir)
    return {
      ...base,
      local: {
        path: join(dir, archive.path as string),
        extras: '',
        marker: base.marker,
        editable: false
      }
    }
  }
  if (version === undefined) {
    throw new UserError(
      `${at} has no version, directory, archive or VCS source: the lock is not valid; ${UNIVERSAL}`
    )
  }
  if (typeof item.index === 'string') addIndex(set, item.index)
  const files = [item.sdist, ...(Array.isArray(item.wheels) ? item.wheels : [])]
    .filter((f) => f !== undefined)
    .map(lockedFile)
  return {
    ...pep508Entry(
      `${name}==${version}${marker}`,
      at,
      dir,
      files.flatMap((f) => f.hashes)
    ),
    files: files.flatMap((f) => (f.name ? [f.name] : []))
  }
}

function found(file: string, context: FormatContext, reason: string): FoundFormat {
  const where = shown(file, context.workspace)
  const dir = dirname(file)
  return {
    kind: 'pylock',
    file,
    reason,
    reads: [],
    selects: true,
    read: () => {
      const doc = parseToml(context.files.readText(file) ?? '', where)
      const version = String(doc['lock-version'] ?? '')
      if (!/^1(\.|$)/.test(version)) {
        throw new UserError(
          `${where} has lock-version ${version || '(none)'}; this action reads PEP 751 lock-version 1.x`
        )
      }
      checkRequiresPython(
        typeof doc['requires-python'] === 'string' ? doc['requires-python'] : undefined,
        where,
        context.runtime
      )
      const environments = strings(doc.environments)
      if (environments.length > 0) {
        const envs = targetEnvironments({
          runtime: context.runtime,
          architecture: 'x86_64'
        }).concat(targetEnvironments({ runtime: context.runtime, architecture: 'arm64' }))
        const covered = environments.some((m) => judgeMarker(parseMarker(m), envs) !== false)
        if (!covered) {
          throw new UserError(
            `${where} was locked for ${environments.join('; ')}, none of which is Lambda's ` +
              `${context.runtime.name}; ${UNIVERSAL}`
          )
        }
      }
      const extras = strings(doc.extras).map(normalizeProjectName)
      const groups = strings(doc['dependency-groups']).map(normalizeProjectName)
      for (const extra of context.extras) {
        if (!extras.includes(normalizeProjectName(extra))) {
          throw new UserError(
            `extras: ${where} has no extra "${extra}" (it has: ${extras.join(', ') || 'none'})`
          )
        }
      }
      for (const group of context.groups) {
        if (!groups.includes(normalizeProjectName(group))) {
          throw new UserError(
            `groups: ${where} has no dependency group "${group}" (it has: ${groups.join(', ') || 'none'})`
          )
        }
      }
      const set = emptySet()
      for (const item of Array.isArray(doc.packages) ? doc.packages : []) {
        set.requirements.push(packageEntry(table(item), where, dir, set, context))
      }
      set.hashMode = set.requirements.every((e) => e.local !== undefined || e.hashes.length > 0)
      set.lock = {
        file: where,
        extras: context.extras.map(normalizeProjectName),
        groups: [
          ...new Set(
            [...strings(doc['default-groups']), ...context.groups].map(normalizeProjectName)
          )
        ],
        noWheelAdvice: UNIVERSAL
      }
      return Promise.resolve(set)
    }
  }
}

/** The pylock in `dir`: pylock.toml, else the one pylock.<name>.toml; several named ones: ask. */
function lockIn(dir: string, context: FormatContext): string | undefined {
  const plain = join(dir, 'pylock.toml')
  if (context.files.readText(plain) !== undefined) return plain
  const named = context.files
    .list(dir)
    .filter((name) => NAMED.test(name))
    .sort()
  if (named.length > 1) {
    throw new UserError(
      `${shown(dir, context.workspace)} holds ${named.join(', ')}: set the requirements input to the ` +
        'one to build from'
    )
  }
  return named[0] === undefined ? undefined : join(dir, named[0])
}

export const pylockToml: ProjectFormat = {
  kind: 'pylock',
  names: (file) => basename(file) === 'pylock.toml' || NAMED.test(basename(file)),
  find(dir, context) {
    const file = lockIn(dir, context)
    if (file === undefined) return undefined
    if (nearerManifest(dir, context.source, 'pyproject.toml', context.files)) return undefined
    const covers =
      dir === context.source
        ? 'it is in source'
        : `it is the nearest lock above source ${shown(context.source, context.workspace)}`
    return found(file, context, `${shown(file, context.workspace)} decides: ${covers}`)
  },
  named(file, context) {
    if (context.files.readText(file) === undefined) {
      throw cannotRead(file)
    }
    return found(file, context, namedReason(file, context))
  }
}
