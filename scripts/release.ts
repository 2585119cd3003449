// Releases: CHANGELOG.md's versions and notes, and the `uses: <owner>/lambda-python-deploy@<sha>
// # <tag>` pins in the README, docs/ and examples/. Pure functions plus the list of files that
// hold pins; scripts/pin-release.ts and scripts/release-notes.ts are the commands around them.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

/** `## [1.2.3] - 2026-12-04` or `## 1.2.3`: a released version's heading in CHANGELOG.md. */
const VERSION_HEADING = /^## \[?(\d+\.\d+\.\d+)\]?(?:\s.*)?$/

/** The versions CHANGELOG.md lists, in its order (newest first). */
export function changelogVersions(changelog: string): string[] {
  return changelog.split('\n').flatMap((line) => {
    const version = VERSION_HEADING.exec(line)?.[1]
    return version === undefined ? [] : [version]
  })
}

/** The notes of one version: the lines under its heading, up to the next version. */
export function releaseNotes(changelog: string, version: string): string {
  const lines = changelog.split('\n')
  const start = lines.findIndex((line) => VERSION_HEADING.exec(line)?.[1] === version)
  if (start === -1) throw new Error(`CHANGELOG.md has no section for ${version}`)
  const next = lines.findIndex((line, i) => i > start && /^## /.test(line))
  const notes = lines
    .slice(start + 1, next === -1 ? undefined : next)
    .join('\n')
    .trim()
  if (notes === '') throw new Error(`CHANGELOG.md's section for ${version} is empty`)
  return `${notes}\n`
}

/** `v1.2.3` → `1.2.3`; anything else is not a release tag. */
export function releaseVersion(tag: string): string {
  const version = /^v(\d+\.\d+\.\d+)$/.exec(tag)?.[1]
  if (version === undefined) throw new Error(`${tag} is not a release tag (vMAJOR.MINOR.PATCH)`)
  return version
}

export interface Pin {
  owner: string
  /** What follows `@`: a commit SHA once pinned. */
  ref: string
  /** The tag named in the comment after the ref, if any. */
  tag?: string
}

const USES = /(uses:\s*)([\w.<>-]+)\/lambda-python-deploy@([^\s#]+)(?:[ \t]*#[ \t]*(\S+))?/g

/** Every `uses: <owner>/lambda-python-deploy@<ref> # <tag>` in a file. */
export function findPins(text: string): Pin[] {
  return [...text.matchAll(USES)].map((match) => ({
    owner: match[2]!,
    ref: match[3]!,
    ...(match[4] !== undefined ? { tag: match[4] } : {})
  }))
}

/** Rewrites every pin to `@<sha> # <tag>`, and to `owner` when given. */
export function pinUses(text: string, pin: { sha: string; tag: string; owner?: string }): string {
  if (!/^[0-9a-f]{40}$/.test(pin.sha)) throw new Error(`${pin.sha} is not a full commit SHA`)
  releaseVersion(pin.tag)
  return text.replace(
    USES,
    (_match, uses: string, owner: string) =>
      `${uses}${pin.owner ?? owner}/lambda-python-deploy@${pin.sha} # ${pin.tag}`
  )
}

/** The files users copy from: README.md, docs/**\/*.md and examples/**\/*.yml. */
export function pinnedFiles(root: string): string[] {
  const under = (dir: string, ext: RegExp): string[] =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => ext.test(name))
      .map((name) => join(dir, name))
  return ['README.md', ...under('docs', /\.md$/), ...under('examples', /\.ya?ml$/)].sort()
}
