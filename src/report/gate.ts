// The size gate: pure checks of each architecture's packages against `max-size` and
// `max-unzipped-size`, and the direct-upload-or-S3 decision the report shows.
import { INPUT } from '../constants.js'
import { LIMITS, type Architecture } from '../lambda-facts.js'
import {
  unzippedTotal,
  type BuildReportJson,
  type ReportArchitecture,
  type ReportPackage
} from './report-json.js'
import { formatBytes, formatExact, formatSize } from './sizes.js'

export interface SizeLimits {
  /** `max-size`: each zipped package. Unset: no zipped limit. */
  maxSize?: number
  /** `max-unzipped-size`: function plus layer, unzipped. Defaults to Lambda's. */
  maxUnzippedSize: number
}

/** What a gate measured: one zip, or function plus layer unzipped (`total`). */
export type GateSubject = 'function' | 'layer' | 'total'

/** One thing that takes room in a package, biggest first in lists. */
export interface Contributor {
  /** Distribution name, or `handler code` for the user's own files. */
  name: string
  version?: string
  unzippedSize: number
}

export interface GateFailure {
  input: typeof INPUT.maxSize | typeof INPUT.maxUnzippedSize
  architecture: Architecture
  subject: GateSubject
  size: number
  limit: number
  contributors: Contributor[]
  /** The whole message, as the step fails with it. */
  message: string
}

export const HANDLER_CODE = 'handler code'

/** How many contributors a gate message names. */
const CONTRIBUTORS_NAMED = 5

/** Packages up to Lambda's direct-upload limit go in the request; bigger ones through S3. */
export function uploadMethod(zippedSize: number): 'direct' | 's3' {
  return zippedSize > LIMITS.directUploadBytes ? 's3' : 'direct'
}

/** What takes room in one zip (unzipped sizes), or in function plus layer, biggest first. */
export function contributors(arch: ReportArchitecture, subject: GateSubject): Contributor[] {
  const code: Contributor = { name: HANDLER_CODE, unzippedSize: arch.codeUnzippedSize }
  const distributions: Contributor[] = arch.distributions.map((d) => ({
    name: d.name,
    version: d.version || undefined,
    unzippedSize: d.unzippedSize
  }))
  const hasLayer = arch.packages.layer !== undefined
  let all: Contributor[]
  if (subject === 'layer') all = distributions
  else if (subject === 'function' && hasLayer) all = [code]
  else all = [...distributions, code]
  return all.filter((c) => c.unzippedSize > 0).sort((a, b) => b.unzippedSize - a.unzippedSize)
}

function describeContributor(c: Contributor): string {
  return `${c.name}${c.version ? ` ${c.version}` : ''} (${formatSize(c.unzippedSize)})`
}

function subjectName(architecture: Architecture, subject: GateSubject): string {
  if (subject === 'total') return `${architecture} function + layer`
  return `${architecture} ${subject} zip`
}

function failureMessage(f: Omit<GateFailure, 'message'>): string {
  const measured = f.input === INPUT.maxSize ? 'zipped' : 'unzipped'
  const named = f.contributors.slice(0, CONTRIBUTORS_NAMED).map(describeContributor)
  const biggest = named.length > 0 ? ` Biggest contributors, unzipped: ${named.join(', ')}.` : ''
  let wayOut: string
  if (f.input === INPUT.maxSize) {
    wayOut = `drop or replace the biggest, set slim: true, or raise ${INPUT.maxSize}.`
  } else if (f.limit >= LIMITS.unzippedBytes) {
    wayOut = `Lambda refuses this too ("Unzipped size must be smaller than ${LIMITS.unzippedBytes} bytes"): drop or replace the biggest, set slim: true, or ship a container image instead.`
  } else {
    wayOut = `drop or replace the biggest, set slim: true, or raise ${INPUT.maxUnzippedSize} (Lambda allows up to ${formatBytes(LIMITS.unzippedBytes)} bytes).`
  }
  return (
    `${f.input}: ${subjectName(f.architecture, f.subject)} is ${formatExact(f.size)} ${measured}, ` +
    `over the limit of ${formatExact(f.limit)} by ${formatSize(f.size - f.limit)}.${biggest} ` +
    `Way out: ${wayOut}`
  )
}

function failure(
  input: GateFailure['input'],
  arch: ReportArchitecture,
  subject: GateSubject,
  size: number,
  limit: number
): GateFailure {
  const partial = {
    input,
    architecture: arch.architecture,
    subject,
    size,
    limit,
    contributors: contributors(arch, subject)
  }
  return { ...partial, message: failureMessage(partial) }
}

/** Every size gate that fails, per architecture: each zip vs max-size, the unzipped total vs max-unzipped-size. */
export function checkSizeGates(build: BuildReportJson, limits: SizeLimits): GateFailure[] {
  const failures: GateFailure[] = []
  for (const arch of build.architectures) {
    if (limits.maxSize !== undefined) {
      const zips: [GateSubject, ReportPackage | undefined][] = [
        ['function', arch.packages.function],
        ['layer', arch.packages.layer]
      ]
      for (const [subject, zip] of zips) {
        if (zip && zip.size > limits.maxSize) {
          failures.push(failure(INPUT.maxSize, arch, subject, zip.size, limits.maxSize))
        }
      }
    }
    const total = unzippedTotal(arch)
    if (total > limits.maxUnzippedSize) {
      failures.push(failure(INPUT.maxUnzippedSize, arch, 'total', total, limits.maxUnzippedSize))
    }
  }
  return failures
}
