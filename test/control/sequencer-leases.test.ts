/**
 * Sequencer leases granted by a controller, with real relays in this process: a name's
 * sequencer replicates to its replica before it acknowledges; when its relay stops, the
 * lease moves to the replica with the next term and numbering goes on from its head.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createController } from '../../src/control/controller.js'
import { connectAgent } from '../../src/agent/agent.js'
import { relayInternals } from '../../src/node/relay-node.js'
import { createRelay } from '../../src/node/relay-node.js'
import { freePort } from '../cli/spawn.js'
import { FAST, stopAll, tempDir, waitFor, str, text } from '../helpers.js'
import { joinRelay } from './control-helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

const NAME = 'acme/leases/feed'

describe('sequencer leases', () => {
  it('replicate before acknowledging, and move to the replica when the sequencer stops', async () => {
    const controller = await createController({ listen: '127.0.0.1:0', timings: { heartbeatMs: 300, downAfterMs: 1500 } })
    cleanup.push(controller)
    const r0 = await joinRelay(controller, cleanup)
    const r1 = await joinRelay(controller, cleanup)
    const r2 = await joinRelay(controller, cleanup)
    const relays = [r0, r1, r2]
    await waitFor(() => relays.every(r => r.neighbours().length === 2), 'the relays to link')
    const creds = controller.issuerCredentials!
    const pub = await connectAgent({ relay: r0.multiaddrs[0]!, name: 'acme/leases/pub', credentials: creds, keepaliveMs: 500 })
    cleanup.push(pub)
    const first = await pub.publish(NAME, text('m1'), { mode: 'multicast' })
    expect(first.seq).toBe(1)
    const lease = controller.leases().find(l => l.name === NAME)!
    expect(lease).toMatchObject({ term: 1, holder: r0.peerId })
    expect(lease.replicas).toHaveLength(1)
    const replica = relays.find(r => r.peerId === lease.replicas[0])!
    // Acknowledged means the replica holds it.
    expect((await replica.archive(NAME)).head).toBe(1)

    const other = relays.find(r => r !== r0 && r !== replica)!
    const sub = await connectAgent({ relay: other.multiaddrs[0]!, name: 'acme/leases/sub', credentials: creds, keepaliveMs: 500 })
    cleanup.push(sub)
    const got: string[] = []
    const s = await sub.subscribe(NAME, { fromSeq: 1 })
    void (async () => { for await (const m of s) got.push(`${m.seq ?? 0}:${str(m.data)}`) })()
    for (let i = 2; i <= 20; i++) expect((await pub.publish(NAME, text(`m${i}`), { mode: 'multicast' })).seq).toBe(i)
    await waitFor(() => got.length === 20, 'the subscriber to get 20')

    await r0.stop()
    await waitFor(() => controller.leases().find(l => l.name === NAME)?.holder === replica.peerId, 'the lease to move to the replica')
    expect(controller.leases().find(l => l.name === NAME)?.term).toBe(2)
    const pub2 = await connectAgent({ relay: other.multiaddrs[0]!, name: 'acme/leases/pub2', credentials: creds, keepaliveMs: 500 })
    cleanup.push(pub2)
    await waitFor(() => relayInternals(other).table.sequencerOf(NAME)?.relay === replica.peerId, 'the other relay to route to the new sequencer')
    for (let i = 21; i <= 30; i++) expect((await pub2.publish(NAME, text(`m${i}`), { mode: 'multicast' })).seq).toBe(i)
    await waitFor(() => got.length === 30, 'the subscriber to get 30')
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `${i + 1}:m${i + 1}`))
  }, 60_000)

  it('a sequencer back on its data directory after its lease moved: a subscriber on it reads the one history, and the relay follows', async () => {
    await using dir = await tempDir()
    const controller = await createController({ listen: '127.0.0.1:0', topology: { kind: 'full' }, timings: { heartbeatMs: 300, downAfterMs: 1500 } })
    cleanup.push(controller)
    const { token } = await controller.createJoinToken()
    // On a port of its own, which it keeps across its restart.
    const listen = [`/ip4/127.0.0.1/tcp/${await freePort()}`]
    let r0 = await createRelay({ ...FAST, listen, dataDir: dir.path, control: { url: controller.url, joinToken: token } })
    cleanup.push({ stop: async () => { await r0.stop() } })
    const r1 = await joinRelay(controller, cleanup)
    await waitFor(() => r0.neighbours().length === 1 && r1.neighbours().length === 1, 'the relays to link')
    const creds = controller.issuerCredentials!
    const pub = await connectAgent({ relay: r0.multiaddrs[0]!, relays: [r1.multiaddrs[0]!], name: 'acme/leases/pub', credentials: creds, keepaliveMs: 500 })
    cleanup.push(pub)
    for (let i = 1; i <= 10; i++) expect((await pub.publish(NAME, text(`m${i}`), { mode: 'multicast' })).seq).toBe(i)
    expect(controller.leases().find(l => l.name === NAME)).toMatchObject({ holder: r0.peerId, replicas: [r1.peerId] })

    await r0.stop()
    await waitFor(() => controller.leases().find(l => l.name === NAME)?.holder === r1.peerId, 'the lease to move to the replica')
    for (let i = 11; i <= 15; i++) expect((await pub.publish(NAME, text(`m${i}`), { mode: 'multicast' })).seq).toBe(i)
    // Back on its data directory: it led the name under term 1, the lease is now term 2 at r1.
    r0 = await createRelay({ ...FAST, listen, dataDir: dir.path, control: { url: controller.url } })
    const late = await connectAgent({ relay: r0.multiaddrs[0]!, name: 'acme/leases/late', credentials: creds, keepaliveMs: 500 })
    cleanup.push(late)
    const got: string[] = []
    let sub: Awaited<ReturnType<typeof late.subscribe>> | undefined
    // Until it reaches the new holder, subscribing says so (UnavailableError); it is tried again.
    await waitFor(async () => { try { sub = await late.subscribe(NAME, { fromSeq: 1 }); return true } catch { return false } }, 'a subscription on the returned relay', 30_000)
    void (async () => { for await (const m of sub!) got.push(`${m.seq ?? 0}:${str(m.data)}`) })()
    await waitFor(() => got.length >= 15, 'the 15 messages on the returned relay', 20_000)
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => `${i + 1}:m${i + 1}`))
    expect(controller.leases().find(l => l.name === NAME)?.holder).toBe(r1.peerId)
    expect(relayInternals(r0).table.sequencerOf(NAME)?.relay).toBe(r1.peerId)
  }, 60_000)
})
