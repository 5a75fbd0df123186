import { defineConfig } from 'vitest/config'

/**
 * The tests that load both cores on their own (tens of thousands of names, messages past
 * the wire caps) run after the rest, one file at a time: run beside others, the load of
 * one makes another's timers late, and a test of liveness then fails for the wrong reason.
 */
const alone = [
  'test/relay/idle-memory.test.ts',
  'test/relay/large-routes.test.ts',
  'test/relay/large-messages.test.ts',
  'test/relay/route-flooding.test.ts',
  'test/relay/stalled-connections.test.ts',
  // Runs all 190 MLS vectors in a child process: beside two other workers it once took past its 110 s.
  'test/channel/conformance-command.test.ts',
  // Timing: a controller that misses heartbeats on a loaded machine moves leases for the wrong reason.
  'test/fault/sequencer-failover.test.ts',
  'test/fault/controller-failover.test.ts'
]

export default defineConfig({
  test: {
    setupFiles: ['./src/polyfill.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        // Multi-node tests start real libp2p nodes; two cores do not like many at once.
        test: { name: 'tests', include: ['test/**/*.test.ts'], exclude: alone, maxWorkers: 2, sequence: { groupOrder: 0 } }
      },
      {
        extends: true,
        test: { name: 'alone', include: alone, maxWorkers: 1, sequence: { groupOrder: 1 } }
      }
    ]
  }
})
