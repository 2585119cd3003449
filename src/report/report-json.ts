// The size report as JSON: what the build writes to `<output-dir>/report.json` (a BuildResult with
// relative paths), what the default branch keeps in the Actions cache, and what a pull request
// compares with. These types name only the fields the report reads, so a BuildResult fits them
// and a report written by another version of the action is checked before it is trusted.
import { errorMessage } from '../errors.js'
import { ARCHITECTURES, type Architecture } from '../lambda-facts.js'
import type {
  ArchBuild,
  BuildResult,
  DistributionSize,
  ImportCheck,
  PackageFile
} from '../types.js'

/** A PackageFile as the JSON holds it: its path relative, or left out. */
export interface ReportPackage extends Omit<PackageFile, 'path'> {
  path?: string
}

/** An ArchBuild as the JSON holds it: no wheel list; import check and timings may be missing. */
export interface ReportArchitecture extends Omit<
  ArchBuild,
  'packages' | 'wheels' | 'importCheck' | 'timings'
> {
  packages: { function: ReportPackage; layer?: ReportPackage }
  importCheck?: ImportCheck
  timings?: Record<string, number>
}

/** A BuildResult as the JSON holds it, without its own path. */
export interface BuildReportJson extends Omit<BuildResult, 'architectures' | 'reportPath'> {
  architectures: ReportArchitecture[]
}

/** Zipped size of everything one architecture ships: function zip plus layer zip. */
export function zippedTotal(arch: ReportArchitecture): number {
  return arch.packages.function.size + (arch.packages.layer?.size ?? 0)
}

/** What Lambda counts against its unzipped limit: function plus layer, unzipped. */
export function unzippedTotal(arch: ReportArchitecture): number {
  return arch.packages.function.unzippedSize + (arch.packages.layer?.unzippedSize ?? 0)
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function checkPackage(value: unknown, where: string): ReportPackage {
  if (!isRecord(value) || !isSize(value.size) || !isSize(value.unzippedSize)) {
    throw new Error(`${where}: size and unzippedSize must be numbers`)
  }
  return {
    size: value.size,
    unzippedSize: value.unzippedSize,
    codeSha256: typeof value.codeSha256 === 'string' ? value.codeSha256 : '',
    ...(typeof value.path === 'string' ? { path: value.path } : {})
  }
}

function checkDistribution(value: unknown, where: string): DistributionSize {
  if (!isRecord(value) || typeof value.name !== 'string' || !isSize(value.unzippedSize)) {
    throw new Error(`${where}: name and unzippedSize are needed`)
  }
  return {
    name: value.name,
    version: typeof value.version === 'string' ? value.version : '',
    unzippedSize: value.unzippedSize,
    files: isSize(value.files) ? value.files : 0
  }
}

function checkArchitecture(value: unknown, index: number): ReportArchitecture {
  const where = `architectures[${index}]`
  if (!isRecord(value)) throw new Error(`${where} is not an object`)
  const architecture = value.architecture
  if (!(ARCHITECTURES as readonly unknown[]).includes(architecture)) {
    throw new Error(`${where}.architecture is not arm64 or x86_64`)
  }
  if (!isRecord(value.packages)) throw new Error(`${where}.packages is missing`)
  if (!Array.isArray(value.distributions)) throw new Error(`${where}.distributions is missing`)
  const layer = value.packages.layer
  const timings = isRecord(value.timings)
    ? Object.fromEntries(Object.entries(value.timings).filter((entry) => isSize(entry[1])))
    : undefined
  return {
    architecture: architecture as Architecture,
    runtime: typeof value.runtime === 'string' ? value.runtime : '',
    packages: {
      function: checkPackage(value.packages.function, `${where}.packages.function`),
      ...(layer === undefined ? {} : { layer: checkPackage(layer, `${where}.packages.layer`) })
    },
    distributions: value.distributions
      .map((d, i) => checkDistribution(d, `${where}.distributions[${i}]`))
      .sort((a, b) => b.unzippedSize - a.unzippedSize),
    codeUnzippedSize: isSize(value.codeUnzippedSize) ? value.codeUnzippedSize : 0,
    cacheHit: value.cacheHit === true,
    ...(isRecord(value.importCheck) &&
    (value.importCheck.status === 'passed' || value.importCheck.status === 'skipped')
      ? { importCheck: value.importCheck as unknown as ImportCheck }
      : {}),
    ...(timings ? { timings: timings as Record<string, number> } : {})
  }
}

/**
 * Reads a report JSON (this run's or a restored base) and keeps what the report needs.
 * Throws an Error saying what is wrong when it is not a size report.
 */
export function parseReportJson(text: string): BuildReportJson {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(`not JSON (${errorMessage(error)})`)
  }
  if (!isRecord(value)) throw new Error('not a JSON object')
  if (!Array.isArray(value.architectures)) throw new Error('architectures is missing')
  return {
    runtime: typeof value.runtime === 'string' ? value.runtime : '',
    packageType: value.packageType === 'layer' ? 'layer' : 'zip',
    architectures: value.architectures.map(checkArchitecture),
    cacheHit: value.cacheHit === true
  }
}
