// The smoke invocation: the new version (by Qualifier) runs the user's event before any alias
// moves to it. A FunctionError or a response that lacks smoke-expect fails the deployment.
// What the function wrote (its log tail, its answer) is the function's text, not ours: the
// values of its environment variables are masked in it, and it is printed inert.
import { InvokeCommand } from '@aws-sdk/client-lambda'
import { awsErrorName } from '../aws/aws-error.js'
import { UserError } from '../errors.js'
import { redact } from '../secrets.js'
import type { DeployContext } from './context.js'
import { callAws, isRetryable } from './retry.js'

export interface SmokeRequest {
  /** How the calls name the function (its name, or ARN). */
  functionId: string
  functionName: string
  /** The version to invoke; `$LATEST` when nothing was published. */
  qualifier?: string
  /** JSON text of the event. */
  payload: string
  /** Parsed JSON that the response must contain. */
  expect?: unknown
  /** Values the function's output may hold that must never be shown (its environment's). */
  secrets?: readonly string[]
}

export class SmokeFailure extends UserError {
  override name = 'SmokeFailure'
  constructor(
    message: string,
    /** The short reason for the summary: `Runtime.ImportModuleError: No module named 'x'`. */
    readonly detail: string
  ) {
    super(message)
  }
}

const SHOWN_RESPONSE_CHARS = 2_000

function clip(text: string, chars = SHOWN_RESPONSE_CHARS): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}… (${text.length} characters)`
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

function show(value: unknown): string {
  return clip(JSON.stringify(value) ?? String(value), 200)
}

/**
 * Where `actual` fails to contain `expected`, one line per difference. Objects: every expected
 * key must be there, recursively (extra keys are fine). Arrays: element by element, by index
 * (extra trailing elements are fine). Anything else: strictly equal.
 */
export function subsetMismatches(expected: unknown, actual: unknown, path = '$'): string[] {
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return [`${path}: expected an object, got ${show(actual)}`]
    return Object.entries(expected).flatMap(([key, value]) =>
      key in actual
        ? subsetMismatches(value, actual[key], keyPath(path, key))
        : [`${keyPath(path, key)}: missing (expected ${show(value)})`]
    )
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${show(actual)}`]
    return expected.flatMap((value, index) =>
      index < actual.length
        ? subsetMismatches(value, actual[index], `${path}[${index}]`)
        : [`${path}[${index}]: missing (expected ${show(value)})`]
    )
  }
  return Object.is(expected, actual)
    ? []
    : [`${path}: expected ${show(expected)}, got ${show(actual)}`]
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

/** Invokes the version with LogType Tail, shows the log tail, and judges the answer. */
export async function smokeTest(ctx: DeployContext, request: SmokeRequest): Promise<string> {
  const target = `${request.functionName}:${request.qualifier ?? '$LATEST'}`
  const answer = await callAws(
    ctx,
    'lambda:InvokeFunction',
    target,
    () =>
      ctx.lambda.send(
        new InvokeCommand({
          FunctionName: request.functionId,
          ...(request.qualifier ? { Qualifier: request.qualifier } : {}),
          InvocationType: 'RequestResponse',
          LogType: 'Tail',
          Payload: new TextEncoder().encode(request.payload)
        })
      ),
    // A version that is still initialising answers ResourceNotReadyException for a moment.
    { retryable: (e) => isRetryable(e) || awsErrorName(e) === 'ResourceNotReadyException' }
  )
  const secrets = request.secrets ?? []
  // Registered before the first line that could show them; the summary gets redacted text.
  for (const secret of secrets) ctx.log.mask(secret)
  const logTail = redact(
    answer.LogResult ? Buffer.from(answer.LogResult, 'base64').toString('utf8') : '',
    secrets
  )
  if (logTail) ctx.log.relay(`Smoke invocation of ${target}: log tail`, logTail)
  const answered = answer.Payload ? new TextDecoder().decode(answer.Payload) : ''
  // Parsed before redaction (a secret inside a key would break the JSON), shown after it.
  const parsed = parseJson(answered)
  const text = redact(answered, secrets)

  if (answer.FunctionError) {
    const body = parsed.ok && isPlainObject(parsed.value) ? parsed.value : {}
    const errorType = typeof body.errorType === 'string' ? body.errorType : answer.FunctionError
    const errorMessage =
      typeof body.errorMessage === 'string' ? body.errorMessage : clip(text) || '(no message)'
    const detail = redact(`${errorType}: ${errorMessage}`, secrets)
    throw new SmokeFailure(
      `Smoke invocation of ${target} failed (FunctionError ${answer.FunctionError}): ${detail}` +
        (logTail ? `\nLog tail:\n${logTail}` : ''),
      detail
    )
  }

  if (request.expect !== undefined) {
    const actual = parsed.ok ? parsed.value : answered
    const mismatches = subsetMismatches(request.expect, actual).map((line) => redact(line, secrets))
    if (mismatches.length > 0) {
      throw new SmokeFailure(
        `Smoke invocation of ${target} answered without what smoke-expect requires:\n` +
          mismatches.map((line) => `  ${line}`).join('\n') +
          `\nResponse: ${clip(text)}`,
        `response does not match smoke-expect (${mismatches.length} difference` +
          `${mismatches.length === 1 ? '' : 's'}: ${mismatches[0]})`
      )
    }
  }
  // On one line: a response line of its own could be a workflow command (`::add-mask::`).
  const shown = clip(text.replace(/\s*[\r\n]+\s*/g, ' '), 200)
  ctx.log.info(`${target}: smoke invocation passed (${shown})`)
  return `response ${shown}`
}
