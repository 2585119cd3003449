// PEP 508 environment markers (`python_version < "3.11" and extra == "socks"`): parsing and
// evaluation for an environment given as values, not a running interpreter, so a build on any
// runner can judge markers for Lambda's Python and architecture. Pure.
// https://packaging.python.org/en/latest/specifications/dependency-specifiers/#environment-markers
import { normalizeProjectName } from './wheel-tags.js'
import { parseSpecifier, specifierContains, SpecifierSyntaxError } from './specifier.js'

export const MARKER_VARIABLES = [
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  // PEP 751: what a lock file's markers read (`'dev' in dependency_groups`).
  'extras',
  'dependency_groups'
] as const
export type MarkerVariable = (typeof MARKER_VARIABLES)[number]

/** Spellings from before PEP 508 that pip still reads. */
const LEGACY_NAMES: Record<string, MarkerVariable> = {
  'os.name': 'os_name',
  'sys.platform': 'sys_platform',
  'platform.version': 'platform_version',
  'platform.machine': 'platform_machine',
  'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation'
}

export type MarkerOperator = '<=' | '<' | '!=' | '==' | '>=' | '>' | '~=' | '===' | 'in' | 'not in'

export type MarkerValue = { variable: MarkerVariable } | { literal: string }

export type Marker =
  | { op: 'and' | 'or'; left: Marker; right: Marker }
  | { op: 'compare'; left: MarkerValue; operator: MarkerOperator; right: MarkerValue }

/**
 * What markers see. A variable left out is unknown (Lambda's kernel release, say): a comparison
 * on it is neither true nor false, and the whole marker may end up unknown too. `extra`,
 * `extras` and `dependency_groups` may be sets (a lock judged for the extras and groups asked
 * for): `extra == "socks"` and `"socks" in extras` then mean membership.
 */
export type MarkerEnvironment = Partial<Record<MarkerVariable, string | readonly string[]>>

/** Variables whose values are names, compared normalised (PEP 685). */
const NAME_VALUED: ReadonlySet<MarkerVariable> = new Set(['extra', 'extras', 'dependency_groups'])

export class MarkerSyntaxError extends Error {}

type Token = { kind: 'string' | 'name' | 'op' | '(' | ')'; text: string; at: number }

const TOKEN =
  /\s*(?:(?<string>'[^']*'|"[^"]*")|(?<op>===|==|!=|<=|>=|~=|<|>|\bnot\s+in\b|\bin\b)|(?<paren>[()])|(?<name>[A-Za-z_][A-Za-z0-9_.]*))/y

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  TOKEN.lastIndex = 0
  let at = 0
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break
    TOKEN.lastIndex = at
    const m = TOKEN.exec(text)
    if (!m?.groups)
      throw new MarkerSyntaxError(`unexpected "${text.slice(at).trim()}" in marker "${text}"`)
    const g = m.groups
    const start = m.index + (m[0].length - m[0].trimStart().length)
    if (g.string !== undefined)
      tokens.push({ kind: 'string', text: g.string.slice(1, -1), at: start })
    else if (g.op !== undefined)
      tokens.push({ kind: 'op', text: g.op.replace(/\s+/, ' '), at: start })
    else if (g.paren !== undefined)
      tokens.push({ kind: g.paren as '(' | ')', text: g.paren, at: start })
    else tokens.push({ kind: 'name', text: g.name as string, at: start })
    at = TOKEN.lastIndex
  }
  return tokens
}

/** Parses a marker; throws MarkerSyntaxError naming what it could not read. */
export function parseMarker(text: string): Marker {
  const tokens = tokenize(text)
  let i = 0
  const fail = (what: string): never => {
    const token = tokens[i]
    throw new MarkerSyntaxError(
      `${what} ${token ? `at "${text.slice(token.at)}"` : 'at the end'} of marker "${text}"`
    )
  }
  const isWord = (word: string) => tokens[i]?.kind === 'name' && tokens[i]?.text === word

  const value = (): MarkerValue => {
    const token = tokens[i]
    if (token?.kind === 'string') {
      i++
      return { literal: token.text }
    }
    if (token?.kind === 'name') {
      const variable =
        LEGACY_NAMES[token.text] ??
        ((MARKER_VARIABLES as readonly string[]).includes(token.text)
          ? (token.text as MarkerVariable)
          : undefined)
      if (variable === undefined) fail(`unknown marker variable "${token.text}"`)
      i++
      return { variable: variable as MarkerVariable }
    }
    return fail('expected a variable or a quoted string')
  }
  const expression = (): Marker => {
    if (tokens[i]?.kind === '(') {
      i++
      const inner = or()
      if (tokens[i]?.kind !== ')') fail('expected ")"')
      i++
      return inner
    }
    const left = value()
    const token = tokens[i]
    if (token?.kind !== 'op') return fail('expected a comparison operator')
    i++
    const right = value()
    return { op: 'compare', left, operator: token.text as MarkerOperator, right }
  }
  const and = (): Marker => {
    let left = expression()
    while (isWord('and')) {
      i++
      left = { op: 'and', left, right: expression() }
    }
    return left
  }
  const or = (): Marker => {
    let left = and()
    while (isWord('or')) {
      i++
      left = { op: 'or', left, right: and() }
    }
    return left
  }
  const marker = or()
  if (i < tokens.length) fail('unexpected text')
  return marker
}

/** Three-valued: `undefined` when the answer depends on a value the environment lacks. */
export type Truth = boolean | undefined

/** Markers whose values are versions: only these compare as versions (PEP 508 as amended). */
const VERSION_VALUED: ReadonlySet<MarkerVariable> = new Set([
  'python_version',
  'python_full_version',
  'implementation_version',
  'platform_release'
])

/**
 * Strings compare by equality and containment only: the specification (and pip's packaging
 * 22+) makes `<` and `>` false and `<=` and `>=` equality; `~=` and `===` are undefined.
 */
function compareStrings(left: string, operator: MarkerOperator, right: string): boolean {
  switch (operator) {
    case 'in':
      return right.includes(left)
    case 'not in':
      return !right.includes(left)
    case '==':
    case '<=':
    case '>=':
      return left === right
    case '!=':
      return left !== right
    case '<':
    case '>':
      return false
    case '~=':
    case '===':
      throw new MarkerSyntaxError(`${operator} is not defined between "${left}" and "${right}"`)
  }
}

/**
 * A version-valued marker whose other side reads as a version specifier
 * (`python_version >= "3.8"`, `"3.8" < python_version`) compares as versions, as pip does;
 * everything else as strings (`platform_machine == "x86_64"`, `"linux" in sys_platform`).
 */
function compareValues(
  left: string,
  operator: MarkerOperator,
  right: string,
  versionValued: boolean
): boolean {
  if (versionValued && operator !== 'in' && operator !== 'not in') {
    try {
      return specifierContains(parseSpecifier(`${operator}${right}`), left)
    } catch (error) {
      if (!(error instanceof SpecifierSyntaxError)) throw error
    }
  }
  return compareStrings(left, operator, right)
}

function resolveValue(
  value: MarkerValue,
  env: MarkerEnvironment
): string | readonly string[] | undefined {
  return 'literal' in value ? value.literal : env[value.variable]
}

/** `extra == "x"`, `"x" in extras` with a set: membership; any other operator is an error. */
function compareMembership(
  name: string,
  operator: MarkerOperator,
  set: readonly string[],
  setOnLeft: boolean
): boolean {
  const member = set.map(normalizeProjectName).includes(normalizeProjectName(name))
  if (operator === '==' || (!setOnLeft && operator === 'in')) return member
  if (operator === '!=' || (!setOnLeft && operator === 'not in')) return !member
  throw new MarkerSyntaxError(`${operator} is not defined on a set of names ("${name}")`)
}

function compare(marker: Extract<Marker, { op: 'compare' }>, env: MarkerEnvironment): Truth {
  let left = resolveValue(marker.left, env)
  let right = resolveValue(marker.right, env)
  if (left === undefined || right === undefined) return undefined
  if (typeof left !== 'string' && typeof right !== 'string') {
    throw new MarkerSyntaxError('a marker compares two sets of names')
  }
  if (typeof left !== 'string')
    return compareMembership(right as string, marker.operator, left, true)
  if (typeof right !== 'string') return compareMembership(left, marker.operator, right, false)
  const variable =
    'variable' in marker.left
      ? marker.left.variable
      : 'variable' in marker.right
        ? marker.right.variable
        : undefined
  if (variable !== undefined && NAME_VALUED.has(variable)) {
    // Extra names compare normalised (PEP 685): `extra == "Socks"` is the `socks` extra.
    left = normalizeProjectName(left)
    right = normalizeProjectName(right)
  }
  return compareValues(
    left,
    marker.operator,
    right,
    variable !== undefined && VERSION_VALUED.has(variable)
  )
}

/** Kleene logic: `false and unknown` is false, `true or unknown` is true. */
export function evaluateMarker(marker: Marker, env: MarkerEnvironment): Truth {
  if (marker.op === 'compare') return compare(marker, env)
  const left = evaluateMarker(marker.left, env)
  if (marker.op === 'and') {
    if (left === false) return false
    const right = evaluateMarker(marker.right, env)
    return right === false ? false : left === true && right === true ? true : undefined
  }
  if (left === true) return true
  const right = evaluateMarker(marker.right, env)
  return right === true ? true : left === false && right === false ? false : undefined
}

/** Whether the marker names a variable anywhere: `extra`, to find extra-only requirements. */
export function markerUses(marker: Marker, variable: MarkerVariable): boolean {
  if (marker.op !== 'compare')
    return markerUses(marker.left, variable) || markerUses(marker.right, variable)
  return [marker.left, marker.right].some((v) => 'variable' in v && v.variable === variable)
}

/**
 * The marker's value in every one of `envs` when they agree, else unknown: the target is known
 * only up to what the environments leave open (the runtime's patch release, say).
 */
export function evaluateMarkerForAll(marker: Marker, envs: readonly MarkerEnvironment[]): Truth {
  const values = new Set(envs.map((env) => evaluateMarker(marker, env)))
  return values.size === 1 ? [...values][0] : undefined
}
