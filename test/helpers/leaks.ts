// Finds planted secrets in what a run left behind. GitHub masks every value registered with
// `::add-mask::` in the runner, so in a test the proof is that a secret shows up nowhere but in
// those commands (core.setSecret) and our own messages print it masked.

/** Lines of `text` that contain `secret`, other than `::add-mask::` commands. */
export function leakingLines(text: string, secret: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.includes(secret) && !line.startsWith('::add-mask::'))
}

/** `where: line` for every leak of every secret across named texts. */
export function findLeaks(texts: Record<string, string>, secrets: readonly string[]): string[] {
  const leaks: string[] = []
  for (const [where, text] of Object.entries(texts)) {
    for (const secret of secrets) {
      for (const line of leakingLines(text, secret)) leaks.push(`${where}: ${line.slice(0, 300)}`)
    }
  }
  return leaks
}

/** True when `::add-mask::<secret>` was printed (core.setSecret). */
export function isMasked(stdout: string, secret: string): boolean {
  return stdout.split(/\r?\n/).includes(`::add-mask::${secret}`)
}
