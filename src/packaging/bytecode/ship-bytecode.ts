// The bytecode stage of one architecture, after the import check: the handler's import timed on
// the packages as assembled, recording every source it compiles; bytecode added for those
// sources and the handler's own code (add-bytecode.ts); the import timed again on the packages as
// they ship. Each step says in the log what it did, or why it did not.
import * as core from '@actions/core'
import { errorMessage } from '../../errors.js'
import type { Architecture, RuntimeFacts } from '../../lambda-facts.js'
import { formatBytes, formatSize } from '../../report/sizes.js'
import type { ImportCheckResult, LoadedFiles } from '../verify/import-check.js'
import { addBytecode, type AddBytecodeRequest, type AddBytecodeResult } from './add-bytecode.js'
import { ImportProbe, type ProbeResult } from './import-probe.js'

export interface ShipBytecodeRequest extends Omit<AddBytecodeRequest, 'loadedFiles'> {
  importCheck: ImportCheckResult
  handler?: string
  runtime: RuntimeFacts
  architecture: Architecture
  /** Where the unpacked packages the import is timed on are kept between builds (if trusted). */
  treeRoot?: string
}

/** The check's loaded files and the probe's compiled ones together; undefined when neither ran. */
function importedAtInit(
  check: ImportCheckResult,
  probe: ProbeResult | undefined
): LoadedFiles | undefined {
  const passed = check.check.status === 'passed'
  if (!passed && !probe) return undefined
  const union = (a: string[] = [], b: string[] = []) => [...new Set([...a, ...b])].sort()
  return {
    function: union(passed ? check.loadedFiles.function : [], probe?.compiled.function),
    layer: union(passed ? check.loadedFiles.layer : [], probe?.compiled.layer)
  }
}

export async function shipBytecode(request: ShipBytecodeRequest): Promise<AddBytecodeResult> {
  const { architecture } = request
  const wanted = request.mode !== 'none' && 'compile' in request.compiler
  const probe = wanted
    ? await ImportProbe.open({
        handler: request.handler,
        importCheck: request.importCheck,
        runtime: request.runtime,
        architecture,
        layer: request.packages.layer !== undefined,
        treeRoot: request.treeRoot
      })
    : undefined
  let note = probe && 'note' in probe ? probe.note : undefined
  try {
    let before: ProbeResult | undefined
    if (probe instanceof ImportProbe) {
      try {
        before = await probe.run(request.packages, true)
      } catch (error) {
        note = errorMessage(error)
      }
    }
    const added = await addBytecode({
      ...request,
      loadedFiles: importedAtInit(request.importCheck, before)
    })
    const report = added.report
    if (added.notCompiled.length > 0) {
      core.info(
        `${architecture}: bytecode: ${added.notCompiled.length} .py file(s) do not compile for ${request.runtime.name} and ship as source alone (first: ${added.notCompiled.slice(0, 3).join(', ')})`
      )
    }
    if (report.files === 0) {
      core.info(`${architecture}: bytecode: none: ${report.reason}`)
      return added
    }
    core.info(
      `${architecture}: bytecode: ${formatBytes(report.files)} .pyc file(s) (${report.compiled === 'all' ? 'every module' : 'what the handler imports at init'}) of ${formatBytes(report.sources)} .py, +${formatSize(report.unzippedBytes)} unzipped, +${formatSize(report.zippedBytes)} zipped; ${report.freshlyCompiled} compiled, ${report.reused} kept from earlier builds, by ${report.interpreter}`
    )
    if (report.reason) core.warning(`${architecture}: bytecode: ${report.reason}`)
    if (before && probe instanceof ImportProbe) {
      try {
        const after = await probe.run(added.packages)
        report.importTime = { withBytecodeMs: after.importMs, withoutBytecodeMs: before.importMs }
        const earlier = before.remembered && after.remembered
        core.info(
          `${architecture}: handler import: ${before.importMs} ms without bytecode, ${after.importMs} ms with it${earlier ? ' (measured by an earlier build of the same packages)' : ''}`
        )
        const still = [...after.compiled.function, ...after.compiled.layer]
        if (still.length > 0) {
          core.info(
            `${architecture}: bytecode: ${still.length} source(s) still compile at init (first: ${still.slice(0, 3).join(', ')})`
          )
        }
      } catch (error) {
        note = errorMessage(error)
      }
    }
    if (!report.importTime) {
      report.importTimeNote = note ?? 'not timed'
      core.info(`${architecture}: handler import not timed: ${report.importTimeNote}`)
    }
    return added
  } finally {
    if (probe instanceof ImportProbe) await probe.close()
  }
}
