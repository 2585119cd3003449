// The compiler (src/packaging/bytecode/compiler.ts) with real interpreters and a real wheel from
// PyPI: the bytes of a .pyc depend on its source alone, never on what else one process compiled;
// kept results are checked before use, and not read where they may have been planted.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runtimeFacts } from '../../src/lambda-facts.js'
import {
  BytecodeCompiler,
  type CompileItem,
  type CompiledItem
} from '../../src/packaging/bytecode/compiler.js'
import { readEntryData, readZipEntriesFrom } from '../../src/packaging/zip-format.js'
import { pathWithPython } from '../helpers/pythons.js'
import { downloadWheel } from '../helpers/wheels.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-compiler-'))

async function openCompiler(
  version: string,
  options: { storeRoot?: string; readKept?: boolean } = {}
): Promise<BytecodeCompiler> {
  const compiler = await BytecodeCompiler.open({
    runtime: runtimeFacts(`python${version}`)!,
    architectures: ['x86_64'],
    env: { PATH: pathWithPython(version) },
    toolCache: options.storeRoot ?? join(work, 'tool-cache'),
    storeRoot: options.storeRoot,
    readKept: options.readKept ?? true
  })
  if (!('compile' in compiler)) throw new Error(compiler.reason)
  return compiler
}

function bytesOf(results: CompiledItem[]): string[] {
  return results.map((r) =>
    r.prepared ? Buffer.from(r.prepared.data).toString('base64') : 'error'
  )
}

/** The .py files of numpy 2.2.6's CPython 3.10 wheel, as the function zip would hold them. */
let numpy: CompileItem[] = []

beforeAll(async () => {
  const wheel = downloadWheel(
    'numpy==2.2.6',
    { platform: 'manylinux2014_x86_64', pythonVersion: '3.10' },
    work
  )
  const handle = await open(wheel, 'r')
  try {
    const entries = (await readZipEntriesFrom(handle, wheel)).filter((e) => e.name.endsWith('.py'))
    numpy = await Promise.all(
      entries.map(async (entry) => ({
        lambdaPath: `/var/task/${entry.name}`,
        source: await readEntryData(handle, entry)
      }))
    )
  } finally {
    await handle.close()
  }
}, 300_000)

describe('BytecodeCompiler', () => {
  // CPython 3.10 marks shared objects in marshal data by reference count, so a file compiled
  // after others in one process can come out different (26 of numpy's 411 files did, in
  // another order). The compiler must give each file the same bytes however it is batched.
  it('python3.10: the same bytes for a file whatever else is compiled with it, and in any order', async () => {
    expect(numpy.length).toBeGreaterThan(300)
    const all = bytesOf(await (await openCompiler('3.10')).compile(numpy))
    const reversed = bytesOf(await (await openCompiler('3.10')).compile([...numpy].reverse()))
    expect(reversed.reverse()).toEqual(all)
    const some = numpy.filter((_, i) => i % 7 === 3)
    const alone = bytesOf(await (await openCompiler('3.10')).compile(some))
    expect(alone).toEqual(all.filter((_, i) => i % 7 === 3))
  })

  it('python3.12: the same bytes in any order', async () => {
    const items = numpy.slice(0, 120)
    const forward = bytesOf(await (await openCompiler('3.12')).compile(items))
    const backward = bytesOf(await (await openCompiler('3.12')).compile([...items].reverse()))
    expect(backward.reverse()).toEqual(forward)
  })

  it('compiles each source once per build, however many callers ask', async () => {
    const compiler = await openCompiler('3.12')
    const items = numpy.slice(0, 40)
    const [first, second] = await Promise.all([compiler.compile(items), compiler.compile(items)])
    expect(bytesOf(second)).toEqual(bytesOf(first))
    expect(first.every((r) => r.prepared && r.origin === 'compiled')).toBe(true)
  })

  it('a source that does not compile ships as source alone', async () => {
    const compiler = await openCompiler('3.12')
    const results = await compiler.compile([
      { lambdaPath: '/var/task/ok.py', source: Buffer.from('X = 1\n') },
      { lambdaPath: '/var/task/py2.py', source: Buffer.from('print "hello"\n') }
    ])
    expect(results[0]?.prepared).toBeDefined()
    expect(results[1]).toEqual({ error: expect.stringMatching(/SyntaxError/) })
  })

  it('reuses kept results, recompiles a damaged one, and reads none where they are not trusted', async () => {
    const storeRoot = join(work, 'store')
    const items = numpy.slice(0, 30)
    const fresh = await (await openCompiler('3.12', { storeRoot })).compile(items)
    expect(fresh.every((r) => r.prepared && r.origin === 'compiled')).toBe(true)

    const kept = await (await openCompiler('3.12', { storeRoot })).compile(items)
    expect(kept.every((r) => r.prepared && r.origin === 'kept')).toBe(true)
    expect(bytesOf(kept)).toEqual(bytesOf(fresh))

    // Damage every kept file: each is compiled again, to the same bytes.
    const files = readdirSync(join(storeRoot, 'bytecode'), { recursive: true })
      .map(String)
      .filter((name) => /[0-9a-f]{64}$/.test(name))
    expect(files).toHaveLength(items.length)
    for (const name of files) {
      const path = join(storeRoot, 'bytecode', name)
      const bytes = readFileSync(path)
      bytes[bytes.length - 1]! ^= 0x55
      writeFileSync(path, bytes)
    }
    const repaired = await (await openCompiler('3.12', { storeRoot })).compile(items)
    expect(repaired.every((r) => r.prepared && r.origin === 'compiled')).toBe(true)
    expect(bytesOf(repaired)).toEqual(bytesOf(fresh))

    // Deploy mode on a shared runner: the kept files (whole again) are not read at all.
    const untrusted = await (
      await openCompiler('3.12', { storeRoot, readKept: false })
    ).compile(items)
    expect(untrusted.every((r) => r.prepared && r.origin === 'compiled')).toBe(true)
  })
})
