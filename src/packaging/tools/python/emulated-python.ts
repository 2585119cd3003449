// A CPython of the other machine, run under qemu user-mode with a sysroot of Lambda's libraries.
// Kept parts are used first (checked against their manifests); else the action brings them:
// qemu from the runner's own release of Debian or Ubuntu, the interpreter from `uv python
// install` (GitHub's downloads) with a sysroot from the runner's release, or else python3.X of
// the release of the archive that has that minor, with its own libraries.
import * as core from '@actions/core'
import { copyFile, mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '../../../errors.js'
import { execWithoutStdin, findOnPath } from '../run-tool.js'
import {
  ARCHIVE_NAME,
  DEB_ARCH,
  pythonSuite,
  pythonSuitesText,
  type ArchiveJob,
  type HostArchive
} from './archive-plan.js'
import { ArchiveUnavailable, fetchIntoTree, finishSysroot, readHostArchive } from './apt-fetch.js'
import {
  emulatedCommand,
  lambdaLibraryPackages,
  QEMU_PACKAGES,
  qemuBinaryNames,
  qemuCpu,
  type QemuCommand
} from './emulation.js'
import { keep, openKept, unlessFailedRecently, type KeptEntry } from './kept-tools.js'
import type { LookupContext, StepResult } from './lookup.js'
import { bringUvPython, keptPython, uvEntryName } from './native-python.js'
import { probeInterpreter } from './probe.js'

interface Qemu extends QemuCommand {
  /** `qemu-aarch64 7.2.22 (Debian bookworm), -cpu neoverse-n1` */
  description: string
}

/** `qemu-aarch64 version 7.2.17 (Debian ...)` → `7.2.17`. */
export function qemuVersion(output: string): string | undefined {
  return /version (\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1]
}

/** What `qemu args` prints (`-cpu help` exits 1 after its list), or '' when it does not run. */
async function askQemu(path: string, args: string[], env: LookupContext['env']): Promise<string> {
  try {
    const result = await execWithoutStdin(path, args, {
      silent: true,
      ignoreReturnCode: true,
      env: env as Record<string, string>
    })
    return result.stdout
  } catch {
    return ''
  }
}

async function runsAsQemu(path: string, env: LookupContext['env']): Promise<string | undefined> {
  return qemuVersion(await askQemu(path, ['--version'], env))
}

/** The qemu found or kept, with Lambda's processor model when it emulates it. */
async function withCpu(context: LookupContext, path: string, description: string): Promise<Qemu> {
  const cpu = qemuCpu(context.architecture, await askQemu(path, ['-cpu', 'help'], context.env))
  return {
    path,
    description: cpu ? `${description}, -cpu ${cpu}` : description,
    ...(cpu ? { cpu } : {})
  }
}

const job = (
  archive: HostArchive,
  suite: string,
  packageArch: string,
  packages: readonly string[]
): ArchiveJob => ({
  distro: archive.distro,
  suite,
  nativeArch: hostDebArch(),
  packageArch,
  packages
})

function hostDebArch(): string {
  return process.arch === 'arm64' ? DEB_ARCH.arm64 : DEB_ARCH.x86_64
}

/** Fills a kept qemu entry: the one binary for `machine` out of the release's qemu package. */
async function fillQemu(
  context: LookupContext,
  archive: HostArchive,
  tree: string
): Promise<{ description: string; facts: Record<string, string> }> {
  const unpacked = `${tree}.deb`
  const started = performance.now()
  let lastProblem = ''
  try {
    for (const name of QEMU_PACKAGES) {
      await rm(unpacked, { recursive: true, force: true })
      await mkdir(unpacked, { recursive: true })
      let packages: string[]
      try {
        ;({ packages } = await fetchIntoTree(
          job(archive, archive.codename, hostDebArch(), [name]),
          {
            closure: false,
            tree: unpacked,
            work: `${tree}.apt`,
            env: context.env
          }
        ))
      } catch (error) {
        lastProblem = errorMessage(error)
        continue
      }
      const bin = join(unpacked, 'usr', 'bin')
      // Debian 13's qemu-user-static holds only links to qemu-user's (static) binaries.
      let binary: string | undefined
      for (const candidate of qemuBinaryNames(context.machine)) {
        const info = await stat(join(bin, candidate)).catch(() => undefined)
        if (info?.isFile()) {
          binary = candidate
          break
        }
      }
      if (binary === undefined) {
        lastProblem = `${name} holds no qemu-${context.machine}`
        continue
      }
      await mkdir(tree, { recursive: true })
      await copyFile(join(bin, binary), join(tree, binary))
      const version = await runsAsQemu(join(tree, binary), context.env)
      if (version === undefined)
        throw new Error(`${binary} from ${packages.join(' ')} does not run`)
      core.info(
        `${context.architecture}: brought qemu-${context.machine} ${version} from ${ARCHIVE_NAME[archive.distro]} ${archive.codename} (${name}) in ${((performance.now() - started) / 1000).toFixed(1)} s`
      )
      return {
        description: `qemu-${context.machine} ${version} (${ARCHIVE_NAME[archive.distro]} ${archive.codename})`,
        facts: { qemu: binary, version, packages: packages.join(' ') }
      }
    }
    throw new ArchiveUnavailable(lastProblem)
  } finally {
    await rm(unpacked, { recursive: true, force: true })
    await rm(`${tree}.apt`, { recursive: true, force: true })
  }
}

const qemus = new Map<string, Promise<Qemu | { miss: string }>>()

/** qemu for the target's machine: on PATH (qemu-user-static installed), else kept or brought. */
function qemuFor(context: LookupContext, archive: HostArchive): Promise<Qemu | { miss: string }> {
  const key = `${context.machine}\0${context.keptDir}\0${context.env.PATH ?? ''}`
  let pending = qemus.get(key)
  if (!pending) {
    pending = (async () => {
      for (const name of qemuBinaryNames(context.machine)) {
        const path = await findOnPath(name, context.env)
        const version = path && (await runsAsQemu(path, context.env))
        if (path && version) return withCpu(context, path, `${name} ${version} on PATH`)
      }
      const name = `qemu-${context.machine}-${archive.distro}-${archive.codename}`
      const brought = await unlessFailedRecently(context.keptDir, name, context.architecture, () =>
        keep(context.keptDir, name, (tree) => fillQemu(context, archive, tree))
      )
      if (!brought.value) return { miss: `qemu-${context.machine}: ${brought.miss}` }
      const entry = brought.value
      return withCpu(
        context,
        join(entry.tree, entry.manifest.facts.qemu ?? ''),
        entry.manifest.description
      )
    })()
    qemus.set(key, pending)
  }
  return pending
}

/** What the sysroot of an interpreter from the archive holds. */
const ARCHIVE_SYSROOT = "Lambda's libraries and the interpreter's own"

function sysrootName(context: LookupContext, archive: HostArchive): string {
  return `sysroot-${context.machine}-${archive.distro}-${archive.codename}`
}

function archiveEntryName(context: LookupContext, archive: HostArchive, suite: string): string {
  return `cpython-${context.pythonVersion}-${context.machine}-${archive.distro}-${suite}`
}

/** Lambda's libraries for the target from the runner's own release: the uv interpreter's sysroot. */
function keepSysroot(context: LookupContext, archive: HostArchive): Promise<KeptEntry> {
  return keep(context.keptDir, sysrootName(context, archive), async (tree) => {
    await mkdir(tree, { recursive: true })
    const { packages } = await fetchIntoTree(
      job(
        archive,
        archive.codename,
        DEB_ARCH[context.architecture],
        lambdaLibraryPackages(context.architecture)
      ),
      { closure: true, tree, work: `${tree}.apt`, env: context.env }
    ).finally(() => rm(`${tree}.apt`, { recursive: true, force: true }))
    await finishSysroot(tree)
    return {
      description: `Lambda's libraries from ${ARCHIVE_NAME[archive.distro]} ${archive.codename}`,
      facts: { packages: packages.join(' ') }
    }
  })
}

/** python3.X of the archive's release that has the minor, with its libraries and Lambda's. */
function keepArchivePython(
  context: LookupContext,
  archive: HostArchive,
  suite: string,
  qemu: Qemu
): Promise<KeptEntry> {
  const name = `python${context.pythonVersion}`
  return keep(context.keptDir, archiveEntryName(context, archive, suite), async (tree) => {
    await mkdir(tree, { recursive: true })
    const started = performance.now()
    const { packages } = await fetchIntoTree(
      job(archive, suite, DEB_ARCH[context.architecture], [
        name,
        ...lambdaLibraryPackages(context.architecture)
      ]),
      { closure: true, tree, work: `${tree}.apt`, env: context.env }
    ).finally(() => rm(`${tree}.apt`, { recursive: true, force: true }))
    await finishSysroot(tree)
    const python = `usr/bin/${name}`
    const probe = await probeInterpreter(
      emulatedCommand(qemu, tree, join(tree, python)),
      context.env
    )
    if (!probe.facts)
      throw new Error(`${name} from ${ARCHIVE_NAME[archive.distro]} ${suite} ${probe.problem}`)
    const version = packages.find((p) => p.startsWith(`${name}:`))?.split('=')[1] ?? ''
    core.info(
      `${context.architecture}: brought ${name} ${version} for ${DEB_ARCH[context.architecture]} from ${ARCHIVE_NAME[archive.distro]} ${suite} (${packages.length} packages) in ${((performance.now() - started) / 1000).toFixed(1)} s`
    )
    return {
      description: `${ARCHIVE_NAME[archive.distro]} ${suite} ${name} ${version}`,
      facts: { python, version: probe.facts.version, packages: packages.join(' ') }
    }
  })
}

/** `sysroot` is the root qemu gives the loader; `holding` says what is in it. */
function emulated(
  context: LookupContext,
  qemu: Qemu,
  python: KeptEntry,
  sysroot: string,
  holding: string
): StepResult {
  const version = python.manifest.facts.version ?? ''
  return {
    found: {
      command: emulatedCommand(qemu, sysroot, keptPython(python)),
      version,
      description: `CPython ${version} for ${context.machine} (${python.manifest.description}) under ${qemu.description}, with a sysroot of ${holding}`,
      emulated: true,
      env: {}
    }
  }
}

/** The other machine's CPython under qemu: kept parts first, then brought ones. */
export async function fromEmulation(context: LookupContext): Promise<StepResult> {
  const archive = await readHostArchive()
  if ('reason' in archive) return { miss: archive.reason }
  const suite = pythonSuite(archive.distro, context.pythonVersion)
  // qemu is fetched only once there is an interpreter for it to run.
  const withQemu = async (): Promise<Qemu> => {
    const qemu = await qemuFor(context, archive)
    if ('miss' in qemu) throw new Error(qemu.miss)
    return qemu
  }
  const misses: string[] = []
  const run = async (
    python: KeptEntry,
    sysroot: KeptEntry,
    holding: string
  ): Promise<StepResult> => {
    try {
      return emulated(context, await withQemu(), python, sysroot.tree, holding)
    } catch (error) {
      return { miss: [...misses, errorMessage(error)].join('; ') }
    }
  }

  // Kept from an earlier run: no network.
  const [keptUv, keptSysroot, keptArchive] = await Promise.all([
    openKept(context.keptDir, uvEntryName(context.pythonVersion, context.machine)),
    openKept(context.keptDir, sysrootName(context, archive)),
    suite === undefined
      ? undefined
      : openKept(context.keptDir, archiveEntryName(context, archive, suite))
  ])
  if (keptUv && keptSysroot) return run(keptUv, keptSysroot, keptSysroot.manifest.description)
  if (keptArchive) return run(keptArchive, keptArchive, ARCHIVE_SYSROOT)

  // A standalone CPython from uv (GitHub's downloads), in a sysroot of the runner's release.
  let sysroot: KeptEntry | undefined
  const uv = await bringUvPython(context, async (python) => {
    const qemu = await withQemu()
    sysroot = await keepSysroot(context, archive)
    return emulatedCommand(qemu, sysroot.tree, python)
  })
  if (uv.entry) {
    sysroot ??= await keepSysroot(context, archive)
    return run(uv.entry, sysroot, sysroot.manifest.description)
  }
  misses.push(uv.miss)

  // python3.X from the release of the archive that has it.
  if (suite === undefined) {
    misses.push(
      `${ARCHIVE_NAME[archive.distro]}'s archive has no python${context.pythonVersion} (it has ${pythonSuitesText(archive.distro)})`
    )
    return { miss: misses.join('; ') }
  }
  const brought = await unlessFailedRecently(
    context.keptDir,
    archiveEntryName(context, archive, suite),
    context.architecture,
    async () => keepArchivePython(context, archive, suite, await withQemu())
  )
  if (!brought.value) return { miss: [...misses, brought.miss].join('; ') }
  return run(brought.value, brought.value, ARCHIVE_SYSROOT)
}
