// The hosted tool cache as GitHub's runner images and actions/setup-python lay it out:
// `$RUNNER_TOOL_CACHE/Python/<x.y.z>/<x64|arm64>/bin/python3`, with `<x64|arm64>.complete`
// beside the folder once it is whole. The choice of folder is pure; reading it is one readdir.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Architecture } from '../../../lambda-facts.js'

/** The tool cache's name for each architecture (free-threaded builds sit in `x64-freethreaded`). */
export const TOOL_CACHE_ARCH: Record<Architecture, string> = { x86_64: 'x64', arm64: 'arm64' }

export interface ToolCacheVersion {
  /** The folder name: `3.12.7`, `3.14.0-rc.2`. */
  version: string
  /** `<arch>/` and `<arch>.complete` are both there. */
  complete: boolean
}

function numbers(version: string): number[] {
  return version
    .split(/[.-]/)
    .slice(0, 3)
    .map((part) => Number(part))
}

/**
 * The newest complete patch release of `pythonVersion` (`3.12`): final releases before
 * prereleases (Lambda runs final releases), then by patch number.
 */
export function newestPatch(
  versions: readonly ToolCacheVersion[],
  pythonVersion: string
): string | undefined {
  const candidates = versions.filter(
    (v) =>
      v.complete &&
      /^\d+\.\d+\.\d+/.test(v.version) &&
      v.version.split('.').slice(0, 2).join('.') === pythonVersion
  )
  const final = (v: string) => /^\d+\.\d+\.\d+$/.test(v)
  candidates.sort((a, b) => {
    if (final(a.version) !== final(b.version)) return final(a.version) ? -1 : 1
    return (numbers(b.version)[2] ?? 0) - (numbers(a.version)[2] ?? 0)
  })
  return candidates[0]?.version
}

/** Where the interpreter of a tool-cache folder is. */
export function toolCachePython(
  toolCache: string,
  version: string,
  architecture: Architecture
): string {
  return join(toolCache, 'Python', version, TOOL_CACHE_ARCH[architecture], 'bin', 'python3')
}

/** The versions under `$RUNNER_TOOL_CACHE/Python` that have a folder for the architecture. */
export async function toolCacheVersions(
  toolCache: string,
  architecture: Architecture
): Promise<ToolCacheVersion[]> {
  const arch = TOOL_CACHE_ARCH[architecture]
  const root = join(toolCache, 'Python')
  const versions = await readdir(root).catch(() => [] as string[])
  return Promise.all(
    versions.map(async (version) => {
      const names = await readdir(join(root, version)).catch(() => [] as string[])
      return { version, complete: names.includes(arch) && names.includes(`${arch}.complete`) }
    })
  )
}
