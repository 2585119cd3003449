import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { getInputs, splitGlobs, splitList } from '../../src/inputs.js'
import { excludeMatcher } from '../../src/packaging/assemble/source-files.js'

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
      cacheInDeploy: 'hashed',
      slim: false,
      publish: true,
      maxUnzippedSize: 262_144_000,
      s3Prefix: 'lambda-python-deploy/',
      outputDir: '/tmp/rt/lambda-python-deploy'
    })
  })

  it('reads cache-in-deploy for deploy; in a build, any value but the default is a warning', () => {
    expect(
      parse({ 'function-name': 'orders', source, 'cache-in-deploy': 'none' }).cacheInDeploy
    ).toBe('none')
    const log: string[] = []
    const write = process.stdout.write
    process.stdout.write = ((chunk: string) => log.push(chunk) > 0) as typeof write
    try {
      expect(parse({ ...buildBase, 'cache-in-deploy': 'any' }).cacheInDeploy).toBe('any')
    } finally {
      process.stdout.write = write
    }
    expect(log.join('')).toMatch(/^::warning::cache-in-deploy: any applies to mode: deploy only/)
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
    ['python', { ...buildBase, python: join(source, 'missing', 'python3') }],
    ['python', { ...buildBase, python: join(source, 'app.py') }],
    ['python', { ...buildBase, python: join(source, 'a-dir') }],
    ['python', { ...buildBase, python: 'python3.99-nowhere' }],
    ['python', { ...buildBase, python: '/usr/bin/python3\n/usr/bin/python3.12' }],
    ['bytecode', { ...buildBase, bytecode: 'true' }],
    ['bytecode', { ...buildBase, bytecode: 'unchecked-hash' }],
    ['package-type', { ...buildBase, 'package-type': 'image' }],
    ['layer-name', { ...buildBase, 'layer-name': 'deps layer' }],
    ['slim', { ...buildBase, slim: 'yes please' }],
    ['installer', { ...buildBase, installer: 'poetry' }],
    ['cache', { ...buildBase, cache: '2' }],
    ['cache-in-deploy', { ...buildBase, 'cache-in-deploy': 'trusted' }],
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

  describe('traffic, alarms, max-errors, max-throttles', () => {
    const deployBase = { 'function-name': 'orders', source, alias: 'live' }

    it.each([
      [undefined, { kind: 'all-at-once' }],
      ['all-at-once', { kind: 'all-at-once' }],
      ['canary 10% 5m', { kind: 'canary', percent: 10, stepMs: 300_000 }],
      ['Canary 10 % 90s', { kind: 'canary', percent: 10, stepMs: 90_000 }],
      ['linear 20% 2', { kind: 'linear', percent: 20, stepMs: 2_000 }],
      ['linear 2.5% 1min', { kind: 'linear', percent: 2.5, stepMs: 60_000 }],
      ['canary 99% 1h', { kind: 'canary', percent: 99, stepMs: 3_600_000 }]
    ])('reads traffic %j', (traffic, spec) => {
      const inputs = parse({ ...deployBase, ...(traffic ? { traffic } : {}) })
      expect(inputs.traffic).toEqual(spec)
    })

    it('reads the health inputs: alarms as a list, max-errors 0 by default, throttles unjudged', () => {
      const inputs = parse({
        ...deployBase,
        traffic: 'canary 10% 5m',
        alarms: 'orders-errors,\norders p99 latency'
      })
      expect(inputs.health).toEqual({
        alarms: ['orders-errors', 'orders p99 latency'],
        maxErrors: 0
      })
      expect(
        parse({ ...deployBase, traffic: 'linear 10% 1m', 'max-errors': '3', 'max-throttles': '0' })
          .health
      ).toEqual({ alarms: [], maxErrors: 3, maxThrottles: 0 })
    })

    it.each([
      ['canary', 'not accepted; give all-at-once, canary <percent>% <duration>'],
      ['canary 10%', 'not accepted'],
      ['blue-green 10% 5m', 'not accepted'],
      ['canary 10 5m', 'not accepted'],
      ['canary 0% 5m', 'the share must be from 1% to 99%'],
      ['canary 100% 5m', 'the share must be from 1% to 99%'],
      ['linear 150% 5m', 'the share must be from 1% to 99%'],
      ['canary 10% 0s', "'0s' is not a duration from 1s to 6h"],
      ['canary 10% five minutes', "'five minutes' is not a duration"],
      ['canary 10% 7h', "'7h' is not a duration from 1s to 6h"],
      ['linear 1% 5m', 'would shift for 495m, and GitHub stops a job after 6h']
    ])('refuses traffic %j before any request, naming the input', (traffic, problem) => {
      expect(() => parse({ ...deployBase, traffic })).toThrow(`traffic: '${traffic}`)
      expect(() => parse({ ...deployBase, traffic })).toThrow(problem)
    })

    it('refuses traffic without alias', () => {
      const { alias: _alias, ...noAlias } = deployBase
      expect(() => parse({ ...noAlias, traffic: 'canary 10% 5m' })).toThrow(
        /^traffic: shifts an alias's traffic to the new version; set alias/
      )
    })

    it.each([
      ['alarms', { alarms: 'orders-errors' }],
      ['max-errors', { 'max-errors': '2' }],
      ['max-throttles', { 'max-throttles': '0' }]
    ])('refuses %s with traffic all-at-once, which would ignore it', (input, values) => {
      expect(() => parse({ ...deployBase, ...values })).toThrow(
        new RegExp(`^${input}: is watched during a traffic shift, and traffic is all-at-once`)
      )
    })

    it.each([
      ['max-errors', '-1'],
      ['max-errors', 'none'],
      ['max-throttles', '1.5']
    ])('refuses %s %j', (input, value) => {
      expect(() => parse({ ...deployBase, traffic: 'canary 5% 1m', [input]: value })).toThrow(
        new RegExp(`^${input}: '${value.replace('.', '\\.')}' is not accepted; give a whole number`)
      )
    })

    it('ignores them in mode: build, with a warning naming them', () => {
      const inputs = parse({ ...buildBase, traffic: 'canary 10% 5m', alarms: 'a' })
      expect(inputs.traffic).toEqual({ kind: 'all-at-once' })
      expect(inputs.health.alarms).toEqual([])
    })
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

  it('reads python as an absolute path, or a command that is on PATH', () => {
    const python = join(source, 'bin', 'python3.12')
    mkdirSync(join(source, 'bin'), { recursive: true })
    writeFileSync(python, '#!/bin/sh\n')
    chmodSync(python, 0o755)
    const read = (value: string, PATH = '/nowhere') =>
      getInputs(reader({ ...buildBase, python: value }), { RUNNER_TEMP: '/tmp/rt', PATH }).python
    expect(read(python)).toBe(python)
    expect(read('python3.12', `/nowhere:${join(source, 'bin')}`)).toBe('python3.12')
    expect(parse(buildBase).python).toBeUndefined()
  })

  it('splits lists on commas and newlines', () => {
    expect(splitList(' a,b\n\nc , a ')).toEqual(['a', 'b', 'c'])
    expect(splitList(undefined)).toEqual([])
  })

  it.each([
    ['*.{md,txt}', ['*.{md,txt}']],
    ['docs/, *.{md,rst}, tests/', ['docs/', '*.{md,rst}', 'tests/']],
    ['{a,{b,c}}/*.py,x', ['{a,{b,c}}/*.py', 'x']],
    ['data[,]csv, y', ['data[,]csv', 'y']],
    ['a\\,b, c', ['a\\,b', 'c']],
    ['one\ntwo,three\n\n*.{a,b}', ['one', 'two', 'three', '*.{a,b}']]
  ])('splits exclude %j at commas outside braces and brackets', (text, globs) => {
    expect(splitGlobs(text)).toEqual(globs)
  })

  it('keeps a brace glob in exclude whole, so it matches what it says', () => {
    const { exclude } = parse({ ...buildBase, exclude: 'tests/, *.{md,txt}' })
    expect(exclude).toEqual(['tests/', '*.{md,txt}'])
    const excluded = excludeMatcher(exclude)
    expect(excluded('README.md', false)).toBe(true)
    expect(excluded('docs/notes.txt', false)).toBe(true)
    expect(excluded('app.py', false)).toBe(false)
  })

  it('reads s3-bucket-owner as a 12-digit account that needs s3-bucket', () => {
    const deploy = { 'function-name': 'orders', source }
    expect(
      parse({ ...deploy, 's3-bucket': 'artifacts', 's3-bucket-owner': '123456789012' })
        .s3BucketOwner
    ).toBe('123456789012')
    expect(parse({ ...deploy, 's3-bucket': 'artifacts' }).s3BucketOwner).toBeUndefined()
    expect(() =>
      parse({ ...deploy, 's3-bucket': 'artifacts', 's3-bucket-owner': '12345' })
    ).toThrow(/^s3-bucket-owner: '12345' is not an AWS account ID/)
    expect(() => parse({ ...deploy, 's3-bucket-owner': '123456789012' })).toThrow(
      /^s3-bucket-owner: names the owner of s3-bucket, and s3-bucket is not set/
    )
  })
})

describe('import-env', () => {
  it('reads NAME=value lines: blank lines and comments skipped, = kept inside a value', () => {
    const inputs = parse({
      ...buildBase,
      'import-env':
        '# tables\nTABLE_NAME=orders\n\n  QUEUE_URL = https://sqs.example/q?x=1\nEMPTY=\n'
    })
    expect(inputs.importEnv).toEqual({
      TABLE_NAME: 'orders',
      QUEUE_URL: 'https://sqs.example/q?x=1',
      EMPTY: ''
    })
    expect(parse(buildBase).importEnv).toEqual({})
  })

  it.each([
    ['TABLE_NAME', /line 1 is not NAME=value; e\.g\. `TABLE_NAME=orders`/],
    ['=planted-value-1', /line 1 is not NAME=value/],
    ['OK=1\n2TABLE=planted-value-2', /line 2: '2TABLE' is not a variable name Lambda accepts/],
    ['TABLE-NAME=planted-value-3', /'TABLE-NAME' is not a variable name/],
    ['AWS_REGION=planted-value-4', /line 1: AWS_REGION is reserved: Lambda sets it itself/],
    ['AWS_ACCESS_KEY_ID=planted-value-5', /AWS_ACCESS_KEY_ID is reserved/],
    ['LAMBDA_TASK_ROOT=planted-value-6', /LAMBDA_TASK_ROOT is reserved/],
    ['A1=x\nA1=planted-value-7', /line 2: A1 is given twice/]
  ])('refuses %j, naming the input and the line, never the value', (text, message) => {
    const refused = () => parse({ ...buildBase, 'import-env': text })
    expect(refused).toThrow(/^import-env: /)
    expect(refused).toThrow(message)
    expect(refused).not.toThrow(/planted-value/)
  })

  it('lets PATH, LANG, TZ, LD_LIBRARY_PATH and PYTHONPATH through: Lambda lets functions set them', () => {
    expect(
      parse({ ...buildBase, 'import-env': 'TZ=Europe/Paris\nLD_LIBRARY_PATH=/opt/extra' }).importEnv
    ).toEqual({ TZ: 'Europe/Paris', LD_LIBRARY_PATH: '/opt/extra' })
  })
})
