// What to do when a dependency has no wheel for the target: find which one from the
// installer's message, and judge its source distribution. Pure: no I/O.
import { normalizeProjectName } from '../pep/wheel-tags.js'

export interface MissingWheel {
  /** The requirement as the installer printed it: `docopt==0.6.2`, `numpy>=2.3`, `docopt`. */
  requirement: string
  /** PEP 503 name. */
  project: string
  /**
   * Versions that do have a wheel loading on the target (pip's "from versions: ..."), newest
   * last; empty when none does; `undefined` when the installer did not say.
   */
  versionsWithWheels?: string[]
  /** The index does not know the project at all: nothing to build. */
  notFound: boolean
}

/**
 * pip: `Could not find a version that satisfies the requirement docopt==0.6.2 (from foo)
 * (from versions: none)`.
 */
export function missingWheelFromPip(output: string): MissingWheel | undefined {
  const match =
    /Could not find a version that satisfies the requirement (.+?) \(from versions: ([^)]*)\)/.exec(
      output
    )
  if (!match) return undefined
  const requirement = (match[1] as string)
    .replace(/ \(from [^)]*\)$/, '')
    .split(';')[0]
    ?.trim() as string
  const listed = (match[2] as string).trim()
  const versionsWithWheels =
    listed === 'none' || listed === '' ? [] : listed.split(',').map((v) => v.trim())
  const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(requirement)?.[0] ?? requirement
  return {
    requirement,
    project: normalizeProjectName(name),
    versionsWithWheels,
    notFound: false
  }
}

/**
 * uv: `Because docopt==0.6.2 has no usable wheels ...` with the hint
 * ``Wheels are required for `docopt` ...``; `... was not found in the package registry`.
 */
export function missingWheelFromUv(output: string): MissingWheel | undefined {
  const notFound = /Because (\S+?) was not found in the package registry/.exec(output)
  if (notFound) {
    const name = notFound[1] as string
    return { requirement: name, project: normalizeProjectName(name), notFound: true }
  }
  const hinted = /Wheels are required for `([^`]+)`/.exec(output)?.[1]
  const ranged =
    /Because (?:only )?([A-Za-z0-9][A-Za-z0-9._-]*)([<>=!~][^\s]*)? (?:has|have) no (?:usable )?wheels/.exec(
      output
    )
  const all = /all versions of ([A-Za-z0-9][A-Za-z0-9._-]*) have no (?:usable )?wheels/.exec(output)
  const name = hinted ?? ranged?.[1] ?? all?.[1]
  if (name === undefined) return undefined
  const project = normalizeProjectName(name)
  // With several indexes uv lists the versions instead (`Because all of: numpy>=2.3.0,<=2.3.4
  // ...`); `you require numpy>=2.3` still names what the user asked for.
  const required = [
    ...output.matchAll(/you require ([A-Za-z0-9][A-Za-z0-9._-]*)([<>=!~][^\s,]*)/g)
  ].find((m) => normalizeProjectName(m[1] as string) === project)
  const requirement =
    ranged && normalizeProjectName(ranged[1] as string) === project && ranged[2]
      ? `${ranged[1]}${ranged[2]}`
      : required
        ? `${required[1]}${required[2]}`
        : name
  return { requirement, project, notFound: false }
}

/**
 * Files in a source distribution that mean compiled code: building it here would give a
 * wheel for this machine, not for Lambda.
 */
export function nativeSources(memberNames: readonly string[]): string[] {
  const native =
    /\.(c|cc|cpp|cxx|pyx|f|f90|f95|rs|go|cu)$|(^|\/)(Cargo\.toml|CMakeLists\.txt|meson\.build|binding\.gyp)$/i
  return memberNames.filter((name) => native.test(name))
}

/** The newest version pip listed, for "pin X==<version>". */
export function newestListed(versions: readonly string[] | undefined): string | undefined {
  return versions?.at(-1)
}

/** What the resolve loop does after a failed pin or fetch. */
export type AfterFailure =
  /** Not a missing wheel: the failure stands as it is. */
  | { step: 'fail' }
  /** The index does not know the project. */
  | { step: 'not-found'; missing: MissingWheel }
  /** Its source distribution was built once already (or too many were): it did not help. */
  | { step: 'give-up'; missing: MissingWheel }
  /** The installer did not say which versions have a wheel: ask pip, then build. */
  | { step: 'probe'; missing: MissingWheel }
  /** Pin a version that has a wheel, or build the source distribution. */
  | { step: 'build'; missing: MissingWheel }

/**
 * The decision after a failure, from what the installer said (`missing`), the projects whose
 * source distributions were already built, and the most builds one resolve may do.
 */
export function afterFailure(
  missing: MissingWheel | undefined,
  built: ReadonlySet<string>,
  maxBuilds: number
): AfterFailure {
  if (missing === undefined) return { step: 'fail' }
  if (missing.notFound) return { step: 'not-found', missing }
  if (built.has(missing.project) || built.size >= maxBuilds) return { step: 'give-up', missing }
  if (missing.versionsWithWheels === undefined) return { step: 'probe', missing }
  return { step: 'build', missing }
}

/** A file pip refused in hash-checking mode: what it fetched and the sha256 it got. */
export interface HashMismatch {
  /** The wheel's (or archive's) file name. */
  file: string
  /** PEP 503 name. */
  project: string
  /** `Got` in pip's report, hex. */
  sha256: string
}

/**
 * pip's `THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE` report: one entry
 * per `<requirement> from <url> ...:` block with its `Got <hex>` line.
 */
export function hashMismatchesFromPip(output: string): HashMismatch[] {
  if (!/DO NOT MATCH THE HASHES/.test(output)) return []
  const found: HashMismatch[] = []
  const block =
    /^\s+([A-Za-z0-9][A-Za-z0-9._-]*)\S* from (\S+)[^\n]*:\n(?:\s+Expected[^\n]*\n)+\s+Got\s+([0-9a-f]{64})/gm
  for (const match of output.matchAll(block)) {
    const url = (match[2] as string).split(/[?#]/)[0] as string
    found.push({
      file: decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)),
      project: normalizeProjectName(match[1] as string),
      sha256: match[3] as string
    })
  }
  return found
}
