import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  COMPLETE_MARKER,
  MANIFEST_FILE,
  commitEntry,
  createStaging,
  defaultStoreRoot,
  readEntry
} from '../../src/packaging/resolve/wheel-store.js'

const KEY = 'lambda-python-deploy-v1-python3.12-arm64-pip-abc'

async function committed(): Promise<{ root: string; wheels: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'lpd-store-'))
  const staging = await createStaging(root, KEY)
  writeFileSync(join(staging, 'b-1-py3-none-any.whl'), 'bbbb')
  writeFileSync(join(staging, 'a-1-py3-none-any.whl'), 'aaaaaaaa')
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
    expect(await readEntry(root, KEY)).toEqual({ state: 'complete', dir: join(root, KEY), wheels })
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
      (dir) => writeFileSync(join(dir, 'a-1-py3-none-any.whl'), 'AAAAAAAA'),
      /does not match its sha256/
    ],
    [
      'a missing wheel',
      (dir) => rmSync(join(dir, 'b-1-py3-none-any.whl')),
      /b-1-py3-none-any.whl is missing/
    ],
    [
      'a manifest of another key',
      (dir) =>
        writeFileSync(
          join(dir, MANIFEST_FILE),
          JSON.stringify({ format: 'v1', cacheKey: 'other', wheels: [] })
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
    writeFileSync(join(staging, 'c-1-py3-none-any.whl'), 'c')
    expect(await commitEntry(root, KEY, staging)).toEqual(wheels)
    expect(readdirSync(root)).toEqual([KEY])
  })

  it('a commit replaces a damaged entry', async () => {
    const { root } = await committed()
    rmSync(join(root, KEY, COMPLETE_MARKER))
    const staging = await createStaging(root, KEY)
    writeFileSync(join(staging, 'c-1-py3-none-any.whl'), 'c')
    expect(await commitEntry(root, KEY, staging)).toEqual([join(root, KEY, 'c-1-py3-none-any.whl')])
    expect((await readEntry(root, KEY)).state).toBe('complete')
  })
})
