// A dependency with no wheel for the target: say which version to pin, or build its source
// distribution on this machine and keep the result only when it is pure Python.
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { UserError } from '../../errors.js'
import { relayInert } from '../../report/log.js'
import { WHEEL_ARCH, type Architecture, type RuntimeFacts } from '../../lambda-facts.js'
import { lastLines, type Env } from '../tools/run-tool.js'
import { targetLabel, toolFailure, type InstallerAdapter } from '../tools/installer-adapter.js'
import { fetchOptionLines, uvPythonPlatform } from '../tools/tool-args.js'
import { nativeSources, newestListed, type MissingWheel } from '../tools/sdist.js'
import {
  isPurePythonWheel,
  parseWheelName,
  runtimeWithGlibc,
  wheelLoads
} from '../pep/wheel-tags.js'

/** What the source-build path needs to know about the build. */
export interface SourceBuildTarget {
  runtime: RuntimeFacts
  architecture: Architecture
  allowLinuxWheels: boolean
}

/** The ways out for a dependency with no wheel that loads, led by `lead` (`pin`, `Pin`, ...). */
function wayOut(request: SourceBuildTarget, lead = 'pin'): string {
  const { runtime, architecture } = request
  const newer = runtimeWithGlibc(runtime.glibcMinor + 1)
  const move = newer
    ? `, move to ${newer.name} or later (${newer.os}, glibc 2.${newer.glibcMinor}),`
    : ''
  return (
    `${lead} a version that ships manylinux wheels for ${architecture} ` +
    `(${WHEEL_ARCH[architecture]}, glibc 2.${runtime.glibcMinor} or older)${move} build on a ` +
    `runner that matches the target (CPython ${runtime.pythonVersion}, ${architecture}, ` +
    `${runtime.os}), or build the wheel in a container ` +
    `(public.ecr.aws/sam/build-${runtime.name}) and point \`--find-links\` at it`
  )
}

/** uv does not say which versions have wheels; pip with the whole ladder does. */
export async function probeVersions(
  missing: MissingWheel,
  request: SourceBuildTarget,
  /** Where the requirements say to fetch from (`fetchArgs(set)`). */
  fetchArgs: readonly string[],
  installer: InstallerAdapter,
  work: string,
  env: Env
): Promise<MissingWheel> {
  const dir = await mkdtemp(join(work, 'probe-'))
  const requirements = join(dir, 'requirement.txt')
  await writeFile(
    requirements,
    `${fetchOptionLines(fetchArgs, installer.name, env)}${missing.requirement}\n`
  )
  try {
    await installer.fetch(
      request,
      { file: requirements, complete: true },
      { destination: join(dir, 'wheels') }
    )
  } catch (error) {
    const output = toolFailure(error).result.output
    return installer.missingWheel('fetch', output) ?? missing
  }
  throw new UserError(
    `${missing.project}: ${missing.requirement} has a wheel for ${targetLabel(request)} only between ` +
      `manylinux_2_18 and manylinux_2_${request.runtime.glibcMinor}, and uv cannot target that ` +
      `range (its nearest platform is ${uvPythonPlatform(request.runtime, request.architecture)}). ` +
      `Pin a version with manylinux2014 wheels, or set installer: pip on a runner that runs ` +
      `CPython ${request.runtime.pythonVersion} on ${request.architecture}: pip evaluates ` +
      "environment markers on the runner's Python, so on any other runner it can leave out " +
      'dependencies the target needs'
  )
}

/**
 * A dependency with no wheel for the target: build its source distribution on this machine
 * and keep the result only if it is pure Python, which loads anywhere.
 */
export async function buildPureWheel(
  missing: MissingWheel,
  request: SourceBuildTarget,
  /** Where the requirements say to fetch from (`fetchArgs(set)`). */
  fetchArgs: readonly string[],
  installer: InstallerAdapter,
  work: string,
  built: string,
  env: Env
): Promise<void> {
  const label = targetLabel(request)
  const newest = newestListed(missing.versionsWithWheels)
  if (newest !== undefined) {
    throw new UserError(
      `${missing.project}: no version matching ${missing.requirement} has a wheel that loads on ` +
        `${label}; the newest that has one is ${newest}. Pin ${missing.project}==${newest}, or ` +
        wayOut(request, 'choose')
    )
  }
  const dir = await mkdtemp(join(work, 'sdist-'))
  const options = join(dir, 'options.txt')
  const requirement = join(dir, 'requirement.txt')
  const fetchLines = fetchOptionLines(fetchArgs, installer.name, env)
  await writeFile(options, fetchLines)
  await writeFile(requirement, `${fetchLines}${missing.requirement}\n`)
  let source
  try {
    source = await installer.fetchSource(request, requirement, join(dir, 'sdist'))
  } catch (error) {
    const { stderr } = toolFailure(error).result
    throw new UserError(
      `${missing.project}: no wheel of ${missing.requirement} loads on ${label}, and no source ` +
        `distribution could be fetched either. Check the name and version, or ${wayOut(request)}.\n` +
        lastLines(stderr, 8)
    )
  }
  if (source === undefined) {
    throw new UserError(`${missing.project}: pip reported success but saved no source distribution`)
  }
  const sdist = basename(source.path)
  const native = nativeSources(source.members)
  if (native.length > 0) {
    const shown = native.slice(0, 3).join(', ') + (native.length > 3 ? ', ...' : '')
    throw new UserError(
      `${missing.project}: no wheel of ${missing.requirement} loads on ${label}, and its source ` +
        `distribution ${sdist} has compiled code (${shown}): a build on this machine would not ` +
        `load on Lambda. ${wayOut(request, 'Pin')}.`
    )
  }
  const out = join(dir, 'wheel')
  let wheelFile
  try {
    wheelFile = await installer.buildWheel(source.path, out, options)
  } catch (error) {
    const { stderr } = toolFailure(error).result
    throw new UserError(
      `${missing.project}: no wheel of ${missing.requirement} loads on ${label}, and building ` +
        `${sdist} failed. ${wayOut(request, 'Pin')}.\n${lastLines(stderr, 8)}`
    )
  }
  const wheel = parseWheelName(wheelFile ?? '')
  if (wheel === undefined) {
    throw new UserError(`${missing.project}: building ${sdist} produced no wheel`)
  }
  if (
    !isPurePythonWheel(wheel) ||
    !wheelLoads(wheel, request.runtime, request.architecture, request).loads
  ) {
    throw new UserError(
      `${missing.project}: no wheel of ${missing.requirement} loads on ${label}, and building ` +
        `${sdist} here gave ${wheel.file}, which is not pure Python. ${wayOut(request, 'Pin')}.`
    )
  }
  await copyFile(join(out, wheel.file), join(built, wheel.file))
  relayInert(`${label}: built ${wheel.file} from ${sdist} (pure Python, loads on any platform)`)
}
