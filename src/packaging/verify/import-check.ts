// Imports the handler module from the built package alone, in a clean interpreter of the
// runtime's exact CPython minor, when this machine can: the Runtime.ImportModuleError users would
// otherwise meet only after the deploy.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { UserError } from '../../errors.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import type { ArchPackages, ImportCheck } from '../../types.js'
import {
  IMPORT_CHECK_SCRIPT,
  RUNTIME_PROVIDED_MODULES,
  UNREADABLE_PACKAGE_STATUS
} from './import-check-script.js'

const run = promisify(execFile)

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
      const { stdout } = await run(candidate, [
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
  const workDir = await mkdtemp(join(tmpdir(), 'lpd-import-'))
  const args = {
    workDir,
    functionZip: request.packages.function.path,
    layerZip: request.packages.layer?.path,
    module,
    function: functionName,
    runtimeProvided: RUNTIME_PROVIDED_MODULES
  }
  try {
    await run(python, ['-I', '-B', '-c', IMPORT_CHECK_SCRIPT, JSON.stringify(args)], {
      // A clean environment: nothing from the runner's Python setup leaks in.
      env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', AWS_DEFAULT_REGION: 'us-east-1' },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024
    })
    return { status: 'passed' }
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim()
    const tail = stderr.split('\n').slice(-12).join('\n')
    if ((error as { code?: unknown }).code === UNREADABLE_PACKAGE_STATUS) {
      throw new UserError(
        `import check: the ${architecture} package does not extract with Python's zipfile, so Lambda could not load it either; no import was tried. This is a fault in the package, not a missing distribution: report it with the log.\n${tail}`
      )
    }
    throw new UserError(
      `import check: importing handler '${handler}' from the ${architecture} package with Python ${runtime.pythonVersion} failed; on Lambda this is Runtime.ImportModuleError. Add the missing distribution to requirements, or fix the handler input.\n${tail}`
    )
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}
