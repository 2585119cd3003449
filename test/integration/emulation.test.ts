// Issue 20, item 2: an arm64 package imported on this x86_64 machine by an aarch64 CPython under
// qemu, in a sysroot holding Lambda's libraries (glibc, libgcc_s, libstdc++, libz) and the
// interpreter's own, nothing of the runner's. A library Lambda lacks fails here as it fails
// there: opencv-python's Qt needs libGL.so.1, which no Lambda image has; opencv-python-headless
// loads. Real aarch64 wheels from PyPI, real qemu, the action's own bring path (kept under .tools/).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runtimeProvidedLibraries } from '../../src/lambda-facts.js'
import { findTargetInterpreter, hostArchitecture } from '../../src/packaging/tools/interpreters.js'
import { runImportCheck } from '../../src/packaging/verify/import-check.js'
import type { PackageFile } from '../../src/types.js'
import { sharedStoreRoot } from '../helpers/pythons.js'
import { runtimeNamed } from '../helpers/runtimes.js'

const dir = mkdtempSync(join(tmpdir(), 'lpd-emulation-'))
const toolCache = sharedStoreRoot(dir)
const runtime = runtimeNamed('python3.11')
const onX64 = hostArchitecture() === 'x86_64'

/** A function zip of these distributions' aarch64 wheels for python3.11, plus the handler. */
function arm64Package(name: string, requirements: string[], handler: string): PackageFile {
  const target = join(dir, name)
  execFileSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-compile',
      '--target',
      target,
      '--platform',
      'manylinux2014_aarch64',
      '--python-version',
      '3.11',
      '--implementation',
      'cp',
      '--only-binary=:all:',
      ...requirements
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  )
  const path = join(dir, `${name}.zip`)
  execFileSync('python3', [
    '-c',
    [
      'import os, sys, zipfile',
      'root, path, handler = sys.argv[1:]',
      'with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:',
      '    z.writestr("app.py", handler)',
      '    for folder, _, files in os.walk(root):',
      '        for f in files:',
      '            full = os.path.join(folder, f)',
      '            z.write(full, os.path.relpath(full, root))'
    ].join('\n'),
    target,
    path,
    handler
  ])
  return { path, size: 0, unzippedSize: 0, codeSha256: '' }
}

const check = (file: PackageFile) =>
  runImportCheck({
    toolCache,
    handler: 'app.handler',
    enabled: true,
    runtime,
    architecture: 'arm64',
    packages: { function: file }
  })

describe.runIf(onX64)('arm64 under qemu on an x86_64 runner', () => {
  it("runs an aarch64 CPython 3.11 whose loader sees Lambda's libraries", async () => {
    const lookup = await findTargetInterpreter({
      runtime,
      architecture: 'arm64',
      env: process.env,
      toolCache
    })
    expect(lookup.found).toMatchObject({
      emulated: true,
      version: expect.stringMatching(/^3\.11\./)
    })
    const command = lookup.found!.command as string[]
    const [qemu, ...prefix] = command
    expect(qemu).toMatch(/qemu-aarch64(-static)?$/)
    // Lambda's Graviton2: no SVE, which qemu's default processor has.
    expect(command.slice(1, 3)).toEqual(['-cpu', 'neoverse-n1'])
    const sysroot = command[command.indexOf('-L') + 1]!
    const features = execFileSync(qemu!, [
      ...prefix,
      '-c',
      "import platform; print(platform.machine(), 'sve' in open('/proc/cpuinfo').read())"
    ])
    expect(features.toString().trim()).toBe('aarch64 False')
    const libraries = new Set(
      ['lib/aarch64-linux-gnu', 'usr/lib/aarch64-linux-gnu']
        .filter((folder) => existsSync(join(sysroot, folder)))
        .flatMap((folder) => readdirSync(join(sysroot, folder)))
    )
    for (const library of runtimeProvidedLibraries('arm64')) {
      if (library.startsWith('ld-linux')) continue
      expect(libraries, library).toContain(library)
    }
    // Nothing Lambda's images lack (lambda-facts.ts) is in the sysroot.
    for (const absent of ['libGL.so.1', 'libX11.so.6', 'libglib-2.0.so.0', 'libgomp.so.1']) {
      expect(libraries).not.toContain(absent)
    }
  })

  it('fails opencv-python on the libGL.so.1 it needs, as Lambda does, and loads opencv-python-headless', async () => {
    const handler = 'import cv2\n\ndef handler(event, context):\n    return cv2.__version__\n'
    const headless = arm64Package(
      'headless',
      ['opencv-python-headless==4.10.0.84', 'numpy==2.2.6'],
      handler
    )
    await expect(check(headless)).resolves.toMatchObject({
      check: {
        status: 'passed',
        interpreter: expect.stringMatching(/for aarch64 .* under qemu-aarch64/)
      }
    })
    const gui = arm64Package('gui', ['opencv-python==4.10.0.84', 'numpy==2.2.6'], handler)
    await expect(check(gui)).rejects.toThrow(/libGL\.so\.1: cannot open shared object file/)
  })
})
