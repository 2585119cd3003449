// The hostile wheels of issue 12 end to end: each served from a `--no-index --find-links`
// folder, as a private index would, through `node dist/index.js` in mode: build. What pip
// reads is what ships, nothing copied from a wheel goes unverified, names that extract to one
// file collide, and a deflate bomb costs bounded memory.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { limitConcurrency } from '../helpers/limit.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'
import {
  HOSTILE_WHEEL,
  python,
  writeHostileWheel,
  type HostileCase
} from '../helpers/hostile-wheels.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-hostile-zips-'))
const limited = limitConcurrency(2)
const HANDLER = 'def handler(event, context):\n    return event\n'

interface Built {
  run: ActionRun
  outputDir: string
}

async function build(hostileCase: HostileCase, wrapper?: string[]): Promise<Built> {
  const root = join(work, hostileCase)
  const source = join(root, 'source')
  mkdirSync(source, { recursive: true })
  writeFileSync(join(source, 'app.py'), HANDLER)
  writeHostileWheel(join(root, 'wheels'), hostileCase)
  const requirements = join(root, 'requirements.txt')
  writeFileSync(requirements, `--no-index\n--find-links ${join(root, 'wheels')}\nevilpkg==1.0\n`)
  const outputDir = join(root, 'out')
  const run = await limited(() =>
    runAction({
      inputs: {
        mode: 'build',
        runtime: 'python3.12',
        architectures: 'x86_64',
        installer: 'pip',
        cache: 'false',
        'import-check': 'false',
        source,
        requirements,
        'output-dir': outputDir
      },
      ...(wrapper ? { wrapper } : {})
    })
  )
  return { run, outputDir }
}

/** name → text of every entry of the built function.zip, read with zipfile. */
function packageFiles(outputDir: string): Record<string, string> {
  return JSON.parse(
    execFileSync(
      python(),
      [
        '-c',
        'import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z:\n    print(json.dumps({n: z.read(n).decode() for n in z.namelist()}))',
        join(outputDir, 'x86_64', 'function.zip')
      ],
      { encoding: 'utf8' }
    )
  )
}

function warnings(run: ActionRun): string[] {
  return run.stdout.split('\n').filter((line) => line.startsWith('::warning'))
}

function zipsWritten(outputDir: string): string[] {
  const dir = join(outputDir, 'x86_64')
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.zip|\.partial/.test(f)) : []
}

describe.concurrent('hostile wheels through node dist/index.js', () => {
  it.for<[HostileCase, string]>([
    ['count-short', 'the end record counts 4468 entries, the central directory holds 70004'],
    ['bad-crc', 'entry evilpkg/mod.py fails its CRC-32 check'],
    ['bad-deflate', 'entry evilpkg/mod.py does not inflate'],
    ['stored-size-lie', 'stored entry evilpkg/mod.py declares 1200 bytes stored but 1210 bytes'],
    ['size-lie', 'entry evilpkg/big.bin inflates to more than the 1000 bytes it declares'],
    ['overlap', 'overlaps the next entry or the central directory'],
    ['local-name', 'entry evilpkg/good.py is named "evilpkg/evil.py" in its local header']
  ])(
    '%s: refused naming the wheel and the fault, no package written',
    async ([hostileCase, fault], { expect }) => {
      const { run, outputDir } = await build(hostileCase)
      expect(run.code, run.stdout + run.stderr).toBe(1)
      expect(run.errors).toHaveLength(1)
      expect(run.errors[0]).toContain(`${HOSTILE_WHEEL}: refused, not a wheel as pip reads it: `)
      expect(run.errors[0]).toContain(fault)
      // A download repeats a malformation: no advice to download again.
      expect(run.errors[0]).toContain('downloading it again would not help')
      expect(run.errors[0]).not.toMatch(/delete it|downloaded again/)
      expect(run.stdout).not.toContain('size gate passed')
      expect(zipsWritten(outputDir)).toEqual([])
    }
  )

  it.for<[HostileCase, string]>([
    [
      'data-backslash',
      'entry "evilpkg-1.0.data/purelib/\\\\x" installs as "\\\\x", which is an absolute path'
    ],
    [
      'data-drive',
      'entry "evilpkg-1.0.data/platlib/C:/x" installs as "C:/x", which is an absolute path'
    ],
    [
      'data-absolute',
      'entry "evilpkg-1.0.data/purelib//tmp/x" installs as "/tmp/x", which is an absolute path'
    ],
    ['dot-entry', 'entry "." names no file'],
    ['long-component', 'has a path component over 255 bytes'],
    [
      'file-folder',
      'app.py (from the handler code) is a file, but app.py/evil.py (from evilpkg-1.0-py3-none-any.whl) needs a folder'
    ],
    [
      'symlink-child',
      'evilpkg/link (from evilpkg-1.0-py3-none-any.whl) is a file, but evilpkg/link/x.py'
    ]
  ])(
    '%s: refused naming the wheel and the entry, no package written',
    async ([hostileCase, fault], { expect }) => {
      const { run, outputDir } = await build(hostileCase)
      expect(run.code, run.stdout + run.stderr).toBe(1)
      expect(run.errors).toHaveLength(1)
      expect(run.errors[0]).toContain(HOSTILE_WHEEL)
      expect(run.errors[0]).toContain(fault)
      expect(run.stdout + run.stderr).not.toMatch(/internal error|\n\s+at /)
      expect(zipsWritten(outputDir)).toEqual([])
    }
  )

  it('two end records: the package holds what pip reads, not the backdoor', async ({ expect }) => {
    const { run, outputDir } = await build('two-end-records')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const files = packageFiles(outputDir)
    expect(files['evilpkg/__init__.py']).toBe('X = 1\n')
    expect(Object.keys(files)).not.toContain('evilpkg/backdoor.py')
  })

  it('./app.py in a wheel collides with the handler’s app.py: the handler wins, with a warning', async ({
    expect
  }) => {
    const { run, outputDir } = await build('dot-slash-handler')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const files = packageFiles(outputDir)
    expect(Object.keys(files).filter((name) => name.endsWith('app.py'))).toEqual(['app.py'])
    expect(files['app.py']).toBe(HANDLER)
    expect(warnings(run).join('\n')).toContain(
      `app.py in source replaces the file of the same name from ${HOSTILE_WHEEL}; the handler code wins.`
    )
  })

  it('evilpkg/./x.py and evilpkg//y.py are the same files as evilpkg/x.py and evilpkg/y.py: one warning, the last copy kept', async ({
    expect
  }) => {
    const { run, outputDir } = await build('dot-segments')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const files = packageFiles(outputDir)
    expect(
      Object.keys(files)
        .filter((name) => /[xy]\.py$/.test(name))
        .sort()
    ).toEqual(['evilpkg/x.py', 'evilpkg/y.py'])
    expect(files['evilpkg/x.py']).toBe('B = 1\n')
    expect(warnings(run).filter((line) => line.includes('repeat a name'))).toEqual([
      `::warning::x86_64: 2 entries of ${HOSTILE_WHEEL} repeat a name it already holds (the first: evilpkg/x.py); the last copy of each name is kept, as pip does.`
    ])
  })

  it('20,000 copies of one name: one warning with the count', async ({ expect }) => {
    const { run, outputDir } = await build('many-duplicates')
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(packageFiles(outputDir)['evilpkg/dup.py']).toBe('D = 19999\n')
    const about = warnings(run).filter((line) => line.includes('dup.py'))
    expect(about).toEqual([
      `::warning::x86_64: 19999 entries of ${HOSTILE_WHEEL} repeat a name it already holds (the first: evilpkg/dup.py); the last copy of each name is kept, as pip does.`
    ])
  })

  it('a 2 GiB deflate bomb behind 1 MiB of empty blocks in an .so: refused before writing, peak memory far under 1 GB', async ({
    expect
  }) => {
    const { run, outputDir } = await build('bomb-so', ['/usr/bin/time', '-v'])
    expect(run.code, run.stdout + run.stderr).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain(
      "over Lambda's limit of 262.1 MB (250 MiB, 262,144,000 bytes) for function and layers together, so nothing is written"
    )
    expect(run.errors[0]).toContain('evilpkg 1.0 (')
    expect(zipsWritten(outputDir)).toEqual([])
    const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)
    expect(peak, run.stderr).not.toBeNull()
    console.log(`bomb-so: peak RSS ${peak?.[1]} kB`)
    expect(Number(peak?.[1]) * 1024).toBeLessThan(1_000_000_000)
  })
})
