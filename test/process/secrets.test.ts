// Nothing secret reaches a log or an output. A full deploy through `node dist/index.js` against
// moto, with secrets planted everywhere a real run has them: AWS credentials, the GitHub token
// (used for a real pull-request comment against a recorder standing in for the GitHub API),
// index passwords in the requirements file (literal and through `${VAR}`) and in
// PIP_EXTRA_INDEX_URL, and index tokens inside URL paths (`/api/pypi/<token>/simple`). Every byte the run left behind is searched: stdout, stderr, the outputs,
// the step summary, every file of output-dir and of the wheel store, and the comment it posted.
// A secret may appear only in `::add-mask::` commands, which the runner turns into masks.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRecorder, type HttpRecorder } from '../helpers/http-recorder.js'
import { findLeaks, isMasked } from '../helpers/leaks.js'
import { startMoto, type MotoServer } from '../helpers/moto.js'
import { runAction, type ActionRun } from '../helpers/run-action.js'
import { writeWheel } from '../helpers/wheels.js'

const SECRETS = {
  awsSecretAccessKey: 'PlantedAwsSecretKey/wJalrXUtnFEMI+K7MDENGbPxRfiCY',
  awsSessionToken: 'PlantedSessionTokenIQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJH',
  githubToken: 'ghs_PlantedGitHubToken0123456789abcdefXYZ',
  requirementsPassword: 'PlantedReqIndexPassw0rd',
  requirementsVariable: 'PlantedTokenFromEnvVar42',
  pipPassword: 'PlantedPipEnvPassw0rd',
  requirementsPathToken: 'Pl4ntedPathT0kenInRequirements',
  pipPathToken: 'Pl4ntedPathT0kenInPipEnv9'
} as const

const work = mkdtempSync(join(tmpdir(), 'lpd-secrets-'))
let moto: MotoServer
let github: HttpRecorder
let run: ActionRun
let failed: ActionRun
const outputDir = join(work, 'out')
const store = join(work, 'tool-cache')

/** Every file below `dir`, as text (binary files too: a secret would still be its bytes). */
function filesBelow(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {}
  const found: Record<string, string> = {}
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    found[path] = readFileSync(path, 'latin1')
  }
  return found
}

beforeAll(async () => {
  ;[moto, github] = await Promise.all([
    startMoto(),
    // Enough of the GitHub API for the sticky comment: no comment yet, then one created.
    startRecorder((request, response) => {
      response.writeHead(request.method === 'POST' ? 201 : 200, {
        'content-type': 'application/json'
      })
      response.end(
        request.method === 'POST'
          ? '{"id":1,"html_url":"https://github.com/acme/orders/pull/7#issuecomment-1"}'
          : '[]'
      )
    })
  ])
  await moto.createFunction({ name: 'orders', runtime: 'python3.12', architecture: 'x86_64' })
  await moto.queueInvokeResults(['{"ok": true}'])

  const source = join(work, 'source')
  mkdirSync(source)
  writeFileSync(
    join(source, 'app.py'),
    'import lpdtiny\n\ndef handler(event, context):\n    return {"ok": True}\n'
  )
  // Requirements and wheels beside source, not in it (they would be packaged).
  const deps = join(work, 'deps')
  writeWheel(join(deps, 'wheels'), {
    name: 'lpdtiny',
    version: '1.0',
    files: { 'lpdtiny/__init__.py': 'VALUE = 1\n' }
  })
  // Both indexes sit on a closed port, PIP_INDEX_URL too: pip takes the wheel from find-links.
  const indexes =
    `--extra-index-url https://deploy-bot:${SECRETS.requirementsPassword}@127.0.0.1:9/simple\n` +
    '--extra-index-url https://__token__:${LPD_INDEX_TOKEN}@127.0.0.1:9/private/simple\n' +
    `--extra-index-url https://127.0.0.1:9/api/pypi/${SECRETS.requirementsPathToken}/simple\n` +
    '--find-links wheels\n'
  writeFileSync(join(deps, 'requirements.txt'), `${indexes}lpdtiny==1.0\n`)
  // The same secrets on the failure path: pip finds nothing, its output goes into the error.
  writeFileSync(join(deps, 'missing.txt'), `${indexes}lpd-not-published-anywhere==9.9\n`)
  const event = join(work, 'event.json')
  writeFileSync(event, JSON.stringify({ number: 7, pull_request: { number: 7 } }))

  const deploy = (requirements: string, outputDir: string, store: string) =>
    runAction({
      inputs: {
        'function-name': 'orders',
        source,
        requirements: join(deps, requirements),
        installer: 'pip',
        'output-dir': outputDir,
        alias: 'live',
        'smoke-payload': '{"ping": 1}',
        'smoke-expect': '{"ok": true}',
        comment: 'true',
        'github-token': SECRETS.githubToken
      },
      env: {
        ...moto.env,
        AWS_ACCESS_KEY_ID: 'ASIAPLANTEDKEYID0001',
        AWS_SECRET_ACCESS_KEY: SECRETS.awsSecretAccessKey,
        AWS_SESSION_TOKEN: SECRETS.awsSessionToken,
        PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
        PIP_EXTRA_INDEX_URL:
          `https://pip-user:${SECRETS.pipPassword}@127.0.0.1:9/pip/simple ` +
          `http://127.0.0.1:9/t/${SECRETS.pipPathToken}/simple`,
        PIP_RETRIES: '0',
        LPD_INDEX_TOKEN: SECRETS.requirementsVariable,
        RUNNER_TOOL_CACHE: store,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: event,
        GITHUB_REPOSITORY: 'acme/orders',
        GITHUB_API_URL: github.url,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_RUN_ID: '1'
      }
    })
  ;[run, failed] = await Promise.all([
    deploy('requirements.txt', outputDir, store),
    deploy('missing.txt', join(work, 'out-failed'), join(work, 'tool-cache-failed'))
  ])
})

afterAll(async () => {
  await Promise.all([moto?.stop(), github?.stop()])
})

describe('a full deploy with planted secrets', () => {
  it('deploys, smoke-tests, moves the alias and comments (every secret was in use)', () => {
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.outputs.version).toBe('1')
    expect(run.outputs['alias-arn']).toMatch(/:function:orders:live$/)
    const posted = github.requests.find((r) => r.method === 'POST')
    expect(posted?.url).toBe('/repos/acme/orders/issues/7/comments')
    // The token went where it belongs: the Authorization header of GitHub API calls.
    expect(posted?.headers.authorization).toBe(`Bearer ${SECRETS.githubToken}`)
  })

  it('the failing run failed in pip, naming the package', () => {
    expect(failed.code).toBe(1)
    expect(failed.errors.join('\n')).toContain('lpd-not-published-anywhere')
  })

  it('no planted secret appears anywhere but in ::add-mask:: commands', () => {
    const files = filesBelow(work)
    // The test's own requirements files hold the secrets by design.
    delete files[join(work, 'deps', 'requirements.txt')]
    delete files[join(work, 'deps', 'missing.txt')]
    const everything = {
      stdout: run.stdout,
      stderr: run.stderr,
      outputs: JSON.stringify(run.outputs),
      summary: run.summary,
      'failed run stdout': failed.stdout,
      'failed run stderr': failed.stderr,
      'failed run summary': failed.summary,
      ...files,
      ...Object.fromEntries(
        github.requests.map((r, i) => [`GitHub API request ${i} ${r.method} ${r.url}`, r.body])
      )
    }
    expect(Object.keys(everything)).toContain(join(outputDir, 'report.json'))

    expect(findLeaks(everything, Object.values(SECRETS))).toEqual([])
  })

  it.each(Object.entries(SECRETS))('%s is registered with core.setSecret', (_name, secret) => {
    expect(isMasked(run.stdout, secret)).toBe(true)
    expect(isMasked(failed.stdout, secret)).toBe(true)
  })

  it('secrets from the environment are masked before the first stage starts', () => {
    const lines = run.stdout.split('\n')
    const firstStage = lines.findIndex((line) => !line.startsWith('::add-mask::'))
    for (const secret of [
      SECRETS.awsSecretAccessKey,
      SECRETS.awsSessionToken,
      SECRETS.pipPassword,
      SECRETS.pipPathToken,
      SECRETS.githubToken
    ]) {
      expect(lines.indexOf(`::add-mask::${secret}`)).toBeLessThan(firstStage)
    }
  })

  it('our own messages show index URLs masked', () => {
    const visible = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    expect(visible).toContain('https://***@127.0.0.1:9/simple')
    // pip shows `user:****@`; we hide the user name too (a token is often the user name).
    expect(visible).not.toMatch(/deploy-bot|pip-user|__token__/)
    expect(visible).toContain('https://127.0.0.1:9/api/pypi/***/simple')
  })
})
