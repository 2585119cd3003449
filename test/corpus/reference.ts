// The corpus's independent references, computed without the action's code: what uv resolves
// for the target, what `pip install --target` writes from the same wheels, and what a zip holds.
// The runtime → glibc table is written out here from LAMBDA-FACTS.md on purpose, so that a wrong
// mapping in src/ cannot agree with itself.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
import type { Architecture } from '../../src/lambda-facts.js'
import { pipenvRequirements, poetryExport, pythonFor } from '../helpers/lock-tools.js'
import { ROOT, TOOLS_BIN } from '../helpers/run-action.js'

const run = promisify(execFile)

/** pip's and uv's caches for the corpus, kept between runs inside .tools/ (created on demand). */
export const CORPUS_CACHE = join(ROOT, '.tools', 'corpus-cache')

/** The environment every corpus tool runs in: our uv first on PATH, the caches in .tools/. */
export function corpusEnv(): Record<string, string | undefined> {
  mkdirSync(join(CORPUS_CACHE, 'uv'), { recursive: true })
  mkdirSync(join(CORPUS_CACHE, 'pip'), { recursive: true })
  return {
    PATH: `${TOOLS_BIN}:${process.env.PATH ?? ''}`,
    UV_CACHE_DIR: join(CORPUS_CACHE, 'uv'),
    PIP_CACHE_DIR: join(CORPUS_CACHE, 'pip')
  }
}

/** Amazon Linux 2 (python3.9–3.11) has glibc 2.26, Amazon Linux 2023 (3.12–3.14) 2.34. */
export function glibcMinor(runtime: string): number {
  const minor = Number(/^python3\.(\d+)$/.exec(runtime)?.[1])
  if (!(minor >= 9 && minor <= 14)) throw new Error(`not a Lambda Python runtime: ${runtime}`)
  return minor <= 11 ? 26 : 34
}

const machine = (architecture: Architecture) => (architecture === 'arm64' ? 'aarch64' : 'x86_64')
const pythonVersion = (runtime: string) => runtime.slice('python'.length)

/** PEP 503: `Foo.Bar_baz` → `foo-bar-baz`. */
export const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-')

/** The environment for uv: the corpus's, without this machine's UV_* settings but the cache. */
function uvEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries({ ...process.env, ...corpusEnv() })) {
    if (value !== undefined && !(key.startsWith('UV_') && key !== 'UV_CACHE_DIR')) env[key] = value
  }
  return env
}

/**
 * `uv pip compile` for the target: the distributions and versions a correct build holds. uv has
 * no manylinux_2_26, so Amazon Linux 2 resolves against manylinux_2_17 (as AWS's
 * lambda-builders does); Amazon Linux 2023 against manylinux_2_34. `requirementsFile` may be a
 * requirements.txt or a pyproject.toml (its `[project].dependencies`).
 */
export async function uvResolution(
  requirementsFile: string,
  runtime: string,
  architecture: Architecture,
  extraArgs: readonly string[] = []
): Promise<Map<string, string>> {
  const glibc = glibcMinor(runtime) === 26 ? 17 : 34
  const { stdout } = await run(
    'uv',
    [
      'pip',
      'compile',
      '--quiet',
      '--no-config',
      '--no-python-downloads',
      '--python-version',
      pythonVersion(runtime),
      '--python-platform',
      `${machine(architecture)}-manylinux_2_${glibc}`,
      '--only-binary',
      ':all:',
      '--no-header',
      '--no-annotate',
      ...extraArgs,
      requirementsFile
    ],
    { env: uvEnv(), maxBuffer: 16 << 20 }
  )
  const pins = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const pin = /^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)/.exec(line.trim())
    if (pin) pins.set(normalize(pin[1]!), pin[2]!)
  }
  return pins
}

/** `uv lock` in a project or workspace folder: the lock a team commits, written by uv itself. */
export async function uvLock(project: string): Promise<void> {
  await run('uv', ['lock', '--quiet', '--no-python-downloads'], {
    cwd: project,
    env: uvEnv(),
    maxBuffer: 16 << 20
  })
}

const TOML_VERSION_SCRIPT = `
import json, sys, tomllib
with open(sys.argv[1], 'rb') as f:
    document = tomllib.load(f)
project = document.get('project') or document['tool']['poetry']
print(json.dumps([project['name'], project['version']]))
`

/**
 * The pins of an export (a requirements file with markers, as a lock tool writes it) that hold
 * for the target: `uv pip compile --no-deps` of exactly those pins keeps the ones whose markers
 * hold there, with no resolution of its own.
 */
async function exportForTarget(
  exported: string,
  runtime: string,
  architecture: Architecture
): Promise<Map<string, string>> {
  const scratch = mkdtempSync(join(tmpdir(), 'corpus-export-'))
  try {
    const pinsFile = join(scratch, 'requirements.txt')
    writeFileSync(pinsFile, exported)
    return await uvResolution(pinsFile, runtime, architecture, ['--no-deps'])
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** Name and version from a project's pyproject.toml (`[project]`, else `[tool.poetry]`). */
async function projectVersion(folder: string): Promise<[string, string]> {
  const { stdout } = await run('python3', [
    '-c',
    TOML_VERSION_SCRIPT,
    join(folder, 'pyproject.toml')
  ])
  const [name, version] = JSON.parse(stdout) as [string, string]
  return [normalize(name), version]
}

/**
 * What a locked package holds for the target: `uv export --frozen` of the package (no dev
 * groups, not the package itself) gives the locked pins with their markers, universal, filtered
 * to the target. The local libraries the export names by path ship as their built wheels: name
 * and version from their own pyproject.toml.
 */
export async function uvLockedResolution(
  project: string,
  name: string,
  runtime: string,
  architecture: Architecture
): Promise<Map<string, string>> {
  const exportArgs = ['export', '--frozen', '--package', name, '--no-dev', '--no-emit-project']
  const plain = ['--no-hashes', '--no-header', '--no-annotate']
  const exported = async (...args: string[]) =>
    (await run('uv', [...exportArgs, ...plain, ...args], { cwd: project, env: uvEnv() })).stdout
  const [fromIndex, everything] = await Promise.all([exported('--no-emit-local'), exported()])
  const pins = await exportForTarget(fromIndex, runtime, architecture)
  const indexLines = new Set(fromIndex.split('\n'))
  for (const line of everything.split('\n')) {
    const path = /^(?:-e\s+)?(\.{1,2}\/\S*)/.exec(line.trim())?.[1]
    if (!path || indexLines.has(line)) continue
    const [library, version] = await projectVersion(join(project, path))
    pins.set(library, version)
  }
  return pins
}

/**
 * What a Poetry project ships for the target: `poetry export` (poetry-plugin-export) of the
 * main group, filtered to the target, and the project itself when Poetry installs it (a
 * `[build-system]` and no `package-mode = false`), as `poetry install` would.
 */
export async function poetryLockedResolution(
  folder: string,
  runtime: string,
  architecture: Architecture
): Promise<Map<string, string>> {
  const exported = await poetryExport(folder, pythonVersion(runtime))
  const pins = await exportForTarget(exported, runtime, architecture)
  const pyproject = readFileSync(join(folder, 'pyproject.toml'), 'utf8')
  if (pyproject.includes('[build-system]') && !/package-mode\s*=\s*false/.test(pyproject)) {
    const [name, version] = await projectVersion(folder)
    pins.set(name, version)
  }
  return pins
}

/** What a Pipenv project ships for the target: `pipenv requirements` (the default section). */
export async function pipenvLockedResolution(
  folder: string,
  runtime: string,
  architecture: Architecture
): Promise<Map<string, string>> {
  return exportForTarget(await pipenvRequirements(folder), runtime, architecture)
}

/**
 * `uv export --format pylock.toml` of the uv project in `folder` (locked first); the uv.lock is
 * then removed, as a team that deploys from the pylock.toml alone ships the folder.
 */
export async function pylockExport(folder: string): Promise<void> {
  await uvLock(folder)
  await run(
    'uv',
    ['export', '--quiet', '--frozen', '--no-dev', '--format', 'pylock.toml', '-o', 'pylock.toml'],
    { cwd: folder, env: uvEnv() }
  )
  rmSync(join(folder, 'uv.lock'))
}

/** `uv pip compile --universal requirements.in -o pylock.toml` for the runtime's Python and up. */
export async function pylockCompile(folder: string, runtime: string): Promise<void> {
  await run(
    'uv',
    [
      'pip',
      'compile',
      '--quiet',
      '--no-config',
      '--universal',
      '--python-version',
      pythonVersion(runtime),
      '--exclude-newer',
      '2025-06-01T00:00:00Z',
      'requirements.in',
      '-o',
      'pylock.toml'
    ],
    { cwd: folder, env: uvEnv() }
  )
}

/**
 * What uv installs from a pylock.toml for the target (`uv pip install --dry-run --target`,
 * markers judged for `--python-platform`): its own reading of the lock, not ours.
 */
export async function pylockResolution(
  file: string,
  runtime: string,
  architecture: Architecture
): Promise<Map<string, string>> {
  const glibc = glibcMinor(runtime) === 26 ? 17 : 34
  const target = mkdtempSync(join(tmpdir(), 'corpus-pylock-'))
  try {
    const { stdout, stderr } = await run(
      'uv',
      [
        'pip',
        'install',
        '--no-config',
        '--dry-run',
        '--no-python-downloads',
        '--preview-features',
        'pylock',
        '--target',
        target,
        '--python',
        pythonFor(pythonVersion(runtime)),
        '--python-version',
        pythonVersion(runtime),
        '--python-platform',
        `${machine(architecture)}-manylinux_2_${glibc}`,
        '-r',
        file
      ],
      { env: uvEnv(), maxBuffer: 16 << 20 }
    )
    const pins = new Map<string, string>()
    for (const line of `${stdout}\n${stderr}`.split('\n')) {
      const pin = /^\s*\+\s*([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)/.exec(line)
      if (pin) pins.set(normalize(pin[1]!), pin[2]!)
    }
    return pins
  } finally {
    rmSync(target, { recursive: true, force: true })
  }
}

/** `--platform` ladder and interpreter flags for pip, from manylinux2014 up to the runtime's glibc. */
function pipTargetFlags(runtime: string, architecture: Architecture): string[] {
  const flags = ['--only-binary=:all:', '--platform', `manylinux2014_${machine(architecture)}`]
  for (let minor = 17; minor <= glibcMinor(runtime); minor++) {
    flags.push('--platform', `manylinux_2_${minor}_${machine(architecture)}`)
  }
  const version = pythonVersion(runtime)
  flags.push('--implementation', 'cp', '--python-version', version)
  flags.push('--abi', `cp${version.replace('.', '')}`)
  return flags
}

/** `pip install --target <dir> --no-compile --no-deps` of exactly these wheel files. */
async function pipInstallTarget(
  wheels: readonly string[],
  target: string,
  runtime: string,
  architecture: Architecture
): Promise<void> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries({ ...process.env, ...corpusEnv() })) {
    // This machine's pip configuration adds find-links and indexes: the files given are all.
    if (value !== undefined && !key.startsWith('PIP_')) env[key] = value
  }
  Object.assign(env, {
    PIP_CONFIG_FILE: '/dev/null',
    PIP_CACHE_DIR: join(CORPUS_CACHE, 'pip'),
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_ROOT_USER_ACTION: 'ignore'
  })
  await run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-index',
      '--target',
      target,
      '--no-compile',
      '--no-deps',
      // pip 23 checks a local wheel's Requires-Python against this interpreter, not against
      // --python-version; uv already held the pins to the target's.
      '--ignore-requires-python',
      ...pipTargetFlags(runtime, architecture),
      ...wheels
    ],
    { env, maxBuffer: 16 << 20 }
  )
}

/**
 * The tree `pip install --target` writes from these wheels, as a view. pip's result depends only
 * on the wheel bytes, the target and pip itself, so the view is kept in the corpus cache under
 * a hash of all of them: a warm run installs only wheels it has not seen.
 */
export async function pipTargetView(
  wheels: readonly string[],
  scratch: string,
  runtime: string,
  architecture: Architecture
): Promise<TreeView> {
  const { stdout: pipVersion } = await run('python3', ['-m', 'pip', '--version'])
  const key = createHash('sha256').update(`${pipVersion}\n${runtime} ${architecture}\n`)
  for (const wheel of [...wheels].sort()) {
    key.update(
      `${basename(wheel)} ${createHash('sha256').update(readFileSync(wheel)).digest('hex')}\n`
    )
  }
  const cached = join(CORPUS_CACHE, 'pip-target-views', `${key.digest('hex')}.json`)
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as TreeView
  await pipInstallTarget(wheels, scratch, runtime, architecture)
  const view = await treeView(scratch)
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(join(CORPUS_CACHE, 'pip-target-views'), { recursive: true })
  // Written aside and renamed: two sets with the same wheels may finish together.
  const partial = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`
  writeFileSync(partial, JSON.stringify(view))
  renameSync(partial, cached)
  return view
}

export interface FileView {
  sha256: string
  executable: boolean
}

export interface TreeView {
  files: Record<string, FileView>
  /** From each top-level `*.dist-info/METADATA`: normalised name → version. */
  distributions: Record<string, string>
}

const VIEW_SCRIPT = `
import email.parser, hashlib, json, os, re, sys, zipfile
path = sys.argv[1]
files, metadata = {}, {}
def add(name, data, executable):
    files[name] = dict(sha256=hashlib.sha256(data).hexdigest(), executable=executable)
    if re.fullmatch(r'[^/]+\\.dist-info/METADATA', name):
        headers = email.parser.BytesHeaderParser().parsebytes(data)
        metadata[re.sub(r'[-_.]+', '-', headers['Name'].lower())] = headers['Version']
if os.path.isdir(path):
    for root, _, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            with open(full, 'rb') as f:
                add(os.path.relpath(full, path).replace(os.sep, '/'), f.read(),
                    bool(os.stat(full).st_mode & 0o111))
else:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, 'bad CRC'
        for info in z.infolist():
            if not info.is_dir():
                add(info.filename, z.read(info), bool((info.external_attr >> 16) & 0o111))
print(json.dumps(dict(files=files, distributions=metadata)))
`

/** Every file of a zip (read by Python's zipfile, CRCs checked) or of a directory tree. */
export async function treeView(path: string): Promise<TreeView> {
  const { stdout } = await run('python3', ['-c', VIEW_SCRIPT, path], { maxBuffer: 256 << 20 })
  return JSON.parse(stdout) as TreeView
}

/**
 * What pip installs and the package leaves out on purpose (src/packaging/assemble/assemble.ts):
 * console scripts (`bin/`), C headers (`include/`, from `.data/headers`), bytecode, and pip's
 * own bookkeeping in the `.dist-info` folder.
 */
export function leftOutOnPurpose(path: string): boolean {
  const segments = path.split('/')
  const [top, file] = segments
  if (top === 'bin' || top === 'include') return true
  if (segments.includes('__pycache__') || path.endsWith('.pyc')) return true
  return (
    segments.length === 2 &&
    top!.endsWith('.dist-info') &&
    ['INSTALLER', 'REQUESTED', 'direct_url.json'].includes(file ?? '')
  )
}

/** pip rewrites RECORD with its own paths and bookkeeping: compared by presence only. */
export const isRecord = (path: string) => /^[^/]+\.dist-info\/RECORD$/.test(path)

const IMPORT_SCRIPT = `
import importlib, json, os, shutil, sys, tempfile, zipfile
zip_path, modules = sys.argv[1], json.loads(sys.argv[2])
root = tempfile.mkdtemp(prefix='corpus-import-')
try:
    zipfile.ZipFile(zip_path).extractall(root)
    sys.path.insert(0, root)
    for module in modules:
        loaded = importlib.import_module(module)
        where = os.path.realpath(loaded.__file__)
        assert where.startswith(os.path.realpath(root)), (module, where)
finally:
    shutil.rmtree(root, ignore_errors=True)
`

/**
 * Imports the modules from the extracted zip alone: `-I` (no environment, no user site) and
 * `-S` (no site-packages at all), so nothing on this machine can stand in for a missing file.
 */
export async function importFromZip(
  zip: string,
  modules: readonly string[],
  python = 'python3'
): Promise<void> {
  await run(python, ['-I', '-S', '-c', IMPORT_SCRIPT, zip, JSON.stringify(modules)], {
    env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' },
    maxBuffer: 16 << 20
  })
}
