// The report stage as main.ts sees it: pure rendering and gate checks over a RunReport, and thin
// functions that publish them (job summary, annotations, pull-request comment, base report).
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { isAbsolute, relative } from 'node:path'
import { UserError, errorMessage } from '../errors.js'
import { upsertComment, type CommentResult } from './comment.js'
import { checkSizeGates, type GateFailure } from './gate.js'
import type { RunReport } from './run-report.js'
import { commentMarker, renderComment, renderResultLine, renderSummary } from './summary.js'

export type { RunReport } from './run-report.js'
export { restoreBaseReport, saveBaseReport } from './base-report.js'

function normalisedPath(path: string, workspace: string | undefined): string {
  const relativePath = workspace && isAbsolute(path) ? relative(workspace, path) || '.' : path
  const cleaned = relativePath
    .replace(/\\/g, '/')
    .replace(/\/+/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/$/, '')
  return cleaned || '.'
}

/**
 * A short id for one build: in the comment's hidden marker and the base report's cache key. It
 * hashes where the code lives (source and requirements, relative to the workspace), the runtime
 * and the architectures, not the function names: a pull request's `mode: build` gate and the
 * default branch's deploy of the same build share it, while matrix jobs that build one source
 * for several runtimes or architectures each keep their own comment and base report.
 */
export function reportId(
  parts: { source: string; requirements?: string; runtime: string; architectures: string[] },
  workspace = process.env.GITHUB_WORKSPACE
): string {
  const text = [
    normalisedPath(parts.source, workspace),
    parts.requirements ? normalisedPath(parts.requirements, workspace) : '',
    parts.runtime,
    [...new Set(parts.architectures)].sort().join(',')
  ].join('\n')
  return createHash('sha256').update(text).digest('hex').slice(0, 12)
}

export function checkGates(report: RunReport): GateFailure[] {
  return checkSizeGates(report.build, report.limits)
}

/** The error the step fails with after the summary is written: every failed gate, one a line. */
export function gateError(failures: GateFailure[]): UserError {
  return new UserError(failures.map((f) => f.message).join('\n'))
}

/**
 * One error annotation per failed gate, on the requirements file when there is one (its path
 * relative to the workspace, so GitHub can place it on the file).
 */
export function annotateGateFailures(
  failures: GateFailure[],
  requirementsFile?: string,
  workspace = process.env.GITHUB_WORKSPACE
): void {
  const file = requirementsFile ? normalisedPath(requirementsFile, workspace) : undefined
  for (const f of failures) {
    core.error(f.message, {
      title: `${f.input}: ${f.architecture} over the limit`,
      ...(file ? { file, startLine: 1 } : {})
    })
  }
}

/** Writes the job summary; false when there is no summary file (a run outside Actions). */
export async function publishSummary(report: RunReport): Promise<boolean> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.debug('no GITHUB_STEP_SUMMARY: job summary not written')
    return false
  }
  try {
    await core.summary.addRaw(renderSummary(report)).write()
    return true
  } catch (error) {
    core.warning(`Job summary not written: ${errorMessage(error)}`)
    return false
  }
}

/** Posts or edits the sticky pull-request comment. Never throws. */
export async function publishComment(
  report: RunReport,
  token: string | undefined,
  env: Record<string, string | undefined> = process.env
): Promise<CommentResult> {
  return upsertComment({
    body: renderComment(report),
    marker: commentMarker(report.id),
    token,
    env
  })
}

/** The final one-line result in the log. */
export function logResultLine(report: RunReport): void {
  core.info(renderResultLine(report))
}
