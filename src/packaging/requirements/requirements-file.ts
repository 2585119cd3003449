// Reads a pip requirements file the way pip does (includes, continuations, comments, options,
// `${VAR}` expansion) into the dependency set it declares (dependency-set.ts), keeping each
// entry's file and line. Pure: the file system comes in as a `RequirementsReader`.
import { dirname, isAbsolute, join, relative } from 'node:path'
import { UserError } from '../../errors.js'
import { normalizeProjectName } from '../pep/wheel-tags.js'
import {
  fetchArgs,
  type DependencyEntry,
  type DependencyOption,
  type DependencySet
} from './dependency-set.js'
import { findCredentials, maskCredentials, maskUserInfo } from './url-credentials.js'

export { findCredentials, maskCredentials } from './url-credentials.js'

export interface RequirementsReader {
  /** Text of an absolute path, `undefined` when it cannot be read. */
  readText(path: string): string | undefined
  isDirectory(path: string): boolean
}

export interface RequirementEntry extends DependencyEntry {
  kind: 'requirement' | 'constraint'
  /** Absolute path of the file that holds it. */
  file: string
  /** 1-based line where the (possibly continued) line starts. */
  line: number
}

export interface RequirementOption extends DependencyOption {
  file: string
  line: number
}

export interface ParsedRequirements extends DependencySet {
  /** The top-level file, absolute. */
  root: string
  /** Every file read, in order. */
  files: string[]
  requirements: RequirementEntry[]
  constraints: RequirementEntry[]
  options: RequirementOption[]
  /** `fetchArgs(this)`: where to fetch from, credentials included; never log. */
  fetchArgs: string[]
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
              where,
              requirement: `-e ${spec}`,
              options: [],
              text: `-e ${maskCredentials(spec)}`,
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
            ...(passed === undefined ? {} : { value: passed }),
            ...(shown === undefined ? {} : { shown })
          })
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
        where,
        requirement: spec,
        options: others,
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
  result.fetchArgs = fetchArgs(result)
  return result
}

/**
 * One PEP 508 requirement (from a pyproject.toml or a lock) as an entry of the set. A local
 * path (`name @ file:///…`, `name @ ../lib`) comes back with `local`, relative to `baseDir`;
 * a VCS URL is refused as in a requirements file.
 */
export function pep508Entry(
  text: string,
  where: string,
  baseDir: string,
  hashes: readonly string[] = []
): DependencyEntry {
  const requirement = text.trim()
  const { spec, marker } = splitMarker(requirement)
  refuseVcs(spec, where)
  const local = localRequirementPath(spec)
  const named = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@/.exec(spec)?.[1]
  const project = local
    ? named === undefined
      ? undefined
      : normalizeProjectName(named)
    : requirementProject(spec, where)
  return {
    requirement: spec,
    options: [],
    text: maskCredentials(requirement.replace(/\s+/g, ' ')),
    ...(project === undefined ? {} : { project }),
    hashes: [...hashes].sort(),
    marker,
    markerVariables: markerVariables(marker),
    extras: requirementExtras(spec),
    where,
    ...(local
      ? {
          local: {
            ...local,
            path: localPath(join(baseDir, 'x'), local.path),
            marker,
            editable: false
          }
        }
      : {})
  }
}
