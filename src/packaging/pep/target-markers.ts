// What environment markers see on Lambda for one (runtime, architecture), and a marker judged
// there: the closure check, and a lock's pins chosen for the target. Pure.
import {
  LAMBDA_MARKER_VALUES,
  WHEEL_ARCH,
  type Architecture,
  type RuntimeFacts
} from '../../lambda-facts.js'
import {
  evaluateMarkerForAll,
  MarkerSyntaxError,
  type Marker,
  type MarkerEnvironment,
  type Truth
} from './marker.js'

export interface MarkerTarget {
  runtime: RuntimeFacts
  architecture: Architecture
}

/**
 * What markers see on Lambda. The runtime's patch release is not fixed (AWS updates it), so
 * `python_full_version` is judged at both ends of the minor: a marker that differs between them
 * stays undecided rather than guessed.
 */
export function targetEnvironments(target: MarkerTarget): MarkerEnvironment[] {
  const { pythonVersion } = target.runtime
  return [`${pythonVersion}.0`, `${pythonVersion}.999`].map((full) => ({
    ...LAMBDA_MARKER_VALUES,
    python_version: pythonVersion,
    python_full_version: full,
    implementation_version: full,
    platform_machine: WHEEL_ARCH[target.architecture],
    extra: ''
  }))
}

/** The marker's value, undecided when it compares what cannot be compared (`~=` on strings). */
export function judgeMarker(marker: Marker, envs: readonly MarkerEnvironment[]): Truth {
  try {
    return evaluateMarkerForAll(marker, envs)
  } catch (error) {
    if (error instanceof MarkerSyntaxError) return undefined
    throw error
  }
}
