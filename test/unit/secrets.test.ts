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
  it('masks each value that could be a secret, and each line of a multi-line one, longest first', () => {
    expect(
      variableSecrets([
        'orders-prod',
        'abc',
        '',
        'true',
        'FALSE',
        'INFO',
        '8080',
        '0.25',
        '  padded-secret  ',
        'postgres://app:hunter2-long@db:5432/orders',
        '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----'
      ])
    ).toEqual([
      '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----',
      'postgres://app:hunter2-long@db:5432/orders',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      '-----BEGIN KEY-----',
      '-----END KEY-----',
      'padded-secret',
      'orders-prod'
    ])
    expect(variableSecrets([])).toEqual([])
  })

  it('redacts them from text, the longest first', () => {
    expect(
      redact("ValueError: no table 'orders-prod' (stage orders)", ['orders', 'orders-prod'])
    ).toBe("ValueError: no table '***' (stage ***)")
    const secrets = variableSecrets(['token-abc', 'token-abc-def'])
    expect(redact('got token-abc-def then token-abc', secrets)).toBe('got *** then ***')
  })
})
