// The corpus (issue 8, item 6): every set in sets.ts built through `node dist/index.js`, as
// GitHub runs it, and held against references this test computes itself (reference.ts):
// (a) the distributions and versions in the zip are the ones `uv pip compile` resolves for the
//     target (for a locked set: the lock tool's own export, `uv export`, `poetry export`,
//     `pipenv requirements`, filtered to the target, plus its local libraries; for a
//     pylock.toml, uv's own reading of it for the target); the markers the set states by hand
//     hold; the build names the file that decided;
// (b) the zip holds exactly the files, bytes and executable bits that `pip install --target
//     --no-compile --no-deps` writes from the wheels the build used, minus what the package
//     leaves out on purpose;
// (c) for every target this machine can run (issue 20: every x86_64 runtime pyenv holds, arm64
//     under qemu where Debian has the minor), the action's import check ran and passed; on
//     x86_64 the handler's imports also load from the extracted zip alone with pyenv's CPython.
//     Elsewhere the report says why no interpreter checked it.
// Known failures must fail with their message. Sets marked `pending` wait on another part of
// issue 8 and run as `it.fails` until it lands. A summary line closes the run (CI prints it).
// CORPUS_SETS=name,name builds only those sets (a name ending in `*` is a prefix), while working
// on them; the whole corpus runs otherwise.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Architecture } from '../../src/lambda-facts.js'
import { limitConcurrency } from '../helpers/limit.js'
import { hostedToolCache, MINORS, pyenvPython } from '../helpers/pythons.js'
import { pythonSuite } from '../../src/packaging/tools/python/archive-plan.js'
import { ROOT, runAction } from '../helpers/run-action.js'
import { pipenvLock, poetryLock } from '../helpers/lock-tools.js'
import {
  corpusEnv,
  importFromZip,
  isRecord,
  leftOutOnPurpose,
  normalize,
  pipenvLockedResolution,
  pipTargetView,
  poetryLockedResolution,
  pylockCompile,
  pylockExport,
  pylockResolution,
  treeView,
  uvLock,
  uvLockedResolution,
  uvResolution
} from './reference.js'
import { CORPUS as EVERY_SET, forArchitecture, LOCK_FILE, type CorpusSet } from './sets.js'

/** The sets CORPUS_SETS names (`name`, or `prefix*`), else all of them. */
function selectedSets(): readonly CorpusSet[] {
  const wanted = (process.env.CORPUS_SETS ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
  if (wanted.length === 0) return EVERY_SET
  const picked = EVERY_SET.filter((set) =>
    wanted.some((w) => (w.endsWith('*') ? set.name.startsWith(w.slice(0, -1)) : set.name === w))
  )
  if (picked.length === 0) throw new Error(`CORPUS_SETS=${process.env.CORPUS_SETS}: no such set`)
  return picked
}
const CORPUS = selectedSets()

/** A .pyc the build compiled for the runtime: `pkg/__pycache__/mod.cpython-312.pyc`. */
const PYC = /^(.*?)__pycache__\/([^/]+)\.cpython-3\d+\.pyc$/

/** Two builds at a time: two cores, and other test files run beside this one. */
const limit = limitConcurrency(2)
/** Generous: a set waits for its turn behind the others inside its own timeout. */
const SET_TIMEOUT = 30 * 60_000
export const SUMMARY_FILE = join(ROOT, '.tools', 'corpus-summary.txt')

const work = mkdtempSync(join(tmpdir(), 'lpd-corpus-'))
interface Outcome {
  name: string
  ok: boolean
  pending: boolean
  /** The action's run, and the references after it. */
  actionSeconds: number
  referenceSeconds: number
}
const outcomes: Outcome[] = []
/** Per-set timings of the last run, for finding where the corpus spends its time. */
const TIMINGS_FILE = join(ROOT, '.tools', 'corpus-timings.json')
const started = performance.now()

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
  const expected = outcomes.filter((o) => o.ok && !o.pending).length
  const pending = outcomes.filter((o) => o.pending)
  const line =
    `corpus: ${CORPUS.length} sets, ${expected} built as expected, ` +
    `${outcomes.filter((o) => !o.ok && !o.pending).length} not, ${pending.length} pending ` +
    `(${pending.map((o) => o.name).join(', ') || 'none'}), ` +
    `${Math.round((performance.now() - started) / 1000)} s`
  const seconds = (pick: (o: Outcome) => number) =>
    Math.round(outcomes.reduce((sum, o) => sum + pick(o), 0))
  const time = `corpus time: ${seconds((o) => o.actionSeconds)} s in the action, ${seconds((o) => o.referenceSeconds)} s in the references (summed over sets)`
  console.log(`${line}\n${time}`)
  // A run of some sets (CORPUS_SETS) leaves the whole corpus's record alone.
  if (CORPUS !== EVERY_SET) return
  mkdirSync(dirname(SUMMARY_FILE), { recursive: true })
  writeFileSync(SUMMARY_FILE, `${line}\n`)
  writeFileSync(TIMINGS_FILE, `${JSON.stringify(outcomes, null, 2)}\n`)
})

/**
 * The targets this machine's import check covers (issue 20): x86_64 for every minor pyenv holds
 * here (laid out as GitHub's hosted tool cache), and arm64 under qemu for every minor Debian's
 * archive has for arm64. Not here: arm64 python3.10 and python3.12, x86_64 python3.14.
 */
function checkedHere(set: CorpusSet, architecture: Architecture): boolean {
  if (process.arch !== 'x64') return false
  const minor = set.runtime.slice('python'.length)
  if (architecture === 'x86_64') return (MINORS as readonly string[]).includes(minor)
  return pythonSuite('debian', minor) !== undefined
}

/** The set folder (the workspace) and the source folder in it; `uv lock` run where asked. */
interface SetFolders {
  root: string
  source: string
}

async function writeSet(set: CorpusSet): Promise<SetFolders> {
  const root = join(work, set.name, 'src')
  const source = join(root, set.source ?? '.')
  mkdirSync(source, { recursive: true })
  for (const [name, content] of Object.entries(set.files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true })
    writeFileSync(join(root, name), content)
  }
  const imports = set.imports.map((module) => `import ${module}\n`).join('')
  writeFileSync(
    join(source, 'app.py'),
    `${imports}\n\ndef handler(event, context):\n    return {}\n`
  )
  if (set.lockedBy) {
    const folder = join(root, set.lockedBy.folder)
    const writeLock = {
      uv: () => uvLock(folder),
      poetry: () => poetryLock(folder, set.runtime.slice('python'.length)),
      pipenv: () => pipenvLock(folder, set.runtime.slice('python'.length)),
      pylock: () => pylockExport(folder),
      'pylock-compile': () => pylockCompile(folder, set.runtime)
    }[set.lockedBy.tool ?? 'uv']
    await writeLock()
  }
  return { root, source }
}

interface ArchReport {
  architecture: Architecture
  wheels: string[]
  importCheck: { status: string; reason?: string }
  packages: { function: { path: string } }
}

/** The wheel files the build used, from its wheel store entry for this target. */
function usedWheels(toolCache: string, set: CorpusSet, arch: ArchReport): string[] {
  const store = join(toolCache, 'lambda-python-deploy')
  const entries = readdirSync(store).filter(
    (name) => !name.startsWith('.') && name.includes(`-${set.runtime}-${arch.architecture}-`)
  )
  expect(entries, `one wheel store entry for ${set.runtime} ${arch.architecture}`).toHaveLength(1)
  const entry = join(store, entries[0]!)
  const files = readdirSync(entry).filter((name) => name.endsWith('.whl'))
  expect(files.sort()).toEqual([...arch.wheels].sort())
  return files.map((name) => join(entry, name))
}

/** What uv says the package holds: the lock's export for a locked set, else a resolution. */
function reference(set: CorpusSet, { root, source }: SetFolders, architecture: Architecture) {
  if (set.lockedBy) {
    const folder = join(root, set.lockedBy.folder)
    switch (set.lockedBy.tool ?? 'uv') {
      case 'uv':
        return uvLockedResolution(folder, set.lockedBy.package ?? '', set.runtime, architecture)
      case 'poetry':
        return poetryLockedResolution(folder, set.runtime, architecture)
      case 'pipenv':
        return pipenvLockedResolution(folder, set.runtime, architecture)
      default:
        return pylockResolution(join(folder, 'pylock.toml'), set.runtime, architecture)
    }
  }
  // No input: a pyproject.toml is all these sets' source folders hold.
  const file = join(source, set.requirements ?? 'pyproject.toml')
  return uvResolution(file, set.runtime, architecture)
}

async function checkArchitecture(
  set: CorpusSet,
  folders: SetFolders,
  toolCache: string,
  arch: ArchReport
): Promise<void> {
  const { architecture } = arch
  const zip = arch.packages.function.path
  const [expected, ours] = await Promise.all([reference(set, folders, architecture), treeView(zip)])

  // (a) the distributions uv resolves (or locked) for the target, at the same versions.
  const distributions = Object.fromEntries(
    Object.entries(ours.distributions).map(([name, version]) => [normalize(name), version])
  )
  expect(distributions, `${architecture}: distributions against uv`).toEqual(
    Object.fromEntries([...expected].sort())
  )
  for (const name of forArchitecture(set.has, architecture)) {
    expect(Object.keys(distributions), `${architecture}: has ${name}`).toContain(name)
  }
  for (const name of forArchitecture(set.lacks, architecture)) {
    expect(Object.keys(distributions), `${architecture}: lacks ${name}`).not.toContain(name)
  }

  // (b) the files pip --target writes from the same wheels.
  const installed = await pipTargetView(
    usedWheels(toolCache, set, arch),
    join(work, set.name, `pip-${architecture}`),
    set.runtime,
    architecture
  )
  const sourceFiles = new Set(
    ['app.py', ...Object.values(LOCK_FILE), ...Object.keys(set.files)].map((name) =>
      relative(folders.source, join(folders.root, name))
    )
  )
  sourceFiles.add('app.py')
  // The bytecode the package adds for the runtime (issue 16) is no part of pip's install: each
  // .pyc is checked to sit beside its source, and left out of the comparison.
  const bytecode = Object.keys(ours.files).filter((name) => PYC.test(name))
  for (const pyc of bytecode) {
    expect(ours.files, `${architecture}: ${pyc} beside its source`).toHaveProperty([
      pyc.replace(PYC, '$1$2.py')
    ])
  }
  const ourFiles = Object.keys(ours.files)
    .filter((name) => !sourceFiles.has(name) && !PYC.test(name))
    .sort()
  const pipFiles = Object.keys(installed.files)
    .filter((name) => !leftOutOnPurpose(name))
    .sort()
  expect(ourFiles, `${architecture}: files against pip install --target`).toEqual(pipFiles)
  const differing = pipFiles.filter(
    (name) =>
      !isRecord(name) && JSON.stringify(ours.files[name]) !== JSON.stringify(installed.files[name])
  )
  expect(differing, `${architecture}: bytes or executable bit differ from pip's`).toEqual([])

  // (c) the action's import check passed wherever this machine can run the target; on x86_64
  // the modules also import from the zip alone with pyenv's CPython of that minor.
  if (checkedHere(set, architecture)) {
    expect(arch.importCheck, `${architecture}: the action's import check`).toMatchObject({
      status: 'passed'
    })
    if (architecture === 'x86_64') {
      await importFromZip(zip, set.imports, pyenvPython(set.runtime.slice('python'.length)))
    }
  } else {
    expect(arch.importCheck, `${architecture}: the reason no interpreter checked it`).toMatchObject(
      {
        status: 'skipped',
        reason: expect.stringMatching(/^no CPython 3\.\d+ for /)
      }
    )
  }
}

async function buildSet(set: CorpusSet, outcome: Outcome): Promise<void> {
  const folders = await writeSet(set)
  const { root, source } = folders
  const start = performance.now()
  // GitHub's hosted tool cache layout, of pyenv's CPythons: the x86_64 import check's interpreters.
  const toolCache = hostedToolCache(join(work, set.name, 'tool-cache'))
  const run = await runAction({
    inputs: {
      mode: 'build',
      source,
      ...(set.requirements ? { requirements: join(source, set.requirements) } : {}),
      runtime: set.runtime,
      architectures: set.architectures.join(', '),
      handler: 'app.handler',
      'output-dir': join(work, set.name, 'out'),
      ...(set.installer ? { installer: set.installer } : {})
    },
    env: { ...corpusEnv(), RUNNER_TOOL_CACHE: toolCache, GITHUB_WORKSPACE: root }
  })
  outcome.actionSeconds = (performance.now() - start) / 1000
  const log = `${run.stdout}\n${run.stderr}`.split('\n').slice(-60).join('\n')
  if (set.fails) {
    expect(run.code, log).toBe(1)
    expect(run.errors.join('\n'), log).toMatch(set.fails)
    return
  }
  expect(run.code, log).toBe(0)
  const report = JSON.parse(readFileSync(join(work, set.name, 'out', 'report.json'), 'utf8')) as {
    architectures: ArchReport[]
    dependencies: { kind: string; file?: string }
  }
  // The file that decided: the one the input names, or the one the action had to find.
  const kinds = { uv: 'uv-lock', poetry: 'poetry-lock', pipenv: 'pipfile-lock', pylock: 'pylock' }
  const tool = set.lockedBy?.tool ?? 'uv'
  const decided = set.lockedBy
    ? {
        kind: kinds[tool === 'pylock-compile' ? 'pylock' : tool],
        file: join(root, set.lockedBy.folder, LOCK_FILE[tool])
      }
    : set.requirements === undefined || set.requirements.endsWith('pyproject.toml')
      ? { kind: 'pyproject', file: join(source, set.requirements ?? 'pyproject.toml') }
      : { kind: 'requirements', file: join(source, set.requirements) }
  expect(report.dependencies, 'the file that decided').toMatchObject(decided)
  expect(report.architectures.map((a) => a.architecture).sort()).toEqual(
    [...set.architectures].sort()
  )
  for (const arch of report.architectures) {
    // Paths in the report are relative to it.
    arch.packages.function.path = join(work, set.name, 'out', arch.packages.function.path)
    await checkArchitecture(set, folders, toolCache, arch)
  }
  outcome.referenceSeconds = (performance.now() - start) / 1000 - outcome.actionSeconds
}

describe.concurrent('corpus: what Lambda users install', () => {
  for (const set of CORPUS) {
    const title = `${set.name} (${set.runtime} ${set.architectures.join('+')}): ${set.covers}`
    const body = () =>
      limit(async () => {
        const outcome: Outcome = {
          name: set.name,
          ok: false,
          pending: set.pending !== undefined,
          actionSeconds: 0,
          referenceSeconds: 0
        }
        outcomes.push(outcome)
        await buildSet(set, outcome)
        outcome.ok = true
      })
    if (set.pending) it.fails(`${title} [pending: ${set.pending}]`, body, SET_TIMEOUT)
    else it(title, body, SET_TIMEOUT)
  }
})
