import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/polyfill.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Multi-node tests start real libp2p nodes; two cores do not like many at once.
    maxWorkers: 2,
    pool: 'forks'
  }
})
