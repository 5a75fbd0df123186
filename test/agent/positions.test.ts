import { describe, it, expect } from 'vitest'
import { relay, agent, collect, stopAll, waitFor, str, tempDir } from '../helpers.js'

describe('subscription positions', () => {
  it('are saved at subscribe time: a subscriber that received nothing, restarted, gets what was published meanwhile', async () => {
    await using dir = await tempDir()
    const r = await relay()
    const pub = await agent(r, 'acme/pos/pub')
    try {
      await pub.publish('acme/pos/news', 'before', { mode: 'multicast' })
      let sub = await agent(r, 'acme/pos/reader', { dataDir: dir.path })
      await sub.subscribe('acme/pos/news')
      await sub.close() // received nothing
      for (const t of ['one', 'two', 'three']) await pub.publish('acme/pos/news', t, { mode: 'multicast' })
      sub = await agent(r, 'acme/pos/reader', { dataDir: dir.path })
      const got = collect(await sub.subscribe('acme/pos/news'))
      await waitFor(() => got.length >= 3, 'the three published while it was away')
      expect(got.map(m => str(m.data))).toEqual(['one', 'two', 'three'])
      await sub.close()
    } finally {
      await stopAll(pub, r)
    }
  })
})
