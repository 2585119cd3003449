// Small fixtures for deploy tests: a BuildResult around given zips, a log that records, and the
// function, options and packages the mocked-client tests share.
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FunctionConfiguration } from '@aws-sdk/client-lambda'
import type { DeployLog } from '../../src/deploy/context.js'
import type { DeployOptions, FunctionTarget } from '../../src/deploy/deploy.js'
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

/** The function the mocked-client deploy tests deploy to. */
export const ORDERS_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:orders'

/** A file standing in for a built zip, described as the build would (PackageFile). */
export async function filePackage(
  dir: string,
  name: string,
  content: string
): Promise<PackageFile> {
  const path = join(dir, name)
  await writeFile(path, content)
  return {
    path,
    size: Buffer.byteLength(content),
    unzippedSize: 1,
    codeSha256: createHash('sha256').update(content).digest('base64')
  }
}

export const ordersTarget: FunctionTarget = {
  functionName: 'orders',
  functionArn: ORDERS_ARN,
  runtime: 'python3.12',
  architecture: 'arm64',
  handler: 'app.handler',
  codeSha256: 'old=',
  layers: []
}

export const zipDeployOptions: DeployOptions = {
  runtime: 'python3.12',
  packageType: 'zip',
  s3Prefix: 'lambda-python-deploy/',
  publish: true
}

/** GetFunctionConfiguration's answer for the orders function, settled, with `extra` on top. */
export function ordersConfiguration(
  extra: Partial<FunctionConfiguration> = {}
): FunctionConfiguration {
  return {
    FunctionName: 'orders',
    FunctionArn: ORDERS_ARN,
    Runtime: 'python3.12',
    Architectures: ['arm64'],
    CodeSha256: 'old=',
    RevisionId: 'rev-1',
    State: 'Active',
    LastUpdateStatus: 'Successful',
    ...extra
  }
}
