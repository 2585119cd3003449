import { describe, expect, it } from 'vitest'
import {
  RUNTIME_PROVIDED_DISTRIBUTIONS,
  RUNTIMES,
  runtimeProvidedVersions
} from '../../src/lambda-facts.js'
import {
  hashedRequirements,
  runtimeProvidedWheels
} from '../../src/packaging/tools/runtime-provided.js'

describe("Lambda's runtime-provided distributions", () => {
  it.each(RUNTIMES.map((r) => [r.name, r]))(
    '%s: one version of each, every one a pinned pure-Python wheel',
    (_, runtime) => {
      const versions = runtimeProvidedVersions(runtime)
      expect(Object.keys(versions).sort()).toEqual([...RUNTIME_PROVIDED_DISTRIBUTIONS].sort())
      const wheels = runtimeProvidedWheels(runtime)
      expect(wheels.map((w) => w.requirement).sort()).toEqual(
        Object.entries(versions)
          .map(([name, version]) => `${name}==${version}`)
          .sort()
      )
      for (const wheel of wheels) {
        expect(wheel.file).toMatch(/-py(2\.py)?3-none-any\.whl$/)
        expect(wheel.sha256).toMatch(/^[0-9a-f]{64}$/)
      }
    }
  )

  it("pins botocore's urllib3 rule: below 1.27 on Python 3.9", () => {
    expect(runtimeProvidedVersions(RUNTIMES[0]!).urllib3).toMatch(/^1\.26\./)
  })

  it('writes a requirements file pip reads in hash-checking mode', () => {
    expect(
      hashedRequirements([
        {
          requirement: 'six==1.17.0',
          file: 'six-1.17.0-py2.py3-none-any.whl',
          sha256: 'ab'.repeat(32)
        }
      ])
    ).toBe(`six==1.17.0 --hash=sha256:${'ab'.repeat(32)}\n`)
  })
})
