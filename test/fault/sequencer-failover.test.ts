/**
 * Sequencer failover with relays in their own processes, run by a controller that grants
 * sequencer leases (replication 2): the sequencer of a busy name is killed with SIGKILL in
 * the middle of traffic. Its lease moves to the replica with the next term, publishers and
 * subscribers (those of the killed relay too: they have a second relay to go to) move by
 * themselves, and the history checker (./history.ts) finds every acknowledged message at
 * every subscriber, once, in one order. The killed relay comes back, on its data directory
 * or with it deleted (then as a new relay, with a new peer id), and follows: a subscriber
 * on it reads the whole history in the same order.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { connectAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import { stopAll, waitFor, str, text } from '../helpers.js'
import { killRelay, startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'
import { HistoryRecorder, checkHistory, summarize } from './history.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
const processes: ProcessRelay[] = []
const dirs: string[] = []
afterEach(async () => {
  await stopAll(...cleanup.splice(0))
  await Promise.all(processes.splice(0).map(async p => { await stopRelayProcess(p) }))
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const NAME = 'acme/failover/feed'

interface Mesh {
  controller: Controller
  relays: ProcessRelay[]
  history: HistoryRecorder
  agents: Map<string, Agent>
}

async function relayProcess (controller: Controller, dataDir?: string): Promise<ProcessRelay> {
  const dir = dataDir ?? await mkdtemp(join(tmpdir(), 'slim-failover-'))
  if (dataDir == null) dirs.push(dir)
  const { token } = await controller.createJoinToken()
  const r = await startRelayProcess({ dataDir: dir, control: { url: controller.url, joinToken: token } })
  processes.push(r)
  return r
}

async function subscriber (m: Mesh, client: string, relays: string[]): Promise<void> {
  const a = await connectAgent({ relay: relays[0]!, relays: relays.slice(1), name: `acme/failover/${client}`, credentials: m.controller.issuerCredentials!, keepaliveMs: 250 })
  cleanup.push(a)
  m.agents.set(client, a)
  const sub = await a.subscribe(NAME, { fromSeq: 1 })
  m.history.subscribe(NAME, client, 1)
  void (async () => { try { for await (const msg of sub) m.history.deliver(NAME, client, str(msg.data), msg.seq ?? -1) } catch {} })()
}

async function startMesh (): Promise<Mesh> {
  // Every relay linked to every other (no hub whose death would also cut the others off), and no rate limits on the publishers.
  const controller = await createController({ listen: '127.0.0.1:0', replication: 2, topology: { kind: 'full' }, intent: { alertActions: [] }, timings: { heartbeatMs: 300, downAfterMs: 2500, reconcileMs: 1000 } })
  cleanup.push(controller)
  const relays = [await relayProcess(controller), await relayProcess(controller), await relayProcess(controller)]
  const m: Mesh = { controller, relays, history: new HistoryRecorder(), agents: new Map() }
  const [r0, r1, r2] = relays as [ProcessRelay, ProcessRelay, ProcessRelay]
  await waitFor(() => relays.every(r => controller.relayState(r.peerId) === 'live.inSync'), 'the relays live and linked as the controller plans', 60_000)
  // r0 sequences the name: its first publisher is there (and goes on to r1 when r0 dies).
  const p0 = await connectAgent({ relay: r0.addr, relays: [r1.addr], name: 'acme/failover/p0', credentials: controller.issuerCredentials!, keepaliveMs: 250 })
  cleanup.push(p0)
  m.agents.set('p0', p0)
  await waitFor(async () => (await m.history.publish(NAME, 'p0', 'p0#claim', async () => await p0.publish(NAME, text('p0#claim'), { mode: 'multicast' }))).status === 'ok', 'the first publish', 20_000)
  expect(controller.leases().find(l => l.name === NAME)).toMatchObject({ holder: r0.peerId, term: 1 })
  const p1 = await connectAgent({ relay: r1.addr, name: 'acme/failover/p1', credentials: controller.issuerCredentials!, keepaliveMs: 250 })
  cleanup.push(p1)
  m.agents.set('p1', p1)
  await subscriber(m, 's0', [r0.addr, r2.addr])
  await subscriber(m, 's1', [r1.addr])
  await subscriber(m, 's2', [r2.addr])
  await waitFor(() => checkHistory(m.history).lost.length === 0, 'the first message at every subscriber', 20_000)
  return m
}

/** Every publisher publishes, one message at a time, until `stop`. */
function traffic (m: Mesh): { stop: () => Promise<void> } {
  let stopped = false
  const loops = ['p0', 'p1'].map(async (client) => {
    const a = m.agents.get(client) as Agent
    for (let i = 1; !stopped; i++) {
      const payload = `${client}#${i}`
      await m.history.publish(NAME, client, payload, async () => await a.publish(NAME, text(payload), { mode: 'multicast' }))
      await sleep(10)
    }
  })
  return { stop: async () => { stopped = true; await Promise.all(loops) } }
}

/** Kills the sequencer mid-traffic; returns how long until the lease moved and until the first publish after the kill was acknowledged. */
async function killSequencer (m: Mesh): Promise<{ leaseMovedMs: number, firstAckMs: number }> {
  const r0 = m.relays[0] as ProcessRelay
  const killedAt = Date.now()
  await killRelay(r0)
  await waitFor(() => m.controller.leases().find(l => l.name === NAME)?.holder !== r0.peerId, 'the lease to move', 15_000)
  const leaseMovedMs = Date.now() - killedAt
  await waitFor(() => m.history.publishes.some(p => p.status === 'ok' && (p.invokedAt >= killedAt)), 'a publish acknowledged after the kill', 15_000)
  const first = m.history.publishes.filter(p => p.status === 'ok' && p.invokedAt >= killedAt).sort((a, b) => (a.completedAt ?? 0) - (b.completedAt ?? 0))[0]!
  return { leaseMovedMs, firstAckMs: (first.completedAt ?? 0) - killedAt }
}

async function settleAndCheck (m: Mesh, subscribers: string[]): Promise<void> {
  try {
    await waitFor(() => checkHistory(m.history).lost.length === 0, `every acknowledged message at ${subscribers.join(', ')}`, 30_000)
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${summarize(m.history)}`)
  }
  const a = checkHistory(m.history)
  expect(a, summarize(m.history, a)).toEqual({ lost: [], duplicated: [], reordered: [], unexpected: [] })
}

/** A subscriber on the returned relay reads the whole history: what s1 saw, in the same order. */
async function followsOnReturn (m: Mesh, relay: ProcessRelay): Promise<void> {
  await waitFor(() => m.controller.relayState(relay.peerId) === 'live.inSync', 'the returned relay linked as planned', 30_000)
  const seen = m.history.deliveries.filter(d => d.subscriber === 's1').map(d => `${d.seq}:${d.payload}`)
  const got: string[] = []
  const a = await connectAgent({ relay: relay.addr, name: 'acme/failover/late', credentials: m.controller.issuerCredentials!, keepaliveMs: 250 })
  cleanup.push(a)
  const sub = await a.subscribe(NAME, { fromSeq: 1 })
  void (async () => { try { for await (const msg of sub) got.push(`${msg.seq ?? -1}:${str(msg.data)}`) } catch {} })()
  await waitFor(() => got.length >= seen.length, `the returned relay's subscriber to read ${seen.length} messages`, 30_000)
  expect(got.slice(0, seen.length)).toEqual(seen)
  // It is a follower: the lease stays with the new holder.
  expect(m.controller.leases().find(l => l.name === NAME)?.holder).not.toBe(relay.peerId)
}

describe('sequencer failover, relays in their own processes', () => {
  it('kill -9 of a busy name\'s sequencer: a replica takes the lease, nothing acknowledged is lost, doubled or reordered; the relay comes back on its data directory as a follower', async () => {
    const m = await startMesh()
    const t = traffic(m)
    await sleep(2000)
    const { leaseMovedMs, firstAckMs } = await killSequencer(m)
    console.log(`failover: lease moved ${leaseMovedMs} ms after the kill, first publish acknowledged ${firstAckMs} ms after it`)
    expect(firstAckMs).toBeLessThan(5000)
    await sleep(1500)
    const r0 = m.relays[0] as ProcessRelay
    const back = await startRelayProcess(r0.options)
    processes.push(back)
    expect(back.peerId).toBe(r0.peerId)
    await sleep(1500)
    await t.stop()
    await settleAndCheck(m, ['s0', 's1', 's2'])
    expect(m.history.publishes.filter(p => p.status === 'ok').length).toBeGreaterThan(50)
    await followsOnReturn(m, back)
  }, 120_000)

  it('the same with the old sequencer\'s data directory deleted: it returns as a new relay and follows', async () => {
    const m = await startMesh()
    const t = traffic(m)
    await sleep(2000)
    const { firstAckMs } = await killSequencer(m)
    expect(firstAckMs).toBeLessThan(5000)
    const r0 = m.relays[0] as ProcessRelay
    console.log('DBG relays', m.relays.map(r => r.peerId.slice(-4)), JSON.stringify(m.controller.leases()))
    await rm(r0.options.dataDir as string, { recursive: true, force: true })
    const back = await relayProcess(m.controller, r0.options.dataDir)
    expect(back.peerId).not.toBe(r0.peerId)
    await sleep(1500)
    await t.stop()
    await settleAndCheck(m, ['s0', 's1', 's2'])
    await followsOnReturn(m, back)
  }, 120_000)
})
