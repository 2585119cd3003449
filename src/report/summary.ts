// Markdown for people: the job summary (everything) and the pull-request comment (the same
// size table, compact). Pure: a RunReport in, a string out.
import { INPUT } from '../constants.js'
import { LIMITS, type Architecture } from '../lambda-facts.js'
import type { BytecodeReport, FunctionDeployResult, PruneResult } from '../types.js'
import { distributionChart } from './chart.js'
import { compareReports, type ArchitectureChange, type SizeChange } from './compare.js'
import { checkSizeGates, HANDLER_CODE, uploadMethod, type GateFailure } from './gate.js'
import { unzippedTotal, zippedTotal, type ReportArchitecture } from './report-json.js'
import { code, markdownTable, type Align } from './markdown.js'
import { runLink } from './provenance.js'
import type { RunReport } from './run-report.js'
import { trafficSection } from './traffic-summary.js'
import {
  formatBytes,
  formatDelta,
  formatDuration,
  formatExact,
  formatPercent,
  formatShare,
  formatSize,
  formatSizeNear,
  isNearLimit
} from './sizes.js'

/** How many distributions the summary lists by size, and by change. */
const BIGGEST_LISTED = 10
const CHANGES_LISTED_SUMMARY = 10
const CHANGES_LISTED_COMMENT = 5

/** The hidden marker that finds our comment again: one per function set. */
export function commentMarker(id: string): string {
  return `<!-- lambda-python-deploy:${id} -->`
}

export { markdownTable } from './markdown.js'

function headroom(size: number, limit: number): string {
  if (size > limit) return `**over by ${formatSize(size - limit)}**`
  return `${formatSize(limit - size)} (${formatShare(limit - size, limit)} free)`
}

function changeCell(change: SizeChange | undefined): string {
  if (!change) return '-'
  if (change.base === 0 && change.head > 0) return `new (${formatDelta(change.delta)})`
  const percent = formatPercent(change.delta, change.base)
  return change.delta === 0 || !percent
    ? formatDelta(change.delta)
    : `${formatDelta(change.delta)} (${percent})`
}

function archStatus(arch: ReportArchitecture, report: RunReport, failures: GateFailure[]): string {
  if (failures.some((f) => f.architecture === arch.architecture)) return '❌'
  const { maxSize, maxUnzippedSize } = report.limits
  const zips = [arch.packages.function, arch.packages.layer].filter((zip) => zip !== undefined)
  const near =
    isNearLimit(unzippedTotal(arch), maxUnzippedSize) ||
    (maxSize !== undefined && zips.some((zip) => isNearLimit(zip.size, maxSize)))
  return near ? '⚠️' : '✅'
}

function uploadCell(arch: ReportArchitecture): string {
  const label = (size: number): string => (uploadMethod(size) === 's3' ? 'S3' : 'direct')
  const fn = label(arch.packages.function.size)
  if (!arch.packages.layer) return fn
  const layer = label(arch.packages.layer.size)
  return fn === layer ? fn : `function ${fn}, layer ${layer}`
}

function zippedHeadroom(arch: ReportArchitecture, maxSize: number): string {
  const biggest = Math.max(arch.packages.function.size, arch.packages.layer?.size ?? 0)
  return headroom(biggest, maxSize)
}

interface TableOptions {
  compact: boolean
}

/** The size table: one row per architecture. */
function sizeTable(
  report: RunReport,
  failures: GateFailure[],
  changes: ArchitectureChange[] | undefined,
  options: TableOptions
): string {
  const { build, limits } = report
  const hasLayer = build.architectures.some((a) => a.packages.layer !== undefined)
  const changeOf = (arch: Architecture): ArchitectureChange | undefined =>
    changes?.find((c) => c.architecture === arch)
  const zipLimits = [limits.maxSize, LIMITS.directUploadBytes]

  const headers = ['Architecture', 'Function zip']
  const align: Align[] = ['left', 'right']
  if (hasLayer) {
    headers.push('Layer zip')
    align.push('right')
  }
  headers.push(hasLayer ? 'Unzipped (function + layer)' : 'Unzipped', 'Unzipped headroom')
  align.push('right', 'right')
  if (limits.maxSize !== undefined) {
    headers.push('Zipped headroom')
    align.push('right')
  }
  if (!options.compact) {
    headers.push('Upload', 'Wheel cache', 'Import check')
    align.push('left', 'left', 'left')
  }
  if (changes) {
    headers.push('Change, zipped', 'Change, unzipped')
    align.push('right', 'right')
  }

  const rows = build.architectures.map((arch) => {
    const row = [
      `${archStatus(arch, report, failures)} ${arch.architecture}`,
      formatSizeNear(arch.packages.function.size, ...zipLimits)
    ]
    if (hasLayer) {
      row.push(arch.packages.layer ? formatSizeNear(arch.packages.layer.size, ...zipLimits) : '-')
    }
    const total = unzippedTotal(arch)
    row.push(formatSizeNear(total, limits.maxUnzippedSize), headroom(total, limits.maxUnzippedSize))
    if (limits.maxSize !== undefined) row.push(zippedHeadroom(arch, limits.maxSize))
    if (!options.compact) {
      row.push(uploadCell(arch), arch.cacheHit ? 'hit' : 'miss', arch.importCheck?.status ?? '-')
    }
    if (changes) {
      const change = changeOf(arch.architecture)
      row.push(changeCell(change?.zipped), changeCell(change?.unzipped))
    }
    return row
  })
  return markdownTable(headers, align, rows)
}

/** Lambda's limits and this workflow's own, in one paragraph under the table. */
function limitsLine(report: RunReport): string {
  const { maxSize, maxUnzippedSize } = report.limits
  const parts = [
    `Lambda takes function + layers up to ${formatExact(LIMITS.unzippedBytes)} unzipped; zips up to ${formatExact(LIMITS.directUploadBytes)} upload directly, bigger ones through S3 (${code(INPUT.s3Bucket)}).`
  ]
  if (maxUnzippedSize !== LIMITS.unzippedBytes) {
    parts.push(`${code(INPUT.maxUnzippedSize)}: ${formatExact(maxUnzippedSize)}.`)
  }
  if (maxSize !== undefined) parts.push(`${code(INPUT.maxSize)}: ${formatExact(maxSize)} per zip.`)
  return `Limits: ${parts.join(' ')}`
}

function gateSection(failures: GateFailure[]): string {
  if (failures.length === 0) return '**✅ Size gate passed.**'
  return ['**❌ Size gate failed:**', '', ...failures.map((f) => `- ${f.message}`)].join('\n')
}

function architectureHeaders(archs: readonly { architecture: Architecture }[]): string[] {
  return archs.map((a) => a.architecture)
}

/** The biggest distributions by unzipped size, with their share of function + layer. */
function biggestTable(report: RunReport, limit = BIGGEST_LISTED): string {
  const archs = report.build.architectures
  const biggestOf = new Map<string, { version: string; size: number }>()
  for (const arch of archs) {
    for (const d of arch.distributions) {
      const seen = biggestOf.get(d.name)
      if (!seen || d.unzippedSize > seen.size) {
        biggestOf.set(d.name, { version: seen?.version ?? d.version, size: d.unzippedSize })
      }
    }
  }
  const ranked = [...biggestOf.entries()].sort(
    (a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0])
  )
  const listed = ranked.slice(0, limit)
  const rest = ranked.slice(limit).map(([name]) => name)
  const share = (arch: ReportArchitecture, bytes: number): string =>
    `${formatSize(bytes)} (${formatShare(bytes, unzippedTotal(arch))})`
  const sizeIn = (arch: ReportArchitecture, name: string): string => {
    const d = arch.distributions.find((x) => x.name === name)
    return d ? share(arch, d.unzippedSize) : '-'
  }
  const rows = listed.map(([name, { version }], index) => [
    String(index + 1),
    version ? `${name} ${version}` : name,
    ...archs.map((arch) => sizeIn(arch, name))
  ])
  if (rest.length > 0) {
    const restNames = new Set(rest)
    rows.push([
      '',
      `_${rest.length} more_`,
      ...archs.map((arch) =>
        share(
          arch,
          arch.distributions
            .filter((d) => restNames.has(d.name))
            .reduce((sum, d) => sum + d.unzippedSize, 0)
        )
      )
    ])
  }
  rows.push(['', `_${HANDLER_CODE}_`, ...archs.map((arch) => share(arch, arch.codeUnzippedSize))])
  if (archs.some((arch) => (arch.bytecode?.unzippedBytes ?? 0) > 0)) {
    rows.push([
      '',
      '_bytecode (.pyc)_',
      ...archs.map((arch) => share(arch, arch.bytecode?.unzippedBytes ?? 0))
    ])
  }
  return markdownTable(
    ['#', 'Distribution', ...architectureHeaders(archs)],
    ['right', 'left', ...archs.map((): Align => 'right')],
    rows
  )
}

function distributionChangeCell(change: ArchitectureChange | undefined, name: string): string {
  const d = change?.distributions.find((x) => x.name === name)
  if (!d) return '-'
  return d.status === 'changed' ? changeCell(d.size) : `${d.status}, ${formatDelta(d.size.delta)}`
}

function versionCell(changes: ArchitectureChange[], name: string): string {
  for (const change of changes) {
    const d = change.distributions.find((x) => x.name === name)
    if (!d) continue
    if (d.status === 'added') return d.headVersion ?? ''
    if (d.status === 'removed') return d.baseVersion ?? ''
    return d.baseVersion === d.headVersion
      ? (d.headVersion ?? '')
      : `${d.baseVersion} → ${d.headVersion}`
  }
  return ''
}

/** Distributions that changed against the base, merged across architectures, biggest change first. */
function changeTable(changes: ArchitectureChange[], limit: number): string {
  const biggest = new Map<string, number>()
  for (const change of changes) {
    for (const d of change.distributions) {
      biggest.set(d.name, Math.max(biggest.get(d.name) ?? 0, Math.abs(d.size.delta)))
    }
  }
  const codeChanged = changes.some((c) => c.code.delta !== 0)
  if (biggest.size === 0 && !codeChanged) return 'No distribution changed.'
  const ranked = [...biggest.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  const rows = ranked
    .slice(0, limit)
    .map(([name]) => [
      name,
      versionCell(changes, name),
      ...changes.map((change) => distributionChangeCell(change, name))
    ])
  if (codeChanged) {
    rows.push([`_${HANDLER_CODE}_`, '', ...changes.map((change) => changeCell(change.code))])
  }
  const table = markdownTable(
    ['Distribution', 'Version', ...changes.map((c) => c.architecture)],
    ['left', 'left', ...changes.map((): Align => 'right')],
    rows
  )
  const more = ranked.length - limit
  return more > 0 ? `${table}\n\n${more} more distributions changed.` : table
}

function changeSection(
  report: RunReport,
  changes: ArchitectureChange[] | undefined,
  limit: number
): string | undefined {
  if (!report.baseBranch && !changes) return undefined
  const branch = report.baseBranch ?? 'the base branch'
  const title = `#### Change against ${report.baseBranch ? code(report.baseBranch) : branch}`
  if (!changes) {
    return `${title}\n\nNo size report from ${code(branch)} to compare with yet: each run on ${code(branch)} saves one in the Actions cache (an old one may have expired).`
  }
  const commit = report.baseCommit ? ` (${code(report.baseCommit.slice(0, 7))})` : ''
  const lines = [title, '', `Compared with the latest report saved on ${code(branch)}${commit}.`]
  for (const change of changes) {
    if (change.status === 'added') lines.push(`${change.architecture} is new in this change.`)
    if (change.status === 'removed') {
      lines.push(
        `${change.architecture} is no longer built (it was ${formatSize(change.zipped.base)} zipped, ${formatSize(change.unzipped.base)} unzipped).`
      )
    }
  }
  lines.push('', changeTable(changes, limit))
  return lines.join('\n')
}

function aliasName(arn: string | undefined): string {
  if (!arn) return '-'
  return arn.slice(arn.lastIndexOf(':') + 1)
}

function deployResultCell(d: FunctionDeployResult): string {
  if (d.rollout === 'rolled-back')
    return `↩️ rolled back to ${d.servingVersion ?? 'the previous version'}`
  if (d.rollout === 'rollback-failed') return '❌ rollback failed'
  if (d.rollout === 'superseded')
    return `⏹️ superseded by ${d.servingVersion ?? 'another deployment'}`
  if (d.status === 'deployed') return '✅ deployed'
  if (d.status === 'unchanged') return 'unchanged'
  return '❌ failed'
}

function smokeCell(d: FunctionDeployResult): string {
  if (!d.smoke) return '-'
  if (d.smoke.status === 'passed') return '✅ passed'
  if (d.smoke.status === 'failed') return '❌ failed'
  return 'skipped'
}

/** Per function: changed or unchanged, version, alias, smoke result; problems listed below. */
function deployTable(deploys: FunctionDeployResult[], options: TableOptions): string {
  const headers = ['Function', 'Architecture', 'Result', 'Version', 'Alias', 'Smoke']
  const align: Align[] = ['left', 'left', 'left', 'right', 'left', 'left']
  if (!options.compact) {
    headers.push('Upload', 'Waited')
    align.push('left', 'right')
  }
  const rows = deploys.map((d) => {
    const row = [
      code(d.functionName),
      d.architecture,
      deployResultCell(d),
      d.version ?? '-',
      aliasName(d.aliasArn),
      smokeCell(d)
    ]
    if (!options.compact) {
      row.push(
        d.upload === 's3' ? 'S3' : (d.upload ?? '-'),
        d.waitedMs ? formatDuration(d.waitedMs) : '-'
      )
    }
    return row
  })
  const problems = deploys.flatMap((d) => {
    const lines: string[] = []
    if (d.status === 'failed' && d.error) lines.push(`- ${code(d.functionName)}: ${d.error}`)
    if (d.smoke?.status === 'failed' && d.smoke.detail) {
      lines.push(`- ${code(d.functionName)} smoke: ${d.smoke.detail}`)
    }
    return lines
  })
  const table = markdownTable(headers, align, rows)
  return problems.length > 0 ? `${table}\n\n${problems.join('\n')}` : table
}

/** `#### Time`: one column per architecture, then the whole run's phases. */
function timingSection(report: RunReport): string | undefined {
  const archs = report.build.architectures
  const phases = [...new Set(archs.flatMap((a) => Object.keys(a.timings ?? {})))]
  const parts: string[] = []
  if (phases.length > 0) {
    const rows = phases.map((phase) => [
      phase,
      ...archs.map((a) => {
        const ms = a.timings?.[phase]
        return ms === undefined ? '-' : formatDuration(ms)
      })
    ])
    parts.push(
      markdownTable(
        ['Phase', ...architectureHeaders(archs)],
        ['left', ...archs.map((): Align => 'right')],
        rows
      )
    )
  }
  const run = Object.entries(report.timings ?? {})
  if (run.length > 0) {
    parts.push(
      `Whole run: ${run.map(([name, ms]) => `${name} ${formatDuration(ms)}`).join(' · ')}.`
    )
  }
  return parts.length > 0 ? `#### Time\n\n${parts.join('\n\n')}` : undefined
}

function heading(report: RunReport): string {
  return report.title ? `### lambda-python-deploy: ${report.title}` : '### lambda-python-deploy'
}

function subtitle(report: RunReport): string {
  const archs = report.build.architectures.map((a) => a.architecture).join(', ')
  return `${code(report.mode)} mode · ${report.build.runtime} · ${report.build.packageType} package · ${archs}`
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`
}

/**
 * Per target: did the handler's import pass, with which interpreter, or why did it not run.
 * Nothing unproven ships silently (issue 20): a target that was not checked says so here.
 */
function importCheckSection(report: RunReport): string | undefined {
  const rows = report.build.architectures.flatMap((a) => {
    const check = a.importCheck
    if (!check) return []
    const target = `${a.runtime || report.build.runtime} ${a.architecture}`
    return check.status === 'passed'
      ? [[target, '✅ passed', check.interpreter ?? '-']]
      : [[target, '⚠️ not checked', sentence(check.reason ?? 'no reason recorded')]]
  })
  if (rows.length === 0) return undefined
  const table = markdownTable(
    ['Target', 'Import check', 'Interpreter, or why it did not run'],
    ['left', 'left', 'left'],
    rows
  )
  return `#### Import check\n\n${table}`
}

/** `1.33 s without bytecode, 345 ms with it (3.9x faster)`. */
function importTimeText(bytecode: BytecodeReport): string | undefined {
  const time = bytecode.importTime
  if (!time) return undefined
  const ratio = time.withBytecodeMs > 0 ? time.withoutBytecodeMs / time.withBytecodeMs : 0
  return `${formatDuration(time.withoutBytecodeMs)} without bytecode, ${formatDuration(time.withBytecodeMs)} with it${ratio >= 1.05 ? ` (${ratio.toFixed(1)}x faster)` : ''}`
}

function bytecodeWhat(bytecode: BytecodeReport): string {
  return bytecode.compiled === 'all' ? 'every module' : 'what the handler imports at init'
}

/** Per architecture: the .pyc files shipped, what they add, the import time; or why none. */
function bytecodeNotes(report: RunReport): string[] {
  const archs = report.build.architectures.filter((a) => a.bytecode !== undefined)
  if (archs.length === 0) return []
  if (archs.every((a) => a.bytecode?.mode === 'none')) {
    return [
      `Bytecode off (${code(`${INPUT.bytecode}: none`)}): every module compiles from source at each cold start.`
    ]
  }
  return archs.map((a) => {
    const b = a.bytecode as BytecodeReport
    if (b.files === 0)
      return sentence(`No bytecode on ${a.architecture}: ${b.reason ?? 'none compiled'}`)
    const parts = [
      `Bytecode on ${a.architecture}: ${formatBytes(b.files)} .pyc files for ${bytecodeWhat(b)} (of ${formatBytes(b.sources)} .py), +${formatSize(b.unzippedBytes)} unzipped, +${formatSize(b.zippedBytes)} zipped, compiled by ${b.interpreter ?? 'CPython'}.`
    ]
    const time = importTimeText(b)
    if (time) parts.push(`Handler import: ${time}.`)
    else if (b.importTimeNote) parts.push(sentence(`Handler import not timed: ${b.importTimeNote}`))
    if (b.reason) parts.push(sentence(`Less than asked: ${b.reason}`))
    return parts.join(' ')
  })
}

/** The comment's one line: bytes added and import times, or why none, per architecture. */
function bytecodeLine(report: RunReport): string | undefined {
  const archs = report.build.architectures.filter((a) => a.bytecode !== undefined)
  if (archs.length === 0 || archs.every((a) => a.bytecode?.mode === 'none')) return undefined
  const parts = archs.map((a) => {
    const b = a.bytecode as BytecodeReport
    if (b.files === 0) return `${a.architecture} none (${b.reason ?? 'none compiled'})`
    const time = b.importTime
      ? `, handler import ${formatDuration(b.importTime.withoutBytecodeMs)} → ${formatDuration(b.importTime.withBytecodeMs)}`
      : ''
    return `${a.architecture} +${formatSize(b.unzippedBytes)} unzipped${time}`
  })
  return `Bytecode: ${parts.join('; ')}.`
}

function closureNotes(report: RunReport): string[] {
  return report.build.architectures.flatMap((a) =>
    a.closure && a.closure.distributions > 0
      ? [
          `Dependency closure on ${a.architecture}: ${a.closure.distributions} distributions, all ${a.closure.requirements} requirements met for ${a.runtime}` +
            (a.closure.fromRuntime.length > 0
              ? ` (${a.closure.fromRuntime.map(code).join(', ')} from the Lambda runtime).`
              : '.')
        ]
      : []
  )
}

/** Worked out once per rendering, read by several parts: the gate's failures, the change. */
function findings(report: RunReport): {
  failures: GateFailure[]
  changes: ArchitectureChange[] | undefined
} {
  return {
    failures: checkSizeGates(report.build, report.limits),
    changes: report.base ? compareReports(report.build, report.base) : undefined
  }
}

/** keep-versions / keep-layer-versions: per function (and the layer), deleted and kept, why. */
function pruneSection(report: RunReport): string | undefined {
  const prunes = [
    ...(report.deploys ?? []).flatMap((d) => (d.prune ? [d.prune] : [])),
    ...(report.layerPrune ? [report.layerPrune] : [])
  ]
  if (prunes.length === 0) return undefined
  const rows = prunes.map((p: PruneResult) => [
    code(p.subject),
    p.deleted.join(', ') || '-',
    p.kept.map((k) => `${k.version}: ${k.reasons.join(', ')}`).join('\n') || '-'
  ])
  const warnings = prunes.flatMap((p) => p.warnings.map((w) => `- ⚠️ ${w}`))
  const table = markdownTable(
    ['Versions of', 'Deleted', 'Kept, and why'],
    ['left', 'left', 'left'],
    rows
  )
  return `#### Versions\n\n${warnings.length > 0 ? `${table}\n\n${warnings.join('\n')}` : table}`
}

function deploySection(report: RunReport, options: TableOptions): string | undefined {
  if (!report.deploys || report.deploys.length === 0) return undefined
  return `#### Deploy\n\n${deployTable(report.deploys, options)}`
}

/** Which file decided the dependencies and why (issue 9), and the local libraries built. */
function dependenciesLine(report: RunReport): string | undefined {
  const dependencies = report.build.dependencies
  if (!dependencies) return undefined
  const libraries =
    dependencies.localLibraries.length > 0
      ? ` Local libraries built into wheels: ${dependencies.localLibraries.map(code).join(', ')}.`
      : ''
  return `Dependencies: ${dependencies.reason}.${libraries}`
}

/** With package-dir: where the packages were built and why they ship here (issue 18). */
function originLine(report: RunReport): string | undefined {
  const origin = report.packageOrigin
  if (!origin) return undefined
  const provenance = report.build.provenance
  const link = provenance ? ` ([build run](${runLink(provenance)}))` : ''
  const mark = origin.kind === 'not checked' ? '⚠️ ' : ''
  return `${mark}Packages from ${code(INPUT.packageDir)}: ${origin.note}${link}`
}

/** The job summary: every part of the report. */
export function renderSummary(report: RunReport): string {
  const { failures, changes } = findings(report)
  const options = { compact: false }
  const sections = [
    heading(report),
    subtitle(report),
    gateSection(failures),
    sizeTable(report, failures, changes, options),
    [
      limitsLine(report),
      originLine(report),
      dependenciesLine(report),
      ...bytecodeNotes(report),
      ...closureNotes(report)
    ]
      .filter((line) => line !== undefined)
      .join('\n\n'),
    importCheckSection(report),
    changeSection(report, changes, CHANGES_LISTED_SUMMARY),
    deploySection(report, options),
    trafficSection(report.deploys ?? []),
    pruneSection(report),
    `#### Biggest distributions, unzipped\n\n${biggestTable(report)}`,
    timingSection(report)
  ]
  return sections.filter((section) => section !== undefined).join('\n\n') + '\n'
}

/** The sticky pull-request comment: hidden marker, the size table (compact), the change, the chart. */
export function renderComment(report: RunReport): string {
  const { failures, changes } = findings(report)
  const options = { compact: true }
  const footer = [subtitle(report)]
  if (report.runUrl) footer.push(`[full report](${report.runUrl})`)
  const sections = [
    commentMarker(report.id),
    heading(report),
    gateSection(failures),
    sizeTable(report, failures, changes, options),
    limitsLine(report),
    importCheckSection(report),
    bytecodeLine(report),
    changeSection(report, changes, CHANGES_LISTED_COMMENT),
    distributionChart(report),
    deploySection(report, options),
    `<sub>${footer.join(' · ')}</sub>`
  ]
  return sections.filter((section) => section !== undefined).join('\n\n') + '\n'
}

/** The last line of the log: sizes per architecture, deploy counts, the gate's verdict. */
export function renderResultLine(report: RunReport): string {
  const failures = checkSizeGates(report.build, report.limits)
  const sizes = report.build.architectures
    .map(
      (a) =>
        `${a.architecture} ${formatSize(zippedTotal(a))} zipped, ${formatSize(unzippedTotal(a))} unzipped`
    )
    .join('; ')
  const parts = [sizes]
  const deploys = report.deploys ?? []
  if (deploys.length > 0) {
    const count = (status: FunctionDeployResult['status']): number =>
      deploys.filter((d) => d.status === status).length
    parts.push(
      `${count('deployed')} deployed, ${count('unchanged')} unchanged, ${count('failed')} failed`
    )
  }
  parts.push(failures.length > 0 ? `size gate failed (${failures.length})` : 'size gate passed')
  return `lambda-python-deploy: ${parts.join('; ')}`
}
