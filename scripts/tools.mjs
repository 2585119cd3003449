// Installs the Python tools the tests and the demo need (moto, uv) into .tools/venv from PyPI,
// once: a fresh clone needs nothing installed by hand. Re-runs only when the pinned list changes.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const venv = join(root, '.tools', 'venv')
const requirements = join(root, 'scripts', 'tools-requirements.txt')
const marker = join(venv, '.installed')
const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex')

if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) process.exit(0)

const python = process.env.PYTHON ?? 'python3'
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] })
console.log(`Installing test tools (moto, uv) into ${venv} ...`)
if (!existsSync(join(venv, 'bin', 'python'))) run(python, ['-m', 'venv', venv])
run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '-r', requirements])
writeFileSync(marker, wanted)
