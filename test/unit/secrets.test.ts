import { describe, expect, it } from 'vitest'
import { environmentSecrets, redact, variableSecrets } from '../../src/secrets.js'

describe('environmentSecrets', () => {
  it('finds AWS credentials and passwords in PIP_/UV_ URLs, nothing else', () => {
    expect(
      environmentSecrets({
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret-key',
        AWS_SESSION_TOKEN: 'session-token',
        PIP_EXTRA_INDEX_URL: 'https://u:pip-pass@h/simple https://plain.example/simple',
        UV_INDEX: 'private=https://__token__:uv-token@h/simple',
        OTHER_URL: 'https://x:not-ours@h/',
        PATH: '/usr/bin'
      }).sort()
    ).toEqual(
      [
        '__token__:uv-token',
        'secret-key',
        'session-token',
        'u:pip-pass',
        'pip-pass',
        'uv-token'
      ].sort()
    )
  })

  it('ignores empty and unset values', () => {
    expect(environmentSecrets({ AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: ' ' })).toEqual([])
  })
})

describe("a function's variables", () => {
  it('masks each value of 4 characters or more, and each line of a multi-line one', () => {
    expect(
      variableSecrets([
        'orders-prod',
        'abc',
        '',
        'true',
        'FALSE',
        '  padded-secret  ',
        '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----'
      ])
    ).toEqual([
      'orders-prod',
      'padded-secret',
      '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----',
      '-----BEGIN KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      '-----END KEY-----'
    ])
  })

  it('redacts them from text, the longest first', () => {
    expect(
      redact("ValueError: no table 'orders-prod' (stage orders)", ['orders', 'orders-prod'])
    ).toBe("ValueError: no table '***' (stage ***)")
  })
})
