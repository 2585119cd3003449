import { describe, expect, it } from 'vitest'
import {
  elfMachine,
  elfMismatch,
  isSharedLibrary,
  machineName
} from '../../src/packaging/verify/elf.js'

/** The first 20 bytes of a 64-bit little-endian ELF header with the given e_machine. */
function header(machine: number, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(20)
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, littleEndian ? 1 : 2, 1])
  new DataView(bytes.buffer).setUint16(18, machine, littleEndian)
  return bytes
}

describe('ELF machine check', () => {
  it.each([
    [62, 'x86_64'],
    [183, 'aarch64'],
    [40, 'ARM (32-bit)'],
    [999, 'ELF machine 999']
  ])('reads e_machine %i as %s', (machine, name) => {
    expect(elfMachine(header(machine))).toBe(machine)
    expect(machineName(machine)).toBe(name)
  })

  it('reads big-endian headers', () => {
    expect(elfMachine(header(21, false))).toBe(21)
  })

  it.each([
    ['not ELF', new TextEncoder().encode('#!/bin/sh\necho not a library at all')],
    ['too short', header(62).slice(0, 10)]
  ])('returns undefined for %s', (_, bytes) => {
    expect(elfMachine(bytes)).toBeUndefined()
  })

  it.each([
    ['numpy/_core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so', 183, 'arm64', undefined],
    ['numpy.libs/libopenblas64_p-r0.so.0.3.29', 183, 'arm64', undefined],
    ['pydantic_core/_pydantic_core.cpython-312-x86_64-linux-gnu.so', 62, 'arm64', 'x86_64'],
    ['lib/libfoo.so', 183, 'x86_64', 'aarch64']
  ] as const)('checks %s', (entry, machine, arch, wrong) => {
    const mismatch = elfMismatch(entry, header(machine), arch)
    expect(mismatch?.machine).toBe(wrong)
  })

  it.each([
    ['a/_speedups.cpython-311-x86_64-linux-gnu.so', true],
    ['a.libs/libgfortran-040039e1.so.5.0.0', true],
    ['a/sound.so.py', false]
  ])('%s is a shared library: %s', (name, expected) => {
    expect(isSharedLibrary(name)).toBe(expected)
  })
})
