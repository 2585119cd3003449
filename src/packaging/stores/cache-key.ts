// The wheel store's key: a hash of everything that decides which wheels a resolve yields.
// Pure: the caller gathers the settings; this module only selects, orders and hashes them.
import { createHash } from 'node:crypto'
import { CACHE_FORMAT_VERSION } from '../../constants.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import { maskCredentials } from '../requirements/requirements-file.js'
import { parsePipConfigList } from '../tools/run-tool.js'

const CACHE_KEY_PREFIX = 'lambda-python-deploy'

export interface CacheKeyInput {
  /** `normalizedRequirements()`: includes inlined, hashes kept. */
  requirements: string
  runtime: RuntimeFacts
  architecture: Architecture
  /** The whole pip `--platform` ladder. */
  platformTags: readonly string[]
  /** uv's `--python-platform`, when uv resolves. */
  uvPlatform?: string
  installer: { name: 'pip' | 'uv'; version: string }
  /** pip downloads the wheels on both paths. */
  pipVersion: string
  /** From `resolutionSettings()`. */
  settings: readonly string[]
  /** `<dir>/<file> <size>` for each file in a local find-links directory. */
  localFindLinks: readonly string[]
  /**
   * pip evaluates markers with the host's values (pypa/pip#11664), so on the pip path the
   * host's Python and machine decide the result too: `3.11 x86_64 Linux cpython`.
   */
  hostMarkers?: string
  allowLinuxWheels: boolean
}

/** Environment variables that change what pip resolves or where it looks. */
const PIP_RESOLUTION_ENV = [
  'PIP_INDEX_URL',
  'PIP_EXTRA_INDEX_URL',
  'PIP_FIND_LINKS',
  'PIP_NO_INDEX',
  'PIP_PRE',
  'PIP_ONLY_BINARY',
  'PIP_NO_BINARY',
  'PIP_PREFER_BINARY',
  'PIP_CONSTRAINT',
  'PIP_CONFIG_FILE'
] as const

/** The same for uv (uv reads no pip settings, and runs with `--no-config`). */
const UV_RESOLUTION_ENV = [
  'UV_INDEX_URL',
  'UV_EXTRA_INDEX_URL',
  'UV_DEFAULT_INDEX',
  'UV_INDEX',
  'UV_FIND_LINKS',
  'UV_NO_INDEX',
  'UV_PRERELEASE',
  'UV_INDEX_STRATEGY',
  'UV_RESOLUTION',
  'UV_EXCLUDE_NEWER',
  'UV_CONSTRAINT',
  'UV_OVERRIDE',
  'UV_TORCH_BACKEND'
] as const

/** pip configuration keys (`pip config list`) that change what a download yields. */
const PIP_RESOLUTION_CONFIG = new Set([
  'index-url',
  'extra-index-url',
  'find-links',
  'no-index',
  'pre',
  'only-binary',
  'no-binary',
  'prefer-binary',
  'constraint',
  'platform',
  'python-version',
  'implementation',
  'abi',
  'ignore-requires-python',
  'use-feature',
  'use-deprecated',
  'require-hashes',
  'no-build-isolation',
  'config-settings'
])

/**
 * Settings outside the requirements file that change the resolution: the listed variables
 * from `env` and the matching entries of `pip config list`, credentials masked, sorted.
 */
export function resolutionSettings(
  installer: 'pip' | 'uv',
  env: Readonly<Record<string, string | undefined>>,
  pipConfigList: string
): string[] {
  const settings: string[] = []
  const names =
    installer === 'uv' ? [...PIP_RESOLUTION_ENV, ...UV_RESOLUTION_ENV] : PIP_RESOLUTION_ENV
  for (const name of names) {
    const value = env[name]
    if (value !== undefined && value !== '') settings.push(`env ${name}=${maskCredentials(value)}`)
  }
  for (const [key, value] of parsePipConfigList(pipConfigList)) {
    const option = key.slice(key.lastIndexOf('.') + 1)
    if (PIP_RESOLUTION_CONFIG.has(option)) {
      settings.push(`pip-config ${key}=${maskCredentials(value)}`)
    }
  }
  return settings.sort()
}

/** The text that is hashed, one `segment: value` a line (for debug output). */
export function cacheKeyMaterial(input: CacheKeyInput): string {
  if (input.requirements.trim() === '') {
    throw new Error('cache key: the requirements text is empty; there is nothing to key on')
  }
  const lines = [
    `format: ${CACHE_FORMAT_VERSION}`,
    `runtime: ${input.runtime.name} ${input.runtime.pythonVersion} cp${input.runtime.abiDigits} glibc 2.${input.runtime.glibcMinor}`,
    `architecture: ${input.architecture}`,
    `platforms: ${input.platformTags.join(' ')}`,
    `uv-platform: ${input.uvPlatform ?? ''}`,
    `installer: ${input.installer.name} ${input.installer.version}`,
    `pip: ${input.pipVersion}`,
    `host-markers: ${input.hostMarkers ?? ''}`,
    `allow-linux-wheels: ${input.allowLinuxWheels}`,
    ...input.settings.map((s) => `setting: ${s}`),
    ...[...input.localFindLinks].sort().map((f) => `find-links-file: ${f}`),
    'requirements:',
    input.requirements
  ]
  return lines.join('\n')
}

/**
 * `lambda-python-deploy-<format>-<runtime>-<arch>-<installer>-<sha256>`. Readable segments
 * first so a listing of caches says what each holds; the hash covers all of them again.
 */
export function cacheKey(input: CacheKeyInput): string {
  const hash = createHash('sha256').update(cacheKeyMaterial(input)).digest('hex')
  return [
    CACHE_KEY_PREFIX,
    CACHE_FORMAT_VERSION,
    input.runtime.name,
    input.architecture,
    input.installer.name,
    hash
  ].join('-')
}
