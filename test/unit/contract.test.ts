// action.yml is the contract (shared/INTERFACE.md): its names never drift from the code's
// constants, and the tables of docs/inputs.md are generated from it.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { INPUT, OUTPUT } from '../../src/constants.js'
import { ROOT } from '../helpers/run-action.js'

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8'))

// The names INTERFACE.md fixes: never renamed.
const CONTRACT_INPUTS = [
  'mode',
  'function-name',
  'source',
  'requirements',
  'runtime',
  'architectures',
  'handler',
  'import-check',
  'package-type',
  'layer-name',
  'exclude',
  'slim',
  'installer',
  'cache',
  'output-dir',
  'max-size',
  'max-unzipped-size',
  's3-bucket',
  's3-prefix',
  'publish',
  'alias',
  'smoke-payload',
  'smoke-expect',
  'traffic',
  'alarms',
  'comment',
  'github-token'
]
const CONTRACT_OUTPUTS = [
  'packages',
  'zip-path',
  'code-sha256',
  'size',
  'unzipped-size',
  'cache-hit',
  'changed',
  'version',
  'version-arn',
  'alias-arn',
  'layer-version-arn',
  'functions'
]

describe('action.yml', () => {
  it('runs dist/index.js on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it('declares every contract input and output, each with a description', () => {
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(CONTRACT_INPUTS))
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(CONTRACT_OUTPUTS))
    for (const spec of [...Object.values(action.inputs), ...Object.values(action.outputs)]) {
      expect((spec as { description: string }).description.length).toBeGreaterThan(10)
    }
  })

  it('names exactly the inputs and outputs the code reads and writes', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(INPUT).sort())
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(OUTPUT).sort())
  })

  it.each([
    ['mode', 'deploy'],
    ['source', '.'],
    ['import-check', 'true'],
    ['package-type', 'zip'],
    ['slim', 'false'],
    ['installer', 'auto'],
    ['cache', 'true'],
    ['s3-prefix', 'lambda-python-deploy/'],
    ['publish', 'true'],
    ['traffic', 'all-at-once'],
    ['github-token', '${{ github.token }}']
  ])('defaults %s to %s', (name, value) => {
    expect(action.inputs[name].default).toBe(value)
  })

  it('has the tables of docs/inputs.md generated from it', () => {
    // Exits 1, naming the fix, when the page's tables differ from action.yml.
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'readme-tables.mjs'), '--check'])
    const page = readFileSync(join(ROOT, 'docs', 'inputs.md'), 'utf8')
    for (const name of [...CONTRACT_INPUTS, ...CONTRACT_OUTPUTS]) {
      expect(page).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'))
    }
  })
})
