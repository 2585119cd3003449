// Reading an Actions cache archive without trusting it: which member names are placed, and what
// extractTar writes or refuses for real archives made by GNU tar (as @actions/cache makes them:
// `tar --posix`, names relative to the workspace) and by Python's tarfile (names and member
// types GNU tar would not write from a folder).
import { execFileSync, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  decompressed,
  extractTar,
  parsePax,
  placeMember,
  RefusedArchive
} from '../../src/packaging/stores/cache-archive.js'
import { archiveName } from '../../src/packaging/stores/cache-restore.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-cache-archive-'))
const hasZstd = spawnSync('zstd', ['--version']).status === 0
afterAll(() => execFileSync('rm', ['-rf', work]))

const ROOT = '../../../hostedtoolcache/lambda-python-deploy/lambda-python-deploy-v2-key'

describe('archiveName', () => {
  it.each([
    [
      '/home/runner/work/app/app',
      '/opt/hostedtoolcache/lpd/key',
      '../../../../../opt/hostedtoolcache/lpd/key'
    ],
    ['/home/runner/work/app/app', '/home/runner/work/app/app/cache', 'cache'],
    ['/home/runner/work/app/app', '/home/runner/work/app/app', '.']
  ])('%s: %s is %s', (workspace, path, name) => {
    expect(archiveName(path, workspace)).toBe(name)
  })
})

describe('placeMember', () => {
  it.each([
    [ROOT, { root: 0, segments: [] }],
    [`${ROOT}/`, { root: 0, segments: [] }],
    [
      `${ROOT}/six-1.16.0-py2.py3-none-any.whl`,
      { root: 0, segments: ['six-1.16.0-py2.py3-none-any.whl'] }
    ],
    [`${ROOT}/sub/dir/file`, { root: 0, segments: ['sub', 'dir', 'file'] }],
    ['cache/local-wheels/abc/x.whl', { root: 1, segments: ['abc', 'x.whl'] }]
  ])('%s is placed', (name, place) => {
    expect(placeMember(name, [ROOT, 'cache/local-wheels'])).toEqual(place)
  })

  it.each([
    [`${ROOT}/../escape`, 'leaves the folder'],
    [`${ROOT}/a/../../escape`, 'leaves the folder'],
    [`${ROOT}/./x`, 'leaves the folder'],
    [`${ROOT}//x`, 'leaves the folder'],
    [`${ROOT}-other/x.whl`, 'outside every folder'],
    ['/etc/cron.d/planted', 'outside every folder'],
    ['../../../../.bashrc', 'outside every folder'],
    [`${ROOT}/x\0y`, 'NUL byte']
  ])('%s is refused', (name, why) => {
    expect(placeMember(name, [ROOT, 'cache/local-wheels'])).toContain(why)
  })
})

describe('parsePax', () => {
  it('reads length-prefixed records, values with spaces and = included', () => {
    const record = (text: string) => {
      let length = text.length + 3
      if (String(length).length + text.length + 2 !== length) length++
      return `${length} ${text}\n`
    }
    const data = Buffer.from(record('path=a b=c/d.whl') + record('mtime=1.5'))
    expect(parsePax(data)).toEqual({ path: 'a b=c/d.whl', mtime: '1.5' })
  })

  it('refuses a record whose length runs past the header', () => {
    expect(() => parsePax(Buffer.from('99 path=x\n'))).toThrow(RefusedArchive)
  })
})

/** An archive as @actions/cache writes it: GNU tar --posix, run in `workspace`, names relative. */
function gnuArchive(workspace: string, names: string[], compression: 'gzip' | 'zstd'): string {
  const archive = join(
    work,
    `archive-${Math.random().toString(36).slice(2)}.tar.${compression === 'gzip' ? 'gz' : 'zst'}`
  )
  execFileSync('tar', [
    '--posix',
    '-cf',
    archive,
    '-P',
    '-C',
    workspace,
    ...(compression === 'gzip' ? ['-z'] : ['--use-compress-program', 'zstdmt']),
    ...names
  ])
  return archive
}

const TARFILE = `
import io, json, sys, tarfile
members = json.loads(sys.argv[2])
with tarfile.open(sys.argv[1], 'w:gz', format=tarfile.PAX_FORMAT) as tar:
    for m in members:
        info = tarfile.TarInfo(m['name'])
        info.type = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE,
                     'hardlink': tarfile.LNKTYPE, 'fifo': tarfile.FIFOTYPE, 'char': tarfile.CHRTYPE}[m['type']]
        info.linkname = m.get('target', '')
        data = m.get('text', '').encode()
        info.size = len(data) if m['type'] == 'file' else 0
        tar.addfile(info, io.BytesIO(data) if m['type'] == 'file' else None)
`

function pythonArchive(members: Record<string, string>[]): string {
  const archive = join(work, `crafted-${Math.random().toString(36).slice(2)}.tar.gz`)
  execFileSync('python3', ['-c', TARFILE, archive, JSON.stringify(members)])
  return archive
}

describe('extractTar', () => {
  /** A workspace and a store folder outside it, as on a runner. */
  function layout(): { workspace: string; entry: string } {
    const base = mkdtempSync(join(work, 'runner-'))
    const workspace = join(base, 'work', 'app', 'app')
    const entry = join(
      base,
      'hostedtoolcache',
      'lambda-python-deploy',
      'lambda-python-deploy-v2-key'
    )
    mkdirSync(workspace, { recursive: true })
    mkdirSync(join(entry, 'sub'), { recursive: true })
    writeFileSync(join(entry, 'six-1.16.0-py2.py3-none-any.whl'), 'wheel bytes')
    writeFileSync(join(entry, 'manifest.json'), '{}')
    // Over 100 bytes: GNU tar --posix records the name in a pax header.
    writeFileSync(join(entry, 'sub', `${'long-name-'.repeat(12)}.txt`), 'long')
    return { workspace, entry }
  }

  // @actions/cache writes zstd where the zstd binary is installed (GitHub's images), else gzip.
  it.each(['gzip', ...(hasZstd ? ['zstd' as const] : [])] as const)(
    'extracts a %s archive @actions/cache would write into the private folder, files 0644',
    async (compression) => {
      const { workspace, entry } = layout()
      const root = archiveName(entry, workspace)
      const archive = gnuArchive(workspace, [root], compression)
      const destination = join(work, `dest-${compression}`)
      const result = await extractTar(decompressed(archive, compression), [root], [destination])
      expect(result.files).toBe(3)
      expect(readFileSync(join(destination, 'six-1.16.0-py2.py3-none-any.whl'), 'utf8')).toBe(
        'wheel bytes'
      )
      expect(readFileSync(join(destination, 'sub', `${'long-name-'.repeat(12)}.txt`), 'utf8')).toBe(
        'long'
      )
      expect(statSync(join(destination, 'manifest.json')).mode & 0o777).toBe(0o644)
    }
  )

  it('refuses a symbolic link that GNU tar stored from the folder itself', async () => {
    const { workspace, entry } = layout()
    symlinkSync('/etc', join(entry, 'site'))
    const root = archiveName(entry, workspace)
    const destination = join(work, 'dest-symlink')
    await expect(
      extractTar(decompressed(gnuArchive(workspace, [root], 'gzip'), 'gzip'), [root], [destination])
    ).rejects.toThrow(/"[^"]*\/site", a symbolic link/)
  })

  it.each([
    [[{ name: `${ROOT}/x`, type: 'hardlink', target: '/etc/passwd' }], /a hard link/],
    [[{ name: `${ROOT}/x`, type: 'fifo' }], /a FIFO/],
    [[{ name: `${ROOT}/x`, type: 'char' }], /a device/],
    [[{ name: '/tmp/planted', type: 'file', text: 'x' }], /outside every folder/],
    [[{ name: `${ROOT}/../planted`, type: 'file', text: 'x' }], /leaves the folder/],
    [
      [
        { name: `${ROOT}/a`, type: 'file', text: 'one' },
        { name: `${ROOT}/a`, type: 'file', text: 'two' }
      ],
      /"[^"]*\/a" twice/
    ],
    [[{ name: ROOT, type: 'file', text: 'x' }], /a file where a folder was saved/]
  ])('refuses %j', async (members, message) => {
    const destination = mkdtempSync(join(work, 'dest-'))
    await expect(
      extractTar(decompressed(pythonArchive(members), 'gzip'), [ROOT], [destination])
    ).rejects.toThrow(message)
    expect(existsSync('/tmp/planted')).toBe(false)
  })

  it('stops at its bounds: bytes and members', async () => {
    const members = [
      { name: `${ROOT}/a`, type: 'file', text: 'x'.repeat(600) },
      { name: `${ROOT}/b`, type: 'file', text: 'y'.repeat(600) }
    ]
    const run = (limits: { bytes: number; members: number }) =>
      extractTar(
        decompressed(pythonArchive(members), 'gzip'),
        [ROOT],
        [mkdtempSync(join(work, 'dest-'))],
        limits
      )
    await expect(run({ bytes: 1000, members: 10 })).rejects.toThrow(/more than 1000 bytes/)
    await expect(run({ bytes: 10_000, members: 1 })).rejects.toThrow(/more than 1 members/)
    await expect(run({ bytes: 10_000, members: 10 })).resolves.toEqual({ files: 2, bytes: 1200 })
  })

  it('refuses a stream cut short and a header with a wrong checksum', async () => {
    const archive = pythonArchive([{ name: `${ROOT}/a`, type: 'file', text: 'x'.repeat(2000) }])
    const tar = execFileSync('gzip', ['-dc', archive])
    async function* chunks(data: Buffer) {
      yield data
    }
    const destination = () => [mkdtempSync(join(work, 'dest-'))]
    await expect(extractTar(chunks(tar.subarray(0, 1500)), [ROOT], destination())).rejects.toThrow(
      /cut short/
    )
    const broken = Buffer.from(tar)
    // The name of the first real header (after the pax header Python writes, if any): one byte off.
    broken[0] = broken[0]! ^ 0x01
    await expect(extractTar(chunks(broken), [ROOT], destination())).rejects.toThrow(/checksum/)
  })

  it.runIf(hasZstd)('refuses a zstd stream that is not one', async () => {
    const bogus = join(work, 'bogus.tzst')
    writeFileSync(bogus, 'not zstd at all')
    await expect(
      extractTar(decompressed(bogus, 'zstd'), [ROOT], [mkdtempSync(join(work, 'dest-'))])
    ).rejects.toThrow(/zstd could not read it/)
  })
})
