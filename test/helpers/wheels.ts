// Small wheels written with Python's zipfile, for find-links directories in tests: a valid
// pure-Python wheel, or one with hostile entry names that pip download passes through untouched.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { join } from 'node:path'
import { TOOLS_BIN } from './run-action.js'

export interface WheelSpec {
  /** Distribution name as in the file name (`tinypkg`). */
  name: string
  version: string
  /** Entry name → text; the dist-info files (METADATA, WHEEL, RECORD) are added. */
  files: Record<string, string>
}

const WHEEL_WRITER = `
import json, sys, zipfile
spec = json.load(sys.stdin)
name, version = spec["name"], spec["version"]
info = f"{name}-{version}.dist-info"
files = dict(spec["files"])
files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n"
files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
files[f"{info}/RECORD"] = "".join(f"{n},,\\n" for n in files) + f"{info}/RECORD,,\\n"
with zipfile.ZipFile(spec["path"], "w", zipfile.ZIP_DEFLATED) as zf:
    for entry, text in files.items():
        zi = zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0))
        zi.external_attr = 0o644 << 16
        zi.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(zi, text)
`

/** Writes `<dir>/<name>-<version>-py3-none-any.whl`; returns its path. */
export function writeWheel(dir: string, spec: WheelSpec): string {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${spec.name}-${spec.version}-py3-none-any.whl`)
  const python = join(TOOLS_BIN, 'python')
  execFileSync(existsSync(python) ? python : 'python3', ['-c', WHEEL_WRITER], {
    input: JSON.stringify({ ...spec, path })
  })
  return path
}

/**
 * Downloads one wheel from the configured index (PyPI) for a CPython target into a new folder
 * under `dir`, with no dependencies; returns its path.
 */
export function downloadWheel(
  requirement: string,
  target: { platform: string; pythonVersion: string },
  dir: string
): string {
  const dest = mkdtempSync(join(dir, 'w-'))
  const abi = `cp${target.pythonVersion.replace('.', '')}`
  execFileSync('python3', [
    '-m',
    'pip',
    'download',
    '--quiet',
    '--no-deps',
    '--only-binary=:all:',
    '--platform',
    target.platform,
    '--python-version',
    target.pythonVersion,
    '--implementation',
    'cp',
    '--abi',
    abi,
    '-d',
    dest,
    requirement
  ])
  return join(dest, readdirSync(dest)[0]!)
}

export function sha256Hex(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/**
 * An extension module compiled here with gcc against this machine's glibc (Debian 12: 2.36),
 * calling `pthread_create`, which glibc 2.34 moved into libc under the version GLIBC_2.34: the
 * module needs GLIBC_2.34, so it loads on Amazon Linux 2023 and not on Amazon Linux 2.
 */
const NATIVE_MODULE_C = `
#define Py_LIMITED_API 0x03090000
#include <Python.h>
#include <pthread.h>
static void *work(void *arg) { return arg; }
static PyObject *answer(PyObject *self, PyObject *args) {
  pthread_t thread;
  void *result = NULL;
  if (pthread_create(&thread, NULL, work, (void *)42) != 0) return NULL;
  pthread_join(thread, &result);
  return PyLong_FromLong((long)result);
}
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};
PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
`

const NATIVE_WHEEL_WRITER = `
import json, sys, zipfile
spec = json.load(sys.stdin)
name, version, tag = spec["name"], spec["version"], spec["tag"]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": "from ._native import answer\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{info}/WHEEL": f"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: false\\nTag: {tag}\\n",
}
so = f"{name}/_native.abi3.so"
with zipfile.ZipFile(spec["path"], "w", zipfile.ZIP_DEFLATED) as zf:
    for entry, text in files.items():
        zf.writestr(zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0)), text)
    zi = zipfile.ZipInfo(so, date_time=(1980, 1, 1, 0, 0, 0))
    zi.external_attr = 0o755 << 16
    zi.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(zi, open(spec["so"], "rb").read())
    record = "".join(f"{n},,\\n" for n in [*files, so]) + f"{info}/RECORD,,\\n"
    zf.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0)), record)
`

/**
 * Writes `<dir>/<name>-<version>-cp39-abi3-linux_x86_64.whl` holding `<name>/_native.abi3.so`,
 * built here with gcc (see NATIVE_MODULE_C); returns its path.
 */
export function writeNativeWheel(dir: string, name: string, version: string): string {
  mkdirSync(dir, { recursive: true })
  const tag = 'cp39-abi3-linux_x86_64'
  const path = join(dir, `${name}-${version}-${tag}.whl`)
  const include = execFileSync('python3', [
    '-c',
    'import sysconfig; print(sysconfig.get_paths()["include"])'
  ])
    .toString()
    .trim()
  const source = join(dir, `${name}.c`)
  const so = join(dir, `${name}.so`)
  writeFileSync(source, NATIVE_MODULE_C)
  execFileSync('gcc', ['-shared', '-fPIC', '-O1', `-I${include}`, '-o', so, source, '-lpthread'])
  execFileSync('python3', ['-c', NATIVE_WHEEL_WRITER], {
    input: JSON.stringify({ name, version, tag, path, so })
  })
  rmSync(source)
  rmSync(so)
  return path
}
