// What the action fetches from Debian's or Ubuntu's package archive to run the other
// architecture's CPython under qemu: which archive the runner's system comes from, which suite
// carries python3.X for the other machine, the apt sources for a private apt root, and what
// apt's solver chose. Pure: apt-fetch.ts runs apt-get with these.
import type { Architecture } from '../../../lambda-facts.js'

export type Distro = 'debian' | 'ubuntu'

export interface HostArchive {
  distro: Distro
  /** `bookworm`, `noble`: the runner's own release. */
  codename: string
}

/** Debian's names for Lambda's architectures. */
export const DEB_ARCH: Record<Architecture, string> = { arm64: 'arm64', x86_64: 'amd64' }

/** `KEY=value` lines of /etc/os-release, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (!match) continue
    const [, key, raw] = match as unknown as [string, string, string]
    fields[key] = raw.replace(/^(["'])(.*)\1$/, '$2')
  }
  return fields
}

/**
 * The archive the runner's system comes from, or why the action cannot bring packages from one.
 * Derivatives of Ubuntu (Mint, Pop!_OS) name their Ubuntu base in UBUNTU_CODENAME.
 */
export function hostArchive(osRelease: Record<string, string>): HostArchive | { reason: string } {
  const id = osRelease.ID ?? ''
  const like = (osRelease.ID_LIKE ?? '').split(/\s+/)
  const name = osRelease.PRETTY_NAME ?? (id || 'an unknown system')
  if (id === 'ubuntu' || osRelease.UBUNTU_CODENAME) {
    const codename = osRelease.UBUNTU_CODENAME || osRelease.VERSION_CODENAME
    if (codename) return { distro: 'ubuntu', codename }
  }
  if (id === 'debian' && osRelease.VERSION_CODENAME) {
    return { distro: 'debian', codename: osRelease.VERSION_CODENAME }
  }
  const family = id === 'debian' || like.includes('debian') ? ' (no release codename)' : ''
  return {
    reason: `this runner runs ${name}${family}; the action brings qemu and the other architecture's libraries from Debian's or Ubuntu's archive only`
  }
}

/**
 * The release of each archive whose python3.X runs as the runtime's CPython for the other
 * architecture. Debian has no python3.10 and no python3.12 in any release; Ubuntu's LTS releases
 * carry one minor each. `forky` is Debian's testing release: its python3.14 is the only one.
 */
export const PYTHON_SUITES: Record<Distro, Readonly<Record<string, string>>> = {
  debian: { '3.9': 'bullseye', '3.11': 'bookworm', '3.13': 'trixie', '3.14': 'forky' },
  ubuntu: { '3.10': 'jammy', '3.12': 'noble' }
}

export function pythonSuite(distro: Distro, pythonVersion: string): string | undefined {
  return PYTHON_SUITES[distro][pythonVersion]
}

/** For messages: `3.9 (bullseye), 3.11 (bookworm), ...`. */
export function pythonSuitesText(distro: Distro): string {
  return Object.entries(PYTHON_SUITES[distro])
    .map(([version, suite]) => `${version} (${suite})`)
    .join(', ')
}

export const ARCHIVE_NAME: Record<Distro, string> = { debian: 'Debian', ubuntu: 'Ubuntu' }

/** The archive keys apt checks the release files against (debian-archive-keyring, ubuntu-keyring). */
export const ARCHIVE_KEYRING: Record<Distro, string> = {
  debian: '/usr/share/keyrings/debian-archive-keyring.gpg',
  ubuntu: '/usr/share/keyrings/ubuntu-archive-keyring.gpg'
}

/** Ubuntu serves amd64 and i386 from its main archive and every other architecture from ports. */
function archiveUri(distro: Distro, debArch: string): string {
  if (distro === 'debian') return 'http://deb.debian.org/debian'
  return debArch === 'amd64' || debArch === 'i386'
    ? 'http://archive.ubuntu.com/ubuntu'
    : 'http://ports.ubuntu.com/ubuntu-ports'
}

/** One apt job: packages of one release, for the runner's architecture and maybe one other. */
export interface ArchiveJob {
  distro: Distro
  suite: string
  /** The runner's Debian architecture (`amd64`): apt's native one. */
  nativeArch: string
  /** The architecture the packages are for; the native one when they run on the runner. */
  packageArch: string
  /** Package names, without architecture. */
  packages: readonly string[]
}

/**
 * sources.list lines for a job. Both architectures are listed even when the packages are all
 * foreign: apt's solver then meets the runner-side needs (dpkg, tar) with native packages, which
 * are never fetched, instead of pulling their foreign twins into the sysroot.
 */
export function sourcesList(job: ArchiveJob): string {
  const archs = [...new Set([job.nativeArch, job.packageArch])]
  const suites =
    job.distro === 'debian'
      ? [job.suite]
      : [job.suite, `${job.suite}-updates`, `${job.suite}-security`]
  const components = job.distro === 'debian' ? 'main' : 'main universe'
  const byUri = new Map<string, string[]>()
  for (const arch of archs) {
    const uri = archiveUri(job.distro, arch)
    byUri.set(uri, [...(byUri.get(uri) ?? []), arch])
  }
  const lines: string[] = []
  for (const [uri, uriArchs] of byUri) {
    for (const suite of suites) {
      lines.push(
        `deb [arch=${uriArchs.join(',')} signed-by=${ARCHIVE_KEYRING[job.distro]}] ${uri} ${suite} ${components}`
      )
    }
  }
  return lines.join('\n') + '\n'
}

/**
 * apt-get options for a private apt root under `root`: its own lists, cache, status (empty: apt
 * solves as for an empty system) and sources; the runner's apt settings (proxies) still apply.
 * Nothing of the runner's own apt state is read or changed, so no root or sudo is needed.
 */
export function aptOptions(root: string, job: ArchiveJob, runningAsRoot: boolean): string[] {
  const settings: [string, string][] = [
    ['Dir::State', `${root}/state`],
    ['Dir::State::Lists', `${root}/lists`],
    ['Dir::State::status', `${root}/status`],
    ['Dir::Cache', `${root}/cache`],
    ['Dir::Etc::SourceList', `${root}/sources.list`],
    ['Dir::Etc::SourceParts', `${root}/sources.list.d`],
    ['Dir::Etc::Preferences', `${root}/preferences`],
    ['Dir::Etc::PreferencesParts', `${root}/preferences.d`],
    ['APT::Architecture', job.nativeArch],
    ['Acquire::Languages', 'none'],
    // Indexes some runners enable for other tools (apt-file, AppStream): not needed here.
    ['Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled', 'false'],
    ['Acquire::IndexTargets::deb::DEP-11::DefaultEnabled', 'false'],
    ['Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled', 'false'],
    ['Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled', 'false'],
    ['Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled', 'false'],
    ['Debug::NoLocking', 'true']
  ]
  // As root, apt downloads as the `_apt` user, who cannot write into a private folder.
  if (runningAsRoot) settings.push(['APT::Sandbox::User', 'root'])
  const archs = [...new Set([job.nativeArch, job.packageArch])]
  return [
    ...settings.flatMap(([key, value]) => ['-o', `${key}=${value}`]),
    ...archs.flatMap((arch) => ['-o', `APT::Architectures::=${arch}`])
  ]
}

export interface ChosenPackage {
  name: string
  arch: string
  version: string
}

/**
 * The packages of `arch` in `apt-get -s install` output (`Inst libc6:arm64 (2.36-9 Debian:12.13/
 * stable [arm64])`). Native and architecture-independent packages (dpkg, tzdata) are left out:
 * the sysroot holds shared libraries and the interpreter, not the tools that would install them.
 */
export function parseSimulatedInstall(
  output: string,
  arch: string,
  nativeArch: string
): ChosenPackage[] {
  const chosen: ChosenPackage[] = []
  for (const line of output.split('\n')) {
    const match = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)/.exec(line)
    if (!match) continue
    const [, spec, version, lineArch] = match as unknown as [string, string, string, string]
    const [name, specArch] = spec.split(':') as [string, string | undefined]
    const packageArch = specArch ?? (lineArch === 'all' ? 'all' : nativeArch)
    if (packageArch === arch) chosen.push({ name, arch: packageArch, version })
  }
  return chosen
}

/** `apt-get download` arguments pinning what the solver chose. */
export function downloadSpecs(packages: readonly ChosenPackage[]): string[] {
  return packages.map((p) => `${p.name}:${p.arch}=${p.version}`)
}
