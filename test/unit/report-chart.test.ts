// The comment's Mermaid chart: the biggest distributions of the first architecture, bars for
// this change and a line for the base branch, with the change in each label.
import { describe, expect, it } from 'vitest'
import { distributionChart } from '../../src/report/chart.js'
import { renderComment } from '../../src/report/summary.js'
import { loadReport, runReport } from '../helpers/report-fixtures.js'

const INIT = '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#2da44e, #59636e"}}}}%%'
const againstMain = runReport('pull-request', { base: loadReport('main'), baseBranch: 'main' })

describe('distributionChart', () => {
  it('charts this change against the base branch, biggest first, the change in each label', () => {
    expect(distributionChart(againstMain)).toBe(
      [
        '```mermaid',
        INIT,
        'xychart-beta horizontal',
        '  title "arm64: biggest distributions, MB unzipped"',
        '  x-axis ["numpy +12.3 kB", "pydantic_core", "pydantic +14.1 kB", "orjson (new)", "typing_extensions", "typing_inspection (removed)", "annotated_types"]',
        '  y-axis "MB unzipped"',
        '  bar [38.9, 4.81, 3.20, 0.61, 0.11, 0.00, 0.04]',
        '  line [38.9, 4.81, 3.19, 0.00, 0.11, 0.06, 0.04]',
        '```',
        '',
        'Bars: this change. Line: `main`. Labels give the change in size.'
      ].join('\n')
    )
  })

  it('charts bars alone when there is no base report, and says why on a pull request', () => {
    const bars = [
      '```mermaid',
      INIT,
      'xychart-beta horizontal',
      '  title "arm64: biggest distributions, MB unzipped"',
      '  x-axis ["numpy", "pydantic_core", "pydantic", "orjson", "typing_extensions", "annotated_types"]',
      '  y-axis "MB unzipped"',
      '  bar [38.9, 4.81, 3.20, 0.61, 0.11, 0.04]',
      '```',
      ''
    ].join('\n')
    expect(distributionChart(runReport('pull-request'))).toBe(`${bars}\nBars: this change.`)
    expect(distributionChart(runReport('pull-request', { baseBranch: 'main' }))).toBe(
      `${bars}\nBars: this change (no report from \`main\` to compare with).`
    )
  })

  it('keeps to the biggest few', () => {
    const chart = distributionChart(againstMain, 2)!
    expect(chart).toContain('  x-axis ["numpy +12.3 kB", "pydantic_core"]')
    expect(chart).toContain('  bar [38.9, 4.81]')
  })

  it('is left out when the package has no distributions', () => {
    const bare = runReport('pull-request')
    for (const arch of bare.build.architectures) arch.distributions = []
    expect(distributionChart(bare)).toBeUndefined()
  })
})

describe('the pull-request comment', () => {
  it('shows the chart after the change against the base branch', () => {
    const comment = renderComment(againstMain)
    const change = comment.indexOf('#### Change against `main`')
    const chart = comment.indexOf('```mermaid\n')
    expect(change).toBeGreaterThan(-1)
    expect(chart).toBeGreaterThan(change)
  })
})
