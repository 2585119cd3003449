// docs/correctness.md lists the corpus exactly as test/corpus/sets.ts defines it, and the list itself
// meets issue 8's bar: enough sets, every runtime and both architectures, the known failures.
import { execFileSync } from 'node:child_process'
import { join, posix } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/run-action.js'
import { CORPUS, LOCK_FILE } from '../corpus/sets.js'

describe('the corpus', () => {
  it('is what docs/correctness.md lists (scripts/corpus-table.ts --check)', () => {
    expect(() =>
      execFileSync(
        process.execPath,
        [join(ROOT, 'scripts', 'run-ts.mjs'), join(ROOT, 'scripts', 'corpus-table.ts'), '--check'],
        { cwd: ROOT, stdio: 'pipe' }
      )
    ).not.toThrow()
  })

  it('has 30+ building sets over every runtime and both architectures, and the known failures', () => {
    const building = CORPUS.filter((set) => !set.fails)
    expect(building.length).toBeGreaterThanOrEqual(30)
    expect(new Set(CORPUS.map((set) => set.name)).size).toBe(CORPUS.length)
    const runtimes = new Set(building.map((set) => set.runtime))
    for (let minor = 9; minor <= 14; minor++) expect(runtimes).toContain(`python3.${minor}`)
    const architectures = new Set(building.flatMap((set) => set.architectures))
    expect([...architectures].sort()).toEqual(['arm64', 'x86_64'])
    for (const set of CORPUS) {
      // The file that decides is in the set, or is the uv.lock that `uv lock` writes at set-up.
      const source = (name: string) => posix.join(set.source ?? '.', name)
      const decides = set.requirements ?? (set.lockedBy ? undefined : 'pyproject.toml')
      if (decides === 'uv.lock') expect(set.lockedBy, set.name).toBeDefined()
      else if (decides) expect(Object.keys(set.files), set.name).toContain(source(decides))
      // A lock is written by its tool at set-up, never committed in the set.
      for (const lock of Object.values(LOCK_FILE)) {
        expect(Object.keys(set.files), set.name).not.toContain(lock)
      }
      expect(set.files['app.py'], `${set.name}: app.py is written from imports`).toBeUndefined()
    }
    expect(CORPUS.filter((set) => set.fails).length).toBeGreaterThanOrEqual(3)
    // Issue 9: a pyproject.toml alone, a uv.lock, and a workspace member with a local library.
    expect(CORPUS.some((set) => !set.requirements && !set.lockedBy)).toBe(true)
    expect(CORPUS.some((set) => set.requirements === 'uv.lock')).toBe(true)
    expect(CORPUS.some((set) => set.lockedBy && set.source && !set.requirements)).toBe(true)
    // Issue 15: two sets or more per lock format, over both architectures, with a dev group left out.
    for (const tools of [['poetry'], ['pipenv'], ['pylock', 'pylock-compile']]) {
      const sets = CORPUS.filter((set) => tools.includes(set.lockedBy?.tool ?? ''))
      expect(sets.length, tools.join()).toBeGreaterThanOrEqual(2)
      expect(new Set(sets.flatMap((set) => set.architectures)).size, tools.join()).toBe(2)
    }
  })
})
