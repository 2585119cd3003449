// A real moto server on loopback for integration, process-level tests and the demo.
//
//   const moto = await startMoto()           // moto_server -H 127.0.0.1 -p 0, use_docker false
//   const restoreEnv = moto.applyEnv()       // AWS_ENDPOINT_URL, dummy credentials, AWS_REGION
//   beforeEach(() => moto.reset())           // wipes state, re-creates the Lambda role
//   await moto.createFunction({ name: 'orders' })   // python3.12 arm64, a small zip
//   await moto.createBucket('artifacts')
//   await moto.queueInvokeResults(['{"ok":true}'])  // what the next Invoke returns
//   await moto.createAlarm('orders-errors'); await moto.setAlarmState('orders-errors', 'ALARM')
//   await moto.putVersionMetric('orders', 'live', '2', 'Errors', 3)  // as Lambda would emit it
//   afterAll(async () => { restoreEnv(); await moto.stop() })
//
// A child process (`node dist/index.js`) gets the same AWS setup with `{ ...process.env, ...moto.env }`.
// moto comes from .tools/venv, installed by `node scripts/tools.mjs` (npm test runs it first).
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  CreateFunctionCommand,
  LambdaClient,
  ListVersionsByFunctionCommand
} from '@aws-sdk/client-lambda'
import type { Architecture, FunctionConfiguration, Runtime } from '@aws-sdk/client-lambda'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type StateValue
} from '@aws-sdk/client-cloudwatch'
import type { PackageFile } from '../../src/types.js'

const execFileAsync = promisify(execFile)

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const TOOLS_BIN = join(REPO_ROOT, '.tools', 'venv', 'bin')
export const MOTO_REGION = 'us-east-1'
/** moto's default account. */
export const MOTO_ACCOUNT = '123456789012'
export const LAMBDA_ROLE_NAME = 'lambda-python-deploy-test'
export const LAMBDA_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/${LAMBDA_ROLE_NAME}`

/** A handler that answers what it gets (moto with use_docker false never runs it anyway). */
export const HELLO_HANDLER =
  'def handler(event, context):\n    return {"ok": True, "event": event}\n'

export interface CreateFunctionOptions {
  name: string
  runtime?: string
  architecture?: 'arm64' | 'x86_64'
  handler?: string
  /** Zip bytes; a small zip with app.py (HELLO_HANDLER) by default. */
  zip?: Uint8Array
  /** Layer version ARNs to attach at creation. */
  layers?: string[]
  environment?: Record<string, string>
}

export interface PublishedVersion {
  version: string
  codeSha256: string | undefined
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  region: string
  /** The SDK setup for this server: AWS_ENDPOINT_URL, dummy credentials, region. */
  env: Record<string, string>
  /** Puts `env` into process.env; returns a function that restores what was there. */
  applyEnv(): () => void
  /** Clients pointed at moto explicitly, for setting up and checking state in tests. */
  lambda: LambdaClient
  s3: S3Client
  cloudwatch: CloudWatchClient
  /** Wipes every resource, then re-creates the IAM role CreateFunction needs. */
  reset(): Promise<void>
  createFunction(options: CreateFunctionOptions): Promise<FunctionConfiguration>
  /** The function's published versions (not $LATEST), oldest first, with their code's hash. */
  publishedVersions(name: string): Promise<PublishedVersion[]>
  createBucket(name: string): Promise<void>
  /** Queues what the next Invoke calls return, in order (moto's lambda-simple backend). */
  queueInvokeResults(results: string[]): Promise<void>
  /** A metric alarm on AWS/Lambda Errors; moto never evaluates it: it stays OK until set. */
  createAlarm(name: string): Promise<void>
  setAlarmState(name: string, state: StateValue, reason?: string): Promise<void>
  /**
   * A datapoint as Lambda emits it for an invocation through an alias: FunctionName,
   * Resource=<function>:<alias>, ExecutedVersion (moto's Lambda emits no metrics itself).
   */
  putVersionMetric(
    functionName: string,
    alias: string,
    version: string,
    metricName: 'Errors' | 'Throttles' | 'Invocations',
    value: number
  ): Promise<void>
  stop(): Promise<void>
}

/** Credentials moto accepts; never real ones. */
export function motoEnv(url: string, region = MOTO_REGION): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // No instance-metadata lookups and no profile from the developer's ~/.aws.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null'
  }
}

function waitForPort(child: ChildProcess, output: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`moto_server printed no port within ${timeoutMs} ms:\n${output.join('')}`))
    }, timeoutMs)
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString()
      output.push(text)
      if (output.length > 50) output.shift()
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output.join(''))
      if (match) {
        clearTimeout(timer)
        resolvePort(Number(match[1]))
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`moto_server exited (${code}) before serving:\n${output.join('')}`))
    })
  })
}

async function post(url: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  if (!response.ok) {
    throw new Error(`moto ${path}: HTTP ${response.status}: ${await response.text()}`)
  }
  return response
}

/**
 * IAM through its query API. moto picks the service from the credential scope of the
 * Authorization header and does not check the signature.
 */
async function createRole(url: string): Promise<void> {
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole'
      }
    ]
  })
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=host, Signature=0'
    },
    body: new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: LAMBDA_ROLE_NAME,
      AssumeRolePolicyDocument: trust
    }).toString()
  })
  if (!response.ok)
    throw new Error(`moto CreateRole: HTTP ${response.status}: ${await response.text()}`)
}

let defaultZip: Promise<Uint8Array> | undefined

/** The default function zip: app.py with HELLO_HANDLER. */
export function helloZip(): Promise<Uint8Array> {
  defaultZip ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lpd-hello-'))
    try {
      const pkg = await writeZip(join(dir, 'hello.zip'), { 'app.py': HELLO_HANDLER })
      return await readFile(pkg.path)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })()
  return defaultZip
}

/** Starts moto on a random loopback port, with Lambda's use_docker off. */
export async function startMoto(options: { region?: string } = {}): Promise<MotoServer> {
  const region = options.region ?? MOTO_REGION
  const binary = join(TOOLS_BIN, 'moto_server')
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`node scripts/tools.mjs\` (npm test does) first.`)
  }
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' }
  })
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  const output: string[] = []
  let port: number
  try {
    port = await waitForPort(child, output, 30_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  // Keep draining the request log so moto never blocks on a full pipe.
  child.stdout?.resume()
  child.stderr?.resume()

  const url = `http://127.0.0.1:${port}`
  const env = motoEnv(url, region)
  const clientConfig = {
    endpoint: url,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
  }
  const lambda = new LambdaClient(clientConfig)
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true })
  const cloudwatch = new CloudWatchClient(clientConfig)

  const configure = async (): Promise<void> => {
    await post(url, '/moto-api/config', { lambda: { use_docker: false } })
    await createRole(url)
  }
  await configure()

  return {
    url,
    port,
    region,
    env,
    lambda,
    s3,
    cloudwatch,
    applyEnv() {
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
      Object.assign(process.env, env)
      return () => {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key]
          else process.env[key] = value
        }
      }
    },
    async reset() {
      await post(url, '/moto-api/reset')
      await configure()
    },
    async createFunction(fn) {
      return lambda.send(
        new CreateFunctionCommand({
          FunctionName: fn.name,
          Runtime: (fn.runtime ?? 'python3.12') as Runtime,
          Architectures: [(fn.architecture ?? 'arm64') as Architecture],
          Handler: fn.handler ?? 'app.handler',
          Role: LAMBDA_ROLE_ARN,
          Code: { ZipFile: fn.zip ?? (await helloZip()) },
          ...(fn.layers ? { Layers: fn.layers } : {}),
          ...(fn.environment ? { Environment: { Variables: fn.environment } } : {})
        })
      )
    },
    async publishedVersions(name) {
      const listed = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name }))
      return (listed.Versions ?? [])
        .filter((v) => v.Version !== '$LATEST')
        .map((v) => ({ version: v.Version ?? '', codeSha256: v.CodeSha256 }))
        .sort((a, b) => Number(a.version) - Number(b.version))
    },
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }))
    },
    async queueInvokeResults(results) {
      await post(url, '/moto-api/static/lambda-simple/response', { results, region })
    },
    async createAlarm(name) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold'
        })
      )
    },
    async setAlarmState(name, state, reason = 'set by the test') {
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason })
      )
    },
    async putVersionMetric(functionName, alias, version, metricName, value) {
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/Lambda',
          MetricData: [
            {
              MetricName: metricName,
              Dimensions: [
                { Name: 'FunctionName', Value: functionName },
                { Name: 'Resource', Value: `${functionName}:${alias}` },
                { Name: 'ExecutedVersion', Value: version }
              ],
              Value: value,
              Timestamp: new Date()
            }
          ]
        })
      )
    },
    async stop() {
      process.removeListener('exit', killOnExit)
      lambda.destroy()
      s3.destroy()
      cloudwatch.destroy()
      if (child.exitCode !== null) return
      const exited = new Promise((done) => child.once('exit', done))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
  }
}

export interface ZipOptions {
  /** Adds `random.bin` with this many incompressible bytes (stored, not deflated). */
  randomBytes?: number
}

// Deterministic: entries sorted, fixed timestamp, deflate level 6 (random bytes stored).
const ZIP_WRITER = `
import json, os, sys, zipfile
spec = json.load(sys.stdin)
unzipped = 0
with zipfile.ZipFile(spec["path"], "w") as zf:
    for name in sorted(spec["files"]):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        data = spec["files"][name].encode()
        unzipped += len(data)
        zf.writestr(info, data, compresslevel=6)
    if spec["randomBytes"]:
        info = zipfile.ZipInfo("random.bin", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_STORED
        left = spec["randomBytes"]
        with zf.open(info, "w", force_zip64=False) as out:
            while left:
                n = min(left, 1 << 20)
                out.write(os.urandom(n))
                left -= n
        unzipped += spec["randomBytes"]
print(json.dumps({"unzippedSize": unzipped}))
`

/** Writes a real zip with Python's zipfile and describes it as the build would (PackageFile). */
export async function writeZip(
  path: string,
  files: Record<string, string>,
  options: ZipOptions = {}
): Promise<PackageFile> {
  const python = join(TOOLS_BIN, 'python')
  const child = execFileAsync(existsSync(python) ? python : 'python3', ['-c', ZIP_WRITER], {
    maxBuffer: 1 << 20
  })
  child.child.stdin?.end(JSON.stringify({ path, files, randomBytes: options.randomBytes ?? 0 }))
  const { stdout } = await child
  const { unzippedSize } = JSON.parse(stdout) as { unzippedSize: number }
  const bytes = await readFile(path)
  return {
    path,
    size: bytes.length,
    unzippedSize,
    codeSha256: createHash('sha256').update(bytes).digest('base64')
  }
}

let handlerZips = 0

/** A function zip in `dir` whose handler returns `{"tag": tag}`: which code answered. */
export function handlerZip(dir: string, tag: string): Promise<PackageFile> {
  return writeZip(join(dir, `fn-${++handlerZips}.zip`), {
    'app.py': `TAG = ${JSON.stringify(tag)}\ndef handler(event, context):\n    return {"tag": TAG}\n`
  })
}
