// `mode: build` end to end through `node dist/index.js`, as GitHub runs it: real pip, real
// wheels from PyPI, the wheel store reused across runs, outputs and summary read back.
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, runAction } from '../helpers/run-action.js'

const example = join(ROOT, 'examples', 'hello')
const toolCache = mkdtempSync(join(tmpdir(), 'lpd-process-store-'))

function sha256Base64(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('base64')
}

describe('node dist/index.js, mode: build', () => {
  it('builds examples/ for both architectures, then rebuilds from the wheel store byte for byte', async () => {
    const inputs = {
      mode: 'build',
      source: example,
      runtime: 'python3.12',
      architectures: 'arm64, x86_64',
      handler: 'app.handler',
      installer: 'pip'
    }
    const first = await runAction({
      inputs: { ...inputs, 'output-dir': mkdtempSync(join(tmpdir(), 'lpd-out-')) },
      env: { RUNNER_TOOL_CACHE: toolCache }
    })
    expect(first.code, first.stdout + first.stderr).toBe(0)
    const packages = JSON.parse(first.outputs.packages!)
    expect(Object.keys(packages).sort()).toEqual(['arm64', 'x86_64'])
    for (const arch of ['arm64', 'x86_64']) {
      const fn = packages[arch].function
      expect(existsSync(fn.path)).toBe(true)
      expect(fn.codeSha256).toBe(sha256Base64(fn.path))
      expect(fn.size).toBe(readFileSync(fn.path).length)
      expect(fn.unzippedSize).toBeGreaterThan(fn.size)
    }
    expect(packages.arm64.function.codeSha256).not.toBe(packages.x86_64.function.codeSha256)
    expect(first.outputs['zip-path']).toBe(packages.arm64.function.path)
    expect(first.outputs['code-sha256']).toBe(packages.arm64.function.codeSha256)
    expect(first.outputs['cache-hit']).toBe('false')

    const second = await runAction({
      inputs: { ...inputs, 'output-dir': mkdtempSync(join(tmpdir(), 'lpd-out-')) },
      env: { RUNNER_TOOL_CACHE: toolCache }
    })
    expect(second.code, second.stdout + second.stderr).toBe(0)
    expect(second.outputs['cache-hit']).toBe('true')
    // A hit runs no resolver (test/integration/resolve.test.ts proves it with failing shims).
    expect(second.stdout).not.toMatch(/pip download/)
    expect(first.stdout).toMatch(/pip download/)
    const again = JSON.parse(second.outputs.packages!)
    expect(again.arm64.function.codeSha256).toBe(packages.arm64.function.codeSha256)
    expect(again.x86_64.function.codeSha256).toBe(packages.x86_64.function.codeSha256)
  })

  it('runs the import check when this machine matches the target, and fails like Lambda would', async () => {
    const source = mkdtempSync(join(tmpdir(), 'lpd-src-'))
    writeFileSync(
      join(source, 'app.py'),
      'import six\nimport yaml\n\ndef handler(event, context):\n    return {}\n'
    )
    writeFileSync(join(source, 'requirements.txt'), 'six==1.17.0\n')
    const run = await runAction({
      inputs: {
        mode: 'build',
        source,
        runtime: 'python3.11',
        architectures: 'x86_64',
        handler: 'app.handler',
        installer: 'pip'
      },
      env: { RUNNER_TOOL_CACHE: toolCache }
    })
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(/Runtime\.ImportModuleError/)
    expect(run.stdout).toMatch(/No module named 'yaml'/)
  })

  it.each([
    [{ mode: 'build', architectures: 'arm64' }, /^runtime: required with mode: build/],
    [
      { mode: 'build', runtime: 'python3.8', architectures: 'arm64' },
      /^runtime: 'python3\.8' is not/
    ],
    [
      { mode: 'build', runtime: 'python3.12', architectures: 'aarch64' },
      /^architectures: 'aarch64' .*Lambda calls it 'arm64'/
    ],
    [
      { mode: 'build', runtime: 'python3.12', architectures: 'arm64', 'max-size': 'big' },
      /^max-size: /
    ],
    [
      { mode: 'build', runtime: 'python3.12', architectures: 'arm64', requirements: 'nope.txt' },
      /^requirements: .*nope\.txt does not exist/
    ]
  ])('fails on bad input before any work: %j', async (inputs, message) => {
    const outputDir = join(mkdtempSync(join(tmpdir(), 'lpd-bad-')), 'out')
    const run = await runAction({ inputs: { source: example, 'output-dir': outputDir, ...inputs } })
    expect(run.code).toBe(1)
    expect(run.errors[0]).toMatch(message)
    expect(existsSync(outputDir)).toBe(false)
  })
})
