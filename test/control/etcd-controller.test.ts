import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createController } from '../../src/control/controller.js'
import type { Controller, ControllerOptions } from '../../src/control/controller.js'
import { operatorClient } from '../../src/control/operator-client.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import { readCredentials } from '../../src/trust/credentials-file.js'
import { FAST, stopAll, testMesh, waitFor } from '../helpers.js'
import { etcdClient } from '../../src/control/etcd-store.js'
import { startEtcdCluster } from '../fixtures/etcd-cluster.js'
import type { EtcdCluster } from '../fixtures/etcd-cluster.js'

let cluster: EtcdCluster
const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
let n = 0

beforeAll(async () => { cluster = await startEtcdCluster() }, 60_000)
afterEach(async () => { await stopAll(...cleanup.splice(0)) })
afterAll(async () => { await cluster?.stop() })

/** Two controllers of the test mesh on the cluster, under a prefix of their own (one per test). */
let prefix = ''
async function pair (opts: Partial<ControllerOptions> = {}): Promise<[Controller, Controller]> {
  const { authority } = await testMesh()
  prefix = `test-${process.pid}-${n++}/`
  const etcd = { endpoints: cluster.endpoints, prefix, leaseTtlSeconds: 2 }
  const o: ControllerOptions = { authority, listen: '127.0.0.1:0', etcd, timings: { heartbeatMs: 300, reconcileMs: 1000 }, ...opts }
  const a = await createController(o)
  cleanup.push(a)
  const b = await createController(o)
  cleanup.push(b)
  return [a, b]
}

const leaders = (cs: Controller[]): Controller[] => cs.filter(c => c.isLeader())

async function oneLeads (cs: Controller[]): Promise<Controller> {
  await waitFor(() => leaders(cs).length === 1, 'exactly one controller to lead', 15_000)
  return leaders(cs)[0] as Controller
}

describe('controllers on etcd', () => {
  it('exactly one of two leads; the follower answers 503 naming the leader, and its /healthz still answers', async () => {
    const cs = await pair()
    const leader = await oneLeads(cs)
    const follower = cs.find(c => c !== leader) as Controller
    await waitFor(() => follower.leader() === leader.url, 'the follower to know the leader')
    // For as long as both run, no second one leads.
    for (let i = 0; i < 20; i++) {
      expect(leaders(cs)).toEqual([leader])
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const ctl = await operatorClient(follower.url, await readCredentials((await testMesh()).adminFile))
    const err = await ctl.request('GET', '/v1/nodes').catch((e: unknown) => e as Error & { status: number, rule: string, leader?: string })
    expect(err).toMatchObject({ name: 'NotLeaderError', status: 503, rule: 'controller.not-leader', leader: leader.url })
    const raw = await fetch(`${follower.url}/v1/state`)
    expect(raw.status).toBe(503)
    expect(await raw.json()).toMatchObject({ rule: 'controller.not-leader', leader: leader.url })
    const health = await fetch(`${follower.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', leader: false, leaderUrl: leader.url })
    expect(() => follower.state()).toThrow(/does not lead/)
    await expect(follower.createJoinToken()).rejects.toMatchObject({ name: 'NotLeaderError', leader: leader.url })
  })

  it('when the leader stops, the other leads within seconds with the same roster, tokens, intent and desired state; a relay given both URLs heartbeats on, and a token made before joins after', async () => {
    const cs = await pair()
    const first = await oneLeads(cs)
    const second = cs.find(c => c !== first) as Controller
    const urls = [cs[0]?.url as string, cs[1]?.url as string]
    // A relay given both controllers (the follower first: it must go to the leader).
    const { token } = await first.createJoinToken({ note: 'relay 1' })
    const relay: Relay = await createRelay({ ...FAST, control: { urls: [second.url, first.url], joinToken: token } })
    cleanup.push(relay)
    await waitFor(() => first.relayState(relay.peerId).startsWith('live'), 'the relay to heartbeat to the leader')
    const spare = await first.createJoinToken({ note: 'made before the takeover' })
    const ctl = await operatorClient(first.url, await readCredentials((await testMesh()).adminFile))
    await ctl.request('PUT', '/v1/policy/rules/no-secrets', { names: 'acme/secret/**', deny: ['subscribe'] })
    // Settled: the state names the relay's addresses (from its heartbeats) and the relay runs it.
    await waitFor(() => first.state().state.relays[0]?.addrs.length !== 0 && relay.control?.generation === first.state().state.generation, 'the relay to run the state that names its addresses')
    const before = first.state()
    const tokensBefore = await ctl.request<Array<{ id: string }>>('GET', '/v1/tokens')

    const t0 = Date.now()
    await first.stop()
    await waitFor(() => second.isLeader(), 'the second controller to lead', 10_000)
    expect(Date.now() - t0).toBeLessThan(10_000)

    // Everything came from the store: the same signed state, roster, tokens and intent.
    expect(second.state().state.generation).toBe(before.state.generation)
    expect(second.state().hash).toBe(before.hash)
    const ctl2 = await operatorClient(second.url, await readCredentials((await testMesh()).adminFile))
    expect((await ctl2.request<Array<{ id: string }>>('GET', '/v1/tokens')).map(t => t.id)).toEqual(tokensBefore.map(t => t.id))
    expect((await ctl2.request<Array<{ peerId: string }>>('GET', '/v1/nodes')).map(r => r.peerId)).toEqual([relay.peerId])
    expect((await ctl2.request<{ policies: Array<{ id: string }> }>('GET', '/v1/policy')).policies.map(p => p.id)).toContain('no-secrets')

    // The relay finds the new leader and heartbeats to it.
    await waitFor(() => second.relayState(relay.peerId).startsWith('live'), 'the relay to heartbeat to the new leader', 15_000)
    // The token made before the takeover joins a relay now.
    const late = await createRelay({ ...FAST, control: { urls, joinToken: spare.token } })
    cleanup.push(late)
    await waitFor(() => second.relayState(late.peerId).startsWith('live'), 'the late relay to join the new leader', 15_000)
  }, 60_000)

  it('a leader whose election key is deleted under it (its lease still alive) stops leading, and the other leads', async () => {
    const cs = await pair()
    const first = await oneLeads(cs)
    const second = cs.find(c => c !== first) as Controller
    const client = etcdClient(cluster.endpoints)
    try {
      // The oldest key of the election is the leader's.
      const keys = await client.getAll().prefix(`${prefix}election/controller/`).sort('Create', 'Ascend').keys()
      expect(keys.length).toBe(2)
      await client.delete().key(keys[0] as string).exec()
    } finally {
      client.close()
    }
    await waitFor(() => second.isLeader() && !first.isLeader(), 'the other controller to lead, and only it', 10_000)
    await waitFor(() => first.leader() === second.url, 'the first to name the new leader')
    expect(second.state().state.generation).toBeGreaterThan(0)
  }, 30_000)
})
