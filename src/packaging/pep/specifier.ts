// PEP 440 version specifiers (`>=1.2,<2`, `~=3.1`, `==2.*`, `!=1.5.*`, `===foo`): parsing and
// matching an installed version. Pure.
// https://packaging.python.org/en/latest/specifications/version-specifiers/
import {
  baseVersion,
  compareVersions,
  isPrerelease,
  parseVersion,
  publicVersion,
  type Version
} from './version.js'

export type Operator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '==='

export interface Specifier {
  operator: Operator
  /** As written after the operator, `.*` included. */
  text: string
  /** Undefined for `===` and for a text that is not a version. */
  version?: Version
  /** `==1.2.*` / `!=1.2.*`. */
  wildcard: boolean
}

const CLAUSE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*(\S+?)\s*$/

/** Thrown for text that is not a specifier; the caller names where it came from. */
export class SpecifierSyntaxError extends Error {}

/** One clause: `>=1.2`. */
export function parseSpecifier(text: string): Specifier {
  const m = CLAUSE.exec(text)
  if (!m) throw new SpecifierSyntaxError(`"${text}" is not a version specifier`)
  const operator = m[1] as Operator
  const value = m[2] as string
  if (operator === '===') return { operator, text: value, wildcard: false }
  const wildcard = value.endsWith('.*')
  if (wildcard && operator !== '==' && operator !== '!=') {
    throw new SpecifierSyntaxError(`"${text}": only == and != take a .* suffix`)
  }
  const version = parseVersion(wildcard ? value.slice(0, -2) : value)
  if (!version || (wildcard && version.local)) {
    throw new SpecifierSyntaxError(`"${text}": "${value}" is not a PEP 440 version`)
  }
  if (version.local && operator !== '==' && operator !== '!=') {
    throw new SpecifierSyntaxError(`"${text}": only == and != take a local version`)
  }
  if (operator === '~=' && version.release.length < 2) {
    throw new SpecifierSyntaxError(`"${text}": ~= needs at least two release segments`)
  }
  return { operator, text: value, version, wildcard }
}

/** A comma-separated set, `>=1.2, <2`; empty text is the empty set (any version). */
export function parseSpecifierSet(text: string): Specifier[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  return trimmed.split(',').map(parseSpecifier)
}

/** Epoch, release and the pre/post/dev segments, for `.*` prefix matching. */
function segments(version: Version, releaseLength: number): string[] {
  const release = [...version.release]
  while (release.length < releaseLength) release.push(0)
  const parts = [String(version.epoch), ...release.map(String)]
  if (version.pre) parts.push(`${version.pre.label}${version.pre.number}`)
  if (version.post !== undefined) parts.push(`post${version.post}`)
  if (version.dev !== undefined) parts.push(`dev${version.dev}`)
  return parts
}

function prefixMatches(candidate: Version, prefix: Version): boolean {
  const wanted = segments(prefix, 0)
  const have = segments(publicVersion(candidate), prefix.release.length)
  return wanted.every((part, i) => have[i] === part)
}

function equals(candidate: Version, spec: Version): boolean {
  // `==1.0` matches `1.0+local`; `==1.0+local` only that local version.
  return compareVersions(spec.local ? candidate : publicVersion(candidate), spec) === 0
}

function sameBase(a: Version, b: Version): boolean {
  return compareVersions(baseVersion(a), baseVersion(b)) === 0
}

/**
 * Whether `candidate` satisfies one clause. Pre-releases count: this judges versions already
 * installed (as `pip check` does), not which one to pick.
 */
export function specifierContains(spec: Specifier, candidateText: string): boolean {
  if (spec.operator === '===') return candidateText.trim().toLowerCase() === spec.text.toLowerCase()
  const candidate = parseVersion(candidateText)
  const version = spec.version
  if (!candidate || !version) return false
  switch (spec.operator) {
    case '==':
      return spec.wildcard ? prefixMatches(candidate, version) : equals(candidate, version)
    case '!=':
      return spec.wildcard ? !prefixMatches(candidate, version) : !equals(candidate, version)
    case '~=': {
      const prefix: Version = { epoch: version.epoch, release: version.release.slice(0, -1) }
      return (
        compareVersions(publicVersion(candidate), version) >= 0 && prefixMatches(candidate, prefix)
      )
    }
    case '<=':
      return compareVersions(publicVersion(candidate), version) <= 0
    case '>=':
      return compareVersions(publicVersion(candidate), version) >= 0
    case '<':
      // `<3.0` does not admit 3.0's own pre-releases (3.0rc1) unless it names one itself.
      return (
        compareVersions(candidate, version) < 0 &&
        !(!isPrerelease(version) && isPrerelease(candidate) && sameBase(candidate, version))
      )
    case '>':
      // `>1.7` admits neither 1.7's post-releases (unless it names one) nor 1.7+local.
      return (
        compareVersions(candidate, version) > 0 &&
        !(
          version.post === undefined &&
          candidate.post !== undefined &&
          sameBase(candidate, version)
        ) &&
        !(candidate.local !== undefined && sameBase(candidate, version))
      )
  }
}

/** Whether `candidate` satisfies every clause of the set. */
export function specifierSetContains(specs: readonly Specifier[], candidate: string): boolean {
  return specs.every((spec) => specifierContains(spec, candidate))
}
