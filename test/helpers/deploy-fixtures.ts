// Small fixtures for deploy tests: a BuildResult around given zips, and a log that records.
import type { DeployLog } from '../../src/deploy/context.js'
import type { Architecture } from '../../src/lambda-facts.js'
import type { BuildResult, PackageFile } from '../../src/types.js'

export interface RecordingLog extends DeployLog {
  lines: string[]
  warnings: string[]
  groups: { title: string; body: string }[]
}

export function recordingLog(): RecordingLog {
  const lines: string[] = []
  const warnings: string[] = []
  const groups: { title: string; body: string }[] = []
  return {
    lines,
    warnings,
    groups,
    info: (message) => void lines.push(message),
    warning: (message) => void warnings.push(message),
    group: (title, body) => void groups.push({ title, body })
  }
}

/** What buildPackages would return for these zips (one architecture unless several given). */
export function buildOf(
  packages: { architecture?: Architecture; function: PackageFile; layer?: PackageFile }[],
  runtime = 'python3.12'
): BuildResult {
  return {
    runtime,
    packageType: packages.some((p) => p.layer) ? 'layer' : 'zip',
    cacheHit: true,
    reportPath: '/dev/null',
    architectures: packages.map((p) => ({
      architecture: p.architecture ?? 'arm64',
      runtime,
      packages: { function: p.function, ...(p.layer ? { layer: p.layer } : {}) },
      distributions: [],
      codeUnzippedSize: p.function.unzippedSize,
      cacheHit: true,
      wheels: [],
      importCheck: { status: 'skipped', reason: 'test' },
      timings: {}
    }))
  }
}

/** A clock that only moves when slept on: waits and backoffs run instantly and are recorded. */
export function fakeTime(start = 1_000_000): {
  sleep: (ms: number) => Promise<void>
  now: () => number
  sleeps: number[]
} {
  let now = start
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms)
      now += ms
      return Promise.resolve()
    }
  }
}

/** An error as the SDK throws it for `name` (AccessDeniedException, TooManyRequestsException, ...). */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  const error = new Error(message) as Error & {
    $fault: string
    $metadata: { httpStatusCode: number }
  }
  error.name = name
  error.$fault = httpStatusCode >= 500 ? 'server' : 'client'
  error.$metadata = { httpStatusCode }
  return error
}

/** An Invoke response Payload as the SDK returns it (bytes that also read back as text). */
export function invokePayload(text: string): Uint8Array & {
  transformToString(encoding?: string): string
} {
  return Object.assign(new TextEncoder().encode(text), { transformToString: () => text })
}
