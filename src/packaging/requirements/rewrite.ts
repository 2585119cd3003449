// Requirements files with local libraries, rewritten for the resolve phase: each local path
// line becomes a pin of the wheel built from it (`common==0.1.0`, with its hash in hash mode),
// found through one `--find-links` folder; includes point at the rewritten copies. Pure.
import { dirname, isAbsolute, join } from 'node:path'
import { logicalLines, type ParsedRequirements } from './requirements-file.js'

export interface BuiltLibrary {
  /** Absolute path of the library as the requirements name it. */
  path: string
  /** Wheel file name in the find-links folder. */
  wheel: string
  project: string
  version: string
  sha256: string
}

const INCLUDE = /^(-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?=[^\s=-]))(\S+)$/
const FIND_LINKS = /^(-f|--find-links)(?:\s*=\s*|\s+|(?=[^\s=-]))(\S+)$/

/** The rewritten copy's name for each file read (`0.txt` is the top-level file). */
export function copyNames(parsed: ParsedRequirements): Map<string, string> {
  const names = new Map<string, string>()
  for (const file of parsed.files) if (!names.has(file)) names.set(file, `${names.size}.txt`)
  return names
}

/**
 * `outDir/<n>.txt` per file of `parsed` → its text. `texts` holds each file's content;
 * `isDirectory` tells whether a relative find-links folder exists beside its file (pip's rule).
 */
export function rewriteRequirements(
  parsed: ParsedRequirements,
  texts: ReadonlyMap<string, string>,
  built: ReadonlyMap<string, BuiltLibrary>,
  /** Where the built wheels are; undefined when there are none. */
  findLinksDir: string | undefined,
  outDir: string,
  isDirectory: (path: string) => boolean
): Map<string, string> {
  const names = copyNames(parsed)
  const locals = new Map<string, BuiltLibrary>()
  for (const entry of [...parsed.requirements, ...parsed.constraints]) {
    if (entry.local) {
      const library = built.get(entry.local.path)
      if (!library) throw new Error(`no wheel was built for ${entry.local.path}`)
      locals.set(`${entry.file}:${entry.line}`, library)
    }
  }
  const entryAt = new Map(
    [...parsed.requirements, ...parsed.constraints].map((e) => [`${e.file}:${e.line}`, e])
  )
  const out = new Map<string, string>()
  for (const [file, name] of names) {
    const lines: string[] =
      file === parsed.root && findLinksDir !== undefined ? [`--find-links ${findLinksDir}`] : []
    for (const { line, text } of logicalLines(texts.get(file) ?? '')) {
      const library = locals.get(`${file}:${line}`)
      const entry = entryAt.get(`${file}:${line}`)
      if (library && entry?.local) {
        const marker = entry.local.marker === '' ? '' : ` ; ${entry.local.marker}`
        const hash = parsed.hashMode ? ` --hash=sha256:${library.sha256}` : ''
        lines.push(`${library.project}${entry.local.extras}==${library.version}${marker}${hash}`)
        continue
      }
      const include = INCLUDE.exec(text)
      if (include) {
        const target = include[2] as string
        const absolute = isAbsolute(target) ? target : join(dirname(file), target)
        const copy = names.get(absolute)
        lines.push(copy ? `${include[1]} ${join(outDir, copy)}` : text)
        continue
      }
      const findLinks = FIND_LINKS.exec(text)
      if (findLinks && !/^[a-z][a-z0-9+.-]*:/i.test(findLinks[2] as string)) {
        const beside = join(dirname(file), findLinks[2] as string)
        lines.push(
          !isAbsolute(findLinks[2] as string) && isDirectory(beside)
            ? `${findLinks[1]} ${beside}`
            : text
        )
        continue
      }
      lines.push(text)
    }
    out.set(join(outDir, name), lines.join('\n') + '\n')
  }
  return out
}
