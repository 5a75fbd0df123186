/**
 * Gossipsub peer scoring on the relay mesh (src/p2p/libp2p-node.ts `RELAY_TOPIC_SCORE`,
 * src/node/gossip-batches.ts), with real relays: an admitted relay that keeps publishing
 * batches our topic validator rejects (P4, invalid message deliveries) ends up below the
 * graylist threshold, out of the mesh and unheard, while a well-behaved relay on the same
 * topic keeps its mesh place, a score of 0 (no colocation penalty on 127.0.0.1) and its
 * messages delivered.
 */
import { describe, it, expect, afterEach } from 'vitest'
import type { Message as GossipMessage } from '@libp2p/gossipsub'
import { agent, collect, star, stopAll, str, text, waitFor } from '../helpers.js'
import { relayLibp2p } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { GOSSIP_THRESHOLDS, gossipMeshOf, gossipScoreOf } from '../../src/p2p/libp2p-node.js'
import { MULTICAST_TOPIC_PREFIX } from '../../src/wire/constants.js'
import { encodeGossipBatch } from '../../src/wire/codec.js'

let things: Array<Agent | Relay> = []
afterEach(async () => { await stopAll(...things); things = [] })

describe('gossipsub scoring of the relay mesh', () => {
  it('a relay that keeps publishing invalid batches on a relay topic is graylisted; a well-behaved one keeps its mesh place and its messages delivered', async () => {
    // r0 (the hub) scores; r1 is well behaved and the name's sequencer; r2 misbehaves.
    const [r0, r1, r2] = await star(3) as [Relay, Relay, Relay]
    things.push(r0, r1, r2)
    const name = 'acme/score/feed'
    const topic = MULTICAST_TOPIC_PREFIX + name
    const pub = await agent(r1, 'acme/score/pub')
    const there = await agent(r1, 'acme/score/there')
    const here = await agent(r0, 'acme/score/here')
    things.push(pub, there, here)
    expect((await pub.publish(name, text('first'), { mode: 'multicast' })).seq).toBe(1) // r1 claims the name
    await there.subscribe(name)
    const got = collect(await here.subscribe(name))

    const hub = relayLibp2p(r0)
    const bad = relayLibp2p(r2).services.pubsub
    bad.subscribe(topic)
    const heardFrom: string[] = []
    hub.services.pubsub.addEventListener('message', (evt: CustomEvent<GossipMessage>) => {
      if (evt.detail.topic === topic && evt.detail.type === 'signed') heardFrom.push(evt.detail.from.toString())
    })
    await waitFor(() => { const mesh = gossipMeshOf(hub, topic); return mesh.includes(r1.peerId) && mesh.includes(r2.peerId) }, 'r1 and r2 in the hub\'s mesh for the topic')

    // Before: a valid batch from r2 is heard (so what follows is the score's doing).
    await bad.publish(topic, encodeGossipBatch({ name, messages: [] }))
    await waitFor(() => heardFrom.includes(r2.peerId), 'the hub to hear a valid batch from r2')

    // r2 keeps publishing batches that do not decode.
    for (let i = 0; i < 10; i++) await bad.publish(topic, new Uint8Array([0xff, 0xff, 0xff, i]))
    await waitFor(() => gossipScoreOf(hub, r2.peerId) < GOSSIP_THRESHOLDS.graylistThreshold, 'r2 below the graylist threshold')
    await waitFor(() => !gossipMeshOf(hub, topic).includes(r2.peerId), 'r2 pruned from the hub\'s mesh')

    // Graylisted: valid batches from r2 are not heard any more (once gossipsub's one-second
    // grace for a peer that scored 0 has run out), while r1 keeps its place, a clean score,
    // and its messages reach the hub's agent. A round: r2 sends a valid batch, then r1's
    // publisher a message; r2's is ignored if it was not heard by the time r1's arrived.
    let round = 0
    const ignoredRound = async (): Promise<boolean> => {
      const before = heardFrom.filter(p => p === r2.peerId).length
      await bad.publish(topic, encodeGossipBatch({ name, messages: [] }))
      const marker = `round ${round++}`
      await pub.publish(name, text(marker), { mode: 'multicast' })
      await waitFor(() => got.some(m => str(m.data) === marker), `r1's ${marker} delivered at the hub`)
      return heardFrom.filter(p => p === r2.peerId).length === before
    }
    await waitFor(ignoredRound, 'r2\'s batches to be ignored at the hub', 10_000)
    for (let i = 0; i < 3; i++) expect(await ignoredRound()).toBe(true)
    expect(gossipMeshOf(hub, topic)).toContain(r1.peerId)
    expect(gossipScoreOf(hub, r1.peerId)).toBe(0)
    expect(heardFrom).toContain(r1.peerId)
    expect(gossipScoreOf(hub, r2.peerId)).toBeLessThan(GOSSIP_THRESHOLDS.graylistThreshold)
  }, 60_000)
})
