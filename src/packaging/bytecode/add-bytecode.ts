// Adds the runtime's bytecode to one architecture's packages, after the import check: decides
// which modules (select.ts), compiles them (compiler.ts), and writes each zip again with the
// .pyc files beside their sources. The entries already there are copied as stored; the new ones
// were deflated once, so the same inputs give the same zip and the same CodeSha256.
import { open, type FileHandle } from 'node:fs/promises'
import { INPUT } from '../../constants.js'
import { errorMessage } from '../../errors.js'
import type { SizeLimits } from '../../report/gate.js'
import type { ArchPackages, BytecodeMode, BytecodeReport, PackageFile } from '../../types.js'
import type { LoadedFiles } from '../verify/import-check.js'
import {
  isExecutableEntry,
  readEntryData,
  readZipEntriesFrom,
  writeZipFile,
  type PreparedEntry,
  type ZipEntry
} from '../zip-format.js'
import type { BytecodeCompiler, CompiledItem } from './compiler.js'
import {
  bytecodeSelections,
  chooseSelection,
  describeSelection,
  isPythonSource,
  lambdaSourcePath,
  limitProblem,
  pycEntryName,
  type AddedEntry,
  type PackageName,
  type PackageSizes,
  type PythonSource,
  type Selection
} from './select.js'

export interface AddBytecodeRequest {
  mode: BytecodeMode
  packages: ArchPackages
  /** The handler's own files in the function zip. */
  codeFiles: readonly string[]
  /** What the handler's import loaded; undefined when no import ran. */
  loadedFiles?: LoadedFiles
  limits: SizeLimits
  /** The build's compiler, or why there is none. */
  compiler: BytecodeCompiler | { reason: string }
  /** Seconds; the zips' entry timestamp, as assemble wrote them. */
  sourceDateEpoch?: number
}

export interface AddBytecodeResult {
  packages: ArchPackages
  report: BytecodeReport
  /** Sources that did not compile (syntax errors), for the log. */
  notCompiled: string[]
}

/** A .pyc entry to write, with its bytes. */
type Pyc = AddedEntry & { prepared: PreparedEntry }

interface OpenZip {
  pkg: PackageName
  file: PackageFile
  handle: FileHandle
  entries: ZipEntry[]
}

/** Writes `zip` again with `added` among its entries, sorted by name, in place. */
async function rewriteZip(
  zip: OpenZip,
  added: readonly { name: string; prepared: PreparedEntry }[],
  sourceDateEpoch: number | undefined
): Promise<PackageFile> {
  type Item = { name: string; key: Buffer } & (
    { entry: ZipEntry } | { prepared: PreparedEntry; entry?: undefined }
  )
  const items: Item[] = [
    ...zip.entries.map((entry) => ({ name: entry.name, key: Buffer.from(entry.name), entry })),
    ...added.map((a) => ({ name: a.name, key: Buffer.from(a.name), prepared: a.prepared }))
  ].sort((a, b) => Buffer.compare(a.key, b.key))
  const { path, size, unzippedSize, codeSha256 } = await writeZipFile(
    zip.file.path,
    { sourceDateEpoch },
    async (writer) => {
      for (const item of items) {
        if (item.entry) {
          await writer.addRaw(item.name, zip.handle, item.entry, isExecutableEntry(item.entry))
        } else {
          await writer.addPrepared(item.name, item.prepared)
        }
      }
    }
  )
  return { path, size, unzippedSize, codeSha256 }
}

function none(report: BytecodeReport, reason: string): BytecodeReport {
  return { ...report, compiled: 'none', reason }
}

export async function addBytecode(request: AddBytecodeRequest): Promise<AddBytecodeResult> {
  const report: BytecodeReport = {
    mode: request.mode,
    compiled: 'none',
    files: 0,
    sources: 0,
    unzippedBytes: 0,
    zippedBytes: 0,
    invalidation: 'checked-hash',
    freshlyCompiled: 0,
    reused: 0
  }
  const unchanged = (reason: string): AddBytecodeResult => ({
    packages: request.packages,
    report: none(report, reason),
    notCompiled: []
  })
  if (request.mode === 'none') return unchanged(`${INPUT.bytecode} is none`)

  const zips: OpenZip[] = []
  try {
    const files: [PackageName, PackageFile | undefined][] = [
      ['function', request.packages.function],
      ['layer', request.packages.layer]
    ]
    for (const [pkg, file] of files) {
      if (!file) continue
      const handle = await open(file.path, 'r')
      zips.push({ pkg, file, handle, entries: [] })
      zips.at(-1)!.entries = await readZipEntriesFrom(handle, file.path)
    }
    const sources: PythonSource[] = zips.flatMap((zip) =>
      zip.entries
        .filter((entry) => isPythonSource(entry.name))
        .map((entry) => ({ package: zip.pkg, name: entry.name, size: entry.uncompressedSize }))
    )
    report.sources = sources.length
    if (!('compile' in request.compiler)) return unchanged(request.compiler.reason)
    const compiler = request.compiler
    report.interpreter = compiler.python.description

    const sizeOf = (zip: OpenZip) => ({
      size: zip.file.size,
      unzippedSize: zip.file.unzippedSize,
      entries: zip.entries.length
    })
    const layerZip = zips.find((zip) => zip.pkg === 'layer')
    const sizes: PackageSizes = {
      function: sizeOf(zips[0]!),
      ...(layerZip ? { layer: sizeOf(layerZip) } : {})
    }
    const over = limitProblem(sizes, [], request.limits)
    if (over !== undefined) {
      return unchanged(`the packages are over a limit without bytecode already (${over})`)
    }
    const selections = bytecodeSelections({
      mode: request.mode,
      sources,
      loaded: request.loadedFiles,
      codeFiles: request.codeFiles,
      unzippedSize: sizes.function.unzippedSize + (sizes.layer?.unzippedSize ?? 0)
    })
    const widest = selections[0]
    if (!widest) return unchanged('the packages hold no .py files')

    // Every later selection is part of the first: compile that one, and choose.
    const entryOf = new Map(
      zips.flatMap((zip) => zip.entries.map((e) => [`${zip.pkg}:${e.name}`, { zip, e }]))
    )
    const items = await Promise.all(
      widest.sources.map(async (source) => {
        const { zip, e } = entryOf.get(`${source.package}:${source.name}`)!
        return {
          lambdaPath: lambdaSourcePath(source.package, source.name),
          source: await readEntryData(zip.handle, e)
        }
      })
    )
    let compiled: CompiledItem[]
    try {
      compiled = await compiler.compile(items)
    } catch (error) {
      return unchanged(`compiling failed: ${errorMessage(error)}`)
    }
    const result = new Map(widest.sources.map((source, i) => [source, compiled[i]!]))
    const notCompiled = widest.sources
      .filter((source) => result.get(source)?.prepared === undefined)
      .map((source) => source.name)
    const pycsFor = (selection: Selection): Pyc[] =>
      selection.sources.flatMap((source) => {
        const prepared = result.get(source)?.prepared
        return prepared
          ? [
              {
                package: source.package,
                name: pycEntryName(source.name, compiler.cacheTag),
                compressedSize: prepared.data.length,
                uncompressedSize: prepared.uncompressedSize,
                prepared
              }
            ]
          : []
      })
    const choice = chooseSelection(selections, pycsFor, sizes, request.limits)
    const chosen = choice.selection
    if (!chosen) {
      return {
        ...unchanged(`${choice.passedOver.join('; ')}; shipped without bytecode`),
        notCompiled
      }
    }

    const packages: ArchPackages = { ...request.packages }
    for (const zip of zips) {
      const added = choice.added.filter((pyc) => pyc.package === zip.pkg)
      if (added.length > 0)
        packages[zip.pkg] = await rewriteZip(zip, added, request.sourceDateEpoch)
    }
    const origins = chosen.sources.map((source) => result.get(source))
    const before = zips.reduce((n, zip) => n + zip.file.size, 0)
    const after = packages.function.size + (packages.layer?.size ?? 0)
    const unzippedBefore = zips.reduce((n, zip) => n + zip.file.unzippedSize, 0)
    const unzippedAfter = packages.function.unzippedSize + (packages.layer?.unzippedSize ?? 0)
    return {
      packages,
      notCompiled,
      report: {
        ...report,
        compiled: chosen.compiled,
        files: choice.added.length,
        unzippedBytes: unzippedAfter - unzippedBefore,
        zippedBytes: after - before,
        freshlyCompiled: origins.filter((o) => o?.prepared && o.origin === 'compiled').length,
        reused: origins.filter((o) => o?.prepared && o.origin === 'kept').length,
        ...(choice.passedOver.length > 0
          ? {
              reason: `${choice.passedOver.join('; ')}; shipped ${describeSelection(chosen, choice.added)}`
            }
          : {})
      }
    }
  } finally {
    await Promise.all(zips.map((zip) => zip.handle.close()))
  }
}
