// Sizes as users write them in inputs and read them in reports. MB means 1,000,000 bytes here,
// both ways: `max-size: 45MB` is 45,000,000 and a 45,000,000-byte zip reads "45.0 MB". Lambda's
// limits are powers of 1024 ("50 MB" is 52,428,800 bytes), so an exact size that is a whole
// number of MiB says so too: `52.4 MB (50 MiB, 52,428,800 bytes)`.
import { InputError } from '../errors.js'

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3
}

const ACCEPTED =
  'use a whole number of bytes (262144000 or 262,144,000) or a number with a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024), e.g. 45MB, 40MiB, 1.5GB'

const WITH_UNIT = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)$/i
const PLAIN_BYTES = /^(\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?:_\d{3})+)$/

/** Parses a size input (`45MB`, `40MiB`, `1.5GB`, `262144000`) to bytes; anything else is an InputError. */
export function parseSize(input: string, value: string): number {
  const text = value.trim()
  let bytes: number
  const plain = PLAIN_BYTES.exec(text)
  const withUnit = WITH_UNIT.exec(text)
  if (plain) {
    bytes = Number(text.replace(/[,_]/g, ''))
  } else if (withUnit) {
    const factor = UNITS[withUnit[2]!.toLowerCase()]
    if (factor === undefined) {
      throw new InputError(input, `'${value}' has an unknown unit '${withUnit[2]}'; ${ACCEPTED}.`)
    }
    bytes = Math.round(Number(withUnit[1]) * factor)
  } else {
    throw new InputError(input, `'${value}' is not a size; ${ACCEPTED}.`)
  }
  if (!Number.isSafeInteger(bytes)) throw new InputError(input, `'${value}' is too large.`)
  if (bytes <= 0) throw new InputError(input, `'${value}' must be more than 0 bytes.`)
  return bytes
}

/** `262144000` → `262,144,000`, whatever the machine's locale. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : ''
  return sign + String(Math.abs(Math.round(bytes))).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

function fixed(value: number, decimals: number): string {
  const [whole, fraction] = value.toFixed(decimals).split('.')
  return `${formatBytes(Number(whole))}.${fraction}`
}

/**
 * Human size: `512 B`, `12.3 kB`, `2.35 MB` (two decimals below 10 MB), `45.3 MB`, `1.25 GB`.
 * Negative values keep their sign. The unit is chosen after rounding (999,999 B is `1.00 MB`).
 */
export function formatSize(bytes: number): string {
  const sign = bytes < 0 ? '-' : ''
  const abs = Math.abs(Math.round(bytes))
  if (abs < 1000) return `${sign}${abs} B`
  if (abs < 999_950) return `${sign}${fixed(abs / 1000, 1)} kB`
  if (abs < 9_995_000) return `${sign}${fixed(abs / 1000 ** 2, 2)} MB`
  if (abs < 999_950_000) return `${sign}${fixed(abs / 1000 ** 2, 1)} MB`
  return `${sign}${fixed(abs / 1000 ** 3, 2)} GB`
}

const MIB = 1024 ** 2

/**
 * `formatSize` plus the exact bytes: `45.0 MB (45,000,000 bytes)`; a whole number of MiB (Lambda's
 * limits, `max-size: 40MiB`) also in MiB: `52.4 MB (50 MiB, 52,428,800 bytes)`.
 */
export function formatExact(bytes: number): string {
  const mib = bytes !== 0 && bytes % MIB === 0 ? `${formatBytes(bytes / MIB)} MiB, ` : ''
  return `${formatSize(bytes)} (${mib}${formatBytes(bytes)} bytes)`
}

/** How close a size may come to a limit before the exact bytes matter: 10%. */
export const NEAR_LIMIT_RATIO = 0.1

/** True when `bytes` is within 10% of `limit`, on either side. */
export function isNearLimit(bytes: number, limit: number): boolean {
  return Math.abs(bytes - limit) <= limit * NEAR_LIMIT_RATIO
}

/** `formatSize`, with the exact bytes when one of the limits is close (within 10%, either side). */
export function formatSizeNear(bytes: number, ...limits: (number | undefined)[]): string {
  return limits.some((limit) => limit !== undefined && isNearLimit(bytes, limit))
    ? formatExact(bytes)
    : formatSize(bytes)
}

/** A signed change: `+1.20 MB`, `-340.0 kB`, `0 B`. */
export function formatDelta(bytes: number): string {
  if (Math.round(bytes) === 0) return '0 B'
  return bytes > 0 ? `+${formatSize(bytes)}` : formatSize(bytes)
}

/** A signed change in percent of `base`: `+1.3%`, `-0.4%`, `+<0.1%`; undefined without a base. */
export function formatPercent(delta: number, base: number): string | undefined {
  if (base <= 0) return undefined
  const percent = (delta / base) * 100
  if (Math.round(delta) === 0) return '0%'
  if (Math.abs(percent) < 0.05) return delta > 0 ? '+<0.1%' : '-<0.1%'
  return `${percent > 0 ? '+' : ''}${percent.toFixed(1)}%`
}

/** A share of a whole: `39.0%`, `<0.1%`. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return '-'
  const percent = (part / whole) * 100
  if (part > 0 && percent < 0.05) return '<0.1%'
  return `${percent.toFixed(1)}%`
}

/** `850 ms`, `12.3 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.round(ms))
  if (rounded < 1000) return `${rounded} ms`
  if (rounded < 60_000) return `${(rounded / 1000).toFixed(1)} s`
  const seconds = Math.round(rounded / 1000)
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
}
