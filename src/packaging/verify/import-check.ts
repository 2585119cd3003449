// Imports the handler module from the built package alone, in a clean interpreter of the
// runtime's exact CPython minor, when this machine can: the Runtime.ImportModuleError users would
// otherwise meet only after the deploy. The import runs as Lambda's init phase does: Lambda's
// variables and the function's own (import-environment.ts), Lambda's boto3 after the package on
// sys.path (tools/runtime-provided.ts), nothing of the runner's environment or site-packages.
import type { ExecOutput } from '@actions/exec'
import { readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { UserError, errorMessage } from '../../errors.js'
import {
  RUNTIME_PROVIDED_MODULES,
  type Architecture,
  type RuntimeFacts
} from '../../lambda-facts.js'
import { redact, variableSecrets } from '../../secrets.js'
import type { ArchPackages, ImportCheck } from '../../types.js'
import { findTargetInterpreter, type TargetInterpreter } from '../tools/interpreters.js'
import {
  cachedRuntimeProvided,
  obtainRuntimeProvided,
  type RuntimeProvided
} from '../tools/runtime-provided.js'
import { execWithoutStdin, findOnPath } from '../tools/run-tool.js'
import { defaultStoreRoot } from '../stores/wheel-store.js'
import { IMPORT_CHECK_SCRIPT } from './import-check-script.js'
import {
  buildModeEnvironment,
  importEnvironment,
  type FunctionEnvironment
} from './import-environment.js'
import { ImportFailure, importFailureMessage, parseFailure } from './import-failure.js'
import { openTreeFolder, syncPackageTree } from './package-tree.js'

/**
 * A handler whose import never returns (a network call at import time) must not hold the
 * run: Python stops itself after this long and prints where it was (faulthandler, on every OS).
 */
const IMPORT_TIMEOUT_SECONDS = 120

/**
 * The interpreter's command with its program as an absolute path: the child's PATH is Lambda's,
 * not the runner's, so a bare `python3.12` is looked up here first.
 */
async function resolvedCommand(python: TargetInterpreter): Promise<string[]> {
  const [program, ...rest] = python.command
  if (program === undefined) throw new Error('an interpreter with an empty command')
  const path = program.includes('/') ? program : await findOnPath(program, process.env)
  return [path ?? program, ...rest]
}

/** `app.handler` → module `app`, function `handler`; `pkg/app.handler` → `pkg.app`. */
export function splitHandler(handler: string): { module: string; function: string } {
  const dot = handler.lastIndexOf('.')
  return { module: handler.slice(0, dot).replaceAll('/', '.'), function: handler.slice(dot + 1) }
}

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

/** How the check imported the handler: anything else importing it (bytecode) does the same. */
export interface HandlerImport {
  python: TargetInterpreter
  function: FunctionEnvironment
  /** Lambda's boto3 wheels, after the package on sys.path; none when the handler needs none. */
  runtimeWheels: readonly string[]
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

/** Lambda's wheels unpacked beside the package (kept with the tree); their folders, in order. */
async function syncRuntimeProvided(
  wheels: readonly string[],
  runtimeDir: string
): Promise<string[]> {
  const dirs = wheels.map((wheel) => join(runtimeDir, basename(wheel, '.whl')))
  const wanted = new Set(dirs.map((dir) => basename(dir)))
  for (const name of await readdir(runtimeDir).catch(() => [])) {
    if (!wanted.has(name)) await rm(join(runtimeDir, name), { recursive: true, force: true })
  }
  try {
    for (const [i, wheel] of wheels.entries()) await syncPackageTree(wheel, dirs[i] as string)
  } catch (error) {
    throw new UserError(
      `import check: Lambda's boto3 wheels (${wheels.map((w) => basename(w)).join(', ')}) do not unpack: ${errorMessage(error)}`
    )
  }
  return dirs
}

export interface HandlerImportRun {
  runtime: RuntimeFacts
  handler: string
  /** Holds the unpacked packages (`task/`, and `opt/` with a layer); `runtime/` is written here. */
  workDir: string
  layer: boolean
  /** Interpreter options before `-c` (`-I`, `-B` ...). */
  options: readonly string[]
  /** Python run before the import check's program, in the same process. */
  prelude?: string
}

/**
 * Imports the handler from the packages unpacked under `workDir` as Lambda's init phase does
 * (the module header explains how); resolves with the interpreter's output whatever its exit code.
 */
export async function importHandler(
  how: HandlerImport,
  run: HandlerImportRun
): Promise<ExecOutput> {
  const taskRoot = join(run.workDir, 'task')
  const optRoot = join(run.workDir, 'opt')
  const runtimeDir = join(run.workDir, 'runtime')
  const runtimeProvided = await syncRuntimeProvided(how.runtimeWheels, runtimeDir)
  const [program, ...prefix] = await resolvedCommand(how.python)
  const env = importEnvironment({
    runtime: run.runtime,
    handler: run.handler,
    function: how.function,
    folders: {
      taskRoot,
      layerRoot: optRoot,
      runtimeDir,
      interpreterBin: dirname(program as string)
    },
    interpreterEnv: how.python.env,
    runnerLibraryPath: process.env.LD_LIBRARY_PATH
  })
  const { module, function: functionName } = splitHandler(run.handler)
  const args = {
    taskRoot,
    optRoot: run.layer ? optRoot : undefined,
    module,
    function: functionName,
    runtimeProvided
  }
  const timeout = `import faulthandler; faulthandler.dump_traceback_later(${IMPORT_TIMEOUT_SECONDS}, exit=True)\n`
  return execWithoutStdin(
    program as string,
    [
      ...prefix,
      ...run.options,
      '-c',
      timeout + (run.prelude ?? '') + IMPORT_CHECK_SCRIPT,
      JSON.stringify(args)
    ],
    { silent: true, ignoreReturnCode: true, env }
  )
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
    const importWith = (runtimeWheels: readonly string[]) => {
      const how = { python: lookup.found, function: fn, runtimeWheels }
      return importHandler(how, { runtime, handler, workDir, layer, options })
    }
    let result = await importWith(provided.wheels ?? [])
    if (
      result.exitCode !== 0 &&
      provided.wheels === undefined &&
      needsRuntimeProvided(result.stderr)
    ) {
      provided = await obtainRuntimeProvided(cache)
      if (provided.wheels !== undefined) result = await importWith(provided.wheels)
    }
    if (result.exitCode === 0) {
      return {
        check: { status: 'passed', interpreter: lookup.found.description },
        loadedFiles: loadedFilesFrom(result.stdout),
        import: { python: lookup.found, function: fn, runtimeWheels: provided.wheels ?? [] }
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
