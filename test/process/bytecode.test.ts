// Bytecode (issue 16) end to end through `node dist/index.js`, as GitHub runs it: real wheels
// from PyPI, the runtime's own CPython (pyenv's, put on PATH), and proof with `python -I -B`
// that the .pyc files load, not only that they are there.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { BuildResult, BytecodeReport } from '../../src/types.js'
import {
  canMountAsLambda,
  loadProof,
  loadProofAsOnLambda,
  MAGIC_NUMBERS,
  pycHeaders
} from '../helpers/pyc-check.js'
import { pathWithPython, pyenvPython } from '../helpers/pythons.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'
import { zipEntries } from '../helpers/zip-contents.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-bytecode-'))
/** One wheel store for the tests that do not compare cold and warm builds. */
const sharedStore = join(work, 'store')

/** A handler as teams write them: in a package, boto3 and a module-level setting, own helpers. */
const SERVICE = {
  'service/__init__.py': '',
  'service/handler.py': [
    'import os',
    '',
    'import attr',
    'import boto3',
    '',
    'from service import format as fmt',
    '',
    "TABLE = os.environ.get('TABLE_NAME', 'orders')",
    "s3 = boto3.client('s3')",
    '',
    '',
    '@attr.define',
    'class Order:',
    '    id: str',
    '',
    '',
    'def handler(event, context):',
    "    return fmt.render(Order(id=event.get('id', '1')), TABLE)",
    ''
  ].join('\n'),
  'service/format.py': 'def render(order, table):\n    return f"{table}:{order.id}"\n',
  'service/admin.py': '# Imported by another entry point, never at init.\nSCHEMA = 1\n',
  'requirements.txt': 'boto3==1.35.99\nattrs==24.2.0\n'
}

function project(name: string, files: Record<string, string>): string {
  const source = join(work, name)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(source, file)), { recursive: true })
    writeFileSync(join(source, file), text)
  }
  return source
}

interface Built {
  run: ActionRun
  report: BuildResult
  outputDir: string
}

async function build(
  source: string,
  inputs: Record<string, string>,
  options: { pythonVersion?: string; store?: string } = {}
): Promise<Built> {
  const outputDir = mkdtempSync(join(work, 'out-'))
  const run = await runAction({
    inputs: {
      mode: 'build',
      source,
      architectures: 'x86_64',
      handler: 'service/handler.handler',
      cache: 'false',
      'output-dir': outputDir,
      ...inputs
    },
    env: {
      RUNNER_TOOL_CACHE: options.store ?? sharedStore,
      ...(options.pythonVersion ? { PATH: pathWithPython(options.pythonVersion) } : {})
    }
  })
  expect(run.code, run.stdout + run.stderr).toBe(0)
  const report = JSON.parse(readFileSync(join(outputDir, 'report.json'), 'utf8')) as BuildResult
  return { run, report, outputDir }
}

function bytecodeOf(built: Built, architecture = 'x86_64'): BytecodeReport {
  const arch = built.report.architectures.find((a) => a.architecture === architecture)
  if (!arch?.bytecode) throw new Error(`no bytecode report for ${architecture}`)
  return arch.bytecode
}

function zipOf(built: Built, architecture = 'x86_64', zip = 'function.zip'): string {
  return join(built.outputDir, architecture, zip)
}

function codeSha256(built: Built, architecture = 'x86_64'): string {
  const arch = built.report.architectures.find((a) => a.architecture === architecture)
  return arch!.packages.function.codeSha256
}

/** Extracts a zip with Python's zipfile (as Lambda's unzip would) into a new folder. */
function unzip(zip: string): string {
  const dir = mkdtempSync(join(work, 'unzipped-'))
  execFileSync('python3', [
    '-c',
    'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
    zip,
    dir
  ])
  return dir
}

function pythonFiles(zip: string): string[] {
  return zipEntries(zip).filter((name) => name.endsWith('.py'))
}

describe('bytecode, through node dist/index.js', () => {
  it.each(['3.9', '3.10', '3.11', '3.12', '3.13'])(
    'python%s: checked-hash .pyc files with the runtime’s magic number, beside their sources, loaded by python -I -B',
    async (version) => {
      const python = pyenvPython(version)
      const tag = `cpython-${version.replace('.', '')}`
      const built = await build(
        project(`runtime-${version}`, SERVICE),
        { runtime: `python${version}` },
        { pythonVersion: version }
      )
      const bytecode = bytecodeOf(built)
      expect(bytecode).toMatchObject({
        mode: 'imported',
        invalidation: 'checked-hash',
        interpreter: expect.stringContaining(`CPython ${version}.`)
      })
      expect(bytecode.files).toBeGreaterThan(0)
      const arch = built.report.architectures[0]!
      expect(arch.importCheck.status).toBe('passed')

      const dir = unzip(zipOf(built))
      const headers = pycHeaders(python, dir)
      expect(headers).toHaveLength(bytecode.files)
      for (const header of headers) {
        const source = header.pyc.replace(/__pycache__\/([^/]+)\.cpython-\d+\.pyc$/, '$1.py')
        expect(header, header.pyc).toEqual({
          pyc: expect.stringMatching(new RegExp(`__pycache__/[^/]+\\.${tag}\\.pyc$`)),
          magic: MAGIC_NUMBERS[version],
          flags: 0b11,
          sourceBeside: true,
          sourceHashMatches: true,
          filename: `/var/task/${source}`
        })
      }
      // The runtime's interpreter agrees on the magic number.
      expect(
        execFileSync(
          python,
          ['-c', 'import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())'],
          {
            encoding: 'utf8'
          }
        ).trim()
      ).toBe(MAGIC_NUMBERS[version])

      const proof = loadProof({ python, paths: [dir], module: 'service.handler', call: 'handler' })
      expect(proof.output).toBe("'orders:1'")
      expect(proof.loaded).toContain(join(dir, 'service', 'handler.py'))
      expect(proof.loaded).toContain(join(dir, 'boto3', '__init__.py'))
      // Every module the handler loaded came from its .pyc: none compiled at import.
      expect(proof.fromSource).toEqual([])
      const compiled = new Set(
        headers.map((h) =>
          join(dir, h.pyc.replace(/__pycache__\/([^/]+)\.cpython-\d+\.pyc$/, '$1.py'))
        )
      )
      for (const file of proof.loaded) expect(compiled, file).toContain(file)
      // The handler's own code is compiled even where the import did not load it.
      expect(compiled).toContain(join(dir, 'service', 'admin.py'))
      if (bytecode.compiled === 'imported') {
        // Sized to what runs: exactly the sources CPython compiles when the handler is imported
        // from the package without bytecode (failed imports included), and the handler's code.
        const bare = unzip(zipOf(built))
        rmSync(join(bare, '__pycache__'), { recursive: true, force: true })
        for (const header of headers) {
          rmSync(join(bare, dirname(header.pyc)), { recursive: true, force: true })
        }
        const atInit = loadProof({ python, paths: [bare], module: 'service.handler' }).fromSource
        const ours = (root: string, files: Iterable<string>) =>
          [...files]
            .map((file) => file.slice(root.length + 1))
            .filter((file) => !file.startsWith('service/'))
            .sort()
        expect(ours(dir, compiled)).toEqual(ours(bare, atInit))
        expect(bytecode.files).toBeLessThan(pythonFiles(zipOf(built)).length)
      } else {
        expect(bytecode.files).toBe(pythonFiles(zipOf(built)).length)
      }

      // checked-hash: a source edited after the build (Lambda's console editor) is compiled
      // again from the edit; the other .pyc files are still used.
      const edited = join(dir, 'service', 'format.py')
      const afterEdit = loadProof({
        python,
        paths: [dir],
        module: 'service.handler',
        call: 'handler',
        alter: { [edited]: '\n\ndef render(order, table):\n    return "edited"\n' }
      })
      expect(afterEdit.fromSource).toEqual([edited])
      expect(afterEdit.output).toBe("'edited'")
    }
  )

  it('an arm64 package built on this x86_64 runner carries bytecode; rebuilds give the same bytes, and a warm one compiles only what changed', async () => {
    const source = project('arm64', {
      ...SERVICE,
      'service/handler.py':
        'import attr\n\nfrom service import format as fmt\n\n\ndef handler(event, context):\n    return fmt.render(attr, "t")\n',
      'service/format.py': 'def render(order, table):\n    return table\n',
      'requirements.txt': 'attrs==24.2.0\n'
    })
    const store = join(work, 'arm64-store')
    const inputs = { runtime: 'python3.12', architectures: 'arm64' }
    const cold = await build(source, inputs, { pythonVersion: '3.12', store })
    const bytecode = bytecodeOf(cold, 'arm64')
    expect(bytecode.files).toBeGreaterThan(0)
    expect(bytecode.freshlyCompiled).toBe(bytecode.files)

    const dir = unzip(zipOf(cold, 'arm64'))
    const headers = pycHeaders(pyenvPython('3.12'), dir)
    expect(headers.length).toBe(bytecode.files)
    expect(headers.every((h) => h.magic === MAGIC_NUMBERS['3.12'] && h.flags === 3)).toBe(true)
    expect(headers.every((h) => h.sourceBeside && h.sourceHashMatches)).toBe(true)
    // Pure Python: this machine's CPython 3.12 imports it, from the .pyc files.
    const proof = loadProof({
      python: pyenvPython('3.12'),
      paths: [dir],
      module: 'service.handler',
      call: 'handler'
    })
    expect(proof.output).toBe("'t'")
    expect(proof.loaded).toContain(join(dir, 'attr', '__init__.py'))
    expect(proof.fromSource).toEqual([])

    // Warm: every .pyc comes from the kept results, and the zip is the same.
    const warm = await build(source, inputs, { pythonVersion: '3.12', store })
    expect(bytecodeOf(warm, 'arm64')).toMatchObject({ freshlyCompiled: 0, reused: bytecode.files })
    expect(codeSha256(warm, 'arm64')).toBe(codeSha256(cold, 'arm64'))
    // Cold again, on an empty store: compiled afresh, byte for byte the same.
    const elsewhere = await build(source, inputs, {
      pythonVersion: '3.12',
      store: join(work, 'arm64-store-2')
    })
    expect(bytecodeOf(elsewhere, 'arm64').freshlyCompiled).toBe(bytecode.files)
    expect(codeSha256(elsewhere, 'arm64')).toBe(codeSha256(cold, 'arm64'))

    // One source changed: one .pyc compiled, the rest kept.
    writeFileSync(
      join(source, 'service', 'format.py'),
      'def render(order, table):\n    return table * 2\n'
    )
    const changed = await build(source, inputs, { pythonVersion: '3.12', store })
    expect(bytecodeOf(changed, 'arm64')).toMatchObject({
      freshlyCompiled: 1,
      reused: bytecode.files - 1
    })
    expect(codeSha256(changed, 'arm64')).not.toBe(codeSha256(cold, 'arm64'))
  })

  it('a layer’s .pyc files sit under python/ and load from /opt/python; tracebacks name /var/task and /opt/python', async () => {
    const source = project('layer', {
      'service/__init__.py': '',
      'service/handler.py':
        'import attr\n\n\ndef handler(event, context):\n    return attr.fields(int)\n',
      'requirements.txt': 'attrs==24.2.0\n'
    })
    const built = await build(
      source,
      { runtime: 'python3.12', 'package-type': 'layer' },
      { pythonVersion: '3.12' }
    )
    expect(bytecodeOf(built).files).toBeGreaterThan(0)
    const python = pyenvPython('3.12')
    const task = unzip(zipOf(built))
    const opt = unzip(zipOf(built, 'x86_64', 'layer.zip'))
    const layerHeaders = pycHeaders(python, opt)
    expect(layerHeaders.map((h) => h.pyc)).toContain(
      'python/attr/__pycache__/__init__.cpython-312.pyc'
    )
    for (const header of layerHeaders) {
      expect(header.filename).toBe(
        `/opt/${header.pyc.replace(/__pycache__\/([^/]+)\.cpython-312\.pyc$/, '$1.py')}`
      )
      expect(header.sourceHashMatches).toBe(true)
    }
    expect(pycHeaders(python, task).map((h) => [h.pyc, h.filename])).toEqual([
      ['service/__pycache__/__init__.cpython-312.pyc', '/var/task/service/__init__.py'],
      ['service/__pycache__/handler.cpython-312.pyc', '/var/task/service/handler.py']
    ])

    const request = { python, module: 'service.handler', call: 'handler' }
    if (canMountAsLambda()) {
      const proof = loadProofAsOnLambda(request, task, opt)
      expect(proof.loaded).toContain('/opt/python/attr/__init__.py')
      expect(proof.loaded).toContain('/var/task/service/handler.py')
      expect(proof.fromSource).toEqual([])
      expect(proof.output).toMatch(/File "\/var\/task\/service\/handler\.py", line 5, in handler/)
      expect(proof.output).toMatch(/File "\/opt\/python\/attr\/_make\.py", line \d+, in fields/)
      expect(proof.output).toMatch(/NotAnAttrsClassError/)
    } else {
      // No mount namespace here: the same folders, at their own paths.
      const proof = loadProof({ ...request, paths: [task, join(opt, 'python')] })
      expect(proof.loaded).toContain(join(opt, 'python', 'attr', '__init__.py'))
      expect(proof.fromSource).toEqual([])
    }
  })

  it('never takes a package past max-unzipped-size: everything falls back to what the handler imports, then to none, and the summary says so', async () => {
    const source = project('limits', {
      'service/__init__.py': '',
      'service/handler.py':
        'from dateutil import parser\n\n\ndef handler(event, context):\n    return str(parser.parse("2024-01-02"))\n',
      'requirements.txt': 'python-dateutil==2.9.0.post0\n'
    })
    const build312 = (inputs: Record<string, string>) =>
      build(source, { runtime: 'python3.12', ...inputs }, { pythonVersion: '3.12' })
    const unzipped = (built: Built) => built.report.architectures[0]!.packages.function.unzippedSize
    const plain = unzipped(await build312({ bytecode: 'none' }))
    const everything = bytecodeOf(await build312({ bytecode: 'all' }))
    const imported = bytecodeOf(await build312({ bytecode: 'imported' }))
    expect(everything.compiled).toBe('all')
    expect(imported.compiled).toBe('imported')
    expect(imported.unzippedBytes).toBeLessThan(everything.unzippedBytes)

    const between = plain + Math.round((imported.unzippedBytes + everything.unzippedBytes) / 2)
    const fellBack = await build312({ bytecode: 'all', 'max-unzipped-size': String(between) })
    expect(bytecodeOf(fellBack)).toMatchObject({
      mode: 'all',
      compiled: 'imported',
      unzippedBytes: imported.unzippedBytes,
      reason: expect.stringMatching(
        /^bytecode for every module .*over max-unzipped-size of .*; shipped the modules the handler imports at init/
      )
    })
    expect(unzipped(fellBack)).toBeLessThanOrEqual(between)
    expect(fellBack.run.summary).toMatch(/Less than asked: bytecode for every module/)
    expect(fellBack.run.stdout).toMatch(/::warning::x86_64: bytecode: bytecode for every module/)

    const tight = plain + Math.round(imported.unzippedBytes / 2)
    const without = await build312({ bytecode: 'all', 'max-unzipped-size': String(tight) })
    expect(bytecodeOf(without)).toMatchObject({ compiled: 'none', files: 0 })
    expect(unzipped(without)).toBe(plain)
    expect(without.run.summary).toMatch(
      /No bytecode on x86_64: bytecode for every module .*; bytecode for the modules the handler imports at init .*; shipped without bytecode\./
    )
    expect(without.run.summary).toContain('✅ Size gate passed.')
  })

  it('with no CPython of the runtime’s minor, ships without bytecode and says why', async () => {
    const source = project('no-interpreter', {
      'service/__init__.py': '',
      'service/handler.py': 'import six\n\n\ndef handler(event, context):\n    return six.PY3\n',
      'requirements.txt': 'six==1.16.0\n'
    })
    // No CPython 3.14 on this machine (GUIDE), and uv cannot download one here.
    const built = await build(source, { runtime: 'python3.14' })
    expect(bytecodeOf(built)).toMatchObject({ compiled: 'none', files: 0 })
    expect(bytecodeOf(built).reason).toMatch(/Python 3\.14/)
    expect(built.run.summary).toMatch(/No bytecode on x86_64: .*Python 3\.14/)
    expect(built.run.stdout).toMatch(
      /::notice::No bytecode: .*Python 3\.14.*\. The packages ship without \.pyc files\./
    )
    expect(pythonFiles(zipOf(built))).toContain('service/handler.py')
  })

  it('shows the bytes bytecode adds and the handler’s import time with and without it', async () => {
    const source = project('summary', SERVICE)
    const built = await build(source, { runtime: 'python3.12' }, { pythonVersion: '3.12' })
    const bytecode = bytecodeOf(built)
    expect(bytecode.importTime?.withBytecodeMs).toBeGreaterThan(0)
    expect(bytecode.importTime?.withoutBytecodeMs).toBeGreaterThan(0)
    expect(built.run.summary).toMatch(
      /Bytecode on x86_64: [\d,]+ \.pyc files for (what the handler imports at init|every module) \(of [\d,]+ \.py\), \+[\d.]+ [kM]B unzipped, \+[\d.]+ [kM]B zipped, compiled by CPython 3\.12\.\d+ .*\. Handler import: [\d.]+ m?s without bytecode, [\d.]+ m?s with it/
    )
    expect(built.run.summary).toMatch(/\| {2}\| _bytecode \(\.pyc\)_ \| [\d.]+ [kM]B/)
    // The same packages again: the import is not timed twice; the numbers are the first build's.
    const again = await build(source, { runtime: 'python3.12' }, { pythonVersion: '3.12' })
    expect(bytecodeOf(again).importTime).toEqual(bytecode.importTime)
    expect(again.run.stdout).toContain('(measured by an earlier build of the same packages)')
  })
})

describe('the bytecode probe imports the handler as the import check does', () => {
  it('with Lambda’s boto3 and the import-env variables: a handler that needs both is timed, and its own code ships compiled', async () => {
    // boto3 is not in requirements (Lambda provides it), and the module fails at import without
    // TABLE_NAME: the probe must run where the check ran, not in a bare interpreter.
    const source = project('runtime-provided', {
      'service/__init__.py': '',
      'service/handler.py': [
        'import os',
        '',
        'import boto3',
        'import six',
        '',
        "TABLE = os.environ['TABLE_NAME']",
        "dynamodb = boto3.resource('dynamodb')",
        '',
        '',
        'def handler(event, context):',
        '    return {"table": TABLE, "py3": six.PY3}',
        ''
      ].join('\n'),
      'requirements.txt': 'six==1.16.0\n'
    })
    const built = await build(
      source,
      { runtime: 'python3.12', 'import-env': 'TABLE_NAME=orders' },
      { pythonVersion: '3.12' }
    )
    const arch = built.report.architectures[0]!
    expect(arch.importCheck.status).toBe('passed')
    const bytecode = bytecodeOf(built)
    expect(bytecode.importTimeNote).toBeUndefined()
    expect(bytecode.importTime?.withoutBytecodeMs).toBeGreaterThan(0)
    const names = zipEntries(zipOf(built))
    expect(names).toContain('service/__pycache__/handler.cpython-312.pyc')
    expect(names).toContain('__pycache__/six.cpython-312.pyc')
    // Lambda's boto3 is not shipped, nor its bytecode.
    expect(names.filter((name) => name.startsWith('boto3/'))).toEqual([])
  })
})
