import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CACHE_FORMAT_VERSION } from '../../src/constants.js'
import {
  COMPLETE_MARKER,
  MANIFEST_FILE,
  commitEntry,
  createStaging,
  defaultStoreRoot,
  readEntry
} from '../../src/packaging/stores/wheel-store.js'
import { ZipWriter } from '../../src/packaging/zip-format.js'

const KEY = 'lambda-python-deploy-v1-python3.12-arm64-pip-abc'

/** A one-entry zip: commits verify every wheel's bytes. */
async function tinyZip(path: string, text: string): Promise<void> {
  const writer = await ZipWriter.create(path)
  await writer.addBytes('x.py', Buffer.from(text))
  await writer.finish()
}

async function committed(): Promise<{ root: string; wheels: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'lpd-store-'))
  const staging = await createStaging(root, KEY)
  await tinyZip(join(staging, 'b-1-py3-none-any.whl'), 'bbbb')
  await tinyZip(join(staging, 'a-1-py3-none-any.whl'), 'aaaaaaaa')
  const wheels = await commitEntry(root, KEY, staging)
  return { root, wheels }
}

describe('wheel store', () => {
  it.each([
    [{ RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' }, '/opt/hostedtoolcache/lambda-python-deploy'],
    [{ RUNNER_TOOL_CACHE: '' }, join(homedir(), '.cache', 'lambda-python-deploy')],
    [{}, join(homedir(), '.cache', 'lambda-python-deploy')]
  ])('root for %o is %s', (env, root) => {
    expect(defaultStoreRoot(env)).toBe(root)
  })

  it('commits wheels, manifest and marker, and leaves no staging directory', async () => {
    const { root, wheels } = await committed()
    expect(wheels).toEqual([
      join(root, KEY, 'a-1-py3-none-any.whl'),
      join(root, KEY, 'b-1-py3-none-any.whl')
    ])
    expect(readdirSync(root)).toEqual([KEY])
    expect(readdirSync(join(root, KEY)).sort()).toEqual(
      [COMPLETE_MARKER, 'a-1-py3-none-any.whl', 'b-1-py3-none-any.whl', MANIFEST_FILE].sort()
    )
    expect(await readEntry(root, KEY)).toMatchObject({
      state: 'complete',
      dir: join(root, KEY),
      wheels
    })
  })

  it('a missing entry is missing', async () => {
    expect(await readEntry(mkdtempSync(join(tmpdir(), 'lpd-store-')), KEY)).toEqual({
      state: 'missing'
    })
  })

  it.each<[string, (dir: string) => void, RegExp]>([
    ['no completion marker', (dir) => rmSync(join(dir, COMPLETE_MARKER)), /completion marker/],
    ['no manifest', (dir) => rmSync(join(dir, MANIFEST_FILE)), /manifest is missing/],
    ['a malformed manifest', (dir) => writeFileSync(join(dir, MANIFEST_FILE), '{'), /not JSON/],
    [
      'a truncated wheel',
      (dir) => truncateSync(join(dir, 'a-1-py3-none-any.whl'), 3),
      /a-1-py3-none-any.whl has 3 bytes/
    ],
    [
      'an altered wheel of the same size',
      (dir) => {
        const path = join(dir, 'a-1-py3-none-any.whl')
        const bytes = readFileSync(path)
        bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1)
        writeFileSync(path, bytes)
      },
      /does not match its sha256/
    ],
    [
      'a missing wheel',
      (dir) => rmSync(join(dir, 'b-1-py3-none-any.whl')),
      /b-1-py3-none-any.whl is missing/
    ],
    [
      'a manifest that does not record the zip check',
      (dir) => {
        const path = join(dir, MANIFEST_FILE)
        writeFileSync(
          path,
          readFileSync(path, 'utf8').replaceAll('"verified": true', '"verified": false')
        )
      },
      /does not record a-1-py3-none-any.whl as verified/
    ],
    [
      'a manifest of another key',
      (dir) =>
        writeFileSync(
          join(dir, MANIFEST_FILE),
          JSON.stringify({ format: CACHE_FORMAT_VERSION, cacheKey: 'other', wheels: [] })
        ),
      /another cache key/
    ]
  ])('%s makes the entry corrupt', async (_what, damage, reason) => {
    const { root } = await committed()
    damage(join(root, KEY))
    const entry = await readEntry(root, KEY)
    expect(entry.state).toBe('corrupt')
    expect(entry.state === 'corrupt' && entry.reason).toMatch(reason)
  })

  it('a second commit of the same key keeps the complete entry', async () => {
    const { root, wheels } = await committed()
    const staging = await createStaging(root, KEY)
    mkdirSync(join(staging, 'x'))
    await tinyZip(join(staging, 'c-1-py3-none-any.whl'), 'c')
    expect(await commitEntry(root, KEY, staging)).toEqual(wheels)
    expect(readdirSync(root)).toEqual([KEY])
  })

  it('a commit replaces a damaged entry', async () => {
    const { root } = await committed()
    rmSync(join(root, KEY, COMPLETE_MARKER))
    const staging = await createStaging(root, KEY)
    await tinyZip(join(staging, 'c-1-py3-none-any.whl'), 'c')
    expect(await commitEntry(root, KEY, staging)).toEqual([join(root, KEY, 'c-1-py3-none-any.whl')])
    expect((await readEntry(root, KEY)).state).toBe('complete')
  })

  it('refuses a wheel whose bytes fail their CRC-32, naming it; the store stays empty', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lpd-store-'))
    const staging = await createStaging(root, KEY)
    const path = join(staging, 'c-1-py3-none-any.whl')
    await tinyZip(path, 'c')
    const bytes = readFileSync(path)
    bytes.writeUInt8(bytes.readUInt8(34) ^ 1, 34) // the one stored byte of x.py, after its local header
    writeFileSync(path, bytes)
    const commit = commitEntry(root, KEY, staging)
    await expect(commit).rejects.toThrow(
      /^c-1-py3-none-any.whl: refused, not a wheel as pip reads it: entry x.py fails its CRC-32 check\./
    )
    await expect(commit).rejects.toThrow(
      /downloading it again would not help: require another version of c/
    )
    expect(readdirSync(root).filter((name) => !name.startsWith('.staging'))).toEqual([])
  })
})
