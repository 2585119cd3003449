// Writes the README's inputs and outputs tables from action.yml (the source of truth), between
// the `<!-- inputs -->` / `<!-- outputs -->` markers. `--check` exits 1 when they differ.
import { readFileSync, writeFileSync } from 'node:fs'
import * as prettier from 'prettier'
import { parse } from 'yaml'

const root = new URL('..', import.meta.url).pathname
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

export function withTables(readme) {
  const put = (text, marker, table) =>
    text.replace(
      new RegExp(`<!-- ${marker} -->[\\s\\S]*?<!-- /${marker} -->`),
      () => `<!-- ${marker} -->\n${table}\n<!-- /${marker} -->`
    )
  return put(put(readme, 'inputs', inputsTable()), 'outputs', outputsTable())
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = `${root}README.md`
  const readme = readFileSync(path, 'utf8')
  // Formatted as `npm run format` would, so the two never disagree.
  const options = (await prettier.resolveConfig(path)) ?? {}
  const wanted = await prettier.format(withTables(readme), { ...options, filepath: path })
  if (process.argv.includes('--check')) {
    if (wanted !== readme) {
      console.error('README.md tables differ from action.yml: run node scripts/readme-tables.mjs')
      process.exit(1)
    }
  } else {
    writeFileSync(path, wanted)
  }
}
