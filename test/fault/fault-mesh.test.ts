/**
 * Two real relays whose link, and every agent's connection, run through fault proxies
 * (./fault-proxy.ts): under latency with jitter, loss, a partition of the relay link and a
 * half-open relay link, no acknowledged multicast message is lost, delivered twice or
 * delivered out of order (./history.ts checks the whole history of each run).
 *
 * Traffic is forced through the proxies: each relay listens on a port of its own and
 * announces only its link proxy's address (`announce`), so identify tells the other relay
 * nothing it could dial around the proxy with; r1 bootstraps to r0's link proxy; agents
 * dial their relay's agent proxy. Each run checks the proxies' byte counters; the
 * partition runs check that the relays lose each other (which a direct path would hide),
 * and the reset partition that both relays redial through the proxies (without
 * `announce`, r0 redials r1 at the listen address identify told it, around the proxy).
 *
 * Two names, one sequenced at each relay (its first publisher is there); a publisher on
 * each relay publishes to both, and a subscriber on each relay reads both from seq 1.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { relay, agent, converged, routed, waitFor, stopAll, text, str } from '../helpers.js'
import { freePort } from '../cli/spawn.js'
import type { Relay, RelayOptions } from '../../src/node/relay-node.js'
import { relayInternals } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import type { AgentStatus } from '../../src/actors/agent-session.actor.js'
import { startFaultProxy } from './fault-proxy.js'
import type { FaultProxy, FaultProxyCounters } from './fault-proxy.js'
import { HistoryRecorder, checkHistory, summarize } from './history.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

const HOST = '127.0.0.1'
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface FaultMesh {
  relays: [Relay, Relay]
  /** The relay link's proxies: in front of r0 (which r1 dialled) and of r1 (should r0 dial back). */
  link: [FaultProxy, FaultProxy]
  /** Each relay's agent proxy. */
  agentLinks: [FaultProxy, FaultProxy]
  names: [string, string]
  publishers: Array<{ agent: Agent, client: string }>
  history: HistoryRecorder
  /** Each agent's session status changes, by its client id (p0, p1, s0, s1). */
  statuses: Map<string, AgentStatus[]>
}

const all = (m: FaultMesh): FaultProxy[] => [...m.link, ...m.agentLinks]
const sum = (ps: FaultProxy[], k: keyof FaultProxyCounters): number => ps.reduce((n, p) => n + p.counters[k], 0)

async function startMesh (tag: string, opts: Partial<RelayOptions> = {}): Promise<FaultMesh> {
  const ports = [await freePort(), await freePort()]
  const proxy = async (port: number): Promise<FaultProxy> => {
    const p = await startFaultProxy({ target: { host: HOST, port } })
    cleanup.push(p)
    return p
  }
  const link = [await proxy(ports[0]!), await proxy(ports[1]!)] as [FaultProxy, FaultProxy]
  const agentLinks = [await proxy(ports[0]!), await proxy(ports[1]!)] as [FaultProxy, FaultProxy]
  const listen = (i: number): Partial<RelayOptions> => ({ listen: [`/ip4/${HOST}/tcp/${ports[i]!}`], announce: [`/ip4/${HOST}/tcp/${link[i]!.port}`] })
  const r0 = await relay({ ...opts, ...listen(0) })
  cleanup.push(r0)
  const r1 = await relay({ ...opts, ...listen(1), bootstrap: [`/ip4/${HOST}/tcp/${link[0].port}/p2p/${r0.peerId}`] })
  cleanup.push(r1)
  const relays: [Relay, Relay] = [r0, r1]
  await converged(relays)
  expect(relays.map(r => r.multiaddrs)).toEqual(relays.map((r, i) => [`/ip4/${HOST}/tcp/${link[i]!.port}/p2p/${r.peerId}`]))

  const statuses = new Map<string, AgentStatus[]>()
  const connect = async (i: number, name: string): Promise<Agent> => {
    const seen: AgentStatus[] = []
    statuses.set(name.slice(name.lastIndexOf('/') + 1), seen)
    // One relay each: a silent one is given up after twelve keepalive ticks (3 s here), inside the 4 s stall.
    const a = await agent(relays[i]!, name, { relay: `/ip4/${HOST}/tcp/${agentLinks[i]!.port}/p2p/${relays[i]!.peerId}`, keepaliveMs: 250, onStatus: s => { seen.push(s) } })
    cleanup.push(a)
    return a
  }
  const history = new HistoryRecorder()
  const names: [string, string] = [`acme/fault/${tag}-a`, `acme/fault/${tag}-b`]
  const publishers = [{ agent: await connect(0, `acme/fault/${tag}/p0`), client: 'p0' }, { agent: await connect(1, `acme/fault/${tag}/p1`), client: 'p1' }]
  // Name i is first used at relay i, so relay i sequences it.
  for (let i = 0; i < 2; i++) {
    const { agent: a, client } = publishers[i]!
    const name = names[i]!
    const op = await history.publish(name, client, `${client}#claim`, async () => await a.publish(name, text(`${client}#claim`), { mode: 'multicast' }))
    expect(op.status, op.error).toBe('ok')
  }
  await waitFor(() => relays.every(r => names.every((n, i) => relayInternals(r).table.sequencerOf(n)?.relay === relays[i]!.peerId)), 'both claims known at both relays')

  for (let i = 0; i < 2; i++) {
    const subscriber = `s${i}`
    const a = await connect(i, `acme/fault/${tag}/${subscriber}`)
    for (const name of names) {
      const sub = await a.subscribe(name, { fromSeq: 1 })
      history.subscribe(name, subscriber, 1)
      void (async () => { try { for await (const m of sub) history.deliver(name, subscriber, str(m.data), m.seq ?? -1) } catch {} })()
    }
  }
  for (const name of names) await routed(relays, name, 2)
  // Both claim messages reached both subscribers through the agent proxies and, for the
  // name sequenced at the other relay, through the link proxies.
  await waitFor(() => checkHistory(history).lost.length === 0, 'the claim messages at both subscribers')
  expect(sum(agentLinks, 'bytesToTarget')).toBeGreaterThan(0)
  expect(sum(link, 'bytesToTarget')).toBeGreaterThan(0)
  expect(sum(link, 'bytesFromTarget')).toBeGreaterThan(0)
  return { relays, link, agentLinks, names, publishers, history, statuses }
}

/** Both publishers publish to both names, each name one message at a time, until `stop` is called. */
function traffic (m: FaultMesh): { stop: () => Promise<void> } {
  let stopped = false
  const loops = m.publishers.flatMap(({ agent: a, client }) => m.names.map(async (name) => {
    for (let i = 1; !stopped; i++) {
      const payload = `${client}#${i}`
      await m.history.publish(name, client, payload, async () => await a.publish(name, text(payload), { mode: 'multicast' }))
      await sleep(15)
    }
  }))
  return { stop: async () => { stopped = true; await Promise.all(loops) } }
}

/** Clean links, then every acknowledged message at every subscriber, none twice, none out of order. */
async function settleAndCheck (m: FaultMesh, minAcked: number, timeoutMs = 30_000): Promise<void> {
  for (const p of all(m)) p.reset()
  try {
    await waitFor(() => checkHistory(m.history).lost.length === 0, 'every acknowledged message at both subscribers', timeoutMs)
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${summarize(m.history)}`)
  }
  const a = checkHistory(m.history)
  expect(a, summarize(m.history, a)).toEqual({ lost: [], duplicated: [], reordered: [], unexpected: [] })
  const acked = m.history.publishes.filter(p => p.status === 'ok').length
  expect(acked, summarize(m.history, a)).toBeGreaterThanOrEqual(minAcked)
}

/** The link proxies carried both ways between `before` and now: the relay link goes through them. */
function expectLinkTraffic (m: FaultMesh, before: { to: number, from: number }): void {
  expect(sum(m.link, 'bytesToTarget')).toBeGreaterThan(before.to)
  expect(sum(m.link, 'bytesFromTarget')).toBeGreaterThan(before.from)
}
const linkBytes = (m: FaultMesh): { to: number, from: number } => ({ to: sum(m.link, 'bytesToTarget'), from: sum(m.link, 'bytesFromTarget') })

describe('the mesh under network faults', () => {
  it('latency 50 ms ± 20 ms on the relay link and every agent link: nothing acknowledged lost, doubled or reordered', async () => {
    const m = await startMesh('latency')
    for (const p of all(m)) p.latency(50, 20)
    const before = linkBytes(m)
    const t = traffic(m)
    await sleep(6000)
    await t.stop()
    expectLinkTraffic(m, before)
    await settleAndCheck(m, 40)
  }, 40_000)

  it('5% loss (a lost chunk is held back 200-400 ms, as TCP retransmits) on every link: nothing acknowledged lost, doubled or reordered', async () => {
    const m = await startMesh('loss')
    for (const p of all(m)) { p.latency(5, 5); p.drop(0.05) }
    const before = linkBytes(m)
    const t = traffic(m)
    await sleep(6000)
    await t.stop()
    expectLinkTraffic(m, before)
    expect(sum(all(m), 'held')).toBeGreaterThan(0)
    await settleAndCheck(m, 40)
  }, 40_000)

  it('a partition of the relay link healed after 10 s while publishing goes on: what was acknowledged arrives once, in order', async () => {
    const m = await startMesh('partition', { config: { sequencerWaitMs: 6000 } })
    const [r0, r1] = m.relays
    const t = traffic(m)
    await sleep(1500)
    for (const p of m.link) p.partition()
    const cut = Date.now()
    // The relays lose each other: there is no way around the proxy.
    await waitFor(() => !r0.neighbours().includes(r1.peerId) || !r1.neighbours().includes(r0.peerId), 'the relays to notice the partition', 10_000)
    await sleep(Math.max(0, 10_000 - (Date.now() - cut))) // the rest of the 10 s
    for (const p of m.link) p.heal()
    const healed = linkBytes(m)
    await waitFor(() => r0.neighbours().includes(r1.peerId) && r1.neighbours().includes(r0.peerId), 'the link back after heal', 20_000)
    await sleep(2000) // publishing goes on over the healed link
    await t.stop()
    expectLinkTraffic(m, healed)
    await settleAndCheck(m, 20)
  }, 80_000)

  it('a partition that resets the relay link and refuses new connections for 5 s: the relays redial only through the proxies, and what was acknowledged arrives once, in order', async () => {
    const m = await startMesh('reset', { config: { sequencerWaitMs: 4000 } })
    const [r0, r1] = m.relays
    const t = traffic(m)
    await sleep(1000)
    const dialled = m.link.map(p => p.counters.connections)
    for (const p of m.link) p.partition({ reset: true })
    const cut = Date.now()
    // Both relays dial again, and only at the addresses announced: the proxies see (and refuse) them.
    await waitFor(() => m.link.every((p, i) => p.counters.connections > dialled[i]!), 'both relays to redial through the proxies', 10_000)
    expect(r0.neighbours()).not.toContain(r1.peerId)
    expect(r1.neighbours()).not.toContain(r0.peerId)
    await sleep(Math.max(0, 5000 - (Date.now() - cut)))
    expect(r0.neighbours()).not.toContain(r1.peerId)
    for (const p of m.link) p.heal()
    const healed = linkBytes(m)
    await waitFor(() => r0.neighbours().includes(r1.peerId) && r1.neighbours().includes(r0.peerId), 'the link back after heal', 20_000)
    await sleep(2000)
    await t.stop()
    expectLinkTraffic(m, healed)
    await settleAndCheck(m, 20)
  }, 60_000)

  it('a half-open relay link for 8 s, then reset: what was acknowledged arrives once, in order', async () => {
    const m = await startMesh('halfopen')
    const [r0, r1] = m.relays
    const t = traffic(m)
    await sleep(1500)
    // What r0 sends r1 is black-holed on the connection r1 dialled (and on one r0 would dial).
    m.link[0].halfOpen('fromTarget')
    m.link[1].halfOpen('toTarget')
    const cut = Date.now()
    // r1 hears nothing from r0 and drops the link (r0 may well go on hearing r1).
    await waitFor(() => !r1.neighbours().includes(r0.peerId), 'r1 to notice that r0 went silent', 20_000)
    await sleep(Math.max(0, 8000 - (Date.now() - cut)))
    for (const p of m.link) p.reset()
    const after = linkBytes(m)
    await waitFor(() => r0.neighbours().includes(r1.peerId) && r1.neighbours().includes(r0.peerId), 'the link up after reset', 20_000)
    await sleep(2000)
    await t.stop()
    expectLinkTraffic(m, after)
    await settleAndCheck(m, 20)
  }, 60_000)

  it('the agent links of one relay stalled for 4 s, then healed: its publisher and subscriber resume, and what was acknowledged arrives once, in order', async () => {
    const m = await startMesh('agents')
    const t = traffic(m)
    await sleep(1000)
    const stalled = m.agentLinks[1] // p1 and s1, on r1; p0 and s0 go on publishing and reading on r0
    stalled.partition()
    await sleep(4000)
    stalled.heal()
    // Both noticed the silence (keepalives every 500 ms) and resumed their sessions.
    await waitFor(() => ['p1', 's1'].every(c => m.statuses.get(c)?.some(s => s.type === 'session.reconnected') === true), 'p1 and s1 to reconnect', 20_000)
    expect(m.statuses.get('p0')?.map(s => s.type)).not.toContain('session.reconnecting')
    await sleep(2000)
    await t.stop()
    await settleAndCheck(m, 20)
  }, 60_000)
})
