// Credentials inside URLs: index URLs, find-links and proxies in the requirements file, PIP_*/UV_*
// variables, pip's configuration, and whatever the installers print. Two places hold them:
// - the user-info, `https://user:token@host/simple`;
// - the path or the query, as private indexes hand them out: `https://host/api/pypi/<token>/simple`,
//   `https://pypi.anaconda.org/t/<token>/channel/simple`, `https://host/simple/?token=<token>`.
// findCredentials gives what core.setSecret must register (the runner then masks it in every log
// line, the installers' own included); maskCredentials writes `***` in their place for our own
// messages and for the cache key, so a rotated token does not change the cache key.

/** A URL in running text: up to whitespace, a quote or an angle bracket. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi
/** Sentence punctuation after a URL is not part of it. */
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/
const MASK = '***'

/** Path segments after which the next one is a credential whatever it looks like. */
const CREDENTIAL_SEGMENT_BEFORE = /^(t|token|tokens|auth|key|apikey|api-key|api_key|secret)$/i
/** Query parameters whose value is a credential. */
const CREDENTIAL_PARAMETER = /token|key|secret|passw|pwd|auth|sig|credential|session/i
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * A path segment or query value that reads as a token rather than a name: a UUID, or a run of
 * 16 or more letters and digits holding both (`AbC1...`, hex and base62 keys). Names such as
 * `simple`, `pypi-remote` or `python-2024` are not.
 */
export function looksLikeToken(segment: string): boolean {
  const text = decoded(segment)
  if (!/^[A-Za-z0-9._~+=-]+$/.test(text)) return false
  if (UUID.test(text)) return true
  return (text.match(/[A-Za-z0-9]{16,}/g) ?? []).some(
    (run) => /\d/.test(run) && /[A-Za-z]/.test(run)
  )
}

interface UrlSecret {
  kind: 'user-info' | 'path' | 'query'
  /** Where it sits in the URL text. */
  start: number
  end: number
  /** The text, and for a user-info `user:password` its password alone too. */
  values: string[]
}

/** The credentials of one URL (no surrounding text), with their places. */
function urlSecrets(url: string): UrlSecret[] {
  const schemeEnd = url.indexOf('://') + 3
  const rest = url.slice(schemeEnd)
  const authorityEnd = schemeEnd + (rest.search(/[/?#]/) < 0 ? rest.length : rest.search(/[/?#]/))
  const secrets: UrlSecret[] = []
  const at = url.lastIndexOf('@', authorityEnd - 1)
  if (at >= schemeEnd) {
    const userInfo = url.slice(schemeEnd, at)
    const colon = userInfo.indexOf(':')
    const password = colon >= 0 && colon < userInfo.length - 1 ? [userInfo.slice(colon + 1)] : []
    if (userInfo !== '')
      secrets.push({
        kind: 'user-info',
        start: schemeEnd,
        end: at,
        values: [userInfo, ...password]
      })
  }
  const fragment = url.indexOf('#', authorityEnd)
  const beforeFragment = fragment < 0 ? url.length : fragment
  const queryStart = url.indexOf('?', authorityEnd)
  const pathEnd = queryStart < 0 || queryStart > beforeFragment ? beforeFragment : queryStart
  let offset = authorityEnd
  let previous = ''
  for (const segment of url.slice(authorityEnd, pathEnd).split('/')) {
    const credential =
      segment !== '' && (CREDENTIAL_SEGMENT_BEFORE.test(previous) || looksLikeToken(segment))
    if (credential) {
      secrets.push({ kind: 'path', start: offset, end: offset + segment.length, values: [segment] })
    }
    offset += segment.length + 1
    previous = segment
  }
  if (pathEnd < beforeFragment) {
    offset = pathEnd + 1
    for (const pair of url.slice(pathEnd + 1, beforeFragment).split('&')) {
      const equals = pair.indexOf('=')
      const value = equals < 0 ? '' : pair.slice(equals + 1)
      const named = CREDENTIAL_PARAMETER.test(decoded(pair.slice(0, Math.max(equals, 0))))
      if (value !== '' && (named || looksLikeToken(value))) {
        secrets.push({
          kind: 'query',
          start: offset + equals + 1,
          end: offset + pair.length,
          values: [value]
        })
      }
      offset += pair.length + 1
    }
  }
  return secrets
}

/** Each URL in `text`, its trailing punctuation left out. */
function urlsIn(text: string): { url: string; index: number }[] {
  return [...text.matchAll(URL_IN_TEXT)].map((match) => ({
    url: match[0].replace(TRAILING_PUNCTUATION, ''),
    index: match.index
  }))
}

function masked(text: string, kinds: readonly UrlSecret['kind'][]): string {
  let masked = ''
  let copied = 0
  for (const { url, index } of urlsIn(text)) {
    for (const secret of urlSecrets(url).filter((s) => kinds.includes(s.kind))) {
      masked += text.slice(copied, index + secret.start) + MASK
      copied = index + secret.end
    }
  }
  return masked + text.slice(copied)
}

/** `https://user:pass@host/api/pypi/<token>/simple` → `https://***@host/api/pypi/***\/simple`. */
export function maskCredentials(text: string): string {
  return masked(text, ['user-info', 'path', 'query'])
}

/**
 * The user-info alone: for a direct-URL requirement (`pkg @ https://host/<digest>/pkg.whl`) in
 * the cache key, where a content digest in the path must keep two files apart. Its path tokens
 * are registered by findCredentials all the same, so the runner masks them in the log.
 */
export function maskUserInfo(text: string): string {
  return masked(text, ['user-info'])
}

/** The credentials in every URL of `text`, each as written and percent-decoded. */
export function findCredentials(text: string): string[] {
  const found = new Set<string>()
  for (const { url } of urlsIn(text)) {
    for (const value of urlSecrets(url).flatMap((secret) => secret.values)) {
      found.add(value)
      found.add(decoded(value))
    }
  }
  return [...found]
}
