// The way out when a dependency's only wheels sit between manylinux_2_17 and the runtime's glibc,
// a range uv cannot target: pip is named only with the runner it resolves correctly on.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { InstallerAdapter } from '../../src/packaging/tools/installer-adapter.js'
import { probeVersions } from '../../src/packaging/resolve/source-build.js'
import { runtimeNamed } from '../helpers/runtimes.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-source-build-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('probeVersions', () => {
  it('a wheel pip finds with the whole manylinux ladder: pin, or pip on a matching runner', async () => {
    // pip, asked with every manylinux tag up to the runtime's, fetches the wheel uv could not.
    const pipWithTheLadder = {
      name: 'pip',
      fetch: async () => undefined,
      missingWheel: () => undefined
    } as unknown as InstallerAdapter
    const probe = probeVersions(
      { requirement: 'example==1.0', project: 'example', notFound: false },
      { runtime: runtimeNamed('python3.11'), architecture: 'arm64', allowLinuxWheels: false },
      [],
      pipWithTheLadder,
      work,
      {}
    )
    await expect(probe).rejects.toThrow(/only between manylinux_2_18 and manylinux_2_26/)
    await expect(probe).rejects.toThrow(
      /Pin a version with manylinux2014 wheels, or set installer: pip on a runner that runs CPython 3\.11 on arm64/
    )
  })
})
