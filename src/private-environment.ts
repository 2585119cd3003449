// Keeps the job's secrets out of this process's /proc/<pid>/environ. The runner starts
// `node dist/index.js` with the job's whole environment: the Actions runtime token, the OIDC
// request token, AWS credentials, `INPUT_GITHUB-TOKEN`. Linux shows a process's initial
// environment in /proc/<pid>/environ to every process of the same user, so a build backend the
// action runs could read them from its ancestor however clean its own environment is; deleting
// them from `process.env` changes nothing there (the kernel shows the block the process started
// with). Node has no prctl(PR_SET_DUMPABLE), and children cannot run as another user.
//
// What works: replace this process's image (process.execve, Node 22.15 and later; same pid, so
// the runner still waits on it) with the same script, started with only what children may see
// anyway (child-env.ts) and Node's own settings. The rest travels through a file in a private
// temporary folder (0700, file 0600) that the new image reads and deletes before anything else
// runs, and goes back into `process.env`, which Node keeps on its heap: /proc/<pid>/environ no
// longer shows it. Issue 18, item 1.
import * as core from '@actions/core'
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { errorMessage } from './errors.js'
import { childMaySee } from './packaging/tools/child-env.js'

/** Set in the new image's environment: where the rest of the environment waits. */
export const PRIVATE_ENVIRONMENT_FILE = 'LAMBDA_PYTHON_DEPLOY_PRIVATE_ENVIRONMENT'

const FOLDER_PREFIX = 'lpd-env-'
const ENVIRONMENT_FILE = 'environment.json'

/** Read by Node itself as it starts: the new image needs them in its environment block. */
const NODE_STARTUP =
  /^(NODE_OPTIONS|NODE_EXTRA_CA_CERTS|NODE_TLS_REJECT_UNAUTHORIZED|NODE_USE_ENV_PROXY)$/

type Env = Readonly<Record<string, string | undefined>>
type Execve = (file: string, args: string[], env: Record<string, string>) => never

/** Splits `env` into what may stay in the environment block and what must not. */
export function splitEnvironment(env: Env): {
  visible: Record<string, string>
  hidden: Record<string, string>
} {
  const visible: Record<string, string> = {}
  const hidden: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    if (childMaySee(name) || NODE_STARTUP.test(name)) visible[name] = value
    else hidden[name] = value
  }
  return { visible, hidden }
}

export type PrivacyOutcome =
  /** This is the new image: the hidden variables are back in process.env. */
  | { state: 'private' }
  /** The image could not be replaced; /proc/<pid>/environ still shows everything. */
  | { state: 'unavailable'; reason: string }

/**
 * First thing the entry point does. In the first image, replaces the process and never returns
 * (unless that is impossible here: then says why). In the second, restores the environment; if
 * that fails, the step fails before any work.
 */
export function keepEnvironmentPrivate(
  execve: Execve | undefined = (process as unknown as { execve?: Execve }).execve
): PrivacyOutcome {
  const file = process.env[PRIVATE_ENVIRONMENT_FILE]
  if (file !== undefined) {
    try {
      return restore(file)
    } catch (error) {
      core.setFailed(`The action could not read back its environment: ${errorMessage(error)}`)
      process.exit(1)
    }
  }
  return replaceImage(execve)
}

function replaceImage(execve: Execve | undefined): PrivacyOutcome & { state: 'unavailable' } {
  if (process.platform !== 'linux') return { state: 'unavailable', reason: 'not Linux' }
  if (typeof execve !== 'function') {
    return { state: 'unavailable', reason: `Node ${process.version} has no process.execve` }
  }
  const { visible, hidden } = splitEnvironment(process.env)
  let dir: string
  try {
    dir = mkdtempSync(join(tmpdir(), FOLDER_PREFIX))
    writeFileSync(join(dir, ENVIRONMENT_FILE), JSON.stringify(hidden), { mode: 0o600 })
  } catch (error) {
    return { state: 'unavailable', reason: `no private temporary folder: ${errorMessage(error)}` }
  }
  const path = join(dir, ENVIRONMENT_FILE)
  try {
    execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      ...visible,
      [PRIVATE_ENVIRONMENT_FILE]: path
    })
  } catch (error) {
    return { state: 'unavailable', reason: `process.execve failed: ${errorMessage(error)}` }
  } finally {
    // Reached only when the image was not replaced.
    rmSync(dir, { recursive: true, force: true })
  }
  return { state: 'unavailable', reason: 'process.execve returned' }
}

/**
 * The file the first image wrote, and nothing else: the variable could also come from a step
 * that wrote it into `$GITHUB_ENV`, so only a 0600 regular file of this user named as the first
 * image names it is read, and only it and its (then empty) folder are removed.
 */
function ownFile(file: string): boolean {
  const folder = dirname(file)
  if (file !== join(folder, ENVIRONMENT_FILE) || dirname(folder) !== tmpdir()) return false
  if (!basename(folder).startsWith(FOLDER_PREFIX)) return false
  const info = lstatSync(file, { throwIfNoEntry: false })
  return (
    info !== undefined &&
    info.isFile() &&
    (info.mode & 0o777) === 0o600 &&
    info.uid === process.getuid?.()
  )
}

function restore(file: string): PrivacyOutcome {
  delete process.env[PRIVATE_ENVIRONMENT_FILE]
  if (!ownFile(file)) throw new Error(`${PRIVATE_ENVIRONMENT_FILE} names ${file}, not its own file`)
  let hidden: Record<string, string>
  try {
    hidden = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
  } finally {
    unlinkSync(file)
    rmdirSync(dirname(file))
  }
  for (const [name, value] of Object.entries(hidden)) process.env[name] = value
  return { state: 'private' }
}
