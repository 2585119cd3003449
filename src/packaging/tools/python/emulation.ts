// Running the other architecture's CPython: qemu user-mode with a sysroot (`-L`) in which the
// dynamic loader finds the libraries Lambda's runtime provides and nothing of the runner's.
// Names and argv only; kept-tools.ts and apt-fetch.ts bring the parts.
import {
  LAMBDA_CPU_MODEL,
  runtimeProvidedLibraries,
  type Architecture
} from '../../../lambda-facts.js'

/** The qemu user-mode binaries for a machine, the static build first (it needs no host library). */
export function qemuBinaryNames(machine: string): string[] {
  return [`qemu-${machine}-static`, `qemu-${machine}`]
}

/**
 * Debian/Ubuntu packages holding qemu's user-mode binaries: `qemu-user-static` until Debian 13,
 * `qemu-user` (built static) after it.
 */
export const QEMU_PACKAGES = ['qemu-user-static', 'qemu-user'] as const

/**
 * The package holding each library Lambda's runtime provides (lambda-facts.ts): glibc's in
 * libc6, then the GCC runtime and zlib. The sysroot holds these and the interpreter's own.
 */
export const LAMBDA_LIBRARY_PACKAGES: Readonly<Record<string, string>> = {
  'libc.so.6': 'libc6',
  'libm.so.6': 'libc6',
  'libdl.so.2': 'libc6',
  'librt.so.1': 'libc6',
  'libpthread.so.0': 'libc6',
  'libutil.so.1': 'libc6',
  'libresolv.so.2': 'libc6',
  'libanl.so.1': 'libc6',
  'libnsl.so.1': 'libc6',
  'ld-linux-x86-64.so.2': 'libc6',
  'ld-linux-aarch64.so.1': 'libc6',
  'libgcc_s.so.1': 'libgcc-s1',
  'libstdc++.so.6': 'libstdc++6',
  'libz.so.1': 'zlib1g'
}

/** The packages that make up Lambda's libraries for an architecture. */
export function lambdaLibraryPackages(architecture: Architecture): string[] {
  return [
    ...new Set(
      [...runtimeProvidedLibraries(architecture)].map((library) => {
        const found = LAMBDA_LIBRARY_PACKAGES[library]
        if (found === undefined) throw new Error(`no package known for ${library}`)
        return found
      })
    )
  ]
}

/**
 * The processor model to emulate: Lambda's (lambda-facts.ts) when this qemu knows it (its
 * `-cpu help` lists it), else qemu's default.
 */
export function qemuCpu(architecture: Architecture, cpuHelp: string): string | undefined {
  const model = LAMBDA_CPU_MODEL[architecture]
  return model !== undefined && cpuHelp.split(/\s+/).includes(model) ? model : undefined
}

export interface QemuCommand {
  path: string
  /** `-cpu` model, when qemu emulates Lambda's. */
  cpu?: string
}

/** The argv prefix that runs `python` under qemu with `sysroot` as the root the loader sees. */
export function emulatedCommand(qemu: QemuCommand, sysroot: string, python: string): string[] {
  return [qemu.path, ...(qemu.cpu ? ['-cpu', qemu.cpu] : []), '-L', sysroot, python]
}
