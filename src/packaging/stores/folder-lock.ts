// One build at a time in a folder kept between builds (an unpacked package tree): `<dir>.lock`,
// made with mkdir, which is atomic. A build that finds it held works in a temporary folder.
import { mkdir, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'

/** A lock older than this was left by a run that died: take it over. */
const STALE_LOCK_MS = 15 * 60 * 1000

/** Takes `<dir>.lock`; false when another build holds it, or the folder cannot be made. */
export async function lockFolder(dir: string): Promise<boolean> {
  // An unwritable store costs only speed: the caller then works in a temporary folder.
  if (
    !(await mkdir(dirname(dir), { recursive: true }).then(
      () => true,
      () => false
    ))
  )
    return false
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(`${dir}.lock`)
      return true
    } catch {
      const info = await stat(`${dir}.lock`).catch(() => undefined)
      if (!info || Date.now() - info.mtimeMs < STALE_LOCK_MS) return false
      await rm(`${dir}.lock`, { recursive: true, force: true })
    }
  }
  return false
}

export async function unlockFolder(dir: string): Promise<void> {
  await rm(`${dir}.lock`, { recursive: true, force: true })
}
