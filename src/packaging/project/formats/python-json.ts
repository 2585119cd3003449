// Python's `json.dumps(value, sort_keys=True)` byte for byte, for the hashes Poetry and Pipenv
// record of their manifests (poetry.lock's content-hash, Pipfile.lock's _meta.hash): keys
// sorted by code point, non-ASCII and control characters as lower-case `\uXXXX` (ensure_ascii),
// and the separators the caller's tool uses. Pure.

export interface PythonJsonOptions {
  /** `(', ', ': ')` is Python's default; Pipenv passes `(',', ':')`. */
  itemSeparator: string
  keySeparator: string
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f'
}

function pythonString(text: string): string {
  // JavaScript strings are UTF-16, so a character above U+FFFF is already its surrogate pair,
  // which is what Python writes too.
  const escaped = text.replace(
    /[^\x20-\x7e]|["\\]/g,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  )
  return `"${escaped}"`
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function pythonJsonDumps(value: unknown, options: PythonJsonOptions): string {
  const dump = (v: unknown): string => {
    if (v === null || v === undefined) return 'null'
    if (typeof v === 'string') return pythonString(v)
    if (typeof v === 'boolean') return v ? 'true' : 'false'
    if (typeof v === 'number' || typeof v === 'bigint') return String(v)
    if (v instanceof Date) return pythonString(v.toISOString())
    if (Array.isArray(v)) return `[${v.map(dump).join(options.itemSeparator)}]`
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
      compareCodePoints(a, b)
    )
    return `{${entries
      .map(([key, item]) => `${pythonString(key)}${options.keySeparator}${dump(item)}`)
      .join(options.itemSeparator)}}`
  }
  return dump(value)
}
