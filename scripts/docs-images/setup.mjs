// What `npm run docs:images` needs beyond `npm test`, installed only when it runs: the npm
// packages of scripts/docs-images/package-lock.json (markdown-it, github-markdown-css, mermaid,
// playwright-core) into .tools/docs-images, and Debian's chromium with the fonts GitHub's pages
// fall back to here (Liberation for Arial and Helvetica, Noto for emoji) through apt-get.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../..', import.meta.url).pathname
const here = join(root, 'scripts', 'docs-images')
const target = join(root, '.tools', 'docs-images')
const marker = join(target, '.installed')
const lock = readFileSync(join(here, 'package-lock.json'), 'utf8')

const run = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options })

if (!existsSync(marker) || readFileSync(marker, 'utf8') !== lock) {
  console.log(`Installing the docs image tools into ${target} ...`)
  mkdirSync(target, { recursive: true })
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(join(here, file), join(target, file))
  }
  // mermaid runs in the browser: its Node engine field does not apply here.
  run('npm', ['ci', '--no-audit', '--no-fund', '--engine-strict=false'], { cwd: target })
  writeFileSync(marker, lock)
}

const DEBIAN_PACKAGES = ['chromium', 'fonts-liberation', 'fonts-noto-color-emoji']
const installed = (name) => {
  try {
    const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' })
    return status.includes('install ok installed')
  } catch {
    return false
  }
}
const missing = DEBIAN_PACKAGES.filter((name) => !installed(name))
if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    console.error(`Missing Debian packages: run \`sudo apt-get install ${missing.join(' ')}\`.`)
    process.exit(1)
  }
  console.log(`Installing ${missing.join(', ')} (apt-get) ...`)
  run('apt-get', ['update'])
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  })
}
