// `npm run demo`: the action's main job end to end on this machine, against moto on 127.0.0.1.
// Creates an arm64 python3.12 function, then runs `node dist/index.js` as GitHub would: builds
// examples/hello for arm64 and x86_64, deploys the arm64 package, publishes, smoke-invokes,
// moves the alias `live`, and prints the job summary. Then runs again: nothing is sent.
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { startMoto } from '../test/helpers/moto.js'
import { hostedToolCacheIfHere } from '../test/helpers/pythons.js'
import { ROOT, runAction } from '../test/helpers/run-action.js'

const functionName = 'hello-python'
// The runs' temporary folders (packages, summaries) under .tools/demo-temp: the last demo's are
// there to look at, and each demo starts it afresh, so nothing piles up in /tmp.
const temp = join(ROOT, '.tools', 'demo-temp')
rmSync(temp, { recursive: true, force: true })
mkdirSync(temp, { recursive: true })
process.env.TMPDIR = temp
const moto = await startMoto()
let failed = false
try {
  console.log(`moto (local AWS) on ${moto.url}; creating ${functionName} (python3.12, arm64)\n`)
  await moto.createFunction({ name: functionName, runtime: 'python3.12', architecture: 'arm64' })
  const inputs = {
    'function-name': functionName,
    source: join(ROOT, 'examples', 'hello'),
    architectures: 'arm64, x86_64',
    alias: 'live',
    'smoke-payload': JSON.stringify({ id: 'demo-1', quantities: [1, 2, 3] }),
    'smoke-expect': JSON.stringify({ id: 'demo-1' })
  }
  const toolCache = join(ROOT, '.tools', 'demo-tool-cache')
  // CPython 3.12 where GitHub's ubuntu images keep it, so the import check and bytecode run as
  // on a hosted runner (x86_64 here; arm64 under qemu where a CPython 3.12 for it can be had).
  if (!hostedToolCacheIfHere(toolCache, ['3.12'])) {
    console.log('No pyenv CPython 3.12 here: the build will say it could not check the import.')
  }
  for (const round of ['first deploy', 'second run, same code']) {
    console.log(`\n=== ${round}: node dist/index.js ===\n`)
    const run = await runAction({
      inputs,
      env: { ...moto.env, RUNNER_TOOL_CACHE: toolCache },
      echo: true
    })
    console.log(`\n--- job summary ---\n${run.summary}`)
    console.log(`--- outputs ---\n${JSON.stringify(run.outputs, null, 2)}`)
    if (run.code !== 0) {
      failed = true
      break
    }
  }
  const config = await moto.lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: functionName })
  )
  console.log(`\n${functionName} on moto now has CodeSha256 ${config.CodeSha256}`)
} finally {
  await moto.stop()
}
if (failed) process.exit(1)
