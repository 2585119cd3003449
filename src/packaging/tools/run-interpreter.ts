// Runs a target interpreter (tools/interpreters.ts): its argv prefix, the environment it needs
// (an emulator's sysroot) on top of the one the caller gives, and stdin closed.
import type { ExecOutput } from '@actions/exec'
import type { TargetInterpreter } from './interpreters.js'
import { execWithoutStdin } from './run-tool.js'

/** `python args` in exactly `env` (plus what the interpreter itself needs); never throws on exit codes. */
export function runInterpreter(
  python: TargetInterpreter,
  args: readonly string[],
  env: Readonly<Record<string, string>>
): Promise<ExecOutput> {
  const [path, ...prefix] = python.command
  return execWithoutStdin(path as string, [...prefix, ...args], {
    silent: true,
    ignoreReturnCode: true,
    env: { ...env, ...python.env }
  })
}
