// Before any test runs (vitest globalSetup): one temporary folder for the whole run, named in
// TMPDIR so that every worker, the action under test and the tools it starts write under it.
// It is removed when the run ends, whatever the tests left there; test/setup/file-temp.ts
// removes each test file's part as soon as that file is done, so the run's peak stays small.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup(): () => void {
  const outer = process.env.TMPDIR
  const root = mkdtempSync(join(tmpdir(), 'lpd-test-run-'))
  process.env.TMPDIR = root
  return () => {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 })
    if (outer === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = outer
  }
}
