import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  defaultExclusion,
  pemHoldsSecret,
  type DefaultExclusion
} from '../../src/packaging/assemble/default-excludes.js'
import {
  excludeMatcher,
  listSourceFiles,
  workspaceRootWarning
} from '../../src/packaging/assemble/source-files.js'
import { InputError, UserError } from '../../src/errors.js'

const CREDENTIALS = 'credentials'
const NOT_FOR_LAMBDA = 'not for Lambda'

describe('defaultExclusion', () => {
  it.each<[string, boolean, DefaultExclusion | undefined]>([
    ['.git', true, NOT_FOR_LAMBDA],
    ['.git', false, NOT_FOR_LAMBDA],
    ['__pycache__', true, NOT_FOR_LAMBDA],
    ['node_modules', true, NOT_FOR_LAMBDA],
    ['.venv', true, NOT_FOR_LAMBDA],
    ['venv', true, NOT_FOR_LAMBDA],
    ['.env', false, NOT_FOR_LAMBDA],
    ['.env.production', false, NOT_FOR_LAMBDA],
    ['.envrc', false, NOT_FOR_LAMBDA],
    ['module.pyc', false, NOT_FOR_LAMBDA],
    ['app.py', false, undefined],
    ['venv', false, undefined],
    ['environment.py', false, undefined],
    ['lib', true, undefined],
    ['.github', true, undefined],
    // Credentials other steps leave in the workspace, at any depth.
    ['gha-creds-1a2b3c4d5e6f.json', false, CREDENTIALS],
    ['.npmrc', false, CREDENTIALS],
    ['.pypirc', false, CREDENTIALS],
    ['.netrc', false, CREDENTIALS],
    ['_netrc', false, CREDENTIALS],
    ['.git-credentials', false, CREDENTIALS],
    ['keys/id_rsa', false, CREDENTIALS],
    ['id_ed25519', false, CREDENTIALS],
    ['id_ecdsa', false, CREDENTIALS],
    ['client.p12', false, CREDENTIALS],
    ['store.pfx', false, CREDENTIALS],
    ['application_default_credentials.json', false, CREDENTIALS],
    ['.aws', true, CREDENTIALS],
    ['home/.azure', true, CREDENTIALS],
    ['.ssh', true, CREDENTIALS],
    ['.gnupg', true, CREDENTIALS],
    ['.config/gcloud', true, CREDENTIALS],
    ['.docker/config.json', false, CREDENTIALS],
    ['.kube/config', false, CREDENTIALS],
    // Only in their place, or of their kind.
    ['config.json', false, undefined],
    ['gcloud', true, undefined],
    ['.config', true, undefined],
    ['.docker', true, undefined],
    ['id_rsa.pub', false, undefined],
    ['.aws', false, undefined],
    ['credentials.py', false, undefined],
    ['gha-creds.py', false, undefined]
  ])('%s (directory %s) → %s', (path, isDirectory, exclusion) => {
    expect(defaultExclusion(path, isDirectory)).toBe(exclusion)
  })
})

const pem = (label: string): string =>
  `-----BEGIN ${label}-----\nMIIBszCCAVmgAwIBAgIUQk9w\n-----END ${label}-----\n`

describe('pemHoldsSecret', () => {
  it.each<[string, string, boolean]>([
    ['global-bundle.pem', pem('CERTIFICATE') + pem('CERTIFICATE'), false],
    ['server.crt', pem('CERTIFICATE'), false],
    ['signing.pem', pem('PUBLIC KEY'), false],
    ['server.key', pem('PRIVATE KEY'), true],
    ['server.pem', pem('RSA PRIVATE KEY'), true],
    ['ec.key', pem('EC PRIVATE KEY'), true],
    ['deploy.pem', pem('OPENSSH PRIVATE KEY'), true],
    ['locked.pem', pem('ENCRYPTED PRIVATE KEY'), true],
    ['AuthKey_ABC123.p8', pem('PRIVATE KEY'), true],
    ['combined.pem', pem('CERTIFICATE') + pem('PRIVATE KEY'), true],
    ['chain.crt', pem('CERTIFICATE') + pem('RSA PRIVATE KEY'), true],
    // No PEM block: DER. A .key is a key, a .cer a certificate.
    ['binary.key', '\u0030\u0082\u0004\u00a4', true],
    ['binary.cer', '\u0030\u0082\u0004\u00a4', false]
  ])('%s', (name, content, secret) => {
    expect(pemHoldsSecret(name, Buffer.from(content, 'latin1'))).toBe(secret)
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
    expect(listing.credentials).toEqual([])
    expect(listing.files[0]).toEqual({
      relativePath: 'app.py',
      absolutePath: join(source, 'app.py'),
      size: 9,
      executable: false
    })
    expect(listing.warnings).toEqual([])
  })

  it('leaves out credential files other steps leave behind, and private keys by content', async () => {
    file('app.py')
    file('gha-creds-0123abcd.json', '{"type": "external_account"}')
    file('.npmrc', '//registry.npmjs.org/:_authToken=npm_x\n')
    file('.pypirc', '[pypi]\npassword = pypi-x\n')
    file('.netrc', 'machine github.com login x password y\n')
    file('.git-credentials', 'https://x:y@github.com\n')
    file('deploy/id_ed25519', pem('OPENSSH PRIVATE KEY'))
    file('deploy/id_ed25519.pub', 'ssh-ed25519 AAAA deploy\n')
    file('.aws/credentials', '[default]\naws_secret_access_key = x\n')
    file('.config/gcloud/application_default_credentials.json', '{}')
    file('.config/app.toml', 'level = 1\n')
    file('.docker/config.json', '{"auths": {}}')
    file('certs/client.key', pem('PRIVATE KEY'))
    file('certs/client.pem', pem('CERTIFICATE') + pem('RSA PRIVATE KEY'))
    file('certs/rds-global-bundle.pem', pem('CERTIFICATE') + pem('CERTIFICATE'))
    const listing = await listSourceFiles(source, { exclude: [] })
    expect(listing.files.map((f) => f.relativePath)).toEqual([
      '.config/app.toml',
      'app.py',
      'certs/rds-global-bundle.pem',
      'deploy/id_ed25519.pub'
    ])
    const credentials = [
      '.aws/',
      '.config/gcloud/',
      '.docker/config.json',
      '.git-credentials',
      '.netrc',
      '.npmrc',
      '.pypirc',
      'certs/client.key',
      'certs/client.pem',
      'deploy/id_ed25519',
      'gha-creds-0123abcd.json'
    ]
    expect(listing.credentials).toEqual(credentials)
    expect(listing.excludedByDefault).toEqual(credentials)
  })

  it('never follows a link named as credentials', async () => {
    file('app.py')
    file('real-key.txt', pem('PRIVATE KEY'))
    symlinkSync(join(source, 'real-key.txt'), join(source, '.netrc'))
    const listing = await listSourceFiles(source, { exclude: ['real-key.txt'] })
    expect(listing.files.map((f) => f.relativePath)).toEqual(['app.py'])
    expect(listing.credentials).toEqual(['.netrc'])
  })

  it('warns when source is the workspace root, and only then', async () => {
    file('app.py')
    expect(await workspaceRootWarning(source, source)).toMatch(
      /^source: .* is the workspace root, so every file in it goes into the function zip/
    )
    expect(await workspaceRootWarning(`${source}/`, source)).toBeDefined()
    expect(await workspaceRootWarning(source, root)).toBeUndefined()
    expect(await workspaceRootWarning(source, undefined)).toBeUndefined()
    symlinkSync(source, join(root, 'link'))
    expect(await workspaceRootWarning(join(root, 'link'), source)).toBeDefined()
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
