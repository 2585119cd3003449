// What the fault tests share: moto behind the fault proxy, packages built once by the action
// itself (`mode: build`, then deployed with package-dir), runs of `node dist/index.js` through
// the proxy, and the state a deployment leaves in moto (the things a rerun must converge on).
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  ListLayerVersionsCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import type { BuildResult } from '../../src/types.js'
import { startFaultProxy, type FaultProxy } from './fault-proxy.js'
import { LIMITS } from '../../src/lambda-facts.js'
import { buildOf } from './deploy-fixtures.js'
import { helloZip, startMoto, writeZip, type MotoServer, type PublishedVersion } from './moto.js'
import { runAction, type ActionRun } from './run-action.js'
import { writeWheel } from './wheels.js'

export interface FaultBench {
  moto: MotoServer
  proxy: FaultProxy
  /** A temporary folder removed by stop(). */
  dir: string
  /**
   * A clean start for one test: no faults, moto reset, the function `orders` (unless
   * `withFunction` is false) and the bucket FAULT_BUCKET, then `setup`; the proxy forgets the
   * requests all that made.
   */
  fresh(options?: { withFunction?: boolean; setup?: () => Promise<void> }): Promise<void>
  stop(): Promise<void>
}

/** The bucket the fault tests upload packages over the direct-upload limit to. */
export const FAULT_BUCKET = 'artifacts'

export async function startFaultBench(): Promise<FaultBench> {
  const moto = await startMoto()
  const proxy = await startFaultProxy(moto.url)
  const dir = mkdtempSync(join(tmpdir(), 'lpd-faults-'))
  return {
    moto,
    proxy,
    dir,
    async fresh({ withFunction = true, setup } = {}) {
      proxy.clear()
      await moto.reset()
      if (withFunction) await moto.createFunction({ name: 'orders' })
      await moto.createBucket(FAULT_BUCKET)
      await setup?.()
      proxy.forget()
    },
    async stop() {
      await proxy.stop()
      await moto.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

export const HANDLER_SOURCE = 'def handler(event, context):\n    return event\n'

export interface BuiltPackages {
  /** The output-dir of the build: what package-dir takes. */
  packageDir: string
  /** The function zip, absolute. */
  zipPath: string
  functionSha: string
  functionSize: number
  layerSha?: string
}

export interface BuildSpec {
  /** Source files besides app.py. */
  files?: Record<string, string>
  /** Adds `blob.bin` with this many random (incompressible) bytes. */
  randomBytes?: number
  /** Extra inputs: requirements, package-type, ... */
  inputs?: Record<string, string>
  env?: Record<string, string>
}

/**
 * requirements.txt naming one pure-Python wheel in a local folder: pip runs for real, offline,
 * in a second or two. Returns the file's path.
 */
export async function writeLocalRequirements(dir: string): Promise<string> {
  const wheels = join(dir, 'wheels')
  writeWheel(wheels, {
    name: 'tinydep',
    version: '1.0',
    files: { 'tinydep/__init__.py': 'X = 1\n' }
  })
  const requirements = join(dir, 'requirements.txt')
  await writeFile(requirements, `--no-index\n--find-links ${wheels}\ntinydep==1.0\n`)
  return requirements
}

/** Inputs of a build with no resolver, no import check and no Actions cache: fast and local. */
export function buildInputs(source: string, outputDir: string): Record<string, string> {
  return {
    mode: 'build',
    source,
    runtime: 'python3.12',
    architectures: 'arm64',
    handler: 'app.handler',
    'import-check': 'false',
    cache: 'false',
    'output-dir': outputDir
  }
}

/** Writes a source folder (app.py and `files`) under `dir`. */
export async function writeSource(dir: string, spec: BuildSpec = {}): Promise<string> {
  const source = mkdtempSync(join(dir, 'src-'))
  await mkdir(source, { recursive: true })
  writeFileSync(join(source, 'app.py'), HANDLER_SOURCE)
  for (const [name, text] of Object.entries(spec.files ?? {})) {
    writeFileSync(join(source, name), text)
  }
  if (spec.randomBytes) writeFileSync(join(source, 'blob.bin'), randomBytes(spec.randomBytes))
  return source
}

/** Builds with the action (mode: build) and returns the output-dir for package-dir. */
export async function buildPackages(dir: string, spec: BuildSpec = {}): Promise<BuiltPackages> {
  const source = await writeSource(dir, spec)
  const packageDir = mkdtempSync(join(dir, 'out-'))
  const run = await runAction({
    inputs: { ...buildInputs(source, packageDir), ...spec.inputs },
    env: spec.env ?? {}
  })
  if (run.code !== 0) throw new Error(`build failed:\n${run.stdout}\n${run.stderr}`)
  const report = JSON.parse(readFileSync(join(packageDir, 'report.json'), 'utf8')) as BuildResult
  const arch = report.architectures[0]!
  return {
    packageDir,
    zipPath: resolve(packageDir, arch.packages.function.path),
    functionSha: arch.packages.function.codeSha256,
    functionSize: arch.packages.function.size,
    ...(arch.packages.layer ? { layerSha: arch.packages.layer.codeSha256 } : {})
  }
}

/**
 * A package-dir as `mode: build` leaves it (report.json and the zip), written directly: a zip
 * over the direct-upload limit takes the build seconds to deflate, Python's zipfile none.
 */
export async function writePrebuilt(
  dir: string,
  options: { randomBytes?: number } = {}
): Promise<BuiltPackages> {
  const packageDir = mkdtempSync(join(dir, 'prebuilt-'))
  const pkg = await writeZip(
    join(packageDir, 'function.zip'),
    { 'app.py': HANDLER_SOURCE },
    options.randomBytes ? { randomBytes: options.randomBytes } : {}
  )
  // As mode: build writes it: the zip's path relative to the report.
  const report = buildOf([{ function: { ...pkg, path: 'function.zip' } }])
  writeFileSync(join(packageDir, 'report.json'), JSON.stringify(report))
  return { packageDir, zipPath: pkg.path, functionSha: pkg.codeSha256, functionSize: pkg.size }
}

/** The packages the fault tests deploy: a small zip, one over the direct-upload limit, a layer build. */
export interface StandardPackages {
  /** requirements.txt naming one pure-Python wheel from a local folder: pip runs, offline. */
  requirements: string
  small: BuiltPackages
  big: BuiltPackages
  layered: BuiltPackages
}

export async function standardPackages(bench: FaultBench): Promise<StandardPackages> {
  const requirements = await writeLocalRequirements(bench.dir)
  const [small, big, layered] = await Promise.all([
    buildPackages(bench.dir),
    writePrebuilt(bench.dir, { randomBytes: LIMITS.directUploadBytes + 64 * 1024 }),
    buildPackages(bench.dir, {
      inputs: { requirements, 'package-type': 'layer', installer: 'pip' }
    })
  ])
  return { requirements, small, big, layered }
}

/** Runs the action in deploy mode against the proxy (AWS_ENDPOINT_URL = the proxy). */
export function deployThrough(
  proxy: FaultProxy,
  inputs: Record<string, string>,
  options: { onSpawn?: (child: ChildProcess) => void; env?: Record<string, string> } = {}
): Promise<ActionRun & { elapsedMs: number }> {
  const started = performance.now()
  return runAction({
    inputs: { mode: 'deploy', ...inputs },
    env: { ...proxy.env, ...options.env },
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {})
  }).then((run) => ({ ...run, elapsedMs: performance.now() - started }))
}

/** A run's whole log, for assertion messages. */
export function logOf(run: ActionRun): string {
  return `exit ${run.code}\n${run.stdout}\n${run.stderr}`
}

export interface FunctionState {
  codeSha256: string | undefined
  /** Published versions (not $LATEST), oldest first. */
  versions: PublishedVersion[]
  /** The alias's version, when an alias name was given and it exists. */
  aliasVersion?: string
}

/** What moto holds for the function, read directly (not through the proxy). */
export async function functionState(
  moto: MotoServer,
  name: string,
  alias?: string
): Promise<FunctionState> {
  const config = await moto.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
  const versions = await moto.publishedVersions(name)
  let aliasVersion: string | undefined
  if (alias) {
    try {
      const found = await moto.lambda.send(new GetAliasCommand({ FunctionName: name, Name: alias }))
      aliasVersion = found.FunctionVersion
    } catch {
      aliasVersion = undefined
    }
  }
  return {
    codeSha256: config.CodeSha256,
    versions,
    ...(aliasVersion ? { aliasVersion } : {})
  }
}

/** Multipart uploads begun and neither completed nor aborted: parts S3 would bill for. */
export async function openUploads(moto: MotoServer, bucket: string): Promise<string[]> {
  const answer = await moto.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  return (answer.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`)
}

export async function layerVersions(
  moto: MotoServer,
  layerName: string
): Promise<{ version: number; arn: string }[]> {
  const answer = await moto.lambda.send(new ListLayerVersionsCommand({ LayerName: layerName }))
  return (answer.LayerVersions ?? [])
    .map((v) => ({ version: v.Version ?? 0, arn: v.LayerVersionArn ?? '' }))
    .sort((a, b) => a.version - b.version)
}

/** The processes below `pid` (pip, python), from /proc, with their command lines. */
export function descendants(pid: number): { pid: number; cmdline: string }[] {
  const byParent = new Map<number, { pid: number; cmdline: string }[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      byParent.set(parent, [...(byParent.get(parent) ?? []), { pid: Number(entry), cmdline }])
    } catch {
      // The process ended while we looked.
    }
  }
  const found: { pid: number; cmdline: string }[] = []
  const visit = (parent: number): void => {
    for (const child of byParent.get(parent) ?? []) {
      found.push(child)
      visit(child.pid)
    }
  }
  visit(pid)
  return found
}

/** SIGKILL: no handler runs, nothing is cleaned up; its children die too, as on a runner. */
export function killHard(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return
  const tree = descendants(child.pid)
  child.kill('SIGKILL')
  for (const { pid } of tree) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
}

/**
 * Publishes versions of other code (one per tag) on `name`, with a 1 s function timeout, then
 * waits past the in-flight window keep-versions keeps (wait-timeout 1 s + that timeout): the
 * old versions a pruning run may delete.
 */
export async function publishOldVersions(
  moto: MotoServer,
  name: string,
  tags: readonly number[]
): Promise<void> {
  await moto.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 1 }))
  for (const tag of tags) {
    await moto.lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: name,
        ZipFile: new Uint8Array([...(await helloZip()), tag])
      })
    )
    await moto.lambda.send(new PublishVersionCommand({ FunctionName: name }))
  }
  await new Promise((done) => setTimeout(done, 2_200))
}
