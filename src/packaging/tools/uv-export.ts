// `uv export` for one workspace member: the locked versions as a requirements file, hashes
// included, dev groups left out, local libraries as paths. Thin adapter around uv; the
// arguments are a pure function.
import * as core from '@actions/core'
import { dirname, join } from 'node:path'
import { UserError } from '../../errors.js'
import { relayInert } from '../../report/log.js'
import { lastLines, runTool, ToolFailure, type Env } from './run-tool.js'

export interface ExportRequest {
  uvPath: string
  /** Absolute path of the uv.lock. */
  lockFile: string
  member: string
  extras: readonly string[]
  groups: readonly string[]
  /** `python3.12`, for the way out when uv cannot check the lock. */
  runtimeName: string
  env: Env
}

export function exportArgs(
  check: '--locked' | '--frozen',
  member: string,
  extras: readonly string[],
  groups: readonly string[]
): string[] {
  return [
    'export',
    check,
    // A miss must not fetch an interpreter: the check below copes without one.
    '--no-python-downloads',
    '--package',
    member,
    '--no-default-groups',
    '--no-editable',
    '--no-emit-project',
    '--no-header',
    '--no-annotate',
    ...extras.flatMap((extra) => ['--extra', extra]),
    ...groups.flatMap((group) => ['--group', group])
  ]
}

/** uv checks the lock against the pyproject files only with an interpreter that satisfies them. */
const NO_INTERPRETER = /interpreter|No Python|python requirement|requires-python/i

export async function uvExport(request: ExportRequest): Promise<string> {
  const { uvPath, lockFile, member, env } = request
  const exportWith = async (check: '--locked' | '--frozen') => {
    const args = exportArgs(check, member, request.extras, request.groups)
    const result = await runTool(uvPath, args, {
      env,
      cwd: dirname(lockFile),
      what: `uv ${args.join(' ')}`
    })
    const lines = result.stdout.split('\n').filter((line) => /^\S/.test(line)).length
    relayInert(`uv export ${check} --package ${member}: ${lines} requirement(s)`)
    return result.stdout
  }
  try {
    return await exportWith('--locked')
  } catch (error) {
    if (!(error instanceof ToolFailure)) throw error
    const output = error.result.stderr || error.result.output
    if (/needs to be updated/i.test(output)) {
      throw new UserError(
        `${lockFile} no longer matches its pyproject.toml files: run \`uv lock\` and commit uv.lock ` +
          '(the locked versions are what ships, so a stale lock is refused)'
      )
    }
    if (!NO_INTERPRETER.test(output)) {
      throw new UserError(
        `uv export for ${member} from ${lockFile} failed:\n${lastLines(output, 10)}`
      )
    }
    core.warning(
      `${lockFile}: uv could not check that the lock matches its pyproject.toml files (it needs a ` +
        `Python that requires-python allows on this runner: ${lastLines(output, 1)}); the locked ` +
        `versions ship as they are. Set up ${request.runtimeName}'s Python (actions/setup-python) ` +
        'to have stale locks refused.'
    )
    return exportWith('--frozen')
  }
}

/** `uv export` writes local paths relative to the lock's folder (`./libs/common`): make them absolute. */
export function absoluteExportPaths(text: string, lockDir: string): string {
  return text
    .split('\n')
    .map((line) => {
      const match = /^(\.{1,2}(?:\/[^\s;]*)?)(.*)$/.exec(line)
      return match ? `${join(lockDir, match[1] as string)}${match[2] as string}` : line
    })
    .join('\n')
}
