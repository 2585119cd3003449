import { describe, expect, it } from 'vitest'
import { CACHE_FORMAT_VERSION } from '../../src/constants.js'
import {
  cacheKey,
  cacheKeyMaterial,
  resolutionSettings,
  type CacheKeyInput
} from '../../src/packaging/stores/cache-key.js'
import { platformTags } from '../../src/packaging/pep/platform-tags.js'
import { parsePipConfigList } from '../../src/packaging/tools/run-tool.js'
import { runtimeNamed as rt } from '../helpers/runtimes.js'

const base: CacheKeyInput = {
  requirements: 'requirement numpy==2.2.6\nrequirement six',
  runtime: rt('python3.11'),
  architecture: 'arm64',
  platformTags: platformTags(rt('python3.11'), 'arm64'),
  installer: { name: 'pip', version: '23.2.1' },
  pipVersion: '23.2.1',
  settings: ['pip-config global.find-links=/opt/wheels'],
  localFindLinks: ['/opt/wheels/a-1-py3-none-any.whl 100'],
  hostMarkers: '3.11 x86_64 Linux cpython',
  allowLinuxWheels: false
}

describe('cacheKey', () => {
  it('has readable segments and a sha256', () => {
    expect(cacheKey(base)).toMatch(
      new RegExp(
        `^lambda-python-deploy-${CACHE_FORMAT_VERSION}-python3\\.11-arm64-pip-[0-9a-f]{64}$`
      )
    )
  })

  it('is stable for the same input', () => {
    expect(cacheKey({ ...base })).toBe(cacheKey(base))
  })

  it('does not depend on the order of find-links files', () => {
    const two = ['/w/b 2', '/w/a 1']
    expect(cacheKey({ ...base, localFindLinks: two })).toBe(
      cacheKey({ ...base, localFindLinks: [...two].reverse() })
    )
  })

  it.each<[string, Partial<CacheKeyInput>]>([
    ['requirements', { requirements: 'requirement numpy==2.2.5\nrequirement six' }],
    ['a hash in the requirements', { requirements: `${base.requirements} --hash=sha256:aa` }],
    ['runtime', { runtime: rt('python3.12') }],
    ['runtime, same glibc', { runtime: rt('python3.10') }],
    ['architecture', { architecture: 'x86_64' }],
    ['platform ladder', { platformTags: base.platformTags.slice(1) }],
    ['uv platform', { uvPlatform: 'aarch64-manylinux2014' }],
    ['installer name', { installer: { name: 'uv', version: '23.2.1' } }],
    ['installer version', { installer: { name: 'pip', version: '24.0' } }],
    ['pip version', { pipVersion: '24.0' }],
    ['settings', { settings: ['env PIP_INDEX_URL=https://mirror/simple'] }],
    ['find-links listing', { localFindLinks: ['/opt/wheels/a-1-py3-none-any.whl 101'] }],
    ['host markers', { hostMarkers: '3.12 x86_64 Linux cpython' }],
    ['allow-linux-wheels', { allowLinuxWheels: true }]
  ])('changes with %s', (_segment, change) => {
    expect(cacheKey({ ...base, ...change })).not.toBe(cacheKey(base))
  })

  it.each(['', '  \n'])('refuses an empty requirements text %j', (requirements) => {
    expect(() => cacheKey({ ...base, requirements })).toThrow(/empty/)
  })

  it('the material lists every segment', () => {
    const material = cacheKeyMaterial(base)
    for (const part of [
      'format: ',
      'runtime: python3.11',
      'architecture: arm64',
      'platforms: manylinux_2_26_aarch64',
      'installer: pip 23.2.1',
      'allow-linux-wheels: false',
      'requirement six'
    ]) {
      expect(material).toContain(part)
    }
  })
})

describe('resolutionSettings', () => {
  const pipConfig = [
    ":env:.cert='/etc/ssl/certs/ca-certificates.crt'",
    ":env:.default-timeout='180'",
    ":env:.find-links='/opt/wheels'",
    "global.extra-index-url='file:///opt/pypi/simple https://u:p@corp/simple'",
    "global.timeout='60'",
    "download.only-binary=':all:'",
    "install.pre='true'"
  ].join('\n')

  it('parses pip config list output', () => {
    expect(parsePipConfigList(pipConfig)[0]).toEqual([
      ':env:.cert',
      '/etc/ssl/certs/ca-certificates.crt'
    ])
  })

  it('keeps what changes resolution, masks credentials, sorts', () => {
    expect(resolutionSettings('pip', {}, pipConfig)).toEqual([
      'pip-config :env:.find-links=/opt/wheels',
      'pip-config download.only-binary=:all:',
      'pip-config global.extra-index-url=file:///opt/pypi/simple https://***@corp/simple',
      'pip-config install.pre=true'
    ])
  })

  it.each([
    ['pip', { PIP_INDEX_URL: 'https://t@m/simple' }, ['env PIP_INDEX_URL=https://***@m/simple']],
    [
      'pip',
      { PIP_EXTRA_INDEX_URL: 'https://x/simple' },
      ['env PIP_EXTRA_INDEX_URL=https://x/simple']
    ],
    ['pip', { PIP_FIND_LINKS: '/w' }, ['env PIP_FIND_LINKS=/w']],
    ['pip', { PIP_PRE: '1' }, ['env PIP_PRE=1']],
    ['pip', { UV_INDEX_URL: 'https://u/simple' }, []],
    ['uv', { UV_INDEX_URL: 'https://u/simple' }, ['env UV_INDEX_URL=https://u/simple']],
    ['uv', { UV_EXTRA_INDEX_URL: 'https://x/simple' }, ['env UV_EXTRA_INDEX_URL=https://x/simple']],
    ['uv', { UV_DEFAULT_INDEX: 'https://d/simple' }, ['env UV_DEFAULT_INDEX=https://d/simple']],
    ['uv', { UV_FIND_LINKS: '/w' }, ['env UV_FIND_LINKS=/w']],
    ['uv', { PIP_INDEX_URL: 'https://m/simple' }, ['env PIP_INDEX_URL=https://m/simple']],
    ['pip', { PIP_DEFAULT_TIMEOUT: '180', HOME: '/root', PIP_INDEX_URL: '' }, []]
  ] as const)('%s with %o', (installer, env, expected) => {
    expect(resolutionSettings(installer, env, '')).toEqual(expected)
  })

  it('a different index gives a different key', () => {
    const a = resolutionSettings('pip', { PIP_INDEX_URL: 'https://a/simple' }, '')
    const b = resolutionSettings('pip', { PIP_INDEX_URL: 'https://b/simple' }, '')
    expect(cacheKey({ ...base, settings: a })).not.toBe(cacheKey({ ...base, settings: b }))
  })

  it('a rotated credential keeps the key', () => {
    const a = resolutionSettings('pip', { PIP_INDEX_URL: 'https://u:one@a/simple' }, '')
    const b = resolutionSettings('pip', { PIP_INDEX_URL: 'https://u:two@a/simple' }, '')
    expect(cacheKey({ ...base, settings: a })).toBe(cacheKey({ ...base, settings: b }))
  })
})
