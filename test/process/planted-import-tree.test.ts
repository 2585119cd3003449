// The import check's kept tree (issue 18, item 5): on a self-hosted runner the wheel store's
// folder outlives the job, and any job on the runner can write it. A .pyc planted in the kept
// bytecode folder with the header of the tree's app.py (its mtime and size) is taken by the
// next check's CPython, so its code runs. Deploy
// mode never uses that tree: it unpacks into a private temporary folder, with no kept
// bytecode. Real CPython (this machine's python3, 3.11), `node dist/index.js`, moto for deploy.
import { execFileSync } from 'node:child_process'
import { dirname } from 'node:path'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostArchitecture } from '../../src/packaging/tools/interpreters.js'
import { treeName } from '../../src/packaging/verify/package-tree.js'
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'

const minor = execFileSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'])
  .toString()
  .trim()
const runtime = `python${minor}`
const architecture = hostArchitecture() as string
const HANDLER = 'def handler(event, context):\n    return 1\n'

let dir: string
let source: string
let toolCache: string
let moto: MotoServer

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    inputs: {
      source,
      handler: 'app.handler',
      'import-check': 'true',
      cache: 'false',
      comment: 'false',
      'output-dir': mkdtempSync(join(dir, 'out-')),
      ...inputs
    },
    env: { RUNNER_TOOL_CACHE: toolCache, ...env }
  })
}

/** The output-dir of a run, from its zip-path output (`<output-dir>/<arch>/function.zip`). */
function outputDir(run: ActionRun): string {
  return dirname(dirname(run.outputs['zip-path']!))
}

/**
 * Bytecode CPython will take for the kept tree's app.py: compiled from other code, with the
 * source's mtime and size in its header (what a timestamp .pyc is checked against).
 */
const PLANT_PYC = `
import importlib._bootstrap_external as ext, os, sys
source, pyc, marker = sys.argv[1:]
info = os.stat(source)
code = compile("import pathlib; pathlib.Path(%r).touch()\\ndef handler(e, c): return 1\\n" % marker, source, "exec")
os.makedirs(os.path.dirname(pyc), exist_ok=True)
with open(pyc, "wb") as f:
    f.write(ext._code_to_timestamp_pyc(code, int(info.st_mtime), info.st_size))
`

/** Plants app.py's bytecode in the kept tree's .pyc folder, as another job on the runner could. */
function plant(marker: string): void {
  const kept = join(
    toolCache,
    'lambda-python-deploy',
    'import-check',
    treeName([runtime, architecture, 'function'])
  )
  const source = join(kept, 'task', 'app.py')
  const pyc = join(
    kept,
    'pycache',
    source.slice(1, -'.py'.length) + `.cpython-${minor.replace('.', '')}.pyc`
  )
  expect(existsSync(pyc), pyc).toBe(true)
  execFileSync('python3', ['-c', PLANT_PYC, source, pyc, marker])
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lpd-planted-tree-'))
  source = join(dir, 'fn')
  toolCache = join(dir, 'tool-cache')
  execFileSync('mkdir', ['-p', source])
  writeFileSync(join(source, 'app.py'), HANDLER)
  moto = await startMoto()
  // A build that keeps the tree, as a pull-request job on the same runner would.
  const first = await run({ mode: 'build', runtime, architectures: architecture })
  expect(first.code, first.stdout + first.stderr).toBe(0)
  expect(first.stdout).not.toContain('import check skipped')
})

afterAll(async () => {
  await moto?.stop()
})

describe('a kept import-check tree planted by another job', () => {
  it('mode: deploy unpacks into a private folder: the planted code does not run', async () => {
    const marker = join(dir, 'ran-in-deploy')
    plant(marker)
    await moto.reset()
    await moto.createFunction({
      name: 'orders',
      runtime,
      architecture: architecture as 'arm64' | 'x86_64'
    })
    const deploy = await run({ 'function-name': 'orders' }, moto.env)
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0)
    // The check ran, on the real package, and passed.
    const report = JSON.parse(readFileSync(join(outputDir(deploy), 'report.json'), 'utf8'))
    expect(report.architectures[0].importCheck.status).toBe('passed')
    expect(existsSync(marker)).toBe(false)
  })

  it('mode: build still keeps the tree, and runs what was planted (SECURITY.md says so)', async () => {
    const marker = join(dir, 'ran-in-build')
    plant(marker)
    const build = await run({ mode: 'build', runtime, architectures: architecture })
    expect(build.code, build.stdout + build.stderr).toBe(0)
    expect(existsSync(marker)).toBe(true)
  })
})
