// Imports the handler from packages unpacked as Lambda unpacks them (`task/`, `opt/`), the way
// Lambda's init phase does: a CPython of the runtime's minor, Lambda's variables and the
// function's own (import-environment.ts), Lambda's boto3 after the package on sys.path
// (tools/runtime-provided.ts), nothing of the runner's environment or site-packages. The import
// check (import-check.ts) and the bytecode timing (bytecode/import-probe.ts) both import this way.
import type { ExecOutput } from '@actions/exec'
import { readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { UserError, errorMessage } from '../../errors.js'
import type { RuntimeFacts } from '../../lambda-facts.js'
import type { TargetInterpreter } from '../tools/interpreters.js'
import { execWithoutStdin, findOnPath } from '../tools/run-tool.js'
import { IMPORT_CHECK_SCRIPT } from './import-check-script.js'
import { importEnvironment, type FunctionEnvironment } from './import-environment.js'
import { syncPackageTree } from './package-tree.js'

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

/** What the handler is imported with: the import check's, reused by anything importing it again. */
export interface HandlerImport {
  python: TargetInterpreter
  function: FunctionEnvironment
  /** Lambda's boto3 wheels, after the package on sys.path; none when the handler needs none. */
  runtimeWheels: readonly string[]
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
