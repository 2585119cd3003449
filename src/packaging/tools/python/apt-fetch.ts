// apt-get and dpkg-deb as child processes: packages of one release fetched through a private apt
// root (apt checks the archive's signatures and every package's hash) and unpacked into a folder.
// Needs neither root nor sudo, and leaves the runner's own apt state alone.
import { access, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../../../errors.js'
import {
  ARCHIVE_KEYRING,
  ARCHIVE_NAME,
  aptOptions,
  downloadSpecs,
  hostArchive,
  parseOsRelease,
  parseSimulatedInstall,
  sourcesList,
  type ArchiveJob,
  type ChosenPackage,
  type HostArchive
} from './archive-plan.js'
import { findOnPath, lastLines, runTool, ToolFailure, type Env } from '../run-tool.js'

/** Why a fetch from the archive could not be made, in the user's words. */
export class ArchiveUnavailable extends UserError {
  override name = 'ArchiveUnavailable'
}

/** apt-get and dpkg-deb, or why they are not there. */
export async function aptTools(env: Env): Promise<{ aptGet: string; dpkgDeb: string }> {
  const [aptGet, dpkgDeb] = await Promise.all([
    findOnPath('apt-get', env),
    findOnPath('dpkg-deb', env)
  ])
  if (!aptGet || !dpkgDeb) {
    throw new ArchiveUnavailable(
      `${aptGet ? 'dpkg-deb' : 'apt-get'} is not on this runner's PATH (the action fetches from Debian's or Ubuntu's archive with apt)`
    )
  }
  return { aptGet, dpkgDeb }
}

export interface FetchedPackages {
  /** `name:arch=version`, as fetched. */
  packages: string[]
}

/**
 * Fetches the job's packages, or (with `closure`) what apt's solver says they need in the job's
 * architecture too, and unpacks them all into `tree`. `work` is a private folder for apt's state.
 */
export async function fetchIntoTree(
  job: ArchiveJob,
  options: { closure: boolean; tree: string; work: string; env: Env }
): Promise<FetchedPackages> {
  const { aptGet, dpkgDeb } = await aptTools(options.env)
  const keyring = ARCHIVE_KEYRING[job.distro]
  try {
    await access(keyring)
  } catch {
    throw new ArchiveUnavailable(
      `${ARCHIVE_NAME[job.distro]}'s archive keys (${keyring}) are not on this runner, so apt could not check what it fetches`
    )
  }
  const root = options.work
  for (const dir of [
    'state',
    'lists/partial',
    'cache/archives/partial',
    'sources.list.d',
    'preferences.d',
    'debs'
  ]) {
    await mkdir(join(root, dir), { recursive: true })
  }
  await writeFile(join(root, 'status'), '')
  await writeFile(join(root, 'sources.list'), sourcesList(job))
  const running = process.getuid?.() === 0
  const run = async (command: string, args: string[], what: string, cwd?: string) => {
    try {
      return await runTool(command, args, {
        env: { ...options.env, DEBIAN_FRONTEND: 'noninteractive' },
        what,
        ...(cwd === undefined ? {} : { cwd })
      })
    } catch (error) {
      if (!(error instanceof ToolFailure)) throw error
      const why = lastLines(error.result.stderr || error.result.output, 4).replace(/\n/g, ' ')
      throw new ArchiveUnavailable(`${what} failed: ${why}`)
    }
  }
  const apt = (args: string[], what: string, cwd?: string) =>
    run(aptGet, [...aptOptions(root, job, running), ...args], what, cwd)
  const from = `${ARCHIVE_NAME[job.distro]} ${job.suite}`
  const named = job.packages.map((name) => `${name}:${job.packageArch}`)
  try {
    await apt(
      ['-q', 'update'],
      `apt-get update (${from}, ${[...new Set([job.nativeArch, job.packageArch])].join(' + ')})`
    )
    let chosen: ChosenPackage[]
    if (options.closure) {
      const simulated = await apt(
        ['-s', '-q', 'install', '--no-install-recommends', ...named],
        `apt-get install --simulate ${named.join(' ')} (${from})`
      )
      chosen = parseSimulatedInstall(simulated.stdout, job.packageArch, job.nativeArch)
      // apt reads a name it does not know as a pattern: insist on the very packages asked for.
      const missing = job.packages.filter((name) => !chosen.some((p) => p.name === name))
      if (missing.length > 0) {
        throw new ArchiveUnavailable(`${from} has no ${missing.join(', ')} for ${job.packageArch}`)
      }
    } else {
      chosen = job.packages.map((name) => ({ name, arch: job.packageArch, version: '' }))
    }
    const specs = chosen.map((p) =>
      p.version === '' ? `${p.name}:${p.arch}` : downloadSpecs([p])[0]!
    )
    const debs = join(root, 'debs')
    await apt(['-q', 'download', ...specs], `apt-get download (${from})`, debs)
    for (const deb of (await readdir(debs)).filter((name) => name.endsWith('.deb')).sort()) {
      await run(dpkgDeb, ['-x', join(debs, deb), options.tree], `dpkg-deb -x ${deb}`)
    }
    return {
      packages: options.closure
        ? downloadSpecs(chosen)
        : (await readdir(debs)).filter((name) => name.endsWith('.deb')).map(debSpec)
    }
  } finally {
    await rm(join(root, 'lists'), { recursive: true, force: true })
    await rm(join(root, 'debs'), { recursive: true, force: true })
  }
}

/** `qemu-user-static_1%3a7.2+dfsg-7_amd64.deb` → `qemu-user-static:amd64=1:7.2+dfsg-7`. */
export function debSpec(file: string): string {
  const [name, version, arch] = file.replace(/\.deb$/, '').split('_')
  return `${name}:${arch}=${decodeURIComponent(version ?? '')}`
}

/** Documentation the sysroot never needs: left out, so less to hash on every use. */
const NOT_NEEDED = ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/lintian']

/**
 * Makes an unpacked tree work as a root for qemu's `-L`: the top-level `lib` (where the dynamic
 * loader is looked for) linked to `usr/lib` for releases that ship only under /usr, and an empty
 * `etc/ld.so.cache` so the loader never reads the runner's own cache (the runner's libraries).
 */
export async function finishSysroot(tree: string): Promise<void> {
  for (const dir of NOT_NEEDED) await rm(join(tree, dir), { recursive: true, force: true })
  for (const dir of ['lib', 'lib64', 'bin', 'sbin']) {
    const inUsr = await access(join(tree, 'usr', dir)).then(
      () => true,
      () => false
    )
    const atTop = await access(join(tree, dir)).then(
      () => true,
      () => false
    )
    if (inUsr && !atTop) await symlink(`usr/${dir}`, join(tree, dir))
  }
  await mkdir(join(tree, 'etc'), { recursive: true })
  await writeFile(join(tree, 'etc', 'ld.so.cache'), '')
}

let hostArchiveRead: Promise<HostArchive | { reason: string }> | undefined

/** The archive this runner's system comes from (/etc/os-release), read once per run. */
export function readHostArchive(): Promise<HostArchive | { reason: string }> {
  hostArchiveRead ??= (async () => {
    for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
      try {
        return hostArchive(parseOsRelease(await readFile(file, 'utf8')))
      } catch {
        // The other file, then a reason.
      }
    }
    return { reason: 'this runner has no /etc/os-release, so the action cannot tell its archive' }
  })()
  return hostArchiveRead
}
