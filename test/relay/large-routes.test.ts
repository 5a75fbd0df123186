/**
 * Routes past the wire's caps on real relays: a relay with 20,000 subscribed names and a
 * service of 5,000 instances announces them in pieces (src/relay/route-pieces.ts); the
 * relay linked to it keeps the link, learns every name and instance, and anycast and
 * multicast reach across. Before pieces, the one announcement was over the cap of
 * 10,000 names (and 4,096 instances) and the neighbour cut the link on decode.
 *
 * Heavy: every subscription to a new name costs the relay a sequencer claim, an ordered
 * stream and a gossipsub topic, and every agent a session, so the 5,000 instances and
 * the 20,000 names are made before the second relay links: it is then sent every piece
 * at link up, and again on every refresh. (Pieces flooded as a table changes are
 * test/relay/route-flooding.test.ts.)
 */
import { describe, it, expect, afterEach } from 'vitest'
import { relay, agent, waitFor, stopAll, collect, text, str } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { relayInternals } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { attachMany } from './many-sessions.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

const NAMES = 20_000
const INSTANCES = 5000
const SERVICE = 'acme/pieces/svc'
const nameOf = (i: number): string => `acme/pieces/n${i}`

/** What `r` has applied of `origin`'s announcement: how many names, and the instances of `name`. */
function learnt (r: Relay, origin: string, name = SERVICE): { names: number, instances: number } {
  const routes = relayInternals(r).table.routesOf(origin)
  return { names: routes?.size ?? 0, instances: routes?.get(name)?.instances.length ?? 0 }
}

describe('routes past the wire caps, on real relays', () => {
  it('a relay with 20,000 names and a service of 5,000 instances is learnt whole by its neighbour, the link stays up, and anycast and multicast reach across', async () => {
    const t0 = Date.now()
    const lap = (what: string): void => { console.log(`${what}: ${Date.now() - t0} ms`) }
    // 20,000 ordered streams: their tail checks and a refresh of 20,000 names stay rare,
    // and thousands of sessions stay quiet for the whole test.
    const config = { announceIntervalMs: 2000, routeTtlMs: 10_000, tailCheckMs: 60_000 }
    const timings = { silenceTimeoutMs: 120_000 }
    const a = await relay({ config, timings, maxSessionsPerConnection: 1000 })
    cleanup.push(a)

    // A service of 5,000 instances: real sessions (its own key, credential and handshake
    // each), each subscribed to the service.
    const many = await attachMany(a.multiaddrs[0] as string, SERVICE, INSTANCES, { concurrency: 16 })
    cleanup.push({ stop: many.stop })
    expect(relayInternals(a).table.localInstances(SERVICE)).toHaveLength(INSTANCES)
    lap('5,000 instances attached')

    // 20,000 names, subscribed by four real agents, a thousand at a time.
    const subscribers: Agent[] = []
    for (let k = 0; k < 4; k++) { const s = await agent(a, `acme/pieces/sub${k}`, { requestTimeoutMs: 60_000 }); cleanup.push(s); subscribers.push(s) }
    const got = collect(await subscribers[0]!.subscribe(nameOf(0)))
    for (let i = 1; i < NAMES; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, NAMES - i) }, async (_, j) => await subscribers[(i + j) % 4]!.subscribe(nameOf(i + j))))
    }
    lap('20,000 names subscribed')

    const b = await relay({ config, timings, bootstrap: [a.multiaddrs[0] as string] })
    cleanup.push(b)
    await waitFor(() => learnt(b, a.peerId).names >= NAMES && learnt(b, a.peerId).instances === INSTANCES, 'b to learn the 20,000 names and the 5,000 instances', 30_000)
    lap('b learnt the names and instances')


    const routes = relayInternals(b).table.routesOf(a.peerId)!
    for (let i = 0; i < NAMES; i++) if (!routes.has(nameOf(i))) expect.fail(`b has no route to ${nameOf(i)}`)
    const instances = new Set(routes.get(SERVICE)!.instances)
    expect(instances.size).toBe(INSTANCES)
    for (const s of many.sessions) if (!instances.has(s.name.split('/').pop()!)) expect.fail(`b does not know instance ${s.name}`)
    // The next refreshes (every piece again) keep the link and the whole set.
    const version = relayInternals(b).table.relays().find(r => r.origin === a.peerId)!.version
    await waitFor(() => (relayInternals(b).table.relays().find(r => r.origin === a.peerId)?.version ?? 0) > version + 1, 'two refreshes', 15_000)
    expect(b.neighbours()).toContain(a.peerId)
    expect(learnt(b, a.peerId)).toEqual({ names: expect.any(Number), instances: INSTANCES })
    expect(learnt(b, a.peerId).names).toBeGreaterThanOrEqual(NAMES + 1)

    // Anycast from b reaches one of the 5,000 instances at a; multicast reaches a subscriber there.
    const sender = await agent(b, 'acme/pieces/sender')
    cleanup.push(sender)
    await sender.publish(SERVICE, text('to one of them'), { mode: 'anycast' })
    await waitFor(() => many.sessions.some(s => s.delivered.some(e => str(e.payload) === 'to one of them')), 'an instance to get the anycast', 30_000)
    await sender.publish(nameOf(0), text('to the name'), { mode: 'multicast' })
    await waitFor(() => got.some(m => str(m.data) === 'to the name'), 'the subscriber to get the multicast', 30_000)
    expect(b.neighbours()).toContain(a.peerId)
    lap('done')
  }, 300_000)
})
