// Which wheels load on a Lambda runtime, decided from the wheel's file name (PEP 427/425/600).
// Pure: no I/O.
import { UserError } from '../../errors.js'
import { RUNTIMES, WHEEL_ARCH, type Architecture, type RuntimeFacts } from '../../lambda-facts.js'
import { LEGACY_MANYLINUX } from './platform-tags.js'

export interface WheelName {
  file: string
  /** As written in the file name (`pydantic_core`). */
  distribution: string
  /** PEP 503 normalised (`pydantic-core`). */
  project: string
  version: string
  buildTag?: string
  /** Compressed tag sets expanded: `py2.py3` → [`py2`, `py3`]. */
  pythonTags: string[]
  abiTags: string[]
  platformTags: string[]
}

/** PEP 503 project name: lower case, runs of `-_.` as one `-`. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** The last component of a path, `/` or `\` separated. */
function fileName(path: string): string {
  return path.split(/[\\/]/).at(-1) ?? path
}

/**
 * `{distribution}-{version}(-{build tag})?-{python}-{abi}-{platform}.whl`; `undefined` when
 * the name is not a wheel's.
 */
export function parseWheelName(file: string): WheelName | undefined {
  const base = fileName(file)
  if (!base.endsWith('.whl')) return undefined
  const parts = base.slice(0, -'.whl'.length).split('-')
  if (parts.length !== 5 && parts.length !== 6) return undefined
  const [distribution, version] = parts as [string, string]
  const buildTag = parts.length === 6 ? parts[2] : undefined
  if (buildTag !== undefined && !/^\d/.test(buildTag)) return undefined
  const [python, abi, platform] = parts.slice(-3) as [string, string, string]
  if (!distribution || !version || !python || !abi || !platform) return undefined
  return {
    file: base,
    distribution,
    project: normalizeProjectName(distribution),
    version,
    ...(buildTag === undefined ? {} : { buildTag }),
    pythonTags: python.split('.'),
    abiTags: abi.split('.'),
    platformTags: platform.split('.')
  }
}

/** The tag part of a wheel's file name, `cp311-cp311-manylinux_2_17_x86_64`. */
export function wheelTag(wheel: WheelName): string {
  return [wheel.pythonTags, wheel.abiTags, wheel.platformTags].map((t) => t.join('.')).join('-')
}

export interface LoadOptions {
  /** Accept `linux_<arch>` wheels (unknown builds, no glibc promise). */
  allowLinuxWheels: boolean
}

export type WheelVerdict =
  | { loads: true; tag: string }
  | {
      loads: false
      /** Why it does not load, in the user's words. */
      reason: string
      /** The way out. */
      fix: string
    }

/** The way out when a wheel is for another platform altogether. */
const PIN = 'pin a version that ships manylinux wheels for this target'

type PlatformVerdict = { ok: true } | { ok: false; rank: number; reason: string; fix: string }

/** `manylinux_2_28_x86_64` → { glibcMinor: 28, machine: 'x86_64' }; legacy names mapped. */
export function manylinuxGlibc(tag: string): { glibcMinor: number; machine: string } | undefined {
  const modern = /^manylinux_(\d+)_(\d+)_(.+)$/.exec(tag)
  if (modern) {
    if (modern[1] !== '2') return undefined
    return { glibcMinor: Number(modern[2]), machine: modern[3] as string }
  }
  const legacy = /^(manylinux\d+)_(.+)$/.exec(tag)
  const minor = legacy ? LEGACY_MANYLINUX[legacy[1] as string] : undefined
  if (!legacy || minor === undefined) return undefined
  return { glibcMinor: minor, machine: legacy[2] as string }
}

/** The oldest runtime whose glibc is at least `glibcMinor`, for the way out. */
export function runtimeWithGlibc(glibcMinor: number): RuntimeFacts | undefined {
  return RUNTIMES.find((r) => r.glibcMinor >= glibcMinor)
}

function platformVerdict(
  tag: string,
  runtime: RuntimeFacts,
  architecture: Architecture,
  options: LoadOptions
): PlatformVerdict {
  const machine = WHEEL_ARCH[architecture]
  if (tag === 'any') return { ok: true }
  const manylinux = manylinuxGlibc(tag)
  if (manylinux) {
    if (manylinux.machine !== machine) {
      return {
        ok: false,
        rank: 1,
        reason: `built for ${manylinux.machine}, not ${architecture} (${machine})`,
        fix: PIN
      }
    }
    if (manylinux.glibcMinor > runtime.glibcMinor) {
      const newer = runtimeWithGlibc(manylinux.glibcMinor)
      const other = newer
        ? `, or a runtime on ${newer.os} (${newer.name} or later, glibc 2.${newer.glibcMinor})`
        : ''
      return {
        ok: false,
        rank: 3,
        reason:
          `needs glibc 2.${manylinux.glibcMinor}; ${runtime.name} runs on ${runtime.os} ` +
          `with glibc 2.${runtime.glibcMinor} (fails at import with "GLIBC_2.${manylinux.glibcMinor}' not found")`,
        fix: `pin a version with manylinux_2_${runtime.glibcMinor} or older wheels${other}`
      }
    }
    return { ok: true }
  }
  const linux = /^linux_(.+)$/.exec(tag)
  if (linux) {
    if (linux[1] !== machine) {
      return { ok: false, rank: 1, reason: `built for ${linux[1]}, not ${architecture}`, fix: PIN }
    }
    if (options.allowLinuxWheels) return { ok: true }
    return {
      ok: false,
      rank: 2,
      reason: 'is a linux_* wheel: an unknown build with no promise about glibc',
      fix: `${PIN}, or set allow-linux-wheels: true if you built it for Amazon Linux yourself`
    }
  }
  if (tag.startsWith('musllinux_')) {
    return { ok: false, rank: 0, reason: 'is built for musl libc (Alpine), not glibc', fix: PIN }
  }
  if (tag.startsWith('macosx_')) {
    return { ok: false, rank: 0, reason: 'is built for macOS', fix: PIN }
  }
  if (tag.startsWith('win')) {
    return { ok: false, rank: 0, reason: 'is built for Windows', fix: PIN }
  }
  return {
    ok: false,
    rank: 0,
    reason: `has platform tag ${tag}, which Lambda cannot load`,
    fix: PIN
  }
}

/** Interpreter/ABI pairs CPython 3.<minor> loads (packaging's `sys_tags` for that target). */
function interpreterLoads(python: string, abi: string, runtime: RuntimeFacts): boolean {
  const exact = `cp${runtime.abiDigits}`
  const minor = Number(runtime.pythonVersion.split('.')[1])
  const cpython = /^cp3(\d+)$/.exec(python)
  if (abi === exact) return python === exact
  if (abi === 'abi3') return cpython !== null && Number(cpython[1]) <= minor
  if (abi === 'none') {
    if (python === exact || python === 'py3') return true
    const py = /^py3(\d+)$/.exec(python)
    return py !== null && Number(py[1]) <= minor
  }
  return false
}

/** Does this wheel load on `runtime` for `architecture`? With the reason when it does not. */
export function wheelLoads(
  wheel: WheelName,
  runtime: RuntimeFacts,
  architecture: Architecture,
  options: LoadOptions
): WheelVerdict {
  const interpreterOk = wheel.pythonTags.some((python) =>
    wheel.abiTags.some((abi) => interpreterLoads(python, abi, runtime))
  )
  if (!interpreterOk) {
    const tags = `${wheel.pythonTags.join('.')}-${wheel.abiTags.join('.')}`
    return {
      loads: false,
      reason: `is built for ${tags}, which CPython ${runtime.pythonVersion} (${runtime.name}) cannot load`,
      fix: `pin a version with cp${runtime.abiDigits}, abi3 or pure-Python wheels`
    }
  }
  const verdicts = wheel.platformTags.map((tag) =>
    platformVerdict(tag, runtime, architecture, options)
  )
  if (verdicts.some((v) => v.ok)) return { loads: true, tag: wheelTag(wheel) }
  // The most telling refusal: a near miss (too-new glibc) says more than a foreign platform.
  const best = verdicts
    .filter((v): v is Extract<PlatformVerdict, { ok: false }> => !v.ok)
    .sort((a, b) => b.rank - a.rank)[0]
  return {
    loads: false,
    reason: best?.reason ?? 'has no platform tag',
    fix: best?.fix ?? PIN
  }
}

/** A pure-Python wheel: `py3-none-any`, `py2.py3-none-any` (a source build we accept). */
export function isPurePythonWheel(wheel: WheelName): boolean {
  return (
    wheel.platformTags.every((tag) => tag === 'any') &&
    wheel.abiTags.every((abi) => abi === 'none') &&
    wheel.pythonTags.every((python) => /^py\d*$/.test(python)) &&
    wheel.pythonTags.some((python) => python.startsWith('py3'))
  )
}

export interface WheelProblem {
  file: string
  project: string
  version: string
  tag: string
  reason: string
  fix: string
}

/** Every wheel in `files` that does not load on the target, with reason and way out. */
export function wheelProblems(
  files: readonly string[],
  runtime: RuntimeFacts,
  architecture: Architecture,
  options: LoadOptions
): WheelProblem[] {
  const problems: WheelProblem[] = []
  for (const file of files) {
    const wheel = parseWheelName(file)
    if (!wheel) {
      const base = fileName(file)
      problems.push({
        file: base,
        project: base,
        version: '',
        tag: '',
        reason: 'is not a wheel file name (name-version-python-abi-platform.whl)',
        fix: 'remove it from the requirements'
      })
      continue
    }
    const verdict = wheelLoads(wheel, runtime, architecture, options)
    if (!verdict.loads) {
      problems.push({
        file: wheel.file,
        project: wheel.project,
        version: wheel.version,
        tag: wheelTag(wheel),
        reason: verdict.reason,
        fix: verdict.fix
      })
    }
  }
  return problems
}

/**
 * Throws one UserError listing every wheel that does not load on (runtime, architecture):
 * package, tag, runtime and the way out for each.
 */
export function checkWheels(
  files: readonly string[],
  runtime: RuntimeFacts,
  architecture: Architecture,
  options: LoadOptions
): void {
  const problems = wheelProblems(files, runtime, architecture, options)
  if (problems.length === 0) return
  const lines = problems.map(
    (p) => `  - ${p.project} ${p.version} (${p.tag}) ${p.reason}: ${p.fix}`
  )
  throw new UserError(
    `${problems.length} wheel(s) will not load on ${runtime.name} ${architecture}:\n${lines.join('\n')}`
  )
}
