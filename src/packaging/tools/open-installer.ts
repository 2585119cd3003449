// Opens the installer a resolve or the project phase runs: pip on the host Python, uv on PATH,
// or the pinned uv the action brings (fetched only when first needed).
import {
  chooseInstaller,
  pipInstaller,
  uvInstaller,
  type InstallerAdapter,
  type InstallerPlan,
  type UvBinary
} from './installer-adapter.js'
import {
  findOnPath,
  parsePipConfigList,
  pipConfigList,
  probePython,
  pythonCommand,
  uvVersion,
  type Env,
  type HostPython,
  type InstallerChoice
} from './run-tool.js'
import { fetchOptionLines, uvSourcesFromPip } from './tool-args.js'
import { bootstrapUv, indexesTried, PINNED_UV_VERSION } from './uv-bootstrap.js'

/** The installer to run, as an adapter; a bootstrapped uv is only fetched when it pins. */
export async function openInstaller(
  plan: InstallerPlan,
  host: HostPython,
  env: Env,
  configText: string,
  /** Where the requirements say to fetch from (`fetchArgs(set)`), credentials included. */
  fetchArgs: readonly string[],
  toolCache: string,
  onBootstrap: (path: string) => void
): Promise<InstallerAdapter> {
  if (plan.name === 'pip') return pipInstaller(host, env)
  let uv: UvBinary
  if ('uvPath' in plan) {
    const version = await uvVersion(plan.uvPath, env)
    uv = {
      version,
      description: `uv ${version} on PATH (${plan.uvPath})`,
      path: () => Promise.resolve(plan.uvPath)
    }
  } else {
    uv = {
      version: PINNED_UV_VERSION,
      description: `uv ${PINNED_UV_VERSION} brought by the action (no uv on PATH; fetched only when the wheel store misses)`,
      path: async () => {
        const path = await bootstrapUv({
          python: host.python,
          env,
          root: toolCache,
          fetchLines: fetchOptionLines(fetchArgs, 'pip', env),
          indexes: indexesTried(configText, fetchArgs)
        })
        onBootstrap(path)
        return path
      }
    }
  }
  return uvInstaller(host, env, uv, uvSourcesFromPip(env, parsePipConfigList(configText)))
}

/**
 * The tools the project phase (uv.lock export, local-library builds) runs for an installer
 * choice: the host Python, and the uv `resolveWheels` would run (on PATH, or the one the action
 * brings, fetched now if need be); no uv with `installer: pip`.
 */
export async function projectTools(
  choice: InstallerChoice,
  env: Env,
  toolCache: string
): Promise<{ python: string; uvPath?: string }> {
  const plan = chooseInstaller(choice, choice === 'pip' ? undefined : await findOnPath('uv', env))
  const [host, configText] = await Promise.all([
    probePython(env),
    pipConfigList(pythonCommand(env), env)
  ])
  if (plan.name === 'pip') return { python: host.python }
  if ('uvPath' in plan) return { python: host.python, uvPath: plan.uvPath }
  const uvPath = await bootstrapUv({
    python: host.python,
    env,
    root: toolCache,
    fetchLines: '',
    indexes: indexesTried(configText, [])
  })
  return { python: host.python, uvPath }
}
