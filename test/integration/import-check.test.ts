// The import check with a real interpreter of this machine's CPython, on zips laid out as the
// build writes them (function at the root, layer under python/), with Lambda's boto3 fetched
// from PyPI by the runner's pip into a tool cache of the test's own.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { splitHandler } from '../../src/packaging/verify/handler-import.js'
import { runImportCheck } from '../../src/packaging/verify/import-check.js'
import {
  PLACEHOLDER_CREDENTIALS,
  type FunctionEnvironment
} from '../../src/packaging/verify/import-environment.js'
import { hostArchitecture } from '../../src/packaging/tools/interpreters.js'
import { sharedStoreRoot } from '../helpers/pythons.js'
import { runtimeFacts, runtimeProvidedVersions } from '../../src/lambda-facts.js'
import type { PackageFile } from '../../src/types.js'
import { writeNativeWheel } from '../helpers/wheels.js'

const hostMinor = execFileSync('python3', [
  '-c',
  'import sys; print("%d.%d" % sys.version_info[:2])'
])
  .toString()
  .trim()
const runtime = runtimeFacts(`python${hostMinor}`)!
const host = hostArchitecture()!
const dir = mkdtempSync(join(tmpdir(), 'lpd-import-check-'))
/**
 * The test's tool cache: Lambda's boto3 wheels are fetched into it once; what the action brings
 * (the arm64 CPython, qemu) is kept for every test under .tools/.
 */
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
  layer?: Record<string, string>,
  fn?: FunctionEnvironment
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
    },
    ...(fn ? { function: fn } : {})
  })

/** What a function's configuration sets, as deploy mode reads it. */
const configured = (variables: Record<string, string>): FunctionEnvironment => ({
  functionName: 'orders-api',
  region: 'eu-west-1',
  memorySizeMb: 512,
  variables,
  variablesFrom: 'function-configuration'
})

/** A handler as people write them: in a package, boto3 client and a table name at import. */
const ORDERS = {
  'orders/__init__.py': '',
  'orders/handler.py': [
    'import os',
    'import boto3',
    '',
    "TABLE = os.environ['TABLE_NAME']",
    "s3 = boto3.client('s3')",
    '',
    'def handler(event, context):',
    "    return {'table': TABLE}",
    ''
  ].join('\n')
}

/** process.env changes of one test, undone after it. */
const saved: Record<string, string | undefined> = {}
function setEnv(changes: Record<string, string>): void {
  for (const [name, value] of Object.entries(changes)) {
    if (!(name in saved)) saved[name] = process.env[name]
    process.env[name] = value
  }
}
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
    delete saved[name]
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

  it.skipIf(host !== 'x86_64')(
    'counts an extension module as loaded even when its package takes it out of sys.modules (as cv2 does)',
    async () => {
      // A wheel's entries, laid out as a function zip, with a package that hides its native part.
      const wheel = writeNativeWheel(join(dir, 'native'), 'hider', '1.0')
      const path = join(dir, `hider-${Math.random()}.zip`)
      execFileSync('python3', [
        '-c',
        [
          'import sys, zipfile',
          'with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], "w") as out:',
          '    for info in src.infolist():',
          '        data = src.read(info)',
          '        if info.filename == "hider/__init__.py":',
          '            data = b"import sys\\nfrom . import _native\\nanswer = _native.answer\\ndel sys.modules[\'hider._native\']\\n"',
          '        out.writestr(info, data)',
          '    out.writestr("app.py", "import hider\\ndef handler(e, c): return hider.answer()\\n")'
        ].join('\n'),
        wheel,
        path
      ])
      const result = await runImportCheck({
        handler: 'app.handler',
        enabled: true,
        runtime,
        architecture: host,
        toolCache,
        packages: { function: { path, size: 0, unzippedSize: 0, codeSha256: '' } }
      })
      expect(result.check.status).toBe('passed')
      expect(result.loadedFiles.function).toEqual(
        expect.arrayContaining(['app.py', 'hider/__init__.py', 'hider/_native.abi3.so'])
      )
    }
  )

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

  it("imports boto3 from Lambda's copy on an interpreter without boto3, with Lambda's variables and none of the runner's secrets", async () => {
    // The runner's Python: a venv of this machine's CPython with pip alone (it fetches Lambda's
    // boto3), on PATH first as actions/setup-python would put it.
    const venv = join(dir, 'runner-venv')
    execFileSync('python3', ['-m', 'venv', venv])
    const python = join(venv, 'bin', `python${hostMinor}`)
    expect(() => execFileSync(python, ['-c', 'import boto3'], { stdio: 'pipe' })).toThrow(
      /No module named 'boto3'/
    )
    const planted = {
      GITHUB_TOKEN: 'ghs_PlantedRunnerToken0123456789',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'PlantedOidcRequestToken',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://planted.example/oidc',
      ACTIONS_RUNTIME_TOKEN: 'PlantedRuntimeToken',
      AWS_ACCESS_KEY_ID: 'AKIAPLANTEDRUNNERKEY',
      AWS_SECRET_ACCESS_KEY: 'PlantedRunnerSecretAccessKey',
      AWS_SESSION_TOKEN: 'PlantedRunnerSessionToken',
      'INPUT_GITHUB-TOKEN': 'ghs_PlantedInputToken'
    }
    setEnv({ ...planted, PATH: `${join(venv, 'bin')}${delimiter}${process.env.PATH ?? ''}` })
    const report = join(dir, `report-${Math.random()}.json`)
    const result = await check(
      {
        ...ORDERS,
        'orders/handler.py': [
          ORDERS['orders/handler.py'],
          'import json, sys',
          "with open(os.environ['REPORT_TO'], 'w') as out:",
          "    json.dump({'env': dict(os.environ), 'cwd': os.getcwd(), 'boto3': boto3.__version__,",
          "               'boto3_file': boto3.__file__, 'region': s3.meta.region_name,",
          "               'executable': sys.executable}, out)",
          ''
        ].join('\n')
      },
      'orders/handler.handler',
      undefined,
      configured({ TABLE_NAME: 'orders', REPORT_TO: report })
    )
    expect(result.check).toMatchObject({ status: 'passed' })
    expect(result.loadedFiles.function).toEqual(['orders/__init__.py', 'orders/handler.py'])
    const seen = JSON.parse(readFileSync(report, 'utf8')) as {
      env: Record<string, string>
      cwd: string
      boto3: string
      boto3_file: string
      region: string
      executable: string
    }
    expect(seen.executable.startsWith(venv)).toBe(true)
    // Lambda's boto3 (not this machine's, whatever it has), from the test's tool cache.
    expect(seen.boto3).toBe(runtimeProvidedVersions(runtime).boto3)
    expect(seen.boto3_file).toMatch(
      new RegExp(
        `/runtime/boto3-${seen.boto3.replaceAll('.', '\\.')}-py3-none-any/boto3/__init__\\.py$`
      )
    )
    expect(seen.region).toBe('eu-west-1')
    expect(seen.env).toMatchObject({
      ...PLACEHOLDER_CREDENTIALS,
      TABLE_NAME: 'orders',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'orders-api',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime.name}`,
      _HANDLER: 'orders/handler.handler',
      LAMBDA_TASK_ROOT: seen.cwd,
      TZ: ':UTC'
    })
    const leaked = Object.entries(seen.env).filter(
      ([name, value]) =>
        name.startsWith('GITHUB_') ||
        name.startsWith('ACTIONS_') ||
        name.startsWith('INPUT_') ||
        Object.values(planted).some((secret) => value.includes(secret))
    )
    expect(leaked).toEqual([])
  })

  it('names a variable the handler reads at import and nobody set, with both ways out', async () => {
    const failed = check(ORDERS, 'orders/handler.handler')
    await expect(failed).rejects.toThrow(
      /reads the environment variable TABLE_NAME when it is imported \(orders\/handler\.py, line 4\), and nothing set it/
    )
    await expect(failed).rejects.toThrow(/Set TABLE_NAME in the function's configuration/)
    await expect(failed).rejects.toThrow(/the import-env input \(a line TABLE_NAME=<value>\)/)
    await expect(failed).rejects.not.toThrow(/missing distribution/)
    await expect(
      check(ORDERS, 'orders/handler.handler', undefined, configured({ TABLE_NAME: 'orders' }))
    ).resolves.toMatchObject({ check: { status: 'passed' } })
  })

  it("keeps a variable's value out of the failure, even when the handler prints it", async () => {
    const secret = 'PlantedTableValue-7d1f'
    const failed = check(
      {
        ...ORDERS,
        'orders/handler.py': `${ORDERS['orders/handler.py']}\nprint(TABLE)\nraise ValueError('no such table: ' + TABLE)\n`
      },
      'orders/handler.handler',
      undefined,
      configured({ TABLE_NAME: secret })
    )
    await expect(failed).rejects.toThrow(/raised ValueError: no such table: \*\*\*/)
    await expect(failed).rejects.not.toThrow(secret)
  })

  it("says why Lambda's boto3 is missing when it cannot be fetched, instead of asking to package it", async () => {
    // pip with no configuration and no index: nothing to fetch from.
    setEnv({ PIP_CONFIG_FILE: '/dev/null', PIP_NO_INDEX: '1' })
    const failed = runImportCheck({
      handler: 'app.handler',
      enabled: true,
      runtime,
      architecture: host,
      toolCache: join(dir, `empty-tool-cache-${Math.random()}`),
      packages: {
        function: zipOf(`b-${Math.random()}.zip`, {
          'app.py': 'import boto3\ndef handler(e, c): pass'
        })
      }
    })
    await expect(failed).rejects.toThrow(
      /imports boto3 \(app\.py, line 1\), which Lambda's runtime provides, but the import check could not get Lambda's copy: pip could not fetch them/
    )
    await expect(failed).rejects.not.toThrow(/missing distribution/)
  })

  it("keeps Lambda's wheels in the tool cache and fetches a damaged one again", async () => {
    await check({ 'app.py': 'import six\ndef handler(e, c): pass' })
    const cached = join(toolCache, 'tools', 'runtime-provided')
    const six = join(cached, `six-${runtimeProvidedVersions(runtime).six}-py2.py3-none-any.whl`)
    expect(existsSync(six)).toBe(true)
    writeFileSync(six, 'planted')
    await expect(check({ 'app.py': 'import six\ndef handler(e, c): pass' })).resolves.toMatchObject(
      { check: { status: 'passed' } }
    )
    expect(readFileSync(six).subarray(0, 2).toString()).toBe('PK')
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
