import { describe, expect, it } from 'vitest'
import type { Architecture } from '../../src/lambda-facts.js'
import {
  fetchOptionLines,
  pipDownloadArgs,
  pipIndexArgsFromUvEnv,
  pipSdistDownloadArgs,
  uvCompileArgs,
  uvPythonPlatform,
  uvSourcesFromPip
} from '../../src/packaging/tools/tool-args.js'
import { platformTags } from '../../src/packaging/pep/platform-tags.js'
import { runtimeNamed as rt } from '../helpers/runtimes.js'

/** The values that follow each occurrence of `option`. */
function valuesOf(args: string[], option: string): string[] {
  return args.flatMap((arg, i) => (arg === option ? [args[i + 1] as string] : []))
}

describe('platformTags', () => {
  it.each([
    ['python3.9', 'x86_64', 26, 'x86_64'],
    ['python3.10', 'arm64', 26, 'aarch64'],
    ['python3.11', 'x86_64', 26, 'x86_64'],
    ['python3.11', 'arm64', 26, 'aarch64'],
    ['python3.12', 'x86_64', 34, 'x86_64'],
    ['python3.12', 'arm64', 34, 'aarch64'],
    ['python3.13', 'arm64', 34, 'aarch64'],
    ['python3.14', 'x86_64', 34, 'x86_64']
  ] as [string, Architecture, number, string][])(
    '%s %s: manylinux_2_%i down to 2_17 and manylinux2014, machine %s',
    (runtime, architecture, newest, machine) => {
      const tags = platformTags(rt(runtime), architecture)
      const expected = [
        ...Array.from({ length: newest - 16 }, (_, i) => `manylinux_2_${newest - i}_${machine}`),
        `manylinux2014_${machine}`
      ]
      expect(tags).toEqual(expected)
      expect(tags[0]).toBe(`manylinux_2_${newest}_${machine}`)
      expect(tags).toContain(`manylinux_2_17_${machine}`)
      expect(tags.some((t) => t.includes('manylinux_2_27_') || t.includes('manylinux_2_28_'))).toBe(
        newest >= 28
      )
    }
  )
  it.each([
    ['python3.11', 'x86_64', 'linux_x86_64'],
    ['python3.12', 'arm64', 'linux_aarch64']
  ] as [string, Architecture, string][])(
    '%s %s with allow-linux-wheels: %s last, after the whole manylinux ladder',
    (runtime, architecture, linux) => {
      const tags = platformTags(rt(runtime), architecture, { allowLinuxWheels: true })
      expect(tags.slice(0, -1)).toEqual(platformTags(rt(runtime), architecture))
      expect(tags.at(-1)).toBe(linux)
      const args = pipDownloadArgs({
        runtime: rt(runtime),
        architecture,
        destination: '/d',
        requirementsFile: '/r.txt',
        allowLinuxWheels: true
      })
      expect(valuesOf(args, '--platform')).toEqual(tags)
    }
  )
})

describe('pipDownloadArgs', () => {
  it.each([
    ['python3.11', 'arm64', '3.11', 'cp311', 'aarch64', 11],
    ['python3.12', 'x86_64', '3.12', 'cp312', 'x86_64', 19],
    ['python3.9', 'x86_64', '3.9', 'cp39', 'x86_64', 11]
  ] as [string, Architecture, string, string, string, number][])(
    '%s %s: --python-version %s --abi %s, %i platforms',
    (runtime, architecture, version, abi, machine, platformCount) => {
      const args = pipDownloadArgs({
        runtime: rt(runtime),
        architecture,
        destination: '/d',
        requirementsFile: '/r.txt'
      })
      expect(args[0]).toBe('download')
      expect(args).toContain('--only-binary=:all:')
      expect(valuesOf(args, '--platform')).toEqual(platformTags(rt(runtime), architecture))
      expect(valuesOf(args, '--platform')).toHaveLength(platformCount)
      expect(valuesOf(args, '--platform').every((p) => p.endsWith(`_${machine}`))).toBe(true)
      expect(valuesOf(args, '--implementation')).toEqual(['cp'])
      expect(valuesOf(args, '--python-version')).toEqual([version])
      expect(valuesOf(args, '--abi')).toEqual([abi])
      expect(valuesOf(args, '-d')).toEqual(['/d'])
      expect(valuesOf(args, '-r')).toEqual(['/r.txt'])
      expect(args).not.toContain('--no-deps')
    }
  )

  it.each([
    [{ noDeps: true }, ['--no-deps'], []],
    [{ findLinks: ['/built'] }, [], ['/built']],
    [{ noDeps: true, findLinks: ['/a', '/b'] }, ['--no-deps'], ['/a', '/b']],
    [{ noDeps: true, ignoreRequiresPython: true }, ['--no-deps', '--ignore-requires-python'], []]
  ])('options %o', (extra, flags, findLinks) => {
    const args = pipDownloadArgs({
      runtime: rt('python3.12'),
      architecture: 'arm64',
      destination: '/d',
      requirementsFile: '/r.txt',
      ...extra
    })
    const optional = ['--no-deps', '--ignore-requires-python']
    expect(args.filter((arg) => optional.includes(arg))).toEqual(flags)
    expect(valuesOf(args, '--find-links')).toEqual(findLinks)
  })

  it('source download: no binaries, target interpreter for Requires-Python, no deps', () => {
    const args = pipSdistDownloadArgs({
      runtime: rt('python3.11'),
      destination: '/s',
      requirementsFile: '/q.txt'
    })
    expect(args).toEqual(expect.arrayContaining(['download', '--no-deps', '--no-binary=:all:']))
    expect(valuesOf(args, '--python-version')).toEqual(['3.11'])
    expect(args).not.toContain('--only-binary=:all:')
  })
})

describe('uvPythonPlatform', () => {
  it.each([
    ['python3.9', 'x86_64', 'x86_64-manylinux2014'],
    ['python3.11', 'x86_64', 'x86_64-manylinux2014'],
    ['python3.11', 'arm64', 'aarch64-manylinux2014'],
    ['python3.12', 'x86_64', 'x86_64-manylinux_2_34'],
    ['python3.13', 'arm64', 'aarch64-manylinux_2_34'],
    ['python3.14', 'arm64', 'aarch64-manylinux_2_34']
  ] as [string, Architecture, string][])('%s %s → %s', (runtime, architecture, expected) => {
    const platform = uvPythonPlatform(rt(runtime), architecture)
    expect(platform).toBe(expected)
    // uv maps *-unknown-linux-gnu to manylinux_2_28: too new for Amazon Linux 2.
    expect(platform).not.toContain('unknown-linux-gnu')
  })
})

describe('uvCompileArgs', () => {
  it.each([
    ['python3.11', 'arm64', '3.11', 'aarch64-manylinux2014'],
    ['python3.12', 'x86_64', '3.12', 'x86_64-manylinux_2_34']
  ] as [string, Architecture, string, string][])(
    '%s %s: --python-version %s --python-platform %s',
    (runtime, architecture, version, platform) => {
      const args = uvCompileArgs({
        runtime: rt(runtime),
        architecture,
        requirementsFile: '/r.txt',
        outputFile: '/pinned.txt',
        findLinks: ['/built']
      })
      expect(args.slice(0, 2)).toEqual(['pip', 'compile'])
      expect(valuesOf(args, '--python-version')).toEqual([version])
      expect(valuesOf(args, '--python-platform')).toEqual([platform])
      expect(valuesOf(args, '--only-binary')).toEqual([':all:'])
      expect(valuesOf(args, '--output-file')).toEqual(['/pinned.txt'])
      expect(valuesOf(args, '--find-links')).toEqual(['/built'])
      expect(args).toEqual(
        expect.arrayContaining(['--no-config', '--emit-index-url', '--emit-find-links'])
      )
      expect(args.at(-1)).toBe('/r.txt')
    }
  )
})

describe('pipIndexArgsFromUvEnv', () => {
  it.each([
    [{}, []],
    [{ UV_INDEX_URL: 'https://a/simple' }, ['--index-url', 'https://a/simple']],
    [
      { UV_DEFAULT_INDEX: 'https://d/simple', UV_INDEX_URL: 'https://a/simple' },
      ['--index-url', 'https://d/simple']
    ],
    [
      { UV_EXTRA_INDEX_URL: 'https://x/simple https://y/simple' },
      ['--extra-index-url', 'https://x/simple', '--extra-index-url', 'https://y/simple']
    ],
    [
      { UV_INDEX: 'corp=https://c/simple https://p/simple' },
      ['--extra-index-url', 'https://c/simple', '--extra-index-url', 'https://p/simple']
    ],
    [{ UV_FIND_LINKS: '/w1,/w2' }, ['--find-links', '/w1', '--find-links', '/w2']]
  ])('%o', (env, expected) => {
    expect(pipIndexArgsFromUvEnv(env)).toEqual(expected)
  })
})

describe('uvSourcesFromPip', () => {
  const pypiMirror = 'https://user:token@mirror.test/simple'
  it.each([
    ['pip has no index settings', {}, [], { env: {}, args: [] }],
    [
      'PIP_INDEX_URL (an :env: entry) wins over pip.conf',
      {},
      [
        ['global.index-url', 'https://conf.test/simple'],
        [':env:.index-url', pypiMirror]
      ],
      { env: { UV_DEFAULT_INDEX: pypiMirror }, args: [] }
    ],
    [
      'extra indexes are merged as pip merges them; find-links comma-separated',
      {},
      [
        ['global.extra-index-url', 'file:///opt/a/simple file:///opt/b/simple'],
        ['global.find-links', '/opt/wheels /opt/more']
      ],
      {
        env: {
          UV_EXTRA_INDEX_URL: 'file:///opt/a/simple file:///opt/b/simple',
          UV_INDEX_STRATEGY: 'unsafe-best-match',
          UV_FIND_LINKS: '/opt/wheels,/opt/more'
        },
        args: []
      }
    ],
    [
      'the user chose an index strategy: kept',
      { UV_INDEX_STRATEGY: 'first-index' },
      [['global.extra-index-url', 'https://x.test/simple']],
      { env: { UV_EXTRA_INDEX_URL: 'https://x.test/simple' }, args: [] }
    ],
    [
      'no-index',
      {},
      [
        [':env:.no-index', 'true'],
        [':env:.find-links', '/w']
      ],
      { env: { UV_FIND_LINKS: '/w' }, args: ['--no-index'] }
    ],
    ['no-index=false', {}, [[':env:.no-index', 'false']], { env: {}, args: [] }],
    [
      "pip's CA bundle is uv's too, even when uv has its own indexes",
      { UV_INDEX_URL: 'https://uv.test/simple' },
      [['global.cert', '/etc/corp-ca.pem']],
      { env: { SSL_CERT_FILE: '/etc/corp-ca.pem' }, args: [] }
    ],
    [
      'SSL_CERT_FILE already set: kept',
      { SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt' },
      [['global.cert', '/etc/corp-ca.pem']],
      { env: {}, args: [] }
    ],
    [
      'uv has index settings of its own: pip is not consulted',
      { UV_INDEX_URL: 'https://uv.test/simple' },
      [[':env:.index-url', pypiMirror]],
      { env: {}, args: [] }
    ]
  ] as const)('%s', (_name, env, config, expected) => {
    expect(uvSourcesFromPip(env, config)).toEqual(expected)
  })
})

describe('fetchOptionLines', () => {
  it.each([
    ['pip', [], {}, ''],
    [
      'pip',
      ['--index-url', 'https://u:p@i.test/simple', '--no-index', '--find-links', '/w'],
      { UV_INDEX_URL: 'https://uv.test/simple' },
      '--index-url https://u:p@i.test/simple\n--no-index\n--find-links /w\n'
    ],
    // uv's own index variables, for the pip runs that fetch on uv's behalf.
    [
      'uv',
      ['--pre'],
      { UV_INDEX_URL: 'https://uv.test/simple' },
      '--pre\n--index-url https://uv.test/simple\n'
    ]
  ] as const)('%s %o', (installer, args, env, expected) => {
    expect(fetchOptionLines(args, installer, env)).toBe(expected)
  })
})
