import { describe, it, expect } from 'vitest'
import { relay, agent, collect, stopAll, waitFor, str } from '../helpers.js'

describe('payloads', () => {
  it('sends a string as UTF-8', async () => {
    const r = await relay()
    const alice = await agent(r, 'acme/pay/alice')
    const bob = await agent(r, 'acme/pay/bob')
    try {
      const got = collect(await bob.subscribe('acme/pay/words'))
      await alice.publish('acme/pay/words', 'grüß dich ✓', { mode: 'multicast' })
      await waitFor(() => got.length === 1, 'the message')
      expect(str(got[0]!.data)).toBe('grüß dich ✓')
      expect(got[0]!.data.byteLength).toBe(new TextEncoder().encode('grüß dich ✓').byteLength)
    } finally {
      await stopAll(alice, bob, r)
    }
  })

  it('refuses anything that is neither bytes nor a string with a TypeError, before sending', async () => {
    const r = await relay()
    const alice = await agent(r, 'acme/pay/alice')
    try {
      for (const bad of [{ text: 'hi' }, 42, null, undefined, ['a'], new ArrayBuffer(4)]) {
        await expect(alice.publish('acme/pay/words', bad as never, { mode: 'multicast' })).rejects.toThrow(TypeError)
        await expect(alice.request('acme/pay/svc', bad as never)).rejects.toThrow(TypeError)
      }
    } finally {
      await stopAll(alice, r)
    }
  })

  it('refuses metadata the relay would refuse, once, locally, with InvalidMetadataError; the session stays up', async () => {
    const r = await relay()
    const alice = await agent(r, 'acme/pay/alice')
    try {
      const tooMany = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']))
      await expect(alice.publish('acme/pay/words', 'x', { mode: 'multicast', metadata: tooMany })).rejects.toMatchObject({ name: 'InvalidMetadataError' })
      await expect(alice.publish('acme/pay/words', 'x', { mode: 'multicast', metadata: { big: 'v'.repeat(2000) } })).rejects.toMatchObject({ name: 'InvalidMetadataError' })
      await expect(alice.publish('acme/pay/words', new Uint8Array(1024 * 1024 + 1), { mode: 'multicast' })).rejects.toMatchObject({ name: 'PayloadTooLargeError' })
      expect(await alice.publish('acme/pay/words', 'fine', { mode: 'multicast' })).toMatchObject({ seq: 1 })
      expect(alice.state).toBe('active')
    } finally {
      await stopAll(alice, r)
    }
  })
})
