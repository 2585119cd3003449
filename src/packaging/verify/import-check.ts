// Imports the handler module from the built package alone, in a clean interpreter of the
// runtime's exact CPython minor, when this machine can: the Runtime.ImportModuleError users would
// otherwise meet only after the deploy.
import { join } from 'node:path'
import { UserError, errorMessage } from '../../errors.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import type { ArchPackages, ImportCheck } from '../../types.js'
import { findTargetInterpreter, type TargetInterpreter } from '../tools/interpreters.js'
import { execWithoutStdin } from '../tools/run-tool.js'
import { IMPORT_CHECK_SCRIPT, RUNTIME_PROVIDED_MODULES } from './import-check-script.js'
import { openTreeFolder, syncPackageTree } from './package-tree.js'

/**
 * A handler whose import never returns (a network call at import time) must not hold the
 * run: Python stops itself after this long and prints where it was (faulthandler, on every OS).
 */
const IMPORT_TIMEOUT_SECONDS = 120

/** Runs `python args`; resolves with stdout on exit code 0, else rejects with stderr's text. */
async function runPython(
  python: TargetInterpreter,
  args: string[],
  env: Record<string, string>
): Promise<string> {
  const [path, ...prefix] = python.command
  const result = await execWithoutStdin(path as string, [...prefix, ...args], {
    silent: true,
    ignoreReturnCode: true,
    env: { ...env, ...python.env }
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
}

export interface LoadedFiles {
  /** Entry names of the function zip (`numpy/__init__.py`). */
  function: string[]
  /** Entry names of the layer zip (`python/numpy/__init__.py`); empty without a layer. */
  layer: string[]
}

export interface ImportCheckResult {
  check: ImportCheck
  /** The module files the handler's import loaded from each package, sorted; empty when no import ran. */
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

export async function runImportCheck(request: ImportCheckRequest): Promise<ImportCheckResult> {
  const { handler, runtime, architecture } = request
  const skipped = (reason: string): ImportCheckResult => ({
    check: { status: 'skipped', reason },
    loadedFiles: { function: [], layer: [] }
  })
  if (!request.enabled) return skipped('import-check is false')
  if (!handler) return skipped('no handler given (set the handler input to check it)')
  const lookup = await findTargetInterpreter({ runtime, architecture, env: process.env })
  if (lookup.found === undefined) return skipped(lookup.reason)
  const python = lookup.found
  const { module, function: functionName } = splitHandler(handler)
  // One kept tree per target and package type; another build on the same runner holding it
  // gets a fresh temporary one.
  const tree = await openTreeFolder(
    request.treeRoot,
    [runtime.name, architecture, request.packages.layer ? 'layer' : 'function'],
    'lpd-import-'
  )
  const workDir = tree.dir
  const taskRoot = join(workDir, 'task')
  const optRoot = request.packages.layer ? join(workDir, 'opt') : undefined
  const args = {
    taskRoot,
    optRoot,
    module,
    function: functionName,
    runtimeProvided: RUNTIME_PROVIDED_MODULES
  }
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
    // .pyc files go to a folder beside the tree, never into it; they are trusted only while
    // the source's (mtime, size) match, and the tree sets mtime from each file's CRC-32.
    const pycache = join(workDir, 'pycache')
    const timeout = `import faulthandler; faulthandler.dump_traceback_later(${IMPORT_TIMEOUT_SECONDS}, exit=True)\n`
    const stdout = await runPython(
      python,
      [
        '-I',
        '-X',
        `pycache_prefix=${pycache}`,
        '-c',
        timeout + IMPORT_CHECK_SCRIPT,
        JSON.stringify(args)
      ],
      // A clean environment: nothing from the runner's Python setup leaks in.
      { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', AWS_DEFAULT_REGION: 'us-east-1' }
    )
    return {
      check: { status: 'passed', interpreter: python.description },
      loadedFiles: loadedFilesFrom(stdout)
    }
  } catch (error) {
    // A package that cannot be unpacked says so above; only the interpreter's failure is an
    // import failure.
    if (error instanceof UserError) throw error
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim()
    const tail = stderr.split('\n').slice(-12).join('\n')
    throw new UserError(
      `import check: importing handler '${handler}' from the ${architecture} package with Python ${runtime.pythonVersion} failed; on Lambda this is Runtime.ImportModuleError. Add the missing distribution to requirements, or fix the handler input.\n${tail}`
    )
  } finally {
    await tree.release()
  }
}
