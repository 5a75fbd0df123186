/**
 * Routes on real relays: they spread over several hops and stop at the hop limit; they
 * are withdrawn when their agent leaves or their relay dies; they come back when the
 * relay does.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { line, relay, agent, waitFor, stopAll, tempDir } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { relayInternals } from '../../src/node/relay-node.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

/** Whether `r` has a route to a subscriber of `name` (a sequencer's claim alone is not one). */
const knows = (r: Relay, name: string): boolean => relayInternals(r).table.relays().some(o => (o.names.get(name)?.instances.length ?? 0) > 0)

describe('routes on real relays', () => {
  it('a subscription spreads over several hops and stops at the hop limit', async () => {
    // A hop limit of 2: an announcement crosses two links, no more.
    const config = { announceHopLimit: 2 }
    const relays: Relay[] = []
    for (let i = 0; i < 4; i++) relays.push(await relay({ config, bootstrap: i === 0 ? [] : [relays[i - 1]!.multiaddrs[0] as string] }))
    cleanup.push(...relays)
    await waitFor(() => relays.every((r, i) => i === 0 || r.neighbours().includes(relays[i - 1]!.peerId)), 'the line to link up')
    const a = await agent(relays[0]!, 'acme/routes/near')
    cleanup.push(a)
    await a.subscribe('acme/routes/topic')
    await waitFor(() => knows(relays[1]!, 'acme/routes/topic') && knows(relays[2]!, 'acme/routes/topic'), 'one and two links away to learn the route')
    // Three links away is past the limit: it must not arrive, even after several refreshes.
    await new Promise(resolve => setTimeout(resolve, 1000))
    expect(knows(relays[3]!, 'acme/routes/topic')).toBe(false)
    expect(relayInternals(relays[3]!).table.distance(relays[0]!.peerId)).toBe(Infinity)
  })

  it('an agent that leaves has its routes withdrawn everywhere', async () => {
    const relays = await line(3)
    cleanup.push(...relays)
    const a = await agent(relays[0]!, 'acme/routes/leaver')
    await a.subscribe('acme/routes/gone')
    await waitFor(() => knows(relays[2]!, 'acme/routes/gone'), 'the route to spread')
    await a.close()
    await waitFor(() => !knows(relays[1]!, 'acme/routes/gone') && !knows(relays[2]!, 'acme/routes/gone'), 'the route to be withdrawn')
  })

  it('a relay that dies takes its routes with it, and they come back when it restarts on its data directory', async () => {
    await using dir = await tempDir()
    const hub = await relay()
    cleanup.push(hub)
    const other = await relay({ bootstrap: [hub.multiaddrs[0] as string] })
    cleanup.push(other)
    const leaf = await relay({ dataDir: dir.path, bootstrap: [hub.multiaddrs[0] as string] })
    const a = await agent(leaf, 'acme/routes/resident')
    await a.subscribe('acme/routes/back')
    await waitFor(() => knows(other, 'acme/routes/back'), 'the route to spread')
    const leafId = leaf.peerId
    await a.close()
    await leaf.stop()
    await waitFor(() => relayInternals(other).table.distance(leafId) === Infinity, 'the dead relay\'s routes to go')
    const again = await relay({ dataDir: dir.path }) // redials the hub from its peer store
    cleanup.push(again)
    const b = await agent(again, 'acme/routes/resident')
    cleanup.push(b)
    await b.subscribe('acme/routes/back')
    await waitFor(() => relayInternals(other).table.distance(again.peerId) < Infinity && knows(other, 'acme/routes/back'), 'routes to come back')
    expect(again.peerId).toBe(leafId)
  })

  it('a subscription that fails (its sequencer unreachable) leaves no route behind', async () => {
    const relays = await line(2)
    cleanup.push(...relays)
    const [r0, r1] = relays as [Relay, Relay]
    const owner = await agent(r0, 'acme/routes/owner')
    await owner.publish('acme/routes/orphan', new Uint8Array(1), { mode: 'multicast' }) // r0 sequences it
    await waitFor(() => relayInternals(r1).table.sequencerOf('acme/routes/orphan')?.relay === r0.peerId, 'the claim to spread')
    await owner.close()
    await r0.stop()
    const late = await agent(r1, 'acme/routes/late')
    cleanup.push(late)
    await expect(late.subscribe('acme/routes/orphan')).rejects.toMatchObject({ name: expect.stringMatching(/UnavailableError|TimeoutError|NoRouteError/) })
    expect(relayInternals(r1).table.localInstances('acme/routes/orphan')).toEqual([])
  })
})
