// Before any test runs (vitest globalSetup): what the action brings to check arm64 packages on
// this x86_64 Debian machine (qemu, and CPython 3.9, 3.11, 3.13 and 3.14 for aarch64 from Debian's
// archive) is fetched by the action's own code into .tools/kept-pythons, where every test finds
// it (test/helpers/pythons.ts). Once per machine: a later run only sees the manifests there. Tests
// running at once would otherwise wait on one another's fetch, past their timeouts on a fresh
// machine.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RUNTIMES } from '../../src/lambda-facts.js'
import { findTargetInterpreter } from '../../src/packaging/tools/interpreters.js'
import { readHostArchive } from '../../src/packaging/tools/python/apt-fetch.js'
import { pythonSuite } from '../../src/packaging/tools/python/archive-plan.js'
import { SHARED_KEPT_PYTHONS, sharedStoreRoot } from '../helpers/pythons.js'

export default async function setup(): Promise<void> {
  const archive = await readHostArchive()
  if (process.arch !== 'x64' || 'reason' in archive || archive.distro !== 'debian') return
  const missing = RUNTIMES.filter((runtime) => {
    const suite = pythonSuite('debian', runtime.pythonVersion)
    return (
      suite !== undefined &&
      !existsSync(
        join(
          SHARED_KEPT_PYTHONS,
          `cpython-${runtime.pythonVersion}-aarch64-debian-${suite}`,
          'manifest.json'
        )
      )
    )
  })
  if (missing.length === 0) return
  const dir = mkdtempSync(join(tmpdir(), 'lpd-kept-pythons-'))
  try {
    for (const runtime of missing) {
      console.log(
        `bringing CPython ${runtime.pythonVersion} for aarch64 into ${SHARED_KEPT_PYTHONS} ...`
      )
      const lookup = await findTargetInterpreter({
        runtime,
        architecture: 'arm64',
        env: process.env,
        toolCache: sharedStoreRoot(dir)
      })
      if (!lookup.found)
        throw new Error(`no aarch64 CPython ${runtime.pythonVersion}: ${lookup.reason}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
