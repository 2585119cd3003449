// runTool, the one way pip, uv and python are run (through @actions/exec): real child
// processes (small shell scripts), so what users see when a tool fails or is missing is tested
// as it happens.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { UserError } from '../../src/errors.js'
import { runTool, ToolFailure } from '../../src/packaging/tools/run-tool.js'

const bin = mkdtempSync(join(tmpdir(), 'lpd-run-tool-'))
afterAll(() => rmSync(bin, { recursive: true, force: true }))

/** An executable shell script `name` in `bin`, reachable only through the env's PATH. */
function tool(name: string, script: string): string {
  const path = join(bin, name)
  writeFileSync(path, `#!/bin/sh\n${script}\n`)
  chmodSync(path, 0o755)
  return path
}

const env = { PATH: `${bin}:/usr/bin:/bin` }

describe('runTool', () => {
  it('runs a tool found on the env PATH (not this process PATH), both streams kept in order', async () => {
    tool('fake-pip', 'echo out-1; echo err-1 >&2; sleep 0.05; echo out-2; echo "$PIP_LPD_VALUE"')
    const result = await runTool('fake-pip', ['download'], {
      env: { ...env, PIP_LPD_VALUE: 'from-env' },
      what: 'pip download'
    })
    expect(result.stdout).toBe('out-1\nout-2\nfrom-env\n')
    expect(result.stderr).toBe('err-1\n')
    expect(result.output.indexOf('err-1')).toBeLessThan(result.output.indexOf('out-2'))
  })

  it('a non-zero exit is a ToolFailure ending with the last stderr lines, credentials masked', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `echo "line ${i}" >&2`).join('\n')
    tool(
      'failing-pip',
      `${lines}\necho "Looking in https://bot:hunter2@pypi.corp/simple" >&2\nexit 3`
    )
    const failure = await runTool('failing-pip', [], { env, what: 'pip download' }).catch(
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(ToolFailure)
    const message = (failure as ToolFailure).message
    expect(message).toMatch(/^pip download failed \(exit code 3\):\n/)
    expect(message).toContain('line 19\nLooking in https://***@pypi.corp/simple')
    expect(message).not.toContain('line 5\n')
    expect(message).not.toContain('hunter2')
    expect((failure as ToolFailure).exitCode).toBe(3)
  })

  it('a tool that exits at once, many times over, leaves no broken pipe behind', async () => {
    // Ending an open stdin pipe after the child has gone raised an uncaught EPIPE (CI saw it).
    tool('quick', 'exit 0')
    const runs = Array.from({ length: 40 }, () => runTool('quick', [], { env, what: 'quick' }))
    expect((await Promise.all(runs)).every((run) => run.output === '')).toBe(true)
  })

  it('a tool that reads stdin gets end-of-file, not a wait', async () => {
    tool('prompting', 'read answer || { echo "no input" >&2; exit 4; }')
    const failure = await runTool('prompting', [], { env, what: 'pip download' }).catch(
      (error: unknown) => error
    )
    expect((failure as ToolFailure).message).toContain('no input')
  })

  it.each([
    ['a bare name', 'not-installed-tool', 'uv --version: not-installed-tool was not found on PATH'],
    [
      'a path',
      '/nonexistent/python3',
      'python3 probe: /nonexistent/python3 does not exist or is not executable'
    ]
  ])('a missing tool (%s) is a UserError saying so', async (_case, command, message) => {
    const what = command.startsWith('/') ? 'python3 probe' : 'uv --version'
    const failure = await runTool(command, [], { env, what }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(UserError)
    expect(failure).not.toBeInstanceOf(ToolFailure)
    expect((failure as Error).message).toBe(message)
  })
})
