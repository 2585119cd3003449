// `npm run pin-release -- v1.2.3 [--sha <commit>] [--owner <owner>]`: rewrites every
// `uses: <owner>/lambda-python-deploy@…` in README.md, docs/ and examples/ to
// `@<commit of the tag> # v1.2.3`. The tag must exist in this clone (or --sha names the commit
// it will be, before it is created). test/unit/release-pins.test.ts then holds every pin equal.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { findPins, pinnedFiles, pinUses, releaseVersion } from './release.js'

// Compiled to .tools/compiled/ by run-ts.mjs: two levels below the root.
const root = new URL('../..', import.meta.url).pathname
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { sha: { type: 'string' }, owner: { type: 'string' } }
})
const [tag] = positionals
if (tag === undefined) {
  console.error('usage: npm run pin-release -- <vX.Y.Z> [--sha <commit>] [--owner <owner>]')
  process.exit(2)
}
releaseVersion(tag)

function tagCommit(name: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${name}^{commit}`], {
      cwd: root,
      encoding: 'utf8'
    }).trim()
  } catch {
    console.error(`There is no tag ${name} here: create it first, or pass --sha <commit>.`)
    process.exit(1)
  }
}

const sha = values.sha ?? tagCommit(tag)
let count = 0
for (const file of pinnedFiles(root)) {
  const path = join(root, file)
  const text = readFileSync(path, 'utf8')
  const pinned = pinUses(text, { sha, tag, ...(values.owner ? { owner: values.owner } : {}) })
  count += findPins(text).length
  if (pinned !== text) {
    writeFileSync(path, pinned)
    console.log(`${file}: ${findPins(text).length} pinned`)
  }
}
console.log(`${count} uses of the action now pin ${sha} # ${tag}`)
