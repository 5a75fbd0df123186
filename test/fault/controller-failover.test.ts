/**
 * Two controllers on a real 3-member etcd cluster, three relays in their own processes
 * given both controllers' URLs: the sequencer of a busy name and the leading controller
 * are killed with SIGKILL at the same moment. The other controller takes over with the
 * leases from etcd, marks the dead relay down, and completes the sequencer failover; the
 * history checker finds every acknowledged message at every subscriber, once, in order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { operatorClient } from '../../src/control/operator-client.js'
import type { OperatorClient } from '../../src/control/operator-client.js'
import type { SequencerLease } from '../../src/relay/sequencer-leases.js'
import { readCredentials } from '../../src/trust/credentials-file.js'
import { stopAll, testMesh, waitFor } from '../helpers.js'
import { startEtcdCluster } from '../fixtures/etcd-cluster.js'
import type { EtcdCluster } from '../fixtures/etcd-cluster.js'
import { killController, leads, startControllerProcess, stopControllerProcess } from '../process-controllers.js'
import type { ProcessController } from '../process-controllers.js'
import { killRelay, startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'
import { agentOn, busyName, firstAckAfter, publishOnce, settleAndCheck, sleep, subscriber, traffic } from './failover-traffic.js'
import { checkHistory } from './history.js'

const NAME = 'acme/failover/ctl-feed'
let cluster: EtcdCluster
const controllers: ProcessController[] = []
const relays: ProcessRelay[] = []
const dirs: string[] = []
const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []

beforeAll(async () => { cluster = await startEtcdCluster() }, 60_000)
afterEach(async () => {
  await stopAll(...cleanup.splice(0))
  await Promise.all(relays.splice(0).map(async r => { await stopRelayProcess(r) }))
  for (const c of controllers.splice(0)) await stopControllerProcess(c)
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})
afterAll(async () => { await cluster?.stop() })

interface NodeRow { peerId: string, state: string }

describe('a controller that survives its host, during a sequencer failover', () => {
  it('the leading controller and a busy name\'s sequencer killed together: the other controller completes the failover, nothing acknowledged lost, doubled or reordered', async () => {
    const mesh = await testMesh()
    const etcd = { endpoints: cluster.endpoints, prefix: `seq-failover-${process.pid}/`, leaseTtlSeconds: 2 }
    const options = { etcd, replication: 2, topology: { kind: 'full' as const }, intent: { alertActions: [] }, timings: { heartbeatMs: 300, downAfterMs: 2500, reconcileMs: 1000 } }
    const a = await startControllerProcess(options)
    controllers.push(a)
    const b = await startControllerProcess(options)
    controllers.push(b)
    await waitFor(async () => (await leads(a.url)) !== (await leads(b.url)), 'exactly one controller to lead', 15_000)
    const leader = await leads(a.url) ? a : b
    const other = leader === a ? b : a
    const admin = await readCredentials(mesh.adminFile)
    const ctl: OperatorClient = await operatorClient(leader.url, admin)

    for (let i = 0; i < 3; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'slim-ctl-failover-'))
      dirs.push(dir)
      const { token } = await ctl.request<{ token: string }>('POST', '/v1/tokens', { note: `relay ${i}` })
      relays.push(await startRelayProcess({ dataDir: dir, control: { urls: [a.url, b.url], joinToken: token } }))
    }
    const [r0, r1, r2] = relays as [ProcessRelay, ProcessRelay, ProcessRelay]
    await waitFor(async () => {
      const nodes = await ctl.request<NodeRow[]>('GET', '/v1/nodes')
      return relays.every(r => nodes.some(n => n.peerId === r.peerId && n.state === 'live.inSync'))
    }, 'the relays live and linked at the leader', 60_000)

    const busy = busyName(NAME, mesh.credentials, cleanup)
    await agentOn(busy, 'p0', [r0.addr, r1.addr])
    await waitFor(async () => await publishOnce(busy, 'p0', 'p0#claim'), 'the first publish', 20_000)
    const leaseOf = async (c: OperatorClient): Promise<SequencerLease | undefined> => (await c.request<SequencerLease[]>('GET', '/v1/leases')).find(l => l.name === NAME)
    expect(await leaseOf(ctl)).toMatchObject({ holder: r0.peerId, term: 1 })
    await agentOn(busy, 'p1', [r1.addr])
    await subscriber(busy, 's1', [r1.addr])
    await subscriber(busy, 's2', [r2.addr])
    await waitFor(() => checkHistory(busy.history).lost.length === 0, 'the first message at every subscriber', 20_000)

    const t = traffic(busy, ['p0', 'p1'])
    await sleep(2000)
    const killedAt = Date.now()
    await Promise.all([killRelay(r0), killController(leader)])
    await waitFor(async () => await leads(other.url), 'the other controller to lead', 20_000)
    const ctl2 = await operatorClient(other.url, admin)
    // It knows the relays from etcd, gives them a grace period for their first heartbeat, then marks r0 down and moves its lease.
    await waitFor(async () => { const l = await leaseOf(ctl2); return l != null && l.holder !== r0.peerId }, 'the new leader to move the lease', 40_000)
    const moved = await leaseOf(ctl2)
    expect(moved?.term).toBe(2)
    expect([r1.peerId, r2.peerId]).toContain(moved?.holder)
    const firstAckMs = await firstAckAfter(busy, killedAt, 40_000)
    console.log(`controller and sequencer killed together: the first publish after acknowledged ${firstAckMs} ms later`)
    await sleep(1500)
    await t.stop()
    await settleAndCheck(busy)
    expect(busy.history.publishes.filter(p => p.status === 'ok').length).toBeGreaterThan(50)
  }, 180_000)
})
