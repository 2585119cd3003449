// Each output keeps one type however many functions a deploy ships (shared/INTERFACE.md).
import { describe, expect, it } from 'vitest'
import { deployOutputs } from '../../src/outputs.js'
import type { FunctionDeployResult } from '../../src/types.js'

const ARN = 'arn:aws:lambda:eu-west-1:123456789012'

function result(name: string, overrides: Partial<FunctionDeployResult>): FunctionDeployResult {
  return { functionName: name, architecture: 'arm64', status: 'deployed', ...overrides }
}

const orders = result('orders', {
  version: '7',
  versionArn: `${ARN}:function:orders:7`,
  aliasArn: `${ARN}:function:orders:live`,
  layerVersionArn: `${ARN}:layer:orders-deps:3`,
  rollout: 'promoted',
  servingVersion: '7'
})
const billing = result('billing', { status: 'unchanged', version: '2' })
const failedSmoke = result('reports', { status: 'failed', version: '4', error: 'smoke failed' })
const failedBeforeShipping = result('audit', { status: 'failed', error: 'AccessDenied' })

describe('deployOutputs', () => {
  it('one function: plain values, and `functions` as JSON', () => {
    const outputs = deployOutputs([orders])
    expect(outputs).toMatchObject({
      changed: 'true',
      version: '7',
      'version-arn': `${ARN}:function:orders:7`,
      'alias-arn': `${ARN}:function:orders:live`,
      'layer-version-arn': `${ARN}:layer:orders-deps:3`,
      rollout: 'promoted',
      'serving-version': '7'
    })
    expect(JSON.parse(outputs.functions!)).toEqual({
      orders: {
        status: 'deployed',
        changed: true,
        version: '7',
        versionArn: `${ARN}:function:orders:7`,
        aliasArn: `${ARN}:function:orders:live`,
        layerVersionArn: `${ARN}:layer:orders-deps:3`,
        rollout: 'promoted',
        servingVersion: '7'
      }
    })
  })

  it('several functions: the plain outputs stay empty strings, never JSON; `functions` holds each', () => {
    const outputs = deployOutputs([orders, billing])
    for (const name of [
      'version',
      'version-arn',
      'alias-arn',
      'layer-version-arn',
      'rollout',
      'serving-version'
    ]) {
      expect(outputs[name], name).toBe('')
    }
    expect(outputs.changed).toBe('true')
    const functions = JSON.parse(outputs.functions!)
    expect(Object.keys(functions)).toEqual(['orders', 'billing'])
    expect(functions.billing).toEqual({
      status: 'unchanged',
      changed: false,
      version: '2',
      versionArn: null,
      aliasArn: null,
      layerVersionArn: null,
      rollout: null,
      servingVersion: null
    })
  })

  it.each([
    ['every function unchanged', [billing], 'false'],
    ['one of several changed', [billing, orders], 'true'],
    ['a version was published, then its smoke test failed', [failedSmoke], 'true'],
    ['failed before any version', [failedBeforeShipping], 'false'],
    ['unchanged and failed before any version', [billing, failedBeforeShipping], 'false']
  ] as const)('changed, %s: %s', (_case, results, changed) => {
    expect(deployOutputs([...results]).changed).toBe(changed)
  })
})
