// Imports the handler from the packages, unpacked as Lambda unpacks them, in a fresh
// `python -I -B` process (nothing written, as on Lambda's read-only task root), and reports how
// long the import took and every package source CPython compiled on the way. Run on the
// packages as assembled, that is the cost without bytecode and the exact set bytecode saves:
// it includes modules whose import was tried and failed (`urllib3.contrib.pyopenssl` without
// pyOpenSSL), which the import check's list of loaded modules cannot show. Run on the packages
// with bytecode, it is the cost with it. It runs the import check's own program, with its
// `importlib.import_module` call timed, so the handler loads the way the check loaded it.
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import type { ArchPackages } from '../../types.js'
import { lastLines } from '../tools/run-tool.js'
import { IMPORT_CHECK_SCRIPT } from '../verify/import-check-script.js'
import { importHandler, splitHandler, type HandlerImport } from '../verify/handler-import.js'
import type { ImportCheckResult, LoadedFiles } from '../verify/import-check.js'
import { openTreeFolder, syncPackageTree, type TreeFolder } from '../verify/package-tree.js'

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

/**
 * Run before the import check's program: records each source compiled (no usable .pyc), and
 * times the check's `importlib.import_module` call. Prints one line for each, on stderr.
 */
const PROBE_PREFIX = `
import importlib as _importlib, importlib.machinery as _machinery, sys as _sys, time as _time
_source_to_code = _machinery.SourceFileLoader.source_to_code
def _recorded(self, data, path, *rest, **options):
    print('lpd-compiled %s' % path, file=_sys.stderr)
    return _source_to_code(self, data, path, *rest, **options)
_machinery.SourceFileLoader.source_to_code = _recorded
_import_module = _importlib.import_module
def _timed_import(name, package=None):
    start = _time.perf_counter_ns()
    module = _import_module(name, package)
    print('lpd-import-ns %s %d' % (name, _time.perf_counter_ns() - start), file=_sys.stderr)
    return module
_importlib.import_module = _timed_import
`

/** Milliseconds the import of `module` took, as PROBE_PREFIX printed it. */
export function handlerImportMs(stderr: string, module: string): number | undefined {
  let ns: number | undefined
  for (const line of stderr.split('\n')) {
    const match = /^lpd-import-ns (\S+) (\d+)$/.exec(line.trim())
    if (match && match[1] === module) ns = Number(match[2])
  }
  return ns === undefined ? undefined : Math.round(ns / 1e6)
}

/** The package entries behind the compiled paths PROBE_PREFIX printed, per package. */
export function compiledEntries(
  stderr: string,
  roots: { taskRoot: string; optRoot?: string }
): LoadedFiles {
  const packages = [
    ['function', roots.taskRoot],
    ['layer', roots.optRoot]
  ] as const
  const files = { function: new Set<string>(), layer: new Set<string>() }
  for (const line of stderr.split('\n')) {
    const path = /^lpd-compiled (.+)$/.exec(line.trim())?.[1]
    if (path === undefined) continue
    const [name, root] = packages.find(([, root]) => root && path.startsWith(root + sep)) ?? []
    if (name && root)
      files[name].add(
        path
          .slice(root.length + 1)
          .split(sep)
          .join('/')
      )
  }
  return { function: [...files.function].sort(), layer: [...files.layer].sort() }
}

export interface ProbeResult {
  importMs: number
  /** Package sources CPython compiled during the import: no .pyc, or none it could use. */
  compiled: LoadedFiles
  /** Measured by an earlier build of these very packages on this runner, not by this one. */
  remembered?: boolean
}

export interface ProbeRequest {
  handler?: string
  /** The import check's result: the probe imports the handler exactly as the check did. */
  importCheck: ImportCheckResult
  runtime: RuntimeFacts
  architecture: Architecture
  layer: boolean
  /**
   * Where unpacked packages, and the last result for them, are kept between builds (only where
   * kept files are trusted, stores/kept-files.ts); default a temporary folder.
   */
  treeRoot?: string
}

export class ImportProbe {
  private constructor(
    private readonly how: HandlerImport,
    private readonly handler: string,
    private readonly runtime: RuntimeFacts,
    private readonly tree: TreeFolder,
    private readonly layer: boolean
  ) {}

  /** A probe for the target, or why the handler's import cannot be timed here. */
  static async open(request: ProbeRequest): Promise<ImportProbe | { note: string }> {
    const { handler, runtime, architecture } = request
    const how = request.importCheck.import
    if (!handler || !how) {
      return { note: request.importCheck.check.reason ?? 'the import check did not run' }
    }
    if (how.python.emulated) {
      return { note: 'an emulated interpreter does not time like Lambda' }
    }
    const tree = await openTreeFolder(
      request.treeRoot,
      [runtime.name, architecture, request.layer ? 'layer' : 'function'],
      'lpd-import-time-'
    )
    return new ImportProbe(how, handler, runtime, tree, request.layer)
  }

  /**
   * Unpacks `packages` (only what changed since the last run) and imports the handler from them;
   * `withoutBytecode` ignores the package's .pyc files (from earlier builds, kept on disk). The
   * very same packages, measured before in a kept tree, are not imported again.
   */
  async run(packages: ArchPackages, withoutBytecode = false): Promise<ProbeResult> {
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          this.how,
          this.handler,
          withoutBytecode,
          packages.function.codeSha256,
          packages.layer?.codeSha256 ?? '',
          PROBE_PREFIX,
          IGNORE_PACKAGE_BYTECODE,
          IMPORT_CHECK_SCRIPT
        ])
      )
      .digest('hex')
    const kept = join(this.tree.dir, withoutBytecode ? 'probe-without.json' : 'probe-with.json')
    if (this.tree.kept) {
      const earlier = await readFile(kept, 'utf8')
        .then((text) => JSON.parse(text) as { key?: string; result?: ProbeResult })
        .catch(() => undefined)
      if (earlier?.key === key && earlier.result) return { ...earlier.result, remembered: true }
    }
    const result = await this.measure(packages, withoutBytecode)
    if (this.tree.kept)
      await writeFile(kept, JSON.stringify({ key, result })).catch(() => undefined)
    return result
  }

  private async measure(packages: ArchPackages, withoutBytecode: boolean): Promise<ProbeResult> {
    const taskRoot = join(this.tree.dir, 'task')
    const optRoot = this.layer ? join(this.tree.dir, 'opt') : undefined
    const keep = (name: string) => withoutBytecode && /(^|\/)__pycache__\/[^/]+\.pyc$/.test(name)
    await syncPackageTree(packages.function.path, taskRoot, keep)
    if (packages.layer && optRoot) await syncPackageTree(packages.layer.path, optRoot, keep)
    const result = await importHandler(this.how, {
      runtime: this.runtime,
      handler: this.handler,
      workDir: this.tree.dir,
      layer: this.layer,
      options: ['-I', '-S', '-B'],
      prelude: (withoutBytecode ? IGNORE_PACKAGE_BYTECODE : '') + PROBE_PREFIX
    })
    const stderr = result.stderr
    const { module } = splitHandler(this.handler)
    if (result.exitCode !== 0) {
      const why = stderr
        .split('\n')
        .filter((line) => !line.startsWith('lpd-'))
        .join('\n')
      throw new Error(`the import failed: ${lastLines(why, 3)}`)
    }
    const importMs = handlerImportMs(stderr, module)
    if (importMs === undefined) throw new Error(`the import of ${module} printed no time`)
    return { importMs, compiled: compiledEntries(stderr, { taskRoot, optRoot }) }
  }

  async close(): Promise<void> {
    await this.tree.release()
  }
}
