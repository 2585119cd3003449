// The file system as requirements parsing and the project formats see it (requirements-file.ts
// and project/formats stay pure and take a reader): one adapter for the project phase and resolve.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import type { RequirementsReader } from './requirements-file.js'

export const fsReader: RequirementsReader & { list(dir: string): string[] } = {
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
  },
  list(dir) {
    try {
      return readdirSync(dir)
    } catch {
      return []
    }
  }
}
