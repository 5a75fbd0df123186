import { describe, it, expect } from 'vitest'
import { ForwardingTable } from '../../src/relay/forwarding-table.js'
import type { NameRoute, RouteAnnouncement } from '../../src/wire/envelope.pb.js'

const SVC = 'acme/research/summarizer'

function ann (origin: string, version: number, over: Partial<RouteAnnouncement> = {}): RouteAnnouncement {
  return { origin, version, hops: 0, hopLimit: 8, ttlMs: 1_000, names: [], addrs: [`/dns4/${origin}/tcp/1`], withdrawn: false, piece: 0, pieces: 0, ...over }
}

function route (name: string, instances: string[], sequencerSince = 0): NameRoute {
  return { name, instances, sequencerSince, reachable: [], sequencerTerm: 0, replicas: [] }
}

describe('ForwardingTable.apply', () => {
  it('drops this relay\'s own announcement as "self"', () => {
    const t = new ForwardingTable('me')
    expect(t.apply('n1', ann('me', 1), 0)).toBe('self')
    expect(t.relays()).toHaveLength(0)
  })

  it('learns a new origin and then a newer version of it as "new"', () => {
    const t = new ForwardingTable('me')
    expect(t.apply('n1', ann('far', 1, { names: [route(SVC, ['i1'])] }), 0)).toBe('new')
    expect(t.apply('n1', ann('far', 2, { names: [route(SVC, ['i2'])] }), 0)).toBe('new')
    expect(t.relays().map(r => r.version)).toEqual([2])
    expect(t.findInstance(SVC, 'i2')).toBe('far')
    expect(t.findInstance(SVC, 'i1')).toBeUndefined()
    expect(t.addrsOf('far')).toEqual(['/dns4/far/tcp/1'])
  })

  it('ignores an older version as "stale" and keeps the newer one', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 5, { names: [route(SVC, ['new'])] }), 0)
    expect(t.apply('n2', ann('far', 4, { names: [route(SVC, ['old'])] }), 0)).toBe('stale')
    expect(t.findInstance(SVC, 'new')).toBe('far')
    expect(t.findInstance(SVC, 'old')).toBeUndefined()
    expect(t.nextHop('far')).toBe('n1')
  })

  it('records the same version from another neighbour as an "alternative" path', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 1, { hops: 3 }), 0)
    expect(t.apply('n2', ann('far', 1, { hops: 1 }), 0)).toBe('alternative')
    expect(t.relays()[0]?.paths).toEqual(new Map([['n1', 4], ['n2', 2]]))
  })

  it('removes the origin on a newer withdrawn announcement', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 1, { names: [route(SVC, ['i1'])] }), 0)
    expect(t.apply('n1', ann('far', 2, { withdrawn: true }), 0)).toBe('new')
    expect(t.distance('far')).toBe(Infinity)
    expect(t.nextHop('far')).toBeUndefined()
    expect(t.pickAnycast(SVC)).toBeUndefined()
  })

  it('does not bring a withdrawn origin back when an older copy of its announcement arrives late', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 1, { names: [route(SVC, ['i1'])] }), 0)
    t.apply('n1', ann('far', 2, { withdrawn: true }), 0)
    // Version 1 again, by a slower path: older than the withdrawal the table has seen.
    expect(t.apply('n2', ann('far', 1, { names: [route(SVC, ['i1'])] }), 0)).toBe('stale')
    expect(t.pickAnycast(SVC)).toBeUndefined()
  })
})

describe('ForwardingTable routing', () => {
  it('nextHop picks the neighbour with the fewest hops, the lower id on a tie', () => {
    const t = new ForwardingTable('me')
    t.apply('n3', ann('far', 1, { hops: 4 }), 0)
    t.apply('n2', ann('far', 1, { hops: 1 }), 0)
    t.apply('n1', ann('far', 1, { hops: 2 }), 0)
    expect(t.nextHop('far')).toBe('n2')
    expect(t.distance('far')).toBe(2)
    t.apply('n0', ann('far', 1, { hops: 1 }), 0)
    expect(t.nextHop('far')).toBe('n0')
    expect(t.distance('me')).toBe(0)
    expect(t.nextHop('unknown')).toBeUndefined()
  })

  it('keeps the shorter hop count when the same neighbour repeats a version at more hops', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 1, { hops: 1 }), 0)
    t.apply('n1', ann('far', 1, { hops: 5 }), 0)
    expect(t.distance('far')).toBe(2)
  })

  it('removeNeighbour drops the origins reachable only through it and keeps the others on their remaining paths', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('onlyViaN1', 1, { hops: 1 }), 0)
    t.apply('n1', ann('both', 1, { hops: 1 }), 0)
    t.apply('n2', ann('both', 1, { hops: 2 }), 0)
    t.apply('n2', ann('onlyViaN2', 1, { hops: 1 }), 0)
    expect(t.removeNeighbour('n1')).toEqual(['onlyViaN1'])
    expect(t.distance('onlyViaN1')).toBe(Infinity)
    expect(t.nextHop('both')).toBe('n2')
    expect(t.distance('both')).toBe(3)
    expect(t.nextHop('onlyViaN2')).toBe('n2')
  })

  it('expire drops the origins whose time to live has run out and keeps the fresh ones', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('old', 1, { ttlMs: 1_000 }), 0)
    t.apply('n1', ann('fresh', 1, { ttlMs: 1_000 }), 500)
    expect(t.expire(999)).toEqual([])
    expect(t.expire(1_000)).toEqual(['old'])
    expect(t.relays().map(r => r.origin)).toEqual(['fresh'])
    // A newer version refreshes the deadline.
    t.apply('n1', ann('fresh', 2, { ttlMs: 1_000 }), 1_400)
    expect(t.expire(2_000)).toEqual([])
    expect(t.expire(2_400)).toEqual(['fresh'])
  })

  it('knownAnnouncements hands each origin on with the hop count of its best path', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 3, { hops: 4 }), 0)
    t.apply('n2', ann('far', 3, { hops: 1 }), 0)
    t.apply('n1', ann('near', 1, { hops: 0 }), 0)
    const known = t.knownAnnouncements().sort((a, b) => a.origin < b.origin ? -1 : 1)
    expect(known.map(a => [a.origin, a.version, a.hops])).toEqual([['far', 3, 1], ['near', 1, 0]])
  })

  it('ownRoutes lists local names and sequencer claims, sorted', () => {
    const t = new ForwardingTable('me')
    t.addLocal('b/b/b', 'i2')
    t.addLocal('b/b/b', 'i1')
    t.claimSequencer('a/a/a', 77)
    expect(t.ownRoutes()).toEqual([route('a/a/a', [], 77), route('b/b/b', ['i1', 'i2'], 0)])
    t.releaseSequencer('a/a/a')
    expect(t.removeLocal('b/b/b', 'i1')).toBe(true)
    expect(t.removeLocal('b/b/b', 'i1')).toBe(false)
    expect(t.ownRoutes()).toEqual([route('b/b/b', ['i2'], 0)])
    expect(t.addLocal('b/b/b', 'i2')).toBe(false)
  })
})

describe('ForwardingTable.sequencerOf', () => {
  it('picks the earliest claim, ignoring names announced without a claim', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('r1', 1, { names: [route(SVC, ['i1'], 200)] }), 0)
    t.apply('n1', ann('r2', 1, { names: [route(SVC, ['i2'], 100)] }), 0)
    t.apply('n1', ann('r3', 1, { names: [route(SVC, ['i3'], 0)] }), 0)
    expect(t.sequencerOf(SVC)).toEqual({ relay: 'r2', since: 100, term: 0, replicas: [] })
    t.claimSequencer(SVC, 50)
    expect(t.sequencerOf(SVC)).toEqual({ relay: 'me', since: 50, term: 0, replicas: [] })
    expect(t.sequencerOf('no/such/name')).toBeUndefined()
  })

  it('breaks a tie by the lower peer id, and two tables that saw the same claims in different orders agree', () => {
    const claims = [['rB', 100], ['rA', 100], ['rC', 100]] as const
    const a = new ForwardingTable('x1')
    const b = new ForwardingTable('x2')
    for (const [origin, since] of claims) a.apply('n', ann(origin, 1, { names: [route(SVC, [], since)] }), 0)
    for (const [origin, since] of [...claims].reverse()) b.apply('n', ann(origin, 1, { names: [route(SVC, [], since)] }), 0)
    expect(a.sequencerOf(SVC)).toEqual({ relay: 'rA', since: 100, term: 0, replicas: [] })
    expect(b.sequencerOf(SVC)).toEqual(a.sequencerOf(SVC))
  })

  it('counts its own claim in the tie break by peer id', () => {
    const t = new ForwardingTable('rB')
    t.claimSequencer(SVC, 100)
    t.apply('n', ann('rA', 1, { names: [route(SVC, [], 100)] }), 0)
    expect(t.sequencerOf(SVC)?.relay).toBe('rA')
  })
})

describe('ForwardingTable.findInstance', () => {
  it('finds a local instance first, else the nearest relay announcing it', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 1, { hops: 3, names: [route(SVC, ['i1', 'i2'])] }), 0)
    t.apply('n1', ann('near', 1, { hops: 0, names: [route(SVC, ['i2'])] }), 0)
    expect(t.findInstance(SVC, 'i1')).toBe('far')
    expect(t.findInstance(SVC, 'i2')).toBe('near')
    t.addLocal(SVC, 'i2')
    expect(t.findInstance(SVC, 'i2')).toBe('me')
    expect(t.findInstance(SVC, 'i9')).toBeUndefined()
  })

  it('reaches an attached agent for unicast, but anycast only reaches instances that subscribed', () => {
    const t = new ForwardingTable('me')
    t.addAttached(SVC, 'i1')
    expect(t.findInstance(SVC, 'i1')).toBe('me')
    expect(t.pickAnycast(SVC)).toBeUndefined()
    expect(t.ownRoutes()).toEqual([{ name: SVC, instances: [], sequencerSince: 0, reachable: ['i1'], sequencerTerm: 0, replicas: [] }])
    t.apply('n1', ann('far', 1, { hops: 0, names: [{ name: 'acme/x/y', instances: [], sequencerSince: 0, reachable: ['j1'], sequencerTerm: 0, replicas: [] }] }), 0)
    expect(t.findInstance('acme/x/y', 'j1')).toBe('far')
    expect(t.pickAnycast('acme/x/y')).toBeUndefined()
    t.removeAttached(SVC, 'i1')
    expect(t.findInstance(SVC, 'i1')).toBeUndefined()
    expect(t.ownRoutes()).toEqual([])
  })
})

describe('ForwardingTable.pickAnycast', () => {
  it('prefers local instances over remote ones and round-robins across them', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('near', 1, { names: [route(SVC, ['r1'])] }), 0)
    t.addLocal(SVC, 'l2')
    t.addLocal(SVC, 'l1')
    const picks = [0, 1, 2, 3].map(() => t.pickAnycast(SVC))
    expect(picks.map(p => p?.relay)).toEqual(['me', 'me', 'me', 'me'])
    expect(picks.map(p => p?.instance)).toEqual(['l1', 'l2', 'l1', 'l2'])
    expect(picks[0]?.hops).toBe(0)
  })

  it('picks only among the relays at the fewest hops', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 1, { hops: 2, names: [route(SVC, ['f1'])] }), 0)
    t.apply('n1', ann('near', 1, { hops: 0, names: [route(SVC, ['n1'])] }), 0)
    t.apply('n1', ann('empty', 1, { hops: 0, names: [route(SVC, [], 10)] }), 0)
    for (let i = 0; i < 4; i++) expect(t.pickAnycast(SVC)).toEqual({ relay: 'near', instance: 'n1', hops: 1 })
  })

  it('spreads load evenly across instances, not relays: 2 relays with 1 and 2 instances give each instance a third', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('rA', 1, { names: [route(SVC, ['a1'])] }), 0)
    t.apply('n2', ann('rB', 1, { names: [route(SVC, ['b2', 'b1'])] }), 0)
    const counts = new Map<string, number>()
    for (let i = 0; i < 300; i++) {
      const p = t.pickAnycast(SVC)
      const key = `${p?.relay}/${p?.instance}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    expect(counts).toEqual(new Map([['rA/a1', 100], ['rB/b1', 100], ['rB/b2', 100]]))
  })

  it('returns undefined for a name nobody serves', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('r', 1, { names: [route('other/name/x', ['i'])] }), 0)
    expect(t.pickAnycast(SVC)).toBeUndefined()
  })

  it('knownNames collects local, sequenced and remote names', () => {
    const t = new ForwardingTable('me')
    t.addLocal('l/l/l', 'i')
    t.claimSequencer('s/s/s', 1)
    t.apply('n1', ann('r', 1, { names: [route('r/r/r', ['i'])] }), 0)
    expect([...t.knownNames()].sort()).toEqual(['l/l/l', 'r/r/r', 's/s/s'])
  })
})
