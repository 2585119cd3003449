// Reads the machine of an ELF file from its header, so that a shared library built for the
// wrong architecture is caught before it ships (Lambda would fail at import time).
import { ELF_MACHINE, type Architecture } from '../../lambda-facts.js'

/** Bytes of the ELF header needed to read `e_machine`. */
export const ELF_HEADER_BYTES = 20

const MACHINE_NAMES: Record<number, string> = {
  3: 'x86 (32-bit)',
  40: 'ARM (32-bit)',
  62: 'x86_64',
  183: 'aarch64',
  243: 'RISC-V',
  21: 'PowerPC64',
  22: 's390'
}

/** `e_machine` of an ELF header, or undefined when the bytes are not ELF. */
export function elfMachine(header: Uint8Array): number | undefined {
  if (header.length < ELF_HEADER_BYTES) return undefined
  if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
    return undefined
  }
  const littleEndian = header[5] === 1
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength)
  return view.getUint16(18, littleEndian)
}

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `ELF machine ${machine}`
}

/** Whether a zip entry is a shared library worth checking (`.so`, `.so.1.2`). */
export function isSharedLibrary(name: string): boolean {
  return /\.so(\.\d+)*$/.test(name)
}

export interface ElfMismatch {
  entry: string
  machine: string
}

export function elfMismatch(
  entry: string,
  header: Uint8Array,
  architecture: Architecture
): ElfMismatch | undefined {
  const machine = elfMachine(header)
  if (machine === undefined || machine === ELF_MACHINE[architecture]) return undefined
  return { entry, machine: machineName(machine) }
}
