// The dependency part of our zip holds exactly what `pip install --target --no-compile` installs
// from the same wheels (pip's own bookkeeping aside), for both architectures, with real wheels
// from PyPI; two builds are byte-identical; the layer layout is right.
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/run-action.js'
import {
  assemblePackages,
  LAYER_PREFIX,
  type AssembleRequest
} from '../../src/packaging/assemble/assemble.js'
import { readEntryHead, readZipEntries } from '../../src/packaging/zip-format.js'
import {
  ELF_MACHINE,
  MANYLINUX_FIRST_GLIBC_MINOR,
  runtimeFacts,
  WHEEL_ARCH,
  type Architecture
} from '../../src/lambda-facts.js'

const RUNTIME = runtimeFacts('python3.11')
if (!RUNTIME) throw new Error('python3.11 missing from lambda-facts')
const PACKAGES = ['numpy', 'pydantic-core']
/** Kept between runs: the wheels only change when PyPI publishes new versions. */
const WHEEL_CACHE = join(ROOT, '.tools', 'test-wheels', 'assemble-parity')

function pipPlatformArgs(architecture: Architecture): string[] {
  const arch = WHEEL_ARCH[architecture]
  const ladder = [`manylinux2014_${arch}`]
  for (let minor = MANYLINUX_FIRST_GLIBC_MINOR; minor <= (RUNTIME?.glibcMinor ?? 0); minor++) {
    ladder.push(`manylinux_2_${minor}_${arch}`)
  }
  return [
    '--only-binary=:all:',
    ...ladder.flatMap((tag) => ['--platform', tag]),
    '--implementation',
    'cp',
    '--python-version',
    RUNTIME?.pythonVersion ?? '',
    '--abi',
    `cp${RUNTIME?.abiDigits ?? ''}`
  ]
}

function pip(args: string[]): void {
  execFileSync('python3', ['-m', 'pip', '--disable-pip-version-check', '--quiet', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' }
  })
}

interface FileView {
  sha256: string
  executable: boolean
}

/** Every file of a zip (via Python's zipfile, which checks CRCs) or of a directory tree. */
function pythonView(path: string): Record<string, FileView> {
  const script = `
import hashlib, json, os, sys, zipfile
path = sys.argv[1]
view = {}
if os.path.isdir(path):
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path).replace(os.sep, '/')
            with open(full, 'rb') as f:
                view[rel] = dict(sha256=hashlib.sha256(f.read()).hexdigest(),
                                 executable=bool(os.stat(full).st_mode & 0o111))
else:
    z = zipfile.ZipFile(path)
    assert z.testzip() is None
    for i in z.infolist():
        view[i.filename] = dict(sha256=hashlib.sha256(z.read(i)).hexdigest(),
                                executable=bool((i.external_attr >> 16) & 0o111))
print(json.dumps(view))
`
  return JSON.parse(
    execFileSync('python3', ['-c', script, path], { encoding: 'utf8', maxBuffer: 64 << 20 })
  )
}

/**
 * What pip installs and the package leaves out on purpose: pip's own bookkeeping, console
 * scripts, and bytecode a wheel happens to ship (numpy 2.2's has a stray `.pyc`).
 */
function isLeftOutOnPurpose(path: string): boolean {
  const segments = path.split('/')
  const [top, file] = segments
  if (top === 'bin' || segments.includes('__pycache__') || path.endsWith('.pyc')) return true
  return (
    top !== undefined &&
    top.endsWith('.dist-info') &&
    ['INSTALLER', 'REQUESTED', 'direct_url.json'].includes(file ?? '')
  )
}

const isRecord = (path: string) => /^[^/]+\.dist-info\/RECORD$/.test(path)

let work: string
let source: string
const SOURCE_FILES = ['app.py', 'lib/helpers.py', 'requirements.txt', 'run.sh']

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'assemble-parity-'))
  source = join(work, 'src')
  mkdirSync(join(source, 'lib'), { recursive: true })
  writeFileSync(
    join(source, 'app.py'),
    'import numpy, pydantic_core\n\ndef handler(event, context):\n    return 1\n'
  )
  writeFileSync(join(source, 'lib', 'helpers.py'), 'X = 1\n')
  writeFileSync(join(source, 'requirements.txt'), 'numpy\npydantic-core\n')
  writeFileSync(join(source, 'run.sh'), '#!/bin/sh\n')
  chmodSync(join(source, 'run.sh'), 0o755)
  writeFileSync(join(source, '.env'), 'SECRET=1\n')
  mkdirSync(join(source, '__pycache__'))
  writeFileSync(join(source, '__pycache__', 'app.cpython-311.pyc'), 'x')
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe.each<[Architecture]>([['x86_64'], ['arm64']])(
  'assemble %s against pip install --target',
  (architecture) => {
    let wheels: string[]
    let pipTarget: string

    const request = (outputDir: string, packageType: 'zip' | 'layer' = 'zip'): AssembleRequest => ({
      wheels,
      sourceDir: source,
      exclude: [],
      slim: false,
      packageType,
      outputDir
    })

    beforeAll(() => {
      const cache = join(WHEEL_CACHE, WHEEL_ARCH[architecture])
      const cached = () =>
        existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.whl')) : []
      const complete = (files: string[]) =>
        PACKAGES.every((name) => files.some((f) => f.startsWith(`${name.replace('-', '_')}-`)))
      if (!complete(cached())) {
        mkdirSync(cache, { recursive: true })
        pip(['download', '--no-deps', ...pipPlatformArgs(architecture), '-d', cache, ...PACKAGES])
      }
      wheels = cached().map((file) => join(cache, file))
      expect(complete(cached())).toBe(true)

      pipTarget = join(work, `pip-${architecture}`)
      pip([
        'install',
        '--target',
        pipTarget,
        '--no-compile',
        '--no-deps',
        '--no-index',
        ...pipPlatformArgs(architecture),
        ...wheels
      ])
    })

    it('holds exactly the files and bytes pip installs, with the same executable bits', async () => {
      const result = await assemblePackages(request(join(work, `zip-${architecture}`)))
      const ours = pythonView(result.function.path)
      const installed = pythonView(pipTarget)

      const ourDependencies = Object.keys(ours)
        .filter((name) => !SOURCE_FILES.includes(name))
        .sort()
      const pipFiles = Object.keys(installed)
        .filter((name) => !isLeftOutOnPurpose(name))
        .sort()
      expect(ourDependencies).toEqual(pipFiles)
      for (const name of pipFiles) {
        if (isRecord(name)) continue // pip rewrites RECORD with its own paths and bookkeeping
        expect({ name, ...ours[name] }).toEqual({ name, ...installed[name] })
      }
      expect(
        Object.keys(ours)
          .filter((name) => SOURCE_FILES.includes(name))
          .sort()
      ).toEqual(SOURCE_FILES)
      expect(Object.keys(ours).filter((name) => /(^|\/)__pycache__\/|\.pyc$/.test(name))).toEqual(
        []
      )
      expect(ours['run.sh']?.executable).toBe(true)
      expect(result.excludedByDefault).toEqual(['.env', '__pycache__/'])
      expect(result.warnings).toEqual([])

      expect(result.distributions.map((d) => d.name).sort()).toEqual(['numpy', 'pydantic_core'])
      const dependencyBytes = result.distributions.reduce((sum, d) => sum + d.unzippedSize, 0)
      expect(result.function.unzippedSize).toBe(dependencyBytes + result.codeUnzippedSize)
      expect(result.distributions.reduce((sum, d) => sum + d.files, 0)).toBe(ourDependencies.length)
    })

    it('copies shared libraries for the target machine', async () => {
      const zip = join(work, `zip-${architecture}`, 'function.zip')
      const libraries = (await readZipEntries(zip)).filter((e) => e.name.endsWith('.so'))
      expect(libraries.length).toBeGreaterThan(0)
      const handle = await open(zip, 'r')
      try {
        for (const library of libraries) {
          const head = await readEntryHead(handle, library, 64)
          expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF')
          expect(head.readUInt16LE(18)).toBe(ELF_MACHINE[architecture])
        }
      } finally {
        await handle.close()
      }
    })

    it('gives byte-identical zips on two builds', async () => {
      const first = await assemblePackages(request(join(work, `repeat-a-${architecture}`)))
      const second = await assemblePackages(request(join(work, `repeat-b-${architecture}`)))
      expect(second.function.codeSha256).toBe(first.function.codeSha256)
      expect(readFileSync(second.function.path).equals(readFileSync(first.function.path))).toBe(
        true
      )
    })

    it('layer: dependencies under python/, code alone in the function zip', async () => {
      const zip = await assemblePackages(request(join(work, `zip-${architecture}`)))
      const layered = await assemblePackages(request(join(work, `layer-${architecture}`), 'layer'))
      expect(layered.layer).toBeDefined()
      const layer = pythonView(layered.layer?.path ?? '')
      const code = pythonView(layered.function.path)
      expect(Object.keys(code).sort()).toEqual(SOURCE_FILES)
      expect(Object.keys(layer).every((name) => name.startsWith(LAYER_PREFIX))).toBe(true)
      const dependencies = Object.keys(pythonView(zip.function.path)).filter(
        (n) => !SOURCE_FILES.includes(n)
      )
      expect(
        Object.keys(layer)
          .map((name) => name.slice(LAYER_PREFIX.length))
          .sort()
      ).toEqual(dependencies.sort())
      expect(layered.function.unzippedSize + (layered.layer?.unzippedSize ?? 0)).toBe(
        zip.function.unzippedSize
      )
      expect(layered.distributions).toEqual(zip.distributions)
    })
  }
)

describe('assemblePackages on small local wheels', () => {
  /** Writes a wheel with Python's zipfile: names → content; `+x` marks executables, `+bz2` bzip2. */
  function makeWheel(path: string, files: Record<string, string>): string {
    const script = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for name, content in json.loads(sys.argv[2]).items():
        info = zipfile.ZipInfo(name.removesuffix('+x').removesuffix('+bz2'), (2020, 1, 2, 3, 4, 6))
        info.external_attr = (0o100755 if name.endswith('+x') else 0o100644) << 16
        info.compress_type = zipfile.ZIP_BZIP2 if name.endswith('+bz2') else zipfile.ZIP_DEFLATED
        z.writestr(info, content)
`
    execFileSync('python3', ['-c', script, path, JSON.stringify(files)])
    return path
  }

  it('maps .data folders, drops scripts, keeps modes; a bad wheel leaves no zip behind', async () => {
    const dir = join(work, 'small')
    mkdirSync(dir, { recursive: true })
    const good = makeWheel(join(dir, 'demo-1.0-py3-none-any.whl'), {
      'demo/__init__.py': 'X = 1\n',
      'demo/tool.sh+x': '#!/bin/sh\n',
      'demo-1.0.data/purelib/demo_extra.py': 'Y = 2\n',
      'demo-1.0.data/scripts/demo': '#!python\n',
      'demo-1.0.dist-info/METADATA': 'Name: demo\n',
      'demo-1.0.dist-info/RECORD': ''
    })
    const out = join(dir, 'out')
    const result = await assemblePackages({
      wheels: [good],
      sourceDir: source,
      exclude: ['lib/'],
      slim: false,
      packageType: 'zip',
      outputDir: out,
      sourceDateEpoch: 1_700_000_000
    })
    const view = pythonView(result.function.path)
    expect(Object.keys(view)).toEqual([
      'app.py',
      'demo-1.0.dist-info/METADATA',
      'demo-1.0.dist-info/RECORD',
      'demo/__init__.py',
      'demo/tool.sh',
      'demo_extra.py',
      'requirements.txt',
      'run.sh'
    ])
    expect(view['demo/tool.sh']?.executable).toBe(true)
    expect(view['demo/__init__.py']?.executable).toBe(false)
    expect(readdirSync(out)).toEqual(['function.zip'])

    const bad = makeWheel(join(dir, 'evil-1.0-py3-none-any.whl'), {
      'evil/../../escape.py': 'x',
      'evil-1.0.dist-info/METADATA': 'Name: evil\n'
    })
    const failedOut = join(dir, 'failed')
    await expect(
      assemblePackages({
        wheels: [good, bad],
        sourceDir: source,
        exclude: [],
        slim: false,
        packageType: 'zip',
        outputDir: failedOut
      })
    ).rejects.toThrow(
      /evil-1.0-py3-none-any.whl: entry "evil\/..\/..\/escape.py" has a '..' segment/
    )
    expect(existsSync(join(failedOut, 'function.zip'))).toBe(false)

    // Failing halfway through writing removes the partial zip too.
    const bzip2 = makeWheel(join(dir, 'zz-1.0-py3-none-any.whl'), {
      'zz/x.py+bz2': 'x = 1\n',
      'zz-1.0.dist-info/METADATA': 'Name: zz\n'
    })
    await expect(
      assemblePackages({
        wheels: [good, bzip2],
        sourceDir: source,
        exclude: [],
        slim: false,
        packageType: 'zip',
        outputDir: failedOut
      })
    ).rejects.toThrow(
      /zz-1.0-py3-none-any.whl: not a readable zip \(entry zz\/x.py uses compression method 12/
    )
    expect(readdirSync(failedOut)).toEqual([])
  })
})
