// Assemble: wheels + handler code → function.zip (and layer.zip). A pure plan decides every
// output entry and its name; the writer then copies wheel entries compressed as they are and
// deflates only the handler code.
//
// The dependency part holds what `pip install --target DIR --no-compile` puts in DIR from the
// same wheels, minus what never runs on Lambda:
// - `<dist>.data/purelib/X`, `.data/platlib/X` and `.data/data/X` become `X`, as with pip;
// - `.data/scripts/` (console scripts, pip's `bin/`) and `.data/headers/` (C headers for
//   building extensions, pip's `include/`) are dropped: nothing imports them;
// - bytecode (`__pycache__/`, `*.pyc`) and installer bookkeeping (`INSTALLER`, `REQUESTED`,
//   `direct_url.json`) are dropped; `*.dist-info/` stays, with the wheel's own RECORD, because
//   importlib.metadata reads it.
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { UserError } from '../../errors.js'
import { LIMITS } from '../../lambda-facts.js'
import { formatExact, formatSize } from '../../report/sizes.js'
import { parseWheelName } from '../pep/wheel-tags.js'
import type { DistributionSize, PackageFile } from '../../types.js'
import { listSourceFiles, type SourceFile } from './source-files.js'
import {
  compareEntryNames,
  entryHeaderBytes,
  isExecutableEntry,
  readZipEntriesFrom,
  writeZipFile,
  type ZipEntry
} from '../zip-format.js'

export interface AssembleRequest {
  /** Absolute .whl paths. */
  wheels: string[]
  sourceDir: string
  /** User globs. */
  exclude: string[]
  /** Absolute paths to leave out (e.g. output-dir inside source). */
  excludePaths?: string[]
  slim: boolean
  packageType: 'zip' | 'layer'
  /** function.zip (and layer.zip) are written here; created if missing. */
  outputDir: string
  /** Seconds; the caller reads SOURCE_DATE_EPOCH. */
  sourceDateEpoch?: number
  /** Wheel file names built from source itself (the project is a package): see PlanRequest. */
  ownWheels?: readonly string[]
}

export interface AssembleResult {
  function: PackageFile
  layer?: PackageFile
  /** Biggest first. */
  distributions: DistributionSize[]
  codeUnzippedSize: number
  /** Entry names of the handler code in the function zip (`app.py`, `pkg/util.py`). */
  codeFiles: string[]
  excludedByDefault: string[]
  /** Those of them left out as credentials. */
  credentials: string[]
  warnings: string[]
}

export const FUNCTION_ZIP = 'function.zip'
export const LAYER_ZIP = 'layer.zip'
/** Lambda adds /opt/python to sys.path for every Python runtime. */
export const LAYER_PREFIX = 'python/'

/** What planning needs of a wheel entry; `ZipEntry` has it. */
export type WheelEntryInput = Pick<ZipEntry, 'name' | 'uncompressedSize' | 'externalAttributes'> &
  Partial<Pick<ZipEntry, 'compressedSize'>>

export interface WheelContents<E extends WheelEntryInput = ZipEntry> {
  /** Path of the .whl; its base name gives distribution and version. */
  wheel: string
  entries: readonly E[]
}

export type PlannedEntry<E extends WheelEntryInput = ZipEntry> =
  | { name: string; from: 'wheel'; wheel: string; entry: E; size: number; executable: boolean }
  | { name: string; from: 'source'; file: SourceFile; size: number; executable: boolean }

export interface PlanRequest<E extends WheelEntryInput = ZipEntry> {
  wheels: readonly WheelContents<E>[]
  sourceFiles: readonly SourceFile[]
  slim: boolean
  packageType: 'zip' | 'layer'
  /**
   * Wheels built from source itself: their files are source's own, so a source file of the same
   * name (a flat layout) replaces it silently.
   */
  ownWheels?: readonly string[]
}

export interface PackagePlan<E extends WheelEntryInput = ZipEntry> {
  /** Sorted by the UTF-8 bytes of the name. */
  function: PlannedEntry<E>[]
  /** Only with `package-type: layer`; names start with `python/`. */
  layer?: PlannedEntry<E>[]
  distributions: DistributionSize[]
  codeUnzippedSize: number
  warnings: string[]
}

/** Distribution name (normalised, `pydantic_core`) and version from a wheel file name. */
export function parseWheelFileName(wheel: string): { name: string; version: string } {
  const parsed = parseWheelName(wheel)
  if (!parsed) {
    throw new UserError(
      `${basename(wheel)}: not a wheel file name (name-version[-build]-python-abi-platform.whl).`
    )
  }
  return { name: parsed.project.replaceAll('-', '_'), version: parsed.version }
}

const BOOKKEEPING = new Set(['INSTALLER', 'REQUESTED', 'direct_url.json'])
const SLIM_DIRECTORIES = new Set(['tests', 'test'])
const SLIM_EXTENSIONS = ['.pyi', '.c', '.h', '.cpp', '.hpp', '.pyx', '.pxd', '.pxi']
/** pip's scheme keys under `<dist>.data/`; the first three land in the target directory. */
const INSTALLED_SCHEMES = new Set(['purelib', 'platlib', 'data'])
const DROPPED_SCHEMES = new Set(['scripts', 'headers'])

function unsafeEntry(wheel: string, entry: string, problem: string): UserError {
  return new UserError(
    `${basename(wheel)}: entry ${JSON.stringify(entry)} ${problem}; refusing to install this wheel. Check where it comes from.`
  )
}

/** Why a name could land outside the package when extracted anywhere, or undefined. */
function unsafeName(name: string): string | undefined {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) {
    return 'is an absolute path'
  }
  if (name.includes('\0')) return 'contains a NUL byte'
  // Backslashes are separators on Windows and to some unzip tools: `..\x` escapes there.
  if (name.includes('..') && name.split(/[/\\]/).includes('..')) return "has a '..' segment"
  return undefined
}

function checkEntryName(wheel: string, name: string): void {
  const problem = unsafeName(name)
  if (problem) throw unsafeEntry(wheel, name, problem)
}

/** Linux's NAME_MAX: no file system Lambda extracts to takes a longer path component. */
const MAX_COMPONENT_BYTES = 255

/**
 * The name as extractors write it: `.` and empty segments folded (`./a`, `a//b` and `a/./b` are
 * `a`, `a/b` and `a/b` on disk, to pip and unzip alike), so two spellings of one file collide
 * here as they would there. Refuses a name that folds to nothing and over-long components.
 */
function normalisedName(wheel: string, entryName: string, name: string): string {
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.length === 0) throw unsafeEntry(wheel, entryName, 'names no file')
  if (segments.some((segment) => Buffer.byteLength(segment, 'utf8') > MAX_COMPONENT_BYTES)) {
    throw unsafeEntry(
      wheel,
      entryName,
      `has a path component over ${MAX_COMPONENT_BYTES} bytes, which no Linux file system can create`
    )
  }
  return segments.join('/')
}

/** The wheel's `.dist-info` folder: exactly one at the top, as the wheel spec requires. */
function distInfoDirectory(wheel: string, entries: readonly WheelEntryInput[]): string {
  const found = new Set<string>()
  let hasMetadata = false
  for (const { name } of entries) {
    const top = name.slice(0, Math.max(0, name.indexOf('/')))
    if (top.endsWith('.dist-info') && top.length > '.dist-info'.length) {
      found.add(top)
      if (name === `${top}/METADATA`) hasMetadata = true
    }
  }
  const [only, ...others] = [...found]
  const project = parseWheelName(wheel)?.project ?? basename(wheel)
  const refuse = (problem: string) =>
    new UserError(
      `${basename(wheel)}: not a valid wheel (${problem}), which pip refuses too. A download gives the same file: require another version of ${project}.`
    )
  if (only === undefined || others.length > 0) {
    throw refuse(`${found.size === 0 ? 'no' : 'more than one'} .dist-info folder`)
  }
  // pip's own checks (wheel_dist_info_dir, wheel_metadata): the folder is the project's, and
  // holds METADATA.
  const canonical = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-')
  if (!canonical(only).startsWith(canonical(project))) {
    throw refuse(`its .dist-info folder ${only} is not ${project}'s`)
  }
  if (!hasMetadata) throw refuse(`no ${only}/METADATA`)
  return only
}

/**
 * Where pip --target would put a wheel entry, relative to the target, or undefined when the
 * package leaves it out. `distInfo` is the wheel's `.dist-info` folder name.
 */
export function installedName(
  wheel: string,
  distInfo: string,
  entryName: string,
  slim: boolean
): string | undefined {
  checkEntryName(wheel, entryName)
  if (entryName.endsWith('/')) return undefined
  let name = entryName
  const dataDirectory = `${distInfo.slice(0, -'.dist-info'.length)}.data/`
  if (name.startsWith(dataDirectory)) {
    const rest = name.slice(dataDirectory.length)
    const slash = rest.indexOf('/')
    const scheme = slash < 0 ? rest : rest.slice(0, slash)
    if (DROPPED_SCHEMES.has(scheme)) return undefined
    if (!INSTALLED_SCHEMES.has(scheme) || slash < 0) {
      throw new UserError(
        `${basename(wheel)}: entry ${entryName} uses an unknown install scheme '${scheme}' (pip refuses it too).`
      )
    }
    name = rest.slice(slash + 1)
    if (name === '') return undefined
    // The installed name obeys the rules of a direct one: `.data/purelib//tmp/x` is `/tmp/x`.
    const problem = unsafeName(name)
    if (problem) {
      throw unsafeEntry(wheel, entryName, `installs as ${JSON.stringify(name)}, which ${problem}`)
    }
  }
  name = normalisedName(wheel, entryName, name)
  const segments = name.split('/')
  const fileName = segments[segments.length - 1] ?? ''
  if (segments.includes('__pycache__') || fileName.endsWith('.pyc')) return undefined
  if (segments.length === 2 && segments[0] === distInfo && BOOKKEEPING.has(fileName)) {
    return undefined
  }
  if (slim && !segments[0]?.endsWith('.dist-info')) {
    // Folders named tests/test below a top-level package; never the top level itself.
    if (segments.slice(1, -1).some((segment) => SLIM_DIRECTORIES.has(segment))) return undefined
    if (SLIM_EXTENSIONS.some((extension) => fileName.endsWith(extension))) return undefined
  }
  return name
}

/** compareEntryNames' order, with each name's bytes computed once (thousands of entries). */
function sortByName<T extends { name: string }>(entries: T[]): T[] {
  return entries
    .map((entry) => ({ entry, key: Buffer.from(entry.name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ entry }) => entry)
}

/** Decides every entry of the function zip (and layer zip): pure, no I/O. */
export function planPackages<E extends WheelEntryInput>(request: PlanRequest<E>): PackagePlan<E> {
  const warnings: string[] = []
  // Later wheels overwrite earlier ones, as pip's installs in sequence do; sorting by file name
  // makes "later" the same on every run.
  const wheels = [...request.wheels].sort((a, b) =>
    compareEntryNames(basename(a.wheel), basename(b.wheel))
  )
  const dependencies = new Map<string, PlannedEntry<E> & { from: 'wheel' }>()
  // One warning per wheel (or pair of wheels), however many names repeat.
  const repeats = new Map<
    string,
    { previous: string; wheel: string; first: string; count: number }
  >()
  for (const { wheel, entries } of wheels) {
    const distInfo = distInfoDirectory(wheel, entries)
    for (const entry of entries) {
      const name = installedName(wheel, distInfo, entry.name, request.slim)
      if (name === undefined) continue
      const previous = dependencies.get(name)
      if (previous) {
        const key = `${previous.wheel}\0${wheel}`
        const repeat = repeats.get(key)
        if (repeat) repeat.count += 1
        else repeats.set(key, { previous: previous.wheel, wheel, first: name, count: 1 })
      }
      dependencies.set(name, {
        name,
        from: 'wheel',
        wheel,
        entry,
        size: entry.uncompressedSize,
        executable: isExecutableEntry(entry)
      })
    }
  }

  for (const { previous, wheel, first, count } of repeats.values()) {
    const [from, to] = [basename(previous), basename(wheel)]
    if (previous === wheel) {
      warnings.push(
        count === 1
          ? `${first} appears twice in ${to}; the last copy is kept, as pip does.`
          : `${count} entries of ${to} repeat a name it already holds (the first: ${first}); the last copy of each name is kept, as pip does.`
      )
    } else {
      warnings.push(
        count === 1
          ? `${first} is installed by both ${from} and ${to}; the file from ${to} is kept, as pip would.`
          : `${count} files are installed by both ${from} and ${to} (the first: ${first}); the files from ${to} are kept, as pip would.`
      )
    }
  }

  const code: PlannedEntry<E>[] = request.sourceFiles.map((file) => ({
    name: file.relativePath,
    from: 'source',
    file,
    size: file.size,
    executable: file.executable
  }))
  if (request.packageType === 'zip') {
    for (const file of code) {
      const dependency = dependencies.get(file.name)
      if (dependency && request.ownWheels?.includes(basename(dependency.wheel))) {
        dependencies.delete(file.name)
      } else if (dependency) {
        warnings.push(
          `${file.name} in source replaces the file of the same name from ${basename(dependency.wheel)}; the handler code wins.`
        )
        dependencies.delete(file.name)
      }
    }
  }

  const sizes = new Map<string, DistributionSize>()
  for (const { wheel } of wheels) {
    const { name, version } = parseWheelFileName(wheel)
    sizes.set(wheel, { name, version, unzippedSize: 0, files: 0 })
  }
  for (const dependency of dependencies.values()) {
    const size = sizes.get(dependency.wheel)
    if (size) {
      size.unzippedSize += dependency.size
      size.files += 1
    }
  }
  const distributions = [...sizes.values()].sort(
    (a, b) => b.unzippedSize - a.unzippedSize || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  )
  const codeUnzippedSize = code.reduce((total, file) => total + file.size, 0)

  if (request.packageType === 'layer') {
    const layer = [...dependencies.values()].map((entry) => ({
      ...entry,
      name: LAYER_PREFIX + entry.name
    }))
    checkFileFolderConflicts(layer)
    const plan = {
      function: sortByName(code),
      layer: sortByName(layer),
      distributions,
      codeUnzippedSize,
      warnings
    }
    checkPlannedSize(plan)
    return plan
  }
  const entries = [...code, ...dependencies.values()]
  checkFileFolderConflicts(entries)
  const plan = { function: sortByName(entries), distributions, codeUnzippedSize, warnings }
  checkPlannedSize(plan)
  return plan
}

function origin(entry: PlannedEntry<WheelEntryInput>): string {
  return entry.from === 'wheel' ? basename(entry.wheel) : 'the handler code'
}

/**
 * Refuses a name that one entry needs as a folder and another installs as a file (`app.py` and
 * `app.py/x.py`, a symlink entry and a child): no extractor creates both, so the package would
 * not extract on Lambda.
 */
function checkFileFolderConflicts(entries: readonly PlannedEntry<WheelEntryInput>[]): void {
  const files = new Map(entries.map((entry) => [entry.name, entry]))
  for (const entry of entries) {
    for (
      let slash = entry.name.indexOf('/');
      slash > 0;
      slash = entry.name.indexOf('/', slash + 1)
    ) {
      const file = files.get(entry.name.slice(0, slash))
      if (!file) continue
      const wheel = entry.from === 'wheel' ? entry.wheel : file.from === 'wheel' ? file.wheel : ''
      const handler = entry.from === 'source' || file.from === 'source'
      throw new UserError(
        `${basename(wheel)}: ${file.name} (from ${origin(file)}) is a file, but ${entry.name} (from ${origin(entry)}) needs a folder of that name; ` +
          `no extractor can create both, so the package would not load. Refusing to install this wheel: check where it comes from${handler ? ', or rename the file in source' : ''}.`
      )
    }
  }
}

/**
 * Refuses a plan that no package can hold before a byte is written: more entries than a zip
 * without zip64 has, past 4 GiB zipped, or over Lambda's unzipped limit, which no function
 * and layers together may pass whatever the inputs say.
 */
function checkPlannedSize(plan: PackagePlan<WheelEntryInput>): void {
  const packages = [plan.function, ...(plan.layer ? [plan.layer] : [])]
  for (const entries of packages) {
    const label = entries === plan.layer ? LAYER_ZIP : FUNCTION_ZIP
    if (entries.length > 0xffff) {
      throw new UserError(
        `${label}: the plan holds ${entries.length} files, more than the 65,535 a zip without zip64 holds; a Lambda package this large cannot load. Exclude files or use slim.`
      )
    }
    let zipped = 0
    for (const entry of entries) {
      const stored =
        entry.from === 'wheel' ? (entry.entry.compressedSize ?? entry.size) : entry.size
      zipped += stored + entryHeaderBytes(entry.name)
    }
    if (zipped >= 0xffffffff) {
      throw new UserError(
        `${label}: the package would pass 4 GiB, which a zip without zip64 cannot hold; Lambda accepts at most ${formatExact(LIMITS.unzippedBytes)} unzipped anyway. Exclude files or use slim.`
      )
    }
  }
  const unzipped = packages.flat().reduce((total, entry) => total + entry.size, 0)
  if (unzipped > LIMITS.unzippedBytes) {
    const biggest = plan.distributions
      .slice(0, 3)
      .map((d) => `${d.name} ${d.version} (${formatSize(d.unzippedSize)})`)
      .join(', ')
    throw new UserError(
      `The package would be ${formatExact(unzipped)} unzipped, over Lambda's limit of ${formatExact(LIMITS.unzippedBytes)} for function and layers together, so nothing is written. ` +
        `Biggest contributors, unzipped: ${biggest}, code (${formatSize(plan.codeUnzippedSize)}). Way out: drop or replace the biggest, set slim: true, or ship a container image instead.`
    )
  }
}

async function writePackage(
  path: string,
  entries: readonly PlannedEntry[],
  wheelHandles: ReadonlyMap<string, FileHandle>,
  sourceDateEpoch: number | undefined
): Promise<PackageFile> {
  const { size, unzippedSize, codeSha256 } = await writeZipFile(
    path,
    { sourceDateEpoch },
    async (writer) => {
      for (const entry of entries) {
        if (entry.from === 'source') {
          await writer.addFile(entry.name, entry.file.absolutePath, entry.executable)
        } else {
          const handle = wheelHandles.get(entry.wheel)
          if (!handle) throw new Error(`no open handle for ${entry.wheel}`)
          await writer.addRaw(entry.name, handle, entry.entry, entry.executable)
        }
      }
    }
  )
  return { path, size, unzippedSize, codeSha256 }
}

/** Lists, plans and writes the packages of one architecture. */
export async function assemblePackages(request: AssembleRequest): Promise<AssembleResult> {
  const source = await listSourceFiles(request.sourceDir, {
    exclude: request.exclude,
    excludePaths: [...(request.excludePaths ?? []), request.outputDir]
  })
  const handles = new Map<string, FileHandle>()
  try {
    const wheels: WheelContents[] = []
    for (const wheel of new Set(request.wheels)) {
      let handle: FileHandle
      try {
        handle = await open(wheel, 'r')
      } catch (error) {
        throw new UserError(`${wheel}: cannot be read (${(error as Error).message}).`)
      }
      handles.set(wheel, handle)
      wheels.push({ wheel, entries: await readZipEntriesFrom(handle, wheel) })
    }
    const plan = planPackages({
      wheels,
      sourceFiles: source.files,
      slim: request.slim,
      packageType: request.packageType,
      ...(request.ownWheels ? { ownWheels: request.ownWheels } : {})
    })

    await mkdir(request.outputDir, { recursive: true })
    const functionPath = join(request.outputDir, FUNCTION_ZIP)
    const layerPath = join(request.outputDir, LAYER_ZIP)
    // A stale layer.zip from an earlier `layer` build must not sit next to a `zip` build.
    if (!plan.layer) await rm(layerPath, { force: true })
    const results = await Promise.allSettled([
      writePackage(functionPath, plan.function, handles, request.sourceDateEpoch),
      ...(plan.layer ? [writePackage(layerPath, plan.layer, handles, request.sourceDateEpoch)] : [])
    ])
    const failed = results.find((result) => result.status === 'rejected')
    if (failed) throw failed.reason
    const [functionZip, layerZip] = results.map(
      (result) => (result as PromiseFulfilledResult<PackageFile>).value
    )
    if (!functionZip) throw new Error('function zip missing')
    return {
      function: functionZip,
      ...(layerZip ? { layer: layerZip } : {}),
      distributions: plan.distributions,
      codeUnzippedSize: plan.codeUnzippedSize,
      codeFiles: plan.function.filter((entry) => entry.from === 'source').map((e) => e.name),
      excludedByDefault: source.excludedByDefault,
      credentials: source.credentials,
      warnings: [...source.warnings, ...plan.warnings]
    }
  } finally {
    await Promise.all([...handles.values()].map((handle) => handle.close()))
  }
}
