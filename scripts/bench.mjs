// `npm run bench`: builds numpy + scipy + pandas for python3.12 on arm64 and x86_64 with the
// bundled action (cold: empty wheel store; warm: the store filled by the cold run; import check
// on), with `installer: auto` and no uv on PATH, so the cold run also fetches the pinned uv. Next
// to it, in the same run, the usual recipes: `pip install --target` on the same wheels, and
// `uv pip install --target` for the target platform (uv's cache warm), each followed by `zip -r`.
// Prints wall times, the ratios against both recipes, the action's peak memory, and the uv
// bootstrap's one-time cost. `BENCH_RUNTIME=python3.11` builds a set that loads on Amazon Linux 2
// instead (on an x86_64 CPython 3.11 runner the import check then runs for x86_64).
// Then, in the same run (issues 9 and 15): warm builds of each lock format next to a warm
// requirements.txt build of the same wheels (the lock tool's own export, hashes included),
// interleaved, printed as a ratio of the medians: a locked uv-workspace member
// (examples/monorepo/services/orders: uv.lock + libs/common), a poetry.lock, a Pipfile.lock and a
// pylock.toml, each written here by its own tool (.tools/lock-tools). The bar is within 10%, and
// a warm build that starts an installer fails the bench. `BENCH_PART=projects` runs it alone.
// Then (issue 20), the import check's cost per target on warm builds, native and emulated
// (`BENCH_PART=import-check` alone).
// Last (issue 16): cold starts. For three stacks on python3.12 x86_64, the handler's init import
// time from the package as the action ships it (bytecode on, the default), as uv's Lambda guide
// ships it (`uv pip install --no-compile-bytecode --target` + `zip -r`) and as the action ships it
// with `bytecode: none`: fresh `python -I -B` processes (nothing written), interleaved rounds,
// medians, ratios; with the unzipped size each adds, checked-hash against unchecked-hash .pyc
// files, and what bytecode adds to a warm build. `BENCH_PART=bytecode` runs it alone.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'lpd-bench-'))
/** Per runtime: a numpy + scipy + pandas set with wheels for both architectures, and uv's platform. */
const SETS = {
  'python3.12': {
    requirements: ['numpy==2.4.6', 'scipy==1.17.1', 'pandas==3.1.1'],
    uvPlatform: 'manylinux_2_34'
  },
  // numpy 2.3+ has no manylinux2014 aarch64 wheels for CPython 3.11.
  'python3.11': {
    requirements: ['numpy==2.2.6', 'scipy==1.15.3', 'pandas==2.2.3'],
    uvPlatform: 'manylinux2014'
  }
}
const runtime = process.env.BENCH_RUNTIME ?? 'python3.12'
const { requirements, uvPlatform } = SETS[runtime] ?? {}
if (!requirements) throw new Error(`BENCH_RUNTIME: no benchmark set for ${runtime}`)
const architectures = ['arm64', 'x86_64']
const WHEEL_ARCH = { arm64: 'aarch64', x86_64: 'x86_64' }
/** This machine's PATH without uv: the action brings its own, as on a runner without setup-uv. */
const pathWithoutUv = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => {
    try {
      statSync(join(dir, 'uv'))
      return false
    } catch {
      return true
    }
  })
  .join(delimiter)

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

/** The bundled action, as a runner without uv runs it; `inputs` and `env` override the defaults. */
function runAction(toolCache, outputDir, inputs = {}, env = {}) {
  const rssFile = join(work, `rss-${Math.random()}`)
  const start = performance.now()
  const result = spawnSync(
    process.execPath,
    ['--import', join(root, 'scripts', 'bench-rss.mjs'), join(root, 'dist', 'index.js')],
    {
      env: {
        PATH: pathWithoutUv,
        HOME: process.env.HOME,
        RUNNER_TOOL_CACHE: toolCache,
        RUNNER_TEMP: work,
        BENCH_RSS_FILE: rssFile,
        GITHUB_OUTPUT: join(work, 'github-output'),
        INPUT_MODE: 'build',
        INPUT_SOURCE: source,
        INPUT_RUNTIME: runtime,
        INPUT_ARCHITECTURES: 'arm64,x86_64',
        INPUT_INSTALLER: 'auto',
        INPUT_HANDLER: 'app.handler',
        INPUT_CACHE: 'true',
        'INPUT_OUTPUT-DIR': outputDir,
        'INPUT_IMPORT-CHECK': 'true',
        ...Object.fromEntries(
          Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])
        ),
        ...env
      },
      encoding: 'utf8'
    }
  )
  const time = seconds(start)
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr)
    throw new Error(`the action failed in the benchmark (${inputs.source ?? source})`)
  }
  // The dependency-closure check logs its own cost: `x86_64: closure: ... in 12 ms`.
  const closure = [...result.stdout.matchAll(/^(\S+): closure: .* in (\d+) ms$/gm)].map(
    (m) => `${m[1]} ${m[2]} ms`
  )
  return { time, rss: Number(readFileSync(rssFile, 'utf8')), closure, log: result.stdout }
}

writeFileSync(join(work, 'github-output'), '')

/** The median of a list of seconds, and its spread, for interleaved warm runs. */
function median(times) {
  const sorted = [...times].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) }
}

/** What a warm build must not start: a resolver, a download, a build, a lock export. */
const INSTALLER_RUN = /uv export|uv build|uv pip compile|pip download|pip wheel|uv \S+: fetched/

/** A lock tool from .tools/lock-tools (scripts/tools.mjs installs them). */
const lockTool = (name) => join(root, '.tools', 'lock-tools', 'bin', name)

/** CPython 3.X of this machine: pyenv's, else python3.X on PATH (the lock tools use it). */
function pythonFor(version) {
  try {
    const versions = join(execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim(), 'versions')
    const found = readdirSync(versions).find((v) => v.startsWith(`${version}.`))
    if (found) return join(versions, found, 'bin', `python${version}`)
  } catch {
    // No pyenv.
  }
  return execFileSync('which', [`python${version}`], { encoding: 'utf8' }).trim()
}

/** Runs a lock tool in `cwd` with CPython 3.12 first on PATH and its caches in .tools/. */
function runLockTool(command, args, cwd) {
  const cache = join(root, '.tools', 'corpus-cache')
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PATH: [join(pythonFor('3.12'), '..'), process.env.PATH].join(delimiter),
      POETRY_CACHE_DIR: join(cache, 'poetry'),
      POETRY_VIRTUALENVS_PATH: join(cache, 'poetry-venvs'),
      PIPENV_CACHE_DIR: join(cache, 'pipenv'),
      WORKON_HOME: join(cache, 'pipenv-venvs'),
      PIPENV_VERBOSITY: '-1',
      PIPENV_YES: '1'
    }
  })
}

/** The same dependencies in each lock format, and in a requirements.txt beside each. */
const FORMAT_DEPENDENCIES = ['requests==2.32.3', 'pydantic==2.10.4']
const HANDLER =
  'import requests, pydantic\n\ndef handler(event, context):\n    return {"ok": True}\n'

/**
 * A folder per lock format, locked by its own tool, and its twin: the same handler with the
 * lock tool's export as requirements.txt (what a team would write instead), so both ship the
 * same wheels. `uv` is the uv the cold locked run brought.
 */
function formatCases(uv) {
  const folder = (name, files) => {
    const dir = join(work, 'formats', name)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'app.py'), HANDLER)
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
    return dir
  }
  const twin = (name, requirements) =>
    folder(`${name}-requirements`, { 'requirements.txt': requirements })
  const dependencies = `[${FORMAT_DEPENDENCIES.map((d) => JSON.stringify(d)).join(', ')}]`
  const project = `[project]\nname = "orders"\nversion = "0.1.0"\nrequires-python = ">=3.12,<4"\ndependencies = ${dependencies}\n`

  const poetry = folder('poetry', {
    'pyproject.toml': `${project}\n[tool.poetry]\npackage-mode = false\n`
  })
  runLockTool(lockTool('poetry'), ['lock', '--no-interaction'], poetry)
  const poetryTwin = twin(
    'poetry',
    runLockTool(lockTool('poetry'), ['export', '--only', 'main'], poetry)
  )

  const pipfile = [
    '[[source]]',
    'url = "https://pypi.org/simple"',
    'verify_ssl = true',
    'name = "pypi"',
    '',
    '[packages]',
    ...FORMAT_DEPENDENCIES.map((d) => `${d.split('==')[0]} = "==${d.split('==')[1]}"`),
    '',
    '[requires]',
    'python_version = "3.12"',
    ''
  ].join('\n')
  const pipenv = folder('pipenv', { Pipfile: pipfile })
  runLockTool(lockTool('pipenv'), ['lock', '--python', pythonFor('3.12')], pipenv)
  const pipenvTwin = twin(
    'pipenv',
    runLockTool(lockTool('pipenv'), ['requirements', '--hash'], pipenv)
  )

  const uvProject = folder('uv-project', { 'pyproject.toml': project })
  runLockTool(uv, ['lock', '--quiet', '--no-python-downloads'], uvProject)
  const exportTo = (format) =>
    runLockTool(
      uv,
      ['export', '--frozen', '--no-dev', '--no-header', '--format', format],
      uvProject
    )
  const pylock = folder('pylock', { 'pylock.toml': exportTo('pylock.toml') })
  const pylockTwin = twin('pylock', exportTo('requirements.txt'))
  return [
    ['poetry.lock', poetry, poetryTwin],
    ['Pipfile.lock', pipenv, pipenvTwin],
    ['pylock.toml', pylock, pylockTwin]
  ]
}

/**
 * Issues 9 and 15: a warm build of a locked project is as fast as a warm requirements.txt build
 * of the same wheels (a wheel-store hit: no installer, no network). Each is built cold once
 * into its own tool cache, then warm PROJECT_RUNS times, interleaved so the machine's load hits
 * all alike.
 */
function benchProjects() {
  const RUNS = Number(process.env.PROJECT_RUNS ?? 7)
  const monorepo = join(root, 'examples', 'monorepo')
  const locked = join(monorepo, 'services', 'orders')
  const plain = join(work, 'projects-plain')
  const inputs = (dir) => ({ source: dir, runtime: 'python3.12', cache: 'false' })
  const env = { GITHUB_WORKSPACE: root }
  const out = () => mkdtempSync(join(work, 'out-project-'))
  const lockedStore = join(work, 'tool-cache-locked')
  const lockedCold = runAction(lockedStore, out(), inputs(locked), env)
  // The requirements.txt twin: the member's handler and library, and its locked pins exported
  // with the uv the cold run brought.
  const uv = /uv \S+: fetched .* kept at (\S+)/.exec(lockedCold.log)?.[1]
  if (!uv) throw new Error('the locked cold run did not fetch uv: is uv on PATH?')
  cpSync(join(locked, 'app.py'), join(plain, 'app.py'))
  cpSync(join(monorepo, 'libs', 'common', 'src', 'common'), join(plain, 'common'), {
    recursive: true
  })
  const exportArgs = ['export', '--frozen', '--package', 'orders', '--no-dev', '--no-header']
  const exported = execFileSync(
    uv,
    [...exportArgs, '--no-emit-project', '--no-emit-workspace', '--no-python-downloads'],
    { cwd: monorepo, encoding: 'utf8' }
  )
  writeFileSync(join(plain, 'requirements.txt'), exported)
  const pairs = [['uv.lock (workspace member + libs/common)', locked, plain], ...formatCases(uv)]
  const cases = pairs.flatMap(([label, dir, twinDir], i) => [
    { label, dir, store: i === 0 ? lockedStore : join(work, `tool-cache-${i}`) },
    {
      label: `requirements.txt twin of ${label}`,
      dir: twinDir,
      store: join(work, `tool-cache-${i}-twin`)
    }
  ])
  const cold = cases.map((c, i) =>
    i === 0 ? lockedCold.time : runAction(c.store, out(), inputs(c.dir), env).time
  )
  const warm = cases.map(() => [])
  for (let run = 0; run < RUNS; run++) {
    cases.forEach((c, i) => {
      const result = runAction(c.store, out(), inputs(c.dir), env)
      if (INSTALLER_RUN.test(result.log)) {
        throw new Error(`${c.label}: a warm build started an installer:\n${result.log}`)
      }
      warm[i].push(result.time)
    })
  }
  console.log(`\nwarm builds of each project format, python3.12 arm64 + x86_64, ${RUNS} runs each:`)
  const medians = cases.map((c, i) => {
    const { median: m, min, max } = median(warm[i])
    console.log(
      `  ${c.label}: cold ${cold[i].toFixed(2)} s; warm median ${m.toFixed(2)} s (min ${min.toFixed(2)}, max ${max.toFixed(2)})`
    )
    return m
  })
  console.log('\n| format | warm median | requirements.txt twin | ratio (bar: 1.10 or less) |')
  console.log('|---|---|---|---|')
  let met = true
  pairs.forEach(([label], i) => {
    const ratio = medians[2 * i] / medians[2 * i + 1]
    met &&= ratio <= 1.1
    console.log(
      `| ${label} | ${medians[2 * i].toFixed(2)} s | ${medians[2 * i + 1].toFixed(2)} s | ${ratio.toFixed(2)}x |`
    )
  })
  console.log(
    `bar (every format's warm build within 10% of its twin's, no installer started): ${met ? 'met' : 'NOT met'}`
  )
}

/**
 * Issue 20: the import check's cost on warm builds, per target, native and emulated. numpy +
 * scipy + pandas for python3.11, both architectures: x86_64 imported by this runner's CPython
 * 3.11 (python3.11 on PATH), arm64 by an aarch64 CPython 3.11 under qemu, brought into the tool
 * cache by the cold build (its one-time cost is printed too). Today's warm build is the same
 * action on a runner that cannot check arm64 (its apt reaches no archive, nothing kept): x86_64
 * checked, arm64 skipped, as before issue 20. Warm builds without the check, today's, and with both
 * architectures checked run CHECK_RUNS times each, interleaved; the medians give the ratio
 * (bar: within 2x of today's), and each log gives each target's check time and how long its
 * interpreter took to be ready (found, or its kept files verified).
 */
function benchImportCheck() {
  const RUNS = Number(process.env.CHECK_RUNS ?? 5)
  const { requirements: pins } = SETS['python3.11']
  const dir = join(work, 'check-src')
  mkdirSync(dir)
  writeFileSync(
    join(dir, 'app.py'),
    'import numpy, scipy, pandas\n\ndef handler(event, context):\n    return {"ok": True}\n'
  )
  writeFileSync(join(dir, 'requirements.txt'), pins.join('\n') + '\n')
  // A runner whose apt reaches no archive: the arm64 interpreter cannot be brought.
  const noArchive = join(work, 'no-archive')
  mkdirSync(noArchive)
  writeFileSync(
    join(noArchive, 'apt-get'),
    '#!/bin/sh\necho "E: this runner reaches no package archive" >&2\nexit 100\n',
    { mode: 0o755 }
  )
  const variants = [
    { label: 'no import check', store: join(work, 'tool-cache-check'), check: 'false', env: {} },
    {
      label: "today's: x86_64 checked, arm64 not (apt reaches no archive)",
      store: join(work, 'tool-cache-today'),
      check: 'true',
      env: { PATH: `${noArchive}${delimiter}${pathWithoutUv}` }
    },
    {
      label: 'both architectures checked',
      store: join(work, 'tool-cache-check'),
      check: 'true',
      env: {}
    }
  ]
  const out = () => mkdtempSync(join(work, 'out-check-'))
  // No bytecode in any variant: the phase after the check would blur the check's own cost.
  const build = ({ store, check, env }) =>
    runAction(
      store,
      out(),
      { source: dir, runtime: 'python3.11', 'import-check': check, bytecode: 'none' },
      env
    )
  const checkTimes = (log) =>
    Object.fromEntries(
      [...log.matchAll(/^(\S+): import check passed with .* in (\d+) ms$/gm)].map((m) => [
        m[1],
        Number(m[2]) / 1000
      ])
    )
  const readyTimes = (log) =>
    Object.fromEntries(
      [...log.matchAll(/^(\S+): python3\.11 code runs on .* \(ready in (\d+) ms\)$/gm)].map((m) => [
        m[1],
        Number(m[2]) / 1000
      ])
    )
  const cold = build(variants[2])
  build(variants[1])
  const brought = [...cold.log.matchAll(/^(\S+): brought (.*) in ([\d.]+) s$/gm)].map(
    (m) => `${m[1]} ${m[2]}: ${m[3]} s`
  )
  const descriptions = [...cold.log.matchAll(/^(\S+): import check passed with (.*) in \d+ ms$/gm)]
  if (descriptions.length !== 2) {
    throw new Error(`the import check did not pass for both architectures:\n${cold.log}`)
  }
  const times = variants.map(() => [])
  const perTarget = { arm64: [], x86_64: [] }
  const ready = { arm64: [], x86_64: [] }
  for (let run = 0; run < RUNS; run++) {
    variants.forEach((variant, i) => {
      const result = build(variant)
      if (/^\S+: (brought |uv python install \S+: CPython)/m.test(result.log)) {
        throw new Error(`${variant.label}: a warm build brought an interpreter`)
      }
      times[i].push(result.time)
      if (i !== 2) return
      for (const [arch, s] of Object.entries(checkTimes(result.log))) perTarget[arch]?.push(s)
      for (const [arch, s] of Object.entries(readyTimes(result.log))) ready[arch]?.push(s)
    })
  }
  console.log(
    `\nimport check, warm builds of ${pins.join(' ')} for python3.11, arm64 + x86_64, ${RUNS} runs each:`
  )
  for (const m of descriptions) console.log(`  ${m[1]}: ${m[2]}`)
  const medians = variants.map((variant, i) => {
    const { median: m, min, max } = median(times[i])
    console.log(
      `  warm build, ${variant.label}: median ${m.toFixed(2)} s (min ${min.toFixed(2)}, max ${max.toFixed(2)})`
    )
    return m
  })
  for (const arch of ['x86_64', 'arm64']) {
    console.log(
      `  ${arch} check (${arch === 'arm64' ? 'emulated' : 'native'}): median ${median(perTarget[arch]).median.toFixed(2)} s; its interpreter ready in ${median(ready[arch]).median.toFixed(2)} s (looked up while the wheels resolve)`
    )
  }
  const ratio = medians[2] / medians[1]
  console.log(
    `  both checked / today's, warm medians: ${ratio.toFixed(2)}x (bar: within 2x): ${ratio <= 2 ? 'met' : 'NOT met'}; both checked / no check: ${(medians[2] / medians[0]).toFixed(2)}x`
  )
  console.log(
    `  one-time, in the cold build: ${brought.join('; ') || 'nothing brought (kept already)'}`
  )
}

/** The stacks the cold-start benchmark imports, each with a handler as teams write them. */
const COLD_START_STACKS = [
  {
    name: 'numpy + pandas',
    requirements: ['numpy==2.2.6', 'pandas==2.2.3'],
    handler: [
      'import numpy as np',
      'import pandas as pd',
      '',
      'def handler(event, context):',
      '    return int(pd.DataFrame({"x": np.arange(3)})["x"].sum())'
    ],
    goal: 3
  },
  {
    name: 'boto3 + aws-lambda-powertools[tracer,parser]',
    requirements: ['boto3==1.44.8', 'aws-lambda-powertools[tracer,parser]==3.37.0'],
    handler: [
      'import os',
      '',
      'import boto3',
      'from aws_lambda_powertools import Logger, Tracer',
      'from aws_lambda_powertools.utilities.parser import BaseModel, event_parser',
      '',
      'logger = Logger()',
      'tracer = Tracer()',
      'TABLE = boto3.resource("dynamodb").Table(os.environ.get("TABLE_NAME", "orders"))',
      '',
      'class Order(BaseModel):',
      '    id: str',
      '',
      '@event_parser(model=Order)',
      'def handler(event, context):',
      '    return {"id": event.id}'
    ],
    goal: 2
  },
  {
    name: 'fastapi + mangum + pydantic',
    requirements: ['fastapi==0.165.0', 'mangum==0.22.0', 'pydantic==2.14.4'],
    handler: [
      'from fastapi import FastAPI',
      'from mangum import Mangum',
      'from pydantic import BaseModel',
      '',
      'app = FastAPI()',
      '',
      'class Item(BaseModel):',
      '    name: str',
      '',
      '@app.post("/items")',
      'def create(item: Item) -> Item:',
      '    return item',
      '',
      'handler = Mangum(app)'
    ]
  }
]

/** `python3.12` to run the handler with, and a PATH that lets the action find it too. */
function python312() {
  try {
    execFileSync('python3.12', ['-c', 'pass'], { stdio: 'ignore' })
    return { python: 'python3.12', path: pathWithoutUv }
  } catch {
    // pyenv keeps each version in its own folder; its shims answer only for the selected one.
    const versions = join(execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim(), 'versions')
    const version = readdirSync(versions)
      .filter((v) => /^3\.12\.\d+$/.test(v))
      .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
      .at(-1)
    if (!version)
      throw new Error('the cold-start benchmark needs CPython 3.12 (python3.12 on PATH)')
    const bin = join(work, 'python312-bin')
    mkdirSync(bin, { recursive: true })
    const python = join(versions, version, 'bin', 'python3.12')
    symlinkSync(python, join(bin, 'python3.12'))
    return { python, path: `${bin}${delimiter}${pathWithoutUv}` }
  }
}

/** uv as users run it: on PATH, else the one scripts/tools.mjs installed. */
function uvCommand() {
  const tools = join(root, '.tools', 'venv', 'bin', 'uv')
  try {
    statSync(tools)
    return tools
  } catch {
    return 'uv'
  }
}

function extract(zip, dir) {
  execFileSync('python3', [
    '-c',
    'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
    zip,
    dir
  ])
  return dir
}

function treeBytes(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((total, entry) => total + statSync(join(entry.parentPath, entry.name)).size, 0)
}

const IMPORT_MS = [
  'import importlib, sys, time',
  'sys.path.insert(0, sys.argv[1])',
  'start = time.perf_counter_ns()',
  "importlib.import_module('app')",
  'print((time.perf_counter_ns() - start) / 1e6)'
].join('\n')

/** Recompiles, in place, the .pyc files under `dir` as unchecked-hash ones (same sources). */
const AS_UNCHECKED = [
  'import os, py_compile, sys',
  'for folder, _, files in os.walk(sys.argv[1]):',
  "    if os.path.basename(folder) != '__pycache__':",
  '        continue',
  '    for name in files:',
  "        source = os.path.join(os.path.dirname(folder), name.rsplit('.', 2)[0] + '.py')",
  '        task = os.path.relpath(source, sys.argv[1])',
  "        py_compile.compile(source, cfile=os.path.join(folder, name), dfile='/var/task/' + task, doraise=True,",
  '                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)'
].join('\n')

function benchBytecode() {
  const ROUNDS = Number(process.env.BYTECODE_ROUNDS ?? 11)
  const WARM_RUNS = Number(process.env.BYTECODE_WARM_RUNS ?? 5)
  const { python, path } = python312()
  const uv = uvCommand()
  const env = { PATH: path }
  const store = join(work, 'tool-cache-bytecode')
  const out = () => mkdtempSync(join(work, 'out-bytecode-'))
  const importEnv = { PATH: process.env.PATH, AWS_DEFAULT_REGION: 'us-east-1', LANG: 'C.UTF-8' }
  const importMs = (dir) =>
    Number(
      execFileSync(python, ['-I', '-B', '-c', IMPORT_MS, dir], { env: importEnv, encoding: 'utf8' })
    )
  console.log(
    `\ncold starts, python3.12 x86_64: the handler's init import from each package, fresh python -I -B processes, medians of ${ROUNDS} interleaved rounds`
  )
  const rows = []
  let warmCost
  for (const [index, stack] of COLD_START_STACKS.entries()) {
    const source = join(work, `stack-${index}`)
    mkdirSync(source, { recursive: true })
    writeFileSync(join(source, 'app.py'), stack.handler.join('\n') + '\n')
    writeFileSync(join(source, 'requirements.txt'), stack.requirements.join('\n') + '\n')
    const inputs = (bytecode) => ({
      source,
      runtime: 'python3.12',
      architectures: 'x86_64',
      handler: 'app.handler',
      cache: 'false',
      bytecode
    })
    const build = (bytecode) => {
      const dir = out()
      const run = runAction(store, dir, inputs(bytecode), env)
      const arch = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).architectures[0]
      return { run, arch, zip: join(dir, 'x86_64', 'function.zip') }
    }
    const ours = build('imported')
    const off = build('none')
    // uv's Lambda guide: install for the target without bytecode, zip the folder with the handler.
    const target = join(work, `uv-target-${index}`)
    execFileSync(
      uv,
      [
        'pip',
        'install',
        '--quiet',
        '--no-compile-bytecode',
        '--no-python-downloads',
        '--target',
        target,
        '--python-platform',
        'x86_64-manylinux_2_34',
        '--python-version',
        '3.12',
        '--only-binary',
        ':all:',
        '-r',
        join(source, 'requirements.txt')
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] }
    )
    const uvZip = join(work, `uv-${index}.zip`)
    execFileSync('zip', ['-r', '-q', uvZip, '.'], { cwd: target })
    execFileSync('zip', ['-q', '-j', uvZip, join(source, 'app.py')])
    const variants = [
      ['uv recipe', extract(uvZip, join(work, `uv-${index}`))],
      ['bytecode: none', extract(off.zip, join(work, `off-${index}`))],
      ['ours', extract(ours.zip, join(work, `ours-${index}`))]
    ]
    if (index === 0) {
      const unchecked = extract(ours.zip, join(work, `unchecked-${index}`))
      execFileSync(python, ['-I', '-c', AS_UNCHECKED, unchecked])
      variants.push(['ours, unchecked-hash', unchecked])
    }
    const times = variants.map(() => [])
    for (const [, dir] of variants) importMs(dir) // one untimed round: files in the page cache
    for (let round = 0; round < ROUNDS; round++) {
      variants.forEach(([, dir], i) => times[i].push(importMs(dir)))
    }
    const medians = times.map((list) => median(list).median)
    const [uvMs, offMs, oursMs, uncheckedMs] = medians
    const bytecode = ours.arch.bytecode
    rows.push({
      stack,
      uvMs,
      offMs,
      oursMs,
      uncheckedMs,
      sizes: [
        treeBytes(variants[0][1]),
        off.arch.packages.function.unzippedSize,
        ours.arch.packages.function.unzippedSize
      ],
      bytecode,
      coldBytecodeMs: ours.arch.timings.bytecode
    })
    if (index === 0) {
      // What bytecode adds to a warm build (wheel store hit, kept .pyc files): interleaved.
      const warm = { imported: [], none: [] }
      let phase = 0
      for (let run = 0; run < WARM_RUNS; run++) {
        for (const mode of ['imported', 'none']) {
          const result = build(mode)
          warm[mode].push(result.run.time)
          if (mode === 'imported') phase = result.arch.timings.bytecode
        }
      }
      warmCost = {
        imported: median(warm.imported).median,
        none: median(warm.none).median,
        phase
      }
    }
  }
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`
  const ms = (value) => `${Math.round(value)} ms`
  console.log('')
  console.log(
    '| stack | uv recipe | ours, bytecode: none | ours (default) | vs uv recipe | vs bytecode: none | .pyc shipped | unzipped: uv recipe / none / ours |'
  )
  console.log('|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const [uvSize, offSize, oursSize] = row.sizes
    console.log(
      `| ${row.stack.name} | ${ms(row.uvMs)} | ${ms(row.offMs)} | ${ms(row.oursMs)} | ${(row.uvMs / row.oursMs).toFixed(1)}x | ${(row.offMs / row.oursMs).toFixed(1)}x | ${row.bytecode.files} of ${row.bytecode.sources} (${row.bytecode.compiled}) | ${mb(uvSize)} / ${mb(offSize)} / ${mb(oursSize)} (+${(((oursSize - offSize) / offSize) * 100).toFixed(1)}%) |`
    )
  }
  const verdicts = rows
    .filter((row) => row.stack.goal)
    .map((row) => {
      const speedup = Math.min(row.uvMs, row.offMs) / row.oursMs
      const growth = row.sizes[2] / row.sizes[1] - 1
      const met = speedup >= row.stack.goal && growth < 0.2
      return `${row.stack.name}: ${met ? 'met' : 'NOT met'} (${speedup.toFixed(1)}x against the slower-to-beat baseline, goal ${row.stack.goal}x; unzipped +${(growth * 100).toFixed(1)}%, goal under 20%)`
    })
  console.log(`\ngoals: ${verdicts.join('; ')}`)
  const pandas = rows[0]
  console.log(
    `checked-hash against unchecked-hash (${pandas.stack.name}, same .pyc set): ${ms(pandas.oursMs)} against ${ms(pandas.uncheckedMs)} (${(pandas.oursMs / pandas.uncheckedMs).toFixed(2)}x)`
  )
  console.log(
    `bytecode phase, cold build (compile every .pyc, time the import twice): ${rows.map((row) => `${row.stack.name} ${ms(row.coldBytecodeMs)}`).join(', ')}`
  )
  console.log(
    `warm build, ${pandas.stack.name}, median of ${WARM_RUNS}: ${warmCost.imported.toFixed(2)} s with bytecode, ${warmCost.none.toFixed(2)} s with bytecode: none (+${(warmCost.imported - warmCost.none).toFixed(2)} s; the bytecode phase, both import timings included: ${ms(warmCost.phase)})`
  )
}

const parts = { projects: benchProjects, 'import-check': benchImportCheck, bytecode: benchBytecode }
const part = process.env.BENCH_PART
if (part !== undefined) {
  if (!(part in parts))
    throw new Error(`BENCH_PART=${part}: one of ${Object.keys(parts).join(', ')}`)
  parts[part]()
  rmSync(work, { recursive: true, force: true })
  process.exit(0)
}
console.log(
  `lambda-python-deploy benchmark: ${requirements.join(' ')} for ${runtime}, arm64 + x86_64 (work dir ${work})`
)

const toolCache = join(work, 'tool-cache')
const cold = runAction(toolCache, join(work, 'out-cold'))
const warm = runAction(toolCache, join(work, 'out-warm'))
const packages = JSON.parse(readFileSync(join(work, 'out-warm', 'report.json'), 'utf8'))
// The cold run fetched the pinned uv (the action logs how long that took); the warm one did not.
const bootstrap = /uv (\S+): fetched .* in ([\d.]+) s, sha256 checked, kept at (\S+)/.exec(cold.log)
if (!bootstrap) throw new Error('the cold run did not fetch uv: is uv on PATH?')
const [, uvVersion, bootstrapSeconds, uvPath] = bootstrap
if (/uv \S+: fetched/.test(warm.log)) throw new Error('the warm run fetched uv again')

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

// uv's own recipe for the target platform, with the uv the action brought, its cache warmed by
// one untimed run per architecture (uv's defaults otherwise: no bytecode).
const uvRecipe = (arch, timed) => {
  const target = join(work, `uv-recipe-${arch}${timed ? '' : '-warmup'}`)
  const zip = join(work, `uv-recipe-${arch}${timed ? '' : '-warmup'}.zip`)
  const start = performance.now()
  execFileSync(
    uvPath,
    [
      'pip',
      'install',
      '--quiet',
      '--no-python-downloads',
      '--target',
      target,
      '--python-platform',
      `${WHEEL_ARCH[arch]}-${uvPlatform}`,
      '--python-version',
      runtime.replace('python', ''),
      '--only-binary',
      ':all:',
      '-r',
      join(source, 'requirements.txt')
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  )
  if (!timed) return 0
  execFileSync('zip', ['-r', '-q', zip, '.'], { cwd: target })
  execFileSync('zip', ['-q', '-j', zip, join(source, 'app.py')])
  return seconds(start)
}
for (const arch of architectures) uvRecipe(arch, false)
let uvTime = 0
for (const arch of architectures) uvTime += uvRecipe(arch, true)

const importChecks = packages.architectures
  .map(
    (arch) =>
      `${arch.architecture} ${arch.importCheck.status}${arch.importCheck.reason ? ` (${arch.importCheck.reason})` : ''}`
  )
  .join(', ')
const mb = (bytes) => (bytes / 1e6).toFixed(1)
const rows = [
  ['recipe: pip install --target + zip -r', recipe, undefined],
  [`recipe: uv pip install --target (uv ${uvVersion}, cache warm) + zip -r`, uvTime, undefined],
  ['lambda-python-deploy, cold (uv fetched + resolve + download + assemble)', cold.time, cold.rss],
  ['lambda-python-deploy, warm (wheel store hit, import check on)', warm.time, warm.rss]
]
console.log('')
console.log(
  '| build (both architectures) | wall time | vs pip recipe | vs uv recipe | peak memory |'
)
console.log('|---|---|---|---|---|')
for (const [name, time, rss] of rows) {
  console.log(
    `| ${name} | ${time.toFixed(2)} s | ${(recipe / time).toFixed(1)}x | ${(uvTime / time).toFixed(1)}x | ${rss ? `${mb(rss)} MB` : '-'} |`
  )
}
const peak = Math.max(cold.rss, warm.rss)
const vsPip = recipe / warm.time
const vsUv = uvTime / warm.time
const met = vsPip >= 5 && vsUv >= 5 && peak < 300e6
console.log(
  `\nbar (warm at least 5x both recipes, aim 10x; peak memory under 300 MB): ${met ? 'met' : 'NOT met'} (${vsPip.toFixed(1)}x pip, ${vsUv.toFixed(1)}x uv, ${mb(peak)} MB)`
)
console.log(`import check in the warm build: ${importChecks}`)
console.log(
  `uv bootstrap (once per tool cache, inside the cold run): ${bootstrapSeconds} s to fetch uv ${uvVersion} with pip, check its sha256 and extract it`
)
console.log(`closure check (warm build): ${warm.closure.join(', ')}`)
console.log('')
for (const arch of packages.architectures) {
  const f = arch.packages.function
  console.log(
    `${arch.architecture}: ${mb(f.size)} MB zipped, ${mb(f.unzippedSize)} MB unzipped, CodeSha256 ${f.codeSha256}`
  )
}
benchProjects()
benchImportCheck()
benchBytecode()
rmSync(work, { recursive: true, force: true })
