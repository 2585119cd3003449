// Imports the handler module from the built package alone, in a clean interpreter of the
// runtime's exact CPython minor, when this machine can: the Runtime.ImportModuleError users would
// otherwise meet only after the deploy.
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { UserError, errorMessage } from '../../errors.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import type { ArchPackages, ImportCheck } from '../../types.js'
import { execWithoutStdin } from '../tools/run-tool.js'
import { IMPORT_CHECK_SCRIPT, RUNTIME_PROVIDED_MODULES } from './import-check-script.js'
import { syncPackageTree, treeName } from './package-tree.js'

/**
 * A handler whose import never returns (a network call at import time) must not hold the
 * run: Python stops itself after this long and prints where it was (faulthandler, on every OS).
 */
const IMPORT_TIMEOUT_SECONDS = 120

/** Runs `python args`; resolves with stdout on exit code 0, else rejects with stderr's text. */
async function runPython(
  python: string,
  args: string[],
  env?: Record<string, string>
): Promise<string> {
  const result = await execWithoutStdin(python, args, {
    silent: true,
    ignoreReturnCode: true,
    ...(env ? { env } : {})
  })
  if (result.exitCode !== 0)
    throw Object.assign(new Error(result.stderr), { stderr: result.stderr })
  return result.stdout
}

/** Lambda's name for the machine this process runs on, if Lambda has one. */
export function hostArchitecture(arch: string = process.arch): Architecture | undefined {
  if (arch === 'x64') return 'x86_64'
  if (arch === 'arm64') return 'arm64'
  return undefined
}

/** `app.handler` → module `app`, function `handler`; `pkg/app.handler` → `pkg.app`. */
export function splitHandler(handler: string): { module: string; function: string } {
  const dot = handler.lastIndexOf('.')
  return { module: handler.slice(0, dot).replaceAll('/', '.'), function: handler.slice(dot + 1) }
}

/**
 * An interpreter of the runtime's minor: `python3.X` on PATH, else `python3` when it is that
 * minor. Undefined when neither is.
 */
async function findInterpreter(runtime: RuntimeFacts): Promise<string | undefined> {
  for (const candidate of [`python${runtime.pythonVersion}`, 'python3']) {
    try {
      const stdout = await runPython(candidate, [
        '-c',
        'import sys; print("%d.%d" % sys.version_info[:2])'
      ])
      if (stdout.trim() === runtime.pythonVersion) return candidate
    } catch {
      // not on PATH: try the next
    }
  }
  return undefined
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

export async function runImportCheck(request: ImportCheckRequest): Promise<ImportCheck> {
  const { handler, runtime, architecture } = request
  if (!request.enabled) return { status: 'skipped', reason: 'import-check is false' }
  if (!handler) {
    return { status: 'skipped', reason: 'no handler given (set the handler input to check it)' }
  }
  const host = hostArchitecture()
  if (host !== architecture) {
    return {
      status: 'skipped',
      reason: `this runner is ${host ?? process.arch}, the package is ${architecture} (run on a ${architecture} runner to check it)`
    }
  }
  const python = await findInterpreter(runtime)
  if (!python) {
    return {
      status: 'skipped',
      reason: `no Python ${runtime.pythonVersion} on this runner (actions/setup-python with python-version ${runtime.pythonVersion} enables the check)`
    }
  }
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
    await runPython(
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
    return { status: 'passed' }
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
    if (locked) await rm(`${workDir}.lock`, { recursive: true, force: true })
    else await rm(workDir, { recursive: true, force: true })
  }
}
