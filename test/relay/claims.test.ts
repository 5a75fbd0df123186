/**
 * A name used for the first time on two relays at once: both claim its sequencer, every
 * relay settles on the same one, and no publish is lost or left hanging.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest'
import { line, agent, collect, waitFor, stopAll, text, str } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { relayInternals } from '../../src/node/relay-node.js'

let relays: Relay[] = []
let pub: Agent
let reader: Agent
beforeAll(async () => {
  relays = await line(3)
  pub = await agent(relays[0]!, 'acme/claims/pub', { publishTimeoutMs: 8000 })
  reader = await agent(relays[2]!, 'acme/claims/reader')
})
afterAll(async () => { await stopAll(pub, reader, ...relays) })

describe('concurrent first use of a name', () => {
  it('a subscribe on one relay and a publish on another, at once, on 15 fresh names: every publish acked and delivered once', async () => {
    for (let i = 0; i < 15; i++) {
      const name = `acme/claims/fresh${i}`
      const [sub, ack] = await Promise.all([
        reader.subscribe(name),
        // The publish may be sequenced before the subscription exists; only later ones must arrive.
        pub.publish(name, text('first'), { mode: 'multicast' })
      ])
      expect(ack.seq).toBeGreaterThan(0)
      const box = collect(sub)
      const second = await pub.publish(name, text('second'), { mode: 'multicast' })
      await waitFor(() => box.some(m => str(m.data) === 'second'), `delivery on ${name}`).catch(e => { throw new Error(`${(e as Error).message}; got ${box.map(m => `${m.seq}:${str(m.data)}`).join(' ')}`) })
      expect(box.filter(m => str(m.data) === 'second')).toHaveLength(1)
      // Every relay agrees on the sequencer.
      await waitFor(() => new Set(relays.map(r => relayInternals(r).table.sequencerOf(name)?.relay)).size === 1, 'one sequencer')
      expect(box.at(-1)?.seq).toBe(second.seq)
      await sub.close()
    }
  }, 120_000)
})

describe('claims that could not see each other', () => {
  it('two relays that sequenced one name apart: once linked, the loser hands its acknowledged messages to the winner', async () => {
    const { relay } = await import('../helpers.js')
    const a = await relay()
    const b = await relay()
    const name = 'acme/claims/split'
    const onA = await agent(a, 'acme/claims/left')
    const onB = await agent(b, 'acme/claims/right')
    try {
      for (let i = 0; i < 3; i++) await onA.publish(name, text(`a${i}`), { mode: 'multicast' })
      for (let i = 0; i < 3; i++) await onB.publish(name, text(`b${i}`), { mode: 'multicast' })
      b.dial(a.multiaddrs[0] as string)
      await waitFor(() => relayInternals(a).table.sequencerOf(name)?.relay === relayInternals(b).table.sequencerOf(name)?.relay && relayInternals(a).table.distance(b.peerId) < Infinity, 'one sequencer')
      const winner = relayInternals(a).table.sequencerOf(name)?.relay === a.peerId ? onA : onB
      const box = collect(await winner.subscribe(name, { fromSeq: 1 }))
      await waitFor(() => box.length >= 6, 'all six acknowledged messages in the winner\'s stream', 15_000).catch(e => { throw new Error(`${(e as Error).message}; got ${box.map(m => `${m.seq}:${str(m.data)}`).join(' ')}; heads ${[a, b].map(r => relayInternals(r).multicast.sequencer(name)?.head).join(',')}`) })
      expect(box.map(m => str(m.data)).sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2'])
      expect(box.map(m => m.seq)).toEqual([1, 2, 3, 4, 5, 6])
    } finally {
      await stopAll(onA, onB, a, b)
    }
  }, 60_000)
})
