import { describe, expect, it } from 'vitest'
import { runtimeFacts } from '../../src/lambda-facts.js'
import type { ElfParse } from '../../src/packaging/verify/elf.js'
import { checkLibraries, type PackagedFile } from '../../src/packaging/verify/library-check.js'
import { judgeLibraries, moduleName } from '../../src/packaging/verify/library-verdict.js'

const py312 = runtimeFacts('python3.12')!

function elf(fields: Partial<Extract<ElfParse, { kind: 'elf' }>> = {}): ElfParse {
  return {
    kind: 'elf',
    machine: 62,
    needed: ['libc.so.6'],
    rpath: [],
    runpath: [],
    versionNeeds: [{ file: 'libc.so.6', versions: ['GLIBC_2.2.5', 'GLIBC_2.17'] }],
    pyInit: [],
    ...fields
  }
}

function file(entry: string, parsed: ElfParse, root = '/var/task'): PackagedFile {
  return { path: `${root}/${entry}`, entry, parsed }
}

/** An extension module `<dir>/<name>.cpython-312-x86_64-linux-gnu.so`. */
function module(path: string, fields: Partial<Extract<ElfParse, { kind: 'elf' }>> = {}) {
  const name = path.split('/').at(-1)!.split('.')[0]!
  return file(path, elf({ pyInit: [`PyInit_${name}`], ...fields }))
}

describe('shared-library check', () => {
  it('passes an auditwheel-style wheel: bundled libraries through $ORIGIN, system ones from glibc', () => {
    const report = checkLibraries(
      [
        module('numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so', {
          needed: ['libscipy_openblas64_-56d6093b.so', 'libstdc++.so.6', 'libm.so.6', 'libc.so.6'],
          rpath: ['$ORIGIN/../../numpy.libs']
        }),
        file(
          'numpy.libs/libscipy_openblas64_-56d6093b.so',
          elf({ needed: ['libgfortran-040039e1.so.5.0.0', 'libpthread.so.0'], rpath: ['$ORIGIN'] })
        ),
        file('numpy.libs/libgfortran-040039e1.so.5.0.0', elf({ needed: ['libz.so.1'] }))
      ],
      py312,
      'x86_64'
    )
    expect(report).toMatchObject({ failures: [], warnings: [], elfFiles: 3, extensionModules: 1 })
  })

  it('fails an extension module whose bundled library needs libGL, naming it and opencv-python-headless', () => {
    const report = checkLibraries(
      [
        module('cv2/cv2.abi3.so', {
          needed: ['libQt5Gui-1b2e3a4c.so.5.15.0', 'libc.so.6'],
          rpath: ['$ORIGIN/../opencv_python.libs']
        }),
        file('opencv_python.libs/libQt5Gui-1b2e3a4c.so.5.15.0', elf({ needed: ['libGL.so.1'] }))
      ],
      py312,
      'x86_64'
    )
    expect(report.failures).toHaveLength(1)
    expect(report.failures[0]!.entry).toBe('opencv_python.libs/libQt5Gui-1b2e3a4c.so.5.15.0')
    expect(report.failures[0]!.message).toMatch(
      /needs libGL\.so\.1 \(loaded by cv2\/cv2\.abi3\.so\)/
    )
    expect(report.failures[0]!.message).toMatch(/opencv-python-headless/)
  })

  it.each([
    ['GLIBC_2.34', 'python3.11', 1],
    ['GLIBC_2.34', 'python3.12', 0],
    ['GLIBC_2.28', 'python3.11', 1],
    ['GLIBC_2.26', 'python3.11', 0],
    ['GLIBC_ABI_DT_RELR', 'python3.12', 1]
  ])('an extension module needing %s on %s: %i failure(s)', (version, name, count) => {
    const runtime = runtimeFacts(name)!
    const report = checkLibraries(
      [
        module('probe/_native.abi3.so', {
          versionNeeds: [{ file: 'libc.so.6', versions: [version] }]
        })
      ],
      runtime,
      'x86_64'
    )
    expect(report.failures).toHaveLength(count)
    if (count) {
      expect(report.failures[0]!.message).toContain(`needs ${version}`)
      expect(report.failures[0]!.message).toContain(`public.ecr.aws/sam/build-${runtime.name}`)
    }
  })

  it('only warns about files no extension module reaches', () => {
    const report = checkLibraries(
      [
        module('pkg/_speedups.abi3.so'),
        file('pkg/plugins/libviewer.so', elf({ needed: ['libX11.so.6'] })),
        file(
          'pkg/tools/helper',
          elf({ needed: [], versionNeeds: [{ file: 'libc.so.6', versions: ['GLIBC_2.38'] }] })
        )
      ],
      py312,
      'x86_64'
    )
    expect(report.failures).toEqual([])
    expect(report.warnings.map((w) => w.entry).sort()).toEqual([
      'pkg/plugins/libviewer.so',
      'pkg/tools/helper'
    ])
  })

  it('follows DT_RPATH of the loader but not past a DT_RUNPATH', () => {
    const files = (runpath: string[]) => [
      module('a/_ext.abi3.so', { needed: ['libmid.so'], rpath: ['$ORIGIN/mid', '$ORIGIN/deep'] }),
      file('a/mid/libmid.so', elf({ needed: ['libdeep.so'], runpath })),
      file('a/deep/libdeep.so', elf())
    ]
    // libmid has no runpath: its loader's rpath ($ORIGIN/deep of the module) applies.
    expect(checkLibraries(files([]), py312, 'x86_64').failures).toEqual([])
    // libmid has a runpath: ld.so then ignores every rpath, and libdeep is not found.
    const failures = checkLibraries(files(['/nowhere']), py312, 'x86_64').failures
    expect(failures.map((f) => f.entry)).toEqual(['a/mid/libmid.so'])
    expect(failures[0]!.message).toMatch(/needs libdeep\.so \(loaded by a\/_ext\.abi3\.so\)/)
  })

  it("finds libraries on Lambda's LD_LIBRARY_PATH: lib/ of the function and /opt/lib of a layer", () => {
    const report = checkLibraries(
      [module('python/pkg/_ext.abi3.so', { needed: ['libpq.so.5', 'libfoo.so.1'] })]
        .map((f) => ({ ...f, path: `/opt/${f.entry}` }))
        .concat([file('lib/libpq.so.5', elf(), '/opt'), file('lib/libfoo.so.1', elf())]),
      py312,
      'x86_64'
    )
    expect(report.failures).toEqual([])
  })

  it('reads a relative rpath from the task root, where Lambda starts the runtime', () => {
    const files = (lib: string) => [
      module('pkg/_x.abi3.so', { needed: ['libv.so'], rpath: ['vendor'] }),
      file(lib, elf())
    ]
    expect(checkLibraries(files('vendor/libv.so'), py312, 'x86_64').failures).toEqual([])
    expect(checkLibraries(files('pkg/vendor/libv.so'), py312, 'x86_64').failures).toHaveLength(1)
  })

  it('fails a library for the other architecture, reachable or not', () => {
    const report = checkLibraries(
      [file('pkg/lib/libfoo.so', elf({ machine: 183 }))],
      py312,
      'x86_64'
    )
    expect(report.failures[0]!.message).toMatch(/built for aarch64, not x86_64/)
  })

  it('does not take libexpat or libatomic for granted', () => {
    const report = checkLibraries(
      [
        module('x/_x.abi3.so', {
          needed: ['libexpat.so.1', 'libatomic.so.1', 'ld-linux-aarch64.so.1'],
          machine: 183
        })
      ],
      py312,
      'arm64'
    )
    expect(report.failures.map((f) => /needs ([^\s,]+)/.exec(f.message)![1])).toEqual([
      'libexpat.so.1',
      'libatomic.so.1'
    ])
  })

  it('records which extension modules lead to a missing library, through bundled libraries too', () => {
    const report = checkLibraries(
      [
        module('numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so', {
          needed: ['libgomp.so.1.0.0']
        }),
        module('numba/np/ufunc/workqueue.cpython-312-x86_64-linux-gnu.so'),
        module('pkg/_a.abi3.so', { needed: ['libshared.so'], rpath: ['$ORIGIN'] }),
        module('pkg/_b.abi3.so', { needed: ['libshared.so'], rpath: ['$ORIGIN'] }),
        file('pkg/libshared.so', elf({ needed: ['libtbb.so.12'] }))
      ],
      py312,
      'x86_64'
    )
    expect(
      report.failures.map(({ entry, library, loadedBy }) => ({ entry, library, loadedBy }))
    ).toEqual([
      {
        entry: 'numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so',
        library: 'libgomp.so.1.0.0',
        loadedBy: ['/var/task/numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so']
      },
      {
        entry: 'pkg/libshared.so',
        library: 'libtbb.so.12',
        loadedBy: ['/var/task/pkg/_a.abi3.so', '/var/task/pkg/_b.abi3.so']
      }
    ])
  })
})

describe('library findings judged by what the import loaded', () => {
  const files = [
    module('numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so', {
      needed: ['libgomp.so.1.0.0']
    }),
    module('numba/np/ufunc/tbbpool.cpython-312-x86_64-linux-gnu.so', {
      needed: ['libtbb.so.12']
    }),
    module('numba/_helperlib.cpython-312-x86_64-linux-gnu.so'),
    module('late/_glibc.abi3.so', {
      versionNeeds: [{ file: 'libc.so.6', versions: ['GLIBC_2.38'] }]
    })
  ]
  const report = checkLibraries(files, py312, 'x86_64')
  const loaded = (...entries: string[]) => ({
    ran: true as const,
    loaded: { function: ['numba/__init__.py', ...entries], layer: [] }
  })

  it('keeps every finding an error where no import ran', () => {
    expect(judgeLibraries(report, { ran: false }).failures).toHaveLength(3)
  })

  it('warns, naming the module and the library, about libraries only modules never loaded need', () => {
    const verdict = judgeLibraries(
      report,
      loaded('numba/_helperlib.cpython-312-x86_64-linux-gnu.so')
    )
    // A glibc too old is not a missing library: it stays an error.
    expect(verdict.failures.map((f) => f.entry)).toEqual(['late/_glibc.abi3.so'])
    expect(verdict.warnings.map((w) => `${w.entry} ${w.message}`)).toEqual([
      'numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so needs libgomp.so.1.0.0, which is neither in the package nor in Lambda\'s runtime; only numba.np.ufunc.omppool loads it, and the handler\'s import did not load that module. The function starts; importing numba.np.ufunc.omppool later would fail with "libgomp.so.1.0.0: cannot open shared object file".',
      'numba/np/ufunc/tbbpool.cpython-312-x86_64-linux-gnu.so needs libtbb.so.12, which is neither in the package nor in Lambda\'s runtime; only numba.np.ufunc.tbbpool loads it, and the handler\'s import did not load that module. The function starts; importing numba.np.ufunc.tbbpool later would fail with "libtbb.so.12: cannot open shared object file".'
    ])
  })

  it('keeps it an error when the import loaded a module that needs it', () => {
    const verdict = judgeLibraries(
      report,
      loaded('numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so')
    )
    expect(verdict.failures.map((f) => f.library ?? f.entry)).toEqual([
      'libgomp.so.1.0.0',
      'late/_glibc.abi3.so'
    ])
    expect(verdict.warnings.map((w) => w.library)).toEqual(['libtbb.so.12'])
  })

  it('fails a file no extension module reaches when the import loaded it (ctypes)', () => {
    const plugins = checkLibraries(
      [
        module('pkg/_core.abi3.so'),
        file('pkg/native/libviewer.so', elf({ needed: ['libX11.so.6'] }))
      ],
      py312,
      'x86_64'
    )
    expect(plugins.warnings).toHaveLength(1)
    expect(judgeLibraries(plugins, loaded()).failures).toEqual([])
    const verdict = judgeLibraries(plugins, loaded('pkg/native/libviewer.so'))
    expect(verdict.warnings).toEqual([])
    expect(verdict.failures.map((f) => `${f.entry} ${f.message}`)).toEqual([
      "pkg/native/libviewer.so needs libX11.so.6, which is neither in the package nor in the python3.12 runtime; no extension module loads this file, so imports work, but loading it would fail (the handler's import loaded it here: on Lambda that import fails)"
    ])
  })

  it('matches modules of a layer by their place under /opt', () => {
    const layer = checkLibraries(
      [
        {
          ...module('python/numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so', {
            needed: ['libgomp.so.1.0.0']
          }),
          path: '/opt/python/numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so'
        }
      ],
      py312,
      'x86_64'
    )
    const viaLayer = {
      ran: true as const,
      loaded: {
        function: [],
        layer: ['python/numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so']
      }
    }
    expect(judgeLibraries(layer, viaLayer).failures).toHaveLength(1)
    expect(
      judgeLibraries(layer, { ...viaLayer, loaded: { function: [], layer: [] } }).failures
    ).toEqual([])
  })

  it.each([
    ['/var/task/numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so', 'numba.np.ufunc.omppool'],
    ['/opt/python/cv2/cv2.abi3.so', 'cv2.cv2'],
    ['/opt/python/lib/python3.12/site-packages/pkg/_x.abi3.so', 'pkg._x']
  ])('names %s as module %s', (path, name) => {
    expect(moduleName(path)).toBe(name)
  })
})
