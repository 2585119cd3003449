// Lambda's own copies of boto3 and its dependencies (lambda-facts.ts `runtimeProvidedVersions`),
// for the import check only, never for a package: pure-Python wheels fetched with the runner's
// pip (pip.conf and PIP_* settings apply) the first time a handler needs them, each checked
// against the SHA-256 pinned in runtime-provided-wheels.json, and kept in the tool cache. Every
// use checks the hashes again.
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '../../errors.js'
import { sha256OfFile } from '../../file-digest.js'
import { runtimeProvidedVersions, type RuntimeFacts } from '../../lambda-facts.js'
import { lastLines, pythonCommand, runTool, ToolFailure, type Env } from './run-tool.js'
import PINNED from './runtime-provided-wheels.json' with { type: 'json' }

export interface PinnedWheel {
  /** `boto3==1.38.36` */
  requirement: string
  file: string
  sha256: string
}

const PINS: Readonly<Record<string, { file: string; sha256: string }>> = PINNED

/** The wheels of what `runtime` provides, each with its pinned hash. */
export function runtimeProvidedWheels(runtime: RuntimeFacts): PinnedWheel[] {
  return Object.entries(runtimeProvidedVersions(runtime)).map(([name, version]) => {
    const requirement = `${name}==${version}`
    const pin = PINS[requirement]
    // A fact without a pin is this project's mistake; a unit test holds the two together.
    if (!pin) throw new Error(`runtime-provided-wheels.json has no ${requirement}`)
    return { requirement, ...pin }
  })
}

/** A requirements file pip reads in hash-checking mode: one pinned wheel a line. */
export function hashedRequirements(wheels: readonly PinnedWheel[]): string {
  return wheels.map((w) => `${w.requirement} --hash=sha256:${w.sha256}\n`).join('')
}

export type RuntimeProvided = { wheels: string[] } | { wheels?: undefined; reason: string }

export interface RuntimeProvidedRequest {
  runtime: RuntimeFacts
  /** The tool cache folder of the action (the wheel store's root). */
  root: string
  /** The runner's environment, for pip. */
  env: Env
}

/** Both architectures of a run check at once: they share one fetch while it is under way. */
const pending = new Map<string, Promise<RuntimeProvided>>()

/**
 * Paths of the runtime's wheels in the tool cache, fetched first when missing or damaged; or why
 * they cannot be had (the import check then runs without them, and says so if the handler needs
 * them).
 */
export function obtainRuntimeProvided(request: RuntimeProvidedRequest): Promise<RuntimeProvided> {
  const dir = cacheDir(request.root)
  const wheels = runtimeProvidedWheels(request.runtime)
  const key = `${dir}\n${wheels.map((w) => w.file).join('\n')}`
  let answer = pending.get(key)
  if (!answer) {
    answer = obtain(request, dir, wheels)
    pending.set(key, answer)
    const settled = () => pending.delete(key)
    answer.then(settled, settled)
  }
  return answer
}

/** The wheels in the cache that are missing or damaged. */
async function missingWheels(dir: string, wheels: readonly PinnedWheel[]): Promise<PinnedWheel[]> {
  const missing: PinnedWheel[] = []
  for (const wheel of wheels) {
    if ((await sha256OfFile(join(dir, wheel.file))) !== wheel.sha256) missing.push(wheel)
  }
  return missing
}

function cacheDir(root: string): string {
  return join(root, 'tools', 'runtime-provided')
}

/** Paths of the runtime's wheels when the tool cache holds all of them, intact; else undefined. */
export async function cachedRuntimeProvided(
  request: Omit<RuntimeProvidedRequest, 'env'>
): Promise<string[] | undefined> {
  const dir = cacheDir(request.root)
  const wheels = runtimeProvidedWheels(request.runtime)
  if ((await missingWheels(dir, wheels)).length > 0) return undefined
  return wheels.map((wheel) => join(dir, wheel.file))
}

async function obtain(
  request: RuntimeProvidedRequest,
  dir: string,
  wheels: PinnedWheel[]
): Promise<RuntimeProvided> {
  const missing = await missingWheels(dir, wheels)
  if (missing.length > 0) {
    try {
      await fetchWheels(request.env, dir, missing)
    } catch (error) {
      return { reason: errorMessage(error) }
    }
  }
  return { wheels: wheels.map((wheel) => join(dir, wheel.file)) }
}

async function fetchWheels(env: Env, dir: string, wheels: PinnedWheel[]): Promise<void> {
  // Inside the cache folder, so the checked wheels move in by rename (same file system).
  await mkdir(dir, { recursive: true })
  const work = await mkdtemp(join(dir, '.fetch-'))
  try {
    const requirements = join(work, 'requirements.txt')
    await writeFile(requirements, hashedRequirements(wheels))
    const destination = join(work, 'wheels')
    const python = pythonCommand(env)
    try {
      await runTool(
        python,
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--only-binary=:all:',
          // Pure-Python wheels for the target, not the runner's Python.
          '--ignore-requires-python',
          '--require-hashes',
          '--no-input',
          '--progress-bar=off',
          '-d',
          destination,
          '-r',
          requirements
        ],
        { env, what: `pip download (Lambda's ${wheels.map((w) => w.requirement).join(', ')})` }
      )
    } catch (error) {
      if (error instanceof ToolFailure) {
        throw new Error(
          `pip could not fetch them: ${lastLines(error.result.stderr || error.result.output, 4)}`
        )
      }
      throw error
    }
    const saved = new Set(await readdir(destination))
    for (const wheel of wheels) {
      const path = join(destination, wheel.file)
      if (!saved.has(wheel.file) || (await sha256OfFile(path)) !== wheel.sha256) {
        throw new Error(`pip saved no ${wheel.file} with sha256 ${wheel.sha256}`)
      }
      await rename(path, join(dir, wheel.file))
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
