// What a built zip holds, read by Python's zipfile (not our reader): its entry names, and the
// distributions installed in it (from their `.dist-info` folders).
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { TOOLS_BIN } from './run-action.js'

export function zipEntries(zip: string): string[] {
  const script = 'import sys, zipfile\nprint("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))'
  return execFileSync(join(TOOLS_BIN, 'python'), ['-c', script, zip], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
}

/** Names of the distributions in a zip (`six`, `common`), under `prefix` (`python/` in a layer). */
export function zipDistributions(zip: string, prefix = ''): string[] {
  return [
    ...new Set(
      zipEntries(zip)
        .filter((name) => name.startsWith(prefix))
        .map((name) => name.slice(prefix.length).split('/')[0] as string)
        .filter((top) => top.endsWith('.dist-info'))
        .map((top) => (top.split('-')[0] as string).toLowerCase().replace(/_/g, '-'))
    )
  ].sort()
}
