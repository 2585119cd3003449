import { describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import { chooseInstaller } from '../../src/packaging/tools/installer-adapter.js'

describe('chooseInstaller', () => {
  it.each([
    ['pip', '/usr/bin/uv', { name: 'pip' }],
    ['pip', undefined, { name: 'pip' }],
    ['uv', '/usr/bin/uv', { name: 'uv', uvPath: '/usr/bin/uv' }],
    ['auto', '/usr/bin/uv', { name: 'uv', uvPath: '/usr/bin/uv' }],
    // No uv on PATH: auto still resolves for the target, with the uv the action brings.
    ['auto', undefined, { name: 'uv', bootstrap: true }]
  ] as const)('installer: %s, uv on PATH %s → %o', (choice, uvOnPath, plan) => {
    expect(chooseInstaller(choice, uvOnPath)).toEqual(plan)
  })

  it('installer: uv without uv on PATH fails naming the input and the ways out', () => {
    expect(() => chooseInstaller('uv', undefined)).toThrow(UserError)
    expect(() => chooseInstaller('uv', undefined)).toThrow(
      /installer: uv is not on PATH.*astral-sh\/setup-uv.*installer: auto/
    )
    // pip evaluates markers on the runner: never a way out that holds on any runner.
    expect(() => chooseInstaller('uv', undefined)).not.toThrow(/installer: pip/)
  })
})
