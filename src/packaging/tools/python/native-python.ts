// The places a CPython of the runner's own machine is looked for, one function each (lookup.ts
// gives the order): the `python` input, PATH, the hosted tool cache, uv (found, or installed
// into the tool cache and kept there).
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { INPUT } from '../../../constants.js'
import { InputError, errorMessage } from '../../../errors.js'
import { findOnPath } from '../run-tool.js'
import {
  newestPatch,
  toolCachePython,
  toolCacheVersions,
  TOOL_CACHE_ARCH
} from './hosted-tool-cache.js'
import { keep, openKept, ToolMissing, unlessFailedRecently, type KeptEntry } from './kept-tools.js'
import type { LookupContext, StepResult } from './lookup.js'
import { mismatch, probeInterpreter } from './probe.js'
import { uvFindPython, uvForPythons, uvInstallPython, uvPythonKey } from './uv-python.js'

function found(command: string[], version: string, where: string): StepResult {
  return {
    found: {
      command,
      version,
      description: `CPython ${version} (${where})`,
      emulated: false,
      env: {}
    }
  }
}

/**
 * The interpreter the `python` input names, for the target it runs as. It must run and be a
 * CPython of the runtime's minor: anything else fails the step, naming the input.
 */
export async function fromInput(context: LookupContext, python: string): Promise<StepResult> {
  const command = python.includes('/') ? resolve(python) : await findOnPath(python, context.env)
  const wanted = `a CPython ${context.pythonVersion} for this runner, e.g. /opt/python/${context.pythonVersion}/bin/python3`
  if (command === undefined) {
    throw new InputError(INPUT.python, `${python} is not on PATH; name ${wanted}.`)
  }
  const probe = await probeInterpreter([command], context.env)
  if (!probe.facts)
    throw new InputError(INPUT.python, `${python} ${probe.problem}; name ${wanted}.`)
  const problem = mismatch(probe.facts, context.pythonVersion, probe.facts.machine)
  if (problem !== undefined) {
    throw new InputError(
      INPUT.python,
      `${python} ${problem} (the runtime's minor); name ${wanted}.`
    )
  }
  if (probe.facts.machine !== context.machine) {
    core.info(
      `${context.architecture}: ${INPUT.python}: ${python} runs as ${probe.facts.machine}, so it checks the ${probe.facts.machine} package, not this one`
    )
    return {}
  }
  return found([command], probe.facts.version, `the ${INPUT.python} input: ${command}`)
}

/** `python3.X` on PATH, else `python3` when it is that minor. */
export async function fromPath(context: LookupContext): Promise<StepResult> {
  const seen: string[] = []
  for (const name of [`python${context.pythonVersion}`, 'python3']) {
    const path = await findOnPath(name, context.env)
    if (path === undefined) continue
    const probe = await probeInterpreter([path], context.env)
    const problem = probe.facts
      ? mismatch(probe.facts, context.pythonVersion, context.machine)
      : probe.problem
    if (problem === undefined && probe.facts)
      return found([path], probe.facts.version, `${name} on PATH`)
    seen.push(`${name} ${problem}`)
  }
  return {
    miss: `no python${context.pythonVersion} on PATH${seen.length ? ` (${seen.join('; ')})` : ''}`
  }
}

/** `$RUNNER_TOOL_CACHE/Python/<newest 3.X.Y>/<arch>/bin/python3`, as GitHub's images hold them. */
export async function fromHostedToolCache(context: LookupContext): Promise<StepResult> {
  const cache = context.env.RUNNER_TOOL_CACHE
  if (!cache) return { miss: 'no hosted tool cache (RUNNER_TOOL_CACHE is not set)' }
  const version = newestPatch(
    await toolCacheVersions(cache, context.architecture),
    context.pythonVersion
  )
  if (version === undefined) {
    return {
      miss: `no Python ${context.pythonVersion} in the hosted tool cache (${join(cache, 'Python', `${context.pythonVersion}.*`, TOOL_CACHE_ARCH[context.architecture])})`
    }
  }
  const python = toolCachePython(cache, version, context.architecture)
  const probe = await probeInterpreter([python], context.env)
  const problem = probe.facts
    ? mismatch(probe.facts, context.pythonVersion, context.machine)
    : probe.problem
  if (problem !== undefined || !probe.facts) return { miss: `${python} ${problem}` }
  return found([python], probe.facts.version, `hosted tool cache: ${python}`)
}

/** The tool-cache entry `uv python install` fills for a minor and machine. */
export function uvEntryName(pythonVersion: string, machine: string): string {
  return `cpython-${pythonVersion}-${machine}-uv`
}

/** The interpreter of a kept entry (its manifest names it). */
export function keptPython(entry: KeptEntry): string {
  return join(entry.tree, entry.manifest.facts.python ?? '')
}

/** What `uv python install` put into the tool cache on an earlier run (verified first). */
export async function fromKept(context: LookupContext): Promise<StepResult> {
  const entry = await openKept(context.keptDir, uvEntryName(context.pythonVersion, context.machine))
  if (!entry) return {}
  return found([keptPython(entry)], entry.manifest.facts.version ?? '', entry.manifest.description)
}

/** An interpreter `uv python find` knows of (uv-managed ones, `python` on PATH, a virtualenv). */
export async function fromUvFind(context: LookupContext): Promise<StepResult> {
  let uv: string
  try {
    uv = await uvForPythons(context.env, context.toolCache)
  } catch (error) {
    return { miss: `no uv to ask (${errorMessage(error).split('\n')[0]})` }
  }
  const result = await uvFindPython(uv, context.pythonVersion, context.env)
  if (result.path === undefined) return { miss: result.problem }
  const probe = await probeInterpreter([result.path], context.env)
  const problem = probe.facts
    ? mismatch(probe.facts, context.pythonVersion, context.machine)
    : probe.problem
  if (problem !== undefined || !probe.facts)
    return { miss: `uv found ${result.path}, which ${problem}` }
  return found([result.path], probe.facts.version, `found by uv: ${result.path}`)
}

/**
 * A failed download is remembered per download source: settings that change where uv downloads
 * from (a mirror, a downloads list) try again at once.
 */
function downloadSource(context: LookupContext, key: string): string {
  const settings = [
    'UV_PYTHON_INSTALL_MIRROR',
    'UV_PYTHON_DOWNLOADS_JSON_URL',
    'UV_PYTHON_DOWNLOADS'
  ]
    .map((name) => `${name}=${context.env[name] ?? ''}`)
    .join('\n')
  return `uv-python-install-${key}-${createHash('sha256').update(settings).digest('hex').slice(0, 12)}`
}

/**
 * A standalone CPython installed by `uv python install` into the tool cache and kept there;
 * `probeCommand` runs a python of it (under qemu for the other machine). A download that fails
 * (runners without access to GitHub's downloads) is said once and not tried again for an hour.
 */
export async function bringUvPython(
  context: LookupContext,
  probeCommand: (python: string) => Promise<string[]>
): Promise<{ entry: KeptEntry } | { entry?: undefined; miss: string }> {
  const key = uvPythonKey(context.pythonVersion, context.machine)
  const brought = await unlessFailedRecently(
    context.keptDir,
    downloadSource(context, key),
    context.architecture,
    async () => {
      const uv = await uvForPythons(context.env, context.toolCache).catch((error: unknown) => {
        throw new ToolMissing(errorMessage(error))
      })
      return keep(
        context.keptDir,
        uvEntryName(context.pythonVersion, context.machine),
        async (tree) => {
          const installDir = `${tree}.uv`
          const started = performance.now()
          try {
            await rename(await uvInstallPython(uv, key, installDir, context.env), tree)
          } finally {
            await rm(installDir, { recursive: true, force: true })
          }
          const python = `bin/python${context.pythonVersion}`
          const probe = await probeInterpreter(await probeCommand(join(tree, python)), context.env)
          if (!probe.facts) throw new Error(`the CPython uv installed (${key}) ${probe.problem}`)
          core.info(
            `${context.architecture}: uv python install ${key}: CPython ${probe.facts.version} in ${((performance.now() - started) / 1000).toFixed(1)} s, kept in the tool cache`
          )
          return {
            description: `installed by uv (${key}) into the tool cache`,
            facts: { python, version: probe.facts.version }
          }
        }
      )
    }
  )
  return brought.value ? { entry: brought.value } : { miss: brought.miss as string }
}

/** `uv python install 3.X` for the runner's machine. */
export async function fromUvInstall(context: LookupContext): Promise<StepResult> {
  const brought = await bringUvPython(context, async (python) => [python])
  if (!brought.entry) return { miss: brought.miss }
  const { entry } = brought
  return found([keptPython(entry)], entry.manifest.facts.version ?? '', entry.manifest.description)
}
