// The dependency-closure check: every requirement that a distribution in the package declares
// for Lambda's Python and architecture (and the extras asked for) is met by a distribution in
// the package, or by one the runtime provides. An installer that evaluated markers on the
// runner instead of the target (pip on Python 3.11 building for python3.10) leaves out what
// only the target needs, e.g. anyio's `exceptiongroup; python_version < "3.11"` (issue 8).
// Pure: the metadata comes in as text; no interpreter of the target is needed.
import { UserError } from '../../errors.js'
import {
  RUNTIME_PROVIDED_DISTRIBUTIONS,
  type Architecture,
  type RuntimeFacts
} from '../../lambda-facts.js'
import { normalizeProjectName } from '../pep/wheel-tags.js'
import { parseMarker, type Marker, type MarkerEnvironment, type Truth } from '../pep/marker.js'
import { judgeMarker as judge, targetEnvironments } from '../pep/target-markers.js'
import { parseCoreMetadata } from '../pep/metadata.js'
import { parseRequirement, type Requirement } from '../pep/requirement.js'
import { specifierSetContains } from '../pep/specifier.js'

/** One `*.dist-info/METADATA` found in a package. */
export interface InstalledMetadata {
  /** Where it was read, for messages: `function.zip:anyio-4.6.2.dist-info/METADATA`. */
  source: string
  text: string
}

/** A requirement the user asked for: a line of the requirements file. */
export interface RequestedProject {
  /** PEP 503 name. */
  project: string
  /** Extras asked for, `fastapi[standard]` → `['standard']`. */
  extras: string[]
  /** The line's marker, '' for none. */
  marker: string
  /** `requirements.txt:3`, for messages. */
  where: string
}

export interface ClosureTarget {
  runtime: RuntimeFacts
  architecture: Architecture
}

export interface UnmetRequirement {
  /** `anyio 4.6.2`, or the requirements line that asked. */
  requiredBy: string
  /** Without its marker: `exceptiongroup>=1.0.2`. */
  requirement: string
  /** The marker that selected it for the target, when it has one. */
  marker?: string
  /** The extra it came through, when it did. */
  extra?: string
  /** The version in the package when it is there but outside the specifier. */
  found?: string
}

export interface ClosureResult {
  /** Distributions found in the package. */
  distributions: number
  /** Requirements that hold for the target and were checked. */
  checked: number
  /** Required distributions left to the Lambda runtime (boto3 ...), sorted. */
  fromRuntime: string[]
  /** Requirements whose marker cannot be judged without the target (`platform_release`), or unreadable ones. */
  undecided: string[]
  unmet: UnmetRequirement[]
}

interface Distribution {
  version: string
  label: string
  requirements: Requirement[]
}

/** Holds for the target with no extra or with one of `extras`: the first that selects it. */
function selected(
  marker: Marker | undefined,
  envs: readonly MarkerEnvironment[],
  extras: Iterable<string>
): { truth: Truth; extra?: string } {
  if (!marker) return { truth: true }
  let truth: Truth = judge(marker, envs)
  if (truth === true) return { truth }
  for (const extra of extras) {
    const withExtra = judge(
      marker,
      envs.map((env) => ({ ...env, extra }))
    )
    if (withExtra === true) return { truth: true, extra }
    if (withExtra === undefined) truth = undefined
  }
  return { truth }
}

/**
 * Checks the closure. Unparseable metadata lines are undecided, never a failure: pip would
 * have refused to install such a distribution at all, so the installer's word stands.
 */
export function checkClosure(
  metadata: readonly InstalledMetadata[],
  requested: readonly RequestedProject[],
  target: ClosureTarget,
  runtimeProvided: readonly string[] = RUNTIME_PROVIDED_DISTRIBUTIONS
): ClosureResult {
  const envs = targetEnvironments(target)
  const undecided: string[] = []
  const byName = new Map<string, Distribution[]>()
  for (const { source, text } of metadata) {
    const core = parseCoreMetadata(text)
    if (!core) {
      undecided.push(`${source}: no Name or Version`)
      continue
    }
    const requirements: Requirement[] = []
    for (const line of core.requiresDist) {
      try {
        requirements.push(parseRequirement(line))
      } catch (error) {
        undecided.push(`${core.name} ${core.version}: "${line}" (${(error as Error).message})`)
      }
    }
    const name = normalizeProjectName(core.name)
    const dist = {
      version: core.version,
      label: `${core.name} ${core.version}`,
      requirements
    }
    byName.set(name, [...(byName.get(name) ?? []), dist])
  }

  const extrasOf = new Map<string, Set<string>>()
  const unmet: UnmetRequirement[] = []
  const fromRuntime = new Set<string>()
  let checked = 0
  const queue: string[] = []
  const requestExtras = (name: string, extras: readonly string[]) => {
    const known = extrasOf.get(name) ?? new Set<string>()
    extrasOf.set(name, known)
    const added = extras.filter((extra) => !known.has(extra))
    for (const extra of added) known.add(extra)
    if (added.length > 0 && byName.has(name)) queue.push(name)
  }
  /** Met by the package (in the specifier) or by the runtime; records it otherwise. */
  const meet = (requirement: Requirement, unmetEntry: Omit<UnmetRequirement, 'found'>) => {
    checked++
    const present = byName.get(requirement.name)
    if (!present) {
      if (runtimeProvided.includes(requirement.name)) fromRuntime.add(requirement.name)
      else unmet.push(unmetEntry)
      return
    }
    if (requirement.url !== undefined) return
    if (present.some((d) => specifierSetContains(requirement.specifiers, d.version))) return
    unmet.push({ ...unmetEntry, found: present.map((d) => d.label).join(', ') })
  }

  for (const entry of requested) {
    let marker: Marker | undefined
    try {
      marker = entry.marker === '' ? undefined : parseMarker(entry.marker)
    } catch (error) {
      undecided.push(`${entry.where}: ${(error as Error).message}`)
      continue
    }
    const { truth } = selected(marker, envs, [])
    if (truth !== true) {
      if (truth === undefined) undecided.push(`${entry.where}: ${entry.marker}`)
      continue
    }
    const requirement: Requirement = {
      name: entry.project,
      extras: entry.extras,
      specifiers: [],
      text: entry.project,
      display: entry.project
    }
    meet(requirement, {
      requiredBy: entry.where,
      requirement: entry.project,
      ...(marker ? { marker: entry.marker } : {})
    })
    requestExtras(entry.project, entry.extras)
  }
  for (const name of byName.keys()) queue.push(name)

  // Each distribution is (re)visited when new extras of it are asked for; extras only grow,
  // so this ends. A requirement met once stays met, so each is counted on its first selection.
  const done = new Set<string>()
  while (queue.length > 0) {
    const name = queue.shift() as string
    for (const dist of byName.get(name) ?? []) {
      dist.requirements.forEach((requirement, index) => {
        const key = `${dist.label}\u0000${index}`
        if (done.has(key)) return
        const { truth, extra } = selected(requirement.marker, envs, extrasOf.get(name) ?? [])
        if (truth !== true) return
        done.add(key)
        meet(requirement, {
          requiredBy: dist.label,
          requirement: requirement.display,
          ...(requirement.markerText ? { marker: requirement.markerText } : {}),
          ...(extra ? { extra } : {})
        })
        requestExtras(requirement.name, requirement.extras)
      })
    }
  }
  // What never held may still be undecided: a marker on a value the target leaves open.
  for (const [name, dists] of byName) {
    for (const dist of dists) {
      dist.requirements.forEach((requirement, index) => {
        if (done.has(`${dist.label}\u0000${index}`)) return
        const { truth } = selected(requirement.marker, envs, extrasOf.get(name) ?? [])
        if (truth === undefined) undecided.push(`${dist.label}: ${requirement.text}`)
      })
    }
  }
  const distributions = [...byName.values()].reduce((n, list) => n + list.length, 0)
  return { distributions, checked, fromRuntime: [...fromRuntime].sort(), undecided, unmet }
}

/** Undecided requirements named in the log line; the rest are counted. */
const UNDECIDED_LISTED = 5

/** Lines shown for unmet requirements; the rest are counted. */
const UNMET_LISTED = 12

function describe(unmet: UnmetRequirement): string {
  const why = [
    ...(unmet.marker ? [`marker ${unmet.marker}`] : []),
    ...(unmet.extra ? [`through extra "${unmet.extra}"`] : [])
  ]
  const selectedBy = why.length > 0 ? ` (selected by ${why.join(', ')})` : ''
  const problem = unmet.found ? `the package has ${unmet.found}` : 'not in the package'
  return `  ${unmet.requiredBy} requires ${unmet.requirement}${selectedBy}: ${problem}`
}

/** The failure: each unmet requirement, what selected it, the way out. */
export function closureError(result: ClosureResult, target: ClosureTarget): UserError {
  const where = `${target.runtime.name} ${target.architecture}`
  const lines = result.unmet.slice(0, UNMET_LISTED).map(describe)
  if (result.unmet.length > UNMET_LISTED)
    lines.push(`  ... and ${result.unmet.length - UNMET_LISTED} more`)
  return new UserError(
    `The ${where} package misses ${result.unmet.length === 1 ? 'a requirement' : `${result.unmet.length} requirements`} that its distributions declare for ${where}; on Lambda the import fails (Runtime.ImportModuleError):\n` +
      `${lines.join('\n')}\n` +
      `Markers (python_version, platform_machine, extras) must be evaluated for the target, not for the runner's Python: ` +
      `use installer: auto or installer: uv, which resolve markers for ${where}, or add the missing requirements (with a version that fits) to the requirements file.`
  )
}

/** One log line: `closure: 23 distributions, all 41 requirements met (boto3 from the Lambda runtime)`. */
export function closureSummaryLine(result: ClosureResult): string {
  const runtime =
    result.fromRuntime.length > 0
      ? ` (${result.fromRuntime.join(', ')} from the Lambda runtime)`
      : ''
  const listed = result.undecided.slice(0, UNDECIDED_LISTED).join('; ')
  const more = result.undecided.length > UNDECIDED_LISTED ? '; ...' : ''
  const undecided =
    result.undecided.length > 0
      ? `; ${result.undecided.length} not decidable without the target: ${listed}${more}`
      : ''
  return `closure: ${result.distributions} distributions, all ${result.checked} requirements met${runtime}${undecided}`
}
