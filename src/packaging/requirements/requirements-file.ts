// Reads a pip requirements file the way pip does (includes, continuations, comments, options,
// `${VAR}` expansion), for the cache key, the marker warnings and the hash check. Pure: the
// file system comes in as a `RequirementsReader`.
import { dirname, isAbsolute, join, relative } from 'node:path'
import { UserError } from '../../errors.js'
import { WHEEL_ARCH, type Architecture, type RuntimeFacts } from '../../lambda-facts.js'
import { normalizeProjectName } from '../pep/wheel-tags.js'
import { findCredentials, maskCredentials, maskUserInfo } from './url-credentials.js'

export { findCredentials, maskCredentials } from './url-credentials.js'

export interface RequirementsReader {
  /** Text of an absolute path, `undefined` when it cannot be read. */
  readText(path: string): string | undefined
  isDirectory(path: string): boolean
}

export interface RequirementEntry {
  kind: 'requirement' | 'constraint'
  /** Absolute path of the file that holds it. */
  file: string
  /** 1-based line where the (possibly continued) line starts. */
  line: number
  /** As written, whitespace collapsed, options removed, credentials masked. */
  text: string
  /** PEP 503 name; `undefined` for a bare URL. */
  project?: string
  /** `--hash` values, `sha256:<hex>` lower case. */
  hashes: string[]
  /** Environment-marker variables the line depends on (`platform_machine`, ...). */
  markerVariables: string[]
  /** The marker as written, '' for none. */
  marker: string
  /** Extras asked for, PEP 503 normalised: `fastapi[standard]` → `['standard']`. */
  extras: string[]
  /** A local library (`./libs/common`, `file:`, `-e`): only with `allowLocalPaths`. */
  local?: LocalRequirement
}

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
}

export interface RequirementOption {
  file: string
  line: number
  /** Long form: `--index-url`. */
  option: string
  /** Credentials masked; local find-links made absolute. */
  value?: string
}

export interface ParsedRequirements {
  /** The top-level file, absolute. */
  root: string
  /** Every file read, in order. */
  files: string[]
  requirements: RequirementEntry[]
  constraints: RequirementEntry[]
  options: RequirementOption[]
  /**
   * pip arguments for where to fetch from (index URLs, find-links, trusted hosts, `--pre`),
   * credentials included: pass to a child process, never log.
   */
  fetchArgs: string[]
  /** Local `--find-links` directories, absolute: their listing belongs in the cache key. */
  localFindLinks: string[]
  /** Credentials found in URLs: give each to `core.setSecret`. */
  secrets: string[]
  /** pip's hash-checking mode: `--require-hashes` or any `--hash`. */
  hashMode: boolean
}

/** Options pip accepts on their own line, long form, and whether they take a value. */
const LINE_OPTIONS: Record<string, boolean> = {
  '--requirement': true,
  '--constraint': true,
  '--editable': true,
  '--index-url': true,
  '--extra-index-url': true,
  '--no-index': false,
  '--find-links': true,
  '--no-binary': true,
  '--only-binary': true,
  '--prefer-binary': false,
  '--require-hashes': false,
  '--pre': false,
  '--trusted-host': true,
  '--use-feature': true
}

/** Options pip accepts after a requirement. */
const REQUIREMENT_OPTIONS: Record<string, boolean> = {
  '--hash': true,
  '--config-settings': true,
  '--global-option': true
}

const SHORT_OPTIONS: Record<string, string> = {
  '-r': '--requirement',
  '-c': '--constraint',
  '-e': '--editable',
  '-i': '--index-url',
  '-f': '--find-links',
  '-C': '--config-settings'
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
 * Environment-marker variables whose value depends on the interpreter or the machine that
 * evaluates them (PEP 508), with the legacy dotted spellings pip still accepts.
 */
const ENVIRONMENT_MARKERS = [
  'python_version',
  'python_full_version',
  'implementation_name',
  'implementation_version',
  'platform_python_implementation',
  'platform_machine',
  'platform_system',
  'platform_release',
  'platform_version',
  'sys_platform',
  'os_name'
] as const

/** pip expands `${NAME}` (upper case, digits, `_`) when the variable is set. */
export function expandEnvironment(
  text: string,
  env: Readonly<Record<string, string | undefined>>
): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => env[name] ?? whole)
}

interface LogicalLine {
  line: number
  text: string
}

/** `path` relative to the top-level file's directory, for messages: `base/common.txt:3`. */
function displayPath(root: string, path: string): string {
  return relative(dirname(root), path) || path
}

/** Requirements, then constraints: every line that names a package. */
function allEntries(parsed: ParsedRequirements): RequirementEntry[] {
  return [...parsed.requirements, ...parsed.constraints]
}

/** Joins `\` continuations and drops comments and blank lines, as pip does. */
export function logicalLines(content: string): LogicalLine[] {
  const physical = content.split(/\r?\n/)
  const lines: LogicalLine[] = []
  let pending: LogicalLine | undefined
  physical.forEach((raw, index) => {
    const isComment = /^\s*#/.test(raw)
    if (pending && isComment) {
      lines.push(pending)
      pending = undefined
    }
    const continued = !isComment && raw.endsWith('\\')
    const piece = continued ? raw.slice(0, -1) : raw
    if (pending) pending.text += piece
    else pending = { line: index + 1, text: piece }
    if (!continued) {
      lines.push(pending)
      pending = undefined
    }
  })
  if (pending) lines.push(pending)
  return lines
    .map((l) => ({ line: l.line, text: l.text.replace(/(^|\s+)#.*$/, '').trim() }))
    .filter((l) => l.text.length > 0)
}

/** Whitespace split that keeps quoted runs together (enough of shlex for option values). */
function splitWords(text: string): string[] {
  const words: string[] = []
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    words.push(match[1] ?? match[2] ?? match[3] ?? '')
  }
  return words
}

interface ParsedOption {
  option: string
  value?: string
}

function parseOptions(
  words: string[],
  allowed: Record<string, boolean>,
  where: string
): ParsedOption[] {
  const options: ParsedOption[] = []
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string
    let name: string
    let value: string | undefined
    if (word.startsWith('--')) {
      const eq = word.indexOf('=')
      name = eq >= 0 ? word.slice(0, eq) : word
      value = eq >= 0 ? word.slice(eq + 1) : undefined
    } else if (word.startsWith('-') && word.length >= 2) {
      name = SHORT_OPTIONS[word.slice(0, 2)] ?? word.slice(0, 2)
      value = word.length > 2 ? word.slice(2).replace(/^=/, '') : undefined
    } else {
      throw new UserError(`${where}: unexpected "${word}" (one requirement or option per line)`)
    }
    const takesValue = allowed[name]
    if (takesValue === undefined) {
      throw new UserError(
        `${where}: option ${name} is not supported in a requirements file here ` +
          `(supported: ${Object.keys(allowed).join(', ')})`
      )
    }
    if (takesValue && value === undefined) {
      value = words[++i]
      if (value === undefined) throw new UserError(`${where}: option ${name} needs a value`)
    }
    if (!takesValue && value !== undefined) {
      throw new UserError(`${where}: option ${name} takes no value`)
    }
    options.push(value === undefined ? { option: name } : { option: name, value })
  }
  return options
}

const ARCHIVE = /\.(whl|tar\.gz|tgz|tar\.bz2|tar\.xz|tar|zip)$/i
const VCS = /^(git|hg|svn|bzr)\+/i
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i
const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?=$|[[(<>=!~;@\s])/

function splitMarker(requirement: string): { spec: string; marker: string } {
  // In `name @ url ; marker` pip needs whitespace before `;`: URLs may hold one.
  const separator = requirement.includes('://') ? /\s;/ : /;/
  const match = separator.exec(requirement)
  if (!match) return { spec: requirement.trim(), marker: '' }
  return {
    spec: requirement.slice(0, match.index).trim(),
    marker: requirement.slice(match.index + match[0].length).trim()
  }
}

function markerVariables(marker: string): string[] {
  const found = new Set<string>()
  for (const match of marker.matchAll(/\b([a-z_]+(?:\.[a-z_]+)?)\b/g)) {
    const name = (match[1] as string).replace('.', '_')
    if ((ENVIRONMENT_MARKERS as readonly string[]).includes(name)) found.add(name)
  }
  return [...found].sort()
}

const UNCACHEABLE_FIX =
  'publish it to an index, or build its wheel and point `--find-links` at that directory ' +
  'with `name==version` in the requirements'

function localPathError(spec: string, where: string): UserError {
  return new UserError(
    `${where}: "${spec}" is a local path: its content is not in the cache key and it may need ` +
      `building on this machine; ${UNCACHEABLE_FIX}`
  )
}

function refuseVcs(spec: string, where: string): void {
  if (VCS.test(spec) || /@\s*(git|hg|svn|bzr)\+/i.test(spec)) {
    throw new UserError(
      `${where}: "${maskCredentials(spec)}" is a VCS requirement: it cannot be cached by ` +
        `content or cross-built for Lambda; ${UNCACHEABLE_FIX}`
    )
  }
}

/** `file:///abs`, `file:rel`, `file://localhost/abs` → the path they name. */
function fileUrlPath(url: string): string {
  const rest = url.replace(/^file:(\/\/(localhost)?(?=\/))?/i, '').replace(/^\/\/(?=\/)/, '')
  return decodeURIComponent(rest)
}

/**
 * The path of a requirement that names a local folder or archive (`./libs/common`,
 * `../shared[x]`, `file:///w/lib`, `name @ file:...`, `dist/x-1.0-py3-none-any.whl`), as
 * written (`file:` decoded) with its extras; undefined for an index project or a remote URL.
 */
export function localRequirementPath(spec: string): { path: string; extras: string } | undefined {
  const at = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*@\s*(.+)$/.exec(spec)
  if (at) {
    const target = (at[3] as string).trim()
    if (/^file:/i.test(target)) return { path: fileUrlPath(target), extras: at[2] ?? '' }
    if (URL_SCHEME.test(target)) return undefined
    return { path: target, extras: at[2] ?? '' }
  }
  const extrasMatch = /^(.*?)(\[[^\]]*\])?$/.exec(spec) as RegExpExecArray
  const body = extrasMatch[1] as string
  const extras = extrasMatch[2] ?? ''
  if (/^file:/i.test(body)) return { path: fileUrlPath(body), extras }
  if (URL_SCHEME.test(body)) return undefined
  const name = NAME.exec(spec)
  if (!name || ARCHIVE.test(body)) return { path: body, extras }
  return undefined
}

/** A path as written in `file`, made absolute relative to that file's folder. */
function localPath(file: string, path: string): string {
  return isAbsolute(path) ? path : join(dirname(file), path)
}

/** Classifies the requirement part of a line; throws for what cannot be cached or cross-built. */
function requirementProject(spec: string, where: string): string | undefined {
  refuseVcs(spec, where)
  if (localRequirementPath(spec) !== undefined) throw localPathError(spec, where)
  if (URL_SCHEME.test(spec)) return undefined
  return normalizeProjectName((NAME.exec(spec) as RegExpExecArray)[1] as string)
}

/** `name[a, b] ...` → `['a', 'b']`. */
function requirementExtras(spec: string): string[] {
  const name = NAME.exec(spec)
  const bracket = name ? /^\[([^\]]*)\]/.exec(spec.slice(name[0].length)) : null
  return (bracket?.[1] ?? '')
    .split(',')
    .map((extra) => extra.trim())
    .filter(Boolean)
    .map(normalizeProjectName)
}

/**
 * Reads `file` and everything it includes (`-r` as requirements, `-c` as constraints, paths
 * relative to the including file). Throws a UserError naming the file and line for a missing
 * or cyclic include, an editable, a local path or a VCS URL.
 */
export function parseRequirements(
  file: string,
  reader: RequirementsReader,
  env: Readonly<Record<string, string | undefined>>,
  /** Keep local-path lines as entries with `local` (the project phase builds them) instead of refusing them. */
  allowLocalPaths = false
): ParsedRequirements {
  const result: ParsedRequirements = {
    root: file,
    files: [],
    requirements: [],
    constraints: [],
    options: [],
    fetchArgs: [],
    localFindLinks: [],
    secrets: [],
    hashMode: false
  }
  const secrets = new Set<string>()
  const display = (path: string) => displayPath(file, path)

  /** `content` is the text of `path`, read by the caller, which names the file if it cannot. */
  const readFile = (
    path: string,
    content: string,
    kind: RequirementEntry['kind'],
    stack: string[]
  ) => {
    result.files.push(path)
    for (const { line, text: raw } of logicalLines(content)) {
      const where = `${display(path)}:${line}`
      const text = expandEnvironment(raw, env)
      for (const secret of findCredentials(text)) secrets.add(secret)
      const words = text.split(/\s+/)
      const firstOption = words.findIndex((w) => w.startsWith('-'))
      const requirement = (firstOption < 0 ? words : words.slice(0, firstOption)).join(' ')
      const optionText = firstOption < 0 ? '' : words.slice(firstOption).join(' ')

      if (requirement === '') {
        const options = parseOptions(splitWords(optionText), LINE_OPTIONS, where)
        for (const { option, value } of options) {
          if (option === '--editable' && allowLocalPaths) {
            const spec = value ?? ''
            refuseVcs(spec, where)
            const local = localRequirementPath(spec)
            if (local === undefined) {
              throw new UserError(
                `${where}: "-e ${maskCredentials(spec)}" is an editable install from a URL: ` +
                  `it cannot be cached or cross-built for Lambda; ${UNCACHEABLE_FIX}`
              )
            }
            result.requirements.push({
              kind,
              file: path,
              line,
              text: `-e ${spec}`,
              hashes: [],
              markerVariables: [],
              marker: '',
              extras: [],
              local: { ...local, path: localPath(path, local.path), marker: '', editable: true }
            })
            continue
          }
          if (option === '--editable') {
            throw new UserError(
              `${where}: "-e ${maskCredentials(value ?? '')}" is an editable install: it cannot be ` +
                `cached or cross-built for Lambda; ${UNCACHEABLE_FIX}`
            )
          }
          if (option === '--requirement' || option === '--constraint') {
            const include = value as string
            if (URL_SCHEME.test(include)) {
              throw new UserError(
                `${where}: ${option} ${maskCredentials(include)}: includes by URL are not ` +
                  `supported; keep the file in the repository`
              )
            }
            const target = isAbsolute(include) ? include : join(dirname(path), include)
            if (stack.includes(target)) {
              const chain = [...stack, target].map(display).join(' → ')
              throw new UserError(`${where}: ${option} ${include} makes a cycle: ${chain}`)
            }
            const included = reader.readText(target)
            if (included === undefined) {
              throw new UserError(
                `${where}: ${option} ${include}: cannot read ${target}; create it or fix the path`
              )
            }
            // As in pip, `-r` inside a constraints file still reads requirements.
            const nested = option === '--constraint' ? 'constraint' : 'requirement'
            readFile(target, included, nested, [...stack, target])
            continue
          }
          let shown = value === undefined ? undefined : maskCredentials(value)
          let passed = value
          if (
            option === '--find-links' &&
            value !== undefined &&
            !/^[a-z][a-z0-9+.-]*:/i.test(value)
          ) {
            // pip reads a relative find-links path relative to the requirements file when
            // that directory exists there, else relative to the working directory.
            const beside = isAbsolute(value) ? value : join(dirname(path), value)
            if (reader.isDirectory(beside)) {
              passed = beside
              shown = beside
              result.localFindLinks.push(beside)
            }
          }
          if (option === '--require-hashes') result.hashMode = true
          result.options.push({
            file: path,
            line,
            option,
            ...(shown === undefined ? {} : { value: shown })
          })
          if (FETCH_OPTIONS.has(option)) {
            result.fetchArgs.push(option, ...(passed === undefined ? [] : [passed]))
          }
        }
        continue
      }

      const options = parseOptions(splitWords(optionText), REQUIREMENT_OPTIONS, where)
      const { spec, marker } = splitMarker(requirement)
      refuseVcs(spec, where)
      const local = allowLocalPaths ? localRequirementPath(spec) : undefined
      const project = local
        ? /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@/.exec(spec)?.[1]
        : requirementProject(spec, where)
      const hashes = options
        .filter((o) => o.option === '--hash')
        .map((o) => (o.value as string).toLowerCase())
      for (const hash of hashes) {
        if (!/^(sha256|sha384|sha512):[0-9a-f]+$/.test(hash)) {
          throw new UserError(
            `${where}: --hash=${hash} is not a sha256, sha384 or sha512 digest (algorithm:hex)`
          )
        }
      }
      if (hashes.length > 0) result.hashMode = true
      const others = options
        .filter((o) => o.option !== '--hash')
        .map((o) => `${o.option}=${o.value ?? ''}`)
      const entry: RequirementEntry = {
        kind,
        file: path,
        line,
        text: maskUserInfo([requirement.replace(/\s+/g, ' ').trim(), ...others].join(' ')),
        ...(project === undefined
          ? {}
          : { project: local ? normalizeProjectName(project) : project }),
        hashes: [...hashes].sort(),
        markerVariables: markerVariables(marker),
        marker,
        extras: requirementExtras(spec),
        ...(local
          ? { local: { ...local, path: localPath(path, local.path), marker, editable: false } }
          : {})
      }
      if (kind === 'constraint') result.constraints.push(entry)
      else result.requirements.push(entry)
    }
  }

  const content = reader.readText(file)
  if (content === undefined) {
    throw new UserError(`requirements: cannot read ${file}; check the path`)
  }
  readFile(file, content, 'requirement', [file])
  result.secrets = [...secrets]
  return result
}

/**
 * The requirements as one text for the cache key: includes inlined, comments and layout
 * gone, hashes sorted, credentials masked (a rotated token does not change the wheels).
 */
export function normalizedRequirements(parsed: ParsedRequirements): string {
  const lines: string[] = []
  for (const option of parsed.options) {
    lines.push(`option ${option.option}${option.value === undefined ? '' : ` ${option.value}`}`)
  }
  for (const entry of allEntries(parsed)) {
    const hashes = entry.hashes.map((h) => ` --hash=${h}`).join('')
    lines.push(`${entry.kind} ${entry.text}${hashes}`)
  }
  return lines.join('\n')
}

/** What an environment marker sees on the machine that evaluates it. */
export interface MarkerEnvironment {
  /** `3.11` */
  pythonVersion: string
  /** `platform.machine()`: `x86_64`, `aarch64`, `arm64` (macOS). */
  machine: string
  /** `platform.system()`: `Linux`, `Darwin`, `Windows`. */
  system: string
  /** `sys.implementation.name`: `cpython`. */
  implementation: string
}

/** What markers see on Lambda for (runtime, architecture). */
function targetMarkerEnvironment(
  runtime: RuntimeFacts,
  architecture: Architecture
): MarkerEnvironment {
  return {
    pythonVersion: runtime.pythonVersion,
    machine: WHEEL_ARCH[architecture],
    system: 'Linux',
    implementation: 'cpython'
  }
}

/** Marker variables whose value differs between the host and the target. */
function differingMarkerVariables(host: MarkerEnvironment, target: MarkerEnvironment): Set<string> {
  const differ = new Set<string>(['platform_release', 'platform_version'])
  if (host.pythonVersion !== target.pythonVersion) {
    for (const v of ['python_version', 'python_full_version', 'implementation_version'])
      differ.add(v)
  }
  if (host.machine !== target.machine) differ.add('platform_machine')
  if (host.system !== target.system) {
    for (const v of ['platform_system', 'sys_platform', 'os_name']) differ.add(v)
  }
  if (host.implementation !== target.implementation) {
    for (const v of ['implementation_name', 'platform_python_implementation']) differ.add(v)
  }
  return differ
}

/**
 * One warning per requirement line whose markers pip will evaluate with this machine's values
 * rather than the target's (pypa/pip#11664).
 */
export function hostMarkerWarnings(
  parsed: ParsedRequirements,
  host: MarkerEnvironment,
  runtime: RuntimeFacts,
  architecture: Architecture
): string[] {
  const target = targetMarkerEnvironment(runtime, architecture)
  const differ = differingMarkerVariables(host, target)
  const warnings: string[] = []
  for (const entry of allEntries(parsed)) {
    const affected = entry.markerVariables.filter((v) => differ.has(v))
    if (affected.length === 0) continue
    const where = `${displayPath(parsed.root, entry.file)}:${entry.line}`
    warnings.push(
      `${where}: "${entry.text}" depends on ${affected.join(', ')}; ` +
        `pip evaluates markers on this machine (Python ${host.pythonVersion}, ${host.machine}), ` +
        `not on ${runtime.name} ${architecture} (Python ${target.pythonVersion}, ${target.machine}) ` +
        `(pypa/pip#11664). Use installer: auto (the default) or uv, which evaluate them for the target.`
    )
  }
  return warnings
}

/** Hash algorithms named by `--hash` values. */
export function hashAlgorithms(parsed: ParsedRequirements): string[] {
  const algorithms = new Set<string>()
  for (const entry of allEntries(parsed)) {
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
 * `--hash` when it compiles, so this check is what honours them on that path.
 */
export function hashProblems(
  parsed: ParsedRequirements,
  wheels: readonly DownloadedWheel[]
): string[] {
  const byProject = new Map<string, RequirementEntry[]>()
  for (const entry of allEntries(parsed)) {
    if (entry.project === undefined || entry.hashes.length === 0) continue
    byProject.set(entry.project, [...(byProject.get(entry.project) ?? []), entry])
  }
  const problems: string[] = []
  for (const wheel of wheels) {
    const listed = byProject.get(wheel.project)
    if (!listed) {
      if (parsed.hashMode) {
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
      const where = listed.map((e) => `${displayPath(parsed.root, e.file)}:${e.line}`).join(', ')
      const got = Object.entries(wheel.digests)
        .map(([algorithm, hex]) => `${algorithm}:${hex}`)
        .join(', ')
      problems.push(
        `${wheel.project} (${wheel.file}) has ${got}, which is not among the --hash values at ` +
          `${where}; update the hash if you changed the version, else check where the file came from`
      )
    }
  }
  return problems
}
