// Size reports the report tests render, as the build writes them (test/fixtures/report/).
import { readFileSync } from 'node:fs'
import { LIMITS } from '../../src/lambda-facts.js'
import { parseReportJson, type BuildReportJson } from '../../src/report/report-json.js'
import type { RunReport } from '../../src/report/run-report.js'

export type ReportFixture = 'main' | 'pull-request' | 'layer-near-limit'

export function reportFixturePath(name: ReportFixture): string {
  return new URL(`../fixtures/report/${name}.json`, import.meta.url).pathname
}

export function loadReport(name: ReportFixture): BuildReportJson {
  return parseReportJson(readFileSync(reportFixturePath(name), 'utf8'))
}

/** A build-mode RunReport over one fixture, Lambda's limits, no base; override what a test needs. */
export function runReport(name: ReportFixture, overrides: Partial<RunReport> = {}): RunReport {
  return {
    mode: 'build',
    build: loadReport(name),
    id: 'a1b2c3d4e5f6',
    limits: { maxUnzippedSize: LIMITS.unzippedBytes },
    ...overrides
  }
}
