// Imports the handler module from the built package alone, in a clean interpreter of the
// runtime's exact CPython minor, when this machine can: the Runtime.ImportModuleError users would
// otherwise meet only after the deploy, imported as Lambda's init phase imports it
// (handler-import.ts).
import { join } from 'node:path'
import { UserError, errorMessage } from '../../errors.js'
import {
  RUNTIME_PROVIDED_MODULES,
  type Architecture,
  type RuntimeFacts
} from '../../lambda-facts.js'
import { redact, variableSecrets } from '../../secrets.js'
import type { ArchPackages, ImportCheck } from '../../types.js'
import { findTargetInterpreter } from '../tools/interpreters.js'
import {
  cachedRuntimeProvided,
  obtainRuntimeProvided,
  type RuntimeProvided
} from '../tools/runtime-provided.js'
import { defaultStoreRoot } from '../stores/wheel-store.js'
import { importHandler, splitHandler, type HandlerImport } from './handler-import.js'
import { buildModeEnvironment, type FunctionEnvironment } from './import-environment.js'
import { ImportFailure, importFailureMessage, parseFailure } from './import-failure.js'
import { openTreeFolder, syncPackageTree } from './package-tree.js'

/** The reason a check did not run when the user turned it off. */
export const IMPORT_CHECK_OFF = 'import-check is false'

export interface ImportCheckRequest {
  handler?: string
  enabled: boolean
  runtime: RuntimeFacts
  architecture: Architecture
  packages: ArchPackages
  /**
   * Where unpacked packages are kept between builds (the wheel store's root): a warm build then
   * rewrites only the files that changed and reuses the .pyc files. Default: a temporary folder.
   */
  treeRoot?: string
  /**
   * The action's tool cache (the wheel store's root): brought interpreters and Lambda's boto3
   * wheels are kept there. Default: the runner's.
   */
  toolCache?: string
  /** The `python` input. */
  python?: string
  /** The function's name, region, memory and variables. Default: build mode with none. */
  function?: FunctionEnvironment
}

export interface LoadedFiles {
  /** Entry names of the function zip (`numpy/__init__.py`). */
  function: string[]
  /** Entry names of the layer zip (`python/numpy/__init__.py`); empty without a layer. */
  layer: string[]
}

export interface ImportCheckResult {
  check: ImportCheck
  /**
   * The files the handler's import loaded from each package (module files, and shared objects
   * mapped into the process), sorted; empty when no import ran.
   */
  loadedFiles: LoadedFiles
  /** Set when the import ran and passed. */
  import?: HandlerImport
}

/** The script prints, last, one JSON line: `{"loaded": {"function": [...], "layer": [...]}}`. */
function loadedFilesFrom(stdout: string): LoadedFiles {
  const last = stdout.trim().split('\n').at(-1) ?? ''
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String).sort() : [])
  try {
    const parsed = JSON.parse(last) as { loaded?: { function?: unknown; layer?: unknown } }
    return { function: list(parsed.loaded?.function), layer: list(parsed.loaded?.layer) }
  } catch {
    return { function: [], layer: [] }
  }
}

/** The import failed on a module Lambda's runtime provides (boto3 ...). */
function needsRuntimeProvided(stderr: string): boolean {
  const detail = parseFailure(stderr)
  return (
    detail?.kind === 'module' &&
    RUNTIME_PROVIDED_MODULES.includes(detail.name.split('.')[0] ?? detail.name)
  )
}

export async function runImportCheck(request: ImportCheckRequest): Promise<ImportCheckResult> {
  const { handler, runtime, architecture } = request
  const skipped = (reason: string): ImportCheckResult => ({
    check: { status: 'skipped', reason },
    loadedFiles: { function: [], layer: [] }
  })
  if (!request.enabled) return skipped(IMPORT_CHECK_OFF)
  if (!handler) return skipped('no handler given (set the handler input to check it)')
  const toolCache = request.toolCache ?? defaultStoreRoot(process.env)
  const lookup = await findTargetInterpreter({
    runtime,
    architecture,
    env: process.env,
    toolCache,
    python: request.python
  })
  if (lookup.found === undefined) return skipped(lookup.reason)
  const fn = request.function ?? buildModeEnvironment({}, undefined, process.env)
  // Lambda's boto3 from the tool cache; fetched the first time a handler imports it.
  const cache = { runtime, root: toolCache, env: process.env }
  const cached = await cachedRuntimeProvided(cache)
  let provided: RuntimeProvided = cached ? { wheels: cached } : { reason: 'not fetched yet' }
  const layer = request.packages.layer !== undefined
  // One kept tree per target and package type; another build on the same runner holding it
  // gets a fresh temporary one.
  const tree = await openTreeFolder(
    request.treeRoot,
    [runtime.name, architecture, layer ? 'layer' : 'function'],
    'lpd-import-'
  )
  const workDir = tree.dir
  const secrets = variableSecrets(Object.values(fn.variables))
  try {
    try {
      await syncPackageTree(request.packages.function.path, join(workDir, 'task'))
      if (request.packages.layer) {
        await syncPackageTree(request.packages.layer.path, join(workDir, 'opt'))
      }
    } catch (error) {
      throw new UserError(
        `import check: the ${architecture} package does not extract, so Lambda could not load it either; no import was tried. This is a fault in the package, not a missing distribution: ${errorMessage(error)}`
      )
    }
    // .pyc files go to a folder beside the tree, never into it; they are trusted only while
    // the source's (mtime, size) match, and the tree sets mtime from each file's CRC-32.
    const options = ['-I', '-S', '-X', `pycache_prefix=${join(workDir, 'pycache')}`]
    const how = (): HandlerImport => ({
      python: lookup.found,
      function: fn,
      runtimeWheels: provided.wheels ?? []
    })
    let result = await importHandler(how(), { runtime, handler, workDir, layer, options })
    if (
      result.exitCode !== 0 &&
      provided.wheels === undefined &&
      needsRuntimeProvided(result.stderr)
    ) {
      provided = await obtainRuntimeProvided(cache)
      if (provided.wheels !== undefined) {
        result = await importHandler(how(), { runtime, handler, workDir, layer, options })
      }
    }
    if (result.exitCode === 0) {
      return {
        check: { status: 'passed', interpreter: lookup.found.description },
        loadedFiles: loadedFilesFrom(result.stdout),
        import: how()
      }
    }
    // The handler's own output may hold a variable's value: never in a message.
    const stderr = redact(result.stderr, secrets)
    const detail = parseFailure(stderr)
    const { module } = splitHandler(handler)
    throw new ImportFailure(
      importFailureMessage(
        detail,
        {
          handler,
          module,
          architecture,
          pythonVersion: runtime.pythonVersion,
          variablesFrom: fn.variablesFrom,
          runtimeModules: RUNTIME_PROVIDED_MODULES,
          ...(provided.wheels === undefined ? { runtimeMissing: provided.reason } : {})
        },
        stderr
      ),
      detail
    )
  } finally {
    await tree.release()
  }
}
