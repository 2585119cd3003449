import { describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import {
  expandEnvironment,
  findCredentials,
  logicalLines,
  maskCredentials,
  parseRequirements,
  type RequirementsReader
} from '../../src/packaging/requirements/requirements-file.js'
import {
  hashProblems,
  hostMarkerWarnings,
  normalizedRequirements,
  type HostMarkers
} from '../../src/packaging/requirements/dependency-set.js'
import { runtimeNamed as rt } from '../helpers/runtimes.js'

function reader(files: Record<string, string>, dirs: string[] = []): RequirementsReader {
  return {
    readText: (path) => files[path],
    isDirectory: (path) => dirs.includes(path)
  }
}

function parse(
  files: Record<string, string>,
  env: Record<string, string> = {},
  dirs: string[] = []
) {
  return parseRequirements('/p/requirements.txt', reader(files, dirs), env)
}

function failure(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    return (error as Error).message
  }
  throw new Error('expected a UserError')
}

describe('logicalLines', () => {
  it.each([
    [
      'a\nb',
      [
        [1, 'a'],
        [2, 'b']
      ]
    ],
    ['# c\n\n  a  # trailing\n', [[3, 'a']]],
    [
      'a \\\n  ==1.0 \\\n  --hash=sha256:ab\nb',
      [
        [1, 'a   ==1.0   --hash=sha256:ab'],
        [4, 'b']
      ]
    ],
    ['a#not-a-comment', [[1, 'a#not-a-comment']]],
    [
      'a \\\n# comment ends it\nb',
      [
        [1, 'a'],
        [3, 'b']
      ]
    ],
    [
      'a\r\nb\r\n',
      [
        [1, 'a'],
        [2, 'b']
      ]
    ]
  ])('%j', (content, expected) => {
    expect(logicalLines(content).map((l) => [l.line, l.text])).toEqual(expected)
  })
})

describe('credentials', () => {
  it.each([
    ['https://user:pass@host/simple', 'https://***@host/simple', ['user:pass', 'pass']],
    ['https://TOKEN@host/simple', 'https://***@host/simple', ['TOKEN']],
    [
      '--index-url https://u:p%40x@h/s pkg',
      '--index-url https://***@h/s pkg',
      ['u:p%40x', 'p%40x', 'u:p@x', 'p@x']
    ],
    ['https://host/simple', 'https://host/simple', []],
    ['name@example.com numpy', 'name@example.com numpy', []],
    // Tokens in the path, as private indexes hand them out.
    [
      '--index-url https://repo.example/api/pypi/AbCdEf0123456789xyz/simple',
      '--index-url https://repo.example/api/pypi/***/simple',
      ['AbCdEf0123456789xyz']
    ],
    [
      'https://dl.example.io/4f7c2a9e-1b3d-4c5e-8a6b-0d9e8f7a6b5c/org/python/simple/',
      'https://dl.example.io/***/org/python/simple/',
      ['4f7c2a9e-1b3d-4c5e-8a6b-0d9e8f7a6b5c']
    ],
    // After `t/`, `token/` and the like the segment is a credential whatever its shape.
    [
      'https://pypi.anaconda.example/t/my-short-tok/chan/simple',
      'https://pypi.anaconda.example/t/***/chan/simple',
      ['my-short-tok']
    ],
    [
      'https://u:p@host/api/pypi/Tok3nTok3nTok3nTok3n/simple.',
      'https://***@host/api/pypi/***/simple.',
      ['u:p', 'p', 'Tok3nTok3nTok3nTok3n']
    ],
    // Query parameters named as credentials, or holding a token.
    [
      'https://host/simple/?token=abc&region=eu&x=Zq9Zq9Zq9Zq9Zq9Zq9',
      'https://host/simple/?token=***&region=eu&x=***',
      ['abc', 'Zq9Zq9Zq9Zq9Zq9Zq9']
    ],
    // Names are not tokens: repository names, versions, a digest fragment.
    [
      'https://host/artifactory/api/pypi/pypi-remote-2024/simple',
      'https://host/artifactory/api/pypi/pypi-remote-2024/simple',
      []
    ],
    [
      'https://host/pkg-1.0.tar.gz#sha256=0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      'https://host/pkg-1.0.tar.gz#sha256=0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      []
    ],
    [
      'Looking in indexes: https://h/simple, https://h/x/K3yK3yK3yK3yK3yK3y/simple',
      'Looking in indexes: https://h/simple, https://h/x/***/simple',
      ['K3yK3yK3yK3yK3yK3y']
    ]
  ])('%s', (text, masked, secrets) => {
    expect(maskCredentials(text)).toBe(masked)
    expect(findCredentials(text).sort()).toEqual([...secrets].sort())
  })

  it("keeps a direct URL's path in the cache key text, and still registers its tokens", () => {
    const digest = '3f1a9c0b7d2e4f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a'
    const parsed = parse({
      '/p/requirements.txt': [
        '--extra-index-url https://repo.example/api/pypi/AbCdEf0123456789xyz/simple',
        `lpd @ https://u:pw@files.example/${digest}/lpd-1.0-py3-none-any.whl`
      ].join('\n')
    })
    const text = normalizedRequirements(parsed)
    // Two wheels at two digests are two cache keys; the index token is masked.
    expect(text).toContain(`lpd @ https://***@files.example/${digest}/lpd-1.0-py3-none-any.whl`)
    expect(text).toContain('https://repo.example/api/pypi/***/simple')
    expect(text).not.toMatch(/AbCdEf0123456789xyz|u:pw/)
    expect(parsed.secrets).toEqual(
      expect.arrayContaining(['AbCdEf0123456789xyz', 'u:pw', 'pw', digest])
    )
  })

  it.each([
    [
      'https://${USER_X}:${TOKEN}@h/simple',
      { USER_X: 'me', TOKEN: 't0k' },
      'https://me:t0k@h/simple'
    ],
    ['${UNSET}', {}, '${UNSET}'],
    ['$TOKEN ${lower}', { TOKEN: 'x', lower: 'y' }, '$TOKEN ${lower}']
  ])('expandEnvironment(%s)', (text, env, expected) => {
    expect(expandEnvironment(text, env)).toBe(expected)
  })
})

describe('parseRequirements', () => {
  it('reads includes relative to the including file, constraints, hashes and options', () => {
    const parsed = parse({
      '/p/requirements.txt': [
        '--index-url https://user:s3cret@pypi.corp/simple',
        '-r base/common.txt',
        '--constraint=constraints.txt',
        'numpy==2.2.6 \\',
        '    --hash=sha256:BBBB \\',
        '    --hash=sha256:aaaa',
        'requests[socks] >= 2.0 ; python_version < "3.12"'
      ].join('\n'),
      '/p/base/common.txt': '# shared\n-r ../more.txt\nsix\n',
      '/p/more.txt': 'attrs>=23\n',
      '/p/constraints.txt': 'urllib3<3\n'
    })
    expect(parsed.files).toEqual([
      '/p/requirements.txt',
      '/p/base/common.txt',
      '/p/more.txt',
      '/p/constraints.txt'
    ])
    expect(parsed.requirements.map((r) => r.project)).toEqual(['attrs', 'six', 'numpy', 'requests'])
    expect(parsed.constraints.map((r) => [r.project, r.file, r.line])).toEqual([
      ['urllib3', '/p/constraints.txt', 1]
    ])
    const numpy = parsed.requirements.find((r) => r.project === 'numpy')
    expect(numpy).toMatchObject({
      line: 4,
      hashes: ['sha256:aaaa', 'sha256:bbbb'],
      text: 'numpy==2.2.6'
    })
    expect(parsed.hashMode).toBe(true)
    expect(parsed.requirements.find((r) => r.project === 'requests')?.markerVariables).toEqual([
      'python_version'
    ])
    expect(parsed.options).toEqual([
      {
        file: '/p/requirements.txt',
        line: 1,
        option: '--index-url',
        value: 'https://user:s3cret@pypi.corp/simple',
        shown: 'https://***@pypi.corp/simple'
      }
    ])
    expect(parsed.fetchArgs).toEqual(['--index-url', 'https://user:s3cret@pypi.corp/simple'])
    expect(parsed.secrets.sort()).toEqual(['s3cret', 'user:s3cret'])
    expect(normalizedRequirements(parsed)).not.toContain('s3cret')
  })

  it.each([
    ['-i https://h/simple', '--index-url', 'https://h/simple'],
    ['--index-url=https://h/simple', '--index-url', 'https://h/simple'],
    ['--extra-index-url https://x/simple', '--extra-index-url', 'https://x/simple'],
    ['-f https://h/links', '--find-links', 'https://h/links'],
    ['--pre', '--pre', undefined],
    ['--no-index', '--no-index', undefined],
    ['--prefer-binary', '--prefer-binary', undefined],
    ['--only-binary :all:', '--only-binary', ':all:'],
    ['--trusted-host h', '--trusted-host', 'h'],
    ['--require-hashes', '--require-hashes', undefined]
  ])('option line %s', (line, option, value) => {
    const parsed = parse({ '/p/requirements.txt': `${line}\nsix\n` })
    expect(parsed.options[0]).toEqual({
      file: '/p/requirements.txt',
      line: 1,
      option,
      ...(value === undefined ? {} : { value, shown: value })
    })
    expect(parsed.hashMode).toBe(option === '--require-hashes')
  })

  it('resolves a local find-links directory beside the requirements file', () => {
    const parsed = parse({ '/p/requirements.txt': '--find-links wheels\nsix\n' }, {}, ['/p/wheels'])
    expect(parsed.localFindLinks).toEqual(['/p/wheels'])
    expect(parsed.fetchArgs).toEqual(['--find-links', '/p/wheels'])
    expect(normalizedRequirements(parsed)).toContain('option --find-links /p/wheels')
  })

  it('expands ${VAR} as pip does and keeps the credential out of the key text', () => {
    const parsed = parse(
      { '/p/requirements.txt': '--extra-index-url https://__token__:${TOKEN}@h/simple\nsix\n' },
      { TOKEN: 'abc123' }
    )
    expect(parsed.secrets).toContain('abc123')
    expect(parsed.fetchArgs).toContain('https://__token__:abc123@h/simple')
    expect(normalizedRequirements(parsed)).toContain('https://***@h/simple')
  })

  it.each([
    ['numpy', 'numpy'],
    ['Pillow==10.0', 'pillow'],
    ['zope.interface>=5', 'zope-interface'],
    ['pkg @ https://files.example/pkg-1.0-py3-none-any.whl', 'pkg'],
    ['pkg[extra] ~= 1.0; sys_platform == "linux"', 'pkg'],
    ['https://files.example/pkg-1.0-py3-none-any.whl', undefined]
  ])('requirement %s → project %s', (line, project) => {
    const parsed = parse({ '/p/requirements.txt': line })
    expect(parsed.requirements[0]?.project).toBe(project)
  })

  it.each([
    ['a; platform_machine == "aarch64"', ['platform_machine']],
    [
      'a; python_full_version >= "3.11.2" and os_name == "posix"',
      ['os_name', 'python_full_version']
    ],
    [
      'a; implementation_name == "cpython" or platform_python_implementation == "PyPy"',
      ['implementation_name', 'platform_python_implementation']
    ],
    [
      'a; platform_system == "Linux" and sys_platform == "linux"',
      ['platform_system', 'sys_platform']
    ],
    [
      'a; platform_release >= "5" and platform_version > "1"',
      ['platform_release', 'platform_version']
    ],
    ['a; extra == "x"', []],
    ['a>=1', []],
    ['a; os.name == "posix"', ['os_name']]
  ])('marker variables of %s', (line, variables) => {
    expect(parse({ '/p/requirements.txt': line }).requirements[0]?.markerVariables).toEqual(
      variables
    )
  })

  it.each([
    ['fastapi[standard]==0.115.6', ['standard'], ''],
    [
      'requests[Socks, use_chardet_on_py3] >=2.31 ; python_version >= "3.8"',
      ['socks', 'use-chardet-on-py3'],
      'python_version >= "3.8"'
    ],
    ['uvicorn [standard]', ['standard'], ''],
    ['pkg[extra]; os_name == "posix"', ['extra'], 'os_name == "posix"'],
    ['six', [], '']
  ])('extras and marker of %s', (line, extras, marker) => {
    const [entry] = parse({ '/p/requirements.txt': line }).requirements
    expect(entry?.extras).toEqual(extras)
    expect(entry?.marker).toBe(marker)
  })

  it.each([
    ['-e .', 'requirements.txt:1', 'editable'],
    ['--editable=git+https://github.com/a/b', 'requirements.txt:1', 'editable'],
    ['six\ngit+https://github.com/a/b@v1#egg=b', 'requirements.txt:2', 'VCS'],
    ['b @ git+https://tok@github.com/a/b', 'requirements.txt:1', 'VCS'],
    ['./local/pkg', 'requirements.txt:1', 'local path'],
    ['/abs/pkg-1.0-py3-none-any.whl', 'requirements.txt:1', 'local path'],
    ['pkg-1.0-py3-none-any.whl', 'requirements.txt:1', 'local path'],
    ['pkg @ file:///tmp/pkg', 'requirements.txt:1', 'local path'],
    ['pkg @ ./pkg', 'requirements.txt:1', 'local path'],
    ['dir/', 'requirements.txt:1', 'local path']
  ])('refuses %j at %s', (content, where, what) => {
    const message = failure(() => parse({ '/p/requirements.txt': content }))
    expect(message).toContain(where)
    expect(message).toContain(what)
    expect(message).toContain('--find-links')
    expect(message).not.toContain('tok@')
  })

  it('a missing include names the file and the line that includes it', () => {
    const message = failure(() => parse({ '/p/requirements.txt': 'six\n-r sub/missing.txt\n' }))
    expect(message).toContain('requirements.txt:2')
    expect(message).toContain('sub/missing.txt')
    expect(message).toContain('/p/sub/missing.txt')
  })

  it('a missing top-level file names it', () => {
    expect(failure(() => parse({}))).toContain('/p/requirements.txt')
  })

  it.each([
    [{ '/p/requirements.txt': '-r requirements.txt' }, 'requirements.txt → requirements.txt'],
    [
      { '/p/requirements.txt': '-r a.txt', '/p/a.txt': '-c b.txt', '/p/b.txt': '-r a.txt' },
      'requirements.txt → a.txt → b.txt → a.txt'
    ]
  ])('refuses an include cycle %#', (files, chain) => {
    const message = failure(() => parse(files))
    expect(message).toContain('cycle')
    expect(message).toContain(chain)
  })

  it('a file included twice without a cycle is read twice, as pip does', () => {
    const parsed = parse({
      '/p/requirements.txt': '-r a.txt\n-r b.txt',
      '/p/a.txt': '-r common.txt',
      '/p/b.txt': '-r common.txt',
      '/p/common.txt': 'six'
    })
    expect(parsed.requirements.map((r) => r.project)).toEqual(['six', 'six'])
  })

  it.each([
    ['--no-such-option', 'option --no-such-option is not supported'],
    ['six --pre', 'option --pre is not supported'],
    ['--index-url', 'needs a value'],
    ['six --hash=md5:abcd', 'not a sha256'],
    ['-r https://example.com/r.txt', 'includes by URL']
  ])('%s fails: %s', (line, message) => {
    expect(failure(() => parse({ '/p/requirements.txt': line }))).toContain(message)
  })
})

describe('normalizedRequirements', () => {
  const index = '--index-url https://u:one@h/simple\n'
  const base = {
    '/p/requirements.txt': `${index}-r common.txt\nnumpy==2.2.6 --hash=sha256:aa\n`,
    '/p/common.txt': 'six\n'
  }
  const text = normalizedRequirements(parse(base))

  it.each([
    [
      'comments and blank lines',
      {
        ...base,
        '/p/requirements.txt': `# hi\n\n${index}-r common.txt   # c\nnumpy==2.2.6   --hash=sha256:aa\n`
      }
    ],
    [
      'a line continuation',
      {
        ...base,
        '/p/requirements.txt': `${index}-r common.txt\nnumpy==2.2.6 \\\n --hash=sha256:aa\n`
      }
    ],
    [
      'the include inlined by hand',
      { '/p/requirements.txt': `${index}six\nnumpy==2.2.6 --hash=sha256:aa\n` }
    ],
    [
      'a rotated credential',
      {
        ...base,
        '/p/requirements.txt': `--index-url https://u:two@h/simple\n-r common.txt\nnumpy==2.2.6 --hash=sha256:aa\n`
      }
    ]
  ])('unchanged by %s', (_what, files) => {
    expect(normalizedRequirements(parse(files))).toBe(text)
  })

  it.each([
    ['an included file changes', { ...base, '/p/common.txt': 'six==1.16\n' }],
    [
      'a hash changes',
      { ...base, '/p/requirements.txt': `${index}-r common.txt\nnumpy==2.2.6 --hash=sha256:ab\n` }
    ],
    [
      'an index option is added',
      {
        ...base,
        '/p/requirements.txt': `${index}--extra-index-url https://x/simple\n-r common.txt\nnumpy==2.2.6 --hash=sha256:aa\n`
      }
    ],
    [
      'the index host changes',
      {
        ...base,
        '/p/requirements.txt': `--index-url https://u:one@other/simple\n-r common.txt\nnumpy==2.2.6 --hash=sha256:aa\n`
      }
    ],
    [
      'a requirement becomes a constraint',
      { ...base, '/p/requirements.txt': `${index}-c common.txt\nnumpy==2.2.6 --hash=sha256:aa\n` }
    ]
  ])('changed when %s', (_what, files) => {
    expect(normalizedRequirements(parse(files))).not.toBe(text)
  })
})

describe('hostMarkerWarnings', () => {
  const linux311: HostMarkers = {
    pythonVersion: '3.11',
    machine: 'x86_64',
    system: 'Linux',
    implementation: 'cpython'
  }
  const parsed = parse({
    '/p/requirements.txt': [
      'a; platform_machine == "aarch64"',
      'b; python_version < "3.12"',
      'c; sys_platform == "linux"',
      'd',
      'e; extra == "x"'
    ].join('\n')
  })

  it.each([
    ['python3.11', 'x86_64', linux311, []],
    ['python3.11', 'arm64', linux311, ['requirements.txt:1']],
    ['python3.12', 'x86_64', linux311, ['requirements.txt:2']],
    ['python3.12', 'arm64', linux311, ['requirements.txt:1', 'requirements.txt:2']],
    [
      'python3.11',
      'arm64',
      { ...linux311, system: 'Darwin', machine: 'arm64' },
      ['requirements.txt:1', 'requirements.txt:3']
    ]
  ] as const)('%s %s from %o', (runtime, architecture, host, where) => {
    const warnings = hostMarkerWarnings(parsed, host, rt(runtime), architecture)
    expect(warnings.map((w) => w.split(': ')[0])).toEqual(where)
    for (const warning of warnings) {
      expect(warning).toContain('pypa/pip#11664')
      expect(warning).toContain('installer: auto (the default) or uv')
    }
  })
})

describe('hashProblems', () => {
  const parsed = parse({
    '/p/requirements.txt': 'six==1.17.0 --hash=sha256:aa --hash=sha512:cc\nattrs\n'
  })
  const six = (digests: Record<string, string>) => ({
    file: 'six-1.17.0-py2.py3-none-any.whl',
    project: 'six',
    digests
  })

  it.each([
    ['sha256 matches', [six({ sha256: 'aa', sha512: 'zz' })], 0],
    ['sha512 matches', [six({ sha256: 'bb', sha512: 'cc' })], 0],
    ['no hash matches', [six({ sha256: 'bb', sha512: 'zz' })], 1],
    [
      'a package without --hash in hash-checking mode',
      [{ file: 'attrs-1-py3-none-any.whl', project: 'attrs', digests: { sha256: 'x' } }],
      1
    ]
  ])('%s', (_what, wheels, count) => {
    const problems = hashProblems(parsed, wheels)
    expect(problems).toHaveLength(count)
    if (count > 0) expect(problems[0]).toMatch(/six|attrs/)
  })

  it('names the requirement line of a mismatch', () => {
    expect(hashProblems(parsed, [six({ sha256: 'bb', sha512: 'zz' })])[0]).toContain(
      'requirements.txt:1'
    )
  })
})
