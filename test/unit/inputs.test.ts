import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { getInputs, splitList } from '../../src/inputs.js'

const source = mkdtempSync(join(tmpdir(), 'lpd-inputs-'))
writeFileSync(join(source, 'app.py'), 'def handler(e, c): return e\n')
writeFileSync(join(source, 'requirements.txt'), 'six==1.16.0\n')
const emptySource = mkdtempSync(join(tmpdir(), 'lpd-inputs-empty-'))
const unreadable = join(source, 'secret-reqs.txt')
writeFileSync(unreadable, 'six\n')
chmodSync(unreadable, 0o000)
mkdirSync(join(source, 'a-dir'))

const buildBase = { mode: 'build', runtime: 'python3.12', architectures: 'arm64', source }
const reader = (values: Record<string, string>) => (name: string) =>
  values[name]?.trim() || undefined
const parse = (values: Record<string, string>) =>
  getInputs(reader(values), { RUNNER_TEMP: '/tmp/rt' })

describe('getInputs', () => {
  it('reads a build with defaults filled', () => {
    const inputs = parse(buildBase)
    expect(inputs).toMatchObject({
      mode: 'build',
      runtime: { name: 'python3.12', glibcMinor: 34 },
      architectures: ['arm64'],
      extras: [],
      groups: [],
      packageType: 'zip',
      installer: 'auto',
      importCheck: true,
      bytecode: 'imported',
      cache: true,
      slim: false,
      publish: true,
      maxUnzippedSize: 262_144_000,
      s3Prefix: 'lambda-python-deploy/',
      outputDir: '/tmp/rt/lambda-python-deploy'
    })
  })

  it('leaves finding the dependency file to the build when requirements is unset', () => {
    // The project phase decides (uv.lock, requirements.txt, pyproject.toml): test/unit/project-discover.test.ts.
    expect(parse(buildBase).requirements).toBeUndefined()
    expect(parse({ ...buildBase, source: emptySource }).requirements).toBeUndefined()
  })

  it('reads extras and groups as comma lists', () => {
    const inputs = parse({ ...buildBase, extras: 'fast, s3', groups: 'tracing\nops' })
    expect(inputs.extras).toEqual(['fast', 's3'])
    expect(inputs.groups).toEqual(['tracing', 'ops'])
  })

  it('reads both architectures from a comma or newline list, without duplicates', () => {
    expect(parse({ ...buildBase, architectures: 'arm64,\n x86_64, arm64' }).architectures).toEqual([
      'arm64',
      'x86_64'
    ])
  })

  it('reads several function names for deploy', () => {
    const inputs = parse({
      'function-name': 'one, two\narn:aws:lambda:eu-west-1:123456789012:function:three',
      source
    })
    expect(inputs.mode).toBe('deploy')
    expect(inputs.functionNames).toEqual([
      'one',
      'two',
      'arn:aws:lambda:eu-west-1:123456789012:function:three'
    ])
    expect(inputs.runtime).toBeUndefined()
  })

  it.each([
    ['orders', 'orders-deps'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:billing', 'billing-deps']
  ])('names the dependency layer after the first function (%s)', (name, layer) => {
    const inputs = parse({ 'function-name': `${name}, other`, source, 'package-type': 'layer' })
    expect(inputs.layerName).toBe(layer)
    expect(
      parse({ mode: 'build', runtime: 'python3.12', architectures: 'arm64', source }).layerName
    ).toBeUndefined()
    expect(
      parse({ 'function-name': name, source, 'package-type': 'layer', 'layer-name': 'mine' })
        .layerName
    ).toBe('mine')
  })

  it('reads keep-versions, keep-layer-versions and wait-timeout', () => {
    expect(parse(buildBase)).toMatchObject({ waitTimeoutMs: 600_000 })
    expect(parse(buildBase).keepVersions).toBeUndefined()
    const inputs = parse({
      ...buildBase,
      'package-type': 'layer',
      'keep-versions': '2',
      'keep-layer-versions': '5',
      'wait-timeout': '90s'
    })
    expect(inputs).toMatchObject({ keepVersions: 2, keepLayerVersions: 5, waitTimeoutMs: 90_000 })
    expect.soft(parse({ ...buildBase, 'wait-timeout': '600' }).waitTimeoutMs).toBe(600_000)
    expect.soft(parse({ ...buildBase, 'wait-timeout': '15m' }).waitTimeoutMs).toBe(900_000)
    expect.soft(parse({ ...buildBase, 'wait-timeout': '1h' }).waitTimeoutMs).toBe(3_600_000)
  })

  it('parses sizes and JSON', () => {
    const inputs = parse({
      ...buildBase,
      'max-size': '45MB',
      'max-unzipped-size': '200MiB',
      'smoke-payload': '{"id":"a"}',
      'smoke-expect': '{"ok":true}'
    })
    expect(inputs.maxSize).toBe(45_000_000)
    expect(inputs.maxUnzippedSize).toBe(200 * 1024 * 1024)
    expect(inputs.smokeExpect).toEqual({ ok: true })
  })

  // Each malformed value fails naming its input (and so before any work or AWS request).
  it.each([
    ['mode', { ...buildBase, mode: 'ship' }],
    ['function-name', { mode: 'deploy', source }],
    ['function-name', { 'function-name': 'my function', source }],
    ['function-name', { 'function-name': 'fn:live', source }],
    ['runtime', { ...buildBase, runtime: 'python3.8' }],
    ['runtime', { ...buildBase, runtime: 'python3' }],
    ['runtime', { ...buildBase, runtime: 'nodejs20.x' }],
    ['runtime', { mode: 'build', architectures: 'arm64', source }],
    ['architectures', { ...buildBase, architectures: 'aarch64' }],
    ['architectures', { ...buildBase, architectures: 'arm64, amd64' }],
    ['architectures', { mode: 'build', runtime: 'python3.12', source }],
    ['source', { ...buildBase, source: join(source, 'missing') }],
    ['source', { ...buildBase, source: join(source, 'app.py') }],
    ['requirements', { ...buildBase, requirements: join(source, 'missing.txt') }],
    ['requirements', { ...buildBase, requirements: join(source, 'a-dir') }],
    ['handler', { ...buildBase, handler: 'app' }],
    ['handler', { ...buildBase, handler: 'app.handler()' }],
    ['import-check', { ...buildBase, 'import-check': 'maybe' }],
    ['bytecode', { ...buildBase, bytecode: 'true' }],
    ['bytecode', { ...buildBase, bytecode: 'unchecked-hash' }],
    ['package-type', { ...buildBase, 'package-type': 'image' }],
    ['layer-name', { ...buildBase, 'layer-name': 'deps layer' }],
    ['slim', { ...buildBase, slim: 'yes please' }],
    ['installer', { ...buildBase, installer: 'poetry' }],
    ['cache', { ...buildBase, cache: '2' }],
    ['max-size', { ...buildBase, 'max-size': 'fifty megabytes' }],
    ['max-size', { ...buildBase, 'max-size': '-5MB' }],
    ['max-unzipped-size', { ...buildBase, 'max-unzipped-size': '300MB' }],
    ['s3-bucket', { ...buildBase, 's3-bucket': 'My_Bucket' }],
    ['publish', { ...buildBase, publish: 'sometimes' }],
    ['alias', { ...buildBase, alias: '42' }],
    ['alias', { ...buildBase, alias: 'live now' }],
    ['alias', { ...buildBase, alias: 'live', publish: 'false' }],
    ['function-name', { 'function-name': 'f'.repeat(65), source }],
    ['output-dir', { ...buildBase, 'output-dir': join(source, 'app.py') }],
    ['smoke-payload', { ...buildBase, 'smoke-payload': '{id: 1}' }],
    ['smoke-expect', { ...buildBase, 'smoke-payload': '{}', 'smoke-expect': '[1,' }],
    ['smoke-expect', { ...buildBase, 'smoke-expect': '{"ok":true}' }],
    ['comment', { ...buildBase, comment: 'loud' }],
    ['allow-linux-wheels', { ...buildBase, 'allow-linux-wheels': 'si' }],
    ['keep-versions', { ...buildBase, 'keep-versions': '0' }],
    ['keep-versions', { ...buildBase, 'keep-versions': '-2' }],
    ['keep-versions', { ...buildBase, 'keep-versions': 'two' }],
    ['keep-versions', { ...buildBase, 'keep-versions': '2.5' }],
    ['keep-versions', { ...buildBase, 'keep-versions': '3', publish: 'false' }],
    ['keep-layer-versions', { ...buildBase, 'keep-layer-versions': '0' }],
    ['keep-layer-versions', { ...buildBase, 'keep-layer-versions': '1e3' }],
    ['keep-layer-versions', { ...buildBase, 'keep-layer-versions': '2' }],
    ['wait-timeout', { ...buildBase, 'wait-timeout': '0' }],
    ['wait-timeout', { ...buildBase, 'wait-timeout': 'ten minutes' }],
    ['wait-timeout', { ...buildBase, 'wait-timeout': '-5m' }],
    ['wait-timeout', { ...buildBase, 'wait-timeout': '7h' }]
  ])('refuses a bad %s', (input, values) => {
    expect(() => parse(values as Record<string, string>)).toThrow(new RegExp(`^${input}: `))
  })

  it.each(['imported', 'all', 'none'] as const)('reads bytecode: %s', (mode) => {
    expect(parse({ ...buildBase, bytecode: mode }).bytecode).toBe(mode)
  })

  it('names the accepted bytecode values with an example', () => {
    expect(() => parse({ ...buildBase, bytecode: 'yes' })).toThrow(
      "bytecode: 'yes' is not accepted; use imported (the default: what the handler imports at init), all (every module) or none, e.g. `bytecode: all`."
    )
  })

  it.skipIf(process.getuid?.() === 0)('refuses an unreadable requirements file', () => {
    expect(() => parse({ ...buildBase, requirements: unreadable })).toThrow(
      /^requirements: .*cannot be read/
    )
  })

  it('splits lists on commas and newlines', () => {
    expect(splitList(' a,b\n\nc , a ')).toEqual(['a', 'b', 'c'])
    expect(splitList(undefined)).toEqual([])
  })
})
