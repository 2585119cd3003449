import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  glibcMinorOf,
  isSharedLibrary,
  machineName,
  newestGlibc,
  parseElf
} from '../../src/packaging/verify/elf.js'

/** The first 20 bytes of a 64-bit little-endian ELF header with the given e_machine. */
function header(machine: number, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(20)
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, littleEndian ? 1 : 2, 1])
  new DataView(bytes.buffer).setUint16(18, machine, littleEndian)
  return bytes
}

interface Crafted {
  is64: boolean
  littleEndian: boolean
  needed: string[]
  runpath?: string
  /** file → versions */
  verneed?: [string, string[]][]
}

/**
 * A minimal shared object laid out by hand: ELF header, PT_LOAD (the whole file at vaddr
 * 0x10000), PT_DYNAMIC, a string table and a version-needs table, in either class and byte order.
 */
function craft(spec: Crafted): Uint8Array {
  const { is64, littleEndian: le } = spec
  const word = is64 ? 8 : 4
  const ehsize = is64 ? 64 : 52
  const phentsize = is64 ? 56 : 32
  const base = 0x10000
  const strings = ['']
  const index = (s: string) => {
    const at = strings.join('\0').length + 1
    strings.push(s)
    return at
  }
  const dyn: [number, number][] = spec.needed.map((n) => [1, index(n)])
  if (spec.runpath) dyn.push([29, index(spec.runpath)])
  const verneedRecords = (spec.verneed ?? []).map(([file, versions]) => ({
    file: index(file),
    versions: versions.map(index)
  }))
  const strtab = Buffer.from(strings.join('\0') + '\0', 'latin1')
  const phoff = ehsize
  const dynOff = phoff + 2 * phentsize
  const dynCount = dyn.length + 4 + (verneedRecords.length ? 2 : 0)
  const strOff = dynOff + dynCount * 2 * word
  const verOff = strOff + strtab.length
  const verSize = verneedRecords.reduce((n, r) => n + 16 + 16 * r.versions.length, 0)
  const size = verOff + verSize
  const buf = new Uint8Array(size)
  const v = new DataView(buf.buffer)
  const w = (at: number, value: number) =>
    is64 ? v.setBigUint64(at, BigInt(value), le) : v.setUint32(at, value, le)
  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1])
  v.setUint16(16, 3, le)
  v.setUint16(18, 62, le)
  w(is64 ? 32 : 28, phoff)
  v.setUint16(is64 ? 54 : 42, phentsize, le)
  v.setUint16(is64 ? 56 : 44, 2, le)
  const ph = (at: number, type: number, offset: number, filesz: number) => {
    v.setUint32(at, type, le)
    w(at + (is64 ? 8 : 4), offset)
    w(at + (is64 ? 16 : 8), base + offset)
    w(at + (is64 ? 32 : 16), filesz)
  }
  ph(phoff, 1, 0, size)
  ph(phoff + phentsize, 2, dynOff, dynCount * 2 * word)
  const entries: [number, number][] = [...dyn, [5, base + strOff], [10, strtab.length]]
  if (verneedRecords.length)
    entries.push([0x6ffffffe, base + verOff], [0x6fffffff, verneedRecords.length])
  entries.forEach(([tag, value], i) => {
    w(dynOff + i * 2 * word, tag)
    w(dynOff + i * 2 * word + word, value)
  })
  buf.set(strtab, strOff)
  let at = verOff
  verneedRecords.forEach((record, i) => {
    const last = i === verneedRecords.length - 1
    v.setUint16(at, 1, le)
    v.setUint16(at + 2, record.versions.length, le)
    v.setUint32(at + 4, record.file, le)
    v.setUint32(at + 8, 16, le)
    v.setUint32(at + 12, last ? 0 : 16 + 16 * record.versions.length, le)
    record.versions.forEach((name, j) => {
      const aux = at + 16 + 16 * j
      v.setUint32(aux + 8, name, le)
      v.setUint32(aux + 12, j === record.versions.length - 1 ? 0 : 16, le)
    })
    at += 16 + 16 * record.versions.length
  })
  return buf
}

const work = mkdtempSync(join(tmpdir(), 'lpd-elf-'))

/** A real shared object built here with gcc: DT_NEEDED libm and libz, a $ORIGIN runpath. */
function gccLibrary(): Buffer {
  const source = join(work, 'probe.c')
  const so = join(work, 'probe.so')
  writeFileSync(
    source,
    '#include <math.h>\n#include <pthread.h>\nint PyInit_probe(void){return 0;}\nstatic void *g(void *a){return a;}\ndouble f(double x){pthread_t t;pthread_create(&t,0,g,0);return cos(x);}\n'
  )
  execFileSync('gcc', [
    '-shared',
    '-fPIC',
    '-o',
    so,
    source,
    '-lm',
    '-Wl,--no-as-needed',
    '-lz',
    '-Wl,-rpath,$ORIGIN/../probe.libs',
    '-Wl,--enable-new-dtags'
  ])
  return readFileSync(so)
}

describe('ELF machine', () => {
  it.each([
    [62, 'x86_64'],
    [183, 'aarch64'],
    [40, 'ARM (32-bit)'],
    [999, 'ELF machine 999']
  ])('reads e_machine %i as %s, in either byte order', (machine, name) => {
    for (const littleEndian of [true, false]) {
      const bytes = new Uint8Array(64)
      bytes.set(header(machine, littleEndian))
      expect(parseElf(bytes)).toMatchObject({ machine })
    }
    expect(machineName(machine)).toBe(name)
  })

  it.each([
    ['a/_speedups.cpython-311-x86_64-linux-gnu.so', true],
    ['a.libs/libgfortran-040039e1.so.5.0.0', true],
    ['a/sound.so.py', false]
  ])('%s is a shared library: %s', (name, expected) => {
    expect(isSharedLibrary(name)).toBe(expected)
  })
})

describe('ELF dynamic section', () => {
  it('reads what readelf reads from a library gcc built here', () => {
    const bytes = gccLibrary()
    const parsed = parseElf(bytes)
    expect(parsed.kind).toBe('elf')
    if (parsed.kind !== 'elf') return
    const path = join(work, 'probe.so')
    const dynamic = execFileSync('readelf', ['-dW', path]).toString()
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1])
    expect(parsed.needed).toEqual(needed)
    expect(parsed.needed).toEqual(expect.arrayContaining(['libm.so.6', 'libz.so.1', 'libc.so.6']))
    expect(parsed.runpath).toEqual(['$ORIGIN/../probe.libs'])
    expect(parsed.rpath).toEqual([])
    const versions = execFileSync('readelf', ['-VW', path]).toString().split('.gnu.version_r')[1]!
    const names = [...versions.matchAll(/Name: (\S+)\s+Flags/g)].map((m) => m[1]).sort()
    expect(parsed.versionNeeds.flatMap((n) => n.versions).sort()).toEqual(names)
    // pthread_create moved into libc in glibc 2.34 (GLIBC_2.34); this machine is Debian 12.
    expect(newestGlibc(parsed)).toEqual({ minor: 34, version: 'GLIBC_2.34' })
    expect(parsed.pyInit).toEqual(['PyInit_probe'])
  })

  it.each([
    [true, true],
    [true, false],
    [false, true],
    [false, false]
  ])('reads a hand-made %s-bit=64 little-endian=%s shared object', (is64, littleEndian) => {
    const parsed = parseElf(
      craft({
        is64,
        littleEndian,
        needed: ['libGL.so.1', 'libc.so.6'],
        runpath: '$ORIGIN:$ORIGIN/../x.libs',
        verneed: [['libc.so.6', ['GLIBC_2.2.5', 'GLIBC_2.28']]]
      })
    )
    expect(parsed).toMatchObject({
      kind: 'elf',
      needed: ['libGL.so.1', 'libc.so.6'],
      runpath: ['$ORIGIN', '$ORIGIN/../x.libs'],
      versionNeeds: [{ file: 'libc.so.6', versions: ['GLIBC_2.2.5', 'GLIBC_2.28'] }]
    })
  })

  it.each([
    ['GLIBC_2.34', 34],
    ['GLIBC_2.2.5', 2],
    ['GLIBC_2.17', 17],
    ['GLIBC_ABI_DT_RELR', 36],
    ['GLIBC_PRIVATE', undefined],
    ['GLIBCXX_3.4.30', undefined],
    ['GCC_3.0', undefined]
  ])('%s needs glibc 2.%s', (version, minor) => {
    expect(glibcMinorOf(version)).toBe(minor)
  })

  it('returns not-elf for other files', () => {
    expect(parseElf(Buffer.from('#!/bin/sh\n'))).toEqual({ kind: 'not-elf' })
  })

  it('never throws or reads past the end on any truncation of a real library', () => {
    const bytes = gccLibrary()
    for (let length = 0; length < bytes.length; length += 7) {
      const parsed = parseElf(bytes.subarray(0, length))
      expect(['not-elf', 'damaged', 'elf']).toContain(parsed.kind)
    }
    expect(parseElf(bytes.subarray(0, 40))).toMatchObject({ kind: 'damaged' })
  })

  it('survives hostile bytes: random corruption of a real library, pointers out of range', () => {
    const original = gccLibrary()
    let seed = 12345
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(original)
      for (let i = 0; i < 16; i++) {
        // Hit the headers and dynamic section most: that is what the parser walks.
        const at = Math.floor(random() * (round % 2 ? 1024 : bytes.length))
        bytes[at] = Math.floor(random() * 256)
      }
      expect(() => parseElf(bytes)).not.toThrow()
    }
  })

  it.each([
    [
      'a string table beyond the file',
      (v: DataView) => v.setBigUint64(0x40 + 2 * 56 + 16 * 2 + 8, 0xffffffffn, true)
    ],
    [
      'a program header table beyond the file',
      (v: DataView) => v.setBigUint64(32, 0x7fffffffn, true)
    ],
    ['a 2^63 offset', (v: DataView) => v.setBigUint64(32, 0x8000000000000000n, true)],
    [
      'a version record pointing out of the file',
      (v: DataView, size: number) => v.setUint32(size - 24, 0x7ffffff0, true)
    ]
  ])('reports %s as damaged', (_, corrupt) => {
    const bytes = craft({
      is64: true,
      littleEndian: true,
      needed: ['libc.so.6'],
      verneed: [
        ['libc.so.6', ['GLIBC_2.2.5']],
        ['libm.so.6', ['GLIBC_2.29']]
      ]
    })
    corrupt(new DataView(bytes.buffer), bytes.length)
    expect(parseElf(bytes)).toMatchObject({ kind: 'damaged' })
  })
})
