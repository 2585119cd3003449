// What a failed import says, in the user's words: the import check script names what failed
// (import-check-script.ts), and each kind has its own way out. Pure.
import { INPUT } from '../../constants.js'
import { UserError } from '../../errors.js'
import { FAILURE_MARKER } from './import-check-script.js'

export type FailureDetail =
  | { kind: 'environ'; variable: string }
  | { kind: 'module'; name: string }
  | { kind: 'library'; library: string; module: string }
  | { kind: 'glibc'; version: string; module: string }
  | { kind: 'handler' }
  | { kind: 'syntax' }
  | { kind: 'exception' }

export type ImportFailureDetail = FailureDetail & {
  /** The package file and line the failure came from (`orders/handler.py`, 3), when known. */
  file?: string
  line?: number
  /** The exception's last line, e.g. `KeyError: 'TABLE_NAME'`. */
  error?: string
}

/** The script's failure line (the last one with the marker), if it printed one. */
export function parseFailure(stderr: string): ImportFailureDetail | undefined {
  const line = stderr
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(`${FAILURE_MARKER} `))
  if (line === undefined) return undefined
  try {
    const value = JSON.parse(line.slice(FAILURE_MARKER.length + 1)) as ImportFailureDetail
    return typeof value.kind === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

/** What the check knew while it ran, for the way out. */
export interface FailureContext {
  handler: string
  /** `orders.handler` */
  module: string
  architecture: string
  pythonVersion: string
  /** Where the function's variables came from. */
  variablesFrom: 'import-env' | 'function-configuration'
  /** Top-level modules Lambda's runtime provides (boto3, botocore, ...). */
  runtimeModules: readonly string[]
  /** Why Lambda's copies of them were not on the path, when they were not. */
  runtimeMissing?: string
}

/** An import that failed: Runtime.ImportModuleError on Lambda. The build may add library findings. */
export class ImportFailure extends UserError {
  override name = 'ImportFailure'
  constructor(
    message: string,
    readonly detail: ImportFailureDetail | undefined
  ) {
    super(message)
  }
}

function at(detail: ImportFailureDetail): string {
  if (detail.file === undefined) return ''
  return detail.line === undefined ? ` (${detail.file})` : ` (${detail.file}, line ${detail.line})`
}

/** The first sentence and the way out, for one kind of failure. */
function explain(detail: ImportFailureDetail | undefined, context: FailureContext): string {
  const what = `importing handler '${context.handler}' from the ${context.architecture} package with Python ${context.pythonVersion} failed`
  switch (detail?.kind) {
    case 'environ': {
      const name = detail.variable
      const configured =
        context.variablesFrom === 'function-configuration'
          ? `the function's configuration has no ${name}`
          : `the ${INPUT.importEnv} input has no ${name}`
      return (
        `${what}: the handler reads the environment variable ${name} when it is imported${at(detail)}, and nothing set it (${configured}). ` +
        `On Lambda this is Runtime.ImportModuleError (KeyError: '${name}'). ` +
        `Set ${name} in the function's configuration (Environment.Variables; this action deploys code only), ` +
        `or give it to the import check with the ${INPUT.importEnv} input (a line ${name}=<value>) for builds that read no function.`
      )
    }
    case 'module': {
      const top = detail.name.split('.')[0] ?? detail.name
      if (context.runtimeModules.includes(top) && context.runtimeMissing !== undefined) {
        return (
          `${what}: the handler imports ${top}${at(detail)}, which Lambda's runtime provides, but the import check could not get Lambda's copy: ${context.runtimeMissing}. ` +
          `Let the runner's pip reach PyPI or your mirror (pip.conf, PIP_INDEX_URL), or add ${top} to requirements to ship your own copy.`
        )
      }
      if (detail.name === context.module || context.module.startsWith(`${detail.name}.`)) {
        return `${what}: the package has no module '${detail.name}'; on Lambda this is Runtime.ImportModuleError. Check the handler input (module path, dots or slashes) and the source folder.`
      }
      return `${what}: No module named '${detail.name}'${at(detail)}; on Lambda this is Runtime.ImportModuleError. Add the missing distribution to requirements (its name on PyPI may differ from '${top}'), or fix the handler input.`
    }
    case 'library':
      return `${what}: ${detail.module || 'an extension module'} needs ${detail.library}, which neither the package nor Lambda's runtime provides (on Lambda: "${detail.library}: cannot open shared object file"). Use a wheel that bundles it, or add it to the package under lib/.`
    case 'glibc':
      return `${what}: ${detail.module || 'an extension module'} needs ${detail.version}, newer than the runtime's glibc. Pin a release whose wheels are built for the runtime's manylinux tag.`
    case 'handler':
      return `${what}: Runtime.HandlerNotFound. Fix the handler input (module.function).`
    case 'syntax':
      return `${what}: ${detail.file === undefined ? 'a module' : `${detail.file}${detail.line === undefined ? '' : `, line ${detail.line}`},`} is not valid Python ${context.pythonVersion} (${detail.error ?? 'SyntaxError'}); on Lambda this is Runtime.UserCodeSyntaxError. Write it for Python ${context.pythonVersion}, or build for a runtime whose Python accepts it.`
    case 'exception':
      return `${what}: the module raised ${detail.error ?? 'an exception'}${at(detail)} while it was imported; on Lambda the function would fail its init phase the same way.`
    default:
      return `${what}; on Lambda this is Runtime.ImportModuleError. Add the missing distribution to requirements, or fix the handler input.`
  }
}

/** The message of a failed import: what failed, the way out, then the interpreter's last lines. */
export function importFailureMessage(
  detail: ImportFailureDetail | undefined,
  context: FailureContext,
  stderr: string
): string {
  const tail = stderr
    .split('\n')
    .filter((line) => !line.startsWith(`${FAILURE_MARKER} `))
    .join('\n')
    .trim()
    .split('\n')
    .slice(-12)
    .join('\n')
  return `import check: ${explain(detail, context)}\n${tail}`
}
