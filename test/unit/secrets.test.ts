import { describe, expect, it } from 'vitest'
import { environmentSecrets, functionEnvironmentSecrets, redact } from '../../src/secrets.js'

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

describe('functionEnvironmentSecrets and redact', () => {
  it('takes every value that could be a secret, line by line, longest first', () => {
    expect(
      functionEnvironmentSecrets({
        TABLE_NAME: 'orders-prod',
        DATABASE_URL: 'postgres://app:hunter2-long@db:5432/orders',
        PRIVATE_KEY: '-----BEGIN KEY-----\nMIIEabc123\n-----END KEY-----',
        DEBUG: 'true',
        LOG_LEVEL: 'INFO',
        PORT: '8080',
        RATIO: '0.25',
        REGION_CODE: 'eu',
        EMPTY: ''
      })
    ).toEqual([
      'postgres://app:hunter2-long@db:5432/orders',
      '-----BEGIN KEY-----',
      '-----END KEY-----',
      'orders-prod',
      'MIIEabc123'
    ])
    expect(functionEnvironmentSecrets(undefined)).toEqual([])
  })

  it('redacts every occurrence, the longer value first', () => {
    const secrets = functionEnvironmentSecrets({ A: 'token-abc', B: 'token-abc-def' })
    expect(redact('got token-abc-def then token-abc', secrets)).toBe('got *** then ***')
  })
})
