// The verdict from alarm states and metric sums.
import { describe, expect, it } from 'vitest'
import {
  describeReading,
  judgeHealth,
  type HealthLimits,
  type HealthReading
} from '../../src/deploy/traffic/health.js'

const resource = 'version 4 through orders:live'
const quiet = { errors: 0, throttles: 0, invocations: 20 }
const limits: HealthLimits = { alarms: ['orders-errors', 'p99'], maxErrors: 0 }
const ok = [
  { name: 'orders-errors', state: 'OK' },
  { name: 'p99', state: 'INSUFFICIENT_DATA' }
]

describe('judgeHealth', () => {
  it.each<[string, HealthReading, HealthLimits, string[]]>([
    ['all quiet (INSUFFICIENT_DATA is not ALARM)', { alarms: ok, metrics: quiet }, limits, []],
    [
      'an alarm in ALARM, with its reason',
      {
        alarms: [
          {
            name: 'orders-errors',
            state: 'ALARM',
            reason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (1.0).'
          },
          ok[1]!
        ],
        metrics: quiet
      },
      limits,
      [
        'alarm orders-errors is in ALARM (Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (1.0))'
      ]
    ],
    [
      'one error with max-errors 0',
      { alarms: [], metrics: { errors: 1, throttles: 0, invocations: 1 } },
      { alarms: [], maxErrors: 0 },
      [
        'AWS/Lambda Errors of version 4 through orders:live is 1 (in 1 invocation), above max-errors 0'
      ]
    ],
    [
      'errors within max-errors',
      { alarms: [], metrics: { errors: 3, throttles: 0, invocations: 90 } },
      { alarms: [], maxErrors: 3 },
      []
    ],
    [
      'throttles without max-throttles: reported, not judged',
      { alarms: [], metrics: { errors: 0, throttles: 50, invocations: 90 } },
      { alarms: [], maxErrors: 0 },
      []
    ],
    [
      'throttles above max-throttles',
      { alarms: [], metrics: { errors: 0, throttles: 5, invocations: 90 } },
      { alarms: [], maxErrors: 0, maxThrottles: 4 },
      ['AWS/Lambda Throttles of version 4 through orders:live is 5, above max-throttles 4']
    ],
    [
      'everything at once',
      {
        alarms: [{ name: 'p99', state: 'ALARM' }],
        metrics: { errors: 2, throttles: 1, invocations: 2 }
      },
      { alarms: ['p99'], maxErrors: 1, maxThrottles: 0 },
      [
        'alarm p99 is in ALARM',
        'AWS/Lambda Errors of version 4 through orders:live is 2 (in 2 invocations), above max-errors 1',
        'AWS/Lambda Throttles of version 4 through orders:live is 1, above max-throttles 0'
      ]
    ]
  ])('%s', (_name, reading, given, problems) => {
    expect(judgeHealth(reading, given, resource)).toEqual({
      healthy: problems.length === 0,
      problems
    })
  })
})

describe('describeReading', () => {
  it.each<[HealthReading, string]>([
    [{ alarms: [], metrics: quiet }, '0 errors, 0 throttles in 20 invocations'],
    [
      { alarms: ok.slice(0, 1), metrics: quiet },
      '0 errors, 0 throttles in 20 invocations; alarms OK'
    ],
    [
      { alarms: ok, metrics: { errors: 1, throttles: 1, invocations: 1 } },
      '1 error, 1 throttle in 1 invocation; alarms p99 INSUFFICIENT_DATA'
    ]
  ])('%j → %s', (reading, text) => {
    expect(describeReading(reading)).toBe(text)
  })
})
