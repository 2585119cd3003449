import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  bootstrappedUvPath,
  bootstrapUv,
  indexesTried,
  pinnedUvWheel,
  PINNED_UV_VERSION,
  uvDownloadArgs,
  uvHostMachine
} from '../../src/packaging/tools/uv-bootstrap.js'
import { parseWheelName } from '../../src/packaging/pep/wheel-tags.js'

describe('uvHostMachine', () => {
  it.each([
    ['linux', 'x64', { machine: 'x86_64' }],
    ['linux', 'arm64', { machine: 'aarch64' }]
  ] as const)('%s %s → %o', (platform, arch, expected) => {
    expect(uvHostMachine(platform, arch)).toEqual(expected)
  })
  it.each([
    ['darwin', 'arm64', /darwin.*Linux runners only/],
    ['win32', 'x64', /win32/],
    ['linux', 'ppc64', /ppc64.*x64 and arm64 only/]
  ] as const)('%s %s: a reason', (platform, arch, reason) => {
    const result = uvHostMachine(platform, arch)
    expect('reason' in result && result.reason).toMatch(reason)
  })
})

describe('bootstrapUv on a runner it cannot bring uv to', () => {
  it('fails naming setup-uv, and pip only with the runner it is right on', async () => {
    const request = { python: 'python3', env: {}, root: '/nowhere', fetchLines: '', indexes: '' }
    const failure = bootstrapUv({ ...request, platform: 'darwin', arch: 'arm64' })
    await expect(failure).rejects.toThrow(/cannot bring one: .*darwin.*astral-sh\/setup-uv/)
    // pip resolves for the runner's Python: never advised without that condition.
    await expect(failure).rejects.toThrow(
      /installer: pip is right only on a runner whose Python minor and machine are the function's/
    )
  })
})

describe('the pinned uv', () => {
  it.each(['x86_64', 'aarch64'] as const)(
    '%s: a manylinux_2_17 wheel of the pinned version, with sha256 digests',
    (machine) => {
      const pin = pinnedUvWheel(machine)
      const wheel = parseWheelName(pin.file)
      expect(wheel?.project).toBe('uv')
      expect(wheel?.version).toBe(PINNED_UV_VERSION)
      // The tag uvDownloadArgs asks pip for is one the pinned wheel carries.
      const platform = uvDownloadArgs(machine, '/r.txt', '/d')
      expect(wheel?.platformTags).toContain(platform[platform.indexOf('--platform') + 1])
      expect(pin.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(pin.binarySha256).toMatch(/^[0-9a-f]{64}$/)
    }
  )

  it('is the uv the tests install (scripts/tools.mjs reads the same pin)', () => {
    const tools = readFileSync(new URL('../../scripts/tools.mjs', import.meta.url), 'utf8')
    expect(tools).toContain('uv-pin.json')
    const list = readFileSync(
      new URL('../../scripts/tools-requirements.txt', import.meta.url),
      'utf8'
    )
    // No second pin that could drift.
    expect(list).not.toMatch(/^uv==/m)
  })

  it('lives in the tool cache, one folder per version and machine', () => {
    expect(bootstrappedUvPath('/cache/lambda-python-deploy', 'aarch64')).toBe(
      `/cache/lambda-python-deploy/tools/uv-${PINNED_UV_VERSION}-aarch64/uv`
    )
  })

  it('is fetched alone, as a wheel, from a requirements file', () => {
    expect(uvDownloadArgs('x86_64', '/w/uv.txt', '/w/wheel')).toEqual([
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--platform',
      'manylinux_2_17_x86_64',
      '--no-input',
      '--progress-bar=off',
      '-d',
      '/w/wheel',
      '-r',
      '/w/uv.txt'
    ])
  })
})

describe('indexesTried', () => {
  it.each([
    ['nothing configured: PyPI', '', [], 'https://pypi.org/simple'],
    [
      'PIP_INDEX_URL over pip.conf, credentials masked',
      "global.index-url='https://conf.test/simple'\n:env:.index-url='https://u:secret@mirror.test/simple'\n",
      [],
      'https://***@mirror.test/simple'
    ],
    [
      "the requirements file's --index-url first; extras and find-links after",
      "global.extra-index-url='file:///opt/a/simple'\n:env:.find-links='/opt/wheels'\n",
      ['--index-url', 'https://req.test/simple', '--pre'],
      'https://req.test/simple, /opt/wheels, file:///opt/a/simple'
    ],
    ['--no-index with find-links', '', ['--no-index', '--find-links', '/links'], '/links'],
    ['--no-index alone', '', ['--no-index'], 'no index (--no-index and no find-links)']
  ] as const)('%s', (_name, config, fetchArgs, expected) => {
    expect(indexesTried(config, fetchArgs)).toBe(expected)
  })
})
