// Pipfile.lock, read here without Pipenv: the `default` section ships (with the categories the
// `groups` input names), `develop` never does. Its pins carry their markers and hashes; indexes
// come from `_meta.sources` (`${VAR}` expanded as Pipenv does, credentials masked). The lock is
// current when `_meta.hash` is the sha256 Pipenv computes from the Pipfile. Pipenv locks for one
// Python (`[requires] python_version`): another runtime is refused, not guessed. Found beside the
// nearest Pipfile up from source.
import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { InputError, UserError } from '../../../errors.js'
import { INPUT } from '../../../constants.js'
import { normalizeProjectName } from '../../pep/wheel-tags.js'
import {
  emptySet,
  type DependencyEntry,
  type DependencySet
} from '../../requirements/dependency-set.js'
import { pep508Entry } from '../../requirements/requirements-file.js'
import type { Env } from '../../tools/run-tool.js'
import { pythonJsonDumps } from './python-json.js'
import {
  nearerManifest,
  shown,
  type FormatContext,
  type FoundFormat,
  type ProjectFormat,
  namedReason
} from './format.js'
import { addIndex, isPypi } from './project-facts.js'
import { parseToml, table, type Table } from '../toml.js'

const LOCK = 'Pipfile.lock'
const PIPFILE = 'Pipfile'
const LOCK_FIX = 'run `pipenv lock` and commit Pipfile.lock'

/** Sections of a Pipfile that hold no packages (plette's PIPFILE_SECTIONS). */
const NOT_PACKAGES = [
  'source',
  'packages',
  'dev-packages',
  'requires',
  'scripts',
  'pipfile',
  'pipenv'
]
const DEFAULT_SOURCE = [{ name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }]

/**
 * The `_meta.hash.sha256` Pipenv writes for this Pipfile: sha256 of the JSON of its sources,
 * requires and package sections. Pipenv 2026 writes package names PEP 503 normalised first
 * (`normalised`); earlier releases (plette's `get_hash`) as written. Either means "current".
 */
export function pipfileHash(pipfile: Table, normalised: boolean): string {
  const section = (value: unknown) =>
    normalised
      ? Object.fromEntries(
          Object.entries(table(value)).map(([k, v]) => [normalizeProjectName(k), v])
        )
      : table(value)
  const data: Table = {
    _meta: { sources: pipfile.source ?? DEFAULT_SOURCE, requires: pipfile.requires ?? {} },
    default: section(pipfile.packages),
    develop: section(pipfile['dev-packages'])
  }
  for (const [category, values] of Object.entries(pipfile)) {
    if (NOT_PACKAGES.includes(category) || ['default', 'develop'].includes(category)) continue
    data[category] = section(values)
  }
  const json = pythonJsonDumps(data, { itemSeparator: ',', keySeparator: ':' })
  return createHash('sha256').update(json).digest('hex')
}

/** Pipenv expands `$VAR` and `${VAR}` in source URLs (os.path.expandvars). */
function expandVariables(text: string, env: Env): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, a, b) => {
      return env[(a ?? b) as string] ?? whole
    }
  )
}

/** `_meta.sources` as pip options: only its own indexes when PyPI is not among them. */
function sourceOptions(sources: unknown, set: DependencySet, env: Env): void {
  const list = (Array.isArray(sources) ? sources : []).map(table).map((s) => ({
    url: expandVariables(String(s.url ?? ''), env),
    verify: s.verify_ssl !== false
  }))
  const onlyOwn = list.length > 0 && !list.some((s) => isPypi(s.url))
  list.forEach((source, i) => {
    addIndex(set, source.url, onlyOwn && i === 0 ? '--index-url' : '--extra-index-url')
    const host = /^[a-z]+:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(source.url)?.[1]
    if (!source.verify && host && !isPypi(source.url)) {
      set.options.push({ option: '--trusted-host', value: host, shown: host })
    }
  })
}

function entry(name: string, value: Table, where: string, dir: string): DependencyEntry {
  const at = `${where} (${name}${typeof value.version === 'string' ? ` ${value.version.replace(/^==/, '')}` : ''})`
  const marker =
    typeof value.markers === 'string' && value.markers !== '' ? ` ; ${value.markers}` : ''
  const hashes = (Array.isArray(value.hashes) ? value.hashes : []).map((h) =>
    String(h).toLowerCase()
  )
  if (
    typeof value.git === 'string' ||
    typeof value.hg === 'string' ||
    typeof value.svn === 'string'
  ) {
    throw new UserError(
      `${at}: a VCS dependency cannot be cached by content or cross-built for Lambda; publish it ` +
        'to an index, or build its wheel and name it by path in the Pipfile'
    )
  }
  if (typeof value.path === 'string') {
    const base = pep508Entry(`${name}${marker}`, at, dir)
    return {
      ...base,
      local: {
        path: join(dir, value.path),
        extras: '',
        marker: base.marker,
        editable: value.editable === true
      }
    }
  }
  if (typeof value.file === 'string')
    return pep508Entry(`${name} @ ${value.file}${marker}`, at, dir, hashes)
  const extras =
    Array.isArray(value.extras) && value.extras.length > 0 ? `[${value.extras.join(',')}]` : ''
  const version = typeof value.version === 'string' ? value.version : ''
  return pep508Entry(`${name}${extras}${version}${marker}`, at, dir, hashes)
}

function checkPython(pipfile: Table, where: string, context: FormatContext): void {
  const requires = table(pipfile.requires)
  const wanted = [requires.python_version, requires.python_full_version].find(
    (v) => typeof v === 'string'
  )
  if (typeof wanted !== 'string') return
  const minor = /^(\d+\.\d+)/.exec(wanted)?.[1]
  if (minor === undefined || minor === context.runtime.pythonVersion) return
  throw new UserError(
    `${where} locks for Python ${wanted} ([requires] in the Pipfile), and Pipenv judges markers for ` +
      `that Python alone, so its pins are not known to hold for ${context.runtime.name}: build for ` +
      `python${minor}, or set python_version = "${context.runtime.pythonVersion}" in the Pipfile and ${LOCK_FIX}`
  )
}

function found(
  file: string,
  pipfileFile: string,
  context: FormatContext,
  reason: string
): FoundFormat {
  const where = shown(file, context.workspace)
  const dir = dirname(file)
  return {
    kind: 'pipfile-lock',
    file,
    reason,
    reads: [pipfileFile],
    selects: true,
    read: () => {
      const pipfileShown = shown(pipfileFile, context.workspace)
      const pipfile = parseToml(context.files.readText(pipfileFile) ?? '', pipfileShown)
      let lock: Table
      try {
        lock = table(JSON.parse(context.files.readText(file) ?? ''))
      } catch {
        throw new UserError(`${where} is not valid JSON; ${LOCK_FIX}`)
      }
      const recorded = table(table(table(lock._meta).hash)).sha256
      if (![true, false].some((n) => pipfileHash(pipfile, n) === recorded)) {
        // Pipenv hashes a Pipfile without [[source]] with the locking machine's pip indexes.
        const unstable =
          pipfile.source === undefined
            ? '; a Pipfile without [[source]] is hashed with the pip index settings of the machine ' +
              'that locked it, so add a [[source]] table to make the lock check the same everywhere'
            : ''
        throw new UserError(
          `${where} no longer matches ${pipfileShown} (its _meta.hash is not the Pipfile's): ` +
            `${LOCK_FIX} (the locked versions are what ships, so a stale lock is refused)${unstable}`
        )
      }
      checkPython(pipfile, pipfileShown, context)
      if (context.extras.length > 0) {
        throw new InputError(
          INPUT.extras,
          `a Pipfile.lock has no extras to choose (${where}); remove extras`
        )
      }
      const categories = Object.keys(lock).filter((k) => k !== '_meta')
      const chosen = ['default']
      for (const group of context.groups) {
        if (['develop', 'dev-packages', 'dev'].includes(group)) {
          throw new InputError(
            INPUT.groups,
            `${where}: the develop packages never ship to Lambda; remove ${group} from groups`
          )
        }
        if (!categories.includes(group)) {
          throw new InputError(
            INPUT.groups,
            `${where} has no category "${group}" (it has: ${categories.filter((c) => c !== 'develop').join(', ')})`
          )
        }
        chosen.push(group)
      }
      const set = emptySet()
      sourceOptions(table(lock._meta).sources, set, context.env)
      const seen = new Set<string>()
      for (const category of chosen) {
        for (const [name, value] of Object.entries(table(lock[category]))) {
          if (seen.has(normalizeProjectName(name))) continue
          seen.add(normalizeProjectName(name))
          set.requirements.push(entry(name, table(value), where, dir))
        }
      }
      set.hashMode = set.requirements.every((e) => e.local !== undefined || e.hashes.length > 0)
      set.lock = {
        file: where,
        extras: [],
        groups: [],
        noWheelAdvice: 'pin a version that has one in the Pipfile and run `pipenv lock`'
      }
      return Promise.resolve(set)
    }
  }
}

export const pipfileLock: ProjectFormat = {
  kind: 'pipfile-lock',
  names: (file) => [LOCK, PIPFILE].includes(basename(file)),
  find(dir, context) {
    const file = join(dir, LOCK)
    if (context.files.readText(file) === undefined) return undefined
    if (nearerManifest(dir, context.source, PIPFILE, context.files)) return undefined
    const pipfile = join(dir, PIPFILE)
    if (context.files.readText(pipfile) === undefined) {
      throw new UserError(
        `${shown(file, context.workspace)} has no Pipfile beside it, so whether it is current cannot be ` +
          'checked: commit the Pipfile too'
      )
    }
    const covers =
      dir === context.source
        ? 'it is in source'
        : `its Pipfile (${shown(dir, context.workspace)}) is the nearest above source ${shown(context.source, context.workspace)}`
    return found(file, pipfile, context, `${shown(file, context.workspace)} decides: ${covers}`)
  },
  named(named, context) {
    const dir = dirname(named)
    const file = join(dir, LOCK)
    const pipfile = join(dir, PIPFILE)
    if (context.files.readText(pipfile) === undefined) {
      throw new UserError(
        `requirements: cannot read ${pipfile}; a Pipfile.lock is read with its Pipfile`
      )
    }
    if (context.files.readText(file) === undefined) throw missingLock(pipfile, context)
    return found(file, pipfile, context, namedReason(file, context))
  }
}

function missingLock(pipfile: string, context: FormatContext): UserError {
  return new UserError(
    `${shown(pipfile, context.workspace)} has no Pipfile.lock beside it: ${LOCK_FIX} (the action ` +
      'never locks for you: the lock is what ships)'
  )
}

/** A Pipfile in source with no Pipfile.lock: found only to fail, naming `pipenv lock`. */
export const pipfileWithoutLock: ProjectFormat = {
  kind: 'pipfile-lock',
  names: () => false,
  find(dir, context) {
    const pipfile = join(dir, PIPFILE)
    if (dir !== context.source || context.files.readText(pipfile) === undefined) return undefined
    throw missingLock(pipfile, context)
  },
  named: (file) => {
    throw new Error(`${file}: named through pipfileLock`)
  }
}
