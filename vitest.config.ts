import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Integration tests start their own moto servers and pip runs; two cores.
    maxWorkers: 2,
    // What the import check brings for arm64 on this machine, fetched once before any test.
    globalSetup: ['test/setup/kept-pythons.ts'],
    reporters: ['default']
  }
})
