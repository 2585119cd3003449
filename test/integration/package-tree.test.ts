// The import check's kept tree: unpacked as Lambda unpacks the zip, rewritten only where the
// zip changed, and never holding a file the zip does not (so the check tests the package as
// built), on zips written by Python's zipfile.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runtimeFacts } from '../../src/lambda-facts.js'
import { runImportCheck } from '../../src/packaging/verify/import-check.js'
import { hostArchitecture } from '../../src/packaging/tools/interpreters.js'
import { syncPackageTree } from '../../src/packaging/verify/package-tree.js'

const dir = mkdtempSync(join(tmpdir(), 'lpd-tree-'))

/** A zip from {name: [content, mode]} written by Python's zipfile. */
function zipOf(files: Record<string, string | [string, number]>): string {
  const path = join(dir, `z-${Math.random()}.zip`)
  const spec = Object.fromEntries(
    Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? [v, 0o644] : v])
  )
  execFileSync('python3', [
    '-c',
    [
      'import json, sys, zipfile',
      'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
      '    for name, (text, mode) in json.loads(sys.argv[2]).items():',
      '        info = zipfile.ZipInfo(name)',
      '        info.external_attr = (0o100000 | mode) << 16',
      '        info.compress_type = zipfile.ZIP_DEFLATED',
      '        z.writestr(info, text)'
    ].join('\n'),
    path,
    JSON.stringify(spec)
  ])
  return path
}

describe('package tree', () => {
  it('keeps the files `keep` spares, and a later sync that wants them again writes nothing', async () => {
    const tree = join(dir, 'tree-keep')
    const pyc = '__pycache__/app.cpython-312.pyc'
    const withBytecode = zipOf({ 'app.py': 'X = 1', [pyc]: 'bytecode' })
    const without = zipOf({ 'app.py': 'X = 1' })
    expect(await syncPackageTree(withBytecode, tree)).toEqual({ written: 2, kept: 0, removed: 0 })
    const isPyc = (name: string) => name.endsWith('.pyc')
    expect(await syncPackageTree(without, tree, isPyc)).toEqual({ written: 0, kept: 1, removed: 0 })
    expect(readFileSync(join(tree, pyc), 'utf8')).toBe('bytecode')
    expect(await syncPackageTree(withBytecode, tree)).toEqual({ written: 0, kept: 2, removed: 0 })
    // Without `keep`, the zip alone decides.
    expect(await syncPackageTree(without, tree)).toEqual({ written: 0, kept: 1, removed: 1 })
    expect(existsSync(join(tree, pyc))).toBe(false)
  })

  it('unpacks every entry with its mode, then rewrites only what changed and drops what left', async () => {
    const tree = join(dir, 'tree-1')
    const first = zipOf({
      'app.py': 'import helper',
      'helper.py': 'X = 1',
      'gone/__init__.py': '',
      'bin/tool': ['#!/bin/sh\n', 0o755]
    })
    expect(await syncPackageTree(first, tree)).toEqual({ written: 4, kept: 0, removed: 0 })
    expect(readFileSync(join(tree, 'helper.py'), 'utf8')).toBe('X = 1')
    expect(statSync(join(tree, 'bin/tool')).mode & 0o777).toBe(0o755)
    expect(statSync(join(tree, 'app.py')).mode & 0o777).toBe(0o644)

    const second = zipOf({
      'app.py': 'import helper',
      'helper.py': 'X = 2',
      'bin/tool': ['#!/bin/sh\n', 0o755]
    })
    expect(await syncPackageTree(second, tree)).toEqual({ written: 1, kept: 2, removed: 1 })
    expect(readFileSync(join(tree, 'helper.py'), 'utf8')).toBe('X = 2')
    // An empty folder left behind would import as a namespace package: it goes too.
    expect(existsSync(join(tree, 'gone'))).toBe(false)
  })

  it('rewrites a file changed on disk since the last build, even at the same size', async () => {
    const tree = join(dir, 'tree-2')
    const zip = zipOf({ 'app.py': 'A = 1' })
    await syncPackageTree(zip, tree)
    writeFileSync(join(tree, 'app.py'), 'A = 9')
    expect(await syncPackageTree(zip, tree)).toMatchObject({ written: 1, kept: 0 })
    expect(readFileSync(join(tree, 'app.py'), 'utf8')).toBe('A = 1')
    // Extra files something wrote into the tree are removed.
    writeFileSync(join(tree, 'stray.py'), '')
    expect(await syncPackageTree(zip, tree)).toMatchObject({ removed: 1, kept: 1 })
  })

  it('refuses an entry that inflates past its declared size', async () => {
    const zip = zipOf({ 'big.py': 'x'.repeat(10_000) })
    const bytes = readFileSync(zip)
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    bytes.writeUInt32LE(100, central + 24)
    writeFileSync(zip, bytes)
    await expect(syncPackageTree(zip, join(dir, 'tree-3'))).rejects.toThrow(
      /big\.py (does not inflate|fails its size)/
    )
  })

  it('keeps the tree between import checks and still fails when the new package lost a module', async () => {
    const host = hostArchitecture()!
    const minor = execFileSync('python3', [
      '-c',
      'import sys; print("%d.%d" % sys.version_info[:2])'
    ])
      .toString()
      .trim()
    const check = (files: Record<string, string>) =>
      runImportCheck({
        handler: 'app.handler',
        enabled: true,
        runtime: runtimeFacts(`python${minor}`)!,
        architecture: host,
        treeRoot: join(dir, 'kept'),
        toolCache: join(dir, 'tool-cache'),
        packages: { function: { path: zipOf(files), size: 0, unzippedSize: 0, codeSha256: '' } }
      })
    await expect(
      check({ 'app.py': 'import helper\ndef handler(e, c): pass', 'helper.py': '' })
    ).resolves.toMatchObject({ check: { status: 'passed' } })
    await expect(check({ 'app.py': 'import helper\ndef handler(e, c): pass' })).rejects.toThrow(
      /No module named 'helper'/
    )
  })
})
