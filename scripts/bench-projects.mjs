// Warm builds of a locked uv-workspace member against a requirements.txt with the same pinned
// wheels (issue 9: a warm locked build is as fast as a warm requirements.txt build). Builds
// examples/monorepo/services/orders (uv.lock + libs/common) and a copy of its handler with the
// member's `uv export` as requirements.txt, python3.12 arm64 + x86_64, once cold to fill the
// wheel store, then RUNS warm each; prints the median and the spread. Needs `npm run bundle`.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = join(root, '.tools', 'venv', 'bin')
const RUNS = Number(process.env.RUNS ?? 7)
const work = mkdtempSync(join(tmpdir(), 'lpd-bench-projects-'))
const monorepo = join(root, 'examples', 'monorepo')
const env = { ...process.env, PATH: [bin, process.env.PATH].join(delimiter) }

const plain = join(work, 'plain')
cpSync(join(monorepo, 'services', 'orders', 'app.py'), join(plain, 'app.py'))
cpSync(join(monorepo, 'libs', 'common', 'src', 'common'), join(plain, 'common'), {
  recursive: true
})
const exported = execFileSync(
  join(bin, 'uv'),
  [
    'export',
    '--frozen',
    '--package',
    'orders',
    '--no-dev',
    '--no-emit-project',
    '--no-emit-workspace',
    '--no-header'
  ],
  { cwd: monorepo, encoding: 'utf8', env }
)
writeFileSync(join(plain, 'requirements.txt'), exported)

function build(source, store) {
  const start = performance.now()
  const result = spawnSync(process.execPath, [join(root, 'dist', 'index.js')], {
    cwd: root,
    env: {
      ...env,
      GITHUB_WORKSPACE: root,
      RUNNER_TOOL_CACHE: store,
      RUNNER_TEMP: work,
      INPUT_MODE: 'build',
      INPUT_SOURCE: source,
      INPUT_RUNTIME: 'python3.12',
      INPUT_ARCHITECTURES: 'arm64, x86_64',
      INPUT_HANDLER: 'app.handler',
      INPUT_CACHE: 'false',
      'INPUT_OUTPUT-DIR': mkdtempSync(join(work, 'out-'))
    },
    encoding: 'utf8'
  })
  const seconds = (performance.now() - start) / 1000
  if (result.status !== 0) throw new Error(`${source} failed:\n${result.stdout}\n${result.stderr}`)
  return { seconds, stdout: result.stdout }
}

const cases = [
  ['locked project (uv.lock + libs/common)', join(monorepo, 'services', 'orders')],
  ['requirements.txt, same wheels', plain]
]
// Cold once each, then warm runs interleaved so that load on the machine hits both alike.
const stores = cases.map(() => mkdtempSync(join(work, 'store-')))
const cold = cases.map(([, source], i) => build(source, stores[i]).seconds)
const warm = cases.map(() => [])
for (let run = 0; run < RUNS; run++) {
  cases.forEach(([label, source], i) => {
    const result = build(source, stores[i])
    if (/uv export|uv build|uv pip compile|pip download/.test(result.stdout)) {
      throw new Error(`${label}: a warm build ran uv or pip:\n${result.stdout}`)
    }
    warm[i].push(result.seconds)
  })
}
cases.forEach(([label], i) => {
  const times = warm[i].sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  console.log(
    `${label}: cold ${cold[i].toFixed(2)} s; warm median ${median.toFixed(2)} s ` +
      `(min ${times[0].toFixed(2)}, max ${times.at(-1).toFixed(2)}, ${RUNS} runs)`
  )
})
