// The build stage: for each architecture, concurrently, resolve wheels → assemble zips → verify
// → bytecode (.pyc files for what the handler's import compiles, made by the runtime's CPython),
// then write the JSON report next to the packages.
import * as core from '@actions/core'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative } from 'node:path'
import { REPORT_FILE } from '../constants.js'
import { UserError, errorMessage } from '../errors.js'
import type { Architecture, RuntimeFacts } from '../lambda-facts.js'
import type { SizeLimits } from '../report/gate.js'
import type { BuildProvenance } from '../report/provenance.js'
import type { ArchBuild, BuildResult, BytecodeMode, ImportCheck, PackageFile } from '../types.js'
import { relayInert } from '../report/log.js'
import { assemblePackages } from './assemble/assemble.js'
import { workspaceRootWarning } from './assemble/source-files.js'
import { BytecodeCompiler } from './bytecode/compiler.js'
import { shipBytecode } from './bytecode/ship-bytecode.js'
import { closureSummaryLine } from './verify/closure.js'
import { IMPORT_CHECK_OFF, runImportCheck, type ImportCheckResult } from './verify/import-check.js'
import type { FunctionEnvironment } from './verify/import-environment.js'
import { ImportFailure } from './verify/import-failure.js'
import type { LibraryProblem } from './verify/library-check.js'
import {
  ElfParseCache,
  elfParseCacheFile,
  libraryError,
  scanPackageLibraries
} from './verify/library-scan.js'
import { judgeLibraries } from './verify/library-verdict.js'
import { findTargetInterpreter } from './tools/interpreters.js'
import { checkPackageClosure } from './verify/package-metadata.js'
import { prepareDependencies, type PreparedDependencies } from './project/prepare.js'
import { resolveWheels } from './resolve/resolve.js'
import type { CacheRestorePolicy } from './stores/actions-cache.js'
import { defaultStoreRoot } from './stores/wheel-store.js'

export interface BuildRequest {
  runtime: RuntimeFacts
  architectures: Architecture[]
  source: string
  /** The `requirements` input; undefined: found from `source` (see project/discover.ts). */
  requirements?: string
  extras: string[]
  groups: string[]
  handler?: string
  importCheck: boolean
  /** The function's name, region, memory and variables for the import check. */
  importEnvironment?: FunctionEnvironment
  /** The `python` input: the interpreter the user names for the check. */
  python?: string
  /** Which modules get a .pyc (docs/bytecode.md). */
  bytecode: BytecodeMode
  /** Bytecode never takes a package past these (nor Lambda's own). */
  limits: SizeLimits
  packageType: 'zip' | 'layer'
  exclude: string[]
  slim: boolean
  installer: 'pip' | 'uv' | 'auto'
  useActionsCache: boolean
  /** Which restored Actions-cache entries may be used; default `any` (see actions-cache.ts). */
  cacheRestore?: CacheRestorePolicy
  /**
   * Read what earlier jobs left beside the wheel store (stores/kept-files.ts). False: the import
   * check unpacks into a private temporary folder, and bytecode is compiled afresh.
   */
  trustKeptFiles: boolean
  allowLinuxWheels: boolean
  outputDir: string
  /** Seconds since the epoch for every zip entry's timestamp (`SOURCE_DATE_EPOCH`). */
  sourceDateEpoch?: number
  /** Where resolved wheels are kept; defaults to the runner's tool cache. */
  storeRoot?: string
  /** Where this build runs, recorded in report.json (GitHub Actions runs only). */
  provenance?: BuildProvenance
}

/** Reads SOURCE_DATE_EPOCH the way reproducible-builds.org defines it. */
export function sourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  if (!/^\d+$/.test(value)) {
    throw new UserError(
      `SOURCE_DATE_EPOCH: '${value}' is not a whole number of seconds since 1970.`
    )
  }
  return Number(value)
}

async function timed<T>(
  timings: Record<string, number>,
  phase: string,
  work: () => Promise<T>
): Promise<T> {
  const start = performance.now()
  try {
    return await work()
  } finally {
    timings[phase] = Math.round(performance.now() - start)
  }
}

function storeRoot(request: BuildRequest): string {
  return request.storeRoot ?? defaultStoreRoot(process.env)
}

/** A folder beside the wheel store kept between builds; none when kept files are not trusted. */
function keptFolder(request: BuildRequest, name: string): string | undefined {
  return request.trustKeptFiles ? join(storeRoot(request), name) : undefined
}

/** A failed import, with the library findings that may explain it (first when they do). */
function verifyError(
  failure: ImportFailure,
  libraryFailures: readonly LibraryProblem[],
  runtime: RuntimeFacts,
  architecture: Architecture
): UserError {
  if (libraryFailures.length === 0) return failure
  const libraries = libraryError(libraryFailures, runtime, architecture).message
  const kind = failure.detail?.kind
  return new UserError(
    kind === 'library' || kind === 'glibc'
      ? `${libraries}\n${failure.message}`
      : `${failure.message}\n${libraries}`
  )
}

/** Nothing unproven ships silently: a check that could not run is a warning, saying why. */
function logImportCheck(architecture: Architecture, check: ImportCheck, ms: number): void {
  if (check.status === 'passed') {
    core.info(
      `${architecture}: import check passed with ${check.interpreter ?? 'CPython'} in ${ms} ms`
    )
  } else if (check.reason === IMPORT_CHECK_OFF) {
    core.info(`${architecture}: import check not run (${IMPORT_CHECK_OFF})`)
  } else {
    core.warning(
      `${architecture}: the import check did not run, so nothing proves this package loads on Lambda: ${check.reason ?? 'no reason given'}`
    )
  }
}

/** The credentials the default excludes left out: one warning for all architectures. */
function credentialsWarning(credentials: string[]): string {
  return (
    `Left out of the package as credentials: ${credentials.join(', ')}. Credential files never ` +
    'ship; an earlier step (or the repository) put them under source. Load secrets at run ' +
    'time (Secrets Manager, Parameter Store), and keep such files out of source.'
  )
}

async function buildArchitecture(
  request: BuildRequest,
  dependencies: PreparedDependencies,
  architecture: Architecture,
  elfCache: ElfParseCache,
  warnOnce: (message: string) => void,
  compiler: Promise<BytecodeCompiler | { reason: string }>
): Promise<ArchBuild> {
  const timings: Record<string, number> = {}
  const checkInterpreter = { toolCache: storeRoot(request), python: request.python }
  if (request.importCheck && request.handler) {
    // Looked up (or brought) while the wheels resolve; the import check reuses the answer, and
    // any failure (a bad python input) is reported there.
    findTargetInterpreter({
      runtime: request.runtime,
      architecture,
      env: process.env,
      ...checkInterpreter
    }).catch(() => undefined)
  }
  const resolved = await timed(timings, 'resolve', () =>
    resolveWheels({
      dependencies: dependencies.set,
      runtime: request.runtime,
      architecture,
      installer: request.installer,
      useActionsCache: request.useActionsCache,
      cacheRestore: request.cacheRestore,
      allowLinuxWheels: request.allowLinuxWheels,
      storeRoot: request.storeRoot
    })
  )
  for (const warning of resolved.warnings) core.warning(`${architecture}: ${warning}`)

  const assembled = await timed(timings, 'assemble', () =>
    assemblePackages({
      wheels: resolved.wheels,
      sourceDir: request.source,
      exclude: request.exclude,
      excludePaths: [request.outputDir],
      slim: request.slim,
      packageType: request.packageType,
      outputDir: join(request.outputDir, architecture),
      sourceDateEpoch: request.sourceDateEpoch,
      ownWheels: dependencies.ownWheels
    })
  )
  for (const warning of assembled.warnings) core.warning(`${architecture}: ${warning}`)
  if (assembled.excludedByDefault.length > 0) {
    relayInert(`${architecture}: left out by default: ${assembled.excludedByDefault.join(', ')}`)
  }
  if (assembled.credentials.length > 0) warnOnce(credentialsWarning(assembled.credentials))
  const assembledPackages = {
    function: assembled.function,
    ...(assembled.layer ? { layer: assembled.layer } : {})
  }

  const { imported, closure } = await timed(timings, 'verify', async () => {
    const started = performance.now()
    const libraries = await scanPackageLibraries({
      packages: assembledPackages,
      runtime: request.runtime,
      architecture,
      cache: elfCache
    })
    core.info(
      `${architecture}: shared libraries checked: ${libraries.elfFiles} ELF file(s), ${libraries.extensionModules} extension module(s), ${Math.round(performance.now() - started)} ms`
    )
    const closureStart = performance.now()
    const closure = await checkPackageClosure(
      Object.values(assembledPackages).map((zip) => zip.path),
      // What resolve read: the project's dependency set.
      dependencies.set,
      { runtime: request.runtime, architecture }
    )
    const closureMs = Math.round(performance.now() - closureStart)
    if (closure.distributions > 0) {
      relayInert(`${architecture}: ${closureSummaryLine(closure)} in ${closureMs} ms`)
    }
    // The import runs before the library findings are judged: what it loaded decides them.
    let imported: ImportCheckResult | undefined
    let failure: ImportFailure | undefined
    const checkStart = performance.now()
    try {
      imported = await runImportCheck({
        treeRoot: keptFolder(request, 'import-check'),
        handler: request.handler,
        enabled: request.importCheck,
        runtime: request.runtime,
        architecture,
        packages: assembledPackages,
        ...checkInterpreter,
        ...(request.importEnvironment ? { function: request.importEnvironment } : {})
      })
    } catch (error) {
      if (!(error instanceof ImportFailure)) throw error
      failure = error
    }
    const verdict = judgeLibraries(
      libraries,
      imported?.check.status === 'passed'
        ? { ran: true, loaded: imported.loadedFiles }
        : { ran: false }
    )
    if (failure) throw verifyError(failure, verdict.failures, request.runtime, architecture)
    if (verdict.failures.length > 0) {
      throw libraryError(verdict.failures, request.runtime, architecture)
    }
    for (const warning of verdict.warnings.slice(0, 20)) {
      core.warning(`${architecture}: ${warning.entry} ${warning.message}`)
    }
    const passed = imported as ImportCheckResult
    logImportCheck(architecture, passed.check, Math.round(performance.now() - checkStart))
    return { imported: passed, closure }
  })

  const { packages, report: bytecode } = await timed(timings, 'bytecode', async () =>
    shipBytecode({
      mode: request.bytecode,
      packages: assembledPackages,
      codeFiles: assembled.codeFiles,
      importCheck: imported,
      handler: request.handler,
      runtime: request.runtime,
      architecture,
      limits: request.limits,
      compiler: await compiler,
      sourceDateEpoch: request.sourceDateEpoch,
      treeRoot: keptFolder(request, 'import-time')
    })
  )
  return {
    architecture,
    runtime: request.runtime.name,
    packages,
    distributions: assembled.distributions,
    codeUnzippedSize: assembled.codeUnzippedSize,
    cacheHit: resolved.cacheHit,
    wheels: resolved.wheels.map((wheel) => basename(wheel)),
    importCheck: imported.check,
    bytecode,
    closure: {
      distributions: closure.distributions,
      requirements: closure.checked,
      fromRuntime: closure.fromRuntime
    },
    timings
  }
}

/** The report as written to disk: package paths relative to the report, so it can travel. */
function portableReport(result: BuildResult): BuildResult {
  const dir = dirname(result.reportPath)
  const portable = (file: PackageFile): PackageFile => ({ ...file, path: relative(dir, file.path) })
  return {
    ...result,
    reportPath: REPORT_FILE,
    architectures: result.architectures.map((arch) => ({
      ...arch,
      packages: {
        function: portable(arch.packages.function),
        ...(arch.packages.layer ? { layer: portable(arch.packages.layer) } : {})
      }
    }))
  }
}

/** One compiler for every architecture: a .pyc does not depend on the machine. */
async function openCompiler(request: BuildRequest): Promise<BytecodeCompiler | { reason: string }> {
  if (request.bytecode === 'none') return { reason: 'bytecode is none' }
  const compiler = await BytecodeCompiler.open({
    runtime: request.runtime,
    architectures: request.architectures,
    env: process.env,
    toolCache: storeRoot(request),
    python: request.python,
    storeRoot: storeRoot(request),
    readKept: request.trustKeptFiles
  })
  if (!('compile' in compiler)) {
    core.notice(`No bytecode: ${compiler.reason}. The packages ship without .pyc files.`)
  } else if (!request.trustKeptFiles) {
    core.info(
      'bytecode: compiled afresh: in deploy mode on a runner that is not GitHub-hosted, .pyc files kept by earlier jobs are not trusted'
    )
  }
  return compiler
}

export async function buildPackages(request: BuildRequest): Promise<BuildResult> {
  await mkdir(request.outputDir, { recursive: true })
  const rootWarning = await workspaceRootWarning(request.source, process.env.GITHUB_WORKSPACE)
  if (rootWarning) core.warning(rootWarning)
  const warned = new Set<string>()
  const warnOnce = (message: string): void => {
    if (!warned.has(message)) core.warning(message)
    warned.add(message)
  }
  const elfCache = await ElfParseCache.load(elfParseCacheFile(storeRoot(request)))
  // Once for every architecture: an export and the local wheels are the same for each.
  const dependencies = await prepareDependencies({
    source: request.source,
    requirements: request.requirements,
    extras: request.extras,
    groups: request.groups,
    runtime: request.runtime,
    installer: request.installer,
    useActionsCache: request.useActionsCache,
    cacheRestore: request.cacheRestore,
    storeRoot: request.storeRoot,
    excludePaths: [request.outputDir]
  })
  // Found (or brought) while the wheels resolve; the bytecode phase waits for it.
  const compiler = openCompiler(request)
  compiler.catch(() => undefined)
  // Every architecture finishes (or fails) before the step does: no build left running unseen,
  // and each distinct failure is reported.
  const settled = await Promise.allSettled(
    request.architectures.map((architecture) =>
      buildArchitecture(request, dependencies, architecture, elfCache, warnOnce, compiler)
    )
  )
  await elfCache.save()
  const failures = [
    ...new Set(settled.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : [])))
  ]
  const firstFailure = settled.find((r) => r.status === 'rejected')
  if (firstFailure) {
    throw failures.length === 1 ? firstFailure.reason : new UserError(failures.join('\n'))
  }
  const architectures = settled.map((r) => (r as PromiseFulfilledResult<ArchBuild>).value)
  const result: BuildResult = {
    runtime: request.runtime.name,
    packageType: request.packageType,
    architectures,
    cacheHit: architectures.every((arch) => arch.cacheHit),
    dependencies: {
      kind: dependencies.kind,
      ...(dependencies.decidedBy === undefined ? {} : { file: dependencies.decidedBy }),
      reason: dependencies.reason,
      localLibraries: dependencies.localLibraries
    },
    ...(request.provenance ? { provenance: request.provenance } : {}),
    reportPath: join(request.outputDir, REPORT_FILE)
  }
  await writeFile(result.reportPath, JSON.stringify(portableReport(result), null, 2) + '\n')
  return result
}
