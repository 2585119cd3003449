import * as core from '@actions/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  logBlock,
  phase,
  phaseTimings,
  progressLine,
  relayInert,
  resetPhases,
  transferProgress
} from '../../src/report/log.js'

vi.mock('@actions/core', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@actions/core')>()),
  info: vi.fn(),
  startGroup: vi.fn(),
  endGroup: vi.fn()
}))

afterEach(() => {
  resetPhases()
  vi.clearAllMocks()
})

describe('phase', () => {
  it('runs in a log group and records its duration', async () => {
    expect(await phase('build', async () => 42)).toBe(42)
    expect(vi.mocked(core.startGroup)).toHaveBeenCalledWith('build')
    expect(vi.mocked(core.endGroup)).toHaveBeenCalledTimes(1)
    expect(Object.keys(phaseTimings())).toEqual(['build'])
    expect(phaseTimings().build).toBeGreaterThanOrEqual(0)
    expect(String(vi.mocked(core.info).mock.calls.at(-1)![0])).toMatch(/^build done in \d+ ms$/)
  })

  it('closes the group and says so when the phase fails', async () => {
    await expect(
      phase('deploy', async () => {
        throw new Error('boom')
      })
    ).rejects.toThrow('boom')
    expect(vi.mocked(core.endGroup)).toHaveBeenCalledTimes(1)
    expect(String(vi.mocked(core.info).mock.calls.at(-1)![0])).toMatch(/^deploy failed after/)
    expect(Object.keys(phaseTimings())).toEqual(['deploy'])
  })

  it('does not nest groups: inner and concurrent phases log plain lines', async () => {
    await phase('build', () =>
      Promise.all([phase('build arm64', async () => 1), phase('build x86_64', async () => 2)])
    )
    expect(vi.mocked(core.startGroup)).toHaveBeenCalledTimes(1)
    expect(vi.mocked(core.endGroup)).toHaveBeenCalledTimes(1)
    expect(Object.keys(phaseTimings())).toEqual(['build arm64', 'build x86_64', 'build'])
  })
})

describe('transfer progress', () => {
  it.each([
    [
      'Uploading arm64 layer zip',
      30_000_000,
      60_000_000,
      2_000,
      'Uploading arm64 layer zip: 50% of 60.0 MB, 15.0 MB/s'
    ],
    ['Downloading wheels', 0, 10_000_000, 0, 'Downloading wheels: 0% of 10.0 MB, -'],
    ['x', 5, 0, 1_000, 'x: 0% of 0 B, 5 B/s']
  ])('%s: %d of %d after %d ms', (label, done, total, ms, line) => {
    expect(progressLine(label, done, total, ms)).toBe(line)
  })

  it('prints at most one line per interval, and a closing line for long transfers', () => {
    let now = 0
    const lines: string[] = []
    const progress = transferProgress({
      label: 'Uploading',
      totalBytes: 100_000_000,
      intervalMs: 5_000,
      now: () => now,
      write: (line) => lines.push(line)
    })
    for (let t = 1_000; t <= 12_000; t += 1_000) {
      now = t
      progress.update((t / 12_000) * 100_000_000)
    }
    progress.done()
    expect(lines).toEqual([
      'Uploading: 41% of 100.0 MB, 8.33 MB/s',
      'Uploading: 83% of 100.0 MB, 8.33 MB/s',
      'Uploading: 100% of 100.0 MB, 8.33 MB/s in 12.0 s'
    ])
  })

  it('stays quiet for short transfers', () => {
    let now = 0
    const lines: string[] = []
    const progress = transferProgress({
      label: 'Uploading',
      totalBytes: 1_000,
      now: () => now,
      write: (line) => lines.push(line)
    })
    now = 300
    progress.update(1_000)
    progress.done()
    expect(lines).toEqual([])
  })
})

describe('logBlock', () => {
  it('prints a tool log in a group of its own outside a phase', () => {
    logBlock('pip download (python3.12 arm64)', 'Saved numpy.whl')
    expect(vi.mocked(core.startGroup)).toHaveBeenCalledWith('pip download (python3.12 arm64)')
    expect(vi.mocked(core.info)).toHaveBeenCalledWith('Saved numpy.whl')
    expect(vi.mocked(core.endGroup)).toHaveBeenCalledTimes(1)
  })

  it('prints plain lines under a heading inside a phase, never a nested group', async () => {
    await phase('build', async () => logBlock('pip download', 'Saved numpy.whl'))
    expect(vi.mocked(core.startGroup)).toHaveBeenCalledTimes(1)
    const lines = vi.mocked(core.info).mock.calls.map((call) => String(call[0]))
    expect(lines[0]).toBe('── pip download\nSaved numpy.whl')
  })
})

describe('relayInert', () => {
  const hostile =
    'START RequestId: 1\n::add-mask::nothing\n::error::injected\n::stop-commands::x\n::x::\nEND'

  it('prints the text between ::stop-commands::<token> and ::<token>::, the token unguessable', () => {
    const lines: string[] = []
    relayInert(hostile, (line) => lines.push(line))
    expect(lines).toHaveLength(3)
    const token = /^::stop-commands::([0-9a-f]{32})$/.exec(lines[0]!)?.[1]
    expect(token).toBeDefined()
    expect(lines[1]).toBe(hostile)
    expect(lines[2]).toBe(`::${token}::`)
    // The text cannot end the pause itself: the token is not in it.
    expect(hostile).not.toContain(token)
  })

  it('uses a new token each time', () => {
    const first: string[] = []
    const second: string[] = []
    relayInert('::a', (line) => first.push(line))
    relayInert('::a', (line) => second.push(line))
    expect(first[0]).not.toBe(second[0])
  })

  it('is how a log block prints text someone else wrote', () => {
    logBlock('Smoke invocation of orders:2: log tail', hostile)
    const printed = vi.mocked(core.info).mock.calls.map(([line]) => line)
    expect(printed[0]).toMatch(/^::stop-commands::[0-9a-f]{32}$/)
    expect(printed.slice(1)).toEqual([hostile, printed[0]!.replace('stop-commands::', '') + '::'])
  })
})
