// The file system as requirements parsing sees it (requirements.ts stays pure and takes a
// RequirementsReader): one adapter for resolve, the project phase and the closure check.
import { readFileSync, statSync } from 'node:fs'
import type { RequirementsReader } from './requirements-file.js'

export const fsReader: RequirementsReader = {
  readText(path) {
    try {
      return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined
    } catch {
      return undefined
    }
  },
  isDirectory(path) {
    try {
      return statSync(path).isDirectory()
    } catch {
      return false
    }
  }
}
