import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  excludeMatcher,
  isExcludedByDefault,
  listSourceFiles
} from '../../src/packaging/assemble/source-files.js'
import { InputError, UserError } from '../../src/errors.js'

describe('isExcludedByDefault', () => {
  it.each<[string, boolean, boolean]>([
    ['.git', true, true],
    ['.git', false, true],
    ['__pycache__', true, true],
    ['node_modules', true, true],
    ['.venv', true, true],
    ['venv', true, true],
    ['.env', false, true],
    ['.env.production', false, true],
    ['.envrc', false, true],
    ['module.pyc', false, true],
    ['app.py', false, false],
    ['venv', false, false],
    ['environment.py', false, false],
    ['lib', true, false],
    ['.github', true, false]
  ])('%s (directory %s) → %s', (name, isDirectory, excluded) => {
    expect(isExcludedByDefault(name, isDirectory)).toBe(excluded)
  })
})

describe('excludeMatcher', () => {
  it.each<[string[], string, boolean, boolean]>([
    [['*.md'], 'README.md', false, true],
    [['*.md'], 'docs/guide.md', false, true],
    [['docs/*.md'], 'docs/guide.md', false, true],
    [['docs/*.md'], 'other/docs/guide.md', false, false],
    [['tests'], 'tests', true, true],
    [['tests'], 'pkg/tests', true, true],
    [['tests/'], 'tests', true, true],
    [['tests/'], 'tests', false, false],
    [['./scripts/**'], 'scripts/a/b.sh', false, true],
    [['/scripts'], 'scripts', true, true],
    [['*.cfg'], '.hidden.cfg', false, true],
    [['!*.py'], 'app.md', false, false],
    [['', '  '], 'app.py', false, false],
    [['**/fixtures/**'], 'a/fixtures/x.json', false, true]
  ])('%j on %s (directory %s) → %s', (patterns, path, isDirectory, excluded) => {
    expect(excludeMatcher(patterns)(path, isDirectory)).toBe(excluded)
  })
})

describe('listSourceFiles', () => {
  let root: string
  let source: string

  const file = (path: string, content = 'x', mode = 0o644) => {
    const full = join(source, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
    chmodSync(full, mode)
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'source-files-'))
    source = join(root, 'src')
    mkdirSync(source)
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('applies the default excludes and reports them', async () => {
    file('app.py', 'print(1)\n')
    file('pkg/__init__.py')
    file('pkg/__pycache__/x.cpython-311.pyc')
    file('pkg/stale.pyc')
    file('.git/config')
    file('.env')
    file('.env.local')
    file('node_modules/left-pad/index.js')
    file('.venv/bin/python')
    file('venv/lib/x.py')
    file('myenv/pyvenv.cfg')
    file('myenv/lib/python3.11/site-packages/x.py')
    file('requirements.txt', 'six\n')
    const listing = await listSourceFiles(source, { exclude: [] })
    expect(listing.files.map((f) => f.relativePath)).toEqual([
      'app.py',
      'pkg/__init__.py',
      'requirements.txt'
    ])
    expect(listing.excludedByDefault).toEqual([
      '.env',
      '.env.local',
      '.git/',
      '.venv/',
      'myenv/',
      'node_modules/',
      'pkg/__pycache__/',
      'pkg/stale.pyc',
      'venv/'
    ])
    expect(listing.files[0]).toEqual({
      relativePath: 'app.py',
      absolutePath: join(source, 'app.py'),
      size: 9,
      executable: false
    })
    expect(listing.warnings).toEqual([])
  })

  it('applies user globs; a matched folder takes everything below it', async () => {
    file('app.py')
    file('README.md')
    file('docs/guide.md')
    file('tests/test_app.py')
    file('tests/fixtures/data.json')
    file('lib/tests/keep_me_not.py')
    file('lib/util.py')
    const listing = await listSourceFiles(source, { exclude: ['*.md', 'tests/'] })
    expect(listing.files.map((f) => f.relativePath)).toEqual(['app.py', 'lib/util.py'])
    expect(listing.excludedByDefault).toEqual([])
  })

  it('leaves out the output directory when it lies inside source', async () => {
    file('app.py')
    file('dist/function.zip')
    const listing = await listSourceFiles(source, {
      exclude: [],
      excludePaths: [join(source, 'dist')]
    })
    expect(listing.files.map((f) => f.relativePath)).toEqual(['app.py'])
  })

  it('keeps the executable bit and sorts by UTF-8 bytes', async () => {
    file('run.sh', '#!/bin/sh\n', 0o700)
    file('b.py')
    file('B.py')
    file('a/z.py')
    file('a.py')
    const listing = await listSourceFiles(source, { exclude: [] })
    expect(listing.files.map((f) => [f.relativePath, f.executable])).toEqual([
      ['B.py', false],
      ['a.py', false],
      ['a/z.py', false],
      ['b.py', false],
      ['run.sh', true]
    ])
  })

  it('refuses a symlink that resolves outside source, naming it', async () => {
    writeFileSync(join(root, 'credentials'), '[default]\naws_secret_access_key = x\n')
    file('app.py')
    symlinkSync(join(root, 'credentials'), join(source, 'creds'))
    const listing = listSourceFiles(source, { exclude: [] })
    await expect(listing).rejects.toThrow(UserError)
    await expect(listSourceFiles(source, { exclude: [] })).rejects.toThrow(
      `${source}/creds: symbolic link to ${join(root, 'credentials')}, outside the source directory`
    )
    // Excluding the link is the way out.
    const excluded = await listSourceFiles(source, { exclude: ['creds'] })
    expect(excluded.files.map((f) => f.relativePath)).toEqual(['app.py'])
  })

  it('refuses a relative symlink that climbs out of source', async () => {
    writeFileSync(join(root, 'outside.txt'), 'x')
    symlinkSync('../outside.txt', join(source, 'host'))
    await expect(listSourceFiles(source, { exclude: [] })).rejects.toThrow(
      /host: symbolic link to .* outside/
    )
  })

  it('stores a symlink that resolves inside source as a regular file, and walks linked folders', async () => {
    file('shared/config.json', '{"a":1}')
    symlinkSync('shared/config.json', join(source, 'config.json'))
    symlinkSync('shared', join(source, 'alias'))
    const listing = await listSourceFiles(source, { exclude: [] })
    expect(listing.files.map((f) => [f.relativePath, f.size])).toEqual([
      ['alias/config.json', 7],
      ['config.json', 7],
      ['shared/config.json', 7]
    ])
  })

  it('refuses a symlink loop and a dangling symlink', async () => {
    file('pkg/a.py')
    symlinkSync('..', join(source, 'pkg', 'up'))
    await expect(listSourceFiles(source, { exclude: [] })).rejects.toThrow(
      /pkg\/up: symbolic link back/
    )
    rmSync(join(source, 'pkg', 'up'))
    symlinkSync('missing.py', join(source, 'gone.py'))
    await expect(listSourceFiles(source, { exclude: [] })).rejects.toThrow(
      /gone\.py: symbolic link to a missing file/
    )
  })

  it('skips a FIFO with a warning', async () => {
    file('app.py')
    execFileSync('mkfifo', [join(source, 'pipe')])
    const listing = await listSourceFiles(source, { exclude: [] })
    expect(listing.files.map((f) => f.relativePath)).toEqual(['app.py'])
    expect(listing.warnings).toEqual([`${source}/pipe skipped: a FIFO, not a regular file.`])
  })

  it.skipIf(process.getuid?.() === 0)('fails on an unreadable file, naming it', async () => {
    file('secret.py', 'x', 0o000)
    await expect(listSourceFiles(source, { exclude: [] })).rejects.toThrow(
      /secret\.py: cannot be read/
    )
  })

  it('refuses a source that is not a directory, naming the input', async () => {
    await expect(listSourceFiles(join(root, 'missing'), { exclude: [] })).rejects.toThrow(
      InputError
    )
    await expect(listSourceFiles(join(root, 'missing'), { exclude: [] })).rejects.toThrow(
      /^source: /
    )
  })
})
