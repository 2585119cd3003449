// What the replaced image starts with, and what it reads back. The end-to-end proof (a build
// backend reading its ancestors' /proc/<pid>/environ under Node 24) is in
// test/process/hostile-build-code.test.ts.
import { existsSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  keepEnvironmentPrivate,
  PRIVATE_ENVIRONMENT_FILE,
  splitEnvironment
} from '../../src/private-environment.js'

const saved = { ...process.env }
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
  Object.assign(process.env, saved)
})

describe('splitEnvironment', () => {
  it('keeps in the environment block only what children see anyway, and Node’s own settings', () => {
    const { visible, hidden } = splitEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      PIP_INDEX_URL: 'https://pypi.example/simple',
      NODE_OPTIONS: '--max-old-space-size=4096',
      NODE_EXTRA_CA_CERTS: '/etc/corp-ca.pem',
      ACTIONS_RUNTIME_TOKEN: 'rt',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      AWS_SECRET_ACCESS_KEY: 'secret',
      'INPUT_GITHUB-TOKEN': 'ghs',
      GITHUB_OUTPUT: '/tmp/out',
      UNSET: undefined
    })
    expect(Object.keys(visible).sort()).toEqual([
      'HOME',
      'NODE_EXTRA_CA_CERTS',
      'NODE_OPTIONS',
      'PATH',
      'PIP_INDEX_URL'
    ])
    expect(Object.keys(hidden).sort()).toEqual([
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'ACTIONS_RUNTIME_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'GITHUB_OUTPUT',
      'INPUT_GITHUB-TOKEN'
    ])
  })
})

describe('keepEnvironmentPrivate', () => {
  it('starts the same script with the visible part, and the new image gets the rest back', () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'planted-secret'
    process.env.GITHUB_OUTPUT = '/tmp/planted-output'
    let started: { file: string; args: string[]; env: Record<string, string> } | undefined
    let hiddenFile: Record<string, string> = {}
    let restored: unknown
    const outcome = keepEnvironmentPrivate((file, args, env) => {
      started = { file, args, env }
      hiddenFile = JSON.parse(readFileSync(env[PRIVATE_ENVIRONMENT_FILE] as string, 'utf8'))
      // The new image: its environment is the visible part; the file brings back the rest.
      for (const name of Object.keys(process.env)) delete process.env[name]
      Object.assign(process.env, env)
      restored = keepEnvironmentPrivate()
      return undefined as never
    })
    expect(started?.file).toBe(process.execPath)
    expect(started?.args.slice(-process.argv.length + 1)).toEqual(process.argv.slice(1))
    expect(JSON.stringify(started?.env)).not.toContain('planted')
    expect(hiddenFile).toMatchObject({
      AWS_SECRET_ACCESS_KEY: 'planted-secret',
      GITHUB_OUTPUT: '/tmp/planted-output'
    })
    expect(restored).toEqual({ state: 'private' })
    expect(process.env.AWS_SECRET_ACCESS_KEY).toBe('planted-secret')
    expect(process.env.GITHUB_OUTPUT).toBe('/tmp/planted-output')
    expect(process.env[PRIVATE_ENVIRONMENT_FILE]).toBeUndefined()
    // A real execve never returns; this one did, and says so.
    expect(outcome).toEqual({ state: 'unavailable', reason: 'process.execve returned' })
    const file = started?.env[PRIVATE_ENVIRONMENT_FILE] as string
    expect(existsSync(dirname(file))).toBe(false)
  })
})
