// `npm run release-notes -- v1.2.3`: prints CHANGELOG.md's notes for that release, and fails
// unless it is the newest version there (the release workflow runs it on every tag).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { changelogVersions, releaseNotes, releaseVersion } from './release.js'

// Compiled to .tools/compiled/ by run-ts.mjs: two levels below the root.
const root = new URL('../..', import.meta.url).pathname
const [tag] = process.argv.slice(2)
try {
  if (tag === undefined) throw new Error('usage: npm run release-notes -- <vX.Y.Z>')
  const version = releaseVersion(tag)
  const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8')
  const newest = changelogVersions(changelog)[0]
  if (newest !== version) {
    throw new Error(
      `${tag} is not CHANGELOG.md's newest version (${newest ?? 'none'}): add its section first`
    )
  }
  process.stdout.write(releaseNotes(changelog, version))
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
