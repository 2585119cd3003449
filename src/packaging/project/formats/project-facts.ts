// What several formats share about the project they lock: requires-python against the runtime,
// and the project itself as an entry to build when it is a package (issue 15, item 4).
import { UserError } from '../../../errors.js'
import type { RuntimeFacts } from '../../../lambda-facts.js'
import type { DependencyEntry } from '../../requirements/dependency-set.js'
import { pythonSatisfies } from '../requires-python.js'

export function checkRequiresPython(
  specifier: string | undefined,
  file: string,
  runtime: RuntimeFacts
): void {
  if (specifier === undefined || pythonSatisfies(specifier, runtime.pythonVersion, file)) return
  throw new UserError(
    `${file} has requires-python = "${specifier}", which ${runtime.name} (Python ` +
      `${runtime.pythonVersion}) does not satisfy; build for a runtime it allows, or change requires-python`
  )
}

/** The project in `dir` as a local library: built into its wheel, shipped with its dependencies. */
export function ownProject(dir: string, where: string): DependencyEntry {
  return {
    requirement: dir,
    options: [],
    text: `${where}: the project itself`,
    hashes: [],
    marker: '',
    markerVariables: [],
    extras: [],
    where,
    local: { path: dir, extras: '', marker: '', editable: false, own: true }
  }
}
