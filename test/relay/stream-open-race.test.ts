/**
 * An ordered stream opened on the sequencer's relay while messages are still being
 * written (assigned a number, not yet durable) starts at the durable head, so the ones
 * in flight reach it through the sequencer's hand-off instead of being skipped.
 */
import { describe, it, expect } from 'vitest'
import { relay, agent, collect, stopAll, waitFor, tempDir } from '../helpers.js'

describe('opening a stream while the sequencer writes', () => {
  it('a subscriber from sequence 1, arriving mid-burst, gets every message once, in order', async () => {
    await using dir = await tempDir()
    const r = await relay({ dataDir: dir.path })
    const pub = await agent(r, 'acme/race/pub')
    const sub = await agent(r, 'acme/race/sub')
    try {
      for (let round = 0; round < 10; round++) {
        const name = `acme/race/burst${round}`
        const total = 300
        await pub.publish(name, 'first', { mode: 'multicast' }) // the sequencer is up
        // A burst, then at once the first subscriber, and nothing after it: the last
        // messages are being written while the stream opens.
        await Promise.all(Array.from({ length: total - 1 }, async (_, i) => await pub.publish(name, `m${i}`, { mode: 'multicast', ack: false })))
        const got = collect(await sub.subscribe(name, { fromSeq: 1 }))
        await waitFor(() => got.length >= total, `all ${total} on ${name} (got ${got.length})`, 10_000)
        expect(got.map(m => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
      }
    } finally {
      await stopAll(pub, sub, r)
    }
  }, 120_000)
})
