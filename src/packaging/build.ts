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
import type { ArchBuild, BuildResult, BytecodeMode, PackageFile } from '../types.js'
import { assemblePackages } from './assemble/assemble.js'
import { BytecodeCompiler } from './bytecode/compiler.js'
import { shipBytecode } from './bytecode/ship-bytecode.js'
import { closureSummaryLine } from './verify/closure.js'
import { runImportCheck } from './verify/import-check.js'
import { checkPackageLibraries, ElfParseCache, elfParseCacheFile } from './verify/library-scan.js'
import { checkPackageClosure } from './verify/package-metadata.js'
import { prepareDependencies, type PreparedDependencies } from './project/prepare.js'
import { resolveWheels } from './resolve/resolve.js'
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
  /** Which modules get a .pyc (docs/bytecode.md). */
  bytecode: BytecodeMode
  /**
   * Use .pyc files kept by earlier builds on this runner. False where another job could have
   * planted them (deploy mode on a runner that is not GitHub-hosted): compiled afresh then.
   */
  reuseKeptBytecode: boolean
  /** Bytecode never takes a package past these (nor Lambda's own). */
  limits: SizeLimits
  packageType: 'zip' | 'layer'
  exclude: string[]
  slim: boolean
  installer: 'pip' | 'uv' | 'auto'
  useActionsCache: boolean
  allowLinuxWheels: boolean
  outputDir: string
  /** Seconds since the epoch for every zip entry's timestamp (`SOURCE_DATE_EPOCH`). */
  sourceDateEpoch?: number
  /** Where resolved wheels are kept; defaults to the runner's tool cache. */
  storeRoot?: string
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

async function buildArchitecture(
  request: BuildRequest,
  dependencies: PreparedDependencies,
  architecture: Architecture,
  elfCache: ElfParseCache,
  compiler: BytecodeCompiler | { reason: string }
): Promise<ArchBuild> {
  const timings: Record<string, number> = {}
  const resolved = await timed(timings, 'resolve', () =>
    resolveWheels({
      requirementsFile: dependencies.requirementsFile,
      runtime: request.runtime,
      architecture,
      installer: request.installer,
      useActionsCache: request.useActionsCache,
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
      sourceDateEpoch: request.sourceDateEpoch
    })
  )
  for (const warning of assembled.warnings) core.warning(`${architecture}: ${warning}`)
  if (assembled.excludedByDefault.length > 0) {
    core.info(`${architecture}: left out by default: ${assembled.excludedByDefault.join(', ')}`)
  }
  const assembledPackages = {
    function: assembled.function,
    ...(assembled.layer ? { layer: assembled.layer } : {})
  }

  const { importCheck, closure } = await timed(timings, 'verify', async () => {
    const started = performance.now()
    const libraries = await checkPackageLibraries({
      packages: assembledPackages,
      runtime: request.runtime,
      architecture,
      cache: elfCache
    })
    core.info(
      `${architecture}: shared libraries checked: ${libraries.elfFiles} ELF file(s), ${libraries.extensionModules} extension module(s), ${Math.round(performance.now() - started)} ms`
    )
    for (const warning of libraries.warnings.slice(0, 20)) {
      core.warning(`${architecture}: ${warning.entry} ${warning.message}`)
    }
    const closureStart = performance.now()
    const closure = await checkPackageClosure(
      Object.values(assembledPackages).map((zip) => zip.path),
      // What resolve read: the user's requirements file, or the one the project phase wrote.
      dependencies.requirementsFile,
      { runtime: request.runtime, architecture }
    )
    const closureMs = Math.round(performance.now() - closureStart)
    if (closure.distributions > 0) {
      core.info(`${architecture}: ${closureSummaryLine(closure)} in ${closureMs} ms`)
    }
    const importCheck = await runImportCheck({
      treeRoot: join(storeRoot(request), 'import-check'),
      handler: request.handler,
      enabled: request.importCheck,
      runtime: request.runtime,
      architecture,
      packages: assembledPackages
    })
    return { importCheck, closure }
  })

  const { packages, report: bytecode } = await timed(timings, 'bytecode', () =>
    shipBytecode({
      mode: request.bytecode,
      packages: assembledPackages,
      codeFiles: assembled.codeFiles,
      importCheck,
      importCheckEnabled: request.importCheck,
      handler: request.handler,
      runtime: request.runtime,
      architecture,
      limits: request.limits,
      compiler,
      sourceDateEpoch: request.sourceDateEpoch,
      treeRoot: join(storeRoot(request), 'import-time')
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
    importCheck: importCheck.check,
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

export async function buildPackages(request: BuildRequest): Promise<BuildResult> {
  await mkdir(request.outputDir, { recursive: true })
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
    storeRoot: request.storeRoot
  })
  // One compiler for every architecture: a .pyc does not depend on the machine.
  const compiler: BytecodeCompiler | { reason: string } =
    request.bytecode === 'none'
      ? { reason: 'bytecode is none' }
      : await BytecodeCompiler.open({
          runtime: request.runtime,
          architectures: request.architectures,
          env: process.env,
          storeRoot: storeRoot(request),
          readKept: request.reuseKeptBytecode
        })
  if (!('compile' in compiler) && request.bytecode !== 'none') {
    core.notice(`No bytecode: ${compiler.reason}. The packages ship without .pyc files.`)
  } else if ('compile' in compiler && !compiler.readsKept) {
    core.info(
      'bytecode: compiled afresh: in deploy mode on a runner that is not GitHub-hosted, .pyc files kept by earlier jobs are not trusted'
    )
  }
  // Every architecture finishes (or fails) before the step does: no build left running unseen,
  // and each distinct failure is reported.
  const settled = await Promise.allSettled(
    request.architectures.map((architecture) =>
      buildArchitecture(request, dependencies, architecture, elfCache, compiler)
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
    reportPath: join(request.outputDir, REPORT_FILE)
  }
  await writeFile(result.reportPath, JSON.stringify(portableReport(result), null, 2) + '\n')
  return result
}
