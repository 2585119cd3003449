import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ElfParse } from '../../src/packaging/verify/elf.js'
import { ElfParseCache, elfParseCacheFile } from '../../src/packaging/verify/library-scan.js'
import type { ZipEntry } from '../../src/packaging/zip-format.js'

const dir = mkdtempSync(join(tmpdir(), 'lpd-elf-cache-'))

function entry(fields: Partial<ZipEntry> = {}): ZipEntry {
  return {
    archive: 'function.zip',
    name: 'a/_x.abi3.so',
    flags: 0,
    method: 8,
    crc32: 0x1234abcd,
    compressedSize: 100,
    uncompressedSize: 300,
    localHeaderOffset: 0,
    externalAttributes: 0,
    versionMadeBy: 0,
    dataLimit: 1000,
    ...fields
  }
}

const parse: ElfParse = {
  kind: 'elf',
  machine: 62,
  needed: ['libc.so.6'],
  rpath: [],
  runpath: [],
  versionNeeds: [],
  pyInit: ['PyInit__x']
}

describe('ELF parse cache', () => {
  it('keeps parses by entry content across builds, whatever the entry is called', async () => {
    const file = elfParseCacheFile(dir)
    const first = await ElfParseCache.load(file)
    first.set(entry(), parse)
    await first.save()
    const second = await ElfParseCache.load(file)
    expect(second.get(entry({ name: 'elsewhere/_x.abi3.so', archive: 'layer.zip' }))).toEqual(parse)
    // Any change of content (CRC-32, either size, method) is another key.
    for (const change of [
      { crc32: 0x1234abce },
      { uncompressedSize: 301 },
      { compressedSize: 101 },
      { method: 0 }
    ]) {
      expect(second.get(entry(change))).toBeUndefined()
    }
  })

  it('starts empty from a damaged or foreign cache file, and replaces it on save', async () => {
    const file = join(dir, 'damaged.json')
    writeFileSync(file, '{"format": 1, "parses": ')
    const cache = await ElfParseCache.load(file)
    expect(cache.get(entry())).toBeUndefined()
    cache.set(entry(), parse)
    await cache.save()
    expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe(1)
    writeFileSync(file, JSON.stringify({ format: 999, parses: { x: parse } }))
    expect((await ElfParseCache.load(file)).get(entry())).toBeUndefined()
  })
})
