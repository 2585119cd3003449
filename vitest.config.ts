import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Integration tests start their own moto servers and pip runs; two cores.
    maxWorkers: 2,
    // What the import check brings for arm64 on this machine, fetched once before any test; and
    // one temporary folder for the run, with one part per test file removed after it.
    globalSetup: ['test/setup/kept-pythons.ts', 'test/setup/temp-root.ts'],
    setupFiles: ['test/setup/file-temp.ts'],
    reporters: ['default']
  }
})
