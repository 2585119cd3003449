// Turns AWS SDK errors into messages a user can act on: which IAM action was denied on which
// resource, which function does not exist, what to set up when credentials or region are missing.
import { UserError, errorMessage } from '../errors.js'

/** A failed AWS call, named by its IAM action and resource. */
export class AwsCallError extends UserError {
  override name = 'AwsCallError'
  constructor(
    message: string,
    /** IAM action of the call, e.g. `lambda:UpdateFunctionCode`. */
    readonly action: string,
    /** Function, layer or S3 object the call was about. */
    readonly resource: string,
    /** The SDK's error name (`AccessDeniedException`), when there was one. */
    readonly code: string | undefined,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/** The SDK error name (`ResourceConflictException`), or undefined for non-AWS errors. */
export function awsErrorName(error: unknown): string | undefined {
  if (error instanceof AwsCallError) return error.code
  if (typeof error !== 'object' || error === null) return undefined
  const name = (error as { name?: unknown }).name
  return typeof name === 'string' ? name : undefined
}

export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined
}

const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied'])
const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFound', 'NoSuchKey'])
const THROTTLING = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'SlowDown'
])
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch'
])

export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(awsErrorName(error) ?? '')
}

export function isNotFound(error: unknown): boolean {
  return NOT_FOUND.has(awsErrorName(error) ?? '') || httpStatus(error) === 404
}

/** Another update of the function is in progress (or, for CreateAlias, the alias exists). */
export function isConflict(error: unknown): boolean {
  return awsErrorName(error) === 'ResourceConflictException'
}

export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(awsErrorName(error) ?? '') || httpStatus(error) === 429
}

/**
 * Wraps a failed call with what was being done. A UserError passes through untouched: it
 * already says what to do.
 */
export function awsFailure(error: unknown, action: string, resource: string): UserError {
  if (error instanceof UserError) return error
  const code = awsErrorName(error)
  const said = errorMessage(error)
  const make = (message: string): AwsCallError =>
    new AwsCallError(message, action, resource, code, { cause: error })

  if (said === 'Region is missing') {
    return make(
      'No AWS region is configured: set AWS_REGION, or the aws-region input of ' +
        'aws-actions/configure-aws-credentials before this step.'
    )
  }
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(said)) {
    return make(
      'No AWS credentials were found: run aws-actions/configure-aws-credentials (OIDC) ' +
        `before this step. (${said})`
    )
  }
  if (BAD_CREDENTIALS.has(code ?? '')) {
    return make(
      `${action} on ${resource}: AWS rejected the credentials (${code}): check the role ` +
        `assumed by aws-actions/configure-aws-credentials and that it has not expired. ${said}`
    )
  }
  if (isAccessDenied(error) || (httpStatus(error) === 403 && code !== 'KMSAccessDeniedException')) {
    return make(
      `Permission denied: ${action} on ${resource}. Allow "${action}" on this resource in the ` +
        `deploying role's IAM policy. AWS said: ${said}`
    )
  }
  return make(`${action} on ${resource} failed: ${code ? `${code}: ` : ''}${said}`)
}
