// Malformed inputs through `node dist/index.js`, as GitHub runs it, with the AWS endpoint on an
// HTTP recorder: each run fails with an error that names the input, and sends no request at all
// (the parse-level rows of test/unit/inputs.test.ts, proven at the process boundary, plus the
// contradictions that only show up between inputs).
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startRecorder, type RecordedRequest } from '../helpers/http-recorder.js'
import { limitConcurrency } from '../helpers/limit.js'
import { motoEnv } from '../helpers/moto.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-malformed-'))
const source = join(work, 'source')
mkdirSync(source)
writeFileSync(join(source, 'app.py'), 'def handler(event, context):\n    return event\n')
const aFile = join(work, 'not-a-dir.txt')
writeFileSync(aFile, 'x\n')

/** Inputs of a deploy that would be valid; each row breaks one thing. */
const deploy: Record<string, string> = { 'function-name': 'orders', source }
const build: Record<string, string> = {
  mode: 'build',
  runtime: 'python3.12',
  architectures: 'arm64',
  source
}

/** [input the error must name, base, changes (undefined removes an input)] */
type Row = [string, Record<string, string>, Record<string, string | undefined>]

const rows: Row[] = [
  ['mode', deploy, { mode: 'ship' }],
  ['function-name', deploy, { 'function-name': undefined }],
  ['function-name', deploy, { 'function-name': 'orders:live' }],
  [
    'function-name',
    deploy,
    { 'function-name': 'arn:aws:lambda:us-east-1:123456789012:function:orders:live' }
  ],
  ['function-name', deploy, { 'function-name': 'orders, refunds!' }],
  // Lambda: a bare function name is at most 64 characters (only a full ARN may be longer).
  ['function-name', deploy, { 'function-name': 'f'.repeat(65) }],
  ['runtime', deploy, { runtime: 'python3.8' }],
  ['runtime', deploy, { runtime: 'nodejs20.x' }],
  ['runtime', deploy, { runtime: 'python3.12\npython3.11' }],
  ['runtime', build, { runtime: undefined }],
  ['architectures', deploy, { architectures: 'aarch64' }],
  ['architectures', deploy, { architectures: '["arm64"]' }],
  ['architectures', build, { architectures: undefined }],
  ['source', deploy, { source: join(work, 'missing') }],
  ['source', deploy, { source: aFile }],
  ['requirements', deploy, { requirements: join(work, 'missing.txt') }],
  ['handler', deploy, { handler: 'app' }],
  ['import-check', deploy, { 'import-check': 'maybe' }],
  ['python', deploy, { python: join(work, 'missing', 'python3.12') }],
  ['python', deploy, { python: aFile }],
  ['package-type', deploy, { 'package-type': 'image' }],
  ['layer-name', deploy, { 'package-type': 'layer', 'layer-name': 'deps layer' }],
  ['slim', deploy, { slim: 'yes please' }],
  ['installer', deploy, { installer: 'poetry' }],
  ['cache', deploy, { cache: '2' }],
  ['allow-linux-wheels', deploy, { 'allow-linux-wheels': 'si' }],
  ['output-dir', deploy, { 'output-dir': aFile }],
  ['package-dir', deploy, { 'package-dir': join(work, 'no-build-here') }],
  ['package-dir', build, { 'package-dir': work }],
  ['max-size', deploy, { 'max-size': 'fifty megabytes' }],
  ['max-size', deploy, { 'max-size': '0' }],
  ['max-size', deploy, { 'max-size': '10XB' }],
  ['max-unzipped-size', deploy, { 'max-unzipped-size': '300MB' }],
  ['s3-bucket', deploy, { 's3-bucket': 'My_Bucket' }],
  ['s3-bucket-owner', deploy, { 's3-bucket': 'artifacts', 's3-bucket-owner': 'acme-prod' }],
  ['s3-bucket-owner', deploy, { 's3-bucket-owner': '123456789012' }],
  ['publish', deploy, { publish: 'sometimes' }],
  ['alias', deploy, { alias: '42' }],
  ['alias', deploy, { alias: 'live', publish: 'false' }],
  ['smoke-payload', deploy, { 'smoke-payload': '{id: 1}' }],
  ['smoke-expect', deploy, { 'smoke-payload': '{}', 'smoke-expect': '[1,' }],
  ['smoke-expect', deploy, { 'smoke-expect': '{"ok":true}' }],
  ['comment', deploy, { comment: 'loud' }],
  ['keep-versions', deploy, { 'keep-versions': '0' }],
  ['keep-versions', deploy, { 'keep-versions': '-1' }],
  ['keep-versions', deploy, { 'keep-versions': 'all but two' }],
  ['keep-versions', deploy, { 'keep-versions': '2', publish: 'false' }],
  ['keep-layer-versions', deploy, { 'package-type': 'layer', 'keep-layer-versions': '0' }],
  ['keep-layer-versions', deploy, { 'keep-layer-versions': '3' }],
  ['wait-timeout', deploy, { 'wait-timeout': '0' }],
  ['wait-timeout', deploy, { 'wait-timeout': 'forever' }],
  ['wait-timeout', deploy, { 'wait-timeout': '12h' }],
  ['traffic', deploy, { alias: 'live', traffic: 'canary 10%' }],
  ['traffic', deploy, { alias: 'live', traffic: 'canary 0% 5m' }],
  ['traffic', deploy, { alias: 'live', traffic: 'linear 100% 5m' }],
  ['traffic', deploy, { alias: 'live', traffic: 'linear 10% forever' }],
  ['traffic', deploy, { traffic: 'canary 10% 5m' }],
  ['alarms', deploy, { alias: 'live', alarms: 'orders-errors' }],
  ['max-errors', deploy, { alias: 'live', traffic: 'canary 10% 1m', 'max-errors': '-1' }],
  ['max-throttles', deploy, { alias: 'live', 'max-throttles': '3' }]
]

/** At most this many `node dist/index.js` at once (two cores, other tests running). */
const limited = limitConcurrency(3)

function inputsOf(base: Record<string, string>, changes: Row[2], outputDir: string) {
  const inputs: Record<string, string> = { 'output-dir': outputDir, ...base }
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete inputs[name]
    else inputs[name] = value
  }
  return inputs
}

async function runAgainstRecorder(
  inputs: Record<string, string>
): Promise<{ run: ActionRun; requests: RecordedRequest[] }> {
  const recorder = await startRecorder()
  try {
    const run = await limited(() =>
      runAction({
        inputs,
        // Dummy credentials: a request, if one were sent, would reach the recorder signed.
        env: motoEnv(recorder.url)
      })
    )
    return { run, requests: [...recorder.requests] }
  } finally {
    await recorder.stop()
  }
}

let outputDirs = 0
const freshOutputDir = () => join(work, `out-${++outputDirs}`)

describe('malformed inputs through node dist/index.js', () => {
  it('has at least 25 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(25)
  })

  const cases = rows.map(([input, base, changes]) => ({
    input,
    base,
    changes,
    label: `${base === build ? 'build' : 'deploy'} ${JSON.stringify(changes).replaceAll(work, '$TMP')}`
  }))
  it.concurrent.for(cases)('$input: $label', async ({ input, base, changes }, { expect }) => {
    const outputDir = freshOutputDir()
    const { run, requests } = await runAgainstRecorder(inputsOf(base, changes, outputDir))
    const log = run.stdout + run.stderr
    expect(run.code, log).toBe(1)
    expect(run.errors, log).toHaveLength(1)
    expect(run.errors[0]).toMatch(new RegExp(`^${input}: `))
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([])
    if (changes['output-dir'] === undefined) expect(existsSync(outputDir)).toBe(false)
  })

  it('the recorder does see the requests of a valid deploy (the rows above would show them)', async () => {
    const { run, requests } = await runAgainstRecorder(inputsOf(deploy, {}, freshOutputDir()))
    expect(run.code).toBe(1)
    expect(requests.length).toBeGreaterThan(0)
    expect(requests[0]?.url).toMatch(/^\/2015-03-31\/functions\/orders\/configuration/)
    expect(run.errors.join('\n')).toContain('orders')
  })
})
