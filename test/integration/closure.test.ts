// The dependency-closure check on real wheels from PyPI, through `node dist/index.js`: sets that
// uv resolves for the target pass and say so; anyio built by pip on this Python 3.11 for
// python3.10 misses what anyio's own metadata asks for below 3.11, and the build fails naming
// it; real markers on platform_machine and extras decide per architecture.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { describe, it } from 'vitest'
import type { Architecture } from '../../src/lambda-facts.js'
import { checkClosure } from '../../src/packaging/verify/closure.js'
import { normalizeProjectName } from '../../src/packaging/pep/wheel-tags.js'
import { readPackageMetadata } from '../../src/packaging/verify/package-metadata.js'
import { runAction, TOOLS_BIN, type ActionRun } from '../helpers/run-action.js'
import { runtimeNamed } from '../helpers/runtimes.js'

// One wheel store for the file: a set built twice (once per installer) downloads once.
const toolCache = mkdtempSync(join(tmpdir(), 'lpd-closure-store-'))

interface Build {
  run: ActionRun
  packages: Record<string, { function: { path: string }; layer?: { path: string } }>
}

async function build(
  requirements: string,
  runtime: string,
  architectures: Architecture[],
  installer: 'uv' | 'pip',
  packageType: 'zip' | 'layer' = 'zip'
): Promise<Build> {
  const source = mkdtempSync(join(tmpdir(), 'lpd-closure-src-'))
  writeFileSync(join(source, 'app.py'), 'def handler(event, context):\n    return {}\n')
  writeFileSync(join(source, 'requirements.txt'), requirements)
  const run = await runAction({
    inputs: {
      mode: 'build',
      source,
      runtime,
      architectures: architectures.join(', '),
      installer,
      'package-type': packageType,
      'import-check': 'false',
      'output-dir': mkdtempSync(join(tmpdir(), 'lpd-closure-out-'))
    },
    // uv from the test tools, as setup-uv would put it on PATH.
    env: { RUNNER_TOOL_CACHE: toolCache, PATH: `${TOOLS_BIN}${delimiter}${process.env.PATH}` }
  })
  return { run, packages: run.code === 0 ? JSON.parse(run.outputs.packages ?? '{}') : {} }
}

function closureLines(run: ActionRun): string[] {
  return run.stdout.split('\n').filter((line) => /closure: /.test(line))
}

// Concurrent: the builds mostly wait on downloads, so they overlap well on a small runner.
describe.concurrent('dependency closure on real wheels', () => {
  it.for([
    {
      name: 'fastapi[standard] + mangum for python3.12 x86_64',
      requirements: 'fastapi[standard]==0.115.6\nmangum==0.19.0\n',
      runtime: 'python3.12',
      architectures: ['x86_64'] as Architecture[],
      // fastapi[standard] → uvicorn[standard] → uvloop: an extra named in another's metadata.
      includes: ['uvloop', 'httptools']
    },
    {
      name: 'anyio 4.6.2 for python3.10, resolved by uv for the target',
      requirements: 'anyio==4.6.2\n',
      runtime: 'python3.10',
      architectures: ['x86_64'] as Architecture[],
      includes: ['exceptiongroup', 'typing-extensions']
    },
    {
      name: 'pydantic, aiohttp and boto3-dependent libraries as a layer for python3.9 arm64',
      requirements:
        'pydantic==2.10.3\naiohttp==3.11.10\naws-xray-sdk==2.14.0\naws-lambda-powertools[tracer]==3.3.0\n',
      runtime: 'python3.9',
      architectures: ['arm64'] as Architecture[],
      packageType: 'layer' as const,
      // aiohttp asks for async-timeout below Python 3.11.
      includes: ['async-timeout', 'aws-xray-sdk', 'wrapt']
    }
  ])('passes $name, and says what it checked', async (set, { expect }) => {
    const { run, packages } = await build(
      set.requirements,
      set.runtime,
      set.architectures,
      'uv',
      set.packageType
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const lines = closureLines(run)
    expect(lines).toHaveLength(set.architectures.length)
    for (const line of lines) {
      expect(line).toMatch(/closure: \d+ distributions, all \d+ requirements met/)
    }
    for (const arch of set.architectures) {
      const zips = Object.values(packages[arch] ?? {}).map((zip) => zip.path)
      const names = (await readPackageMetadata(zips)).map((m) =>
        normalizeProjectName(/^Name: (.*)$/m.exec(m.text)?.[1] ?? '')
      )
      expect(names).toEqual(expect.arrayContaining(set.includes))
      expect(run.summary).toMatch(
        new RegExp(
          `Dependency closure on ${arch}: \\d+ distributions, all \\d+ requirements met for ${set.runtime}`
        )
      )
    }
  })

  it('fails anyio 4.6.2 built by pip on Python 3.11 for python3.10, naming exceptiongroup and its marker', async ({
    expect
  }) => {
    const { run } = await build('anyio==4.6.2\n', 'python3.10', ['x86_64'], 'pip')
    expect(run.code, run.stdout).toBe(1)
    const error = run.errors.join('\n')
    expect(error).toMatch(
      /anyio 4\.6\.2 requires exceptiongroup>=1\.0\.2 \(selected by marker python_version < "3\.11"\): not in the package/
    )
    expect(error).toMatch(
      /anyio 4\.6\.2 requires typing-extensions>=4\.1 \(selected by marker python_version < "3\.11"\)/
    )
    expect(error).toMatch(/python3\.10 x86_64/)
    expect(error).toMatch(/installer: auto or installer: uv/)
  })

  it('judges real platform_machine markers and extras from the packaged metadata', async ({
    expect
  }) => {
    const { run, packages } = await build(
      'sqlalchemy==2.0.36\nrequests[socks]==2.32.3\n',
      'python3.12',
      ['arm64'],
      'uv'
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const metadata = await readPackageMetadata([packages.arm64!.function.path])
    const names = metadata.map((m) => /^Name: (.*)$/m.exec(m.text)?.[1]?.toLowerCase())
    expect(names).toEqual(expect.arrayContaining(['sqlalchemy', 'greenlet', 'pysocks']))
    const target = { runtime: runtimeNamed('python3.12'), architecture: 'arm64' as const }
    const asked = [
      { project: 'requests', extras: ['socks'], marker: '', where: 'requirements.txt:2' }
    ]
    expect(checkClosure(metadata, asked, target).unmet).toEqual([])

    // The same metadata without greenlet and PySocks: sqlalchemy's marker selects greenlet on
    // aarch64 below 3.14, and requests' socks extra selects PySocks.
    const without = metadata.filter((m) => !/^Name: (greenlet|PySocks)$/im.test(m.text))
    const unmet = checkClosure(without, asked, target).unmet
    expect(unmet).toHaveLength(2)
    expect(unmet).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          requiredBy: 'SQLAlchemy 2.0.36',
          marker: expect.stringContaining('platform_machine == "aarch64"')
        }),
        expect.objectContaining({ requiredBy: 'requests 2.32.3', extra: 'socks' })
      ])
    )
    // For python3.14 sqlalchemy no longer asks for greenlet: only PySocks is missing.
    const on314 = checkClosure(without, asked, { ...target, runtime: runtimeNamed('python3.14') })
    expect(on314.unmet.map((u) => u.requiredBy)).toEqual(['requests 2.32.3'])
  })
})
