// Every input parsed and checked once, before any work: a bad value fails naming the input and
// what is accepted (STYLE.md: one typed getInputs()).
import * as core from '@actions/core'
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { INPUT } from './constants.js'
import { DEFAULT_WAIT_TIMEOUT_MS } from './deploy/context.js'
import { functionNameOf } from './deploy/function-config.js'
import type { HealthLimits } from './deploy/traffic/health.js'
import { describeDuration, planShift, shiftDurationMs } from './deploy/traffic/plan.js'
import type { TrafficSpec } from './deploy/traffic/plan.js'
import { InputError } from './errors.js'
import {
  ARCHITECTURES,
  LIMITS,
  RESERVED_ENVIRONMENT_VARIABLES,
  RUNTIMES,
  runtimeFacts,
  type Architecture,
  type RuntimeFacts
} from './lambda-facts.js'
import { parseSize } from './report/sizes.js'
import { BYTECODE_MODES, type BytecodeMode } from './types.js'

export type Mode = 'build' | 'deploy'
export type PackageType = 'zip' | 'layer'
export type Installer = 'pip' | 'uv' | 'auto'

export interface Inputs {
  mode: Mode
  functionNames: string[]
  source: string
  /** The `requirements` input, absolute; undefined: the build finds the file from `source`. */
  requirements?: string
  /** Optional-dependency groups of the project to include. */
  extras: string[]
  /** Dependency groups of the project to include. */
  groups: string[]
  runtime?: RuntimeFacts
  architectures?: Architecture[]
  handler?: string
  importCheck: boolean
  /**
   * `import-env`: variables the handler's import sees in build mode (NAME=value lines). Their
   * values may be secrets: masked once read, never logged nor reported.
   */
  importEnv: Record<string, string>
  /** An interpreter of the runtime's minor the user names: an absolute path, or a command on PATH. */
  python?: string
  /** Which modules get a .pyc (docs/bytecode.md). */
  bytecode: BytecodeMode
  packageType: PackageType
  layerName?: string
  exclude: string[]
  slim: boolean
  installer: Installer
  allowLinuxWheels: boolean
  cache: boolean
  /** What mode: deploy takes from the Actions cache (see stores/actions-cache.ts). */
  cacheInDeploy: 'hashed' | 'any' | 'none'
  outputDir: string
  /** Deploy these already-built packages instead of building. */
  packageDir?: string
  maxSize?: number
  maxUnzippedSize: number
  s3Bucket?: string
  /** The account that must own s3-bucket; unset: each function's own account. */
  s3BucketOwner?: string
  s3Prefix: string
  publish: boolean
  /** Keep the N newest published versions of each function (and those in use); unset: all. */
  keepVersions?: number
  /** The same for the dependency layer's versions. */
  keepLayerVersions?: number
  /** Bound of every wait on Lambda (updates, SnapStart versions), milliseconds. */
  waitTimeoutMs: number
  alias?: string
  smokePayload?: string
  smokeExpect?: unknown
  /** How the alias's traffic moves to the new version. */
  traffic: TrafficSpec
  /** What a traffic shift watches; only read with a canary or linear traffic. */
  health: HealthLimits
  comment: boolean
  githubToken?: string
}

/** Reads an input as GitHub passes it (`INPUT_<NAME>`), trimmed; empty is undefined. */
export type InputReader = (name: string) => string | undefined

export const actionInputReader: InputReader = (name) => core.getInput(name).trim() || undefined

export function splitList(value: string | undefined): string[] {
  if (!value) return []
  return [
    ...new Set(
      value
        .split(/[,\n]/)
        .map((item) => item.trim())
        .filter(Boolean)
    )
  ]
}

/**
 * `exclude` globs: one a line, or comma separated, but a comma inside `{...}` or `[...]` belongs
 * to the glob (`*.{md,txt}`), and `\\,` is a literal comma.
 */
export function splitGlobs(value: string | undefined): string[] {
  if (!value) return []
  const globs: string[] = []
  for (const line of value.split(/\r?\n/)) {
    let current = ''
    let braces = 0
    let inClass = false
    for (let i = 0; i < line.length; i++) {
      const char = line[i]!
      if (char === '\\' && i + 1 < line.length) {
        current += char + line[++i]!
        continue
      }
      if (inClass) inClass = char !== ']'
      else if (char === '[') inClass = true
      else if (char === '{') braces++
      else if (char === '}' && braces > 0) braces--
      else if (char === ',' && braces === 0) {
        globs.push(current)
        current = ''
        continue
      }
      current += char
    }
    globs.push(current)
  }
  return [...new Set(globs.map((glob) => glob.trim()).filter(Boolean))]
}

function oneOf<T extends string>(
  input: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T
): T {
  if (value === undefined) return fallback
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new InputError(input, `'${value}' is not accepted; use one of: ${allowed.join(', ')}.`)
}

function parseBoolean(input: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (/^(true|yes|on|1)$/i.test(value)) return true
  if (/^(false|no|off|0)$/i.test(value)) return false
  throw new InputError(input, `'${value}' is not a boolean; use true or false.`)
}

function parseJson(input: string, value: string | undefined): unknown {
  if (value === undefined) return undefined
  try {
    return JSON.parse(value)
  } catch (error) {
    throw new InputError(input, `not valid JSON (${(error as Error).message}).`)
  }
}

function parseRuntime(value: string | undefined): RuntimeFacts | undefined {
  if (value === undefined) return undefined
  const facts = runtimeFacts(value)
  if (!facts) {
    throw new InputError(
      INPUT.runtime,
      `'${value}' is not a Lambda Python runtime this action builds for; use one of: ${RUNTIMES.map((r) => r.name).join(', ')}.`
    )
  }
  return facts
}

function parseArchitectures(value: string | undefined): Architecture[] | undefined {
  const items = splitList(value)
  if (items.length === 0) return undefined
  for (const item of items) {
    if (!(ARCHITECTURES as readonly string[]).includes(item)) {
      const hint =
        item === 'aarch64'
          ? " (Lambda calls it 'arm64')"
          : item === 'amd64'
            ? " (Lambda calls it 'x86_64')"
            : ''
      throw new InputError(
        INPUT.architectures,
        `'${item}' is not a Lambda architecture${hint}; use arm64, x86_64, or both.`
      )
    }
  }
  return items as Architecture[]
}

// A function's own name is at most 64 characters; only the whole ARN may reach 140.
const FUNCTION_NAME =
  /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?[A-Za-z0-9_-]{1,64}$/
const HANDLER = /^([A-Za-z_][\w-]*[./])*[A-Za-z_]\w*\.[A-Za-z_]\w*$/
const ALIAS = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/
const LAYER_NAME = /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:)?[A-Za-z0-9_-]{1,140}$/
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

function matching(
  input: string,
  value: string | undefined,
  pattern: RegExp,
  accepted: string
): string | undefined {
  if (value === undefined) return undefined
  if (!pattern.test(value)) throw new InputError(input, `'${value}' is not valid; ${accepted}.`)
  return value
}

function readableFile(input: string, path: string): string {
  if (!existsSync(path)) throw new InputError(input, `${path} does not exist.`)
  if (!statSync(path).isFile()) throw new InputError(input, `${path} is not a file.`)
  try {
    accessSync(path, fsConstants.R_OK)
  } catch {
    throw new InputError(input, `${path} cannot be read (permissions).`)
  }
  return path
}

/** Created by the build if missing; an existing file there would only fail after AWS reads. */
function outputDir(value: string): string {
  const dir = resolve(value)
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new InputError(INPUT.outputDir, `${dir} exists and is not a directory.`)
  }
  return dir
}

function existingDirectory(input: string, value: string, what = ''): string {
  const dir = resolve(value)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(input, `${dir} is not a directory${what}.`)
  }
  return dir
}

function packageDir(value: string | undefined, mode: Mode): string | undefined {
  if (value === undefined) return undefined
  if (mode === 'build') {
    throw new InputError(
      INPUT.packageDir,
      'is for mode: deploy (it ships an earlier build); remove it to build.'
    )
  }
  return existingDirectory(INPUT.packageDir, value, ' (the output-dir of an earlier mode: build)')
}

/** A 12-digit account ID, for a bucket the action writes to. */
function s3BucketOwner(value: string | undefined, bucket: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!/^\d{12}$/.test(value)) {
    throw new InputError(
      INPUT.s3BucketOwner,
      `'${value}' is not an AWS account ID; give the 12 digits of the account that owns s3-bucket, e.g. 123456789012.`
    )
  }
  if (bucket === undefined) {
    throw new InputError(
      INPUT.s3BucketOwner,
      `names the owner of s3-bucket, and s3-bucket is not set; set s3-bucket, or remove ${INPUT.s3BucketOwner}.`
    )
  }
  return value
}

/**
 * The `python` input: a path (made absolute) to an executable file, or a command found on PATH.
 * Whether it is a CPython of the runtime's minor is asked when a target needs it.
 */
function parsePython(value: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (value === undefined) return undefined
  const example = 'e.g. /opt/python/3.12/bin/python3, or python3.12 on PATH'
  if (value.includes('\n')) {
    throw new InputError(INPUT.python, `names one interpreter, not several (${example}).`)
  }
  const executable = (path: string) => {
    try {
      accessSync(path, fsConstants.X_OK)
      return statSync(path).isFile()
    } catch {
      return false
    }
  }
  if (!value.includes('/')) {
    const found = (env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .some((dir) => executable(join(dir, value)))
    if (!found)
      throw new InputError(INPUT.python, `'${value}' is not on PATH; give its path (${example}).`)
    return value
  }
  const path = resolve(value)
  if (!executable(path)) {
    throw new InputError(
      INPUT.python,
      `${path} ${existsSync(path) ? 'is not an executable file' : 'does not exist'}; name a CPython of the runtime's minor (${example}).`
    )
  }
  return path
}

function parseBytecode(value: string | undefined): BytecodeMode {
  if (value === undefined) return 'imported'
  if ((BYTECODE_MODES as readonly string[]).includes(value)) return value as BytecodeMode
  throw new InputError(
    INPUT.bytecode,
    `'${value}' is not accepted; use imported (the default: what the handler imports at init), ` +
      'all (every module) or none, e.g. `bytecode: all`.'
  )
}

/** A count of versions to keep: a whole number, 1 or more. */
function parseKeep(input: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InputError(
      input,
      `'${value}' is not accepted; give a whole number of versions to keep, 1 or more ` +
        '(leave it empty to keep all).'
    )
  }
  return Number(value)
}

const DURATION_UNITS: Record<string, number> = {
  '': 1000,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000
}
/** GitHub stops a job after 6 hours: a longer wait could never end. */
const MAX_WAIT_MS = 6 * 3_600_000
const DURATION_FORMS = 'seconds (`600`, `90s`), minutes (`10m`) or hours (`1h`)'

/** `600`, `90s`, `10m`, `1h` → milliseconds; undefined for anything else. */
function parseDuration(value: string): number | undefined {
  const match = /^(\d+)\s*(s|m|min|h)?$/.exec(value.trim())
  return match ? Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? 1000) : undefined
}

function inDurationRange(ms: number | undefined): ms is number {
  return ms !== undefined && ms >= 1000 && ms <= MAX_WAIT_MS
}

function parseWaitTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WAIT_TIMEOUT_MS
  const ms = parseDuration(value)
  if (!inDurationRange(ms)) {
    throw new InputError(
      INPUT.waitTimeout,
      `'${value}' is not accepted; give a duration from 1s to 6h: ${DURATION_FORMS}.`
    )
  }
  return ms
}

/** Lambda's rule for a variable's name: a letter, then letters, digits and underscores. */
const VARIABLE_NAME = /^[A-Za-z][A-Za-z0-9_]+$/
const IMPORT_ENV_EXAMPLE = 'e.g. `TABLE_NAME=orders` (one NAME=value a line)'

/**
 * `NAME=value` lines; blank lines and `#` comments skipped. Values are never part of a message:
 * only names and line numbers are.
 */
export function parseImportEnv(value: string | undefined): Record<string, string> {
  const variables: Record<string, string> = {}
  if (value === undefined) return variables
  for (const [index, raw] of value.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const at = `line ${index + 1}`
    const equals = line.indexOf('=')
    if (equals <= 0) {
      throw new InputError(INPUT.importEnv, `${at} is not NAME=value; ${IMPORT_ENV_EXAMPLE}.`)
    }
    const name = line.slice(0, equals).trim()
    if (!VARIABLE_NAME.test(name)) {
      throw new InputError(
        INPUT.importEnv,
        `${at}: '${name}' is not a variable name Lambda accepts (a letter, then letters, digits or _); ${IMPORT_ENV_EXAMPLE}.`
      )
    }
    if (RESERVED_ENVIRONMENT_VARIABLES.includes(name)) {
      throw new InputError(
        INPUT.importEnv,
        `${at}: ${name} is reserved: Lambda sets it itself (the import check does too) and refuses it in a function's configuration; remove that line.`
      )
    }
    if (name in variables) {
      throw new InputError(INPUT.importEnv, `${at}: ${name} is given twice; keep one line.`)
    }
    variables[name] = line.slice(equals + 1).trim()
  }
  return variables
}

const TRAFFIC_FORMS =
  'give all-at-once, canary <percent>% <duration> or linear <percent>% <duration>, e.g. ' +
  '`canary 10% 5m` or `linear 20% 2m`'

/** `all-at-once`, `canary 10% 5m`, `linear 20% 90s`; durations as wait-timeout's. */
function parseTraffic(value: string | undefined): TrafficSpec {
  if (value === undefined || /^all-at-once$/i.test(value)) return { kind: 'all-at-once' }
  const match = /^(canary|linear)\s+(\d+(?:\.\d+)?)\s*%\s+(.+)$/i.exec(value)
  if (!match) throw new InputError(INPUT.traffic, `'${value}' is not accepted; ${TRAFFIC_FORMS}.`)
  const kind = match[1]!.toLowerCase() as 'canary' | 'linear'
  const percent = Number(match[2])
  if (!(percent >= 1 && percent <= 99)) {
    throw new InputError(
      INPUT.traffic,
      `'${value}': the share must be from 1% to 99% (100% is all-at-once); e.g. \`${kind} 10% 5m\`.`
    )
  }
  const stepMs = parseDuration(match[3]!)
  if (!inDurationRange(stepMs)) {
    throw new InputError(
      INPUT.traffic,
      `'${value}': '${match[3]}' is not a duration from 1s to 6h; give ${DURATION_FORMS}, ` +
        `e.g. \`${kind} ${percent}% 5m\`.`
    )
  }
  const spec: TrafficSpec = { kind, percent, stepMs }
  const total = shiftDurationMs(planShift(spec))
  if (total > MAX_WAIT_MS) {
    throw new InputError(
      INPUT.traffic,
      `'${value}' would shift for ${describeDuration(total)}, and GitHub stops a job after 6h; ` +
        'give a bigger share or a shorter duration.'
    )
  }
  return spec
}

/** A count the new version's metric may reach during a shift: a whole number, 0 or more. */
function parseCount(input: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InputError(input, `'${value}' is not accepted; give a whole number, 0 or more.`)
  }
  return Number(value)
}

/**
 * traffic, alarms, max-errors and max-throttles. The health inputs only mean something during a
 * shift: with all-at-once they would be ignored, which surprises, so they fail.
 */
function parseTrafficInputs(
  read: InputReader,
  mode: Mode,
  alias: string | undefined
): { traffic: TrafficSpec; health: HealthLimits } {
  const traffic = parseTraffic(read(INPUT.traffic))
  const alarms = splitList(read(INPUT.alarms))
  for (const name of alarms) {
    // Control characters are already split or trimmed off, save tabs.
    if (name.length > 255 || name.includes('\t')) {
      throw new InputError(
        INPUT.alarms,
        `'${name}' is not a CloudWatch alarm name (1-255 characters, no tabs).`
      )
    }
  }
  const maxErrors = parseCount(INPUT.maxErrors, read(INPUT.maxErrors))
  const maxThrottles = parseCount(INPUT.maxThrottles, read(INPUT.maxThrottles))
  const health: HealthLimits = {
    alarms,
    maxErrors: maxErrors ?? 0,
    ...(maxThrottles !== undefined ? { maxThrottles } : {})
  }
  const given = [
    ...(traffic.kind !== 'all-at-once' ? [INPUT.traffic] : []),
    ...(alarms.length > 0 ? [INPUT.alarms] : []),
    ...(maxErrors !== undefined ? [INPUT.maxErrors] : []),
    ...(maxThrottles !== undefined ? [INPUT.maxThrottles] : [])
  ]
  if (mode === 'build') {
    if (given.length > 0) {
      core.warning(`${given.join(', ')}: used by mode: deploy only; ignored in mode: build.`)
    }
    return { traffic: { kind: 'all-at-once' }, health: { alarms: [], maxErrors: 0 } }
  }
  if (traffic.kind === 'all-at-once') {
    if (given.length > 0) {
      throw new InputError(
        given[0]!,
        'is watched during a traffic shift, and traffic is all-at-once; set traffic to canary or ' +
          `linear (e.g. \`canary 10% 5m\`), or remove ${given.join(', ')}.`
      )
    }
  } else if (alias === undefined) {
    throw new InputError(
      INPUT.traffic,
      `shifts an alias's traffic to the new version; set alias (e.g. \`alias: live\`), or use ` +
        'traffic: all-at-once.'
    )
  }
  return { traffic, health }
}

function cacheInDeploy(mode: Mode, value: string | undefined): Inputs['cacheInDeploy'] {
  const policy = oneOf(INPUT.cacheInDeploy, value, ['hashed', 'any', 'none'] as const, 'hashed')
  if (mode === 'build' && policy !== 'hashed') {
    core.warning(
      `${INPUT.cacheInDeploy}: ${policy} applies to mode: deploy only; mode: build uses every entry it restores (each still checked against pinned hashes).`
    )
  }
  return policy
}

/**
 * Parses and checks every input. `env` gives RUNNER_TEMP and GITHUB_WORKSPACE; relative paths
 * are taken from the working directory, as GitHub runs the step in the workspace.
 */
export function getInputs(read: InputReader = actionInputReader, env = process.env): Inputs {
  const mode = oneOf(INPUT.mode, read(INPUT.mode), ['build', 'deploy'] as const, 'deploy')

  const functionNames = splitList(read(INPUT.functionName))
  for (const name of functionNames) {
    matching(
      INPUT.functionName,
      name,
      FUNCTION_NAME,
      'give a function name or an unqualified function ARN'
    )
  }
  if (mode === 'deploy' && functionNames.length === 0) {
    throw new InputError(
      INPUT.functionName,
      'required with mode: deploy (use mode: build to build and report only).'
    )
  }

  const runtime = parseRuntime(read(INPUT.runtime))
  const architectures = parseArchitectures(read(INPUT.architectures))
  if (mode === 'build' && !runtime) {
    throw new InputError(
      INPUT.runtime,
      `required with mode: build (there is no function to read it from); use one of: ${RUNTIMES.map((r) => r.name).join(', ')}.`
    )
  }
  if (mode === 'build' && !architectures) {
    throw new InputError(
      INPUT.architectures,
      'required with mode: build; use arm64, x86_64, or both.'
    )
  }

  const source = existingDirectory(INPUT.source, read(INPUT.source) ?? '.')
  const requirementsInput = read(INPUT.requirements)
  // Unset: the project phase finds the file (uv.lock, requirements.txt, pyproject.toml).
  const requirements =
    requirementsInput === undefined
      ? undefined
      : readableFile(INPUT.requirements, resolve(requirementsInput))

  const packageType = oneOf(
    INPUT.packageType,
    read(INPUT.packageType),
    ['zip', 'layer'] as const,
    'zip'
  )
  const layerName =
    matching(
      INPUT.layerName,
      read(INPUT.layerName),
      LAYER_NAME,
      'use letters, digits, - and _ (up to 140), or a layer ARN'
    ) ??
    // Set whenever there is a function: a package-dir build may be a layer build.
    (functionNames[0] !== undefined ? `${functionNameOf(functionNames[0])}-deps` : undefined)

  const maxSizeText = read(INPUT.maxSize)
  const maxUnzippedText = read(INPUT.maxUnzippedSize)
  const maxUnzippedSize =
    maxUnzippedText === undefined
      ? LIMITS.unzippedBytes
      : parseSize(INPUT.maxUnzippedSize, maxUnzippedText)
  if (maxUnzippedSize > LIMITS.unzippedBytes) {
    throw new InputError(
      INPUT.maxUnzippedSize,
      `${maxUnzippedSize} bytes is above Lambda's own limit of ${LIMITS.unzippedBytes} bytes, which no package can pass.`
    )
  }

  const smokePayloadText = read(INPUT.smokePayload)
  parseJson(INPUT.smokePayload, smokePayloadText)
  const smokeExpect = parseJson(INPUT.smokeExpect, read(INPUT.smokeExpect))
  if (smokeExpect !== undefined && smokePayloadText === undefined) {
    throw new InputError(
      INPUT.smokeExpect,
      'needs smoke-payload: without a smoke invocation there is no response to check.'
    )
  }

  const publish = parseBoolean(INPUT.publish, read(INPUT.publish), true)
  const alias = matching(
    INPUT.alias,
    read(INPUT.alias),
    ALIAS,
    'use letters, digits, - and _ (up to 128), not only digits'
  )
  if (alias !== undefined && !publish) {
    throw new InputError(INPUT.alias, 'points to a published version; set publish: true.')
  }
  const keepVersions = parseKeep(INPUT.keepVersions, read(INPUT.keepVersions))
  if (keepVersions !== undefined && !publish) {
    throw new InputError(
      INPUT.keepVersions,
      'prunes published versions, and publish: false publishes none; set publish: true, or ' +
        'remove keep-versions.'
    )
  }
  const keepLayerVersions = parseKeep(INPUT.keepLayerVersions, read(INPUT.keepLayerVersions))
  const packageDirInput = read(INPUT.packageDir)
  // With package-dir the earlier build says whether there is a layer; without it, zip has none.
  if (keepLayerVersions !== undefined && packageType === 'zip' && packageDirInput === undefined) {
    throw new InputError(
      INPUT.keepLayerVersions,
      'prunes the dependency layer of package-type: layer, and package-type is zip; set ' +
        'package-type: layer, or remove keep-layer-versions.'
    )
  }
  const waitTimeoutMs = parseWaitTimeout(read(INPUT.waitTimeout))
  const importCheck = parseBoolean(INPUT.importCheck, read(INPUT.importCheck), true)
  const importEnv = parseImportEnv(read(INPUT.importEnv))
  if (Object.keys(importEnv).length > 0 && mode === 'deploy') {
    core.warning(
      `${INPUT.importEnv}: ignored in mode: deploy; the import check uses each function's own environment variables (its configuration).`
    )
  } else if (Object.keys(importEnv).length > 0 && !importCheck) {
    core.warning(`${INPUT.importEnv}: ignored, as import-check is false.`)
  }
  const { traffic, health } = parseTrafficInputs(read, mode, alias)

  return {
    mode,
    functionNames,
    source,
    requirements,
    extras: splitList(read(INPUT.extras)),
    groups: splitList(read(INPUT.groups)),
    runtime,
    architectures,
    handler: matching(
      INPUT.handler,
      read(INPUT.handler),
      HANDLER,
      'use module.function, e.g. app.handler or pkg/app.handler'
    ),
    importCheck,
    importEnv,
    python: parsePython(read(INPUT.python), env),
    bytecode: parseBytecode(read(INPUT.bytecode)),
    packageType,
    layerName,
    exclude: splitGlobs(read(INPUT.exclude)),
    slim: parseBoolean(INPUT.slim, read(INPUT.slim), false),
    installer: oneOf(
      INPUT.installer,
      read(INPUT.installer),
      ['auto', 'pip', 'uv'] as const,
      'auto'
    ),
    allowLinuxWheels: parseBoolean(INPUT.allowLinuxWheels, read(INPUT.allowLinuxWheels), false),
    cache: parseBoolean(INPUT.cache, read(INPUT.cache), true),
    cacheInDeploy: cacheInDeploy(mode, read(INPUT.cacheInDeploy)),
    outputDir: outputDir(
      read(INPUT.outputDir) ?? join(env.RUNNER_TEMP || tmpdir(), 'lambda-python-deploy')
    ),
    packageDir: packageDir(packageDirInput, mode),
    maxSize: maxSizeText === undefined ? undefined : parseSize(INPUT.maxSize, maxSizeText),
    maxUnzippedSize,
    s3Bucket: matching(
      INPUT.s3Bucket,
      read(INPUT.s3Bucket),
      BUCKET,
      'give an existing S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)'
    ),
    s3BucketOwner: s3BucketOwner(read(INPUT.s3BucketOwner), read(INPUT.s3Bucket)),
    s3Prefix: read(INPUT.s3Prefix) ?? 'lambda-python-deploy/',
    publish,
    keepVersions,
    keepLayerVersions,
    waitTimeoutMs,
    alias,
    smokePayload: smokePayloadText,
    smokeExpect,
    traffic,
    health,
    comment: parseBoolean(INPUT.comment, read(INPUT.comment), true),
    githubToken: read(INPUT.githubToken)
  }
}
