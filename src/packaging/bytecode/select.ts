// Which modules get a .pyc, where it goes, and whether the packages can carry it: pure
// decisions, no I/O (docs/bytecode.md).
import { INPUT } from '../../constants.js'
import { LAYER_ROOT, LIMITS, TASK_ROOT } from '../../lambda-facts.js'
import type { SizeLimits } from '../../report/gate.js'
import { formatExact, formatSize } from '../../report/sizes.js'
import type { BytecodeMode } from '../../types.js'
import { entryHeaderBytes } from '../zip-format.js'

export type PackageName = 'function' | 'layer'

/** A .py file of a package zip. */
export interface PythonSource {
  package: PackageName
  /** Entry name: `pkg/mod.py`, or `python/pkg/mod.py` in a layer. */
  name: string
  size: number
}

/** A module file CPython may import: `.py`, outside the metadata folders. */
export function isPythonSource(name: string): boolean {
  if (!name.endsWith('.py') || name.endsWith('/.py') || name === '.py') return false
  return !name
    .split('/')
    .slice(0, -1)
    .some((folder) => folder.endsWith('.dist-info') || folder === '__pycache__')
}

/** `pkg/mod.py` → `pkg/__pycache__/mod.cpython-312.pyc`: where the runtime looks for it. */
export function pycEntryName(name: string, cacheTag: string): string {
  const slash = name.lastIndexOf('/')
  return `${name.slice(0, slash + 1)}__pycache__/${name.slice(slash + 1, -'.py'.length)}.${cacheTag}.pyc`
}

/** The source's path on Lambda: the .pyc records it as the module's file name. */
export function lambdaSourcePath(pkg: PackageName, name: string): string {
  // A layer's entries already start with python/: /opt/python/pkg/mod.py.
  return `${pkg === 'function' ? TASK_ROOT : LAYER_ROOT}/${name}`
}

/** One set of modules to compile, in the words the report uses. */
export interface Selection {
  compiled: 'all' | 'imported'
  sources: PythonSource[]
}

export interface SelectionRequest {
  mode: BytecodeMode
  /** Every .py file of the packages. */
  sources: readonly PythonSource[]
  /** The module files the handler's import loaded; undefined when no import ran. */
  loaded?: { function: readonly string[]; layer: readonly string[] }
  /** The handler's own files in the function zip. */
  codeFiles: readonly string[]
  /** Function plus layer, unzipped, before any bytecode. */
  unzippedSize: number
}

/**
 * Compiling everything is "comfortable" when its bytecode would add at most this share to the
 * unzipped package: modules imported later (inside the handler) then start fast too, for little.
 */
export const COMFORTABLE_GROWTH = 0.1
/** .pyc bytes per source byte, for that estimate: 1.23 over numpy + pandas (CPython 3.12), rounded up. */
export const PYC_BYTES_PER_SOURCE_BYTE = 1.3

/**
 * The sets to try, best first; the caller ships the first one that fits the limits, else none.
 * - `all`: every module, then (when an import ran) what it loaded plus the handler's own code.
 * - `imported`: what the import loaded plus the handler's own code, or everything when that is
 *   comfortable (see COMFORTABLE_GROWTH); with no import to learn from, everything.
 */
export function bytecodeSelections(request: SelectionRequest): Selection[] {
  const { mode, sources, loaded } = request
  if (mode === 'none' || sources.length === 0) return []
  const all: Selection = { compiled: 'all', sources: [...sources] }
  if (loaded === undefined) return [all]
  const wanted: Record<PackageName, Set<string>> = {
    function: new Set([...loaded.function, ...request.codeFiles]),
    layer: new Set(loaded.layer)
  }
  const imported: Selection = {
    compiled: 'imported',
    sources: sources.filter((source) => wanted[source.package].has(source.name))
  }
  if (imported.sources.length === sources.length) return [all]
  if (mode === 'all') return [all, imported]
  const sourceBytes = sources.reduce((total, source) => total + source.size, 0)
  const comfortable =
    sourceBytes * PYC_BYTES_PER_SOURCE_BYTE <= COMFORTABLE_GROWTH * request.unzippedSize
  return comfortable ? [all, imported] : [imported]
}

/** A zip as the limits see it. */
export interface ZipSize {
  /** Zipped bytes. */
  size: number
  unzippedSize: number
  entries: number
}

export interface PackageSizes {
  function: ZipSize
  layer?: ZipSize
}

/** One .pyc entry as it would be written. */
export interface AddedEntry {
  package: PackageName
  name: string
  /** Bytes of data in the zip (deflated, or stored). */
  compressedSize: number
  uncompressedSize: number
}

/** Lambda's most entries in a zip we write (no zip64). */
const MAX_ZIP_ENTRIES = 0xffff

function unzippedLimit(limits: SizeLimits): { bytes: number; name: string } {
  return limits.maxUnzippedSize < LIMITS.unzippedBytes
    ? {
        bytes: limits.maxUnzippedSize,
        name: `${INPUT.maxUnzippedSize} of ${formatExact(limits.maxUnzippedSize)}`
      }
    : {
        bytes: LIMITS.unzippedBytes,
        name: `Lambda's limit of ${formatExact(LIMITS.unzippedBytes)}`
      }
}

/** The packages with `added` written into them. */
export function sizesWith(before: PackageSizes, added: readonly AddedEntry[]): PackageSizes {
  const grow = (zip: ZipSize, pkg: PackageName): ZipSize => {
    const mine = added.filter((entry) => entry.package === pkg)
    return {
      size: mine.reduce((n, e) => n + e.compressedSize + entryHeaderBytes(e.name), zip.size),
      unzippedSize: mine.reduce((n, e) => n + e.uncompressedSize, zip.unzippedSize),
      entries: zip.entries + mine.length
    }
  }
  return {
    function: grow(before.function, 'function'),
    ...(before.layer ? { layer: grow(before.layer, 'layer') } : {})
  }
}

/**
 * The limit the packages with `added` in them break, or undefined: the unzipped total stays
 * within Lambda's limit and `max-unzipped-size`, each zip within `max-size` and the zip entry
 * count, and a zip that could be uploaded directly (52,428,800 bytes) still can. With nothing
 * added, it says whether the packages are over a limit already.
 */
export function limitProblem(
  before: PackageSizes,
  added: readonly AddedEntry[],
  limits: SizeLimits
): string | undefined {
  const after = sizesWith(before, added)
  const unzipped = after.function.unzippedSize + (after.layer?.unzippedSize ?? 0)
  const limit = unzippedLimit(limits)
  if (unzipped > limit.bytes) {
    return `function + layer ${formatExact(unzipped)} unzipped, over ${limit.name}`
  }
  const zips: [string, ZipSize | undefined, ZipSize | undefined][] = [
    ['function.zip', before.function, after.function],
    ['layer.zip', before.layer, after.layer]
  ]
  for (const [label, was, now] of zips) {
    if (!was || !now) continue
    if (now.entries > MAX_ZIP_ENTRIES) {
      return `${label} ${now.entries} files, more than the ${MAX_ZIP_ENTRIES} a zip without zip64 holds`
    }
    if (limits.maxSize !== undefined && now.size > limits.maxSize) {
      return `${label} ${formatExact(now.size)} zipped, over ${INPUT.maxSize} of ${formatExact(limits.maxSize)}`
    }
    if (was.size <= LIMITS.directUploadBytes && now.size > LIMITS.directUploadBytes) {
      return `${label} ${formatExact(now.size)} zipped, past the ${formatExact(LIMITS.directUploadBytes)} Lambda takes in a direct upload`
    }
  }
  return undefined
}

/** `every module (1,871 files, +39.5 MB unzipped)`. */
export function describeSelection(selection: Selection, added: readonly AddedEntry[]): string {
  const bytes = added.reduce((n, e) => n + e.uncompressedSize, 0)
  const what =
    selection.compiled === 'all' ? 'every module' : 'the modules the handler imports at init'
  return `${what} (${added.length} files, +${formatSize(bytes)} unzipped)`
}

export interface Choice<E extends AddedEntry> {
  /** The first selection that fits; undefined: none does. */
  selection?: Selection
  added: E[]
  /** One sentence per selection passed over, with the limit it would break. */
  passedOver: string[]
}

/** Ships the first selection whose .pyc entries fit the limits. */
export function chooseSelection<E extends AddedEntry>(
  selections: readonly Selection[],
  addedFor: (selection: Selection) => E[],
  before: PackageSizes,
  limits: SizeLimits
): Choice<E> {
  const passedOver: string[] = []
  for (const selection of selections) {
    const added = addedFor(selection)
    const problem = limitProblem(before, added, limits)
    if (problem === undefined) return { selection, added, passedOver }
    passedOver.push(`bytecode for ${describeSelection(selection, added)}: ${problem}`)
  }
  return { added: [], passedOver }
}
