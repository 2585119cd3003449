// Writes the corpus table of docs/correctness.md from test/corpus/sets.ts (the source of truth),
// between the `<!-- corpus -->` markers: `node scripts/run-ts.mjs scripts/corpus-table.ts`.
// `--check` exits 1 when the page differs (test/unit/corpus-readme.test.ts runs it).
import { readFileSync, writeFileSync } from 'node:fs'
import { posix } from 'node:path'
import * as prettier from 'prettier'
import { parse } from 'smol-toml'
import { CORPUS, LOCK_FILE, type CorpusSet } from '../test/corpus/sets.js'

// Compiled to .tools/compiled/ by run-ts.mjs: two levels below the root.
const root = new URL('../..', import.meta.url).pathname
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** A requirements.txt's lines; for a project, the file that decides and its dependencies. */
function requirementLines(set: CorpusSet): string {
  const code = (line: string) => `\`${cell(line)}\``
  const requirementsTxt = set.files['requirements.txt']
  if (requirementsTxt !== undefined) {
    return requirementsTxt
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(code)
      .join('<br>')
  }
  const folder = posix.join(set.lockedBy?.folder ?? set.source ?? '.')
  const file = (name: string) => set.files[posix.join(folder, name)] ?? ''
  const tool = set.lockedBy?.tool ?? 'uv'
  const decides = set.lockedBy ? LOCK_FILE[tool] : 'pyproject.toml'
  let declared: string[]
  if (tool === 'pipenv' && set.lockedBy) {
    const pipfile = parse(file('Pipfile')) as { packages?: Record<string, unknown> }
    declared = Object.entries(pipfile.packages ?? {}).map(
      ([name, spec]) => `${name} ${typeof spec === 'string' ? spec : JSON.stringify(spec)}`
    )
  } else if (tool === 'pylock-compile' && set.lockedBy) {
    declared = file('requirements.in').split('\n').filter(Boolean)
  } else {
    const pyproject = parse(file('pyproject.toml')) as {
      project?: { dependencies?: string[] }
      tool?: { poetry?: { dependencies?: Record<string, unknown> } }
    }
    declared =
      pyproject.project?.dependencies ??
      Object.entries(pyproject.tool?.poetry?.dependencies ?? {})
        .filter(([name]) => name !== 'python')
        .map(([name, spec]) => `${name} ${typeof spec === 'string' ? spec : JSON.stringify(spec)}`)
  }
  return [`${decides}:`, ...declared.map(code)].join('<br>')
}

function expected(set: CorpusSet): string {
  const outcome = set.fails ? 'fails naming it' : 'builds'
  return set.pending ? `${outcome} (pending: ${cell(set.pending)})` : outcome
}

export function corpusTable(): string {
  const rows = CORPUS.map(
    (set) =>
      `| ${set.name} | ${set.runtime} | ${set.architectures.join(', ')} | ${requirementLines(set)} | ${cell(set.covers)} | ${expected(set)} |`
  )
  return [
    '| set | runtime | architectures | requirements | covers | expected |',
    '|---|---|---|---|---|---|',
    ...rows
  ].join('\n')
}

const CORPUS_PAGE = 'docs/correctness.md'
const path = `${root}${CORPUS_PAGE}`
const page = readFileSync(path, 'utf8')
if (!page.includes('<!-- corpus -->')) {
  console.error(`${CORPUS_PAGE} has no <!-- corpus --> marker`)
  process.exit(1)
}
const replaced = page.replace(
  /<!-- corpus -->[\s\S]*?<!-- \/corpus -->/,
  () => `<!-- corpus -->\n${corpusTable()}\n<!-- /corpus -->`
)
// Formatted as `npm run format` would, so the two never disagree.
const options = (await prettier.resolveConfig(path)) ?? {}
const wanted = await prettier.format(replaced, { ...options, filepath: path })
if (process.argv.includes('--check')) {
  if (wanted !== page) {
    console.error(
      `${CORPUS_PAGE} corpus table differs from test/corpus/sets.ts: run node scripts/run-ts.mjs scripts/corpus-table.ts`
    )
    process.exit(1)
  }
} else {
  writeFileSync(path, wanted)
}
