// `npm run bench`: builds numpy + scipy + pandas for python3.12 on arm64 and x86_64 with the
// bundled action (cold: empty wheel store; warm: the store filled by the cold run), and next to it
// the usual recipe on the same wheels (`pip install --target`, then `zip -r`), in one run.
// Prints wall times, the ratios against that recipe, and the action's peak memory.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'lpd-bench-'))
const requirements = ['numpy==2.4.6', 'scipy==1.17.1', 'pandas==3.1.1']
const runtime = 'python3.12'
const architectures = ['arm64', 'x86_64']

const source = join(work, 'src')
mkdirSync(source)
writeFileSync(
  join(source, 'app.py'),
  'import numpy, scipy, pandas\n\ndef handler(event, context):\n    return {"ok": True}\n'
)
writeFileSync(join(source, 'requirements.txt'), requirements.join('\n') + '\n')

/**
 * What lets pip install these cross-platform wheels with --target: the tags the wheels carry
 * (the action already chose them for the runtime), so no platform ladder is written twice.
 */
function recipeArgs(wheels) {
  const tags = (position) =>
    new Set(
      wheels.flatMap((w) =>
        w
          .replace(/\.whl$/, '')
          .split('-')
          .at(position)
          .split('.')
      )
    )
  const platforms = [...tags(-1)].filter((tag) => tag !== 'any')
  const abi = [...tags(-2)].find((tag) => /^cp3\d+$/.test(tag))
  return [
    ...platforms.flatMap((tag) => ['--platform', tag]),
    '--implementation',
    'cp',
    '--python-version',
    abi.slice(2, 3) + '.' + abi.slice(3),
    '--abi',
    abi,
    '--only-binary=:all:'
  ]
}

function seconds(start) {
  return (performance.now() - start) / 1000
}

function runAction(toolCache, outputDir) {
  const rssFile = join(work, `rss-${Math.random()}`)
  const start = performance.now()
  const result = spawnSync(
    process.execPath,
    ['--import', join(root, 'scripts', 'bench-rss.mjs'), join(root, 'dist', 'index.js')],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RUNNER_TOOL_CACHE: toolCache,
        RUNNER_TEMP: work,
        BENCH_RSS_FILE: rssFile,
        GITHUB_OUTPUT: join(work, 'github-output'),
        INPUT_MODE: 'build',
        INPUT_SOURCE: source,
        INPUT_RUNTIME: runtime,
        INPUT_ARCHITECTURES: 'arm64,x86_64',
        INPUT_INSTALLER: 'pip',
        INPUT_CACHE: 'true',
        'INPUT_OUTPUT-DIR': outputDir,
        'INPUT_IMPORT-CHECK': 'false'
      },
      encoding: 'utf8'
    }
  )
  const time = seconds(start)
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr)
    throw new Error('the action failed in the benchmark')
  }
  // The dependency-closure check logs its own cost: `x86_64: closure: ... in 12 ms`.
  const closure = [...result.stdout.matchAll(/^(\S+): closure: .* in (\d+) ms$/gm)].map(
    (m) => `${m[1]} ${m[2]} ms`
  )
  return { time, rss: Number(readFileSync(rssFile, 'utf8')), closure }
}

writeFileSync(join(work, 'github-output'), '')
console.log(
  `lambda-python-deploy benchmark: ${requirements.join(' ')} for ${runtime}, arm64 + x86_64 (work dir ${work})`
)

const toolCache = join(work, 'tool-cache')
const cold = runAction(toolCache, join(work, 'out-cold'))
const warm = runAction(toolCache, join(work, 'out-warm'))
const packages = JSON.parse(readFileSync(join(work, 'out-warm', 'report.json'), 'utf8'))

// The usual recipe, from the very wheels the action resolved (so no network in either).
const storeDirs = readdirSync(join(toolCache, 'lambda-python-deploy'), { recursive: true })
  .filter((p) => String(p).endsWith('.whl'))
  .map((p) => join(toolCache, 'lambda-python-deploy', String(p)))
let recipe = 0
for (const arch of architectures) {
  const wheels = storeDirs.filter((p) => p.includes(`-${runtime}-${arch}-`))
  const target = join(work, `recipe-${arch}`)
  const zip = join(work, `recipe-${arch}.zip`)
  const start = performance.now()
  execFileSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-index',
      '--no-deps',
      '--target',
      target,
      ...recipeArgs(wheels),
      ...wheels
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit']
    }
  )
  execFileSync('zip', ['-r', '-q', zip, '.'], { cwd: target })
  execFileSync('zip', ['-q', '-j', zip, join(source, 'app.py')])
  recipe += seconds(start)
}

const mb = (bytes) => (bytes / 1e6).toFixed(1)
const rows = [
  ['recipe: pip install --target + zip -r', recipe, undefined],
  ['lambda-python-deploy, cold (resolve + download + assemble)', cold.time, cold.rss],
  ['lambda-python-deploy, warm (wheel store hit)', warm.time, warm.rss]
]
console.log('')
console.log('| build (both architectures) | wall time | vs recipe | peak memory |')
console.log('|---|---|---|---|')
for (const [name, time, rss] of rows) {
  console.log(
    `| ${name} | ${time.toFixed(2)} s | ${(recipe / time).toFixed(1)}x | ${rss ? `${mb(rss)} MB` : '-'} |`
  )
}
const peak = Math.max(cold.rss, warm.rss)
const met = recipe / warm.time >= 5 && peak < 300e6
console.log(
  `\nbar (warm at least 5x the recipe, peak memory under 300 MB): ${met ? 'met' : 'NOT met'} (${(recipe / warm.time).toFixed(1)}x, ${mb(peak)} MB)`
)
console.log(`closure check (warm build): ${warm.closure.join(', ')}`)
console.log('')
for (const arch of packages.architectures) {
  const f = arch.packages.function
  console.log(
    `${arch.architecture}: ${mb(f.size)} MB zipped, ${mb(f.unzippedSize)} MB unzipped, CodeSha256 ${f.codeSha256}`
  )
}
rmSync(work, { recursive: true, force: true })
