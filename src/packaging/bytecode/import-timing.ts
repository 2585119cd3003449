// Times the handler's import from the packages as built, unpacked as Lambda unpacks them, in
// fresh `python -I -B` processes (nothing written, as on Lambda's read-only task root): once with
// the shipped .pyc files, once with the package's .pyc files ignored, which is what the import
// costs without them. The standard library keeps its own bytecode in both runs, as on Lambda.
// It runs the import check's own program, so the handler loads the way the check loaded it, with
// the check's `importlib.import_module` call timed.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../../errors.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import type { ArchPackages, ImportTime } from '../../types.js'
import { lockFolder, unlockFolder } from '../stores/folder-lock.js'
import { findTargetInterpreter } from '../tools/interpreters.js'
import { runInterpreter } from '../tools/run-interpreter.js'
import { lastLines } from '../tools/run-tool.js'
import { IMPORT_CHECK_SCRIPT, RUNTIME_PROVIDED_MODULES } from '../verify/import-check-script.js'
import { splitHandler } from '../verify/import-check.js'
import { syncPackageTree, treeName } from '../verify/package-tree.js'

/** A handler that hangs at import stops the run after this long (faulthandler), as in the check. */
const IMPORT_TIMEOUT_SECONDS = 120

/**
 * Run before the import check's program: modules under the package's folders are compiled from
 * source, their .pyc files never read (as if absent); everything else loads as usual.
 */
const IGNORE_PACKAGE_BYTECODE = `
import json as _json, sys as _sys
from importlib.machinery import (BYTECODE_SUFFIXES as _B, EXTENSION_SUFFIXES as _E, SOURCE_SUFFIXES as _S,
    ExtensionFileLoader as _Ext, FileFinder as _Finder, SourceFileLoader as _Source, SourcelessFileLoader as _Sourceless)
_args = _json.loads(_sys.argv[1])
_roots = tuple(r for r in (_args['taskRoot'], _args.get('optRoot')) if r)
class _SourceOnly(_Source):
    def get_data(self, path):
        if path.endswith('.pyc'):
            raise FileNotFoundError(path)
        return super().get_data(path)
def _package_folders(path):
    if not path.startswith(_roots):
        raise ImportError
    return _Finder(path, (_Ext, _E), (_SourceOnly, _S), (_Sourceless, _B))
_sys.path_hooks.insert(0, _package_folders)
_sys.path_importer_cache.clear()
`

/** Run before the import check's program: times its `importlib.import_module` call. */
const TIME_HANDLER_IMPORT = `
import importlib as _importlib, sys as _sys, time as _time
_import_module = _importlib.import_module
def _timed_import(name, package=None):
    start = _time.perf_counter_ns()
    module = _import_module(name, package)
    print('lpd-import-ns %s %d' % (name, _time.perf_counter_ns() - start), file=_sys.stderr)
    return module
_importlib.import_module = _timed_import
`

/** Milliseconds the import of `module` took, as TIME_HANDLER_IMPORT printed it. */
export function handlerImportMs(stderr: string, module: string): number | undefined {
  let ns: number | undefined
  for (const line of stderr.split('\n')) {
    const match = /^lpd-import-ns (\S+) (\d+)$/.exec(line.trim())
    if (match && match[1] === module) ns = Number(match[2])
  }
  return ns === undefined ? undefined : Math.round(ns / 1e6)
}

export interface TimingRequest {
  handler?: string
  runtime: RuntimeFacts
  architecture: Architecture
  /** The packages as they ship. */
  packages: ArchPackages
  /** Where unpacked packages are kept between builds; default a temporary folder. */
  treeRoot?: string
}

export type TimingResult = { time: ImportTime } | { note: string }

export async function timeHandlerImport(request: TimingRequest): Promise<TimingResult> {
  const { handler, runtime, architecture } = request
  if (!handler) return { note: 'no handler given' }
  const lookup = await findTargetInterpreter({ runtime, architecture, env: process.env })
  if (!lookup.found) return { note: lookup.reason }
  const python = lookup.found
  if (python.emulated) return { note: 'an emulated interpreter does not time like Lambda' }
  const { module, function: functionName } = splitHandler(handler)
  const kept =
    request.treeRoot === undefined
      ? undefined
      : join(
          request.treeRoot,
          treeName([runtime.name, architecture, request.packages.layer ? 'layer' : 'function'])
        )
  const locked = kept !== undefined && (await lockFolder(kept))
  const workDir = locked ? (kept as string) : await mkdtemp(join(tmpdir(), 'lpd-import-time-'))
  try {
    const taskRoot = join(workDir, 'task')
    const optRoot = request.packages.layer ? join(workDir, 'opt') : undefined
    await syncPackageTree(request.packages.function.path, taskRoot)
    if (request.packages.layer && optRoot)
      await syncPackageTree(request.packages.layer.path, optRoot)
    const args = JSON.stringify({
      taskRoot,
      optRoot,
      module,
      function: functionName,
      runtimeProvided: RUNTIME_PROVIDED_MODULES
    })
    const timeout = `import faulthandler; faulthandler.dump_traceback_later(${IMPORT_TIMEOUT_SECONDS}, exit=True)\n`
    const importMs = async (prefix: string): Promise<number> => {
      const result = await runInterpreter(
        python,
        ['-I', '-B', '-c', timeout + TIME_HANDLER_IMPORT + prefix + IMPORT_CHECK_SCRIPT, args],
        { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', AWS_DEFAULT_REGION: 'us-east-1' }
      )
      if (result.exitCode !== 0) {
        throw new Error(`the import failed: ${lastLines(result.stderr, 3)}`)
      }
      const ms = handlerImportMs(result.stderr, module)
      if (ms === undefined) throw new Error(`the import of ${module} printed no time`)
      return ms
    }
    const withBytecodeMs = await importMs('')
    const withoutBytecodeMs = await importMs(IGNORE_PACKAGE_BYTECODE)
    return { time: { withBytecodeMs, withoutBytecodeMs } }
  } catch (error) {
    return { note: errorMessage(error) }
  } finally {
    if (locked) await unlockFolder(workDir)
    else await rm(workDir, { recursive: true, force: true })
  }
}
