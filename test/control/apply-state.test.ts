import { describe, it, expect } from 'vitest'
import { StateApplier } from '../../src/control/apply-state.js'
import type { ControlledRelay } from '../../src/control/apply-state.js'
import { NamePolicyEnforcer } from '../../src/control/name-policy.js'
import type { DesiredState } from '../../src/control/desired-state.js'
import { silentLogger } from '../../src/logger.js'

function fakeRelay (self: string, peers: Array<{ peerId: string, linked: boolean }>): ControlledRelay & { dialled: string[], dropped: string[] } {
  const r = {
    peerId: self,
    multiaddrs: [],
    dialled: [] as string[],
    dropped: [] as string[],
    peers: () => peers.map(p => ({ ...p, kind: 'mesh' })),
    dial: (addr: string) => { r.dialled.push(addr) },
    dropLink: async (peer: string) => { r.dropped.push(peer) },
    configure: () => {},
    revoke: async () => undefined,
    setExternalIssuers: () => {},
    summary: () => { throw new Error('unused') },
    routes: () => [],
    actors: () => []
  }
  return r
}

function state (relays: Array<{ peerId: string, up: boolean, addrs?: string[] }>, links: Array<[string, string]>): DesiredState {
  return { mesh: 'm', generation: 2, issuedAt: 0, relays: relays.map(r => ({ role: 'member' as const, addrs: r.addrs ?? [`/ip4/127.0.0.1/tcp/1/p2p/${r.peerId}`], ...r })), topology: { kind: 'pairs', pairs: links }, links, issuers: [], revocations: [], policies: [], drains: [], relayConfig: {}, heartbeatMs: 2000 }
}

describe('StateApplier', () => {
  it('keeps a live link to a relay the controller thinks down, and drops a dead one or one the plan no longer has', async () => {
    const relay = fakeRelay('b', [{ peerId: 'a', linked: true }, { peerId: 'c', linked: false }, { peerId: 'd', linked: true }])
    const applier = new StateApplier(relay, new NamePolicyEnforcer(), silentLogger)
    await applier.apply(state([{ peerId: 'a', up: false }, { peerId: 'b', up: true }, { peerId: 'c', up: false }, { peerId: 'd', up: true }, { peerId: 'e', up: true }], [['b', 'e']]))
    // a: down at the controller, but still heard here: kept. c: down and not linked: dropped. d: up and not planned: dropped.
    expect(relay.dropped.sort()).toEqual(['c', 'd'])
    // e is planned and b < e: b dials it.
    expect(relay.dialled).toEqual(['/ip4/127.0.0.1/tcp/1/p2p/e'])
  })

  it('the higher id waits for the lower to dial, then dials too after two passes without the link', async () => {
    const relay = fakeRelay('z', [])
    const applier = new StateApplier(relay, new NamePolicyEnforcer(), silentLogger)
    await applier.apply(state([{ peerId: 'a', up: true }, { peerId: 'z', up: true }], [['a', 'z']]))
    expect(relay.dialled).toEqual([])
    await applier.reconcileLinks()
    expect(relay.dialled).toEqual([])
    await applier.reconcileLinks()
    expect(relay.dialled).toEqual(['/ip4/127.0.0.1/tcp/1/p2p/a'])
    expect(applier.items()).toContainEqual({ id: 'link:a', status: 'pending', reason: 'waiting for it to dial' })
  })

  it('reports a setting it does not know as failed, with the reason, and applies the rest', async () => {
    const relay = fakeRelay('a', [])
    const applier = new StateApplier(relay, new NamePolicyEnforcer(), silentLogger)
    await applier.apply({ ...state([{ peerId: 'a', up: true }], []), relayConfig: { announceIntervalMs: 2000, nonsense: 1 } })
    expect(applier.items()).toEqual(expect.arrayContaining([{ id: 'config:announceIntervalMs', status: 'applied' }, { id: 'config:nonsense', status: 'failed', reason: 'no relay setting nonsense' }]))
  })
})
