// The kept .pyc store (src/packaging/bytecode/bytecode-store.ts): what it hands back is checked
// by content hash, and deploy mode on a shared runner never reads it.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BytecodeStore,
  bytecodeKey,
  namespaceDir
} from '../../src/packaging/bytecode/bytecode-store.js'
import { compiledEntries, handlerImportMs } from '../../src/packaging/bytecode/import-probe.js'
import { trustsKeptFiles } from '../../src/packaging/stores/kept-files.js'
import { prepareEntry } from '../../src/packaging/zip-format.js'

const MAGIC = 'cb0d0d0a'
const identity = { cacheTag: 'cpython-312', magic: MAGIC, version: '3.12.7' }

/** A .pyc as CPython 3.12 writes a checked-hash one: magic, flags 3, source hash, marshal data. */
function pyc(body: string, magic = MAGIC, flags = 3): Buffer {
  const header = Buffer.alloc(16)
  Buffer.from(magic, 'hex').copy(header, 0)
  header.writeUInt32LE(flags, 4)
  return Buffer.concat([header, Buffer.from(body.repeat(50))])
}

function newStore(readKept = true): BytecodeStore {
  return new BytecodeStore(
    namespaceDir(mkdtempSync(join(tmpdir(), 'lpd-store-')), identity),
    MAGIC,
    readKept
  )
}

/** The one file the store holds. */
function keptFile(store: BytecodeStore): string {
  const [folder] = readdirSync(store.dir)
  const [file] = readdirSync(join(store.dir, folder!))
  return join(store.dir, folder!, file!)
}

describe('BytecodeStore', () => {
  it('hands back what it kept, as the zip stores it', async () => {
    const store = newStore()
    const key = bytecodeKey('/var/task/app.py', Buffer.from('X = 1\n'))
    const data = pyc('code')
    const prepared = prepareEntry(data)
    await store.put(key, data, prepared)
    expect(await store.get(key)).toEqual({ ...prepared, data: Buffer.from(prepared.data) })
    expect(await store.get(bytecodeKey('/var/task/app.py', Buffer.from('X = 2\n')))).toBeUndefined()
    // Only this user may read or write what is kept.
    expect(statSync(keptFile(store)).mode & 0o077).toBe(0)
  })

  it.each([
    ['a flipped byte in the data', (file: Buffer) => (file[file.length - 1]! ^= 0xff)],
    ['a wrong recorded SHA-256', (file: Buffer) => (file[20]! ^= 0x01)],
    ['a cut-off file', (file: Buffer) => file.subarray(0, file.length - 3)],
    ['not a kept file', () => Buffer.from('plain text')]
  ])('ignores %s', async (_, damage) => {
    const store = newStore()
    const key = bytecodeKey('/var/task/app.py', Buffer.from('X = 1\n'))
    await store.put(key, pyc('code'), prepareEntry(pyc('code')))
    const path = keptFile(store)
    const file = readFileSync(path)
    const damaged = damage(file)
    writeFileSync(path, Buffer.isBuffer(damaged) ? damaged : file)
    expect(await store.get(key)).toBeUndefined()
  })

  it.each([
    ['another minor’s magic number', pyc('code', 'a70d0d0a')],
    ['a timestamp .pyc', pyc('code', MAGIC, 0)],
    ['an unchecked-hash .pyc', pyc('code', MAGIC, 1)]
  ])('ignores %s, even when its content hash holds', async (_, data) => {
    const store = newStore()
    const key = bytecodeKey('/var/task/app.py', Buffer.from('X = 1\n'))
    await store.put(key, data, prepareEntry(data))
    expect(await store.get(key)).toBeUndefined()
  })

  it('reads nothing when kept files are not trusted, and still keeps new ones', async () => {
    const store = newStore(false)
    const key = bytecodeKey('/var/task/app.py', Buffer.from('X = 1\n'))
    await store.put(key, pyc('code'), prepareEntry(pyc('code')))
    expect(keptFile(store)).toBeTruthy()
    expect(await store.get(key)).toBeUndefined()
  })

  it('keys by where the source sits on Lambda and by its content', () => {
    const source = Buffer.from('')
    expect(bytecodeKey('/var/task/a/__init__.py', source)).not.toBe(
      bytecodeKey('/var/task/b/__init__.py', source)
    )
    expect(bytecodeKey('/var/task/a.py', Buffer.from('1'))).not.toBe(
      bytecodeKey('/opt/python/a.py', Buffer.from('1'))
    )
    expect(bytecodeKey('/var/task/a.py', Buffer.from('1'))).toBe(
      bytecodeKey('/var/task/a.py', Buffer.from('1'))
    )
  })

  it('keeps each interpreter’s results apart', () => {
    const root = '/store'
    expect(namespaceDir(root, identity)).not.toBe(
      namespaceDir(root, { ...identity, version: '3.12.8' })
    )
    expect(namespaceDir(root, identity)).toMatch(/^\/store\/bytecode\/cpython-312-[0-9a-f]{16}$/)
  })
})

describe('trustsKeptFiles', () => {
  it.each([
    ['build', undefined, true],
    ['build', 'self-hosted', true],
    ['deploy', 'github-hosted', true],
    ['deploy', 'self-hosted', false],
    ['deploy', undefined, false]
  ] as const)('%s mode on a %s runner: %s', (mode, runner, expected) => {
    expect(trustsKeptFiles(mode, { RUNNER_ENVIRONMENT: runner })).toBe(expected)
  })
})

describe('what the import probe printed', () => {
  it('reads the handler module’s import time, ignoring other lines', () => {
    const stderr = [
      'some warning',
      'lpd-import-ns other.module 5000000',
      'lpd-import-ns pkg.app 345678901',
      ''
    ].join('\n')
    expect(handlerImportMs(stderr, 'pkg.app')).toBe(346)
    expect(handlerImportMs(stderr, 'app')).toBeUndefined()
  })

  it('maps the sources CPython compiled to entries of the function and the layer zip', () => {
    const stderr = [
      'lpd-compiled /t/task/app.py',
      'lpd-compiled /t/opt/python/urllib3/contrib/pyopenssl.py',
      'lpd-compiled /usr/lib/python3.12/site-packages/boto3/__init__.py',
      'lpd-compiled /t/task/app.py',
      'lpd-compiled /t/taskforce/x.py'
    ].join('\n')
    expect(compiledEntries(stderr, { taskRoot: '/t/task', optRoot: '/t/opt' })).toEqual({
      function: ['app.py'],
      layer: ['python/urllib3/contrib/pyopenssl.py']
    })
  })
})
