// parseElf on the shared libraries of real wheels from PyPI, both architectures, held against
// binutils' readelf reading the same bytes: DT_NEEDED, DT_RPATH/DT_RUNPATH and every version
// the file needs (.gnu.version_r).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isSharedLibrary, parseElf } from '../../src/packaging/verify/elf.js'
import { readEntryData, readZipEntriesFrom } from '../../src/packaging/zip-format.js'
import { downloadWheel } from '../helpers/wheels.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-elf-wheels-'))

function download(requirement: string, platform: string): string {
  return downloadWheel(requirement, { platform, pythonVersion: '3.12' }, work)
}

function readelf(path: string) {
  const dynamic = execFileSync('readelf', ['-dW', path]).toString()
  const versions =
    execFileSync('readelf', ['-VW', path]).toString().split('.gnu.version_r')[1] ?? ''
  return {
    needed: [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]),
    paths: [...dynamic.matchAll(/\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.+)\]/g)]
      .flatMap((m) => m[1]!.split(':'))
      .filter(Boolean),
    versions: [...versions.matchAll(/Name: (\S+)\s+Flags/g)].map((m) => m[1]).sort()
  }
}

describe('parseElf on real wheels', () => {
  it.each([
    ['numpy==2.1.3', 'manylinux_2_17_x86_64'],
    ['numpy==2.1.3', 'manylinux_2_17_aarch64'],
    ['pydantic-core==2.27.2', 'manylinux_2_17_aarch64'],
    ['cryptography==44.0.0', 'manylinux_2_28_x86_64'],
    ['lxml==5.3.0', 'manylinux_2_28_aarch64']
  ])('%s (%s) reads as readelf reads it', async (requirement, platform) => {
    const wheel = download(requirement, platform)
    const handle = await open(wheel, 'r')
    let checked = 0
    try {
      for (const entry of await readZipEntriesFrom(handle, wheel)) {
        if (!isSharedLibrary(entry.name)) continue
        const bytes = await readEntryData(handle, entry)
        const file = join(work, `so-${checked}`)
        writeFileSync(file, bytes)
        const parsed = parseElf(bytes)
        expect(parsed.kind, entry.name).toBe('elf')
        if (parsed.kind !== 'elf') continue
        const reference = readelf(file)
        expect(parsed.needed, entry.name).toEqual(reference.needed)
        expect([...parsed.rpath, ...parsed.runpath], entry.name).toEqual(reference.paths)
        expect(parsed.versionNeeds.flatMap((n) => n.versions).sort(), entry.name).toEqual(
          reference.versions
        )
        expect(parsed.machine).toBe(platform.endsWith('x86_64') ? 62 : 183)
        checked++
      }
    } finally {
      await handle.close()
    }
    expect(checked).toBeGreaterThan(0)
  })
})
