// The traffic timeline in the job summary: outcome line, table, and the Mermaid chart.
import { describe, expect, it } from 'vitest'
import { renderComment, renderSummary } from '../../src/report/summary.js'
import { trafficChart, trafficSection } from '../../src/report/traffic-summary.js'
import type { FunctionDeployResult, TrafficRecord } from '../../src/types.js'
import { runReport } from '../helpers/report-fixtures.js'

/** 2025-01-01T12:00:00Z */
const START = Date.UTC(2025, 0, 1, 12, 0, 0)

const rolledBack: TrafficRecord = {
  traffic: 'linear 25% 1m',
  alias: 'live',
  from: '4',
  to: '5',
  startedAt: START,
  steps: [
    {
      percent: 0,
      startMs: 0,
      heldMs: 0,
      checks: 1,
      errors: 0,
      throttles: 0,
      invocations: 0,
      alarmsInAlarm: [],
      verdict: 'healthy'
    },
    {
      percent: 25,
      startMs: 400,
      heldMs: 60_000,
      checks: 5,
      errors: 0,
      throttles: 1,
      invocations: 310,
      alarmsInAlarm: [],
      verdict: 'healthy'
    },
    {
      percent: 50,
      startMs: 60_400,
      heldMs: 24_000,
      checks: 2,
      errors: 0,
      throttles: 0,
      invocations: 650,
      alarmsInAlarm: ['orders-p99'],
      verdict: 'unhealthy'
    }
  ],
  stopped: {
    atMs: 84_400,
    reason: 'alarm orders-p99 is in ALARM (at 50% to version 5, 84 s into the shift)'
  },
  totalMs: 84_400
}

const deploy: FunctionDeployResult = {
  functionName: 'orders',
  architecture: 'arm64',
  status: 'failed',
  version: '5',
  rollout: 'rolled-back',
  servingVersion: '4',
  traffic: rolledBack,
  latestRestore: {
    status: 'restored',
    detail: '$LATEST restored to the code of version 4 (CodeSha256 abc) (2.1 MB, direct upload)'
  },
  error: 'Version 5 was rejected: …'
}

describe('trafficSection', () => {
  it('a rollback: what stopped it, the alias and $LATEST, each step with what was measured', () => {
    const section = trafficSection([deploy])!
    expect(section.split('\n\n').slice(0, 4)).toEqual([
      '#### Traffic',
      '##### `orders`: alias `live`, linear 25% 1m, version 4 → 5',
      '↩️ Rolled back after 1 min 24 s: alarm orders-p99 is in ALARM (at 50% to version 5, 84 s into the shift). ' +
        'Alias `live` serves version 4 again, routing cleared. $LATEST restored to the code of version 4 (CodeSha256 abc) (2.1 MB, direct upload).',
      [
        '| Step | Began | Held | Share to version 5 | Errors | Throttles | Invocations | Alarms in ALARM | Checks | Verdict |',
        '|:--|--:|--:|--:|--:|--:|--:|:--|--:|:--|',
        '| before | +0 ms | - | 0% | 0 | 0 | 0 | none | 1 | ✅ healthy |',
        '| 1 | +400 ms | 1 min 00 s | 25% | 0 | 1 | 310 | none | 5 | ✅ healthy |',
        '| 2 | +1 min 00 s | 24.0 s | 50% | 0 | 0 | 650 | orders-p99 | 2 | ❌ unhealthy |'
      ].join('\n')
    ])
  })

  it('draws the steps on the wall clock as a Gantt chart, the stopped step critical', () => {
    expect(trafficChart(rolledBack, 'orders')).toBe(
      [
        '```mermaid',
        'gantt',
        '  title orders alias live, version 4 to 5, linear 25% 1m',
        '  dateFormat x',
        '  axisFormat %H:%M:%S',
        '  section Share to v5',
        `  0% before :done, ${START}, ${START + 1_000}`,
        `  25% :done, ${START + 400}, ${START + 60_400}`,
        `  50% :crit, ${START + 60_400}, ${START + 84_400}`,
        `  rolled back to v4 :crit, ${START + 84_400}, ${START + 85_400}`,
        '```'
      ].join('\n')
    )
  })

  it('a promotion, resumed from an earlier run’s share', () => {
    const promoted: FunctionDeployResult = {
      ...deploy,
      status: 'unchanged',
      rollout: 'promoted',
      servingVersion: '5',
      traffic: {
        ...rolledBack,
        traffic: 'canary 10% 5m',
        resumedAt: 10,
        stopped: undefined,
        totalMs: 300_500,
        steps: [
          {
            percent: 10,
            startMs: 0,
            heldMs: 0,
            checks: 1,
            errors: 0,
            throttles: 0,
            invocations: 3,
            verdict: 'healthy'
          },
          {
            percent: 10,
            startMs: 200,
            heldMs: 300_000,
            checks: 5,
            errors: 0,
            throttles: 0,
            invocations: 90,
            verdict: 'healthy'
          },
          { percent: 100, startMs: 300_200, heldMs: 300, checks: 0, verdict: 'promoted' }
        ]
      }
    }
    const section = trafficSection([promoted])!
    expect(section).toContain(
      "✅ Version 5 promoted after 5 min 01 s. Resumed an earlier run's unfinished shift found at 10%."
    )
    expect(section).toContain('| before (resumed) | +0 ms | - | 10% |')
    expect(section).toContain(
      '| promote | +5 min 00 s | 300 ms | 100% | - | - | - | - | 0 | ✅ promoted |'
    )
    expect(section).toContain(`  100% promoted :active, ${START + 300_200}, ${START + 301_200}`)
  })

  it('is left out when nothing shifted', () => {
    expect(trafficSection([{ ...deploy, traffic: undefined }])).toBeUndefined()
  })
})

describe('in the job summary', () => {
  it('comes after the deploy table, whose result says rolled back; the comment leaves it out', () => {
    const report = runReport('main', { mode: 'deploy', deploys: [deploy] })
    const summary = renderSummary(report)
    expect(summary).toContain('| `orders` | arm64 | ↩️ rolled back to 4 | 5 |')
    expect(summary.indexOf('#### Traffic')).toBeGreaterThan(summary.indexOf('#### Deploy'))
    expect(summary).toContain('```mermaid\ngantt\n')
    expect(renderComment(report)).not.toContain('#### Traffic')
  })
})
