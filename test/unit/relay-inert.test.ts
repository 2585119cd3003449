// Text from outside the action, printed through relayInert and logBlock, must run no workflow
// command when the runner reads the log. The log is read back as actions/runner reads it
// (test/helpers/workflow-commands.ts); printed raw, the same text does run commands.
import * as core from '@actions/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { logBlock, phase, relayInert, resetPhases } from '../../src/report/log.js'
import { actingCommands, liveCommands } from '../helpers/workflow-commands.js'

/** What a hostile setup.py or a function's log tail might print. */
const HOSTILE = [
  'Building wheel for hostile (pyproject.toml) ... done',
  '::set-output name=code-sha256::x',
  '   ::error::x',
  '\u0085::add-mask::x',
  'looks harmless ##[set-output name=changed;]true',
  'carriage\r::warning file=app.py::planted',
  '::set-env name=NODE_OPTIONS::--require=/tmp/evil.js',
  '::add-path::/tmp/evil'
].join('\n')

let log = ''

beforeEach(() => {
  log = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    log += chunk.toString()
    return true
  })
})

afterEach(() => {
  vi.restoreAllMocks()
  resetPhases()
})

describe('relayInert', () => {
  it('the hostile lines run commands when printed raw (the reader is able to see them)', () => {
    core.info(HOSTILE)
    expect(actingCommands(log).map((c) => c.command)).toEqual([
      'set-output',
      'error',
      'add-mask',
      'set-output',
      'warning',
      'set-env',
      'add-path'
    ])
  })

  it('prints them with none running, and every line still in the log', () => {
    relayInert(HOSTILE)
    expect(actingCommands(log)).toEqual([])
    for (const line of HOSTILE.split(/\r|\n/)) expect(log).toContain(line)
    const [stop, resume] = liveCommands(log)
    expect(stop?.command).toBe('stop-commands')
    expect(stop?.data).toMatch(/^[0-9a-f]{32}$/)
    expect(resume?.command).toBe(stop?.data)
  })

  it('draws a new token for every block, and commands after a block run again', () => {
    relayInert(HOSTILE)
    relayInert(HOSTILE)
    core.warning('our own warning')
    const pauses = liveCommands(log).filter((c) => c.command === 'stop-commands')
    expect(pauses).toHaveLength(2)
    expect(pauses[0]?.data).not.toBe(pauses[1]?.data)
    expect(actingCommands(log)).toEqual([
      { command: 'warning', properties: '', data: 'our own warning' }
    ])
  })

  it('prints text that holds no command as it is', () => {
    relayInert('Successfully built six-1.16.0-py2.py3-none-any.whl\nsaved ./wheels')
    expect(log).toBe('Successfully built six-1.16.0-py2.py3-none-any.whl\nsaved ./wheels\n')
  })

  it('a file name cannot smuggle a command through a one-line message', () => {
    relayInert(`x86_64: left out by default: .env, evil\n::set-output name=size::1, ##[add-mask]x`)
    expect(actingCommands(log)).toEqual([])
  })
})

describe('logBlock', () => {
  it('in a group of its own: the group runs, the body does not', () => {
    logBlock('uv build --wheel libs/hostile', HOSTILE)
    expect(actingCommands(log)).toEqual([
      { command: 'group', properties: '', data: 'uv build --wheel libs/hostile' },
      { command: 'endgroup', properties: '', data: '' }
    ])
  })

  it('under a phase group already open: the title and the body are inert', async () => {
    await phase('Build', async () => logBlock('pip wheel ::error::title', HOSTILE))
    expect(actingCommands(log).map((c) => c.command)).toEqual(['group', 'endgroup'])
  })
})
