// Deploys what an earlier `mode: build` gated, byte for byte: reads its report.json from
// `package-dir` (an uploaded artifact) and proves every zip is still the one it describes.
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { INPUT, REPORT_FILE } from '../constants.js'
import { InputError } from '../errors.js'
import { codeSha256OfFile } from '../file-digest.js'
import type { BuildResult, PackageFile } from '../types.js'

async function checkedPackage(dir: string, file: PackageFile): Promise<PackageFile> {
  const path = resolve(dir, file.path)
  if (!existsSync(path)) {
    throw new InputError(
      INPUT.packageDir,
      `${path} is listed in ${REPORT_FILE} but missing: upload and download the whole output-dir.`
    )
  }
  const [size, codeSha256] = [(await stat(path)).size, await codeSha256OfFile(path)]
  if (size !== file.size || codeSha256 !== file.codeSha256) {
    throw new InputError(
      INPUT.packageDir,
      `${path} is not the package that was built and gated (CodeSha256 ${codeSha256}, the report says ${file.codeSha256}): rebuild it, never edit it.`
    )
  }
  return { ...file, path }
}

export async function loadBuiltPackages(dir: string): Promise<BuildResult> {
  const reportPath = join(dir, REPORT_FILE)
  if (!existsSync(reportPath)) {
    throw new InputError(
      INPUT.packageDir,
      `${dir} has no ${REPORT_FILE}: point it at the output-dir of an earlier mode: build.`
    )
  }
  let build: BuildResult
  try {
    build = JSON.parse(await readFile(reportPath, 'utf8')) as BuildResult
    if (!Array.isArray(build.architectures) || typeof build.runtime !== 'string')
      throw new Error('not a build report')
  } catch (error) {
    throw new InputError(
      INPUT.packageDir,
      `${reportPath} is not a build report (${(error as Error).message}).`
    )
  }
  const architectures = await Promise.all(
    build.architectures.map(async (arch) => ({
      ...arch,
      packages: {
        function: await checkedPackage(dir, arch.packages.function),
        ...(arch.packages.layer ? { layer: await checkedPackage(dir, arch.packages.layer) } : {})
      }
    }))
  )
  return { ...build, architectures, reportPath }
}
