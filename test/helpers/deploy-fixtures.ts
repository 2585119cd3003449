// Small fixtures for deploy tests: a BuildResult around given zips, a log that records, a fake
// clock, and the function, options, packages and mocked clients the deploy tests share.
import { createHash } from 'node:crypto'
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FunctionConfiguration, LambdaClient } from '@aws-sdk/client-lambda'
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand
} from '@aws-sdk/client-s3'
import type { S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import type { AwsClientStub } from 'aws-sdk-client-mock'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import type { AwsClients } from '../../src/aws/clients.js'
import { deployContext } from '../../src/deploy/context.js'
import type { DeployContext, DeployDeps, DeployLog } from '../../src/deploy/context.js'
import { deployAll } from '../../src/deploy/deploy.js'
import type { DeployOptions, FunctionTarget } from '../../src/deploy/deploy.js'
import type { Architecture } from '../../src/lambda-facts.js'
import type { BuildResult, FunctionDeployResult, PackageFile } from '../../src/types.js'

export interface RecordingLog extends DeployLog {
  lines: string[]
  warnings: string[]
  /** What relay() got: text the function wrote. */
  relayed: { title: string; text: string }[]
  /** Values given to mask(), in order. */
  masked: string[]
}

export function recordingLog(): RecordingLog {
  const lines: string[] = []
  const warnings: string[] = []
  const relayed: { title: string; text: string }[] = []
  const masked: string[] = []
  return {
    lines,
    warnings,
    relayed,
    masked,
    info: (message) => void lines.push(message),
    warning: (message) => void warnings.push(message),
    relay: (title, text) => void relayed.push({ title, text }),
    mask: (value) => void masked.push(value)
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

/** Lambda's answer while another update of the function is in progress. */
export function conflictError(): Error {
  return awsError(
    'ResourceConflictException',
    'The operation cannot be performed at this time. An update is in progress for resource: orders',
    409
  )
}

/** Deploy deps for tests: a fake clock, a recording log, a fixed jitter (0.5), then `overrides`. */
export function testDeps(overrides: DeployDeps = {}): {
  time: ReturnType<typeof fakeTime>
  log: RecordingLog
  deps: DeployDeps
} {
  const time = fakeTime()
  const log = recordingLog()
  return {
    time,
    log,
    deps: { sleep: time.sleep, now: time.now, random: () => 0.5, log, ...overrides }
  }
}

/** testDeps, made into the context deploy steps take. */
export function testContext(
  clients: AwsClients,
  overrides: DeployDeps = {}
): ReturnType<typeof testDeps> & { ctx: DeployContext } {
  const made = testDeps(overrides)
  return { ...made, ctx: deployContext(clients, made.deps) }
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

/** A file of `size` zero bytes (sparse: nothing is written), described as a package. */
export async function zeroPackage(dir: string, name: string, size: number): Promise<PackageFile> {
  const path = join(dir, name)
  await writeFile(path, '')
  await truncate(path, size)
  const codeSha256 = createHash('sha256').update(Buffer.alloc(size)).digest('base64')
  return { path, size, unzippedSize: size, codeSha256 }
}

/** S3 answers for a multipart upload that goes through; part n gets the ETag `"etag-n"`. */
export function mockMultipartUpload(s3: AwsClientStub<S3Client>, uploadId: string): void {
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: uploadId })
  s3.on(UploadPartCommand).callsFake((input: { PartNumber?: number }) => ({
    ETag: `"etag-${input.PartNumber}"`
  }))
  s3.on(CompleteMultipartUploadCommand).resolves({})
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

export interface MockedDeploy {
  clients: AwsClients
  lambda: AwsClientStub<LambdaClient>
  s3: AwsClientStub<S3Client>
  /** A temporary folder with a function and a layer package; filled in beforeAll. */
  files: { dir: string; pkg: PackageFile; layerPkg: PackageFile }
  /** deployAll of `files.pkg` to the orders function alone. */
  deployOrders(options: DeployOptions, deps?: DeployDeps): Promise<FunctionDeployResult[]>
}

/**
 * The setup of a test file that runs deployAll against mocked clients (eu-west-1): registers
 * the hooks that create and remove the packages and reset both mocks before each test.
 */
export function mockedDeploy(): MockedDeploy {
  const clients = createClients({ region: 'eu-west-1' })
  const lambda = mockClient(clients.lambda)
  const s3 = mockClient(clients.s3)
  const files = {} as MockedDeploy['files']
  beforeAll(async () => {
    files.dir = await mkdtemp(join(tmpdir(), 'lpd-deploy-'))
    files.pkg = await filePackage(files.dir, 'function.zip', 'function zip bytes')
    files.layerPkg = await filePackage(files.dir, 'layer.zip', 'layer zip bytes')
  })
  afterAll(async () => {
    await rm(files.dir, { recursive: true, force: true })
  })
  beforeEach(() => {
    lambda.reset()
    s3.reset()
  })
  return {
    clients,
    lambda,
    s3,
    files,
    deployOrders: (options, deps = testDeps().deps) =>
      deployAll([ordersTarget], buildOf([{ function: files.pkg }]), options, clients, deps)
  }
}
