// PEP 508 dependency specifiers as `Requires-Dist` holds them: `name[extra1,extra2] (>=1,<2) ;
// marker` or `name @ url ; marker`. Pure.
// https://packaging.python.org/en/latest/specifications/dependency-specifiers/
import { normalizeProjectName } from './wheel-tags.js'
import { parseMarker, type Marker } from './marker.js'
import { parseSpecifierSet, type Specifier } from './specifier.js'

export interface Requirement {
  /** PEP 503 normalised: `typing-extensions`. */
  name: string
  /** Normalised extra names. */
  extras: string[]
  specifiers: Specifier[]
  /** `name @ url`: any version of it will do. */
  url?: string
  marker?: Marker
  /** The marker as written, for messages. */
  markerText?: string
  /** The whole requirement as written. */
  text: string
  /** Without its marker, spaces dropped: `typing_extensions>=4.1`, `uvicorn[standard]>=0.12.0`. */
  display: string
}

export class RequirementSyntaxError extends Error {}

const HEAD = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*/

/** Parses one requirement; throws RequirementSyntaxError (or a specifier/marker one) when malformed. */
export function parseRequirement(text: string): Requirement {
  const head = HEAD.exec(text)
  if (!head) throw new RequirementSyntaxError(`"${text}" does not start with a project name`)
  let rest = text.slice(head[0].length)
  const extras = (head[2] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map(normalizeProjectName)
  let url: string | undefined
  let markerText: string | undefined
  if (rest.startsWith('@')) {
    // A URL ends at whitespace; a marker after it needs whitespace before `;`.
    const m = /^@\s*(\S+)\s*(?:;(.*))?$/s.exec(rest)
    if (!m) throw new RequirementSyntaxError(`"${text}": a URL requirement is "name @ url"`)
    url = m[1]
    markerText = m[2]?.trim()
    rest = ''
  } else {
    const semicolon = rest.indexOf(';')
    if (semicolon >= 0) {
      markerText = rest.slice(semicolon + 1).trim()
      rest = rest.slice(0, semicolon)
    }
  }
  let versions = rest.trim()
  // Older metadata wraps the specifiers in parentheses: `foo (>=1.0)`.
  if (versions.startsWith('(') && versions.endsWith(')')) versions = versions.slice(1, -1)
  const specifiers = parseSpecifierSet(versions)
  const requirement: Requirement = {
    name: normalizeProjectName(head[1] as string),
    extras,
    specifiers,
    text: text.trim(),
    display:
      (head[1] as string) +
      (extras.length > 0 ? `[${extras.join(',')}]` : '') +
      (url === undefined ? specifiers.map((s) => `${s.operator}${s.text}`).join(',') : ` @ ${url}`)
  }
  if (url !== undefined) requirement.url = url
  if (markerText) {
    requirement.marker = parseMarker(markerText)
    requirement.markerText = markerText
  }
  return requirement
}
