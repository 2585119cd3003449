// The real lock tools, as teams run them, for tests and the corpus: `poetry lock`, `pipenv lock`,
// `pip lock`, `uv export --format pylock.toml` write the locks at set-up, and their own exports
// (`poetry export`, `pipenv requirements`, uv's reading of a pylock.toml) are the corpus's
// references. Installed by scripts/tools.mjs into .tools/lock-tools (uv into .tools/venv).
import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT, TOOLS_BIN } from './run-action.js'

const run = promisify(execFile)

export const LOCK_TOOLS_BIN = join(ROOT, '.tools', 'lock-tools', 'bin')
/** Caches kept between runs inside .tools/ (created on demand). */
const CACHE = join(ROOT, '.tools', 'corpus-cache')

/** The environment the lock tools run in: their venv and uv first on PATH, caches in .tools/. */
export function lockToolEnv(): Record<string, string> {
  for (const dir of ['poetry', 'pipenv', 'pipenv-venvs', 'uv']) {
    mkdirSync(join(CACHE, dir), { recursive: true })
  }
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(UV_|POETRY_|PIPENV_|VIRTUAL_ENV)/.test(key)) env[key] = value
  }
  return {
    ...env,
    PATH: [LOCK_TOOLS_BIN, TOOLS_BIN, process.env.PATH ?? ''].join(':'),
    POETRY_CACHE_DIR: join(CACHE, 'poetry'),
    POETRY_VIRTUALENVS_PATH: join(CACHE, 'poetry-venvs'),
    PIPENV_CACHE_DIR: join(CACHE, 'pipenv'),
    WORKON_HOME: join(CACHE, 'pipenv-venvs'),
    PIPENV_VERBOSITY: '-1',
    PIPENV_NOSPIN: '1',
    PIPENV_YES: '1',
    UV_CACHE_DIR: join(CACHE, 'uv')
  }
}

/** CPython `3.X` of this machine (pyenv's), for the tools that lock for one interpreter. */
export function pythonFor(version: string): string {
  const root = '/root/.pyenv/versions'
  const found = readdirSync(root).find((v) => v.startsWith(`${version}.`))
  if (!found) throw new Error(`no CPython ${version} under ${root}`)
  return join(root, found, 'bin', `python${version}`)
}

async function tool(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = lockToolEnv()
): Promise<string> {
  try {
    const { stdout } = await run(join(LOCK_TOOLS_BIN, command), args, {
      cwd,
      env,
      maxBuffer: 16 << 20
    })
    return stdout
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string }
    throw new Error(
      `${command} ${args.join(' ')} in ${cwd} failed:\n${stderr ?? ''}${stdout ?? ''}`
    )
  }
}

/** Poetry wants an interpreter its project allows on PATH, as on a developer's machine. */
function poetryEnv(pythonVersion: string): Record<string, string> {
  const env = lockToolEnv()
  env.PATH = `${dirname(pythonFor(pythonVersion))}:${env.PATH}`
  return env
}

/** `poetry lock`: the poetry.lock a team commits, with CPython `pythonVersion` at hand. */
export function poetryLock(dir: string, pythonVersion = '3.11'): Promise<string> {
  return tool('poetry', ['lock', '--no-interaction'], dir, poetryEnv(pythonVersion))
}

/** `poetry export` (poetry-plugin-export): what Poetry says ships, markers kept, no hashes. */
export function poetryExport(
  dir: string,
  pythonVersion: string,
  extras: readonly string[] = [],
  groups: readonly string[] = []
): Promise<string> {
  return tool(
    'poetry',
    [
      'export',
      '--without-hashes',
      '--only',
      ['main', ...groups].join(','),
      ...extras.flatMap((e) => ['--extras', e])
    ],
    dir,
    poetryEnv(pythonVersion)
  )
}

/** `pipenv lock` with the CPython of `[requires] python_version`. */
export function pipenvLock(dir: string, pythonVersion: string): Promise<string> {
  return tool('pipenv', ['lock', '--python', pythonFor(pythonVersion)], dir)
}

/** `pipenv requirements`: the default section of the lock as a requirements file. */
export function pipenvRequirements(dir: string): Promise<string> {
  return tool('pipenv', ['requirements'], dir)
}

/** `pip lock -r requirements.txt`: a pylock.toml for this machine's interpreter only. */
export function pipLock(dir: string): Promise<string> {
  return tool('pip', ['lock', '--quiet', '-r', 'requirements.txt', '-o', 'pylock.toml'], dir)
}

/** `uv export --format pylock.toml` of a uv project: a universal pylock.toml. */
export async function uvExportPylock(dir: string): Promise<void> {
  const env = lockToolEnv()
  await run(join(TOOLS_BIN, 'uv'), ['lock', '--quiet', '--no-python-downloads'], { cwd: dir, env })
  await run(
    join(TOOLS_BIN, 'uv'),
    ['export', '--quiet', '--frozen', '--no-dev', '--format', 'pylock.toml', '-o', 'pylock.toml'],
    { cwd: dir, env }
  )
}
