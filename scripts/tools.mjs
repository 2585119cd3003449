// Installs what the tests and the demo need, once, so a fresh clone needs nothing by hand: the
// npm packages (`npm ci`) when node_modules is missing, and the Python tools (moto, uv) into
// .tools/venv from PyPI. Re-runs pip only when the pinned list changes. Node built-ins only.
// uv's version is the one the action itself brings (src/packaging/resolve/uv-pin.json), so the
// tests run the uv users get.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const venv = join(root, '.tools', 'venv')
const requirements = join(root, 'scripts', 'tools-requirements.txt')
const marker = join(venv, '.installed')
const uvPin = JSON.parse(
  readFileSync(join(root, 'src', 'packaging', 'resolve', 'uv-pin.json'), 'utf8')
)
const uvRequirement = `uv==${uvPin.version}`
const wanted = createHash('sha256')
  .update(readFileSync(requirements))
  .update(uvRequirement)
  .digest('hex')

const run = (cmd, args) =>
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  console.log('Installing npm packages (npm ci) ...')
  run('npm', ['ci', '--no-audit', '--no-fund'])
}

if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) process.exit(0)

const python = process.env.PYTHON ?? 'python3'
console.log(`Installing test tools (moto, uv) into ${venv} ...`)
if (!existsSync(join(venv, 'bin', 'python'))) run(python, ['-m', 'venv', venv])
run(join(venv, 'bin', 'python'), [
  '-m',
  'pip',
  'install',
  '--quiet',
  '-r',
  requirements,
  uvRequirement
])
writeFileSync(marker, wanted)
