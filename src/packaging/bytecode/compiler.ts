// Compiles .pyc files with a CPython of the runtime's minor, once per source per build: the
// architectures of one build share one compiler (a .pyc does not depend on the machine), and
// what earlier builds compiled is taken from the kept store (bytecode-store.ts).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../../errors.js'
import { ARCHITECTURES, type Architecture, type RuntimeFacts } from '../../lambda-facts.js'
import {
  findTargetInterpreter,
  hostArchitecture,
  type TargetInterpreter
} from '../tools/interpreters.js'
import { runInterpreter } from '../tools/run-interpreter.js'
import { lastLines, type Env } from '../tools/run-tool.js'
import { prepareEntry, type PreparedEntry } from '../zip-format.js'
import {
  BytecodeStore,
  bytecodeKey,
  namespaceDir,
  type CompilerIdentity
} from './bytecode-store.js'
import { COMPILE_SCRIPT } from './compile-script.js'

export interface CompileItem {
  /** Where the source sits on Lambda (`/var/task/app.py`): the .pyc records it. */
  lambdaPath: string
  source: Buffer
}

export type CompiledItem =
  | { prepared: PreparedEntry; origin: 'compiled' | 'kept' }
  /** The source does not compile (a syntax error): it ships as source alone. */
  | { prepared?: undefined; error: string }

/** A source to compile in this build, and the promise its callers wait on. */
interface Miss {
  key: string
  item: CompileItem
  resolve: (result: CompiledItem) => void
  reject: (error: unknown) => void
}

/** Fewer sources than this per compiler process are not worth another process. */
const SOURCES_PER_PROCESS = 100

async function runPython(
  python: TargetInterpreter,
  args: string[],
  env: Record<string, string>
): Promise<string> {
  const result = await runInterpreter(python, args, env)
  if (result.exitCode !== 0) {
    throw new Error(`${python.description} failed: ${lastLines(result.stderr || result.stdout, 8)}`)
  }
  return result.stdout
}

/**
 * The interpreter's own environment, nothing from the runner's but the PATH it was found on:
 * no PYTHONPATH or PYTHONOPTIMIZE can change what is compiled, and a fixed hash seed fixes the
 * order of frozenset constants.
 */
function compileEnv(env: Env): Record<string, string> {
  return { PATH: env.PATH ?? '', LANG: 'C.UTF-8', PYTHONHASHSEED: '0' }
}

const PROBE =
  'import importlib.util, sys; print(importlib.util.MAGIC_NUMBER.hex(), sys.implementation.cache_tag)'

export interface CompilerRequest {
  runtime: RuntimeFacts
  /** The build's targets: after this machine's own architecture, their interpreters will do. */
  architectures: readonly Architecture[]
  env: Env
  /** Where brought interpreters are kept, and the `python` input (tools/interpreters.ts). */
  toolCache: string
  python?: string
  /** The wheel store's root: results are kept under it. Unset: nothing is kept. */
  storeRoot?: string
  /** Read results kept by earlier builds (see bytecode-store.ts for when not to). */
  readKept: boolean
}

/** A native interpreter of the runtime's minor if there is one, else one for a target. */
async function findCompilerInterpreter(
  request: CompilerRequest
): Promise<{ found: TargetInterpreter } | { reason: string }> {
  const host = hostArchitecture()
  const order = [
    ...(host ? [host] : []),
    ...ARCHITECTURES.filter((a) => a !== host && request.architectures.includes(a))
  ]
  let reason = `no Python ${request.runtime.pythonVersion} on this runner`
  for (const [index, architecture] of order.entries()) {
    const lookup = await findTargetInterpreter({
      runtime: request.runtime,
      architecture,
      env: request.env,
      toolCache: request.toolCache,
      python: request.python
    })
    if (lookup.found) return { found: lookup.found }
    if (index === 0) reason = lookup.reason
  }
  return { reason }
}

export class BytecodeCompiler {
  /** Results by key, compiled or kept, shared by every caller of this build. */
  private readonly results = new Map<string, Promise<CompiledItem>>()

  private constructor(
    readonly python: TargetInterpreter,
    readonly identity: CompilerIdentity,
    private readonly store: BytecodeStore | undefined,
    private readonly env: Record<string, string>
  ) {}

  /** `cpython-312`: the .pyc files' name tag. */
  get cacheTag(): string {
    return this.identity.cacheTag
  }

  /** The compiler for a build, or why there is none (said in the summary). */
  static async open(request: CompilerRequest): Promise<BytecodeCompiler | { reason: string }> {
    const lookup = await findCompilerInterpreter(request)
    if (!('found' in lookup)) return { reason: lookup.reason }
    const python = lookup.found
    const env = compileEnv(request.env)
    let magic: string
    let cacheTag: string
    try {
      ;[magic = '', cacheTag = ''] = (await runPython(python, ['-S', '-B', '-c', PROBE], env))
        .trim()
        .split(/\s+/)
    } catch (error) {
      return { reason: errorMessage(error) }
    }
    const expected = `cpython-${request.runtime.abiDigits}`
    if (cacheTag !== expected || !/^[0-9a-f]{8}$/.test(magic)) {
      return {
        reason: `${python.description} names its bytecode '${cacheTag}', not ${expected}`
      }
    }
    const identity = { cacheTag, magic, version: python.version }
    const store =
      request.storeRoot === undefined
        ? undefined
        : new BytecodeStore(namespaceDir(request.storeRoot, identity), magic, request.readKept)
    return new BytecodeCompiler(python, identity, store, env)
  }

  /** Compiles `items` (or takes them from this build's or the kept results), in order. */
  async compile(items: readonly CompileItem[]): Promise<CompiledItem[]> {
    const misses: Miss[] = []
    const waiting: Promise<CompiledItem>[] = []
    const lookups: Promise<void>[] = []
    for (const item of items) {
      const key = bytecodeKey(item.lambdaPath, item.source)
      let result = this.results.get(key)
      if (!result) {
        let settle!: Pick<Miss, 'resolve' | 'reject'>
        result = new Promise<CompiledItem>((resolve, reject) => (settle = { resolve, reject }))
        // Awaited by every caller that wants it; a failed compile is reported through them.
        result.catch(() => undefined)
        this.results.set(key, result)
        lookups.push(
          (this.store?.get(key) ?? Promise.resolve(undefined)).then((kept) => {
            if (kept) settle.resolve({ prepared: kept, origin: 'kept' })
            else misses.push({ key, item, ...settle })
          })
        )
      }
      waiting.push(result)
    }
    await Promise.all(lookups)
    if (misses.length > 0) {
      const processes = Math.max(
        1,
        Math.min(availableParallelism(), Math.ceil(misses.length / SOURCES_PER_PROCESS))
      )
      const share = Math.ceil(misses.length / processes)
      const batches = Array.from({ length: processes }, (_, i) =>
        misses.slice(i * share, (i + 1) * share)
      ).filter((batch) => batch.length > 0)
      try {
        await Promise.all(batches.map((batch) => this.compileBatch(batch)))
      } catch (error) {
        // Every caller waiting on these fails with the reason; a later build tries again.
        for (const miss of misses) {
          this.results.delete(miss.key)
          miss.reject(error)
        }
      }
    }
    return Promise.all(waiting)
  }

  /** One compiler process for `batch`; resolves each with its result and keeps it. */
  private async compileBatch(batch: Miss[]): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'lpd-bytecode-'))
    try {
      await Promise.all([mkdir(join(dir, 'src')), mkdir(join(dir, 'out'))])
      const jobs = batch.map((miss, index) => ({
        source: join(dir, 'src', `${index}.py`),
        dfile: miss.item.lambdaPath,
        out: join(dir, 'out', `${index}.pyc`)
      }))
      await Promise.all(jobs.map((job, index) => writeFile(job.source, batch[index]!.item.source)))
      await writeFile(join(dir, 'jobs.json'), JSON.stringify(jobs))
      const stdout = await runPython(
        this.python,
        ['-S', '-B', '-c', COMPILE_SCRIPT, join(dir, 'jobs.json')],
        this.env
      )
      const answer = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        magic?: string
        failed?: Record<string, string>
      }
      if (answer.magic !== this.identity.magic) {
        throw new Error(
          `${this.python.description} changed while compiling (magic ${answer.magic})`
        )
      }
      for (const [index, miss] of batch.entries()) {
        const failure = answer.failed?.[String(index)]
        if (failure !== undefined) {
          miss.resolve({ error: failure })
          continue
        }
        const pyc = await readFile(jobs[index]!.out)
        const prepared = prepareEntry(pyc)
        await this.store?.put(miss.key, pyc, prepared)
        miss.resolve({ prepared, origin: 'compiled' })
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}
