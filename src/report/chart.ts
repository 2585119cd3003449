// The pull-request comment's chart: the biggest distributions of one architecture as a Mermaid
// bar chart (GitHub renders ```mermaid blocks), bars for this change and a line for the base
// branch, so growth shows at a glance. Pure: a RunReport in, Markdown out.
import type { ReportArchitecture } from './report-json.js'
import type { RunReport } from './run-report.js'
import { formatDelta } from './sizes.js'

/** How many distributions the chart shows: more would crowd the axis labels. */
export const CHARTED = 8

interface Charted {
  name: string
  head: number
  base?: number
}

/** Unzipped size per distribution name. */
function sizes(arch: ReportArchitecture | undefined): Map<string, number> {
  return new Map((arch?.distributions ?? []).map((d) => [d.name, d.unzippedSize]))
}

/** One decimal in MB (powers of 1000, as the rest of the report), two below 10 MB. */
function megabytes(bytes: number): string {
  const mb = bytes / 1000 ** 2
  return mb < 10 ? mb.toFixed(2) : mb.toFixed(1)
}

/** `numpy`, `numpy +1.20 MB`, `orjson (new)`, `six (removed)`: the change rides in the label. */
function label(d: Charted): string {
  if (d.base === undefined) return d.name
  if (d.base === 0) return `${d.name} (new)`
  if (d.head === 0) return `${d.name} (removed)`
  return d.head === d.base ? d.name : `${d.name} ${formatDelta(d.head - d.base)}`
}

/**
 * The biggest distributions of the first architecture, by the larger of their size here and on
 * the base branch (a big distribution this change removes is charted too). Undefined when the
 * package has no distributions.
 */
export function distributionChart(report: RunReport, limit = CHARTED): string | undefined {
  const head = report.build.architectures[0]
  if (!head) return undefined
  const baseArch = report.base?.architectures.find((a) => a.architecture === head.architecture)
  const headSizes = sizes(head)
  const baseSizes = baseArch ? sizes(baseArch) : undefined
  const names = new Set([...headSizes.keys(), ...(baseSizes?.keys() ?? [])])
  const charted: Charted[] = [...names]
    .map((name) => ({
      name,
      head: headSizes.get(name) ?? 0,
      ...(baseSizes ? { base: baseSizes.get(name) ?? 0 } : {})
    }))
    .sort(
      (a, b) =>
        Math.max(b.head, b.base ?? 0) - Math.max(a.head, a.base ?? 0) ||
        a.name.localeCompare(b.name)
    )
    .slice(0, limit)
  if (charted.length === 0) return undefined

  const branch = report.baseBranch ?? 'the base branch'
  const list = (values: string[]): string => `[${values.join(', ')}]`
  const lines = [
    '```mermaid',
    // Bars in GitHub's green, the base branch's line in its grey; horizontal, so that names and
    // their change read in full.
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#2da44e, #59636e"}}}}%%`,
    'xychart-beta horizontal',
    `  title "${head.architecture}: biggest distributions, MB unzipped"`,
    `  x-axis ${list(charted.map((d) => `"${label(d)}"`))}`,
    '  y-axis "MB unzipped"',
    `  bar ${list(charted.map((d) => megabytes(d.head)))}`
  ]
  if (baseArch) lines.push(`  line ${list(charted.map((d) => megabytes(d.base ?? 0)))}`)
  lines.push('```')
  const legend = baseArch
    ? `Bars: this change. Line: \`${branch}\`. Labels give the change in size.`
    : `Bars: this change${report.baseBranch ? ` (no report from \`${branch}\` to compare with)` : ''}.`
  return [...lines, '', legend].join('\n')
}
