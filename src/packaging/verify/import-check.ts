// Imports the handler module from the built package alone, in a clean interpreter of the
// runtime's exact CPython minor, when this machine can: the Runtime.ImportModuleError users would
// otherwise meet only after the deploy. The import runs as Lambda's init phase does: Lambda's
// variables and the function's own (import-environment.ts), Lambda's boto3 after the package on
// sys.path (tools/runtime-provided.ts), nothing of the runner's environment or site-packages.
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
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
import { syncPackageTree, treeName } from './package-tree.js'

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

/** Runs `command args`; resolves with stdout on exit code 0, else rejects with stderr's text. */
async function runPython(
  command: readonly string[],
  args: string[],
  env: Record<string, string>
): Promise<string> {
  const [path, ...prefix] = command
  const result = await execWithoutStdin(path as string, [...prefix, ...args], {
    silent: true,
    ignoreReturnCode: true,
    env
  })
  if (result.exitCode !== 0)
    throw Object.assign(new Error(result.stderr), { stderr: result.stderr })
  return result.stdout
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

/** A lock older than this was left by a run that died: take it over. */
const STALE_LOCK_MS = 15 * 60 * 1000

/** Takes `<dir>.lock` (mkdir is atomic); false when another build holds it. */
async function lock(dir: string): Promise<boolean> {
  // An unwritable store costs only speed: the check then unpacks into a temporary folder.
  if (
    !(await mkdir(dirname(dir), { recursive: true }).then(
      () => true,
      () => false
    ))
  )
    return false
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(`${dir}.lock`)
      return true
    } catch {
      const info = await stat(`${dir}.lock`).catch(() => undefined)
      if (!info || Date.now() - info.mtimeMs < STALE_LOCK_MS) return false
      await rm(`${dir}.lock`, { recursive: true, force: true })
    }
  }
  return false
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
  for (const [i, wheel] of wheels.entries()) await syncPackageTree(wheel, dirs[i] as string)
  return dirs
}

/** The import failed on a module Lambda's runtime provides (boto3 ...). */
function needsRuntimeProvided(error: unknown): boolean {
  const detail = parseFailure(String((error as { stderr?: string }).stderr ?? ''))
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
  const lookup = await findTargetInterpreter({
    runtime,
    architecture,
    env: process.env,
    toolCache: request.toolCache ?? defaultStoreRoot(process.env),
    python: request.python
  })
  if (lookup.found === undefined) return skipped(lookup.reason)
  const python = lookup.found
  const fn = request.function ?? buildModeEnvironment({}, undefined, process.env)
  // Lambda's boto3 from the tool cache; fetched the first time a handler imports it.
  const cache = {
    runtime,
    root: request.toolCache ?? defaultStoreRoot(process.env),
    env: process.env
  }
  const cached = await cachedRuntimeProvided(cache)
  let provided: RuntimeProvided = cached ? { wheels: cached } : { reason: 'not fetched yet' }
  const { module, function: functionName } = splitHandler(handler)
  // One kept tree per target and package type; another build on the same runner holding it
  // gets a fresh temporary one.
  const kept =
    request.treeRoot === undefined
      ? undefined
      : join(
          request.treeRoot,
          treeName([runtime.name, architecture, request.packages.layer ? 'layer' : 'function'])
        )
  const locked = kept !== undefined && (await lock(kept))
  const workDir = locked ? (kept as string) : await mkdtemp(join(tmpdir(), 'lpd-import-'))
  const taskRoot = join(workDir, 'task')
  const optRoot = request.packages.layer ? join(workDir, 'opt') : undefined
  const runtimeDir = join(workDir, 'runtime')
  const secrets = variableSecrets(Object.values(fn.variables))
  try {
    try {
      await syncPackageTree(request.packages.function.path, taskRoot)
      if (request.packages.layer && optRoot)
        await syncPackageTree(request.packages.layer.path, optRoot)
    } catch (error) {
      throw new UserError(
        `import check: the ${architecture} package does not extract, so Lambda could not load it either; no import was tried. This is a fault in the package, not a missing distribution: ${errorMessage(error)}`
      )
    }
    const command = await resolvedCommand(python)
    const env = importEnvironment({
      runtime,
      handler,
      function: fn,
      folders: {
        taskRoot,
        layerRoot: optRoot ?? join(workDir, 'opt'),
        runtimeDir,
        interpreterBin: dirname(command[0] as string)
      },
      interpreterEnv: python.env,
      runnerLibraryPath: process.env.LD_LIBRARY_PATH
    })
    // .pyc files go to a folder beside the tree, never into it; they are trusted only while
    // the source's (mtime, size) match, and the tree sets mtime from each file's CRC-32.
    const pycache = join(workDir, 'pycache')
    const timeout = `import faulthandler; faulthandler.dump_traceback_later(${IMPORT_TIMEOUT_SECONDS}, exit=True)\n`
    const importWith = async (wheels: readonly string[]) => {
      const runtimeProvided = await syncRuntimeProvided(wheels, runtimeDir).catch(
        (error: unknown) => {
          throw new UserError(
            `import check: Lambda's boto3 wheels (${wheels.map((w) => basename(w)).join(', ')}) do not unpack: ${errorMessage(error)}`
          )
        }
      )
      const args = { taskRoot, optRoot, module, function: functionName, runtimeProvided }
      return runPython(
        command,
        [
          '-I',
          '-S',
          '-X',
          `pycache_prefix=${pycache}`,
          '-c',
          timeout + IMPORT_CHECK_SCRIPT,
          JSON.stringify(args)
        ],
        env
      )
    }
    let stdout: string
    try {
      stdout = await importWith(provided.wheels ?? [])
    } catch (error) {
      if (provided.wheels !== undefined || !needsRuntimeProvided(error)) throw error
      provided = await obtainRuntimeProvided(cache)
      if (provided.wheels === undefined) throw error
      stdout = await importWith(provided.wheels)
    }
    return {
      check: { status: 'passed', interpreter: python.description },
      loadedFiles: loadedFilesFrom(stdout)
    }
  } catch (error) {
    // A package that cannot be unpacked says so above; only the interpreter's failure is an
    // import failure.
    if (error instanceof UserError) throw error
    // The handler's own output may hold a variable's value: never in a message.
    const stderr = redact(String((error as { stderr?: string }).stderr ?? ''), secrets)
    const detail = parseFailure(stderr)
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
    if (locked) await rm(`${workDir}.lock`, { recursive: true, force: true })
    else await rm(workDir, { recursive: true, force: true })
  }
}
