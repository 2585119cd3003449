// pip and uv arguments for one (runtime, architecture) target. Pure: no I/O.
import {
  MANYLINUX_FIRST_GLIBC_MINOR,
  WHEEL_ARCH,
  type Architecture,
  type RuntimeFacts
} from '../../lambda-facts.js'
import { platformTags } from '../pep/platform-tags.js'

/** `--implementation cp --python-version 3.X --abi cp3X`: the target interpreter for pip. */
function pipInterpreterArgs(runtime: RuntimeFacts): string[] {
  return [
    '--implementation',
    'cp',
    '--python-version',
    runtime.pythonVersion,
    '--abi',
    `cp${runtime.abiDigits}`
  ]
}

export interface PipDownloadRequest {
  runtime: RuntimeFacts
  architecture: Architecture
  /** Where the wheels are saved (`-d`). */
  destination: string
  /** Requirements file (`-r`). */
  requirementsFile: string
  /** Extra `--find-links` locations (wheels built from source distributions). */
  findLinks?: readonly string[]
  /**
   * Only the listed requirements, no dependencies: the uv flow passes a pinned list, and a
   * probe of one requirement asks which of its versions have a wheel that loads.
   */
  noDeps?: boolean
  /** The pins were held to the target's Requires-Python already (uv's list). */
  ignoreRequiresPython?: boolean
  allowLinuxWheels?: boolean
}

/** Arguments after `python -m pip` that download wheels loading on the target. */
export function pipDownloadArgs(request: PipDownloadRequest): string[] {
  const args = ['download', '--only-binary=:all:']
  for (const tag of platformTags(request.runtime, request.architecture, request)) {
    args.push('--platform', tag)
  }
  args.push(...pipInterpreterArgs(request.runtime))
  if (request.noDeps === true) args.push('--no-deps')
  if (request.ignoreRequiresPython === true) args.push('--ignore-requires-python')
  for (const location of request.findLinks ?? []) args.push('--find-links', location)
  args.push('--no-input', '--progress-bar=off')
  args.push('-d', request.destination, '-r', request.requirementsFile)
  return args
}

export interface SdistDownloadRequest {
  runtime: RuntimeFacts
  destination: string
  requirementsFile: string
}

/**
 * Downloads the source distribution of one requirement. `--python-version` makes pip honour
 * the target's `Requires-Python`; platform options need `--no-deps`.
 */
export function pipSdistDownloadArgs(request: SdistDownloadRequest): string[] {
  return [
    'download',
    '--no-deps',
    '--no-binary=:all:',
    ...pipInterpreterArgs(request.runtime),
    '--no-input',
    '--progress-bar=off',
    '-d',
    request.destination,
    '-r',
    request.requirementsFile
  ]
}

/**
 * Builds one source distribution into a wheel on the host. Build isolation stays on: most
 * sdists declare their build backend (setuptools, hatchling, flit) in pyproject.toml and
 * the host need not have it installed.
 */
export function pipWheelArgs(sdistPath: string, destination: string, indexArgs: readonly string[]) {
  return [
    'wheel',
    '--no-deps',
    '--no-input',
    '--progress-bar=off',
    ...indexArgs,
    '-w',
    destination,
    sdistPath
  ]
}

/**
 * The manylinux glibc minors uv 0.13 accepts in `--python-platform` (`<arch>-manylinux_2_N`);
 * 17 is spelled `manylinux2014`. uv maps `<arch>-unknown-linux-gnu` to manylinux_2_28, which
 * is too new for Amazon Linux 2: never use it.
 */
const UV_MANYLINUX_GLIBC_MINORS: readonly number[] = [
  17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40
]

/**
 * uv's `--python-platform` for the target: the newest platform uv knows whose glibc is not
 * newer than the runtime's. Amazon Linux 2 (glibc 2.26) gets `<arch>-manylinux2014`: uv has
 * nothing between 2.17 and 2.28.
 */
export function uvPythonPlatform(runtime: RuntimeFacts, architecture: Architecture): string {
  const arch = WHEEL_ARCH[architecture]
  const fitting = UV_MANYLINUX_GLIBC_MINORS.filter((minor) => minor <= runtime.glibcMinor)
  const minor = fitting.at(-1) ?? MANYLINUX_FIRST_GLIBC_MINOR
  return minor === MANYLINUX_FIRST_GLIBC_MINOR
    ? `${arch}-manylinux2014`
    : `${arch}-manylinux_2_${minor}`
}

export interface UvCompileRequest {
  runtime: RuntimeFacts
  architecture: Architecture
  requirementsFile: string
  /** The pinned list written by uv. */
  outputFile: string
  findLinks?: readonly string[]
  /** From `uvSourcesFromPip()`: `--no-index`. */
  sourceArgs?: readonly string[]
}

/**
 * Arguments after `uv` that pin the requirements for the target. uv evaluates environment
 * markers for `--python-version`/`--python-platform`, not for the host (unlike pip). The
 * pinned list carries the index URLs and find-links uv used, so the pip download that
 * follows fetches from the same places. `--no-config`: uv reads no uv.toml or pyproject.toml
 * settings, so everything that decides the result is in the cache key (UV_* variables and
 * the requirements file).
 */
export function uvCompileArgs(request: UvCompileRequest): string[] {
  const args = [
    'pip',
    'compile',
    '--no-config',
    '--no-python-downloads',
    '--python-version',
    request.runtime.pythonVersion,
    '--python-platform',
    uvPythonPlatform(request.runtime, request.architecture),
    '--only-binary',
    ':all:',
    '--no-header',
    '--no-annotate',
    '--emit-index-url',
    '--emit-find-links'
  ]
  args.push(...(request.sourceArgs ?? []))
  for (const location of request.findLinks ?? []) args.push('--find-links', location)
  args.push('--output-file', request.outputFile, request.requirementsFile)
  return args
}

/**
 * pip arguments for the indexes uv was told about through its environment, so that a source
 * distribution is fetched from the same places uv resolved from.
 */
export function pipIndexArgsFromUvEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const args: string[] = []
  const words = (value: string | undefined) => (value ?? '').split(/[\s,]+/).filter(Boolean)
  const defaultIndex = env.UV_DEFAULT_INDEX ?? env.UV_INDEX_URL
  if (defaultIndex) args.push('--index-url', defaultIndex)
  for (const url of words(env.UV_EXTRA_INDEX_URL)) args.push('--extra-index-url', url)
  // UV_INDEX entries are `name=url` or a bare url.
  for (const entry of (env.UV_INDEX ?? '').split(/\s+/).filter(Boolean)) {
    const url = /^[A-Za-z0-9_-]+=(.+)$/.exec(entry)?.[1] ?? entry
    args.push('--extra-index-url', url)
  }
  for (const location of words(env.UV_FIND_LINKS)) args.push('--find-links', location)
  return args
}

/** uv variables that say where packages come from: when any is set, uv is configured. */
const UV_SOURCE_ENV = [
  'UV_INDEX_URL',
  'UV_DEFAULT_INDEX',
  'UV_INDEX',
  'UV_EXTRA_INDEX_URL',
  'UV_FIND_LINKS',
  'UV_NO_INDEX'
] as const

export interface UvSourceSettings {
  /** Added to uv's environment (credentials stay out of argv). */
  env: Record<string, string>
  args: string[]
}

/**
 * pip's index settings (`pip config list` entries, which include `PIP_*` variables) handed to
 * uv, so a runner set up for pip (a private mirror in PIP_INDEX_URL or pip.conf) resolves from
 * the same places with uv. Only when uv has no source settings of its own: those win. With
 * extra indexes, uv is told to merge them as pip does (pip has no index priority). pip's
 * `cert` becomes uv's SSL_CERT_FILE unless that is set.
 */
export function uvSourcesFromPip(
  env: Readonly<Record<string, string | undefined>>,
  pipConfig: readonly (readonly [string, string])[]
): UvSourceSettings {
  const settings: UvSourceSettings = { env: {}, args: [] }
  // pip reads PIP_* variables over its config files; `pip config list` prints them as `:env:`.
  const ordered = [...pipConfig].sort(
    ([a], [b]) => Number(!a.startsWith(':env:')) - Number(!b.startsWith(':env:'))
  )
  const value = (option: string) =>
    ordered.find(([key]) => key.slice(key.lastIndexOf('.') + 1) === option)?.[1]
  // A CA bundle pip trusts (a TLS-inspecting proxy, a private mirror's CA): uv trusts it too.
  const cert = value('cert')
  if (cert && (env.SSL_CERT_FILE ?? '') === '') settings.env.SSL_CERT_FILE = cert
  if (UV_SOURCE_ENV.some((name) => (env[name] ?? '') !== '')) return settings
  const words = (text: string | undefined) => (text ?? '').split(/\s+/).filter(Boolean)
  const index = value('index-url')
  const extra = words(value('extra-index-url'))
  const findLinks = words(value('find-links'))
  if (index) settings.env.UV_DEFAULT_INDEX = index
  if (extra.length > 0) {
    settings.env.UV_EXTRA_INDEX_URL = extra.join(' ')
    if ((env.UV_INDEX_STRATEGY ?? '') === '') settings.env.UV_INDEX_STRATEGY = 'unsafe-best-match'
  }
  if (findLinks.length > 0) settings.env.UV_FIND_LINKS = findLinks.join(',')
  const noIndex = value('no-index')
  if (noIndex !== undefined && !/^(0|false|no|off)$/i.test(noIndex))
    settings.args.push('--no-index')
  return settings
}

/** Where to fetch from, as requirements-file lines (credentials stay out of argv and logs). */
export function fetchOptionLines(
  fetchArgs: readonly string[],
  installer: 'pip' | 'uv',
  env: Readonly<Record<string, string | undefined>>
): string {
  const args = [...fetchArgs, ...(installer === 'uv' ? pipIndexArgsFromUvEnv(env) : [])]
  const lines: string[] = []
  for (let i = 0; i < args.length; i++) {
    const option = args[i] as string
    const value = args[i + 1]
    if (value !== undefined && !value.startsWith('--')) {
      lines.push(`${option} ${value}`)
      i++
    } else {
      lines.push(option)
    }
  }
  return lines.map((line) => `${line}\n`).join('')
}
