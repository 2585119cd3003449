// `installer: auto` on a runner with no uv on PATH, through `node dist/index.js`: the action
// brings its pinned uv (fetched once with pip, checked, kept in the tool cache) and resolves
// for the target, so markers in dependencies' metadata and in the requirements file are
// evaluated for the runtime being built, not for this machine's Python 3.11.
import { mkdtempSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readZipEntries } from '../../src/packaging/zip-format.js'
import { PINNED_UV_VERSION, pinnedUvWheel } from '../../src/packaging/tools/uv-bootstrap.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'
import { writeWheel } from '../helpers/wheels.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-auto-'))
/** Shared by the runs that reuse the uv the first one brought. */
const toolCache = join(work, 'tool-cache')
const hostMachine = process.arch === 'arm64' ? 'aarch64' : 'x86_64'

/** This machine's PATH without any directory that holds a uv. */
const pathWithoutUv = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => {
    try {
      statSync(join(dir, 'uv'))
      return false
    } catch {
      return true
    }
  })
  .join(delimiter)

function source(name: string, requirements: string): string {
  const src = mkdtempSync(join(work, `${name}-src-`))
  writeFileSync(join(src, 'app.py'), 'def handler(event, context):\n    return {}\n')
  writeFileSync(join(src, 'requirements.txt'), requirements)
  return src
}

function build(
  src: string,
  runtime: string,
  architectures: string,
  env: Record<string, string | undefined> = {}
): Promise<ActionRun> {
  return runAction({
    inputs: {
      mode: 'build',
      source: src,
      runtime,
      architectures,
      cache: 'false',
      // Bytecode's interpreter lookup may bring uv too (to find a CPython); these builds are
      // about the bootstrap the resolve does.
      bytecode: 'none',
      'output-dir': mkdtempSync(join(work, 'out-'))
    },
    env: { PATH: pathWithoutUv, RUNNER_TOOL_CACHE: toolCache, ...env }
  })
}

/** Entry names of the function zip built for `architecture`. */
async function entries(run: ActionRun, architecture: string): Promise<string[]> {
  const packages = JSON.parse(run.outputs.packages ?? '{}')
  return (await readZipEntries(packages[architecture].function.path)).map((e) => e.name)
}

const dead = 'http://127.0.0.1:9/simple'

describe('installer: auto, no uv on PATH', () => {
  it('anyio==4.6.2 for python3.10 (this runner is 3.11) includes exceptiongroup and typing_extensions', async () => {
    const run = await build(source('anyio', 'anyio==4.6.2\n'), 'python3.10', 'x86_64')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain(`installer uv ${PINNED_UV_VERSION} brought by the action`)
    // The first run in this tool cache fetched uv with pip and checked it.
    expect(run.stdout).toContain(`fetched ${pinnedUvWheel(hostMachine).file} with pip from`)
    expect(run.stdout).toContain('sha256 checked')
    const names = await entries(run, 'x86_64')
    // anyio requires both below Python 3.11, in its own metadata.
    expect(names.some((n) => n.startsWith('exceptiongroup/'))).toBe(true)
    expect(names).toContain('typing_extensions.py')
    expect(names.some((n) => n.startsWith('anyio-4.6.2.dist-info/'))).toBe(true)
  })

  it("numpy pinned per python_version (lambda-builders' test data) picks 2.1.2 for python3.12, reusing the uv brought before", async () => {
    const requirements = [
      "numpy==1.24.4; python_version == '3.8'",
      "numpy==1.26.4; python_version == '3.9'",
      "numpy==1.26.4; python_version == '3.10'",
      "numpy==1.23.5; python_version == '3.11'",
      "numpy==2.1.2; python_version == '3.12'",
      "numpy==2.1.2; python_version == '3.13'",
      ''
    ].join('\n')
    const run = await build(source('numpy', requirements), 'python3.12', 'arm64')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const names = await entries(run, 'arm64')
    expect(names.some((n) => n.startsWith('numpy-2.1.2.dist-info/'))).toBe(true)
    expect(names.some((n) => n.startsWith('numpy-1.23.5'))).toBe(false)
    // pip's marker warning is for pip only: uv evaluated them for 3.12.
    expect(run.stdout).not.toContain('pypa/pip#11664')
    expect(run.stdout).toContain(`uv ${PINNED_UV_VERSION}: from the tool cache`)
    expect(run.stdout).not.toMatch(/fetched uv-.*with pip/)
  })

  it('a second run reuses the uv in the tool cache: offline, with PIP_INDEX_URL dead, it still builds', async () => {
    const wheels = join(work, 'local-wheels')
    writeWheel(wheels, { name: 'tinydep', version: '1.0', files: { 'tinydep.py': 'X = 1\n' } })
    const run = await build(
      source('offline', `--no-index\n--find-links ${wheels}\ntinydep==1.0\n`),
      'python3.12',
      'arm64',
      { PIP_INDEX_URL: dead, PIP_RETRIES: '0' }
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain(`uv ${PINNED_UV_VERSION}: from the tool cache`)
    expect(run.stdout).not.toMatch(/fetched uv-.*with pip/)
    expect(await entries(run, 'arm64')).toContain('tinydep.py')
  })

  it('a uv wheel that fails the pinned sha256 is refused, naming the index and the way out', async () => {
    const links = join(work, 'fake-uv')
    const fake = writeWheel(links, { name: 'uv', version: PINNED_UV_VERSION, files: {} })
    // Under the pinned file's name, so pip takes it for the real one.
    renameSync(fake, join(links, pinnedUvWheel(hostMachine).file))
    writeWheel(links, { name: 'tinydep', version: '1.0', files: { 'tinydep.py': '' } })
    const run = await build(
      source('fake', `--no-index\n--find-links ${links}\ntinydep==1.0\n`),
      'python3.12',
      'arm64',
      { RUNNER_TOOL_CACHE: join(work, 'fresh-tool-cache-1') }
    )
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    const [error] = run.errors
    expect(error).toContain(links)
    expect(error).toContain(pinnedUvWheel(hostMachine).sha256)
    expect(error).toContain('astral-sh/setup-uv')
    // pip resolves for the runner's Python, not the target's: never advised here.
    expect(error).not.toContain('installer: pip')
  })

  it('an index that cannot be reached fails naming it (credentials masked) and the way out', async () => {
    const run = await build(source('unreachable', 'six==1.17.0\n'), 'python3.12', 'arm64', {
      RUNNER_TOOL_CACHE: join(work, 'fresh-tool-cache-2'),
      // Only the dead index: no pip.conf extras, no find-links from this machine's setup.
      PIP_CONFIG_FILE: '/dev/null',
      PIP_FIND_LINKS: undefined,
      PIP_INDEX_URL: 'http://someone:hunter2@127.0.0.1:9/simple',
      PIP_RETRIES: '0'
    })
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    const [error] = run.errors
    expect(error).toContain(`uv ${PINNED_UV_VERSION} could not be fetched with pip from`)
    expect(error).toContain(`put ${pinnedUvWheel(hostMachine).file} in a --find-links folder`)
    expect(error).toContain('http://***@127.0.0.1:9/simple')
    expect(error).toContain('astral-sh/setup-uv')
    // pip resolves for the runner's Python, not the target's: never advised here.
    expect(error).not.toContain('installer: pip')
    // Only the mask commands that tell the runner to hide it name it.
    const log = (run.stdout + run.stderr).split('\n').filter((l) => !l.startsWith('::add-mask::'))
    expect(log.join('\n')).not.toContain('hunter2')
  })
})
