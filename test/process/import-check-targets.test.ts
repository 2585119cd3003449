// Issue 20, items 1 to 3 and 6: the import check runs for every runtime and both architectures
// through `node dist/index.js`, as GitHub runs it, with real interpreters: this machine's CPython
// 3.9 to 3.13 laid out as GitHub's hosted tool cache (and as the python input, a `python` uv
// finds, a download uv installs), and an arm64 CPython brought from Debian's archive, run under
// qemu with a sysroot of Lambda's libraries. Each handler proves which minor imported it.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { limitConcurrency } from '../helpers/limit.js'
import {
  bareInterpreterDir,
  hostedToolCache,
  localPythonDownload,
  MINORS,
  pyenvPython,
  pyenvVersion
} from '../helpers/pythons.js'
import { runAction, TOOLS_BIN } from '../helpers/run-action.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-targets-'))
const limit = limitConcurrency(2)
/** Every test's runner: GitHub's tool cache layout of pyenv's interpreters. */
const runnerToolCache = hostedToolCache(join(work, 'hosted'))

/**
 * A runner's PATH with no CPython on it (not pyenv's shims, not Debian's python3): uv alone. The
 * resolver's host Python comes from PYTHON. The arm64 builds add the system's folders (apt-get,
 * dpkg-deb and what they run), which hold no CPython of those runtimes for aarch64 anyway.
 */
const bin = join(work, 'bin')
mkdirSync(bin)
symlinkSync(join(TOOLS_BIN, 'uv'), join(bin, 'uv'))
const baseEnv = { PATH: bin, PYTHON: pyenvPython('3.11'), RUNNER_TOOL_CACHE: runnerToolCache }
const systemPath = `${bin}:/usr/bin:/bin`

interface Report {
  architectures: {
    architecture: string
    importCheck: { status: string; interpreter?: string; reason?: string }
  }[]
}

/** A handler in a package that fails to import unless its own minor imports it. */
function handlerSource(minor: string, body = ''): string {
  const source = mkdtempSync(join(work, 'src-'))
  mkdirSync(join(source, 'service'))
  writeFileSync(join(source, 'service', '__init__.py'), '')
  writeFileSync(
    join(source, 'service', 'app.py'),
    [
      'import sys',
      `if sys.version_info[:2] != (${minor.replace('.', ', ')}):`,
      `    raise RuntimeError('imported by %d.%d, not ${minor}' % sys.version_info[:2])`,
      body,
      '',
      'def handler(event, context):',
      '    return {"ok": True}',
      ''
    ].join('\n')
  )
  return source
}

async function build(
  source: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  shareKeptPythons = true
) {
  const outputDir = join(mkdtempSync(join(work, 'out-')), 'out')
  const run = await limit(() =>
    runAction({
      inputs: {
        mode: 'build',
        source,
        handler: 'service/app.handler',
        'output-dir': outputDir,
        ...inputs
      },
      env: { ...baseEnv, ...env },
      shareKeptPythons
    })
  )
  const report = (() => {
    try {
      return JSON.parse(readFileSync(join(outputDir, 'report.json'), 'utf8')) as Report
    } catch {
      return undefined
    }
  })()
  return { run, report, log: run.stdout + run.stderr }
}

/** `except*` (PEP 654) is a SyntaxError before 3.11. */
const EXCEPT_STAR = [
  'def split(errors):',
  '    try:',
  '        raise ExceptionGroup("batch", errors)',
  '    except* ValueError:',
  '        found = "values"',
  '    return found'
].join('\n')

describe('the import check for every runtime on x86_64, from the hosted tool cache', () => {
  it.each(MINORS)(
    'python%s: the runtime minor imports the handler, and except* needs 3.11',
    async (minor) => {
      const plain = await build(handlerSource(minor), {
        runtime: `python${minor}`,
        architectures: 'x86_64'
      })
      expect(plain.run.code, plain.log).toBe(0)
      const check = plain.report?.architectures[0]?.importCheck
      const python = join(runnerToolCache, 'Python', pyenvVersion(minor), 'x64', 'bin', 'python3')
      expect(check).toEqual({
        status: 'passed',
        interpreter: `CPython ${pyenvVersion(minor)} (hosted tool cache: ${python})`
      })
      expect(plain.log).toContain(`x86_64: import check passed with `)

      const star = await build(handlerSource(minor, EXCEPT_STAR), {
        runtime: `python${minor}`,
        architectures: 'x86_64'
      })
      if (minor === '3.9' || minor === '3.10') {
        expect(star.run.code, star.log).toBe(1)
        expect(star.run.errors.join('\n')).toMatch(
          new RegExp(
            `service/app\\.py, line \\d+, is not valid Python ${minor.replace('.', '\\.')} \\(SyntaxError: invalid syntax\\); on Lambda this is Runtime\\.UserCodeSyntaxError`
          )
        )
      } else {
        expect(star.run.code, star.log).toBe(0)
      }
    }
  )
})

describe('other places to find the runtime CPython', () => {
  it('uses the interpreter the python input names, before any other, and fails naming the input when it is another minor', async () => {
    const python = pyenvPython('3.12')
    const named = await build(handlerSource('3.12'), {
      runtime: 'python3.12',
      architectures: 'x86_64',
      python
    })
    expect(named.run.code, named.log).toBe(0)
    expect(named.report?.architectures[0]?.importCheck).toEqual({
      status: 'passed',
      interpreter: `CPython ${pyenvVersion('3.12')} (the python input: ${python})`
    })

    const wrong = await build(handlerSource('3.12'), {
      runtime: 'python3.12',
      architectures: 'x86_64',
      python: pyenvPython('3.13')
    })
    expect(wrong.run.code).toBe(1)
    expect(wrong.run.errors.join('\n')).toMatch(
      new RegExp(
        `^python: .*python3\\.13 is CPython ${pyenvVersion('3.13').replace(/\./g, '\\.')}, not 3\\.12`
      )
    )
  })

  it('finds a python that only uv knows of (not python3.X on PATH, not in the tool cache)', async () => {
    const bare = bareInterpreterDir(join(work, 'bare-3.13'), '3.13')
    const run = await build(
      handlerSource('3.13'),
      { runtime: 'python3.13', architectures: 'x86_64' },
      { PATH: bare, RUNNER_TOOL_CACHE: join(work, 'empty-tool-cache') }
    )
    expect(run.run.code, run.log).toBe(0)
    expect(run.report?.architectures[0]?.importCheck).toEqual({
      status: 'passed',
      interpreter: `CPython ${pyenvVersion('3.13')} (found by uv: ${join(bare, 'python')})`
    })
  })

  it('installs the runtime CPython with uv into the tool cache, keeps it, and verifies it on the next build', async () => {
    const { downloadsJson, version } = localPythonDownload('3.12')
    const toolCache = join(work, 'uv-install-tool-cache')
    const env = {
      PATH: TOOLS_BIN,
      RUNNER_TOOL_CACHE: toolCache,
      UV_PYTHON_DOWNLOADS_JSON_URL: downloadsJson
    }
    const inputs = { runtime: 'python3.12', architectures: 'x86_64' }
    // Its own tool cache: nothing kept from other tests, and nothing left to them.
    const first = await build(handlerSource('3.12'), inputs, env, false)
    expect(first.run.code, first.log).toBe(0)
    const interpreter = `CPython ${version} (installed by uv (cpython-3.12-linux-x86_64-gnu) into the tool cache)`
    expect(first.report?.architectures[0]?.importCheck).toEqual({ status: 'passed', interpreter })
    expect(first.log).toMatch(
      /uv python install cpython-3\.12-linux-x86_64-gnu: CPython 3\.12\.\d+ in /
    )

    const second = await build(handlerSource('3.12'), inputs, env, false)
    expect(second.run.code, second.log).toBe(0)
    expect(second.report?.architectures[0]?.importCheck).toEqual({ status: 'passed', interpreter })
    expect(second.log, second.log).not.toMatch(/uv python install/)
  })

  it('a run that could not bring uv does not stop the next run, which has uv, from installing', async () => {
    const { downloadsJson, version } = localPythonDownload('3.12')
    const inputs = { runtime: 'python3.12', architectures: 'x86_64' }
    const shared = {
      RUNNER_TOOL_CACHE: join(work, 'uv-missing-tool-cache'),
      UV_PYTHON_DOWNLOADS_JSON_URL: downloadsJson
    }
    const noUv = mkdtempSync(join(work, 'no-uv-'))
    const without = await build(
      handlerSource('3.12'),
      inputs,
      {
        ...shared,
        PATH: noUv,
        // Only a dead index: pip cannot fetch the pinned uv.
        PIP_CONFIG_FILE: '/dev/null',
        PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
        PIP_RETRIES: '0'
      },
      false
    )
    expect(without.run.code, without.log).toBe(0)
    const skipped = without.report?.architectures[0]?.importCheck
    expect(skipped?.status).toBe('skipped')
    expect(skipped?.reason).toContain(
      'could not be fetched with pip from http://127.0.0.1:9/simple'
    )

    const withUv = await build(handlerSource('3.12'), inputs, { ...shared, PATH: TOOLS_BIN }, false)
    expect(withUv.run.code, withUv.log).toBe(0)
    expect(withUv.report?.architectures[0]?.importCheck).toEqual({
      status: 'passed',
      interpreter: `CPython ${version} (installed by uv (cpython-3.12-linux-x86_64-gnu) into the tool cache)`
    })
  })

  it('says why no interpreter checked a target, in the log and report.json, and still builds', async () => {
    const run = await build(
      handlerSource('3.12'),
      { runtime: 'python3.12', architectures: 'x86_64' },
      {
        RUNNER_TOOL_CACHE: join(work, 'no-pythons'),
        PATH: TOOLS_BIN,
        UV_PYTHON_INSTALL_MIRROR: `file://${join(work, 'no-mirror')}`
      },
      false
    )
    expect(run.run.code, run.log).toBe(0)
    const check = run.report?.architectures[0]?.importCheck
    expect(check?.status).toBe('skipped')
    expect(check?.reason).toMatch(
      /^no CPython 3\.12 for x86_64: no python3\.12 on PATH \(python3 is CPython 3\.11\.\d+, not 3\.12\); no Python 3\.12 in the hosted tool cache/
    )
    expect(check?.reason).toMatch(/uv python install cpython-3\.12-linux-x86_64-gnu/)
    expect(check?.reason).toMatch(
      /put Python 3\.12 on PATH \(actions\/setup-python\) or name one with the python input$/
    )
    expect(run.log).toContain(
      `x86_64: the import check did not run, so nothing proves this package loads on Lambda: ${check?.reason}`
    )
  })
})

describe('arm64 under qemu, with a sysroot of what Lambda provides', () => {
  const arm64 = { runtime: 'python3.11', architectures: 'arm64' }
  const env = { PATH: systemPath }

  it('imports numpy (a real aarch64 wheel) with CPython 3.11 for aarch64', async () => {
    const source = handlerSource(
      '3.11',
      [
        'import platform',
        'import numpy',
        "assert platform.machine() == 'aarch64', platform.machine()",
        'TOTAL = int(numpy.arange(10).sum())'
      ].join('\n')
    )
    writeFileSync(join(source, 'requirements.txt'), 'numpy==2.2.6\n')
    const run = await build(source, arm64, env)
    expect(run.run.code, run.log).toBe(0)
    const check = run.report?.architectures[0]?.importCheck
    expect(check?.status).toBe('passed')
    expect(check?.interpreter).toMatch(
      /^CPython 3\.11\.\d+ for aarch64 \(Debian bookworm python3\.11 \S+\) under qemu-aarch64 \S+ \(Debian \w+\), -cpu neoverse-n1, with a sysroot of Lambda's libraries and the interpreter's own$/
    )
  })

  it('fails a handler with 3.12-only syntax, as Lambda would', async () => {
    const run = await build(handlerSource('3.11', 'type Point = tuple[float, float]'), arm64, env)
    expect(run.run.code, run.log).toBe(1)
    expect(run.run.errors.join('\n')).toMatch(
      /service\/app\.py, line 4, is not valid Python 3\.11 \(SyntaxError: invalid syntax\); on Lambda this is Runtime\.UserCodeSyntaxError/
    )
  })

  it('says why python3.12 for arm64 is not checked here: no download, and no python3.12 in Debian', async () => {
    const run = await build(
      handlerSource('3.12'),
      { runtime: 'python3.12', architectures: 'arm64' },
      env
    )
    expect(run.run.code, run.log).toBe(0)
    const check = run.report?.architectures[0]?.importCheck
    expect(check?.status).toBe('skipped')
    expect(check?.reason).toMatch(/uv python install cpython-3\.12-linux-aarch64-gnu/)
    expect(check?.reason).toMatch(
      /Debian's archive has no python3\.12 \(it has 3\.9 \(bullseye\), 3\.11 \(bookworm\), 3\.13 \(trixie\), 3\.14 \(forky\)\)/
    )
  })

  it('says once that apt is missing and continues, the arm64 target reported unchecked', async () => {
    const run = await build(
      handlerSource('3.11'),
      { runtime: 'python3.11', architectures: 'arm64,x86_64' },
      { RUNNER_TOOL_CACHE: hostedToolCache(join(work, 'hosted-no-apt'), ['3.11']) },
      false
    )
    expect(run.run.code, run.log).toBe(0)
    const byArch = Object.fromEntries(
      run.report!.architectures.map((a) => [a.architecture, a.importCheck])
    )
    expect(byArch.x86_64?.status).toBe('passed')
    expect(byArch.arm64?.status).toBe('skipped')
    expect(byArch.arm64?.reason).toMatch(/apt-get is not on this runner's PATH/)
  })
})
