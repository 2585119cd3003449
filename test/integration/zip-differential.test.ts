// The action reads a wheel as pip does, or refuses it by name: for real wheels from PyPI, the
// hostile wheels of issue 12 and bounded mutations of real wheels, the list of names, sizes and
// CRCs our reader verifies equals what Python's zipfile lists and can read back in full, or our
// reader refuses the file (a message naming it), never a third answer.
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { open } from 'node:fs/promises'
import {
  MalformedZipError,
  readEntryHead,
  verifyZip,
  type ZipEntry
} from '../../src/packaging/zip-format.js'
import { HOSTILE_CASES, python, writeHostileWheel } from '../helpers/hostile-wheels.js'
import { ROOT } from '../helpers/run-action.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-zip-diff-'))
const CORPUS = join(ROOT, '.tools', 'wheel-corpus')

/** Popular wheels of varied shape: big native ones, pure ones, zip64-free and not, data dirs. */
const CORPUS_REQUIREMENTS = [
  'numpy==2.1.3',
  'pandas==2.2.3',
  'pydantic_core==2.27.1',
  'cryptography==44.0.0',
  'lxml==5.3.0',
  'pillow==11.0.0',
  'orjson==3.10.12',
  'PyYAML==6.0.2',
  'charset_normalizer==3.4.0',
  'six==1.16.0',
  'requests==2.32.3',
  'urllib3==2.2.3',
  'idna==3.10',
  'certifi==2024.8.30',
  'attrs==24.2.0',
  'typing_extensions==4.12.2',
  'packaging==24.2',
  'setuptools==75.6.0',
  'MarkupSafe==3.0.2',
  'Jinja2==3.1.4',
  'click==8.1.7',
  'python_dateutil==2.9.0.post0',
  'pytz==2024.2',
  'regex==2024.11.6',
  'msgpack==1.1.0',
  'psycopg2_binary==2.9.10',
  'protobuf==5.29.1',
  'zstandard==0.23.0',
  'starlette==0.41.3'
]

/** Downloads the corpus once into .tools/ (PyPI), for Linux x86_64 and CPython 3.12. */
function corpus(): string[] {
  mkdirSync(CORPUS, { recursive: true })
  if (readdirSync(CORPUS).filter((f) => f.endsWith('.whl')).length < CORPUS_REQUIREMENTS.length) {
    const platforms = ['manylinux_2_28_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64']
    execFileSync(
      python(),
      [
        ...['-m', 'pip', 'download', '--isolated', '--no-deps', '--only-binary=:all:'],
        ...['--dest', CORPUS, '--python-version', '3.12', '--implementation', 'cp'],
        ...['--abi', 'cp312', '--abi', 'abi3', '--abi', 'none'],
        ...platforms.flatMap((p) => ['--platform', p]),
        ...['--platform', 'any', ...CORPUS_REQUIREMENTS]
      ],
      { stdio: 'ignore', timeout: 600_000 }
    )
  }
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.whl'))
    .sort()
    .map((f) => join(CORPUS, f))
}

/** zipfile's view of each file: every entry read back in full (as pip's install does), or why not. */
const ZIPFILE_VIEW = String.raw`
import json, sys, zipfile
out = {}
for path in sys.argv[1:]:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            for info in infos:
                with zf.open(info) as f:
                    while f.read(1 << 20):
                        pass
            out[path] = {'entries': [[i.filename, i.file_size, i.CRC] for i in infos]}
    except Exception as error:
        out[path] = {'error': '%s: %s' % (type(error).__name__, error)}
print(json.dumps(out))
`

type ZipfileView = { entries: [string, number, number][] } | { error: string }

function zipfileViews(paths: string[]): Record<string, ZipfileView> {
  return JSON.parse(
    execFileSync(python(), ['-c', ZIPFILE_VIEW, ...paths], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024
    })
  )
}

/** Our verdict: the verified entries, or the refusal's message (which must name the file). */
async function ourView(
  path: string
): Promise<{ entries: [string, number, number][] } | { refused: string }> {
  try {
    const entries = await verifyZip(path)
    return { entries: entries.map((e) => [e.name, e.uncompressedSize, e.crc32]) }
  } catch (error) {
    if (!(error instanceof MalformedZipError)) throw error
    return { refused: error.message }
  }
}

async function expectSameOrRefused(
  paths: string[]
): Promise<{ accepted: number; refused: number }> {
  const views = zipfileViews(paths)
  let accepted = 0
  let refused = 0
  for (const path of paths) {
    const ours = await ourView(path)
    const theirs = views[path]
    if ('refused' in ours) {
      expect(ours.refused, path).toContain(basename(path))
      refused++
    } else {
      expect(theirs, `${path}: we accept what zipfile cannot read`).toEqual({
        entries: ours.entries
      })
      accepted++
    }
  }
  return { accepted, refused }
}

/** A small deterministic generator: the same mutations on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

describe('our zip reading against Python zipfile', () => {
  it('real wheels from PyPI: the same entries, sizes and CRCs, all accepted', async () => {
    const wheels = corpus()
    expect(wheels.length).toBeGreaterThanOrEqual(CORPUS_REQUIREMENTS.length)
    const { accepted } = await expectSameOrRefused(wheels)
    expect(accepted).toBe(wheels.length)
  }, 600_000)

  it('the hostile wheels of issue 12: the same view, or refused by name', async () => {
    const paths = HOSTILE_CASES.filter((c) => c !== 'bomb-so').map((hostileCase) => {
      const path = writeHostileWheel(join(work, hostileCase), hostileCase)
      const named = join(work, `${hostileCase}.whl`)
      copyFileSync(path, named)
      return named
    })
    const { accepted, refused } = await expectSameOrRefused(paths)
    expect(accepted + refused).toBe(paths.length)
    // The structural ones are refused; the name cases are valid zips that planning handles.
    const byCase = new Map(paths.map((p) => [basename(p, '.whl'), p]))
    for (const hostileCase of [
      'count-short',
      'bad-crc',
      'bad-deflate',
      'stored-size-lie',
      'size-lie',
      'overlap',
      'local-name'
    ]) {
      expect('refused' in (await ourView(byCase.get(hostileCase) as string)), hostileCase).toBe(
        true
      )
    }
    // Two end records: we read the archive pip reads, without the backdoor.
    const view = await ourView(byCase.get('two-end-records') as string)
    expect('entries' in view && view.entries.map(([name]) => name)).not.toContain(
      'evilpkg/backdoor.py'
    )
  }, 300_000)

  it('bounded mutations of real wheels: the same view, or refused by name', async () => {
    const small = corpus().filter((path) => /\/(six|idna|packaging|attrs)-/.test(path))
    expect(small.length).toBe(4)
    const next = random(12)
    const mutated: string[] = []
    for (const [w, wheel] of small.entries()) {
      const original = readFileSync(wheel)
      for (let i = 0; i < 40; i++) {
        const bytes = Buffer.from(original)
        const kind = i % 4
        // Half the mutations hit the central directory and end record, where the readers
        // make their choices; the rest hit anywhere, truncate, or append.
        const tailStart = Math.max(0, bytes.length - 4096)
        let out: Buffer = bytes
        if (kind === 0 || kind === 1) {
          const at = tailStart + Math.floor(next() * (bytes.length - tailStart))
          bytes.writeUInt8(Math.floor(next() * 256), at)
        } else if (kind === 2) {
          const at = Math.floor(next() * bytes.length)
          bytes.writeUInt8(bytes.readUInt8(at) ^ (1 << Math.floor(next() * 8)), at)
        } else if (i % 8 === 3) {
          out = bytes.subarray(0, Math.floor(next() * bytes.length))
        } else {
          out = Buffer.concat([bytes, bytes.subarray(bytes.length - 22 - Math.floor(next() * 64))])
        }
        const path = join(work, `mutant-${w}-${i}.whl`)
        writeFileSync(path, out)
        mutated.push(path)
      }
    }
    const { accepted, refused } = await expectSameOrRefused(mutated)
    expect(accepted + refused).toBe(160)
  }, 300_000)

  it('a 2 GiB deflate bomb in an .so: the ELF head and the full check both stay in bounded memory', async () => {
    const path = writeHostileWheel(join(work, 'bomb'), 'bomb-so')
    const entries = await verifyZip(path)
    const bomb = entries.find((e) => e.name === 'evilpkg/_bomb.so') as ZipEntry
    expect(bomb.uncompressedSize).toBe(2 ** 31)
    const handle = await open(path, 'r')
    try {
      expect(await readEntryHead(handle, bomb, 20)).toEqual(Buffer.alloc(20))
    } finally {
      await handle.close()
    }
    // Peak RSS of this worker so far, in KiB: inflating the bomb whole would pass 2 GiB.
    expect(process.resourceUsage().maxRSS * 1024).toBeLessThan(1_000_000_000)
  }, 300_000)

  it('reads zip64 wheels as zipfile does', async () => {
    const path = join(work, 'zip64-1.0-py3-none-any.whl')
    execFileSync(python(), [
      '-c',
      'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n    for i in range(3):\n        with z.open("zip64/m%d.py" % i, "w", force_zip64=True) as f: f.write(b"x = 1\\n" * 100)',
      path
    ])
    expect(existsSync(path)).toBe(true)
    expect(await expectSameOrRefused([path])).toEqual({ accepted: 1, refused: 0 })
  })
})
