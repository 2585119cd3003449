// Writes the inputs and outputs tables of docs/inputs.md from action.yml (the source of truth),
// between the `<!-- inputs -->` / `<!-- outputs -->` markers. `--check` exits 1 when they differ
// (test/unit/contract.test.ts runs it). The name stays from when the tables were in the README.
import { readFileSync, writeFileSync } from 'node:fs'
import * as prettier from 'prettier'
import { parse } from 'yaml'

const root = new URL('..', import.meta.url).pathname
/** The page that holds the tables. */
export const INPUTS_PAGE = 'docs/inputs.md'
const action = parse(readFileSync(`${root}action.yml`, 'utf8'))
const cell = (text) =>
  String(text ?? '')
    .trim()
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ')

export function inputsTable() {
  const rows = Object.entries(action.inputs).map(
    ([name, spec]) =>
      `| \`${name}\` | ${spec.default === '' || spec.default === undefined ? '' : `\`${cell(spec.default)}\``} | ${cell(spec.description)} |`
  )
  return ['| input | default | meaning |', '|---|---|---|', ...rows].join('\n')
}

export function outputsTable() {
  const rows = Object.entries(action.outputs).map(
    ([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`
  )
  return ['| output | meaning |', '|---|---|', ...rows].join('\n')
}

export function withTables(page) {
  const put = (text, marker, table) =>
    text.replace(
      new RegExp(`<!-- ${marker} -->[\\s\\S]*?<!-- /${marker} -->`),
      () => `<!-- ${marker} -->\n${table}\n<!-- /${marker} -->`
    )
  return put(put(page, 'inputs', inputsTable()), 'outputs', outputsTable())
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = `${root}${INPUTS_PAGE}`
  const page = readFileSync(path, 'utf8')
  // Formatted as `npm run format` would, so the two never disagree.
  const options = (await prettier.resolveConfig(path)) ?? {}
  const wanted = await prettier.format(withTables(page), { ...options, filepath: path })
  if (process.argv.includes('--check')) {
    if (wanted !== page) {
      console.error(
        `${INPUTS_PAGE} tables differ from action.yml: run node scripts/readme-tables.mjs`
      )
      process.exit(1)
    }
  } else {
    writeFileSync(path, wanted)
  }
}
