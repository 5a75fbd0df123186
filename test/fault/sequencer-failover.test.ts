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
import { stopAll, waitFor, str } from '../helpers.js'
import { killRelay, startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'
import { agentOn, busyName, firstAckAfter, publishOnce, settleAndCheck, sleep, subscriber, traffic } from './failover-traffic.js'
import type { Busy } from './failover-traffic.js'
import { checkHistory } from './history.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
const processes: ProcessRelay[] = []
const dirs: string[] = []
afterEach(async () => {
  await stopAll(...cleanup.splice(0))
  await Promise.all(processes.splice(0).map(async p => { await stopRelayProcess(p) }))
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

const NAME = 'acme/failover/feed'

interface Mesh extends Busy { controller: Controller, relays: ProcessRelay[] }

async function relayProcess (controller: Controller, dataDir?: string): Promise<ProcessRelay> {
  const dir = dataDir ?? await mkdtemp(join(tmpdir(), 'slim-failover-'))
  if (dataDir == null) dirs.push(dir)
  const { token } = await controller.createJoinToken()
  const r = await startRelayProcess({ dataDir: dir, control: { url: controller.url, joinToken: token } })
  processes.push(r)
  return r
}

async function startMesh (): Promise<Mesh> {
  // Every relay linked to every other (no hub whose death would also cut the others off), and no rate limits on the publishers.
  const controller = await createController({ listen: '127.0.0.1:0', replication: 2, topology: { kind: 'full' }, intent: { alertActions: [] }, timings: { heartbeatMs: 300, downAfterMs: 2500, reconcileMs: 1000 } })
  cleanup.push(controller)
  const relays = [await relayProcess(controller), await relayProcess(controller), await relayProcess(controller)]
  const m: Mesh = { ...busyName(NAME, controller.issuerCredentials!, cleanup), controller, relays }
  const [r0, r1, r2] = relays as [ProcessRelay, ProcessRelay, ProcessRelay]
  await waitFor(() => relays.every(r => controller.relayState(r.peerId) === 'live.inSync'), 'the relays live and linked as the controller plans', 60_000)
  // r0 sequences the name: its first publisher is there (and goes on to r1 when r0 dies).
  await agentOn(m, 'p0', [r0.addr, r1.addr])
  await waitFor(async () => await publishOnce(m, 'p0', 'p0#claim'), 'the first publish', 20_000)
  expect(controller.leases().find(l => l.name === NAME)).toMatchObject({ holder: r0.peerId, term: 1 })
  await agentOn(m, 'p1', [r1.addr])
  await subscriber(m, 's0', [r0.addr, r2.addr])
  await subscriber(m, 's1', [r1.addr])
  await subscriber(m, 's2', [r2.addr])
  await waitFor(() => checkHistory(m.history).lost.length === 0, 'the first message at every subscriber', 20_000)
  return m
}

/** Kills the sequencer mid-traffic; returns how long until the first publish invoked after the kill was acknowledged. */
async function killSequencer (m: Mesh): Promise<number> {
  const r0 = m.relays[0] as ProcessRelay
  const killedAt = Date.now()
  await killRelay(r0)
  await waitFor(() => m.controller.leases().find(l => l.name === NAME)?.holder !== r0.peerId, 'the lease to move', 15_000)
  return await firstAckAfter(m, killedAt, 15_000)
}

/** A subscriber on the returned relay reads the whole history: what s1 saw, in the same order. */
async function followsOnReturn (m: Mesh, relay: ProcessRelay): Promise<void> {
  await waitFor(() => m.controller.relayState(relay.peerId).startsWith('live'), 'the returned relay to heartbeat', 30_000)
  const seen = m.history.deliveries.filter(d => d.subscriber === 's1').map(d => `${d.seq}:${d.payload}`)
  const got: string[] = []
  const a = await connectAgent({ relay: relay.addr, name: 'acme/failover/late', credentials: m.credentials, keepaliveMs: 250 })
  cleanup.push(a)
  // Until its links are back, it cannot reach the sequencer: subscribing says so (UnavailableError), and is tried again.
  let sub: Awaited<ReturnType<typeof a.subscribe>> | undefined
  let last: unknown = 'none'
  try {
    await waitFor(async () => { try { sub = await a.subscribe(NAME, { fromSeq: 1 }); return true } catch (err) { last = err; return false } }, 'a subscription on the returned relay', 30_000)
  } catch (err) {
    throw new Error(`${(err as Error).message}; the last refusal: ${String(last)}; the relay's lease of the name: ${JSON.stringify(m.controller.leases().find(l => l.name === NAME))}`)
  }
  if (sub == null) throw new Error('no subscription')
  void (async () => { try { for await (const msg of sub) got.push(`${msg.seq ?? -1}:${str(msg.data)}`) } catch {} })()
  await waitFor(() => got.length >= seen.length, `the returned relay's subscriber to read ${seen.length} messages`, 30_000)
  expect(got.slice(0, seen.length)).toEqual(seen)
  // It is a follower: the lease stays with the new holder.
  expect(m.controller.leases().find(l => l.name === NAME)?.holder).not.toBe(relay.peerId)
}

describe('sequencer failover, relays in their own processes', () => {
  it('kill -9 of a busy name\'s sequencer: a replica takes the lease within 5 s, nothing acknowledged is lost, doubled or reordered; the relay comes back on its data directory as a follower', async () => {
    const m = await startMesh()
    const t = traffic(m, ['p0', 'p1'])
    await sleep(2000)
    const firstAckMs = await killSequencer(m)
    console.log(`failover: the first publish after the kill acknowledged ${firstAckMs} ms after it`)
    expect(firstAckMs).toBeLessThan(5000)
    await sleep(1500)
    const r0 = m.relays[0] as ProcessRelay
    const back = await startRelayProcess(r0.options)
    processes.push(back)
    expect(back.peerId).toBe(r0.peerId)
    await sleep(1500)
    await t.stop()
    await settleAndCheck(m)
    expect(m.history.publishes.filter(p => p.status === 'ok').length).toBeGreaterThan(50)
    await followsOnReturn(m, back)
  }, 150_000)

  it('the same with the old sequencer\'s data directory deleted: it returns as a new relay and follows', async () => {
    const m = await startMesh()
    const t = traffic(m, ['p0', 'p1'])
    await sleep(2000)
    expect(await killSequencer(m)).toBeLessThan(5000)
    const r0 = m.relays[0] as ProcessRelay
    await rm(r0.options.dataDir as string, { recursive: true, force: true })
    const back = await relayProcess(m.controller, r0.options.dataDir)
    expect(back.peerId).not.toBe(r0.peerId)
    await sleep(1500)
    await t.stop()
    await settleAndCheck(m)
    await followsOnReturn(m, back)
  }, 150_000)
})
