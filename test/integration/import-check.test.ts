// The import check with a real interpreter of this machine's CPython, on zips laid out as the
// build writes them (function at the root, layer under python/).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runImportCheck, splitHandler } from '../../src/packaging/verify/import-check.js'
import { hostArchitecture } from '../../src/packaging/tools/interpreters.js'
import { sharedStoreRoot } from '../helpers/pythons.js'
import { runtimeFacts } from '../../src/lambda-facts.js'
import type { PackageFile } from '../../src/types.js'

const hostMinor = execFileSync('python3', [
  '-c',
  'import sys; print("%d.%d" % sys.version_info[:2])'
])
  .toString()
  .trim()
const runtime = runtimeFacts(`python${hostMinor}`)!
const host = hostArchitecture()!
const dir = mkdtempSync(join(tmpdir(), 'lpd-import-check-'))
/** What the action brings (the arm64 CPython, qemu) is kept for every test under .tools/. */
const toolCache = sharedStoreRoot(dir)

/** A zip made with Python's zipfile from {name: content}. */
function zipOf(name: string, files: Record<string, string>): PackageFile {
  const path = join(dir, name)
  execFileSync('python3', [
    '-c',
    'import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n    [z.writestr(k, v) for k, v in json.loads(sys.argv[2]).items()]',
    path,
    JSON.stringify(files)
  ])
  return { path, size: 0, unzippedSize: 0, codeSha256: '' }
}

const check = (
  files: Record<string, string>,
  handler = 'app.handler',
  layer?: Record<string, string>
) =>
  runImportCheck({
    toolCache,
    handler,
    enabled: true,
    runtime,
    architecture: host,
    packages: {
      function: zipOf(`f-${Math.random()}.zip`, files),
      ...(layer ? { layer: zipOf(`l-${Math.random()}.zip`, layer) } : {})
    }
  })

describe('import check', () => {
  it('passes when the handler imports what the package holds, naming the interpreter and what loaded', async () => {
    const result = await check({
      'app.py': 'import helper\ndef handler(e, c): return helper.X',
      'helper.py': 'X = 1',
      'unused.py': 'Y = 2'
    })
    expect(result.check).toEqual({
      status: 'passed',
      interpreter: expect.stringMatching(new RegExp(`^CPython ${hostMinor}\\.\\d+`))
    })
    expect(result.loadedFiles).toEqual({ function: ['app.py', 'helper.py'], layer: [] })
  })

  it('finds dependencies in the layer under python/', async () => {
    const result = await check(
      { 'app.py': 'import dep\ndef handler(e, c): return dep.X' },
      'app.handler',
      { 'python/dep/__init__.py': 'X = 2', 'python/other/__init__.py': '' }
    )
    expect(result.check.status).toBe('passed')
    expect(result.loadedFiles).toEqual({ function: ['app.py'], layer: ['python/dep/__init__.py'] })
  })

  it('fails like Runtime.ImportModuleError when a dependency is missing from the package', async () => {
    // pip itself is on the host but not in the package: the check must not see the host's.
    await expect(check({ 'app.py': 'import pip\ndef handler(e, c): pass' })).rejects.toThrow(
      /Runtime\.ImportModuleError[\s\S]*No module named 'pip'/
    )
  })

  it('says the package is unreadable, not a missing distribution, when it does not extract', async () => {
    const broken = zipOf(`broken-${Math.random()}.zip`, { 'app.py': 'def handler(e, c): pass' })
    const bytes = readFileSync(broken.path)
    bytes.fill(0xff, 30 + 'app.py'.length, 30 + 'app.py'.length + 8) // stored data: CRC fails
    writeFileSync(broken.path, bytes)
    const result = runImportCheck({
      toolCache,
      handler: 'app.handler',
      enabled: true,
      runtime,
      architecture: host,
      packages: { function: broken }
    })
    await expect(result).rejects.toThrow(/the x86_64 package does not extract/)
    await expect(result).rejects.toThrow(/fails its size or CRC-32 check/)
    await expect(result).rejects.not.toThrow(/Add the missing distribution/)
  })

  it('fails when the handler function is missing', async () => {
    await expect(check({ 'app.py': 'def other(e, c): pass' })).rejects.toThrow(
      /has no function 'handler'/
    )
  })

  it('lets boto3, which Lambda provides, come from the host when the host has it', async () => {
    let hostHasBoto3 = true
    try {
      execFileSync('python3', ['-c', 'import boto3'])
    } catch {
      hostHasBoto3 = false
    }
    const result = check({ 'app.py': 'import boto3\ndef handler(e, c): pass' })
    if (hostHasBoto3) await expect(result).resolves.toMatchObject({ check: { status: 'passed' } })
    else await expect(result).rejects.toThrow(/No module named 'boto3'/)
  })

  it('imports handlers in folders (pkg/app.handler)', async () => {
    await expect(
      check({ 'pkg/__init__.py': '', 'pkg/app.py': 'def handler(e, c): pass' }, 'pkg/app.handler')
    ).resolves.toMatchObject({ check: { status: 'passed' } })
  })

  it.each([
    [
      'another Python minor',
      { runtime: runtimeFacts(hostMinor === '3.14' ? 'python3.9' : 'python3.14')! },
      /^no CPython 3\.\d+ for \w+: no python3\.\d+ on PATH/
    ],
    ['no handler', { handler: undefined }, /no handler given/],
    ['import-check false', { enabled: false }, /import-check is false/]
  ])('is skipped, saying why, for %s', async (_, change, reason) => {
    const result = await runImportCheck({
      toolCache,
      handler: 'app.handler',
      enabled: true,
      runtime,
      architecture: host,
      packages: { function: zipOf(`s-${Math.random()}.zip`, { 'app.py': 'import nothing_here' }) },
      ...change
    })
    expect(result.check.status).toBe('skipped')
    expect(result.check.reason).toMatch(reason)
    expect(result.loadedFiles).toEqual({ function: [], layer: [] })
  })

  it.each([
    ['app.handler', 'app', 'handler'],
    ['pkg/app.handler', 'pkg.app', 'handler'],
    ['pkg.sub.mod.fn', 'pkg.sub.mod', 'fn']
  ])('splits %s', (handler, module, fn) => {
    expect(splitHandler(handler)).toEqual({ module, function: fn })
  })
})
