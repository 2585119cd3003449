import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import {
  compareEntryNames,
  dosDateTime,
  entryDataOffset,
  isExecutableEntry,
  METHOD_DEFLATED,
  METHOD_STORED,
  readEntryData,
  readEntryHead,
  readEntryRaw,
  readZipEntries,
  verifyZip,
  ZipWriter,
  type WrittenZip,
  type ZipEntry
} from '../../src/packaging/zip-format.js'

interface PythonEntry {
  name: string
  method: number
  date: number[]
  mode: number
  extra: string
  flags: number
  system: number
  size: number
  crc: number
  sha256: string
}

/** Python's zipfile is the reference reader: it checks every CRC and reports what it sees. */
function pythonView(zip: string): { bad: string | null; entries: PythonEntry[] } {
  const script = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
entries = [dict(name=i.filename, method=i.compress_type, date=list(i.date_time),
                mode=i.external_attr >> 16, extra=i.extra.hex(), flags=i.flag_bits,
                system=i.create_system, size=i.file_size, crc=i.CRC,
                sha256=hashlib.sha256(z.read(i)).hexdigest()) for i in z.infolist()]
print(json.dumps(dict(bad=z.testzip(), entries=entries)))
`
  return JSON.parse(execFileSync('python3', ['-c', script, zip], { encoding: 'utf8' }))
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zip-format-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('dosDateTime', () => {
  const dos = (y: number, mo: number, d: number, h: number, mi: number, s: number) => ({
    date: ((y - 1980) << 9) | (mo << 5) | d,
    time: (h << 11) | (mi << 5) | (s / 2)
  })
  it.each([
    ['no SOURCE_DATE_EPOCH', undefined, dos(1980, 1, 1, 0, 0, 0)],
    ['1970 clamps to 1980', 0, dos(1980, 1, 1, 0, 0, 0)],
    ['not a number falls back to 1980', Number.NaN, dos(1980, 1, 1, 0, 0, 0)],
    ['a 2023 epoch, read as UTC', 1_700_000_000, dos(2023, 11, 14, 22, 13, 20)],
    ['odd seconds round down', 1_700_000_001, dos(2023, 11, 14, 22, 13, 20)],
    ['past 2107 clamps to the last DOS time', 5_000_000_000, dos(2107, 12, 31, 23, 59, 58)]
  ])('%s', (_, epoch, expected) => {
    expect(dosDateTime(epoch)).toEqual(expected)
  })
})

describe('compareEntryNames', () => {
  it.each([
    ['a', 'b', -1],
    ['B', 'a', -1],
    ['a.b', 'a/b', -1],
    ['pkg/x.py', 'pkg-1.0.dist-info/RECORD', 1],
    // UTF-16 order would put the emoji (a surrogate pair) first; UTF-8 bytes do not.
    ['\uFFFD', '\u{1F600}', -1],
    ['same', 'same', 0]
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(compareEntryNames(a, b))).toBe(sign)
  })
})

describe('isExecutableEntry', () => {
  it.each([
    [0o100755, true],
    [0o100744, true],
    [0o100644, false],
    [0o040755, false],
    [0, false]
  ])('mode %o → %s', (mode, executable) => {
    expect(isExecutableEntry({ externalAttributes: (mode << 16) >>> 0 })).toBe(executable)
  })
})

describe('ZipWriter', () => {
  const text = Buffer.from('def handler(event, context):\n    return event\n'.repeat(50))
  const noise = randomBytes(4096)

  async function writeSample(path: string, epoch?: number): Promise<WrittenZip> {
    const privateFile = join(dir, 'private.py')
    const script = join(dir, 'run.sh')
    writeFileSync(privateFile, text)
    chmodSync(privateFile, 0o600)
    writeFileSync(script, '#!/bin/sh\necho hi\n')
    chmodSync(script, 0o700)
    const writer = await ZipWriter.create(path, { sourceDateEpoch: epoch })
    await writer.addBytes('a/empty.txt', Buffer.alloc(0))
    await writer.addBytes('a/noise.bin', noise)
    await writer.addBytes('a/text.py', text)
    await writer.addFile('private.py', privateFile, false)
    await writer.addFile('run.sh', script, true)
    await writer.addBytes('ünïcode.txt', Buffer.from('名前'))
    return writer.finish()
  }

  it('writes a zip that Python, unzip and zipinfo accept, with fixed time and modes', async () => {
    const path = join(dir, 'sample.zip')
    const written = await writeSample(path)
    const bytes = readFileSync(path)
    expect(written.size).toBe(bytes.length)
    expect(written.codeSha256).toBe(createHash('sha256').update(bytes).digest('base64'))
    expect(written.entries).toBe(6)
    expect(written.unzippedSize).toBe(0 + noise.length + text.length * 2 + 18 + 6)

    const view = pythonView(path)
    expect(view.bad).toBeNull()
    expect(view.entries.map((e) => e.name)).toEqual([
      'a/empty.txt',
      'a/noise.bin',
      'a/text.py',
      'private.py',
      'run.sh',
      'ünïcode.txt'
    ])
    const byName = Object.fromEntries(view.entries.map((e) => [e.name, e]))
    for (const entry of view.entries) {
      expect(entry.date).toEqual([1980, 1, 1, 0, 0, 0])
      expect(entry.extra).toBe('')
      expect(entry.flags & 0x08).toBe(0) // no data descriptor
      expect(entry.system).toBe(3) // Unix
    }
    expect(byName['a/noise.bin']?.method).toBe(METHOD_STORED) // deflate would not shrink it
    expect(byName['a/empty.txt']?.method).toBe(METHOD_STORED)
    expect(byName['a/text.py']?.method).toBe(METHOD_DEFLATED)
    expect(byName['a/text.py']?.sha256).toBe(sha256(text))
    expect(byName['private.py']?.mode).toBe(0o100644) // 0600 on disk
    expect(byName['run.sh']?.mode).toBe(0o100755) // 0700 on disk
    expect(byName['a/noise.bin']?.mode).toBe(0o100644)

    expect(execFileSync('unzip', ['-tq', path], { encoding: 'utf8' })).toMatch(/No errors detected/)
    const listing = execFileSync('zipinfo', [path], { encoding: 'utf8' })
    expect(listing).toMatch(/-rw-r--r-- .* 80-Jan-01 00:00 private\.py/)
    expect(listing).toMatch(/-rwxr-xr-x .* 80-Jan-01 00:00 run\.sh/)
  })

  it('gives the same bytes for the same input', async () => {
    const first = await writeSample(join(dir, 'one.zip'))
    const second = await writeSample(join(dir, 'two.zip'))
    expect(second.codeSha256).toBe(first.codeSha256)
    expect(readFileSync(join(dir, 'two.zip')).equals(readFileSync(join(dir, 'one.zip')))).toBe(true)
  })

  it('honours SOURCE_DATE_EPOCH', async () => {
    const path = join(dir, 'epoch.zip')
    const written = await writeSample(path, 1_700_000_000)
    for (const entry of pythonView(path).entries)
      expect(entry.date).toEqual([2023, 11, 14, 22, 13, 20])
    expect(execFileSync('zipinfo', [path], { encoding: 'utf8' })).toMatch(/23-Nov-14 22:13 run\.sh/)
    expect(written.codeSha256).not.toBe((await writeSample(join(dir, 'plain.zip'))).codeSha256)
  })

  it('streams files larger than the in-memory limit, deflated or stored', async () => {
    const compressible = join(dir, 'big.txt')
    const incompressible = join(dir, 'big.bin')
    writeFileSync(compressible, Buffer.from('0123456789abcdef\n'.repeat(1_100_000)))
    writeFileSync(incompressible, randomBytes(17 * 1024 * 1024))
    const path = join(dir, 'big.zip')
    const writer = await ZipWriter.create(path)
    await writer.addFile('big.bin', incompressible, false)
    await writer.addFile('big.txt', compressible, false)
    await writer.finish()
    const view = pythonView(path)
    expect(view.bad).toBeNull()
    expect(view.entries.map((e) => [e.name, e.method, e.sha256])).toEqual([
      ['big.bin', METHOD_STORED, sha256(readFileSync(incompressible))],
      ['big.txt', METHOD_DEFLATED, sha256(readFileSync(compressible))]
    ])
  })

  it('refuses a 65,536th entry', async () => {
    const writer = await ZipWriter.create(join(dir, 'many.zip'))
    const empty = Buffer.alloc(0)
    for (let i = 0; i < 0xffff; i++) await writer.addBytes(`f${i}`, empty)
    await expect(writer.addBytes('one-too-many', empty)).rejects.toThrow(/more than 65,535 files/)
    await writer.abort()
  })

  it('refuses names that are not relative file paths, and duplicates', async () => {
    const writer = await ZipWriter.create(join(dir, 'names.zip'))
    await expect(writer.addBytes('/abs', Buffer.alloc(1))).rejects.toThrow(
      /not a relative file path/
    )
    await expect(writer.addBytes('dir/', Buffer.alloc(0))).rejects.toThrow(
      /not a relative file path/
    )
    await writer.addBytes('x', Buffer.alloc(1))
    await expect(writer.addBytes('x', Buffer.alloc(1))).rejects.toThrow(/added twice/)
    await writer.abort()
    expect(() => readFileSync(join(dir, 'names.zip'))).toThrow()
  })
})

describe('reading and raw copy', () => {
  let infoZip: string
  const content = Buffer.from('import os\n'.repeat(5000))
  const elfLike = Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]),
    randomBytes(70_000)
  ])

  beforeAll(() => {
    // Info-ZIP writes local extra fields (UT, ux) longer than the central ones: the reader must
    // take the data offset from the local header.
    const src = join(dir, 'src')
    execFileSync('mkdir', ['-p', join(src, 'pkg')])
    writeFileSync(join(src, 'pkg', 'mod.py'), content)
    writeFileSync(join(src, 'pkg', 'lib.so'), elfLike)
    writeFileSync(join(src, 'pkg', 'tool'), '#!/bin/sh\n')
    chmodSync(join(src, 'pkg', 'tool'), 0o755)
    infoZip = join(dir, 'info-zip.zip')
    execFileSync('zip', ['-q', '-r', infoZip, 'pkg'], { cwd: src })
    execFileSync('zip', ['-q', '-r', '-0', infoZip, 'pkg/tool'], { cwd: src })
  })

  it('reads names, methods, sizes and modes from the central directory', async () => {
    const entries = await readZipEntries(infoZip)
    const byName = new Map(entries.map((e) => [e.name, e]))
    expect([...byName.keys()].sort()).toEqual(['pkg/', 'pkg/lib.so', 'pkg/mod.py', 'pkg/tool'])
    expect(byName.get('pkg/mod.py')?.method).toBe(METHOD_DEFLATED)
    expect(byName.get('pkg/mod.py')?.uncompressedSize).toBe(content.length)
    expect(byName.get('pkg/tool')?.method).toBe(METHOD_STORED)
    expect(isExecutableEntry(byName.get('pkg/tool') as ZipEntry)).toBe(true)
    expect(isExecutableEntry(byName.get('pkg/mod.py') as ZipEntry)).toBe(false)
  })

  it('reads a zip64 archive as zipfile does and verifies every entry', async () => {
    const path = join(dir, 'z64.zip')
    execFileSync('zip', ['-q', '-fz', '-r', path, 'pkg'], { cwd: join(dir, 'src') })
    const entries = await verifyZip(path)
    expect(entries.map((e) => e.name).sort()).toEqual([
      'pkg/',
      'pkg/lib.so',
      'pkg/mod.py',
      'pkg/tool'
    ])
    expect(entries.find((e) => e.name === 'pkg/mod.py')?.uncompressedSize).toBe(content.length)
  })

  it('inflates whole entries and just the head of one', async () => {
    const entries = await readZipEntries(infoZip)
    const handle = await open(infoZip, 'r')
    try {
      const get = (name: string) => entries.find((e) => e.name === name) as ZipEntry
      expect((await readEntryData(handle, get('pkg/mod.py'))).equals(content)).toBe(true)
      expect(
        (await readEntryHead(handle, get('pkg/lib.so'), 64)).equals(elfLike.subarray(0, 64))
      ).toBe(true)
      expect((await readEntryHead(handle, get('pkg/tool'), 64)).toString()).toBe('#!/bin/sh\n')
    } finally {
      await handle.close()
    }
  })

  it('copies entries verbatim: same method, CRC-32 and compressed bytes', async () => {
    const entries = (await readZipEntries(infoZip)).filter((e) => !e.name.endsWith('/'))
    const source = await open(infoZip, 'r')
    const copy = join(dir, 'copy.zip')
    try {
      const writer = await ZipWriter.create(copy)
      for (const entry of [...entries].sort((a, b) => compareEntryNames(a.name, b.name))) {
        await writer.addRaw(`site/${entry.name}`, source, entry, isExecutableEntry(entry))
      }
      const written = await writer.finish()
      expect(written.unzippedSize).toBe(entries.reduce((sum, e) => sum + e.uncompressedSize, 0))

      const copied = await readZipEntries(copy)
      const target = await open(copy, 'r')
      try {
        for (const entry of copied) {
          const original = entries.find((e) => `site/${e.name}` === entry.name) as ZipEntry
          expect([entry.method, entry.crc32, entry.compressedSize, entry.uncompressedSize]).toEqual(
            [original.method, original.crc32, original.compressedSize, original.uncompressedSize]
          )
          const raw = async (handle: typeof source, e: ZipEntry) => {
            const parts: Buffer[] = []
            for await (const part of readEntryRaw(handle, e, 1000)) parts.push(part)
            return Buffer.concat(parts)
          }
          expect((await raw(target, entry)).equals(await raw(source, original))).toBe(true)
        }
      } finally {
        await target.close()
      }
    } finally {
      await source.close()
    }
    const view = pythonView(copy)
    expect(view.bad).toBeNull()
    expect(view.entries.find((e) => e.name === 'site/pkg/tool')?.mode).toBe(0o100755)
    expect(view.entries.find((e) => e.name === 'site/pkg/mod.py')?.sha256).toBe(sha256(content))
  })

  describe('refuses', () => {
    it('a truncated zip, naming it', async () => {
      const path = join(dir, 'truncated.zip')
      writeFileSync(path, readFileSync(infoZip))
      truncateSync(path, readFileSync(infoZip).length - 30)
      await expect(readZipEntries(path)).rejects.toThrow(UserError)
      await expect(readZipEntries(path)).rejects.toThrow(path)
    })

    it('a damaged central directory', async () => {
      const bytes = readFileSync(infoZip)
      const central = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
      bytes[central + 2] = 0x09
      const path = join(dir, 'damaged.zip')
      writeFileSync(path, bytes)
      await expect(readZipEntries(path)).rejects.toThrow(/damaged/)
    })

    it('a file that is not a zip', async () => {
      const path = join(dir, 'not.zip')
      writeFileSync(path, 'just text, long enough to hold an end record but not one')
      await expect(readZipEntries(path)).rejects.toThrow(/not a readable zip/)
    })

    it('a corrupt deflate stream, naming the entry', async () => {
      const bytes = readFileSync(infoZip)
      const entries = await readZipEntries(infoZip)
      const handle = await open(infoZip, 'r')
      const mod = entries.find((e) => e.name === 'pkg/mod.py') as ZipEntry
      const offset = await entryDataOffset(handle, mod)
      await handle.close()
      bytes.fill(0xff, offset, offset + 40)
      const path = join(dir, 'bad-deflate.zip')
      writeFileSync(path, bytes)
      const damaged = await open(path, 'r')
      try {
        const entry = (await readZipEntries(path)).find((e) => e.name === 'pkg/mod.py') as ZipEntry
        await expect(readEntryData(damaged, entry)).rejects.toThrow(/pkg\/mod\.py/)
      } finally {
        await damaged.close()
      }
    })

    it('encrypted entries', async () => {
      const path = join(dir, 'secret.zip')
      execFileSync('zip', ['-q', '-P', 'secret', path, 'pkg/mod.py'], { cwd: join(dir, 'src') })
      await expect(readZipEntries(path)).rejects.toThrow(/pkg\/mod\.py is encrypted/)
    })

    it('compression methods other than stored and deflate, naming file and entry', async () => {
      const path = join(dir, 'bzip2.zip')
      execFileSync('python3', [
        '-c',
        'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_BZIP2).writestr("pkg/x.py", "x = 1\\n" * 100)',
        path
      ])
      const [entry] = await readZipEntries(path)
      const handle = await open(path, 'r')
      const writer = await ZipWriter.create(join(dir, 'out-bzip2.zip'))
      try {
        await expect(readEntryData(handle, entry as ZipEntry)).rejects.toThrow(
          new RegExp(`${path}: not a readable zip \\(entry pkg/x.py uses compression method 12`)
        )
        await expect(writer.addRaw('x.py', handle, entry as ZipEntry, false)).rejects.toThrow(
          /method 12/
        )
      } finally {
        await writer.abort()
        await handle.close()
      }
    })
  })
})
