// A project's files in memory, as the project formats read them (a ProjectReader), and the build
// they are read for (a FormatContext): python3.11, source services/orders in workspace /w.
import type { FormatContext, ProjectReader } from '../../src/packaging/project/formats/format.js'
import { runtimeNamed } from './runtimes.js'

export function reader(files: Record<string, string>): ProjectReader {
  return {
    readText: (path) => files[path],
    isDirectory: (path) => Object.keys(files).some((f) => f.startsWith(`${path}/`)),
    list: (dir) => [
      ...new Set(
        Object.keys(files)
          .filter((f) => f.startsWith(`${dir}/`))
          .map((f) => f.slice(dir.length + 1).split('/')[0] as string)
      )
    ]
  }
}

export function context(
  files: Record<string, string>,
  fields: Partial<Omit<FormatContext, 'files'>> = {}
): FormatContext {
  return {
    source: '/w/services/orders',
    workspace: '/w',
    extras: [],
    groups: [],
    runtime: runtimeNamed('python3.11'),
    env: {},
    ...fields,
    files: reader(files)
  }
}
