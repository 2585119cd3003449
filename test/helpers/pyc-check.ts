// Checks, with the runtime's own interpreter, the .pyc files a package ships: their headers
// (PEP 552), that each has its source beside it, and that `python -I -B` really loads them.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The magic numbers CPython's importlib gives each minor (Lib/importlib/_bootstrap_external.py),
 * as `importlib.util.MAGIC_NUMBER.hex()`: an independent reference for the headers.
 */
export const MAGIC_NUMBERS: Record<string, string> = {
  '3.9': '610d0d0a',
  '3.10': '6f0d0d0a',
  '3.11': 'a70d0d0a',
  '3.12': 'cb0d0d0a',
  '3.13': 'f30d0d0a'
}

export interface PycHeader {
  /** Path of the .pyc under the folder checked. */
  pyc: string
  magic: string
  flags: number
  sourceBeside: boolean
  /** The header's source hash is importlib.util.source_hash of the source beside it. */
  sourceHashMatches: boolean
  /** The file name the code object records. */
  filename: string
}

const HEADERS_SCRIPT = `
import importlib.util, json, marshal, os, sys
root = sys.argv[1]
found = []
for folder, _, files in os.walk(root):
    for name in sorted(files):
        if not name.endswith('.pyc'):
            continue
        path = os.path.join(folder, name)
        data = open(path, 'rb').read()
        source = os.path.join(os.path.dirname(folder), name.rsplit('.', 2)[0] + '.py')
        beside = os.path.basename(folder) == '__pycache__' and os.path.isfile(source)
        matches = beside and importlib.util.source_hash(open(source, 'rb').read()) == data[8:16]
        found.append({'pyc': os.path.relpath(path, root), 'magic': data[:4].hex(),
                      'flags': int.from_bytes(data[4:8], 'little'), 'sourceBeside': beside,
                      'sourceHashMatches': matches, 'filename': marshal.loads(data[16:]).co_filename})
print(json.dumps(found))
`

/** Every .pyc under `root`, read by `python` (the runtime's interpreter: marshal is per minor). */
export function pycHeaders(python: string, root: string): PycHeader[] {
  return JSON.parse(
    execFileSync(python, ['-I', '-B', '-c', HEADERS_SCRIPT, root], {
      encoding: 'utf8',
      maxBuffer: 64 << 20
    })
  ) as PycHeader[]
}

export interface LoadProof {
  /** Module files under the package folders that the import loaded. */
  loaded: string[]
  /** Of those, the ones CPython compiled from source (no usable .pyc). */
  fromSource: string[]
  /** What the call after the import printed, and its traceback if it raised. */
  output: string
}

const LOAD_SCRIPT = `
import importlib, importlib.machinery, json, os, sys, traceback
args = json.loads(sys.argv[1])
compiled = []
to_code = importlib.machinery.SourceFileLoader.source_to_code
def spy(self, data, path, *rest, **options):
    compiled.append(path)
    return to_code(self, data, path, *rest, **options)
importlib.machinery.SourceFileLoader.source_to_code = spy
for path, text in args.get('alter', {}).items():
    with open(path, 'a') as source:
        source.write(text)
sys.path[:0] = args['paths']
module = importlib.import_module(args['module'])
output = ''
if args.get('call'):
    try:
        output = repr(getattr(module, args['call'])({}, None))
    except Exception:
        output = traceback.format_exc()
roots = tuple(os.path.join(p, '') for p in args['paths'])
files = sorted(m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None) and m.__file__.startswith(roots) and m.__file__.endswith('.py'))
print(json.dumps({'loaded': files, 'fromSource': sorted(p for p in compiled if p.startswith(roots)), 'output': output}))
`

export interface LoadRequest {
  python: string
  /** sys.path entries, first to last: `[task]`, or `['/var/task', '/opt/python']`. */
  paths: string[]
  module: string
  /** A function of the module to call with `({}, None)` after the import. */
  call?: string
  /** Text appended to these sources before the import. */
  alter?: Record<string, string>
}

/** What the handler's import needs from Lambda's environment (boto3 clients need a region). */
const LAMBDA_ENV = { ...process.env, AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1' }

function loadArgs(request: LoadRequest): string[] {
  return ['-I', '-B', '-c', LOAD_SCRIPT, JSON.stringify(request)]
}

/** Imports `module` with `python -I -B` from `paths`, recording which files compiled from source. */
export function loadProof(request: LoadRequest): LoadProof {
  return JSON.parse(
    execFileSync(request.python, loadArgs(request), {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: LAMBDA_ENV
    })
  ) as LoadProof
}

/** Whether this machine lets a test mount folders at /var/task and /opt in a private namespace. */
export function canMountAsLambda(): boolean {
  const probe = spawnSync('unshare', [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount -t tmpfs tmpfs ${mkdtempSync(join(tmpdir(), 'lpd-ns-'))}`
  ])
  return probe.status === 0
}

/**
 * `loadProof` with the function's files at /var/task and the layer's at /opt, as Lambda mounts
 * them, in a private mount namespace (nothing outside this process sees the mounts).
 */
export function loadProofAsOnLambda(
  request: Omit<LoadRequest, 'paths'>,
  taskRoot: string,
  optRoot: string
): LoadProof {
  const script = [
    'set -e',
    'mount -t tmpfs tmpfs /var',
    'mkdir /var/task',
    'mount --bind "$1" /var/task',
    'mount --bind "$2" /opt',
    'shift 2',
    'exec "$@"'
  ].join('\n')
  const full = { ...request, paths: ['/var/task', '/opt/python'] }
  const result = execFileSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      taskRoot,
      optRoot,
      request.python,
      ...loadArgs(full)
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20, env: LAMBDA_ENV }
  )
  return JSON.parse(result) as LoadProof
}
