// Library findings judged by what loads (issue 20). The library check follows every extension
// module, but a package may ship modules nothing imports at init: numba's OpenMP and TBB
// threading layers need libgomp and libtbb, which numba does not bundle and never loads unless
// asked to. Where the handler's import ran, a missing library needed only by modules it did not
// load is a warning naming them; where it loaded one, or no import ran, it fails. Pure.
import { LAYER_ROOT, TASK_ROOT } from '../../lambda-facts.js'
import type { LoadedFiles } from './import-check.js'
import type { LibraryProblem, LibraryReport } from './library-check.js'

/**
 * What the import check proved: the files the handler's import loaded (its modules, and every
 * shared object mapped into the process), or nothing.
 */
export type ImportOutcome = { ran: false } | { ran: true; loaded: LoadedFiles }

export interface LibraryVerdict {
  failures: LibraryProblem[]
  warnings: LibraryProblem[]
}

/** Paths on Lambda of the files the import loaded (the zips' entry names, placed as Lambda does). */
function loadedPaths(loaded: LoadedFiles): Set<string> {
  return new Set([
    ...loaded.function.map((entry) => `${TASK_ROOT}/${entry}`),
    ...loaded.layer.map((entry) => `${LAYER_ROOT}/${entry}`)
  ])
}

/** `/var/task/numba/np/ufunc/omppool.cpython-311-x86_64-linux-gnu.so` → `numba.np.ufunc.omppool`. */
export function moduleName(path: string): string {
  const relative = path.replace(
    /^(\/var\/task|\/opt\/python\/lib\/python3\.\d+\/site-packages|\/opt\/python)\//,
    ''
  )
  const parts = relative.split('/')
  const file = parts.pop() ?? ''
  return [...parts, file.split('.')[0] ?? file].join('.')
}

function notLoaded(problem: LibraryProblem, modules: readonly string[]): LibraryProblem {
  const names = modules.map(moduleName)
  const which =
    names.length === 1
      ? `only ${names[0]} loads it, and the handler's import did not load that module`
      : `only ${names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')} load it, and the handler's import loaded none of them`
  return {
    ...problem,
    message:
      `needs ${problem.library}, which is neither in the package nor in Lambda's runtime; ${which}. ` +
      `The function starts; importing ${names[0]} later would fail with "${problem.library}: cannot open shared object file".`
  }
}

export function judgeLibraries(report: LibraryReport, outcome: ImportOutcome): LibraryVerdict {
  if (!outcome.ran) return { failures: report.failures, warnings: report.warnings }
  const loaded = loadedPaths(outcome.loaded)
  const failures: LibraryProblem[] = []
  const spared: LibraryProblem[] = []
  for (const problem of report.failures) {
    const modules = problem.library === undefined ? undefined : problem.loadedBy
    const used = loaded.has(problem.path) || (modules ?? []).some((m) => loaded.has(m))
    if (modules !== undefined && modules.length > 0 && !used) {
      spared.push(notLoaded(problem, modules))
    } else {
      failures.push(problem)
    }
  }
  // A file no extension module reaches can still be loaded (ctypes): then it fails on Lambda.
  const warnings: LibraryProblem[] = []
  for (const problem of report.warnings) {
    if (loaded.has(problem.path)) {
      failures.push({
        ...problem,
        message: `${problem.message} (the handler's import loaded it here: on Lambda that import fails)`
      })
    } else {
      warnings.push(problem)
    }
  }
  return { failures, warnings: [...spared, ...warnings] }
}
