// Runs the bundled action exactly as GitHub does: `node dist/index.js`, inputs in INPUT_<NAME>
// variables (upper-case, hyphens kept), outputs read back from $GITHUB_OUTPUT, the job summary
// from $GITHUB_STEP_SUMMARY. The node is this process's, or NODE_BINARY's (NODE24_BINARY, say, to
// run any process test on the Node 24 GitHub runs the action with).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import node24 from '../../scripts/node24.json' with { type: 'json' }
import { linesWithCommandsOn } from './workflow-commands.js'
import { shareKeptPythons } from './pythons.js'

export const ROOT = new URL('../..', import.meta.url).pathname
export const TOOLS_BIN = join(ROOT, '.tools', 'venv', 'bin')
/** Node 24 from the npm registry, installed by scripts/tools.mjs (linux-x64 only). */
export const NODE24_BINARY = join(ROOT, node24.dir, node24.binary)

export interface ActionRun {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** `::error::` lines (workflow commands) the action printed. */
  errors: string[]
}

/** Parses `name<<DELIM\nvalue\nDELIM` blocks, the format @actions/core writes. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!)
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!)
    outputs[name!] = value.join('\n')
  }
  return outputs
}

export interface RunOptions {
  inputs: Record<string, string>
  env?: Record<string, string | undefined>
  cwd?: string
  /** Also show the action's log live on this process's stdout (the demo). */
  echo?: boolean
  /** Gets the child as soon as it runs: to watch its log live, or kill it part-way. */
  onSpawn?: (child: ChildProcess) => void
  /** The node binary; NODE_BINARY, else this process's. */
  node?: string
  /** A command that runs `node dist/index.js` for us, e.g. `['/usr/bin/time', '-v']` to measure it. */
  wrapper?: string[]
  /**
   * What the action brings for the import check (qemu, the other architecture's CPython) is
   * kept in one folder under .tools/ for every run (pythons.ts), unless this is false: the run
   * then brings its own into its tool cache.
   */
  shareKeptPythons?: boolean
}

export async function runAction({
  inputs,
  env = {},
  cwd = ROOT,
  echo = false,
  onSpawn,
  node = process.env.NODE_BINARY || process.execPath,
  wrapper = [],
  shareKeptPythons: share = true
}: RunOptions): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'lpd-run-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const childEnv: Record<string, string> = {}
  // A clean environment like a runner's: nothing from a GitHub job or this shell's AWS setup.
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_|AWS_)/.test(key)) continue
    childEnv[key] = value
  }
  Object.assign(childEnv, {
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: join(dir, 'runner-temp'),
    RUNNER_TOOL_CACHE: join(dir, 'tool-cache')
  })
  for (const [name, value] of Object.entries(inputs))
    childEnv[`INPUT_${name.toUpperCase()}`] = value
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key]
    else childEnv[key] = value
  }

  if (share && childEnv.RUNNER_TOOL_CACHE) shareKeptPythons(childEnv.RUNNER_TOOL_CACHE)

  const [command, ...args] = [...wrapper, node, join(ROOT, 'dist', 'index.js')]
  const child = spawn(command as string, args, { cwd, env: childEnv })
  onSpawn?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    if (echo) process.stdout.write(chunk)
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (echo) process.stderr.write(chunk)
  })
  // A binary that cannot start (a missing Node 24) emits 'error' and may never close.
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (c) => resolve(c ?? -1))
  })
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    // As the runner reads them: an `::error::` line a tool printed inside a pause is not one.
    errors: linesWithCommandsOn(stdout)
      .filter((line) => line.startsWith('::error'))
      .map((line) => line.replace(/^::error[^:]*::/, ''))
  }
}
