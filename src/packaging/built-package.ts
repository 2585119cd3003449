// Deploys what an earlier `mode: build` gated, byte for byte: reads its report.json from
// `package-dir` (an uploaded artifact), checks where it was built (report/provenance.ts), and
// proves every zip is still the one it describes. Every path the report names must stay inside
// package-dir, symbolic links included: a forged report cannot ship /etc/hostname or a runner's
// credentials (issue 18). All of it before any AWS request.
import { lstat, readFile, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, resolve, sep } from 'node:path'
import { INPUT, REPORT_FILE } from '../constants.js'
import { InputError, errorMessage } from '../errors.js'
import { codeSha256OfFile } from '../file-digest.js'
import { pullRequestsOfCommit, type Env } from '../net/github-api.js'
import { fetchThrough, proxyAgents, type Fetch } from '../net/proxy-agent.js'
import { readEventPayload } from '../report/base-report.js'
import {
  judgeProvenance,
  parseProvenance,
  thisRun,
  type FindPullRequests,
  type TrustVerdict
} from '../report/provenance.js'
import type { BuildResult, PackageFile } from '../types.js'

function refuse(message: string): InputError {
  return new InputError(INPUT.packageDir, message)
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep)
}

/**
 * The real path of a file the report names, refused unless it is a regular file inside
 * package-dir: relative, no `..`, and no symbolic link that leads out.
 */
async function confinedFile(
  dir: string,
  realDir: string,
  path: unknown,
  what: string
): Promise<string> {
  if (typeof path !== 'string' || path === '') {
    throw refuse(
      `${REPORT_FILE} names no path for ${what}: rebuild with mode: build, never edit it.`
    )
  }
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) {
    throw refuse(
      `${REPORT_FILE} names ${path} for ${what}, outside ${dir}: a report written by mode: build ` +
        'names its zips relative to its folder. Rebuild, never edit it.'
    )
  }
  let real: string
  try {
    real = await realpath(resolve(dir, path))
  } catch {
    throw refuse(
      `${resolve(dir, path)} is listed in ${REPORT_FILE} but missing: upload and download the whole output-dir.`
    )
  }
  if (!isInside(realDir, real)) {
    throw refuse(
      `${resolve(dir, path)} (${what}) is a symbolic link to ${real}, outside ${dir}: only files ` +
        'inside package-dir ship.'
    )
  }
  if (!(await stat(real)).isFile()) throw refuse(`${resolve(dir, path)} (${what}) is not a file.`)
  return real
}

async function checkedPackage(
  dir: string,
  realDir: string,
  file: PackageFile,
  what: string
): Promise<PackageFile> {
  const path = await confinedFile(dir, realDir, file.path, what)
  const [size, codeSha256] = [(await stat(path)).size, await codeSha256OfFile(path)]
  if (size !== file.size || codeSha256 !== file.codeSha256) {
    throw refuse(
      `${path} is not the package that was built and gated (CodeSha256 ${codeSha256}, the report says ${file.codeSha256}): rebuild it, never edit it.`
    )
  }
  return { ...file, path }
}

export interface PackageDirTrust {
  env?: Env
  /** For the merged-pull-request rule: which pull request this commit merged. */
  githubToken?: string
  fetch?: Fetch
}

export interface BuiltPackages {
  build: BuildResult
  /** Where it was built, and why that fits this run: for the log and the job summary. */
  trust: TrustVerdict
}

function pullRequestFinder(
  env: Env,
  token: string | undefined,
  fetchImpl?: Fetch
): FindPullRequests {
  return async (commit) => {
    if (!token) throw new Error('no github-token')
    return pullRequestsOfCommit(fetchImpl ?? fetchThrough(proxyAgents(env)), token, env, commit)
  }
}

export async function loadBuiltPackages(
  dir: string,
  options: PackageDirTrust = {}
): Promise<BuiltPackages> {
  const env = options.env ?? process.env
  const realDir = await realpath(dir)
  const reportPath = join(dir, REPORT_FILE)
  const reportStats = await lstat(reportPath).catch(() => undefined)
  if (!reportStats) {
    throw refuse(
      `${dir} has no ${REPORT_FILE}: point it at the output-dir of an earlier mode: build.`
    )
  }
  if (!reportStats.isFile()) {
    throw refuse(
      `${reportPath} is not a regular file (a symbolic link?): rebuild with mode: build.`
    )
  }
  let build: BuildResult
  try {
    build = JSON.parse(await readFile(reportPath, 'utf8')) as BuildResult
    if (!Array.isArray(build.architectures) || typeof build.runtime !== 'string')
      throw new Error('not a build report')
    const provenance = parseProvenance(build.provenance)
    build = { ...build, ...(provenance ? { provenance } : {}) }
  } catch (error) {
    throw refuse(`${reportPath} is not a build report (${errorMessage(error)}).`)
  }
  const trust = await judgeProvenance(
    build.provenance,
    thisRun(env, await readEventPayload(env)),
    pullRequestFinder(env, options.githubToken, options.fetch)
  )
  const architectures = await Promise.all(
    build.architectures.map(async (arch) => {
      const what = (kind: string) => `the ${arch.architecture} ${kind} zip`
      return {
        ...arch,
        packages: {
          function: await checkedPackage(dir, realDir, arch.packages.function, what('function')),
          ...(arch.packages.layer
            ? { layer: await checkedPackage(dir, realDir, arch.packages.layer, what('layer')) }
            : {})
        }
      }
    })
  )
  return { build: { ...build, architectures, reportPath }, trust }
}
