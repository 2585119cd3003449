// The decisions around finding or bringing a runtime's CPython for a target (issue 20): the order
// of places, the hosted tool cache's folders, what a probe says, Debian/Ubuntu archive plans,
// qemu's parts, and the kept tools' manifests. The tools themselves run in
// test/integration/interpreters.test.ts and test/process/import-check-targets.test.ts.
import { chmodSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { runtimeProvidedLibraries } from '../../src/lambda-facts.js'
import {
  aptOptions,
  downloadSpecs,
  hostArchive,
  parseOsRelease,
  parseSimulatedInstall,
  pythonSuite,
  sourcesList,
  type ArchiveJob
} from '../../src/packaging/tools/python/archive-plan.js'
import { debSpec } from '../../src/packaging/tools/python/apt-fetch.js'
import { qemuVersion } from '../../src/packaging/tools/python/emulated-python.js'
import {
  emulatedCommand,
  lambdaLibraryPackages,
  LAMBDA_LIBRARY_PACKAGES,
  qemuBinaryNames,
  qemuCpu
} from '../../src/packaging/tools/python/emulation.js'
import { newestPatch, toolCachePython } from '../../src/packaging/tools/python/hosted-tool-cache.js'
import {
  keep,
  openKept,
  recentFailure,
  treeDifference,
  unlessFailedRecently,
  RETRY_AFTER_MS
} from '../../src/packaging/tools/python/kept-tools.js'
import { lookupSteps } from '../../src/packaging/tools/python/lookup.js'
import { mismatch, parseProbe } from '../../src/packaging/tools/python/probe.js'
import {
  isInstallationOf,
  uvFailureSummary,
  uvPythonKey
} from '../../src/packaging/tools/python/uv-python.js'

describe('lookupSteps', () => {
  const base = { platform: 'linux', hostArch: 'x64', input: false } as const
  it.each([
    [
      'x86_64 on an x64 runner',
      { ...base, target: 'x86_64', host: 'x86_64' },
      ['path', 'hosted-tool-cache', 'kept', 'uv-find', 'uv-install']
    ],
    [
      'x86_64 with the python input',
      { ...base, target: 'x86_64', host: 'x86_64', input: true },
      ['input', 'path', 'hosted-tool-cache', 'kept', 'uv-find', 'uv-install']
    ],
    ['arm64 on an x64 runner', { ...base, target: 'arm64', host: 'x86_64' }, ['emulation']],
    [
      'arm64 on an x64 runner with the input (binfmt)',
      { ...base, target: 'arm64', host: 'x86_64', input: true },
      ['input', 'emulation']
    ],
    ['x86_64 on an arm64 runner', { ...base, target: 'x86_64', host: 'arm64' }, ['emulation']]
  ] as const)('%s', (_, request, steps) => {
    expect(lookupSteps(request)).toEqual({ steps })
  })
  it.each([
    ['a macOS runner', { ...base, platform: 'darwin', target: 'arm64', host: 'arm64' }, /darwin/],
    [
      'an unknown machine',
      { ...base, hostArch: 'ppc64', target: 'x86_64', host: undefined },
      /ppc64/
    ]
  ] as const)('gives a reason on %s', (_, request, reason) => {
    const plan = lookupSteps(request)
    expect('reason' in plan && plan.reason).toMatch(reason)
  })
})

describe('the hosted tool cache', () => {
  const all = (...versions: string[]) => versions.map((version) => ({ version, complete: true }))
  it.each([
    [all('3.12.1', '3.12.10', '3.12.9', '3.13.0'), '3.12', '3.12.10'],
    [all('3.11.9', '3.12.1'), '3.13', undefined],
    [[...all('3.12.1'), { version: '3.12.2', complete: false }], '3.12', '3.12.1'],
    [all('3.14.0-rc.2', '3.14.0'), '3.14', '3.14.0'],
    [all('3.14.0-rc.2'), '3.14', '3.14.0-rc.2'],
    [all('3.1.0', '3.10.4'), '3.1', '3.1.0'],
    [all('not-a-version'), '3.12', undefined]
  ])('%j for %s → %s', (versions, minor, expected) => {
    expect(newestPatch(versions, minor)).toBe(expected)
  })
  it('lays the interpreter out as actions/setup-python does', () => {
    expect(toolCachePython('/opt/hostedtoolcache', '3.12.7', 'x86_64')).toBe(
      '/opt/hostedtoolcache/Python/3.12.7/x64/bin/python3'
    )
    expect(toolCachePython('/t', '3.12.7', 'arm64')).toBe('/t/Python/3.12.7/arm64/bin/python3')
  })
})

describe('what an interpreter says of itself', () => {
  it('parses the probe line', () => {
    expect(parseProbe('CPython 3.12.7 aarch64 0\n')).toEqual({
      implementation: 'CPython',
      version: '3.12.7',
      machine: 'aarch64',
      freeThreaded: false
    })
    expect(parseProbe('noise\nCPython 3.13.0 x86_64 1')?.freeThreaded).toBe(true)
    expect(parseProbe('Python 3.12')).toBeUndefined()
  })
  const facts = (implementation: string, version: string, machine = 'x86_64', free = false) => ({
    implementation,
    version,
    machine,
    freeThreaded: free
  })
  it.each([
    [facts('CPython', '3.12.7'), undefined],
    [facts('CPython', '3.11.7'), /is CPython 3\.11\.7, not 3\.12/],
    [facts('PyPy', '3.12.7'), /is PyPy 3\.12\.7, not CPython/],
    [facts('CPython', '3.12.7', 'x86_64', true), /free-threaded/],
    [facts('CPython', '3.12.7', 'aarch64'), /runs as aarch64, not x86_64/]
  ])('%j for 3.12 on x86_64: %s', (given, problem) => {
    const result = mismatch(given, '3.12', 'x86_64')
    if (problem === undefined) expect(result).toBeUndefined()
    else expect(result).toMatch(problem)
  })
})

describe("Debian's and Ubuntu's archives", () => {
  it.each([
    ['ID=debian\nVERSION_CODENAME=bookworm\n', { distro: 'debian', codename: 'bookworm' }],
    [
      'ID=ubuntu\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble',
      { distro: 'ubuntu', codename: 'noble' }
    ],
    [
      'ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_CODENAME=wilma\nUBUNTU_CODENAME=noble',
      { distro: 'ubuntu', codename: 'noble' }
    ]
  ])('%j → %o', (text, expected) => {
    expect(hostArchive(parseOsRelease(text))).toEqual(expected)
  })
  it.each([
    ['ID=fedora\nPRETTY_NAME="Fedora Linux 40"', /Fedora Linux 40; .*Debian's or Ubuntu's archive/],
    ['ID=debian\nPRETTY_NAME="Debian GNU/Linux trixie/sid"', /no release codename/]
  ])('%j: a reason', (text, reason) => {
    const result = hostArchive(parseOsRelease(text))
    expect('reason' in result && result.reason).toMatch(reason)
  })

  it.each([
    ['debian', '3.9', 'bullseye'],
    ['debian', '3.10', undefined],
    ['debian', '3.11', 'bookworm'],
    ['debian', '3.12', undefined],
    ['debian', '3.13', 'trixie'],
    ['debian', '3.14', 'forky'],
    ['ubuntu', '3.10', 'jammy'],
    ['ubuntu', '3.12', 'noble']
  ] as const)('%s python%s is in %s', (distro, minor, suite) => {
    expect(pythonSuite(distro, minor)).toBe(suite)
  })

  const job = (
    distro: 'debian' | 'ubuntu',
    nativeArch: string,
    packageArch: string
  ): ArchiveJob => ({
    distro,
    suite: distro === 'debian' ? 'bookworm' : 'noble',
    nativeArch,
    packageArch,
    packages: ['python3.11']
  })
  it('lists one Debian source for both architectures, checked against the archive keys', () => {
    expect(sourcesList(job('debian', 'amd64', 'arm64'))).toBe(
      'deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main\n'
    )
  })
  it("takes Ubuntu's arm64 packages from ports and amd64 ones from the main archive", () => {
    const lines = sourcesList(job('ubuntu', 'amd64', 'arm64'))
      .trim()
      .split('\n')
    const keys = 'signed-by=/usr/share/keyrings/ubuntu-archive-keyring.gpg'
    expect(lines).toEqual([
      `deb [arch=amd64 ${keys}] http://archive.ubuntu.com/ubuntu noble main universe`,
      `deb [arch=amd64 ${keys}] http://archive.ubuntu.com/ubuntu noble-updates main universe`,
      `deb [arch=amd64 ${keys}] http://archive.ubuntu.com/ubuntu noble-security main universe`,
      `deb [arch=arm64 ${keys}] http://ports.ubuntu.com/ubuntu-ports noble main universe`,
      `deb [arch=arm64 ${keys}] http://ports.ubuntu.com/ubuntu-ports noble-updates main universe`,
      `deb [arch=arm64 ${keys}] http://ports.ubuntu.com/ubuntu-ports noble-security main universe`
    ])
    // An arm64 runner bringing x86_64's packages: the other way round.
    const reverse = sourcesList(job('ubuntu', 'arm64', 'amd64'))
    expect(reverse).toMatch(/arch=arm64 .*ubuntu-ports noble /)
    expect(reverse).toMatch(/arch=amd64 .*archive\.ubuntu\.com\/ubuntu noble /)
  })

  it("keeps apt's state private and leaves the runner's alone", () => {
    const options = aptOptions('/tc/work', job('debian', 'amd64', 'arm64'), false).join(' ')
    for (const dir of ['Dir::State::Lists=/tc/work/lists', 'Dir::State::status=/tc/work/status']) {
      expect(options).toContain(dir)
    }
    expect(options).toContain('Dir::Etc::SourceList=/tc/work/sources.list')
    expect(options).toContain('APT::Architecture=amd64')
    expect(options).toContain('APT::Architectures::=amd64 -o APT::Architectures::=arm64')
    expect(options).not.toContain('Sandbox')
    expect(aptOptions('/w', job('debian', 'amd64', 'arm64'), true).join(' ')).toContain(
      'APT::Sandbox::User=root'
    )
  })

  it("takes the other architecture's packages from apt's solution, nothing native or shared", () => {
    const output = [
      'Inst gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])',
      'Inst gcc-12-base:arm64 (12.2.0-14+deb12u1 Debian:12.15/oldstable [arm64])',
      'Conf gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])',
      'Inst libc6:arm64 (2.36-9+deb12u14 Debian:12.15/oldstable [arm64]) []',
      'Inst dpkg (1.21.23 Debian:12.15/oldstable [amd64])',
      'Inst media-types (10.0.0 Debian:12.15/oldstable [all])',
      'Inst zlib1g:arm64 (1:1.2.13.dfsg-1 Debian:12.15/oldstable [arm64])'
    ].join('\n')
    const chosen = parseSimulatedInstall(output, 'arm64', 'amd64')
    expect(downloadSpecs(chosen)).toEqual([
      'gcc-12-base:arm64=12.2.0-14+deb12u1',
      'libc6:arm64=2.36-9+deb12u14',
      'zlib1g:arm64=1:1.2.13.dfsg-1'
    ])
    // The runner's own architecture: its packages come without a suffix.
    expect(parseSimulatedInstall(output, 'amd64', 'amd64').map((p) => p.name)).toEqual([
      'gcc-12-base',
      'dpkg'
    ])
  })

  it('names a fetched package file as apt names the package', () => {
    expect(debSpec('qemu-user-static_1%3a7.2+dfsg-7+deb12u18+b3_amd64.deb')).toBe(
      'qemu-user-static:amd64=1:7.2+dfsg-7+deb12u18+b3'
    )
  })
})

describe('emulation', () => {
  it.each(['arm64', 'x86_64'] as const)(
    "brings a package for every library Lambda's %s runtime provides",
    (architecture) => {
      for (const library of runtimeProvidedLibraries(architecture)) {
        expect(LAMBDA_LIBRARY_PACKAGES[library], library).toBeDefined()
      }
      expect(lambdaLibraryPackages(architecture).sort()).toEqual([
        'libc6',
        'libgcc-s1',
        'libstdc++6',
        'zlib1g'
      ])
    }
  )
  it('runs the interpreter under qemu with the sysroot as the root the loader sees', () => {
    expect(qemuBinaryNames('aarch64')).toEqual(['qemu-aarch64-static', 'qemu-aarch64'])
    expect(emulatedCommand({ path: '/q' }, '/root', '/root/usr/bin/python3.11')).toEqual([
      '/q',
      '-L',
      '/root',
      '/root/usr/bin/python3.11'
    ])
    expect(
      emulatedCommand({ path: '/q', cpu: 'neoverse-n1' }, '/root', '/root/usr/bin/python3.11')
    ).toEqual(['/q', '-cpu', 'neoverse-n1', '-L', '/root', '/root/usr/bin/python3.11'])
    expect(qemuVersion('qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n')).toBe(
      '7.2.22'
    )
  })

  it("emulates Lambda's arm64 processor (Graviton2, a Neoverse N1) when qemu knows it", () => {
    const help = 'Available CPUs:\n  a64fx\n  cortex-a72\n  max\n  neoverse-n1\n'
    expect(qemuCpu('arm64', help)).toBe('neoverse-n1')
    expect(qemuCpu('arm64', 'Available CPUs:\n  cortex-a72\n  max\n')).toBeUndefined()
    expect(qemuCpu('x86_64', 'Available CPUs:\n  max\n  Skylake-Server\n')).toBeUndefined()
  })
})

describe("uv's Python management", () => {
  it('names the CPython it installs', () => {
    expect(uvPythonKey('3.12', 'aarch64')).toBe('cpython-3.12-linux-aarch64-gnu')
    expect(isInstallationOf('cpython-3.12.7-linux-aarch64-gnu', '3.12', 'aarch64')).toBe(true)
    expect(isInstallationOf('cpython-3.12-linux-aarch64-gnu', '3.12', 'aarch64')).toBe(false)
    expect(isInstallationOf('cpython-3.12.7-linux-x86_64-gnu', '3.12', 'aarch64')).toBe(false)
    expect(isInstallationOf('cpython-3.120.1-linux-aarch64-gnu', '3.12', 'aarch64')).toBe(false)
  })
  it('says why a download failed in one line: what, which URL, the root cause', () => {
    const stderr = [
      'error: Failed to install cpython-3.11.18-linux-aarch64-gnu',
      '  cause: Failed to download `https://github.com/x/cpython-3.11.18.tar.gz`',
      '  cause: error sending request for url (https://github.com/x/cpython-3.11.18.tar.gz)',
      '  cause: dns error',
      '  cause: failed to lookup address information: Name or service not known'
    ].join('\n')
    expect(uvFailureSummary(stderr)).toBe(
      'Failed to install cpython-3.11.18-linux-aarch64-gnu: Failed to download `https://github.com/x/cpython-3.11.18.tar.gz` (failed to lookup address information: Name or service not known)'
    )
    expect(uvFailureSummary('error: No download found for request: cpython-3.99')).toBe(
      'No download found for request: cpython-3.99'
    )
  })
})

describe('kept tools', () => {
  it.each([
    [{ a: 'sha256:1' }, { a: 'sha256:1' }, undefined],
    [{ a: 'sha256:1' }, { a: 'sha256:2' }, 'a has changed'],
    [{ a: 'sha256:1', b: 'link:a' }, { a: 'sha256:1' }, 'b is missing'],
    [
      { a: 'sha256:1' },
      { a: 'sha256:1', 'lib/sitecustomize.py': 'sha256:3' },
      'lib/sitecustomize.py was added'
    ]
  ])('%j against %j: %s', (recorded, present, difference) => {
    expect(treeDifference(recorded, present)).toBe(difference)
  })

  const fill = async (tree: string) => {
    mkdirSync(join(tree, 'bin'), { recursive: true })
    writeFileSync(join(tree, 'bin', 'tool'), '#!/bin/sh\necho ok\n')
    chmodSync(join(tree, 'bin', 'tool'), 0o755)
    symlinkSync('bin/tool', join(tree, 'tool'))
    return { description: 'a tool', facts: { version: '1' } }
  }

  it('keeps an entry with a manifest, and fetches it again when a file changes or appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lpd-kept-'))
    let fills = 0
    const counted = async (tree: string) => {
      fills++
      return fill(tree)
    }
    const first = await keep(dir, 'tool-1', counted)
    expect(first.manifest.files).toEqual({
      'bin/tool': expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      tool: 'link:bin/tool'
    })
    expect((await keep(dir, 'tool-1', counted)).tree).toBe(first.tree)
    expect(fills).toBe(1)

    // A later run (a fresh module: nothing verified yet) checks what it finds; a planted file
    // makes the entry damaged, and it is fetched again.
    const laterRun = async () => {
      vi.resetModules()
      return import('../../src/packaging/tools/python/kept-tools.js')
    }
    expect((await (await laterRun()).openKept(dir, 'tool-1'))?.verifiedFiles).toBe(2)
    writeFileSync(join(first.tree, 'bin', 'sitecustomize.py'), 'import os\n')
    expect(await (await laterRun()).openKept(dir, 'tool-1')).toBeUndefined()
    const again = await (await laterRun()).keep(dir, 'tool-1', counted)
    expect(fills).toBe(2)
    expect(again.manifest.files['bin/sitecustomize.py']).toBeUndefined()
    rmSync(dir, { recursive: true, force: true })
  })

  it('never keeps an entry whose fetch failed, and two fetches of one entry wait for each other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lpd-kept-'))
    await expect(
      keep(dir, 'broken', async () => {
        throw new Error('no network')
      })
    ).rejects.toThrow('no network')
    expect(await openKept(dir, 'broken')).toBeUndefined()
    let fills = 0
    const slow = async (tree: string) => {
      fills++
      await new Promise((resolve) => setTimeout(resolve, 200))
      return fill(tree)
    }
    const [a, b] = await Promise.all([keep(dir, 'shared', slow), keep(dir, 'shared', slow)])
    expect(fills).toBe(1)
    expect(a.tree).toBe(b.tree)
    rmSync(dir, { recursive: true, force: true })
  })

  it('remembers a failed fetch for an hour and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lpd-kept-'))
    let attempts = 0
    const failing = async () => {
      attempts++
      throw new Error('Failed to download `https://github.com/x`\nmore')
    }
    expect(await unlessFailedRecently(dir, 'uv-x', 'arm64', failing)).toEqual({
      miss: 'Failed to download `https://github.com/x`'
    })
    const second = await unlessFailedRecently(dir, 'uv-x', 'arm64', failing)
    expect('miss' in second && second.miss).toMatch(
      /^Failed to download .* \(at \d\d:\d\d UTC; tried again an hour later\)$/
    )
    expect(attempts).toBe(1)
    const failure = await recentFailure(dir, 'uv-x')
    expect(
      await recentFailure(dir, 'uv-x', (failure?.at ?? 0) + RETRY_AFTER_MS + 1)
    ).toBeUndefined()
    expect(await unlessFailedRecently(dir, 'other', 'arm64', async () => 42)).toEqual({ value: 42 })
    rmSync(dir, { recursive: true, force: true })
  })
})
