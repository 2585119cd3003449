// Every input parsed and checked once, before any work: a bad value fails naming the input and
// what is accepted (STYLE.md: one typed getInputs()).
import * as core from '@actions/core'
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { INPUT } from './constants.js'
import { DEFAULT_WAIT_TIMEOUT_MS } from './deploy/context.js'
import { functionNameOf } from './deploy/function-config.js'
import { InputError } from './errors.js'
import {
  ARCHITECTURES,
  LIMITS,
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
  /** Which modules get a .pyc (docs/bytecode.md). */
  bytecode: BytecodeMode
  packageType: PackageType
  layerName?: string
  exclude: string[]
  slim: boolean
  installer: Installer
  allowLinuxWheels: boolean
  cache: boolean
  outputDir: string
  /** Deploy these already-built packages instead of building. */
  packageDir?: string
  maxSize?: number
  maxUnzippedSize: number
  s3Bucket?: string
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

function parseWaitTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WAIT_TIMEOUT_MS
  const match = /^(\d+)\s*(s|m|min|h)?$/.exec(value)
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? 1000) : NaN
  if (!(ms >= 1000 && ms <= MAX_WAIT_MS)) {
    throw new InputError(
      INPUT.waitTimeout,
      `'${value}' is not accepted; give a duration from 1s to 6h: seconds (\`600\`, \`90s\`), ` +
        'minutes (`10m`) or hours (`1h`).'
    )
  }
  return ms
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
    importCheck: parseBoolean(INPUT.importCheck, read(INPUT.importCheck), true),
    bytecode: parseBytecode(read(INPUT.bytecode)),
    packageType,
    layerName,
    exclude: splitList(read(INPUT.exclude)),
    slim: parseBoolean(INPUT.slim, read(INPUT.slim), false),
    installer: oneOf(
      INPUT.installer,
      read(INPUT.installer),
      ['auto', 'pip', 'uv'] as const,
      'auto'
    ),
    allowLinuxWheels: parseBoolean(INPUT.allowLinuxWheels, read(INPUT.allowLinuxWheels), false),
    cache: parseBoolean(INPUT.cache, read(INPUT.cache), true),
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
    s3Prefix: read(INPUT.s3Prefix) ?? 'lambda-python-deploy/',
    publish,
    keepVersions,
    keepLayerVersions,
    waitTimeoutMs,
    alias,
    smokePayload: smokePayloadText,
    smokeExpect,
    comment: parseBoolean(INPUT.comment, read(INPUT.comment), true),
    githubToken: read(INPUT.githubToken)
  }
}
