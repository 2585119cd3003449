// Small wheels written with Python's zipfile, for find-links directories in tests: a valid
// pure-Python wheel, or one with hostile entry names that pip download passes through untouched.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
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

export function sha256Hex(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}
