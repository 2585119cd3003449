// Deploy mode reads runtime, architecture and handler from the functions themselves, and
// refuses contradictions before anything is built.
import { describe, expect, it } from 'vitest'
import type { FunctionTarget } from '../../src/deploy/deploy.js'
import type { Inputs } from '../../src/inputs.js'
import { runtimeFacts, type Architecture } from '../../src/lambda-facts.js'
import { planFromFunctions } from '../../src/main.js'

function target(
  name: string,
  runtime: string | undefined,
  architecture: Architecture,
  handler = 'app.handler'
): FunctionTarget {
  return {
    functionName: name,
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    runtime,
    architecture,
    handler,
    codeSha256: 'x',
    layers: []
  }
}

function inputs(values: {
  runtime?: string
  architectures?: Architecture[]
  handler?: string
}): Inputs {
  return {
    runtime: values.runtime ? runtimeFacts(values.runtime) : undefined,
    architectures: values.architectures,
    handler: values.handler
  } as Inputs
}

describe('planFromFunctions', () => {
  it.each([
    [
      'the function decides everything',
      {},
      [target('a', 'python3.12', 'arm64')],
      {
        runtime: 'python3.12',
        architectures: ['arm64'],
        handler: 'app.handler',
        switchArchitecture: undefined
      }
    ],
    [
      'two functions of two architectures: both built',
      {},
      [target('a', 'python3.12', 'arm64'), target('b', 'python3.12', 'x86_64')],
      { runtime: 'python3.12', architectures: ['arm64', 'x86_64'] }
    ],
    [
      'one architecture asked, different from the function: switch',
      { architectures: ['x86_64'] as Architecture[] },
      [target('a', 'python3.12', 'arm64')],
      { architectures: ['x86_64'], switchArchitecture: 'x86_64' }
    ],
    [
      'several asked: all built, the function keeps its own',
      { architectures: ['arm64', 'x86_64'] as Architecture[] },
      [target('a', 'python3.12', 'arm64')],
      { architectures: ['arm64', 'x86_64'], switchArchitecture: undefined }
    ],
    [
      'one asked that misses a function of several: built too',
      { architectures: ['arm64'] as Architecture[] },
      [target('a', 'python3.12', 'arm64'), target('b', 'python3.12', 'x86_64')],
      { architectures: ['arm64', 'x86_64'], switchArchitecture: undefined }
    ],
    [
      'the handler input wins',
      { handler: 'pkg/main.run' },
      [target('a', 'python3.12', 'arm64')],
      { handler: 'pkg/main.run' }
    ],
    [
      'functions with different handlers: no import check handler',
      {},
      [target('a', 'python3.12', 'arm64', 'a.h'), target('b', 'python3.12', 'arm64', 'b.h')],
      { handler: undefined }
    ]
  ])('%s', (_, given, targets, expected) => {
    const plan = planFromFunctions(inputs(given), targets)
    expect({ ...plan, runtime: plan.runtime.name }).toMatchObject(expected)
  })

  it.each([
    [
      'a runtime input that differs from the function',
      { runtime: 'python3.13' },
      [target('a', 'python3.12', 'arm64')],
      /python3\.13 but function a runs python3\.12/
    ],
    [
      'functions on different runtimes',
      {},
      [target('a', 'python3.12', 'arm64'), target('b', 'python3.11', 'arm64')],
      /runtime: the functions run python3\.12, python3\.11/
    ],
    [
      'a container-image function (no runtime)',
      {},
      [target('a', undefined, 'arm64')],
      /no Python runtime/
    ],
    [
      'a runtime this action does not build for',
      {},
      [target('a', 'nodejs20.x', 'arm64')],
      /nodejs20\.x is not a Python runtime/
    ]
  ])('refuses %s', (_, given, targets, message) => {
    expect(() => planFromFunctions(inputs(given), targets)).toThrow(message)
  })
})
