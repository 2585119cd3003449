// requirements.txt (and any pip requirements file the `requirements` input names): read the way
// pip reads it, includes and constraints followed, local libraries (`./libs/common`, `-e .`)
// kept as entries to build. No lock: resolve resolves it for the target.
import { basename, join } from 'node:path'
import { parseRequirements } from '../../requirements/requirements-file.js'
import {
  shown,
  type FormatContext,
  type FoundFormat,
  type ProjectFormat,
  cannotRead
} from './format.js'

const FILE = 'requirements.txt'

function found(file: string, context: FormatContext, reason: string): FoundFormat {
  return {
    kind: 'requirements',
    file,
    reason,
    reads: [],
    selects: false,
    read: () => {
      const parsed = parseRequirements(file, context.files, context.env, true)
      return Promise.resolve({
        requirements: parsed.requirements,
        constraints: parsed.constraints,
        options: parsed.options,
        localFindLinks: parsed.localFindLinks,
        secrets: parsed.secrets,
        hashMode: parsed.hashMode
      })
    }
  }
}

export const requirementsTxt: ProjectFormat = {
  kind: 'requirements',
  // Whatever no other format claims is read as a pip requirements file.
  names: () => true,
  find(dir, context) {
    const file = join(dir, FILE)
    if (dir !== context.source || context.files.readText(file) === undefined) return undefined
    return found(
      file,
      context,
      `${shown(file, context.workspace)} decides: no lock covers source, and it is in source`
    )
  },
  named(file, context) {
    if (context.files.readText(file) === undefined) {
      throw cannotRead(file)
    }
    return found(
      file,
      context,
      `${shown(file, context.workspace)} decides (the requirements input names it${basename(file) === FILE ? '' : ', read as a pip requirements file'})`
    )
  }
}
