// Local libraries (workspace members, path requirements, the project itself) as files: a digest
// of their contents for the cache key, and the wheel that ships (`uv build --wheel`, or
// `pip wheel` with installer: pip). Thin adapter.
import { createHash } from 'node:crypto'
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { UserError } from '../../errors.js'
import { fileDigests } from '../../file-digest.js'
import { logBlock } from '../../report/log.js'
import { listSourceFiles } from '../assemble/source-files.js'
import { runTool, ToolFailure, lastLines, type Env } from '../tools/run-tool.js'
import { isPurePythonWheel, parseWheelName } from '../pep/wheel-tags.js'
import type { BuiltLibrary } from '../stores/project-store.js'

/** What a build leaves in the library folder: not its contents. */
const BUILD_OUTPUTS = [
  'build/',
  'dist/',
  '*.egg-info/',
  '.pytest_cache/',
  '.mypy_cache/',
  '.ruff_cache/',
  '.tox/'
]

/** A fixed timestamp for the wheels we build, so a rebuild of the same contents is the same file. */
const WHEEL_EPOCH = '315532800'

/**
 * SHA-256 over every file's path and bytes (a folder), or the file's bytes (a wheel or sdist):
 * the part of the cache key that makes a change in `libs/common` rebuild.
 */
export async function libraryDigest(
  path: string,
  /** Absolute paths inside it that are not its contents (the output-dir inside source). */
  excludePaths: readonly string[] = []
): Promise<string> {
  let info
  try {
    info = await stat(path)
  } catch {
    throw new UserError(`${path}: the local library does not exist; fix the path that names it`)
  }
  if (info.isFile()) return (await fileDigests(path, ['sha256'])).sha256 as string
  const listing = await listSourceFiles(path, {
    exclude: BUILD_OUTPUTS,
    excludePaths: [...excludePaths]
  })
  const hash = createHash('sha256')
  for (const file of listing.files) {
    const digest = (await fileDigests(file.absolutePath, ['sha256'])).sha256 as string
    hash.update(`${file.relativePath}\0${file.executable ? 'x' : '-'}\0${digest}\n`)
  }
  return hash.digest('hex')
}

export interface BuildLibraryOptions {
  /** undefined: pip builds it (installer: pip). */
  uvPath?: string
  /** Python the build backend runs on (the host's). */
  python: string
  /** The wheel lands here. */
  outDir: string
  env: Env
}

/** Builds (or, for a .whl, copies) one library into `outDir`; only pure Python may ship. */
export async function buildLibrary(
  path: string,
  options: BuildLibraryOptions
): Promise<BuiltLibrary> {
  let file: string
  if (path.endsWith('.whl')) {
    file = basename(path)
    await copyFile(path, join(options.outDir, file))
  } else {
    const work = await mkdtemp(join(options.outDir, '.build-'))
    try {
      // The fixed timestamp also makes setuptools and hatchling wheels reproducible.
      const buildEnv = { SOURCE_DATE_EPOCH: WHEEL_EPOCH, ...options.env }
      const [command, args]: [string, string[]] =
        options.uvPath === undefined
          ? [options.python, ['-m', 'pip', 'wheel', '--no-deps', '--wheel-dir', work, path]]
          : [
              options.uvPath,
              [
                'build',
                '--wheel',
                '--no-python-downloads',
                '--python',
                options.python,
                '--out-dir',
                work,
                path
              ]
            ]
      const what = `${options.uvPath === undefined ? 'pip wheel' : 'uv build --wheel'} ${path}`
      try {
        const result = await runTool(command, args, { what, env: buildEnv })
        logBlock(what, result.output.trimEnd() || '(no output)')
      } catch (error) {
        if (!(error instanceof ToolFailure)) throw error
        throw new UserError(
          `${path}: building the local library into a wheel failed (${what}):\n` +
            lastLines(error.result.stderr || error.result.output, 10)
        )
      }
      const [built] = (await readdir(work)).filter((name) => name.endsWith('.whl'))
      if (built === undefined)
        throw new UserError(`${path}: ${what} reported success but wrote no wheel`)
      file = built
      await copyFile(join(work, built), join(options.outDir, built))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }
  const wheel = parseWheelName(file)
  if (!wheel) throw new UserError(`${path}: ${file} is not a wheel file name`)
  if (!isPurePythonWheel(wheel)) {
    await rm(join(options.outDir, file), { force: true })
    throw new UserError(
      `${path}: the local library builds into ${file}, which has compiled code: a build on this ` +
        'machine would not load on Lambda. Make it pure Python, or build its wheel for the target ' +
        'in a container (public.ecr.aws/sam/build-<runtime>) and name that .whl instead of the folder.'
    )
  }
  const sha256 = (await fileDigests(join(options.outDir, file), ['sha256'])).sha256 as string
  return { path, wheel: file, project: wheel.project, version: wheel.version, sha256 }
}
