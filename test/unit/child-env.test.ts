// What a child process sees: the allowlist (pure), and a real child started through runTool
// and through the interpreter probe printing its whole environment.
import { describe, expect, it } from 'vitest'
import { childEnvironment, childMaySee } from '../../src/packaging/tools/child-env.js'
import { runTool } from '../../src/packaging/tools/run-tool.js'

/** A job's environment as a runner gives it to the action, secrets planted. */
const JOB = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '/home/runner',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  SOURCE_DATE_EPOCH: '315532800',
  PIP_INDEX_URL: 'https://user:pw@pypi.example/simple',
  UV_INDEX_URL: 'https://pypi.example/simple',
  HTTPS_PROXY: 'http://proxy:3128',
  no_proxy: '127.0.0.1',
  SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
  REQUESTS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt',
  PYENV_VERSION: '3.12.7',
  LD_LIBRARY_PATH: '/opt/hostedtoolcache/Python/3.12.7/x64/lib',
  SSH_AUTH_SOCK: '/tmp/ssh-XXXX/agent.1',
  ACTIONS_RUNTIME_TOKEN: 'planted-runtime-token',
  ACTIONS_CACHE_URL: 'https://cache.example/',
  ACTIONS_RESULTS_URL: 'https://results.example/',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'planted-oidc-token',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/',
  AWS_ACCESS_KEY_ID: 'AKIAPLANTED',
  AWS_SECRET_ACCESS_KEY: 'planted-secret',
  AWS_SESSION_TOKEN: 'planted-session',
  AWS_REGION: 'eu-west-1',
  GITHUB_TOKEN: 'planted-github-token',
  'INPUT_GITHUB-TOKEN': 'planted-input-token',
  GITHUB_ENV: '/home/runner/work/_temp/_runner_file_commands/set_env_1',
  GITHUB_PATH: '/home/runner/work/_temp/_runner_file_commands/add_path_1',
  GITHUB_OUTPUT: '/home/runner/work/_temp/_runner_file_commands/set_output_1',
  GITHUB_STEP_SUMMARY: '/home/runner/work/_temp/_runner_file_commands/step_summary_1',
  GITHUB_WORKSPACE: '/home/runner/work/app/app',
  RUNNER_TEMP: '/home/runner/work/_temp',
  STATE_saved: 'x',
  NODE_OPTIONS: '--require=/tmp/evil.js',
  PYTHONPATH: '/tmp/evil',
  LD_PRELOAD: '/tmp/evil.so',
  BASH_ENV: '/tmp/evil.sh'
}

const GIVEN = [
  'PATH',
  'HOME',
  'TMPDIR',
  'LANG',
  'LC_ALL',
  'SOURCE_DATE_EPOCH',
  'PIP_INDEX_URL',
  'UV_INDEX_URL',
  'HTTPS_PROXY',
  'no_proxy',
  'SSL_CERT_FILE',
  'REQUESTS_CA_BUNDLE',
  'PYENV_VERSION',
  'LD_LIBRARY_PATH',
  'SSH_AUTH_SOCK'
]

describe('childEnvironment', () => {
  it.each(Object.keys(JOB))('%s', (name) => {
    expect(childMaySee(name)).toBe(GIVEN.includes(name))
  })

  it('keeps the allowed values as they are, and nothing else', () => {
    const env = childEnvironment({ ...JOB, UNSET: undefined })
    expect(Object.keys(env).sort()).toEqual([...GIVEN].sort())
    expect(env.PIP_INDEX_URL).toBe(JOB.PIP_INDEX_URL)
  })
})

describe('a child started through runTool', () => {
  it('sees exactly the allowlisted variables, whatever it is given', async () => {
    const result = await runTool('env', ['-0'], { env: JOB, what: 'env' })
    const seen = Object.fromEntries(
      result.stdout
        .split('\0')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
    )
    // PWD: the /bin/sh that closes the child's stdin sets it.
    expect(Object.keys(seen).sort()).toEqual([...GIVEN, 'PWD'].sort())
    for (const secret of ['planted-runtime-token', 'planted-secret', 'planted-input-token'])
      expect(result.stdout).not.toContain(secret)
  })
})
