// PEP 440 versions: parsing the forms pip accepts (with its normalisations: `1.0-rc.1`,
// `v2`, `1.0.post`, `1.0-1`) and the total order that specifiers compare by. Pure.
// https://packaging.python.org/en/latest/specifications/version-specifiers/

export type PreLabel = 'a' | 'b' | 'rc'

export interface Version {
  epoch: number
  release: number[]
  pre?: { label: PreLabel; number: number }
  post?: number
  dev?: number
  /** Local segments, `1.0+ubuntu.1` → `['ubuntu', 1]`. */
  local?: (string | number)[]
}

// The spec's own grammar (its appendix), case-insensitive, surrounding whitespace allowed.
const VERSION_PATTERN =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|beta|preview|pre|rc|a|b|c)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i

const PRE_LABELS: Record<string, PreLabel> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc'
}

/** The version, or undefined when it is not PEP 440 (a legacy version such as `2004d`). */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION_PATTERN.exec(text)
  if (!m) return undefined
  const version: Version = {
    epoch: m[1] === undefined ? 0 : Number(m[1]),
    release: (m[2] as string).split('.').map(Number)
  }
  if (m[3] !== undefined) {
    version.pre = { label: PRE_LABELS[m[3].toLowerCase()] as PreLabel, number: Number(m[4] ?? 0) }
  }
  if (m[5] !== undefined) version.post = Number(m[5])
  else if (m[6] !== undefined) version.post = Number(m[7] ?? 0)
  if (m[8] !== undefined) version.dev = Number(m[9] ?? 0)
  if (m[10] !== undefined) {
    version.local = m[10]
      .toLowerCase()
      .split(/[-_.]/)
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
  }
  return version
}

/** Canonical text: `1.0rc1.post2.dev3+local.1`, epoch shown only when not 0. */
export function formatVersion(version: Version): string {
  let text = version.epoch === 0 ? '' : `${version.epoch}!`
  text += version.release.join('.')
  if (version.pre) text += `${version.pre.label}${version.pre.number}`
  if (version.post !== undefined) text += `.post${version.post}`
  if (version.dev !== undefined) text += `.dev${version.dev}`
  if (version.local) text += `+${version.local.join('.')}`
  return text
}

/** Pre-release or development release: `1.0a1`, `1.0.dev0`. */
export function isPrerelease(version: Version): boolean {
  return version.pre !== undefined || version.dev !== undefined
}

/** The version without its local part. */
export function publicVersion(version: Version): Version {
  const { local: _local, ...rest } = version
  return rest
}

/** Epoch and release only: `1!2.0.post1` → `1!2.0`. */
export function baseVersion(version: Version): Version {
  return { epoch: version.epoch, release: version.release }
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareRelease(a: readonly number[], b: readonly number[]): number {
  // Trailing zeros do not count: 1.0 == 1.0.0.
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const order = compareNumbers(a[i] ?? 0, b[i] ?? 0)
    if (order !== 0) return order
  }
  return 0
}

const PRE_ORDER: Record<PreLabel, number> = { a: 0, b: 1, rc: 2 }

/**
 * Where the pre-release segment sorts: a dev release of the final version (`1.0.dev0`) before
 * every pre-release of it, the final version (no pre) after them.
 */
function preKey(version: Version): [number, number] {
  if (version.pre) return [PRE_ORDER[version.pre.label], version.pre.number]
  if (version.post === undefined && version.dev !== undefined) return [-1, 0]
  return [3, 0]
}

function compareLocal(a: Version['local'], b: Version['local']): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string | number
    const y = b[i] as string | number
    // Numeric segments sort after alphanumeric ones, numerically among themselves.
    if (typeof x !== typeof y) return typeof x === 'number' ? 1 : -1
    const order =
      typeof x === 'number' ? compareNumbers(x, y as number) : x < y ? -1 : x > y ? 1 : 0
    if (order !== 0) return order
  }
  return compareNumbers(a.length, b.length)
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareVersions(a: Version, b: Version): number {
  const [aPre, aPreNumber] = preKey(a)
  const [bPre, bPreNumber] = preKey(b)
  return (
    compareNumbers(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    compareNumbers(aPre, bPre) ||
    compareNumbers(aPreNumber, bPreNumber) ||
    // No post release sorts before any post release; no dev release after any dev release.
    compareNumbers(a.post ?? -1, b.post ?? -1) ||
    compareNumbers(a.dev ?? Infinity, b.dev ?? Infinity) ||
    compareLocal(a.local, b.local)
  )
}
