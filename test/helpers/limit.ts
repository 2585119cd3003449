// Bounded concurrency for tests that spawn `node dist/index.js` (two cores, other tests running).

/** Returns a wrapper that runs at most `count` of the given jobs at a time. */
export function limitConcurrency(count: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: (() => void)[] = []
  return async (job) => {
    while (running >= count) await new Promise<void>((resolve) => waiting.push(resolve))
    running++
    try {
      return await job()
    } finally {
      running--
      waiting.shift()?.()
    }
  }
}
