// `requires-python` (PEP 440 specifiers) against a Lambda runtime's Python minor. Pure.
import { UserError } from '../../errors.js'

type Version = number[]

function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+(?:\.\d+)*)/.exec(text.trim())
  return match ? (match[1] as string).split('.').map(Number) : undefined
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

function startsWith(version: Version, prefix: Version): boolean {
  return prefix.every((part, i) => (version[i] ?? 0) === part)
}

/** One clause (`>=3.11`, `==3.12.*`, `~=3.10`) applied to a full version. */
function clauseHolds(clause: string, version: Version, where: string): boolean {
  const match = /^(~=|===|==|!=|<=|>=|<|>)\s*(.+)$/.exec(clause.trim())
  if (!match) throw new UserError(`${where}: "${clause}" is not a version specifier`)
  const [, op, rawValue] = match as unknown as [string, string, string]
  const wildcard = rawValue.trim().endsWith('.*')
  const value = parseVersion(rawValue.replace(/\.\*$/, ''))
  if (!value) throw new UserError(`${where}: "${clause}" is not a version specifier`)
  if (wildcard && (op === '==' || op === '!=')) {
    return op === '==' ? startsWith(version, value) : !startsWith(version, value)
  }
  const order = compare(version, value)
  switch (op) {
    case '==':
    case '===':
      return order === 0
    case '!=':
      return order !== 0
    case '<=':
      return order <= 0
    case '>=':
      return order >= 0
    case '<':
      return order < 0
    case '>':
      return order > 0
    default:
      // ~=X.Y[.Z]: >= X.Y[.Z] and the same release up to the last-but-one part.
      return order >= 0 && value.length >= 2 && startsWith(version, value.slice(0, -1))
  }
}

/**
 * Whether some `X.Y.patch` release of `pythonVersion` (`3.11`) satisfies `specifier`: Lambda
 * moves its runtimes to new patch releases on its own, so the minor is what the user chose.
 */
export function pythonSatisfies(specifier: string, pythonVersion: string, where: string): boolean {
  const clauses = specifier
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
  const minor = parseVersion(pythonVersion) ?? []
  for (let patch = 0; patch <= 99; patch++) {
    const version = [...minor.slice(0, 2), patch]
    if (clauses.every((clause) => clauseHolds(clause, version, where))) return true
  }
  return false
}
