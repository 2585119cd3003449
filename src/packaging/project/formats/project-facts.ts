// What several formats share about the project they lock: requires-python against the runtime,
// the project itself as an entry to build when it is a package (issue 15, item 4), and the
// indexes a lock names.
import { UserError } from '../../../errors.js'
import type { RuntimeFacts } from '../../../lambda-facts.js'
import type { DependencyEntry, DependencySet } from '../../requirements/dependency-set.js'
import { findCredentials, maskCredentials } from '../../requirements/requirements-file.js'
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

const PYPI = /^https?:\/\/pypi\.(org|python\.org)\/simple\/?$/

export function isPypi(url: string): boolean {
  return PYPI.test(url)
}

/**
 * A lock's index (`url`, credentials included) for pip: PyPI stays pip's own default (a mirror
 * configured for pip may stand in for it); another index is added once, its credentials kept
 * to be masked and out of what is shown.
 */
export function addIndex(
  set: DependencySet,
  url: string,
  option: '--index-url' | '--extra-index-url' = '--extra-index-url'
): void {
  if (url === '' || isPypi(url) || set.options.some((o) => o.value === url)) return
  set.secrets.push(...findCredentials(url))
  set.options.push({ option, value: url, shown: maskCredentials(url) })
}
