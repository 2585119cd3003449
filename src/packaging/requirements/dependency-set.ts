// The normalised dependency set: what every project format (requirements.txt, pyproject.toml,
// uv.lock, poetry.lock, Pipfile.lock, pylock.toml) yields, and all that resolve and the closure
// check ever see of a project. Requirements with markers and hashes, constraints, where packages
// come from, and, for a lock, what its markers read. Pure: the set, its cache-key text, its pip
// rendering, and the hash and marker rules applied to it.
import { WHEEL_ARCH, type Architecture, type RuntimeFacts } from '../../lambda-facts.js'
import { parseMarker, MarkerSyntaxError, type MarkerEnvironment } from '../pep/marker.js'
import { judgeMarker, targetEnvironments, type MarkerTarget } from '../pep/target-markers.js'
import { parseWheelName, wheelLoads, type LoadOptions } from '../pep/wheel-tags.js'
import { UserError } from '../../errors.js'

/** A requirement that names a folder or archive on disk instead of an index project. */
export interface LocalRequirement {
  /** Absolute: a relative path is relative to the file that names it, as uv reads it. */
  path: string
  /** `[extra,...]` as written, or empty. */
  extras: string
  /** The environment marker after `;`, or empty. */
  marker: string
  /** `-e`: installed as its built wheel, never as a link to the checkout. */
  editable: boolean
  /** The project that decides is itself a package (issue 15): its own wheel ships. */
  own?: boolean
}

export interface DependencyEntry {
  /**
   * What the installers read, without the marker: `anyio==4.6.2`, `name @ https://…`
   * (credentials kept: never log).
   */
  requirement: string
  /** Per-line pip options other than `--hash` (`--config-settings=k=v`), credentials kept. */
  options: string[]
  /** Requirement and options for the log and the cache key, credentials masked. */
  text: string
  /** PEP 503 name; `undefined` for a bare URL. */
  project?: string
  /** `sha256:<hex>` (or sha384, sha512), lower case, sorted. */
  hashes: string[]
  /** The marker as written, '' for none. */
  marker: string
  /** Environment-marker variables the marker depends on (`platform_machine`, ...). */
  markerVariables: string[]
  /** Extras asked for, PEP 503 normalised. */
  extras: string[]
  /** Where it is declared, for messages: `requirements.txt:3`, `poetry.lock: anyio 4.6.2`. */
  where: string
  /** A local library to build into a wheel first (the project phase does, before resolve). */
  local?: LocalRequirement
  /** A lock's file names for this pin (wheels and source archives), when it lists them. */
  files?: string[]
}

/** A pip option that applies to the whole set (`--index-url`, `--find-links`, `--pre`). */
export interface DependencyOption {
  /** Long form: `--index-url`. */
  option: string
  /** What pip reads: credentials kept, local find-links made absolute. */
  value?: string
  /** For the log and the cache key: credentials masked. */
  shown?: string
}

/** What a lock adds: every dependency is listed and pinned, its markers judged here. */
export interface LockFacts {
  /** The lock for messages: `services/poetry.lock`. */
  file: string
  /** What a pylock.toml's markers read as `extras` and `dependency_groups`; Poetry's `extra`. */
  extras: string[]
  groups: string[]
  /** The way out when a pinned version has no wheel for the target, in the lock tool's words. */
  noWheelAdvice: string
}

export interface DependencySet {
  requirements: DependencyEntry[]
  constraints: DependencyEntry[]
  options: DependencyOption[]
  /** Local `--find-links` directories, absolute: their listing belongs in the cache key. */
  localFindLinks: string[]
  /** Credentials found in URLs: give each to `core.setSecret`. */
  secrets: string[]
  /**
   * pip's hash-checking mode (`--require-hashes` or any `--hash` in a requirements file; every
   * pin hashed in a lock): every wheel needs a hash. Without it, the hashes there are still hold.
   */
  hashMode: boolean
  /** Set for a lock: resolve fetches exactly the pins whose markers hold, no resolver runs. */
  lock?: LockFacts
}

/** The empty set: nothing to resolve. */
export function emptySet(): DependencySet {
  return {
    requirements: [],
    constraints: [],
    options: [],
    localFindLinks: [],
    secrets: [],
    hashMode: false
  }
}

/** Options that say where packages come from: handed on to every pip run. */
const FETCH_OPTIONS = new Set([
  '--index-url',
  '--extra-index-url',
  '--no-index',
  '--find-links',
  '--trusted-host',
  '--pre'
])

/**
 * pip arguments for where to fetch from (index URLs, find-links, trusted hosts, `--pre`),
 * credentials included: pass to a child process, never log.
 */
export function fetchArgs(set: Pick<DependencySet, 'options'>): string[] {
  return set.options
    .filter((o) => FETCH_OPTIONS.has(o.option))
    .flatMap((o) => (o.value === undefined ? [o.option] : [o.option, o.value]))
}

/** Requirements, then constraints: every line that names a package. */
function allEntries(set: DependencySet): DependencyEntry[] {
  return [...set.requirements, ...set.constraints]
}

/**
 * The set as one text for the cache key: includes inlined, comments and layout gone, hashes
 * sorted, credentials masked (a rotated token does not change the wheels).
 */
export function normalizedRequirements(set: DependencySet): string {
  const lines: string[] = []
  if (set.lock) {
    lines.push(`lock extras=${set.lock.extras.join(',')} groups=${set.lock.groups.join(',')}`)
  }
  for (const option of set.options) {
    lines.push(`option ${option.option}${option.shown === undefined ? '' : ` ${option.shown}`}`)
  }
  const entries = [
    ...set.requirements.map((e) => ['requirement', e] as const),
    ...set.constraints.map((e) => ['constraint', e] as const)
  ]
  for (const [kind, entry] of entries) {
    const hashes = entry.hashes.map((h) => ` --hash=${h}`).join('')
    lines.push(`${kind} ${entry.text}${hashes}`)
  }
  return lines.join('\n')
}

/**
 * One requirement line. Hashes go to pip only in hash-checking mode: a lock with one
 * unhashed pin (a URL source) would otherwise turn it on and fail; the wheels are held against
 * the hashes there are after the download either way (hashProblems).
 */
function entryLine(entry: DependencyEntry, hashMode: boolean, withMarker = true): string {
  if (entry.local) {
    throw new Error(`${entry.where}: a local library reached resolve unbuilt (${entry.text})`)
  }
  const marker = withMarker && entry.marker !== '' ? ` ; ${entry.marker}` : ''
  return [
    `${entry.requirement}${marker}`,
    ...entry.options,
    ...(hashMode ? entry.hashes.map((h) => `--hash=${h}`) : [])
  ].join(' ')
}

/**
 * The set as pip and uv read a requirements file; `constraintsFile` is where the caller writes
 * `renderConstraints`. Credentials included: write it to a private folder, never log it.
 */
export function renderRequirements(
  set: DependencySet,
  constraintsFile: string | undefined,
  entries: readonly DependencyEntry[] = set.requirements,
  withMarkers = true
): string {
  const lines = set.options.map((o) =>
    o.value === undefined ? o.option : `${o.option} ${o.value}`
  )
  if (constraintsFile !== undefined && set.constraints.length > 0) {
    lines.push(`--constraint ${constraintsFile}`)
  }
  lines.push(...entries.map((entry) => entryLine(entry, set.hashMode, withMarkers)))
  return `${lines.join('\n')}\n`
}

export function renderConstraints(set: DependencySet): string {
  return `${set.constraints.map((entry) => entryLine(entry, set.hashMode)).join('\n')}\n`
}

/** What an environment marker sees on the machine that evaluates it. */
export interface HostMarkers {
  /** `3.11` */
  pythonVersion: string
  /** `platform.machine()`: `x86_64`, `aarch64`, `arm64` (macOS). */
  machine: string
  /** `platform.system()`: `Linux`, `Darwin`, `Windows`. */
  system: string
  /** `sys.implementation.name`: `cpython`. */
  implementation: string
}

/** Marker variables whose value differs between the host and the target. */
function differingMarkerVariables(
  host: HostMarkers,
  runtime: RuntimeFacts,
  architecture: Architecture
): Set<string> {
  const differ = new Set<string>(['platform_release', 'platform_version'])
  if (host.pythonVersion !== runtime.pythonVersion) {
    for (const v of ['python_version', 'python_full_version', 'implementation_version'])
      differ.add(v)
  }
  if (host.machine !== WHEEL_ARCH[architecture]) differ.add('platform_machine')
  if (host.system !== 'Linux') {
    for (const v of ['platform_system', 'sys_platform', 'os_name']) differ.add(v)
  }
  if (host.implementation !== 'cpython') {
    for (const v of ['implementation_name', 'platform_python_implementation']) differ.add(v)
  }
  return differ
}

/**
 * One warning per requirement whose markers pip will evaluate with this machine's values
 * rather than the target's (pypa/pip#11664). A lock's markers are judged here, never by pip.
 */
export function hostMarkerWarnings(
  set: DependencySet,
  host: HostMarkers,
  runtime: RuntimeFacts,
  architecture: Architecture
): string[] {
  if (set.lock) return []
  const differ = differingMarkerVariables(host, runtime, architecture)
  const warnings: string[] = []
  for (const entry of allEntries(set)) {
    const affected = entry.markerVariables.filter((v) => differ.has(v))
    if (affected.length === 0) continue
    warnings.push(
      `${entry.where}: "${entry.text}" depends on ${affected.join(', ')}; ` +
        `pip evaluates markers on this machine (Python ${host.pythonVersion}, ${host.machine}), ` +
        `not on ${runtime.name} ${architecture} (Python ${runtime.pythonVersion}, ${WHEEL_ARCH[architecture]}) ` +
        `(pypa/pip#11664). Use installer: auto (the default) or uv, which evaluate them for the target.`
    )
  }
  return warnings
}

/** Hash algorithms named by `--hash` values. */
export function hashAlgorithms(set: DependencySet): string[] {
  const algorithms = new Set<string>()
  for (const entry of allEntries(set)) {
    for (const hash of entry.hashes) algorithms.add(hash.split(':')[0] as string)
  }
  return [...algorithms].sort()
}

export interface DownloadedWheel {
  file: string
  project: string
  /** Hex digest per algorithm (`sha256`). */
  digests: Readonly<Record<string, string>>
}

/**
 * pip's hash-checking rules applied to the wheels we kept: a wheel whose project has
 * `--hash` values must match one; in hash-checking mode every wheel needs one. uv ignores
 * `--hash` when it compiles, so this check is what honours them on that path, and it runs
 * again on every wheel-store hit (issue 18): a store entry is only as good as its hashes.
 */
export function hashProblems(set: DependencySet, wheels: readonly DownloadedWheel[]): string[] {
  const byProject = new Map<string, DependencyEntry[]>()
  for (const entry of allEntries(set)) {
    if (entry.project === undefined || entry.hashes.length === 0) continue
    byProject.set(entry.project, [...(byProject.get(entry.project) ?? []), entry])
  }
  const problems: string[] = []
  for (const wheel of wheels) {
    const listed = byProject.get(wheel.project)
    if (!listed) {
      if (set.hashMode) {
        problems.push(
          `${wheel.project} (${wheel.file}) has no --hash: in hash-checking mode every package, ` +
            `dependencies included, needs a pinned version and a hash`
        )
      }
      continue
    }
    const matches = listed.some((entry) =>
      entry.hashes.some((hash) => {
        const [algorithm, hex] = hash.split(':') as [string, string]
        return wheel.digests[algorithm] === hex
      })
    )
    if (!matches) {
      const where = listed.map((e) => e.where).join(', ')
      const got = Object.entries(wheel.digests)
        .map(([algorithm, hex]) => `${algorithm}:${hex}`)
        .join(', ')
      const allowed = [...new Set(listed.flatMap((e) => e.hashes))]
      const shownAllowed =
        allowed.length > 3 ? `${allowed.slice(0, 3).join(', ')}, ...` : allowed.join(', ')
      problems.push(
        `${wheel.project} (${wheel.file}) has ${got}, which is not among the --hash values at ` +
          `${where} (${shownAllowed}); update the hash if you changed the version, else check ` +
          'where the file came from'
      )
    }
  }
  return problems
}

/** What a lock's markers see on the target: Lambda's values plus the extras and groups asked for. */
function lockEnvironments(lock: LockFacts, target: MarkerTarget): MarkerEnvironment[] {
  return targetEnvironments(target).map((env) => ({
    ...env,
    extra: lock.extras,
    extras: lock.extras,
    dependency_groups: lock.groups
  }))
}

/**
 * A lock's pins for one target: those whose marker holds there. The runtime's patch release is
 * open (AWS updates it), so a marker that differs within the minor is judged for the newest
 * patch, which is what Lambda runs. A marker that reads what no build can know (the kernel
 * release) fails, naming the pin.
 */
export function lockedPinsFor(set: DependencySet, target: MarkerTarget): DependencyEntry[] {
  const lock = set.lock
  if (!lock) throw new Error('lockedPinsFor: the set is not a lock')
  const envs = lockEnvironments(lock, target)
  const newest = envs.slice(-1)
  const label = `${target.runtime.name} ${target.architecture}`
  return set.requirements.filter((entry) => {
    if (entry.marker === '') return true
    let marker
    try {
      marker = parseMarker(entry.marker)
    } catch (error) {
      if (!(error instanceof MarkerSyntaxError)) throw error
      throw new UserError(
        `${entry.where}: its marker "${entry.marker}" is not valid: ${error.message}`
      )
    }
    const truth = judgeMarker(marker, envs) ?? judgeMarker(marker, newest)
    if (truth === undefined) {
      throw new UserError(
        `${entry.where}: its marker "${entry.marker}" cannot be judged for ${label} (it reads a ` +
          `value Lambda does not fix); lock without that marker`
      )
    }
    return truth
  })
}

/**
 * The pins among `entries` whose lock lists files, none of them a wheel that loads on the
 * target (a lock made on a Mac lists only macOS wheels): one line each, naming the package,
 * the target and what the lock holds.
 */
export function pinsWithoutWheel(
  entries: readonly DependencyEntry[],
  target: MarkerTarget & LoadOptions
): string[] {
  const problems: string[] = []
  for (const entry of entries) {
    if (entry.files === undefined || entry.files.length === 0) continue
    const wheels = entry.files.flatMap((file) => {
      const wheel = parseWheelName(file)
      return wheel ? [wheel] : []
    })
    if (wheels.some((w) => wheelLoads(w, target.runtime, target.architecture, target).loads)) {
      continue
    }
    const platforms = [...new Set(wheels.flatMap((w) => w.platformTags))].sort()
    const holds =
      wheels.length === 0
        ? 'only a source distribution'
        : `only wheels for ${platforms.slice(0, 4).join(', ')}${platforms.length > 4 ? ', ...' : ''}`
    problems.push(
      `${entry.where}: no wheel of ${entry.requirement} loads on ${target.runtime.name} ` +
        `${target.architecture} (the lock holds ${holds})`
    )
  }
  return problems
}
