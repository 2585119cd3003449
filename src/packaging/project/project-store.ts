// The project phase's entries in the wheel store: `projects/<key>/` holds the requirements
// files made for resolve (`0.txt`, its includes as `1.txt` ...), `local-wheels/<digest>/` the
// wheels built from local libraries, keyed by their contents alone. Both are written aside and
// renamed into place, marked whole last, and saved to and restored from the Actions cache.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative } from 'node:path'
import { CACHE_FORMAT_VERSION } from '../../constants.js'
import { UserError } from '../../errors.js'
import { relayInert } from '../../report/log.js'
import {
  restoreStoreEntry,
  saveStoreEntry,
  type CacheRestorePolicy
} from '../stores/actions-cache.js'
import type { Env, InstallerChoice } from '../tools/run-tool.js'
import { projectTools } from '../tools/open-installer.js'
import { defaultStoreRoot } from '../stores/wheel-store.js'
import { parseRequirements } from '../requirements/requirements-file.js'
import { buildLibrary, libraryDigest, localPaths } from './local-libraries.js'
import { rewriteRequirements, type BuiltLibrary } from '../requirements/rewrite.js'
import { fsReader } from '../requirements/fs-reader.js'

/** Marks a project entry or a local-wheel folder as whole; written last. */
const COMPLETE = '.complete'
/** Maps library digests to the wheel built from them, inside a local-wheel folder. */
const LIBRARIES_FILE = 'libraries.json'

export function sha256(parts: readonly string[]): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(`${part.length}:${part}\n`)
  return hash.digest('hex')
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

export interface Producer {
  /**
   * The requirements to build from: a file that names local libraries, or (a uv.lock) the text
   * of one, with absolute paths. Runs only on a miss.
   */
  produce(uvPath: string): Promise<string | { file: string }>
  /** For the message when there is no uv: a lock needs it even without local libraries. */
  needsUv: boolean
}

export interface EntryOptions {
  installer: InstallerChoice
  useActionsCache: boolean
  /**
   * A project entry decides the requirements themselves, hashes included, so nothing in the
   * user's files can check a restored one: it is restored only under `any`.
   */
  cacheRestore: CacheRestorePolicy
  env: Env
}

interface EntryResult {
  /** The rewritten top-level requirements file. */
  file: string
  libraries: string[]
}

/**
 * `<store>/projects/<key>/` holds the rewritten requirements (`0.txt`, its includes as `1.txt`
 * ...); `<store>/local-wheels/<digest>/` the wheels built from the libraries, keyed by their
 * contents alone, so a change in another member reuses them and resolve's key stays the same.
 */
export async function projectEntry(
  root: string,
  key: string,
  options: EntryOptions,
  producer: Producer
): Promise<EntryResult> {
  const { env } = options
  const dir = join(root, 'projects', key)
  const cacheKey = `lambda-python-deploy-project-${CACHE_FORMAT_VERSION}-${key}`
  const stored = await readProjectEntry(root, dir)
  if (stored) return stored
  if (options.useActionsCache && options.cacheRestore === 'any') {
    const wheelsDirs = join(root, 'local-wheels')
    if (await restoreStoreEntry([dir, wheelsDirs], cacheKey)) {
      const restored = await readProjectEntry(root, dir)
      if (restored) return restored
    }
  }

  const installer = await projectTools(options.installer, env, defaultStoreRoot(env))
  if (installer.uvPath === undefined && producer.needsUv) {
    throw new UserError(
      `a uv.lock needs uv to export the locked versions, and installer: ${options.installer} ` +
        'found none; set installer: auto or uv (astral-sh/setup-uv puts uv on PATH)'
    )
  }
  const produced = await producer.produce(installer.uvPath as string)
  await mkdir(join(root, 'projects'), { recursive: true })
  const staging = await mkdtemp(join(root, 'projects', '.staging-'))
  try {
    let sourceFile: string
    if (typeof produced === 'string') {
      sourceFile = join(staging, 'exported.txt')
      await writeFile(sourceFile, produced)
    } else {
      sourceFile = produced.file
    }
    const parsed = parseRequirements(sourceFile, fsReader, env, true)
    // The editable notice came from the first read (prepare.ts); an export has no editables.
    const libraries = localPaths(parsed, false)
    const digests = await Promise.all(libraries.map(libraryDigest))
    // A lock may name no local library at all: then there is no folder to point at.
    const wheelsDir =
      libraries.length === 0 ? undefined : join(root, 'local-wheels', sha256(digests))
    const built =
      wheelsDir === undefined
        ? new Map<string, BuiltLibrary>()
        : await localWheels(wheelsDir, libraries, digests, installer.uvPath, installer.python, env)
    const texts = new Map(parsed.files.map((file) => [file, fsReader.readText(file) ?? '']))
    const files = rewriteRequirements(parsed, texts, built, wheelsDir, dir, fsReader.isDirectory)
    for (const [file, text] of files) {
      await writeFile(join(staging, basename(file)), text)
    }
    await rm(join(staging, 'exported.txt'), { force: true })
    const libraryNames = [...built.values()].map((b) => `${b.project} ${b.version}`)
    const entry: ProjectEntryFile = { libraries: libraryNames, ...(wheelsDir ? { wheelsDir } : {}) }
    await writeFile(join(staging, LIBRARIES_FILE), JSON.stringify(entry))
    await writeFile(join(staging, COMPLETE), '')
    await rm(dir, { recursive: true, force: true })
    await rename(staging, dir)
    if (options.useActionsCache) await saveStoreEntry([dir, join(root, 'local-wheels')], cacheKey)
    return { file: join(dir, '0.txt'), libraries: libraryNames }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

/** What a project entry records beside its requirements files. */
interface ProjectEntryFile {
  /** `common 0.1.0`, for the log and the summary. */
  libraries: string[]
  /** The local-wheel folder the requirements point at, when there are local libraries. */
  wheelsDir?: string
}

async function readProjectEntry(root: string, dir: string): Promise<EntryResult | undefined> {
  if (!(await exists(join(dir, COMPLETE)))) return undefined
  try {
    const entry = JSON.parse(await readFile(join(dir, LIBRARIES_FILE), 'utf8')) as ProjectEntryFile
    // The wheels it pins live in this store's local-wheels folder (an entry restored from the
    // Actions cache could name any folder), and must still be there (a store cleaned by hand).
    if (entry.wheelsDir !== undefined) {
      if (dirname(entry.wheelsDir) !== join(root, 'local-wheels')) return undefined
      if (!(await exists(join(entry.wheelsDir, COMPLETE)))) return undefined
    }
    return { file: join(dir, '0.txt'), libraries: entry.libraries }
  } catch {
    return undefined
  }
}

/** The wheels of `libraries` in `wheelsDir`, built once per set of contents. */
async function localWheels(
  wheelsDir: string,
  libraries: readonly string[],
  digests: readonly string[],
  uvPath: string | undefined,
  python: string,
  env: Env
): Promise<Map<string, BuiltLibrary>> {
  const byDigest = new Map<string, Omit<BuiltLibrary, 'path'>>()
  if (await exists(join(wheelsDir, COMPLETE))) {
    const listed = JSON.parse(await readFile(join(wheelsDir, LIBRARIES_FILE), 'utf8')) as Record<
      string,
      Omit<BuiltLibrary, 'path'>
    >
    for (const [digest, library] of Object.entries(listed)) byDigest.set(digest, library)
  }
  const missing = digests.some((digest) => !byDigest.has(digest))
  if (missing) {
    await mkdir(dirname(wheelsDir), { recursive: true })
    const staging = await mkdtemp(`${wheelsDir}.staging-`)
    try {
      const listed: Record<string, Omit<BuiltLibrary, 'path'>> = {}
      for (const [i, path] of libraries.entries()) {
        const { path: _path, ...library } = await buildLibrary(path, {
          uvPath,
          python,
          outDir: staging,
          env
        })
        void _path
        listed[digests[i] as string] = library
        byDigest.set(digests[i] as string, library)
        relayInert(`local library ${relative(process.cwd(), path) || path}: built ${library.wheel}`)
      }
      await writeFile(join(staging, LIBRARIES_FILE), JSON.stringify(listed, null, 2))
      await writeFile(join(staging, COMPLETE), '')
      await rm(wheelsDir, { recursive: true, force: true })
      await rename(staging, wheelsDir)
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  }
  return new Map(
    libraries.map((path, i) => [
      path,
      { path, ...(byDigest.get(digests[i] as string) as Omit<BuiltLibrary, 'path'>) }
    ])
  )
}
