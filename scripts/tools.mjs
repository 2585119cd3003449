// Installs what the tests and the demo need, once, so a fresh clone needs nothing by hand: the
// npm packages (`npm ci`) when node_modules is missing, Node 24 into .tools/node24 from the npm
// registry (scripts/node24.json; process tests run the bundle on it too, as GitHub does), and the
// Python tools (moto, uv) into .tools/venv from PyPI, and the lock tools (poetry with its export
// plugin, pipenv, a pip that writes pylock.toml) into .tools/lock-tools. Re-runs npm or pip only
// when the pinned version or list changes. Node built-ins only. uv's version is the one the
// action itself brings (src/packaging/tools/uv-pin.json), so the tests run the uv users get.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const venv = join(root, '.tools', 'venv')
const requirements = join(root, 'scripts', 'tools-requirements.txt')
const uvPin = JSON.parse(
  readFileSync(join(root, 'src', 'packaging', 'tools', 'uv-pin.json'), 'utf8')
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

const node24 = JSON.parse(readFileSync(join(root, 'scripts', 'node24.json'), 'utf8'))
const node24Manifest = join(root, node24.dir, 'node_modules', node24.package, 'package.json')
const node24Installed = () =>
  existsSync(node24Manifest) && JSON.parse(readFileSync(node24Manifest, 'utf8')).version
// The package holds a linux-x64 binary only; elsewhere the Node 24 tests say they were skipped.
if (
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  node24Installed() !== node24.version
) {
  console.log(`Installing Node ${node24.version} (${node24.package}) into ${node24.dir} ...`)
  run('npm', [
    'install',
    '--prefix',
    join(root, node24.dir),
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    `${node24.package}@${node24.version}`
  ])
}

const python = process.env.PYTHON ?? 'python3'

/** A venv at `dir` holding `args` (pip install arguments), re-installed when `hash` changes. */
function venvWith(dir, what, args, hash) {
  const installed = join(dir, '.installed')
  if (existsSync(installed) && readFileSync(installed, 'utf8') === hash) return
  console.log(`Installing ${what} into ${dir} ...`)
  if (!existsSync(join(dir, 'bin', 'python'))) run(python, ['-m', 'venv', dir])
  run(join(dir, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', ...args])
  writeFileSync(installed, hash)
}

venvWith(venv, 'test tools (moto, uv)', ['-r', requirements, uvRequirement], wanted)
const lockTools = join(root, 'scripts', 'lock-tools-requirements.txt')
venvWith(
  join(root, '.tools', 'lock-tools'),
  'lock tools (poetry, pipenv, pip lock)',
  ['-r', lockTools],
  createHash('sha256').update(readFileSync(lockTools)).digest('hex')
)
