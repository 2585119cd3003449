// The import check as Lambda's init phase, through `node dist/index.js`: a handler as people
// write them (a package, boto3 client and a table name read at import) on a runner whose
// Python has no boto3 anyway in the check's eyes. In build mode the table name comes from the
// import-env input; in deploy mode from the function's own configuration, read from a real moto,
// and its value never shows anywhere: stdout (but for the ::add-mask:: command the runner turns
// into a mask), stderr, outputs, summary, or any file the run wrote.
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { findLeaks, isMasked } from '../helpers/leaks.js'
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-import-env-'))
/** One tool cache for every run here: Lambda's boto3 wheels are fetched once. */
const toolCache = join(work, 'tool-cache')

const TABLE = 'PlantedOrdersTable-5c2e9'

/** `orders/handler.handler`: prints the table at import, as handlers do when they log. */
function ordersSource(): string {
  const dir = mkdtempSync(join(work, 'src-'))
  mkdirSync(join(dir, 'orders'))
  writeFileSync(join(dir, 'orders', '__init__.py'), '')
  writeFileSync(
    join(dir, 'orders', 'handler.py'),
    [
      'import os',
      'import boto3',
      '',
      "TABLE = os.environ['TABLE_NAME']",
      "s3 = boto3.client('s3')",
      "print('using table', TABLE)",
      '',
      'def handler(event, context):',
      "    return {'table': TABLE}",
      ''
    ].join('\n')
  )
  return dir
}

/** Every file below `dir`, as text. */
function filesBelow(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {}
  const found: Record<string, string> = {}
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name)
      found[path] = readFileSync(path, 'latin1')
    }
  }
  return found
}

function leaks(run: ActionRun, outputDir: string): string[] {
  return findLeaks(
    {
      stdout: run.stdout,
      stderr: run.stderr,
      outputs: JSON.stringify(run.outputs),
      summary: run.summary,
      ...filesBelow(outputDir),
      ...filesBelow(toolCache)
    },
    [TABLE]
  )
}

const IMPORT_CHECK_ROW = /^\| python3\.11 x86_64 \| ✅ passed \| CPython 3\.11\.\d+ .+ \|$/m

describe('node dist/index.js, mode: build: import-time variables from import-env', () => {
  const build = (inputs: Record<string, string>) => {
    const outputDir = join(work, `out-${Math.random()}`)
    return {
      outputDir,
      run: runAction({
        inputs: {
          mode: 'build',
          source: ordersSource(),
          runtime: 'python3.11',
          architectures: 'x86_64',
          handler: 'orders/handler.handler',
          'output-dir': outputDir,
          ...inputs
        },
        env: { RUNNER_TOOL_CACHE: toolCache }
      })
    }
  }

  it('passes boto3 and the table name, shows the check in the summary, and masks the value', async () => {
    const { run: pending, outputDir } = build({ 'import-env': `TABLE_NAME=${TABLE}\n` })
    const run = await pending
    expect(run.code, run.stdout).toBe(0)
    expect(run.stdout).toMatch(/x86_64: import check passed with CPython 3\.11\./)
    expect(run.summary).toContain(
      '| Target | Import check | Interpreter, or why it did not run |\n|:--|:--|:--|\n'
    )
    expect(run.summary).toMatch(IMPORT_CHECK_ROW)
    expect(isMasked(run.stdout, TABLE)).toBe(true)
    expect(leaks(run, outputDir)).toEqual([])
    const report = JSON.parse(readFileSync(join(outputDir, 'report.json'), 'utf8'))
    expect(report.architectures[0].importCheck).toMatchObject({
      status: 'passed',
      interpreter: expect.stringMatching(/^CPython 3\.11\./)
    })
  })

  it('names TABLE_NAME and both ways out when nothing sets it, never a missing distribution', async () => {
    const run = await build({}).run
    expect(run.code).toBe(1)
    const message = run.errors.join('\n')
    expect(message).toMatch(
      /the handler reads the environment variable TABLE_NAME when it is imported \(orders\/handler\.py, line 4\), and nothing set it \(the import-env input has no TABLE_NAME\)/
    )
    expect(message).toMatch(/Set TABLE_NAME in the function's configuration/)
    expect(message).toMatch(/import-env input \(a line TABLE_NAME=<value>\)/)
    expect(message).not.toMatch(/missing distribution/)
  })

  it('refuses a reserved name in import-env before any work', async () => {
    const run = await build({ 'import-env': 'AWS_REGION=eu-west-1' }).run
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(/^import-env: line 1: AWS_REGION is reserved/)
    expect(run.stdout).not.toMatch(/Build python3\.11/)
  })
})

describe("node dist/index.js, mode: deploy: the function's own variables", () => {
  let moto: MotoServer
  beforeAll(async () => {
    moto = await startMoto()
  })
  afterAll(async () => {
    await moto?.stop()
  })
  beforeEach(async () => {
    await moto.reset()
  })

  const codeOf = async (name: string) =>
    (await moto.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).CodeSha256

  const deploy = (inputs: Record<string, string>, outputDir: string) =>
    runAction({
      inputs: {
        'function-name': 'orders',
        source: ordersSource(),
        'output-dir': outputDir,
        ...inputs
      },
      env: { ...moto.env, RUNNER_TOOL_CACHE: toolCache }
    })

  it('imports the handler with the configured TABLE_NAME and deploys; the value appears nowhere', async () => {
    await moto.createFunction({
      name: 'orders',
      runtime: 'python3.11',
      architecture: 'x86_64',
      handler: 'orders/handler.handler',
      environment: { TABLE_NAME: TABLE, STAGE: 'prod' }
    })
    const outputDir = join(work, 'deploy-out')
    const run = await deploy({ 'import-env': 'UNUSED=1' }, outputDir)
    expect(run.code, run.stdout + run.errors.join('\n')).toBe(0)
    expect(run.stdout).toMatch(/::warning::import-env: ignored in mode: deploy/)
    expect(run.stdout).toMatch(/x86_64: import check passed with CPython 3\.11\./)
    expect(run.summary).toMatch(IMPORT_CHECK_ROW)
    expect(await codeOf('orders')).toBe(run.outputs['code-sha256'])
    // Masked as soon as it was read, before anything else ran.
    const lines = run.stdout.split('\n')
    expect(lines.indexOf(`::add-mask::${TABLE}`)).toBeGreaterThanOrEqual(0)
    expect(lines.indexOf(`::add-mask::${TABLE}`)).toBeLessThan(
      lines.findIndex((line) => line.startsWith('::group::Build'))
    )
    expect(leaks(run, outputDir)).toEqual([])
  })

  it("fails naming TABLE_NAME when the function's configuration lacks it, and sends nothing", async () => {
    await moto.createFunction({
      name: 'orders',
      runtime: 'python3.11',
      architecture: 'x86_64',
      handler: 'orders/handler.handler',
      environment: { STAGE: 'prod' }
    })
    const before = await codeOf('orders')
    const run = await deploy({}, join(work, 'deploy-out-missing'))
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /reads the environment variable TABLE_NAME when it is imported .*\(the function's configuration has no TABLE_NAME\)/
    )
    expect(await codeOf('orders')).toBe(before)
  })
})
