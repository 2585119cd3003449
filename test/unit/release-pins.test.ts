// Every example pins the action to one release, by commit SHA with the tag in a comment.
// The rule, since a commit cannot name its own SHA:
// - when CHANGELOG.md's newest version is tagged in this clone, every pin is that tag's commit
//   (`npm run pin-release -- <tag>` after tagging writes exactly that);
// - until then (the release commit itself, or a clone without tags), the pins may still name
//   the release before it, and any full commit SHA is accepted.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  changelogVersions,
  findPins,
  pinnedFiles,
  pinUses,
  releaseNotes,
  releaseVersion
} from '../../scripts/release.js'
import { ROOT } from '../helpers/run-action.js'

const SHA = 'a'.repeat(40)

describe('pinUses', () => {
  it.each([
    [
      '- uses: <owner>/lambda-python-deploy@v1',
      `- uses: <owner>/lambda-python-deploy@${SHA} # v1.2.3`
    ],
    [
      '      - uses: acme/lambda-python-deploy@0123456789abcdef0123456789abcdef01234567 # v1.0.0\n        with:',
      `      - uses: acme/lambda-python-deploy@${SHA} # v1.2.3\n        with:`
    ],
    ['uses: actions/checkout@v7 # v7.0.1', 'uses: actions/checkout@v7 # v7.0.1']
  ])('%s', (before, after) => {
    expect(pinUses(before, { sha: SHA, tag: 'v1.2.3' })).toBe(after)
  })

  it('sets the owner when given', () => {
    expect(
      pinUses('uses: <owner>/lambda-python-deploy@v1', { sha: SHA, tag: 'v1.0.0', owner: 'acme' })
    ).toBe(`uses: acme/lambda-python-deploy@${SHA} # v1.0.0`)
  })

  it('refuses a short SHA or a tag that is not a release', () => {
    expect(() => pinUses('', { sha: 'abc123', tag: 'v1.0.0' })).toThrow(/full commit SHA/)
    expect(() => pinUses('', { sha: SHA, tag: 'v1' })).toThrow(/not a release tag/)
  })
})

describe('CHANGELOG.md', () => {
  const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')

  it('lists versions newest first, each with notes', () => {
    const versions = changelogVersions(changelog)
    expect(versions.length).toBeGreaterThan(0)
    const sorted = [...versions].sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
    expect(versions).toEqual(sorted)
    for (const version of versions) expect(releaseNotes(changelog, version)).not.toBe('')
  })

  it('gives the notes of one version only', () => {
    const text =
      '# Changelog\n\n## [1.1.0] - 2027-01-02\n\n- new\n\n## [1.0.0] - 2026-12-04\n\n- first\n'
    expect(changelogVersions(text)).toEqual(['1.1.0', '1.0.0'])
    expect(releaseNotes(text, '1.1.0')).toBe('- new\n')
    expect(releaseNotes(text, '1.0.0')).toBe('- first\n')
    expect(() => releaseNotes(text, '0.9.0')).toThrow(/no section for 0.9.0/)
  })
})

describe('the pins users copy', () => {
  const pins = pinnedFiles(ROOT).flatMap((file) =>
    findPins(readFileSync(join(ROOT, file), 'utf8')).map((pin) => ({ file, ...pin }))
  )
  const versions = changelogVersions(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'))

  it('are in the README, the docs and every example workflow', () => {
    const files = new Set(pins.map((pin) => pin.file))
    expect(files).toContain('README.md')
    for (const file of pinnedFiles(ROOT).filter((f) => f.startsWith('examples/'))) {
      expect(files, file).toContain(file)
    }
  })

  it("all name one commit SHA, and CHANGELOG.md's newest release or the one before", () => {
    const [first] = pins
    expect(first?.ref).toMatch(/^[0-9a-f]{40}$/)
    releaseVersion(first!.tag!)
    expect(versions.slice(0, 2).map((v) => `v${v}`)).toContain(first!.tag)
    for (const pin of pins) expect(pin, pin.file).toMatchObject({ ...first, file: pin.file })
  })

  it('name the commit of the newest release, once it is tagged', () => {
    let tagged: string | undefined
    try {
      tagged = execFileSync(
        'git',
        ['rev-parse', '--verify', '--quiet', `v${versions[0]}^{commit}`],
        {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore']
        }
      ).trim()
    } catch {
      // Not tagged here (yet): see the top of this file.
    }
    if (tagged) {
      expect(pins.map((pin) => `${pin.ref} # ${pin.tag}`)).toEqual(
        pins.map(() => `${tagged} # v${versions[0]}`)
      )
    }
  })
})
