// Change against the base branch: this run's report next to the base branch's latest, per
// architecture and per distribution. Pure: both reports come in as parsed JSON.
import type { Architecture } from '../lambda-facts.js'
import {
  unzippedTotal,
  zippedTotal,
  type BuildReportJson,
  type ReportArchitecture
} from './report-json.js'

export interface SizeChange {
  base: number
  head: number
  /** head - base, bytes. */
  delta: number
  /** delta / base × 100; undefined when the base is 0. */
  percent?: number
}

export interface DistributionChange {
  name: string
  status: 'added' | 'removed' | 'changed'
  baseVersion?: string
  headVersion?: string
  /** Unzipped sizes; 0 on the side where the distribution is absent. */
  size: SizeChange
}

export interface ArchitectureChange {
  architecture: Architecture
  /** `added`/`removed`: the architecture is only in this run / only in the base. */
  status: 'compared' | 'added' | 'removed'
  /** Function zip plus layer zip. */
  zipped: SizeChange
  /** Function plus layer, unzipped. */
  unzipped: SizeChange
  /** The handler code alone, unzipped. */
  code: SizeChange
  /** Distributions that were added, removed, or changed size or version; biggest change first. */
  distributions: DistributionChange[]
}

export function sizeChange(base: number, head: number): SizeChange {
  const delta = head - base
  return base > 0 ? { base, head, delta, percent: (delta / base) * 100 } : { base, head, delta }
}

const NO_PACKAGES: ReportArchitecture['packages'] = {
  function: { size: 0, unzippedSize: 0, codeSha256: '' }
}

function emptyArchitecture(architecture: Architecture): ReportArchitecture {
  return {
    architecture,
    runtime: '',
    packages: NO_PACKAGES,
    distributions: [],
    codeUnzippedSize: 0,
    cacheHit: false
  }
}

function compareDistributions(
  base: ReportArchitecture,
  head: ReportArchitecture
): DistributionChange[] {
  const baseByName = new Map(base.distributions.map((d) => [d.name, d]))
  const headByName = new Map(head.distributions.map((d) => [d.name, d]))
  const changes: DistributionChange[] = []
  for (const h of head.distributions) {
    const b = baseByName.get(h.name)
    if (!b) {
      changes.push({
        name: h.name,
        status: 'added',
        headVersion: h.version,
        size: sizeChange(0, h.unzippedSize)
      })
    } else if (b.unzippedSize !== h.unzippedSize || b.version !== h.version) {
      changes.push({
        name: h.name,
        status: 'changed',
        baseVersion: b.version,
        headVersion: h.version,
        size: sizeChange(b.unzippedSize, h.unzippedSize)
      })
    }
  }
  for (const b of base.distributions) {
    if (!headByName.has(b.name)) {
      changes.push({
        name: b.name,
        status: 'removed',
        baseVersion: b.version,
        size: sizeChange(b.unzippedSize, 0)
      })
    }
  }
  return changes.sort(
    (x, y) => Math.abs(y.size.delta) - Math.abs(x.size.delta) || x.name.localeCompare(y.name)
  )
}

/** Per architecture (this run's order, then any only in the base): sizes and distributions. */
export function compareReports(head: BuildReportJson, base: BuildReportJson): ArchitectureChange[] {
  const baseByArch = new Map(base.architectures.map((a) => [a.architecture, a]))
  const headArchs = new Set(head.architectures.map((a) => a.architecture))
  type Pair = [ArchitectureChange['status'], ReportArchitecture, ReportArchitecture]
  const pairs: Pair[] = [
    ...head.architectures.map((h): Pair => {
      const b = baseByArch.get(h.architecture)
      return b ? ['compared', b, h] : ['added', emptyArchitecture(h.architecture), h]
    }),
    ...base.architectures
      .filter((b) => !headArchs.has(b.architecture))
      .map((b): Pair => ['removed', b, emptyArchitecture(b.architecture)])
  ]
  return pairs.map(([status, b, h]) => ({
    architecture: h.architecture,
    status,
    zipped: sizeChange(zippedTotal(b), zippedTotal(h)),
    unzipped: sizeChange(unzippedTotal(b), unzippedTotal(h)),
    code: sizeChange(b.codeUnzippedSize, h.codeUnzippedSize),
    distributions: compareDistributions(b, h)
  }))
}
