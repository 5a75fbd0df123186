/**
 * The simulated engine runs with credentials, as a user's mesh does: each agent's name
 * comes from its key, its session is admitted with its credential, and a sequencer on
 * another relay learns the publisher's credential from its first submission.
 */
import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { SimulatedEngine } from '../../sims/simulated-engine.js'
import { buildTopology } from '../../sims/topologies.js'
import { createRng } from '../../sims/prng.js'
import { instanceIdFromPublicKey } from '../../src/names/identity.js'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'

describe('simulated engine trust', () => {
  it('admits each agent with its credential; a remote sequencer learns it from the first submission', async () => {
    const engine = new SimulatedEngine({ seed: 7 })
    const topology = buildTopology('line', 3, createRng('7:topology'))
    const [pub, sub] = await engine.start({ topology, agents: [{ index: 0, relay: 0, service: 'acme/sim/pub' }, { index: 1, relay: 2, service: 'acme/sim/sub' }] })
    if (pub == null || sub == null) throw new Error('no agents')
    const home = engine.core(0)
    const credential = home?.gate.credentialOf(pub.name)
    expect(credential?.name).toBe('acme/sim/pub')
    // The name's instance is the one the credential's key gives.
    expect(pub.name.split('/')[3]).toBe(instanceIdFromPublicKey(publicKeyFromRaw(credential?.publicKey as Uint8Array)))

    const got: number[] = []
    const subscribing = sub.subscribe('acme/sim/news', m => { if (m.seq != null) got.push(m.seq) })
    await engine.runUntil(engine.now() + 3000) // routes converge, the subscriber's relay claims the name
    await subscribing
    const sent = [pub.publish('acme/sim/news', new Uint8Array([1]), 'multicast', randomBytes(16)), pub.publish('acme/sim/news', new Uint8Array([2]), 'multicast', randomBytes(16))]
    await engine.runUntilTrue(() => got.length >= 2, engine.now() + 10_000, 50)
    expect((await Promise.all(sent)).map(r => r.seq)).toEqual([1, 2])
    expect(got).toEqual([1, 2])
    // The sequencer is on the subscriber's relay; it holds the publisher's credential, verified once.
    expect(engine.core(2)?.checks?.known.get(pub.name)?.id).toBe(credential?.id)
    await engine.stop()
  })
})
