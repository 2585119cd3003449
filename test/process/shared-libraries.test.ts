// The shared-library check end to end through `node dist/index.js`: real wheels from PyPI
// (opencv-python needs libGL.so.1, which Lambda lacks; the headless build and the everyday
// native wheels load), and a linux_x86_64 wheel compiled here with gcc, fetched from a
// find-links folder with allow-linux-wheels and held to the runtime's glibc.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TOOLS_BIN, runAction } from '../helpers/run-action.js'
import { writeNativeWheel } from '../helpers/wheels.js'

const toolCache = mkdtempSync(join(tmpdir(), 'lpd-libraries-store-'))

function source(requirements: string, handler: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lpd-libraries-src-'))
  writeFileSync(join(dir, 'requirements.txt'), requirements)
  writeFileSync(join(dir, 'app.py'), `${handler}\n\ndef handler(event, context):\n    return {}\n`)
  return dir
}

function build(
  dir: string,
  runtime: string,
  architectures: string,
  extra: Record<string, string> = {},
  env: Record<string, string> = {}
) {
  return runAction({
    inputs: {
      mode: 'build',
      source: dir,
      runtime,
      architectures,
      handler: 'app.handler',
      'output-dir': mkdtempSync(join(tmpdir(), 'lpd-libraries-out-')),
      ...extra
    },
    env: { RUNNER_TOOL_CACHE: toolCache, ...env }
  })
}

describe('node dist/index.js: shared libraries checked against Lambda', () => {
  it('fetches a linux_x86_64 wheel from find-links with allow-linux-wheels; GLIBC_2.34 fails python3.11 by name, builds for python3.12', async () => {
    const links = mkdtempSync(join(tmpdir(), 'lpd-linux-wheel-'))
    writeNativeWheel(links, 'lpd_glibc_probe', '1.0')
    const dir = source(
      `--no-index\n--find-links ${links}\nlpd_glibc_probe==1.0\n`,
      'import lpd_glibc_probe'
    )
    // pip here, uv below: an air-gapped `--no-index` runner has no uv to bring.
    const pip = { 'allow-linux-wheels': 'true', installer: 'pip' }
    const old = await build(dir, 'python3.11', 'x86_64', pip)
    expect(old.code, old.stdout).toBe(1)
    const message = old.errors.join('\n')
    expect(message).toMatch(
      /lpd_glibc_probe\/_native\.abi3\.so \(function\.zip\) needs GLIBC_2\.34/
    )
    expect(message).toMatch(/glibc 2\.26/)
    expect(message).toMatch(/public\.ecr\.aws\/sam\/build-python3\.11/)

    const current = await build(dir, 'python3.12', 'x86_64', pip)
    expect(current.code, current.stdout).toBe(0)
    expect(current.stdout).toMatch(
      /x86_64: shared libraries checked: 1 ELF file\(s\), 1 extension module\(s\)/
    )

    // uv resolves from the same folder (it admits linux_* under a manylinux platform) and pip
    // then fetches the pin with linux_x86_64 on its platform list.
    const withUv = await build(
      dir,
      'python3.11',
      'x86_64',
      { 'allow-linux-wheels': 'true', installer: 'uv' },
      { PATH: `${TOOLS_BIN}:${process.env.PATH ?? ''}` }
    )
    expect(withUv.stdout).toMatch(/uv pip compile/)
    expect(withUv.code, withUv.stdout).toBe(1)
    expect(withUv.errors.join('\n')).toMatch(
      /_native\.abi3\.so \(function\.zip\) needs GLIBC_2\.34/
    )

    // Without the opt-in the wheel is still refused before anything is built.
    const refused = await build(dir, 'python3.12', 'x86_64', { installer: 'pip' })
    expect(refused.code).toBe(1)
    expect(refused.errors.join('\n')).not.toMatch(/shared-library/)
  })

  it('fails opencv-python on both architectures naming libGL.so.1 and opencv-python-headless; the headless build passes', async () => {
    const desktop = await build(
      source('opencv-python==4.10.0.84\nnumpy==2.1.3\n', 'import cv2'),
      'python3.12',
      'arm64, x86_64'
    )
    expect(desktop.code, desktop.stdout).toBe(1)
    const message = desktop.errors.join('\n')
    for (const arch of ['arm64', 'x86_64']) {
      expect(message).toMatch(new RegExp(`in the ${arch} package would fail the import`))
    }
    expect(message).toMatch(/needs libGL\.so\.1/)
    expect(message).toMatch(/opencv-python-headless/)

    // Where the import check runs (python3.11 on this x86_64 machine, which has libGL), cv2's
    // extension module loads here, out of sys.modules as cv2 keeps it: the finding stays an error.
    const checked = await build(
      source('opencv-python==4.10.0.84\nnumpy==2.1.3\n', 'import cv2'),
      'python3.11',
      'x86_64'
    )
    expect(checked.code, checked.stdout).toBe(1)
    expect(checked.errors.join('\n')).toMatch(/needs libGL\.so\.1[\s\S]*opencv-python-headless/)

    const headless = await build(
      source('opencv-python-headless==4.10.0.84\nnumpy==2.1.3\n', 'import cv2'),
      'python3.12',
      'arm64, x86_64'
    )
    expect(headless.code, headless.stdout + headless.errors.join('\n')).toBe(0)
    expect(headless.stdout).not.toMatch(/::warning::.*needs lib/)
  })

  // numba deliberately leaves out libgomp and libtbb, which its optional threading layers need;
  // `import numba` and an @njit function load neither (numba falls back to its own workqueue).
  it.skipIf(process.arch !== 'x64')(
    'builds numba 0.60.0 for python3.11 with a warning about its OpenMP and TBB layers; a handler that loads one fails',
    async () => {
      const njit = [
        'from numba import njit',
        '',
        '@njit',
        'def total(values):',
        '    s = 0',
        '    for v in values:',
        '        s += v',
        '    return s'
      ].join('\n')
      const warm = await build(source('numba==0.60.0\n', njit), 'python3.11', 'x86_64')
      expect(warm.code, warm.stdout + warm.errors.join('\n')).toBe(0)
      expect(warm.stdout).toMatch(/x86_64: import check passed with CPython 3\.11\./)
      const warnings = warm.stdout.split('\n').filter((line) => line.startsWith('::warning::'))
      for (const [module, library] of [
        ['omppool', 'libgomp\\.so\\.1'],
        ['tbbpool', 'libtbb\\.so\\.12']
      ]) {
        expect(warnings.join('\n')).toMatch(
          new RegExp(
            `numba/np/ufunc/${module}\\.cpython-311-x86_64-linux-gnu\\.so \\(function\\.zip\\) needs ${library}.*only numba\\.np\\.ufunc\\.${module} loads it, and the handler's import did not load that module`
          )
        )
      }

      const loaded = await build(
        source('numba==0.60.0\n', `import numba.np.ufunc.omppool\n${njit}`),
        'python3.11',
        'x86_64'
      )
      expect(loaded.code, loaded.stdout).toBe(1)
      const message = loaded.errors.join('\n')
      expect(message).toMatch(
        /\d+ shared-library problem\(s\) in the x86_64 package would fail the import on Lambda \(python3\.11\)/
      )
      expect(message).toMatch(
        /numba\/np\/ufunc\/omppool\.cpython-311-x86_64-linux-gnu\.so \(function\.zip\) needs libgomp\.so\.1/
      )
    }
  )

  it.each(['python3.11', 'python3.12'])(
    'passes the everyday native wheels on %s, both architectures (no false positives)',
    async (runtime) => {
      const run = await build(
        source(
          'numpy\nscipy\npandas\npydantic-core\ncryptography\nlxml\n',
          'import numpy, scipy, pandas, pydantic_core, cryptography.hazmat.bindings._rust, lxml.etree'
        ),
        runtime,
        'arm64, x86_64'
      )
      expect(run.code, run.stdout + run.errors.join('\n')).toBe(0)
      for (const arch of ['arm64', 'x86_64']) {
        expect(run.stdout).toMatch(new RegExp(`${arch}: shared libraries checked: \\d+ ELF file`))
      }
      expect(run.stdout).not.toMatch(/::warning::.*needs (lib|GLIBC)/)
    }
  )
})
