// The resolve stage with real pip, real uv and real wheels from PyPI, for both architectures.
// The installers run through logging shims on PATH, so a test can tell which child processes
// ran; a strict shim refuses any resolver command outright.
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, delimiter, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import { WHEEL_ARCH, type Architecture, type RuntimeFacts } from '../../src/lambda-facts.js'
import { findOnPath } from '../../src/packaging/tools/run-tool.js'
import { bootstrappedUvPath, PINNED_UV_VERSION } from '../../src/packaging/tools/uv-bootstrap.js'
import {
  resolveWheels,
  type ResolvedWheels,
  type ResolveRequest
} from '../../src/packaging/resolve/resolve.js'
import { readEntry } from '../../src/packaging/stores/wheel-store.js'
import { emptySet } from '../../src/packaging/requirements/dependency-set.js'
import { fsReader } from '../../src/packaging/requirements/fs-reader.js'
import { parseRequirements } from '../../src/packaging/requirements/requirements-file.js'
import { checkWheels, manylinuxGlibc, parseWheelName } from '../../src/packaging/pep/wheel-tags.js'
import { runtimeNamed as rt } from '../helpers/runtimes.js'

const ROOT = new URL('../..', import.meta.url).pathname
const UV = join(ROOT, '.tools', 'venv', 'bin', 'uv')
const work = mkdtempSync(join(tmpdir(), 'lpd-resolve-'))
const hostMachine = process.arch === 'arm64' ? 'aarch64' : 'x86_64'
/** sha256 of six-1.17.0-py2.py3-none-any.whl on PyPI. */
const SIX_SHA256 = '4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274'

let realPython = ''
const shimDir = join(work, 'shims')
const strictDir = join(work, 'strict')
const noUvDir = join(work, 'no-uv')
const shimLog = join(work, 'shim.log')

/** A shim that logs `<name> <args>` and runs the real tool; `strict` refuses resolver work. */
function writeShim(dir: string, name: string, real: string, strict: boolean) {
  const refuse = strict
    ? 'case "$*" in *"pip download"*|*"pip wheel"*|*"pip install"*|*"pip compile"*) echo "shim: $0 $* refused" >&2; exit 97;; esac\n'
    : ''
  const path = join(dir, name)
  // One log line per run, even for a multi-line `-c` script. The log's path is written into the
  // shim: the action gives its children only an allowlisted environment.
  const log = `printf '%s\\n' "$(printf '%s ' "${name}" "$@" | tr '\\n' ' ')" >> '${shimLog}'`
  writeFileSync(path, `#!/bin/sh\n${log}\n${refuse}exec "${real}" "$@"\n`)
  chmodSync(path, 0o755)
}

function env(
  dirs: string[],
  extra: Record<string, string> = {}
): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env }
  delete base.PYTHON
  delete base.RUNNER_TOOL_CACHE
  for (const name of Object.keys(base)) if (name.startsWith('UV_')) delete base[name]
  return {
    ...base,
    PATH: [...dirs, process.env.PATH ?? ''].join(delimiter),
    ...extra
  }
}
/** Logging shims for python3 and uv. */
const logged = () => env([shimDir])
/** Shims that refuse to resolve, and a proxy on a closed port: no resolver, no network. */
const offline = () =>
  env([strictDir], {
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    http_proxy: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
    ALL_PROXY: 'http://127.0.0.1:9'
  })
/** python3 through a shim, and no uv anywhere on PATH. */
function withoutUv(): Record<string, string | undefined> {
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => {
    try {
      statSync(join(dir, 'uv'))
      return false
    } catch {
      return true
    }
  })
  return { ...env([noUvDir]), PATH: [noUvDir, ...path].join(delimiter) }
}

/** pip runs with no uv anywhere on PATH; uv through the logging shims. */
function envFor(installer: 'pip' | 'uv'): Record<string, string | undefined> {
  return installer === 'pip' ? withoutUv() : logged()
}

/** The dependency set a requirements file declares, as the project phase reads it. */
const declared = (file: string) => parseRequirements(file, fsReader, process.env)

/** A request without the Actions cache or linux_* wheels, in the installer's usual environment. */
function requestFor(
  installer: 'pip' | 'uv',
  runtimeName: string,
  architecture: Architecture,
  fields: Partial<ResolveRequest> & Pick<ResolveRequest, 'dependencies'>
): ResolveRequest {
  return {
    runtime: rt(runtimeName),
    architecture,
    installer,
    useActionsCache: false,
    allowLinuxWheels: false,
    ...fields,
    env: fields.env ?? envFor(installer)
  }
}

/** The message of the UserError a resolve must fail with. */
async function failure(request: ResolveRequest): Promise<string> {
  const error = await resolveWheels(request).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(UserError)
  return (error as Error).message
}

function readLog(): string[] {
  try {
    return readFileSync(shimLog, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}
function clearLog() {
  writeFileSync(shimLog, '')
}

function requirements(name: string, text: string): string {
  const path = join(work, name)
  writeFileSync(path, text)
  return path
}

/** Each wheel: a platform tag that loads (glibc ≤ the runtime's, right machine), or `any`. */
function expectLoads(result: ResolvedWheels, runtime: RuntimeFacts, architecture: Architecture) {
  expect(result.wheels.length).toBeGreaterThan(0)
  checkWheels(result.wheels, runtime, architecture, { allowLinuxWheels: false })
  for (const path of result.wheels) {
    const wheel = parseWheelName(path)
    expect(wheel, path).toBeDefined()
    if (!wheel) continue
    if (wheel.platformTags.includes('any')) continue
    const fitting = wheel.platformTags
      .map(manylinuxGlibc)
      .filter((t) => t !== undefined)
      .filter((t) => t.machine === WHEEL_ARCH[architecture] && t.glibcMinor <= runtime.glibcMinor)
    expect(fitting.length, `${basename(path)} on ${runtime.name} ${architecture}`).toBeGreaterThan(
      0
    )
    expect(wheel.abiTags).toContain(`cp${runtime.abiDigits}`)
  }
}

function projects(result: ResolvedWheels): string[] {
  return result.wheels.map((w) => parseWheelName(w)?.project ?? w).sort()
}

beforeAll(async () => {
  const python = await findOnPath('python3', process.env)
  if (!python) throw new Error('python3 is not on PATH')
  realPython = python
  for (const dir of [shimDir, strictDir, noUvDir]) mkdirSync(dir)
  writeShim(shimDir, 'python3', realPython, false)
  writeShim(shimDir, 'uv', UV, false)
  writeShim(strictDir, 'python3', realPython, true)
  writeShim(strictDir, 'uv', UV, true)
  writeShim(noUvDir, 'python3', realPython, false)
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

const NATIVE = requirements(
  'native.txt',
  'numpy\npydantic-core\n# pip evaluates this on the host, uv for the target\nsix; platform_machine == "aarch64"\n'
)

describe.each(['pip', 'uv'] as const)('%s: numpy and pydantic-core', (installer) => {
  const store = join(work, `store-${installer}`)

  it.each(['python3.11', 'python3.12'])(
    '%s for arm64 and x86_64 at once: every wheel loads; keys differ',
    async (runtimeName) => {
      const runtime = rt(runtimeName)
      clearLog()
      const results = await Promise.all(
        (['arm64', 'x86_64'] as const).map((architecture) =>
          resolveWheels(
            requestFor(installer, runtimeName, architecture, {
              dependencies: declared(NATIVE),
              useActionsCache: true,
              storeRoot: store
            })
          )
        )
      )
      const [arm, x86] = results as [ResolvedWheels, ResolvedWheels]
      for (const [result, architecture] of [
        [arm, 'arm64'],
        [x86, 'x86_64']
      ] as const) {
        expect(result.installer.name).toBe(installer)
        expect(result.cacheHit).toBe(false)
        expect(result.cacheKey).toContain(`-${runtimeName}-${architecture}-${installer}-`)
        expectLoads(result, runtime, architecture)
        expect(projects(result)).toEqual(expect.arrayContaining(['numpy', 'pydantic-core']))
        for (const wheel of result.wheels) expect(wheel.startsWith(store)).toBe(true)
        // uv evaluates markers for the target; pip on the host, and says so.
        const markerHolds = WHEEL_ARCH[architecture] === 'aarch64'
        if (installer === 'uv') {
          expect(projects(result).includes('six')).toBe(markerHolds)
          expect(result.warnings).toEqual([])
        } else {
          const hostDiffers = hostMachine !== WHEEL_ARCH[architecture]
          expect(result.warnings.length).toBe(hostDiffers ? 1 : 0)
          if (hostDiffers) expect(result.warnings[0]).toContain('platform_machine')
        }
      }
      expect(arm.cacheKey).not.toBe(x86.cacheKey)
      expect(readLog().some((line) => line.includes('pip download'))).toBe(true)
    }
  )

  it('the same requirements for another runtime or architecture have another key', async () => {
    const keys = new Set<string>()
    for (const runtime of ['python3.11', 'python3.12']) {
      for (const architecture of ['arm64', 'x86_64'] as const) {
        const entry = await resolveWheels(
          requestFor(installer, runtime, architecture, {
            dependencies: declared(NATIVE),
            storeRoot: store,
            env: offline()
          })
        )
        expect(entry.cacheHit).toBe(true)
        keys.add(entry.cacheKey)
      }
    }
    expect(keys.size).toBe(4)
  })
})

describe('cache hit', () => {
  it.each(['pip', 'uv'] as const)(
    '%s: a second resolve runs no resolver and no network',
    async (installer) => {
      const request = requestFor(installer, 'python3.11', 'arm64', {
        dependencies: declared(NATIVE),
        useActionsCache: true,
        storeRoot: join(work, `hit-${installer}`)
      })
      clearLog()
      const first = await resolveWheels({ ...request, env: logged() })
      expect(first.cacheHit).toBe(false)
      // The shims see resolver runs: the proof below is not vacuous.
      const resolverRuns = (lines: string[]) =>
        lines.filter((l) => / (download|wheel|compile|install) /.test(`${l} `))
      expect(resolverRuns(readLog()).length).toBeGreaterThan(0)

      clearLog()
      const second = await resolveWheels({ ...request, env: offline() })
      expect(second.cacheHit).toBe(true)
      expect(second.cacheKey).toBe(first.cacheKey)
      expect(second.wheels).toEqual(first.wheels)
      const ran = readLog()
      expect(resolverRuns(ran)).toEqual([])
      // Only the version probes that make up the key ran.
      for (const line of ran)
        expect(line).toMatch(/^(python3 -c |python3 -m pip config list|uv --version)/)
    }
  )

  it('a corrupted wheel in the store is detected and resolved again', async () => {
    const store = join(work, 'corrupt')
    const request = requestFor('pip', 'python3.12', 'x86_64', {
      dependencies: declared(NATIVE),
      storeRoot: store
    })
    const first = await resolveWheels(request)
    const victim = first.wheels.find((w) => basename(w).startsWith('pydantic_core'))
    if (!victim) throw new Error('no pydantic-core wheel')
    const size = statSync(victim).size
    truncateSync(victim, Math.floor(size / 2))
    expect((await readEntry(store, first.cacheKey)).state).toBe('corrupt')

    clearLog()
    const again = await resolveWheels(request)
    expect(again.cacheHit).toBe(false)
    expect(readLog().some((l) => l.includes('pip download'))).toBe(true)
    expect(statSync(victim).size).toBe(size)
    expect((await readEntry(store, again.cacheKey)).state).toBe('complete')
    expectLoads(again, request.runtime, request.architecture)
  })

  it('an interrupted entry (no completion marker) never counts', async () => {
    const store = join(work, 'interrupted')
    const request = requestFor('pip', 'python3.12', 'arm64', {
      dependencies: declared(requirements('six.txt', 'six==1.17.0\n')),
      storeRoot: store
    })
    const first = await resolveWheels(request)
    rmSync(join(store, first.cacheKey, '.complete'))
    const again = await resolveWheels(request)
    expect(again.cacheHit).toBe(false)
    expect(again.wheels.map((w) => basename(w))).toEqual(['six-1.17.0-py2.py3-none-any.whl'])
  })
})

describe('source distributions', () => {
  it.each([
    ['pip', 'python3.12', 'x86_64'],
    ['uv', 'python3.11', 'arm64']
  ] as const)(
    '%s: a pure-Python sdist-only package (docopt 0.6.2) is built to a py*-none-any wheel for %s %s',
    async (installer, runtimeName, architecture) => {
      const result = await resolveWheels(
        requestFor(installer, runtimeName, architecture, {
          dependencies: declared(requirements(`docopt-${installer}.txt`, 'docopt==0.6.2\n')),
          storeRoot: join(work, `docopt-${installer}`)
        })
      )
      expect(result.wheels.map((w) => basename(w))).toEqual(['docopt-0.6.2-py2.py3-none-any.whl'])
      expect(result.cacheHit).toBe(false)
    }
  )

  /** An sdist with a C extension, served from a local find-links directory. */
  function nativeSdist(): string {
    const dir = join(work, 'native-sdist')
    const source = join(dir, 'src', 'tinynative-1.0')
    mkdirSync(source, { recursive: true })
    writeFileSync(
      join(source, 'PKG-INFO'),
      'Metadata-Version: 2.1\nName: tinynative\nVersion: 1.0\n'
    )
    writeFileSync(
      join(source, 'setup.py'),
      "from setuptools import Extension, setup\nsetup(name='tinynative', version='1.0', ext_modules=[Extension('tinynative', ['tinynative.c'])])\n"
    )
    writeFileSync(
      join(source, 'tinynative.c'),
      '#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "tinynative"};\nPyMODINIT_FUNC PyInit_tinynative(void) { return PyModule_Create(&m); }\n'
    )
    const links = join(dir, 'links')
    mkdirSync(links, { recursive: true })
    execFileSync('tar', [
      'czf',
      join(links, 'tinynative-1.0.tar.gz'),
      '-C',
      join(dir, 'src'),
      'tinynative-1.0'
    ])
    return links
  }

  it.each(['pip', 'uv'] as const)(
    '%s: an sdist-only package with a C extension fails naming it and the way out',
    async (installer) => {
      const links = nativeSdist()
      const file = requirements(
        `native-sdist-${installer}.txt`,
        `--find-links ${links}\ntinynative==1.0\n`
      )
      const message = await failure(
        requestFor(installer, 'python3.11', 'arm64', {
          dependencies: declared(file),
          storeRoot: join(work, `native-${installer}`)
        })
      )
      expect(message).toContain('tinynative')
      expect(message).toContain('tinynative.c')
      expect(message).toContain('python3.11 arm64')
      expect(message).toMatch(/pin a version/i)
      expect(message).toContain('container')
    }
  )
})

describe('no wheel for the requested versions', () => {
  // numpy 2.3 and later ship no manylinux2014 aarch64 wheels for CPython 3.11; 2.2.6 does.
  it.each(['pip', 'uv'] as const)(
    '%s: numpy>=2.3 for python3.11 arm64 fails naming numpy, the newest version that loads and the way out',
    async (installer) => {
      const message = await failure(
        requestFor(installer, 'python3.11', 'arm64', {
          dependencies: declared(requirements(`numpy-new-${installer}.txt`, 'numpy>=2.3\n')),
          storeRoot: join(work, `numpy-new-${installer}`)
        })
      )
      expect(message).toContain('numpy>=2.3')
      expect(message).toContain('numpy==2.2.6')
      expect(message).toContain('python3.12 or later')
      // Decided from the wheel listing: no source build of numpy was attempted.
      expect(message).not.toContain('source distribution')
    }
  )
})

describe('--hash', () => {
  it.each(['pip', 'uv'] as const)(
    '%s: the right hash passes, a wrong one fails',
    async (installer) => {
      const base = requestFor(installer, 'python3.12', 'arm64', {
        dependencies: emptySet(),
        storeRoot: join(work, `hash-${installer}`)
      })
      const good = await resolveWheels({
        ...base,
        dependencies: declared(
          requirements(`hash-good-${installer}.txt`, `six==1.17.0 --hash=sha256:${SIX_SHA256}\n`)
        )
      })
      expect(good.wheels.map((w) => basename(w))).toEqual(['six-1.17.0-py2.py3-none-any.whl'])

      const wrong = '0'.repeat(64)
      const message = await failure({
        ...base,
        dependencies: declared(
          requirements(`hash-bad-${installer}.txt`, `six==1.17.0 --hash=sha256:${wrong}\n`)
        )
      })
      expect(message).toContain('six')
      expect(message).toMatch(/hash/i)
      // Both say which wheel it was, what it hashes to, and which line pinned another hash
      // (pip's own report, when pip refuses it first, is read into the same words).
      expect(message).toContain(
        `six (six-1.17.0-py2.py3-none-any.whl) has sha256:${SIX_SHA256}, which is not among the --hash values at hash-bad-${installer}.txt:1`
      )
    }
  )
})

describe('installer choice', () => {
  it('auto without uv on PATH resolves for the target with the uv the action brings; a store hit fetches nothing', async () => {
    const toolCache = join(work, 'auto-tool-cache')
    const request = requestFor('pip', 'python3.12', 'arm64', {
      installer: 'auto',
      dependencies: declared(NATIVE),
      storeRoot: join(work, 'auto-store'),
      toolCache,
      env: withoutUv()
    })
    clearLog()
    const first = await resolveWheels(request)
    expect(first.installer).toEqual({ name: 'uv', version: PINNED_UV_VERSION })
    expect(first.cacheKey).toContain('-python3.12-arm64-uv-')
    expect(first.bootstrappedUv).toBe(bootstrappedUvPath(toolCache, hostMachine))
    expect(statSync(first.bootstrappedUv!).mode & 0o111).not.toBe(0)
    // The marker holds on arm64, not on this x86_64 host: evaluated for the target.
    expect(projects(first)).toContain('six')
    expect(first.warnings).toEqual([])
    expectLoads(first, request.runtime, request.architecture)
    expect(readLog().filter((l) => l.includes(`uv==`) || l.includes('pip download'))).not.toEqual(
      []
    )

    // The same key from the store: nothing fetched, not even uv (a fresh tool cache stays empty).
    clearLog()
    const empty = join(work, 'auto-tool-cache-empty')
    const hit = await resolveWheels({
      ...request,
      toolCache: empty,
      // Proxies on a closed port (not in the key, unlike PIP_INDEX_URL): any fetch would fail.
      env: {
        ...withoutUv(),
        HTTP_PROXY: 'http://127.0.0.1:9',
        HTTPS_PROXY: 'http://127.0.0.1:9',
        https_proxy: 'http://127.0.0.1:9',
        PIP_RETRIES: '0'
      }
    })
    expect(hit.cacheHit).toBe(true)
    expect(hit.cacheKey).toBe(first.cacheKey)
    expect(hit.bootstrappedUv).toBeUndefined()
    expect(readLog().filter((l) => l.includes('download'))).toEqual([])
    expect(() => statSync(empty)).toThrow()
  })

  it('a damaged uv in the tool cache is fetched again, not run', async () => {
    const toolCache = join(work, 'damaged-tool-cache')
    const request = requestFor('pip', 'python3.12', 'x86_64', {
      installer: 'auto',
      dependencies: declared(requirements('six-auto.txt', 'six==1.17.0\n')),
      toolCache,
      env: withoutUv()
    })
    const first = await resolveWheels({ ...request, storeRoot: join(work, 'damaged-1') })
    const uv = first.bootstrappedUv!
    writeFileSync(uv, '#!/bin/sh\necho planted >&2; exit 3\n')
    clearLog()
    // Another store: a miss, so uv is needed again.
    const second = await resolveWheels({ ...request, storeRoot: join(work, 'damaged-2') })
    expect(second.bootstrappedUv).toBe(uv)
    expect(second.wheels.map((w) => basename(w))).toEqual(['six-1.17.0-py2.py3-none-any.whl'])
    expect(
      readLog().some(
        (l) => l.includes('-m pip download') && l.includes('--platform manylinux_2_17_')
      )
    ).toBe(true)
    expect(readFileSync(uv).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))
  })

  it('no requirements file: nothing to resolve, a cache hit, no process started', async () => {
    clearLog()
    const result = await resolveWheels({
      dependencies: emptySet(),
      runtime: rt('python3.12'),
      architecture: 'arm64',
      installer: 'auto',
      useActionsCache: true,
      allowLinuxWheels: false,
      storeRoot: join(work, 'empty'),
      env: offline()
    })
    expect(result).toMatchObject({ wheels: [], cacheHit: true, cacheKey: '' })
    expect(readLog()).toEqual([])
  })

  it('credentials in an index URL are returned as secrets and never in the key', async () => {
    const file = requirements(
      'secret.txt',
      '--extra-index-url https://someone:hunter2@127.0.0.1:9/simple\nsix==1.17.0\n'
    )
    const result = await resolveWheels(
      requestFor('pip', 'python3.12', 'x86_64', {
        dependencies: declared(file),
        storeRoot: join(work, 'secret')
      })
    ).catch((e: unknown) => e)
    // The extra index is unreachable; pip may still find six elsewhere. Either way no leak.
    if (result instanceof Error) {
      expect(result.message).not.toContain('hunter2')
    } else {
      expect((result as ResolvedWheels).secrets).toEqual(expect.arrayContaining(['hunter2']))
      expect((result as ResolvedWheels).cacheKey).not.toContain('hunter2')
    }
  })
})
