// Requirements the action must answer clearly, through `node dist/index.js` in mode: build:
// VCS URLs are refused naming the line, and so is a local path that is not there (local
// libraries that are build: test/process/projects.test.ts); `--require-hashes` and
// `--hash` are enforced; an index password never shows in the log (only in `::add-mask::`,
// which the runner turns into a mask) and our own messages print `https://***@host`.
// A local --find-links folder with a wheel built here keeps pip off the network.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findLeaks, isMasked } from '../helpers/leaks.js'
import { limitConcurrency } from '../helpers/limit.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'
import { sha256Hex, writeWheel } from '../helpers/wheels.js'

const work = mkdtempSync(join(tmpdir(), 'lpd-requirements-'))
const limited = limitConcurrency(2)
const source = join(work, 'source')
mkdirSync(source)
writeFileSync(
  join(source, 'app.py'),
  'import lpdtiny\n\ndef handler(event, context):\n    return {}\n'
)
const wheels = join(work, 'wheels')
const wheel = writeWheel(wheels, {
  name: 'lpdtiny',
  version: '1.0',
  files: { 'lpdtiny/__init__.py': 'VALUE = 1\n' }
})

let cases = 0
/** Writes the requirements beside the wheels folder and builds with them. */
function build(requirements: string, env: Record<string, string> = {}): Promise<ActionRun> {
  const file = join(work, `requirements-${++cases}.txt`)
  writeFileSync(file, requirements)
  return limited(() =>
    runAction({
      inputs: {
        mode: 'build',
        runtime: 'python3.12',
        architectures: 'x86_64',
        installer: 'pip',
        cache: 'false',
        source,
        requirements: file,
        'output-dir': join(work, `out-${cases}`)
      },
      // An empty wheel store for each run: every run resolves.
      env: { RUNNER_TOOL_CACHE: join(work, `store-${cases}`), ...env }
    })
  )
}

const offline = '--no-index\n--find-links wheels\n'

describe.concurrent('requirement lines that cannot be built for Lambda', () => {
  it.for([
    ['./libs/orders-core', 'which does not exist'],
    ['-e ./libs/orders-core', 'which does not exist'],
    ['git+https://github.com/acme/orders-core@v1.2#egg=orders-core', 'VCS']
  ] as const)('%s is refused naming the line', async ([line, what], { expect }) => {
    const run = await build(`${offline}lpdtiny==1.0\n${line}\n`)
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    const message = run.errors[0] ?? ''
    expect(message).toMatch(
      new RegExp(`^requirements-\\d+\\.txt:4: "${line.replace(/[.+]/g, '\\$&')}`)
    )
    expect(message).toContain(what)
    // ... and the way out.
    expect(message).toMatch(what === 'VCS' ? /--find-links/ : /fix the path/)
    // Refused while reading the file: pip never ran.
    expect(run.stdout).not.toContain('pip download')
  })
})

describe.concurrent('hash-checking mode', () => {
  it('the right hash builds', async () => {
    const run = await build(
      `${offline}--require-hashes\nlpdtiny==1.0 --hash=sha256:${sha256Hex(wheel)}\n`
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
  })

  it('--require-hashes with a requirement that has no hash fails', async () => {
    const run = await build(`${offline}--require-hashes\nlpdtiny==1.0\n`)
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(/hashes are required in --require-hashes mode/i)
    expect(run.errors.join('\n')).toContain('lpdtiny')
  })

  it('a wrong --hash fails, naming the expected and the actual hash', async () => {
    const wrong = 'ab'.repeat(32)
    const run = await build(`${offline}lpdtiny==1.0 --hash=sha256:${wrong}\n`)
    expect(run.code).toBe(1)
    const message = run.errors.join('\n')
    // pip refuses the download; its report is read into the words of our own check.
    expect(message).toMatch(
      /lpdtiny \(lpdtiny-1\.0-py3-none-any\.whl\) has sha256:\S+, which is not among the --hash values at \S+:\d+/
    )
    expect(message).toContain(wrong)
    expect(message).toContain(sha256Hex(wheel))
  })
})

describe.concurrent('an index URL with credentials', () => {
  const password = 's3cr3tIndexPass'
  const index = `https://deploy-bot:${password}@127.0.0.1:9/simple`

  it.for([
    ['a build that succeeds', 'lpdtiny==1.0'],
    ['a build that fails in pip', 'lpd-not-published-anywhere==9.9']
  ] as const)(
    'in %s: the password is only in ::add-mask::, our messages show https://***@',
    async ([, requirement], { expect }) => {
      // The index is on a closed port: pip warns about it (with the URL) and takes the wheel
      // from find-links. PIP_RETRIES=0 keeps pip from backing off on it.
      const run = await build(`--extra-index-url ${index}\n--find-links wheels\n${requirement}\n`, {
        PIP_RETRIES: '0',
        PIP_INDEX_URL: 'http://127.0.0.1:9/simple'
      })
      const everything = {
        stdout: run.stdout,
        stderr: run.stderr,
        outputs: JSON.stringify(run.outputs),
        summary: run.summary
      }
      expect(findLeaks(everything, [password, `deploy-bot:${password}`])).toEqual([])
      expect(isMasked(run.stdout, password)).toBe(true)
      expect(run.stdout).toContain('https://***@127.0.0.1:9/simple')
      if (requirement.startsWith('lpdtiny')) {
        expect(run.code, run.stdout).toBe(0)
      } else {
        expect(run.code).toBe(1)
        expect(run.errors.join('\n')).toContain('lpd-not-published-anywhere')
      }
    }
  )
})
