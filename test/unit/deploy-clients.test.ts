// The client factory and the messages a failed AWS call turns into.
import { describe, expect, it } from 'vitest'
import { awsFailure } from '../../src/aws/aws-error.js'
import { createClients, usesEndpointOverride } from '../../src/aws/clients.js'
import { USER_AGENT } from '../../src/constants.js'
import { UserError } from '../../src/errors.js'
import { awsError } from '../helpers/deploy-fixtures.js'

describe('createClients', () => {
  it('uses standard retries and a user agent naming the action', async () => {
    const { lambda, s3, cloudwatch } = createClients({ region: 'eu-west-1' })
    for (const client of [lambda, s3, cloudwatch]) {
      const strategy = (await client.config.retryStrategy()) as { mode?: string }
      expect(strategy.mode).toBe('standard')
      expect(await client.config.maxAttempts()).toBe(5)
      expect(client.config.customUserAgent).toEqual([USER_AGENT.split('/')])
    }
  })

  it.each([
    [{}, false],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }, true],
    [{ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' }, true],
    [
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' },
      false
    ]
  ])('addresses S3 buckets by path for an emulator endpoint: %j → %s', (env, pathStyle) => {
    expect(usesEndpointOverride(env)).toBe(pathStyle)
    expect(createClients({ region: 'eu-west-1', env }).s3.config.forcePathStyle).toBe(pathStyle)
  })
})

describe('awsFailure', () => {
  it.each([
    [
      awsError('AccessDeniedException', 'not authorized', 403),
      'Permission denied: lambda:PublishVersion on orders. Allow "lambda:PublishVersion" on this ' +
        "resource in the deploying role's IAM policy. AWS said: not authorized"
    ],
    [
      Object.assign(new Error('Region is missing'), { name: 'Error' }),
      'No AWS region is configured: set AWS_REGION, or the aws-region input of ' +
        'aws-actions/configure-aws-credentials before this step.'
    ],
    [
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError'
      }),
      'No AWS credentials were found: run aws-actions/configure-aws-credentials (OIDC) before ' +
        'this step. (Could not load credentials from any providers)'
    ],
    [
      awsError('ExpiredTokenException', 'The security token included in the request is expired'),
      'lambda:PublishVersion on orders: AWS rejected the credentials (ExpiredTokenException): ' +
        'check the role assumed by aws-actions/configure-aws-credentials and that it has not ' +
        'expired. The security token included in the request is expired'
    ],
    [
      awsError('CodeStorageExceededException', 'Code storage limit exceeded.'),
      'lambda:PublishVersion on orders failed: CodeStorageExceededException: Code storage limit exceeded.'
    ]
  ])('%s', (error, message) => {
    const failure = awsFailure(error, 'lambda:PublishVersion', 'orders')
    expect(failure).toBeInstanceOf(UserError)
    expect(failure.message).toBe(message)
  })

  it('passes a UserError through untouched', () => {
    const error = new UserError('already explained')
    expect(awsFailure(error, 'lambda:X', 'y')).toBe(error)
  })
})
