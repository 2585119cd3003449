// Core metadata (`*.dist-info/METADATA`): the header fields the dependency check reads. The
// format is RFC 822 headers, folded lines continued by whitespace, the description after the
// first blank line. Pure.
// https://packaging.python.org/en/latest/specifications/core-metadata/

export interface CoreMetadata {
  name: string
  version: string
  /** Each `Requires-Dist` value as written. */
  requiresDist: string[]
  /** Each `Provides-Extra` value as written. */
  providesExtra: string[]
}

/** The header fields, `undefined` when Name or Version is missing. */
export function parseCoreMetadata(text: string): CoreMetadata | undefined {
  const fields: [string, string][] = []
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break
    const last = fields[fields.length - 1]
    if (/^[ \t]/.test(line)) {
      if (last) last[1] += `\n${line.trim()}`
      continue
    }
    const colon = line.indexOf(':')
    if (colon > 0)
      fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()])
  }
  const all = (name: string) => fields.filter(([key]) => key === name).map(([, value]) => value)
  const [name] = all('name')
  const [version] = all('version')
  if (!name || !version) return undefined
  return {
    name,
    version,
    requiresDist: all('requires-dist').map((v) => v.replace(/\s*\n\s*/g, ' ')),
    providesExtra: all('provides-extra')
  }
}
