// Reads every installed distribution's `*.dist-info/METADATA` from the built zips (function and
// layer), for the dependency-closure check. Only those small entries are inflated, each
// bounded by the size its central-directory record declares.
import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import { UserError } from '../../errors.js'
import { LAYER_PREFIX } from '../assemble/assemble.js'
import type { DependencySet } from '../requirements/dependency-set.js'
import { readEntryData, readZipEntriesFrom } from '../zip-format.js'
import {
  checkClosure,
  closureError,
  type ClosureResult,
  type ClosureTarget,
  type InstalledMetadata,
  type RequestedProject
} from './closure.js'

/** METADATA is headers plus a README; far above this is not metadata but a damaged zip. */
const METADATA_MAX_BYTES = 16 * 1024 * 1024

/** `anyio-4.6.2.dist-info/METADATA` at the top of a function zip or under `python/` in a layer. */
function isMetadataEntry(name: string): boolean {
  const path = name.startsWith(LAYER_PREFIX) ? name.slice(LAYER_PREFIX.length) : name
  return /^[^/]+\.dist-info\/METADATA$/.test(path)
}

export async function readPackageMetadata(zips: readonly string[]): Promise<InstalledMetadata[]> {
  const found: InstalledMetadata[] = []
  for (const zip of zips) {
    const handle = await open(zip, 'r')
    try {
      const entries = await readZipEntriesFrom(handle, zip)
      for (const entry of entries.filter((e) => isMetadataEntry(e.name))) {
        if (entry.uncompressedSize > METADATA_MAX_BYTES) {
          throw new UserError(
            `${zip}: ${entry.name} declares ${entry.uncompressedSize} bytes, more than any METADATA file; the wheel it came from is damaged: delete it from the wheel store so that it is downloaded again.`
          )
        }
        const text = (await readEntryData(handle, entry)).toString('utf8')
        found.push({ source: `${basename(zip)}:${entry.name}`, text })
      }
    } finally {
      await handle.close()
    }
  }
  return found
}

/**
 * The projects the set asks for, with their extras and markers. A lock lists its whole closure,
 * each pin with the marker that selects it, so the check holds each one.
 */
function requestedProjects(set: DependencySet): RequestedProject[] {
  return set.requirements.flatMap((entry) =>
    entry.project === undefined
      ? []
      : [{ project: entry.project, extras: entry.extras, marker: entry.marker, where: entry.where }]
  )
}

/** Reads the packages' metadata and checks the closure; throws naming what is missing. */
export async function checkPackageClosure(
  zips: readonly string[],
  dependencies: DependencySet,
  target: ClosureTarget
): Promise<ClosureResult> {
  const result = checkClosure(
    await readPackageMetadata(zips),
    requestedProjects(dependencies),
    target
  )
  if (result.unmet.length > 0) throw closureError(result, target)
  return result
}
