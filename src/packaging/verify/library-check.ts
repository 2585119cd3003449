// Does every ELF file in the package load on Lambda? Pure: takes the parsed files with the paths
// they will have on Lambda (/var/task/…, /opt/…) and follows the dynamic loader's search (glibc's
// ld.so: DT_RPATH of the object and its loaders when it has no DT_RUNPATH, LD_LIBRARY_PATH,
// DT_RUNPATH, then the system folders) from every extension module.
import { posix } from 'node:path'
import {
  ELF_MACHINE,
  PACKAGE_LIBRARY_PATH,
  TASK_ROOT,
  RUNTIMES,
  runtimeProvidedLibraries,
  type Architecture,
  type RuntimeFacts
} from '../../lambda-facts.js'
import { machineName, newestGlibc, type ElfParse } from './elf.js'

export interface PackagedFile {
  /** Path on Lambda: `/var/task/numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so`. */
  path: string
  /** Entry name and zip, for messages: `numpy/_core/….so` in `function.zip`. */
  entry: string
  parsed: ElfParse
}

export interface LibraryProblem {
  /** The zip entry at fault. */
  entry: string
  /** Its path on Lambda (`/var/task/…`, `/opt/…`). */
  path: string
  /** What is wrong and the usual way out, in one line. */
  message: string
  /** A library it needs that neither the package nor the runtime has (`libgomp.so.1`). */
  library?: string
  /**
   * The extension modules (paths on Lambda) whose loading loads this file: the problem bites
   * only when the handler imports one of them. Set with `library`.
   */
  loadedBy?: string[]
}

export interface LibraryReport {
  /** Files an extension module loads (or the extension modules themselves): the import fails. */
  failures: LibraryProblem[]
  /** Files nothing Python imports reaches: they fail only if something loads them. */
  warnings: LibraryProblem[]
  /** Files looked at, extension modules among them. */
  elfFiles: number
  extensionModules: number
}

/** Libraries of the desktop stack (GL, X11, glib) that only GUI builds need. */
const GUI_LIBRARY =
  /^lib(GL|GLX|EGL|OpenGL|X11|Xext|Xrender|SM|ICE|xcb|glib-2\.0|gthread-2\.0|gobject-2\.0|gtk|gdk)\b/

/** The usual way out for a library Lambda does not have. */
function missingLibraryFix(library: string, entry: string): string {
  if (GUI_LIBRARY.test(library)) {
    const opencv = /(^|\/)(cv2|opencv_\w+\.libs)\//.test(entry)
    return opencv
      ? 'opencv-python is the desktop build: use opencv-python-headless (or opencv-contrib-python-headless) instead'
      : `${library} is a desktop (GUI) library that Lambda's runtime does not have: use a headless build of the package`
  }
  return (
    'Lambda does not provide it: use a wheel that bundles it (auditwheel repair puts it in ' +
    "<dist>.libs/), or add the library to the package under lib/ (on Lambda's LD_LIBRARY_PATH)"
  )
}

function glibcFix(runtime: RuntimeFacts): string {
  const newer = RUNTIMES.find((r) => r.glibcMinor > runtime.glibcMinor)
  const move = newer
    ? `, or move to ${newer.name} or later (${newer.os}, glibc 2.${newer.glibcMinor})`
    : ''
  return (
    `A linux_* wheel built on a newer glibc: build it on glibc 2.${runtime.glibcMinor} or older, ` +
    `e.g. in the SAM build image public.ecr.aws/sam/build-${runtime.name}; a manylinux wheel ` +
    `whose tag promises less than its binaries need: pin another version${move}`
  )
}

/**
 * `$ORIGIN`/`${ORIGIN}` expanded against the object's folder; a relative entry is relative to
 * the working directory, which is the task root on Lambda.
 */
function expand(dirs: readonly string[], origin: string): string[] {
  return dirs.map((dir) => posix.resolve(TASK_ROOT, dir.replace(/\$\{ORIGIN\}|\$ORIGIN/g, origin)))
}

/** Top-level `<dist>.libs/` folders (auditwheel's bundled libraries) under each import root. */
function libsFolders(paths: Iterable<string>): string[] {
  const folders = new Set<string>()
  for (const path of paths) {
    const match = /^(\/var\/task|\/opt\/python)\/([^/]+\.libs)\//.exec(path)
    if (match) folders.add(`${match[1]}/${match[2]}`)
  }
  return [...folders]
}

interface Visit {
  path: string
  /** DT_RPATH of the loaders, expanded: ld.so uses them while no DT_RUNPATH intervenes. */
  inheritedRpath: string[]
  /** The extension module this chain starts from. */
  from: string
}

export function checkLibraries(
  files: readonly PackagedFile[],
  runtime: RuntimeFacts,
  architecture: Architecture
): LibraryReport {
  const byPath = new Map(files.map((file) => [file.path, file]))
  const provided = runtimeProvidedLibraries(architecture)
  const fallbackDirs = libsFolders(byPath.keys())
  const failures: LibraryProblem[] = []
  const warnings: LibraryProblem[] = []
  const reported = new Set<string>()
  const report = (reachable: boolean, file: PackagedFile, message: string) => {
    const key = `${file.entry}\n${message}`
    if (reported.has(key)) return
    reported.add(key)
    ;(reachable ? failures : warnings).push({ entry: file.entry, path: file.path, message })
  }

  const isExtensionModule = (file: PackagedFile) => {
    if (file.parsed.kind !== 'elf') return false
    const module = posix.basename(file.path).split('.')[0] ?? ''
    return module !== '' && file.parsed.pyInit.includes(`PyInit_${module}`)
  }

  /** The package file ld.so would load for `library` needed by `file`, or undefined. */
  const locate = (library: string, file: PackagedFile, inherited: readonly string[]) => {
    if (file.parsed.kind !== 'elf') return undefined
    const origin = posix.dirname(file.path)
    if (library.includes('/')) return byPath.get(posix.resolve(origin, library))
    const own = file.parsed
    const dirs = [
      ...(own.runpath.length === 0 ? [...expand(own.rpath, origin), ...inherited] : []),
      ...PACKAGE_LIBRARY_PATH,
      ...expand(own.runpath, origin),
      // Not ld.so's search, but a library of that name already loaded (from its own folder or
      // an auditwheel .libs folder, by the module that bundles it) satisfies the name too.
      origin,
      ...fallbackDirs
    ]
    for (const dir of dirs) {
      const found = byPath.get(posix.join(dir, library))
      if (found) return found
    }
    return undefined
  }

  // Each extension module's own closure: which modules lead to a missing library decides whether
  // the handler's import meets it (library-verdict.ts).
  const reached = new Set<string>()
  const missing = new Map<string, { problem: LibraryProblem; loadedBy: Set<string> }>()
  const extensionModules = files.filter(isExtensionModule)
  for (const root of extensionModules) {
    const seen = new Set<string>()
    const queue: Visit[] = [{ path: root.path, inheritedRpath: [], from: root.entry }]
    while (queue.length > 0) {
      const visit = queue.shift() as Visit
      if (seen.has(visit.path)) continue
      seen.add(visit.path)
      reached.add(visit.path)
      const file = byPath.get(visit.path) as PackagedFile
      if (file.parsed.kind !== 'elf') continue
      const own = file.parsed
      const inherited =
        own.runpath.length === 0
          ? [...expand(own.rpath, posix.dirname(file.path)), ...visit.inheritedRpath]
          : []
      for (const library of own.needed) {
        const found = locate(library, file, visit.inheritedRpath)
        if (found) {
          queue.push({ path: found.path, inheritedRpath: inherited, from: visit.from })
          continue
        }
        if (provided.has(library)) continue
        const key = `${file.entry}\n${library}`
        let known = missing.get(key)
        if (!known) {
          const via = visit.from === file.entry ? '' : ` (loaded by ${visit.from})`
          known = {
            problem: {
              entry: file.entry,
              path: file.path,
              message: `needs ${library}${via}, which is neither in the package nor in the ${runtime.name} runtime (on Lambda: "${library}: cannot open shared object file"). ${missingLibraryFix(library, file.entry)}`,
              library
            },
            loadedBy: new Set()
          }
          missing.set(key, known)
          reported.add(`${known.problem.entry}\n${known.problem.message}`)
          failures.push(known.problem)
        }
        known.loadedBy.add(root.path)
      }
    }
  }
  for (const { problem, loadedBy } of missing.values()) problem.loadedBy = [...loadedBy].sort()

  for (const file of files) {
    const reachable = reached.has(file.path)
    const parsed = file.parsed
    if (parsed.kind === 'not-elf') continue
    const machine = parsed.machine
    if (machine !== undefined && machine !== ELF_MACHINE[architecture]) {
      // A library for another machine never loads: always a failure.
      report(
        true,
        file,
        `is built for ${machineName(machine)}, not ${architecture}: it comes from a wheel for the wrong architecture (check the requirements for direct wheel URLs or local paths)`
      )
      continue
    }
    if (parsed.kind === 'damaged') {
      report(reachable, file, `is not a readable ELF file (${parsed.reason})`)
      continue
    }
    const glibc = newestGlibc(parsed)
    if (glibc && glibc.minor > runtime.glibcMinor) {
      report(
        reachable,
        file,
        `needs ${glibc.version}; ${runtime.name} runs on ${runtime.os} with glibc 2.${runtime.glibcMinor} (on Lambda: "version \`${glibc.version}' not found"). ${glibcFix(runtime)}`
      )
    }
    if (!reachable) {
      for (const library of parsed.needed) {
        if (provided.has(library) || locate(library, file, [])) continue
        report(
          false,
          file,
          `needs ${library}, which is neither in the package nor in the ${runtime.name} runtime; no extension module loads this file, so imports work, but loading it would fail`
        )
      }
    }
  }
  return { failures, warnings, elfFiles: files.length, extensionModules: extensionModules.length }
}
