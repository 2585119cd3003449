// Every relative link in the README and the docs resolves: the file (or folder) exists, and an
// `#anchor` names a heading of the page it points into, as GitHub spells heading anchors.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/run-action.js'

/** README.md, SECURITY.md, CHANGELOG.md and every page under docs/. */
function pages(): string[] {
  const top = ['README.md', 'SECURITY.md', 'CHANGELOG.md'].filter((name) =>
    existsSync(join(ROOT, name))
  )
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name))
  return [...top, ...docs].sort()
}

/** The text outside fenced code blocks, line by line (links and headings live only there). */
function proseLines(markdown: string): string[] {
  const lines: string[] = []
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1]
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined
      continue
    }
    if (fence === undefined) lines.push(line)
  }
  return lines
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchor(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-')
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]
    if (heading === undefined) continue
    const base = headingAnchor(heading)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

/** Link targets in the prose: inline links and images, minus code spans. */
function linkTargets(markdown: string): string[] {
  const targets: string[] = []
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '')
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      targets.push(match[1]!)
    }
  }
  return targets
}

describe('headingAnchor', () => {
  it.each([
    ['Quick start', 'quick-start'],
    ['uv.lock: projects and workspaces', 'uvlock-projects-and-workspaces'],
    ['What happens when…', 'what-happens-when'],
    ["The role's trust policy", 'the-roles-trust-policy'],
    ['`package-dir`: build once', 'package-dir-build-once'],
    ['Packages over 50 MiB', 'packages-over-50-mib']
  ])('%s → #%s', (heading, anchor) => {
    expect(headingAnchor(heading)).toBe(anchor)
  })
})

describe('links in the README and docs/', () => {
  const files = pages()

  it('cover the README and the docs pages', () => {
    expect(files).toContain('README.md')
    expect(files).toContain(join('docs', 'inputs.md'))
  })

  it.each(files)('%s: every relative link resolves', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const broken: string[] = []
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined]
      const path = pathPart === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), pathPart)
      if (!path.startsWith(ROOT) || !existsSync(path)) {
        broken.push(`${target}: ${relative(ROOT, path)} does not exist`)
        continue
      }
      if (anchor === undefined) continue
      if (!path.endsWith('.md')) {
        broken.push(`${target}: an anchor into a file that is not Markdown`)
        continue
      }
      if (!anchorsOf(readFileSync(path, 'utf8')).has(anchor)) {
        broken.push(`${target}: ${relative(ROOT, path)} has no heading #${anchor}`)
      }
    }
    expect(broken).toEqual([])
  })
})
