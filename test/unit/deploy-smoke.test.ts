// The smoke invocation: what is sent, how a function error and a smoke-expect mismatch read.
import { InvokeCommand } from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { createClients } from '../../src/aws/clients.js'
import { SmokeFailure, smokeTest, subsetMismatches } from '../../src/deploy/smoke.js'
import { awsError, invokePayload, testContext } from '../helpers/deploy-fixtures.js'

const clients = createClients({ region: 'eu-west-1' })
const lambda = mockClient(clients.lambda)
const encode = (text: string): Uint8Array => new TextEncoder().encode(text)
const b64 = (text: string): string => Buffer.from(text).toString('base64')

const setup = () => testContext(clients)

const request = {
  functionId: 'orders',
  functionName: 'orders',
  qualifier: '7',
  payload: '{"ping":1}'
}

beforeEach(() => lambda.reset())

describe('subsetMismatches', () => {
  it.each([
    [{ a: 1 }, { a: 1, b: 2 }, []],
    [{ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'x', d: 0 }, 3] } }, []],
    [{ a: 1 }, { a: 2 }, ['$.a: expected 1, got 2']],
    [{ a: 1 }, {}, ['$.a: missing (expected 1)']],
    [{ 'x-y': null }, { 'x-y': 0 }, ['$["x-y"]: expected null, got 0']],
    [{ list: [1, 2] }, { list: [1] }, ['$.list[1]: missing (expected 2)']],
    [{ a: { b: 1 } }, { a: 'text' }, ['$.a: expected an object, got "text"']],
    [[1], { 0: 1 }, ['$: expected an array, got {"0":1}']],
    ['ok', 'ok', []],
    [
      { status: 'ok', body: { count: 2 } },
      { status: 'error', body: {} },
      ['$.status: expected "ok", got "error"', '$.body.count: missing (expected 2)']
    ]
  ])('%j within %j → %j', (expected, actual, differences) => {
    expect(subsetMismatches(expected, actual)).toEqual(differences)
  })
})

describe('smokeTest', () => {
  it('invokes the new version with LogType Tail and shows the log tail in a group', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: invokePayload('{"pong":1,"extra":true}'),
      LogResult: b64('START RequestId: 1\nhello\nEND RequestId: 1\n')
    })
    const { log, ctx } = setup()
    const detail = await smokeTest(ctx, { ...request, expect: { pong: 1 } })
    expect(detail).toBe('response {"pong":1,"extra":true}')
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input
    expect(input).toEqual({
      FunctionName: 'orders',
      Qualifier: '7',
      InvocationType: 'RequestResponse',
      LogType: 'Tail',
      Payload: encode('{"ping":1}')
    })
    expect(log.relayed).toEqual([
      {
        title: 'Smoke invocation of orders:7: log tail',
        text: 'START RequestId: 1\nhello\nEND RequestId: 1\n'
      }
    ])
  })

  it('fails on FunctionError with errorType, errorMessage and the log tail', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: invokePayload(
        '{"errorMessage":"Unable to import module \'app\': No module named \'pydantic_core\'","errorType":"Runtime.ImportModuleError","stackTrace":[]}'
      ),
      LogResult: b64('INIT_REPORT Status: error\n')
    })
    const { ctx } = setup()
    const failure = await smokeTest(ctx, request).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(SmokeFailure)
    expect((failure as SmokeFailure).detail).toBe(
      "Runtime.ImportModuleError: Unable to import module 'app': No module named 'pydantic_core'"
    )
    expect((failure as Error).message).toBe(
      'Smoke invocation of orders:7 failed (FunctionError Unhandled): Runtime.ImportModuleError: ' +
        "Unable to import module 'app': No module named 'pydantic_core'\nLog tail:\nINIT_REPORT Status: error\n"
    )
  })

  it('fails with a readable diff when the response lacks smoke-expect', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: invokePayload('{"statusCode":500,"body":{"items":[]}}')
    })
    const { ctx } = setup()
    await expect(
      smokeTest(ctx, { ...request, expect: { statusCode: 200, body: { items: [{ id: 1 }] } } })
    ).rejects.toThrow(
      'Smoke invocation of orders:7 answered without what smoke-expect requires:\n' +
        '  $.statusCode: expected 200, got 500\n' +
        '  $.body.items[0]: missing (expected {"id":1})\n' +
        'Response: {"statusCode":500,"body":{"items":[]}}'
    )
  })

  it('compares a non-JSON response as text', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload('plain') })
    const { ctx } = setup()
    await expect(smokeTest(ctx, { ...request, expect: 'plain' })).resolves.toBe('response plain')
  })

  it('masks the function’s environment values in what it printed, before printing it', async () => {
    const secret = 'postgres://app:hunter2@db/orders'
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: invokePayload(
        JSON.stringify({ errorType: 'OperationalError', errorMessage: `cannot reach ${secret}` })
      ),
      LogResult: b64(`connecting to ${secret}\n::add-mask::harmless\n`)
    })
    const { log, ctx } = setup()
    const failure = (await smokeTest(ctx, { ...request, secrets: [secret] }).catch(
      (e: unknown) => e
    )) as SmokeFailure
    // Registered with the runner first, so no later line shows it.
    expect(log.masked).toEqual([secret])
    expect(log.relayed).toEqual([
      {
        title: 'Smoke invocation of orders:7: log tail',
        text: 'connecting to ***\n::add-mask::harmless\n'
      }
    ])
    // What reaches the summary and the error never holds it either.
    expect(failure.detail).toBe('OperationalError: cannot reach ***')
    expect(failure.message).not.toContain('hunter2')
  })

  it('shows a passing response on one line: a line of its own could be a workflow command', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: invokePayload('ok\n::error::injected\r\n done') })
    const { log, ctx } = setup()
    await expect(smokeTest(ctx, request)).resolves.toBe('response ok ::error::injected done')
    expect(log.lines.every((line) => !line.includes('\n'))).toBe(true)
  })

  it('names lambda:InvokeFunction when invoking is not allowed', async () => {
    lambda.on(InvokeCommand).rejects(awsError('AccessDeniedException', 'denied', 403))
    const { ctx } = setup()
    await expect(smokeTest(ctx, request)).rejects.toThrow(
      /^Permission denied: lambda:InvokeFunction on orders:7/
    )
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1)
  })
})
