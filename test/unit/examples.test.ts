// The workflows users copy: the README's quick start is the example file verbatim, and every
// example (files and YAML blocks in the docs) parses and gives the action only inputs it has.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ROOT } from '../helpers/run-action.js'

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>
}
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

const EXAMPLE_WORKFLOWS = readdirSync(join(ROOT, 'examples', 'workflows'))
  .filter((name) => name.endsWith('.yml'))
  .map((name) => join('examples', 'workflows', name))

const MARKDOWN = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name))
].filter((path) => existsSync(join(ROOT, path)))

/** The ```yaml blocks of a Markdown file. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((match) => match[1]!)
}

/** Every `{ uses: <owner>/lambda-python-deploy@…, with: {…} }` step in a parsed document. */
function actionSteps(node: unknown): { with?: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap(actionSteps)
  if (node === null || typeof node !== 'object') return []
  const record = node as Record<string, unknown>
  const own =
    typeof record.uses === 'string' && /\/lambda-python-deploy@/.test(record.uses)
      ? [record as { with?: Record<string, unknown> }]
      : []
  return [...own, ...Object.values(record).flatMap(actionSteps)]
}

describe('examples', () => {
  it("the README's quick start is examples/workflows/gate-and-deploy.yml, verbatim", () => {
    const [quickStart] = yamlBlocks(read('README.md'))
    expect(quickStart).toBe(read('examples/workflows/gate-and-deploy.yml'))
  })

  const sources = [
    ...EXAMPLE_WORKFLOWS.map((path) => [path, [read(path)]] as const),
    ...MARKDOWN.map((path) => [path, yamlBlocks(read(path))] as const)
  ].filter(([, documents]) => documents.length > 0)

  it.each(sources)('%s: parses, and gives the action only its own inputs', (_path, documents) => {
    for (const document of documents) {
      const steps = actionSteps(parse(document))
      for (const step of steps) {
        for (const name of Object.keys(step.with ?? {})) {
          expect(Object.keys(action.inputs), `input ${name}`).toContain(name)
        }
      }
    }
  })

  it('every example workflow uses the action', () => {
    for (const path of EXAMPLE_WORKFLOWS) {
      expect(actionSteps(parse(read(path))).length, path).toBeGreaterThan(0)
    }
  })
})
