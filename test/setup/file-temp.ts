// Before each test file (vitest setupFiles): the file's own temporary folder under the run's
// (test/setup/temp-root.ts), removed when the file's tests are done. Test files make their
// folders with mkdtemp(tmpdir()) and need not remove them one by one.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

const outer = tmpdir()
const own = mkdtempSync(join(outer, 'file-'))
process.env.TMPDIR = own

afterAll(() => {
  process.env.TMPDIR = outer
  rmSync(own, { recursive: true, force: true, maxRetries: 3 })
})
