// Typed results that pass between the pipeline's stages (build → verify → report → deploy).
import type { Architecture } from './lambda-facts.js'
import type { BuildProvenance } from './report/provenance.js'

/** One zip the action wrote, as the `packages` output describes it. */
export interface PackageFile {
  /** Absolute path of the zip. */
  path: string
  /** Zipped size, bytes. */
  size: number
  /** Sum of the entries' uncompressed sizes, bytes. */
  unzippedSize: number
  /** Base64 SHA-256 of the zip bytes: Lambda's CodeSha256. */
  codeSha256: string
}

export interface ArchPackages {
  function: PackageFile
  /** Only with `package-type: layer`. */
  layer?: PackageFile
}

/** One installed distribution's share of a package, for size reports. */
export interface DistributionSize {
  /** Normalised project name (`pydantic_core`). */
  name: string
  version: string
  unzippedSize: number
  files: number
}

export interface ImportCheck {
  status: 'passed' | 'skipped'
  /** Why it was skipped, in the user's words. */
  reason?: string
  /** Which interpreter ran it (`CPython 3.12.7 (python3.12 on PATH)`), when it ran. */
  interpreter?: string
}

/** The `bytecode` input: which modules get a .pyc compiled for the runtime. */
export const BYTECODE_MODES = ['imported', 'all', 'none'] as const
export type BytecodeMode = (typeof BYTECODE_MODES)[number]

/** What the handler's import took, from the package as built, in fresh processes (`python -I -B`). */
export interface ImportTime {
  /** With the shipped .pyc files. */
  withBytecodeMs: number
  /** The same package, its .pyc files ignored: every module compiled from source, as without them. */
  withoutBytecodeMs: number
}

/** The .pyc files one architecture's packages carry (docs/bytecode.md). */
export interface BytecodeReport {
  /** What the `bytecode` input asked for. */
  mode: BytecodeMode
  /** What shipped: every module, those the handler's import loaded, or none. */
  compiled: BytecodeMode
  /** .pyc files added, and the .py files the packages hold. */
  files: number
  sources: number
  unzippedBytes: number
  zippedBytes: number
  /** PEP 552: the runtime hashes each source on import and uses the .pyc only when it matches. */
  invalidation: 'checked-hash'
  /** Which interpreter compiled them, when one did. */
  interpreter?: string
  /** Why less than asked shipped (a limit, no interpreter), in the user's words. */
  reason?: string
  /** .pyc files compiled in this build, and those taken from the kept results of earlier builds. */
  freshlyCompiled: number
  reused: number
  importTime?: ImportTime
  /** Why the import was not timed. */
  importTimeNote?: string
}

export interface ClosureCheck {
  /** Distributions in the package (function zip plus layer). */
  distributions: number
  /** Requirements that hold for the target, each met. */
  requirements: number
  /** Required distributions the Lambda runtime provides (boto3 ...). */
  fromRuntime: string[]
}

export interface ArchBuild {
  architecture: Architecture
  runtime: string
  packages: ArchPackages
  /** Biggest first. */
  distributions: DistributionSize[]
  /** Unzipped size of the handler code alone. */
  codeUnzippedSize: number
  /** Every wheel came from the wheel store: no resolver ran. */
  cacheHit: boolean
  /** Wheel file names that went into the package. */
  wheels: string[]
  importCheck: ImportCheck
  /** The dependency-closure check (it passed, or the build failed); absent in older reports. */
  closure?: ClosureCheck
  /** Absent in reports from before bytecode shipped. */
  bytecode?: BytecodeReport
  /** Milliseconds per phase: resolve, assemble, verify. */
  timings: Record<string, number>
}

export interface DependencySummary {
  kind:
    'none' | 'requirements' | 'pyproject' | 'uv-lock' | 'poetry-lock' | 'pipfile-lock' | 'pylock'
  /** Absolute path of the file that decided. */
  file?: string
  /** One sentence: which file decided and why. */
  reason: string
  /** Local libraries built into wheels: `common 0.1.0`. */
  localLibraries: string[]
}

export interface BuildResult {
  runtime: string
  packageType: 'zip' | 'layer'
  architectures: ArchBuild[]
  /** True when every architecture's wheels came from the cache. */
  cacheHit: boolean
  /** Which file decided the dependencies, and why (absent in reports from before issue 9). */
  dependencies?: DependencySummary
  /** Where it was built: repository, commit, ref, workflow run (GitHub Actions runs only). */
  provenance?: BuildProvenance
  /** The JSON report written next to the packages (`<output-dir>/report.json`). */
  reportPath: string
}

/**
 * What became of the new version, as the `rollout` output says: `promoted` (it serves),
 * `unchanged` (it served already), `rolled-back` (rejected: the alias serves the version it
 * served before, routing cleared), `superseded` (another deployment moved the alias meanwhile,
 * to a newer version or in the middle of our shift), `rollback-failed` (rejected, and the alias
 * could not be put back), `failed` (the deploy stopped before the new version could serve).
 */
export type Rollout =
  'promoted' | 'unchanged' | 'rolled-back' | 'superseded' | 'rollback-failed' | 'failed'

/** One step of a traffic shift, as the timeline shows it. */
export interface TrafficStepRecord {
  /** Share of the alias's traffic the new version had, percent; 100 is the promotion. */
  percent: number
  /** When the step began, ms after the shift began. */
  startMs: number
  /** How long the share was held (until the next step or the stop), ms. */
  heldMs: number
  /** Health reads during the step. */
  checks: number
  /** The new version's sums at the step's last read, since the shift began. */
  errors?: number
  throttles?: number
  invocations?: number
  /** Alarms in ALARM at the last read. */
  alarmsInAlarm?: string[]
  verdict: 'healthy' | 'unhealthy' | 'cancelled' | 'promoted' | 'stopped'
}

/** A traffic shift from one version to another, for the summary's timeline. */
export interface TrafficRecord {
  /** `canary 10% 5m` */
  traffic: string
  alias: string
  from: string
  to: string
  /** The share an earlier run had left routed to `to`, when this run resumed its shift. */
  resumedAt?: number
  /** When the shift began, epoch ms. */
  startedAt: number
  steps: TrafficStepRecord[]
  /** Why the shift stopped, when it did not promote. */
  stopped?: { atMs: number; reason: string }
  totalMs: number
}

/** What happened to one function in `deploy` mode. */
export interface FunctionDeployResult {
  functionName: string
  architecture: Architecture
  /** `unchanged`: the function already had this CodeSha256 and nothing was sent. */
  status: 'deployed' | 'unchanged' | 'failed'
  upload?: 'direct' | 's3'
  version?: string
  versionArn?: string
  aliasArn?: string
  /** Version the alias pointed to before it moved (a rollback target); absent when created. */
  previousAliasVersion?: string
  layerVersionArn?: string
  smoke?: { status: 'passed' | 'failed' | 'skipped'; detail?: string }
  /** Time spent waiting on Lambda (updates in progress, a SnapStart version), ms; unset: none. */
  waitedMs?: number
  /** What became of the new version; unset when no release ran (publish: false, no alias). */
  rollout?: Rollout
  /** The version the alias serves after this run. */
  servingVersion?: string
  /** The traffic shift, when one ran (canary or linear). */
  traffic?: TrafficRecord
  /** After a rejection: what $LATEST runs now. */
  latestRestore?: { status: 'restored' | 'unneeded' | 'left' | 'failed'; detail: string }
  /** What keep-versions deleted and kept; unset when it did not run. */
  prune?: PruneResult
  /** Set when status is `failed`. */
  error?: string
}

/** Why a version was kept, in the user's words (`alias live`, `one of the 2 newest`). */
export interface KeptVersion {
  version: string
  reasons: string[]
}

/** keep-versions or keep-layer-versions for one function or layer. */
export interface PruneResult {
  /** `orders`, or `layer orders-deps`. */
  subject: string
  deleted: string[]
  kept: KeptVersion[]
  /** Deletions or listings that failed: warnings, never a failed deploy. */
  warnings: string[]
}
