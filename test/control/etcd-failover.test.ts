/**
 * A controller that survives its host: two controller processes share a real 3-member
 * etcd cluster; the leader is killed with SIGKILL (no resignation: its lease has to
 * expire) and the other takes over with everything the store kept, while a relay given
 * both URLs goes on heartbeating and a join token made before still works.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { operatorClient } from '../../src/control/operator-client.js'
import type { OperatorClient } from '../../src/control/operator-client.js'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import { readCredentials } from '../../src/trust/credentials-file.js'
import { FAST, stopAll, testMesh, waitFor } from '../helpers.js'
import { startEtcdCluster } from '../fixtures/etcd-cluster.js'
import type { EtcdCluster } from '../fixtures/etcd-cluster.js'
import { killController, leads, startControllerProcess, stopControllerProcess } from '../process-controllers.js'
import type { ProcessController } from '../process-controllers.js'

const LEASE_TTL_SECONDS = 2

let cluster: EtcdCluster
const processes: ProcessController[] = []
const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []

beforeAll(async () => { cluster = await startEtcdCluster() }, 60_000)
afterEach(async () => {
  await stopAll(...cleanup.splice(0))
  for (const p of processes.splice(0)) await stopControllerProcess(p)
})
afterAll(async () => { await cluster?.stop() })

async function admin (url: string): Promise<OperatorClient> {
  return await operatorClient(url, await readCredentials((await testMesh()).adminFile))
}

interface NodeRow { peerId: string, state: string, lastSeen?: number }
interface TokenRow { id: string, usedBy?: string }

describe('controllers in their own processes on etcd', () => {
  it('the leader killed with SIGKILL: the other leads within seconds with the same roster, tokens and desired state; a relay given both URLs heartbeats on; a token made before joins after', async () => {
    const etcd = { endpoints: cluster.endpoints, prefix: `failover-${process.pid}/`, leaseTtlSeconds: LEASE_TTL_SECONDS }
    const timings = { heartbeatMs: 300, reconcileMs: 1000 }
    const a = await startControllerProcess({ etcd, timings })
    processes.push(a)
    const b = await startControllerProcess({ etcd, timings })
    processes.push(b)
    await waitFor(async () => (await leads(a.url)) !== (await leads(b.url)), 'exactly one controller process to lead', 15_000)
    const leader = await leads(a.url) ? a : b
    const other = leader === a ? b : a
    const ctl = await admin(leader.url)

    const first = await ctl.request<{ token: string }>('POST', '/v1/tokens', { note: 'relay 1' })
    const spare = await ctl.request<{ token: string }>('POST', '/v1/tokens', { note: 'made before the takeover' })
    await ctl.request('PUT', '/v1/policy/rules/no-secrets', { names: 'acme/secret/**', deny: ['subscribe'] })
    const relay: Relay = await createRelay({ ...FAST, control: { urls: [a.url, b.url], joinToken: first.token } })
    cleanup.push(relay)
    await waitFor(async () => (await ctl.request<NodeRow[]>('GET', '/v1/nodes')).some(n => n.peerId === relay.peerId && n.state.startsWith('live')), 'the relay to heartbeat to the leader')
    // Settled: the state names the relay's addresses (from its heartbeats) and the relay runs it.
    type StateView = { generation: number, hash: string, state: { relays: Array<{ addrs: string[] }> } }
    let state = await ctl.request<StateView>('GET', '/v1/state')
    await waitFor(async () => {
      state = await ctl.request<StateView>('GET', '/v1/state')
      return state.state.relays[0]?.addrs.length !== 0 && relay.control?.generation === state.generation
    }, 'the relay to run the state that names its addresses')
    const tokens = await ctl.request<TokenRow[]>('GET', '/v1/tokens')

    await killController(leader)
    const killedAt = Date.now()
    await waitFor(async () => await leads(other.url), 'the other controller to lead', 15_000)
    // The lease expires after its TTL; the takeover is that and a little more.
    expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_SECONDS * 1000 + 5_000)

    const ctl2 = await admin(other.url)
    const state2 = await ctl2.request<{ generation: number, hash: string }>('GET', '/v1/state')
    expect({ generation: state2.generation, hash: state2.hash }).toEqual({ generation: state.generation, hash: state.hash })
    expect(await ctl2.request<TokenRow[]>('GET', '/v1/tokens')).toEqual(tokens)
    expect((await ctl2.request<{ policies: Array<{ id: string }> }>('GET', '/v1/policy')).policies.map(p => p.id)).toEqual(['no-secrets'])

    // The relay goes to the new leader and heartbeats there.
    await waitFor(async () => (await ctl2.request<NodeRow[]>('GET', '/v1/nodes')).some(n => n.peerId === relay.peerId && n.state.startsWith('live') && (n.lastSeen ?? 0) > killedAt), 'the relay to heartbeat to the new leader', 20_000)
    expect((await ctl2.request<NodeRow[]>('GET', '/v1/nodes')).map(n => n.peerId)).toEqual([relay.peerId])

    // A token made before the takeover joins a relay after it (given the dead one first).
    const late = await createRelay({ ...FAST, control: { urls: [leader.url, other.url], joinToken: spare.token } })
    cleanup.push(late)
    await waitFor(async () => (await ctl2.request<NodeRow[]>('GET', '/v1/nodes')).some(n => n.peerId === late.peerId && n.state.startsWith('live')), 'the late relay to join the new leader', 20_000)
    expect(late.control?.generation).toBeGreaterThanOrEqual(state.generation)
  }, 90_000)
})

describe('a leading controller with an etcd member killed', () => {
  it('goes on leading and writing (tokens, policy) with one of three etcd members dead', async () => {
    const { authority } = await testMesh()
    const c: Controller = await createController({ authority, listen: '127.0.0.1:0', etcd: { endpoints: cluster.endpoints, prefix: `member-${process.pid}/`, leaseTtlSeconds: LEASE_TTL_SECONDS } })
    cleanup.push(c)
    await waitFor(() => c.isLeader(), 'the controller to lead')
    const ctl = await admin(c.url)
    await cluster.kill(0)
    try {
      const { token } = await c.createJoinToken({ note: 'with a member down' })
      expect(token).toContain('.')
      await ctl.request('PUT', '/v1/policy/rules/no-secrets', { names: 'acme/secret/**', deny: ['subscribe'] })
      expect((await ctl.request<{ policies: Array<{ id: string }> }>('GET', '/v1/policy')).policies.map(p => p.id)).toEqual(['no-secrets'])
      // Its lease is kept alive through the remaining members: it stays the leader past a TTL.
      const since = Date.now()
      await waitFor(() => Date.now() - since > LEASE_TTL_SECONDS * 1500 || !c.isLeader(), 'one and a half lease TTLs to pass', 10_000)
      expect(c.isLeader()).toBe(true)
    } finally {
      await cluster.restart(0)
    }
  }, 60_000)
})
