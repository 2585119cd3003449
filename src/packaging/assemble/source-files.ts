// The handler code: every file under `source` that belongs in the function zip. Default excludes
// (default-excludes.ts) keep out what never runs on Lambda and credentials; the user's `exclude`
// globs come on top.
import { access, lstat, readFile, readdir, realpath, stat } from 'node:fs/promises'
import { constants as fsConstants, type Stats } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { minimatch } from 'minimatch'
import { INPUT } from '../../constants.js'
import { InputError, UserError } from '../../errors.js'
import { compareEntryNames } from '../zip-format.js'
import {
  defaultExclusion,
  isKeyOrCertificateFile,
  pemHoldsSecret,
  type DefaultExclusion
} from './default-excludes.js'

export interface SourceFile {
  /** POSIX path relative to `source`: the name inside the zip. */
  relativePath: string
  absolutePath: string
  size: number
  /** Any execute bit set in the source: the zip gets 0755 instead of 0644. */
  executable: boolean
}

export interface SourceListing {
  /** Sorted by the UTF-8 bytes of `relativePath`. */
  files: SourceFile[]
  /** Paths the default rules left out, directories with a trailing `/`, sorted. */
  excludedByDefault: string[]
  /** Those of them left out as credentials (a warning: something put them there). */
  credentials: string[]
  /** Special files (sockets, FIFOs, devices) that were skipped. */
  warnings: string[]
}

export interface SourceListOptions {
  /** User globs, matched against the POSIX path relative to `source`. */
  exclude: string[]
  /** Absolute paths to leave out, with everything below them (the output directory). */
  excludePaths?: string[]
}

/**
 * Turns `exclude` globs into a test on relative POSIX paths. A pattern without a slash matches
 * the base name at any depth (like .gitignore); a trailing slash matches directories only; a
 * matched directory takes everything below it along (the walk never enters it).
 */
export function excludeMatcher(
  patterns: readonly string[]
): (path: string, isDirectory: boolean) => boolean {
  const rules = patterns
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '')
    .map((pattern) => {
      const directoryOnly = pattern.endsWith('/')
      const body = pattern.replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '')
      return { body, directoryOnly }
    })
    .filter((rule) => rule.body !== '')
  return (path, isDirectory) =>
    rules.some(
      (rule) =>
        (isDirectory || !rule.directoryOnly) &&
        minimatch(path, rule.body, { dot: true, matchBase: true, nonegate: true, nocomment: true })
    )
}

function describeSpecialFile(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isSocket()) return 'a socket'
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'a device'
  return 'not a regular file'
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)
}

/** The files of `sourceDir` that go into the function zip, sorted. */
export async function listSourceFiles(
  sourceDir: string,
  options: SourceListOptions
): Promise<SourceListing> {
  const root = resolve(sourceDir)
  let realRoot: string
  try {
    realRoot = await realpath(root)
    if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory')
  } catch {
    throw new InputError(INPUT.source, `${sourceDir} is not a directory.`)
  }

  const skippedPaths = new Set<string>()
  for (const path of options.excludePaths ?? []) {
    const absolute = resolve(path)
    const candidates = [absolute, await realpath(absolute).catch(() => absolute)]
    for (const candidate of candidates) {
      for (const base of [root, realRoot]) {
        const rel = relative(base, candidate)
        if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) continue
        skippedPaths.add(rel.split(sep).join('/'))
      }
    }
  }

  const excludedByUser = excludeMatcher(options.exclude)
  const files: SourceFile[] = []
  const excludedByDefault: string[] = []
  const credentials: string[] = []
  const warnings: string[] = []
  const leaveOut = (path: string, why: DefaultExclusion): void => {
    excludedByDefault.push(path)
    if (why === 'credentials') credentials.push(path)
  }

  const visitDirectory = async (
    absolute: string,
    rel: string,
    ancestors: Set<string>
  ): Promise<void> => {
    let names: string[]
    try {
      names = await readdir(absolute)
    } catch (error) {
      throw new UserError(
        `${displayPath(sourceDir, rel)}: cannot be read (${(error as Error).message}).`
      )
    }
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`
      const childAbsolute = join(absolute, name)
      if (skippedPaths.has(childRel)) continue
      const linkStats = await lstat(childAbsolute)
      let stats = linkStats
      if (linkStats.isSymbolicLink()) {
        // Decide by the link's own name first: an excluded link is never followed.
        // Either kind of rule applies, since the link may stand for a file or a folder.
        const byName = defaultExclusion(childRel, false) ?? defaultExclusion(childRel, true)
        if (byName) {
          leaveOut(childRel, byName)
          continue
        }
        if (excludedByUser(childRel, false) || excludedByUser(childRel, true)) continue
        let target: string
        try {
          target = await realpath(childAbsolute)
          stats = await stat(target)
        } catch {
          throw new UserError(
            `${displayPath(sourceDir, childRel)}: symbolic link to a missing file. Remove it or add it to exclude.`
          )
        }
        if (!isInside(realRoot, target)) {
          throw new UserError(
            `${displayPath(sourceDir, childRel)}: symbolic link to ${target}, outside the source directory. It is not packaged, so that nothing outside source (a credentials file, say) can ship; copy the file into source or add the link to exclude.`
          )
        }
        if (stats.isDirectory() && ancestors.has(target)) {
          throw new UserError(
            `${displayPath(sourceDir, childRel)}: symbolic link back to a folder that contains it (a loop). Remove it or add it to exclude.`
          )
        }
      }
      const isDirectory = stats.isDirectory()
      const exclusion = defaultExclusion(childRel, isDirectory)
      if (exclusion) {
        leaveOut(isDirectory ? `${childRel}/` : childRel, exclusion)
        continue
      }
      if (excludedByUser(childRel, isDirectory)) continue
      if (isDirectory) {
        const realDirectory = await realpath(childAbsolute)
        const isVirtualenv = await access(join(childAbsolute, 'pyvenv.cfg')).then(
          () => true,
          () => false
        )
        if (isVirtualenv) {
          leaveOut(`${childRel}/`, 'not for Lambda')
          continue
        }
        await visitDirectory(childAbsolute, childRel, new Set([...ancestors, realDirectory]))
      } else if (stats.isFile()) {
        try {
          await access(childAbsolute, fsConstants.R_OK)
        } catch (error) {
          throw new UserError(
            `${displayPath(sourceDir, childRel)}: cannot be read (${(error as Error).message}).`
          )
        }
        if (isKeyOrCertificateFile(name) && pemHoldsSecret(name, await readFile(childAbsolute))) {
          leaveOut(childRel, 'credentials')
          continue
        }
        files.push({
          relativePath: childRel,
          absolutePath: childAbsolute,
          size: stats.size,
          executable: (stats.mode & 0o111) !== 0
        })
      } else {
        warnings.push(
          `${displayPath(sourceDir, childRel)} skipped: ${describeSpecialFile(stats)}, not a regular file.`
        )
      }
    }
  }

  await visitDirectory(root, '', new Set([realRoot]))
  files.sort((a, b) => compareEntryNames(a.relativePath, b.relativePath))
  excludedByDefault.sort(compareEntryNames)
  credentials.sort(compareEntryNames)
  warnings.sort(compareEntryNames)
  return { files, excludedByDefault, credentials, warnings }
}

/**
 * A warning when `source` is the whole workspace (`source: .`, the default): every file of the
 * checkout and whatever earlier steps wrote there ships, the default excludes aside.
 */
export async function workspaceRootWarning(
  sourceDir: string,
  workspace: string | undefined
): Promise<string | undefined> {
  if (!workspace) return undefined
  const [source, root] = await Promise.all(
    [sourceDir, workspace].map((path) => realpath(path).catch(() => resolve(path)))
  )
  if (source !== root) return undefined
  return (
    `${INPUT.source}: ${sourceDir} is the workspace root, so every file in it goes into the ` +
    'function zip: the whole checkout and whatever earlier steps of this job wrote there. ' +
    'Credential files that other actions leave there are left out by default, but nothing ' +
    'else is. Set source to the folder that holds the handler code (and keep tests, ' +
    'tooling and build outputs outside it), or list what does not belong in exclude.'
  )
}

function displayPath(sourceDir: string, rel: string): string {
  return `${sourceDir.replace(/\/+$/, '')}/${rel}`
}
