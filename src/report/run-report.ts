// Everything the report shows about one run, gathered by main.ts for the pure renderers.
import type { FunctionDeployResult, PruneResult } from '../types.js'
import type { SizeLimits } from './gate.js'
import type { TrustVerdict } from './provenance.js'
import type { BuildReportJson } from './report-json.js'

export interface RunReport {
  mode: 'build' | 'deploy'
  /** This run's build (a BuildResult fits). */
  build: BuildReportJson
  /** Tells function sets apart: in the comment's hidden marker and the base report's cache key. */
  id: string
  /** What the report is about, in its heading: function names or the source directory. */
  title?: string
  limits: SizeLimits
  /** The base branch's latest report, restored on pull requests. */
  base?: BuildReportJson
  /** On pull requests: the branch compared with, set even when no base report was found. */
  baseBranch?: string
  /** Commit the base report was built from, when known. */
  baseCommit?: string
  deploys?: FunctionDeployResult[]
  /** What keep-layer-versions deleted and kept (each function's own is on its deploy). */
  layerPrune?: PruneResult
  /** Whole-run phase durations in ms (log.ts `phaseTimings()`), in the order they ran. */
  timings?: Record<string, number>
  /** With package-dir: where the packages were built, and why that fits this run. */
  packageOrigin?: TrustVerdict
  /** Link to this run, for the pull-request comment. */
  runUrl?: string
}
