/**
 * Announcements in pieces: an origin splits one version under every cap of the wire
 * (names, instances per route, bytes), and a receiver applies a version only once every
 * piece of it is in, never a partial set as if it were complete.
 */
import { describe, it, expect } from 'vitest'
import { ForwardingTable } from '../../src/relay/forwarding-table.js'
import { RouteAssembly } from '../../src/relay/route-assembly.js'
import { announcementBytes, mergePieces, splitAnnouncement } from '../../src/relay/route-pieces.js'
import { decodeLinkFrame, encodeLinkFrame } from '../../src/wire/codec.js'
import { LinkFrame, RouteAnnouncement } from '../../src/wire/envelope.pb.js'
import type { NameRoute } from '../../src/wire/envelope.pb.js'
import {
  MAX_NAME_BYTES, MAX_ROUTE_INSTANCES, MAX_ROUTE_NAMES, MAX_ROUTE_PIECES, ROUTE_PIECE_BYTES, ROUTE_PIECE_INSTANCES, ROUTE_PIECE_NAMES
} from '../../src/wire/constants.js'

const SVC = 'acme/research/summarizer'

function ann (origin: string, version: number, names: NameRoute[] = [], over: Partial<RouteAnnouncement> = {}): RouteAnnouncement {
  return { origin, version, hops: 0, hopLimit: 8, ttlMs: 1_000, names, addrs: [`/ip4/127.0.0.1/tcp/1/p2p/${origin}`], withdrawn: false, piece: 0, pieces: 0, ...over }
}

const route = (name: string, instances: string[], reachable: string[] = []): NameRoute => ({ name, instances, sequencerSince: 0, reachable, sequencerTerm: 0, replicas: [] })
const ids = (n: number, prefix = 'i'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`)

/** Every piece encoded in a link frame of its own is under the byte budget and decodes with every cap. */
function expectUnderCaps (pieces: RouteAnnouncement[]): void {
  for (const p of pieces) {
    const bytes = encodeLinkFrame({ announcements: [p] })
    expect(bytes.byteLength).toBeLessThanOrEqual(ROUTE_PIECE_BYTES)
    expect(bytes.byteLength).toBeLessThanOrEqual(announcementBytes(p))
    expect(p.names.length).toBeLessThanOrEqual(ROUTE_PIECE_NAMES)
    for (const r of p.names) {
      expect(r.instances.length).toBeLessThanOrEqual(ROUTE_PIECE_INSTANCES)
      expect(r.reachable.length).toBeLessThanOrEqual(ROUTE_PIECE_INSTANCES)
    }
    expect(decodeLinkFrame(bytes).announcements[0]).toEqual(p)
  }
}

describe('splitAnnouncement', () => {
  it('sends a version that fits as one piece, in the old format (no piece fields on the wire)', () => {
    const whole = ann('far', 7, [route(SVC, ['a', 'b'])])
    const pieces = splitAnnouncement(whole)
    expect(pieces).toEqual([whole])
    expect(RouteAnnouncement.encode(pieces[0]!)).toEqual(RouteAnnouncement.encode({ ...whole, piece: undefined as never, pieces: undefined as never }))
  })

  it('splits a name with 5,000 instances (and 5,000 reachable agents) across pieces, which merge back to all of them', () => {
    const whole = ann('far', 7, [route(SVC, ids(5000), ids(5000, 'r')), route('acme/other/x', ['o1'])])
    const pieces = splitAnnouncement(whole)
    expect(pieces.length).toBeGreaterThanOrEqual(3)
    expectUnderCaps(pieces)
    pieces.forEach((p, i) => { expect(p).toMatchObject({ origin: 'far', version: 7, piece: i, pieces: pieces.length }) })
    const merged = mergePieces(pieces)
    expect(merged.get(SVC)?.instances).toEqual(ids(5000))
    expect(merged.get(SVC)?.reachable).toEqual(ids(5000, 'r'))
    expect(merged.get('acme/other/x')?.instances).toEqual(['o1'])
  })

  it('splits 20,000 names into pieces under the names cap, every name kept once', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => route(`acme/n/x${i}`, [`i${i}`]))
    const pieces = splitAnnouncement(ann('far', 1, names))
    expect(pieces.length).toBeGreaterThanOrEqual(4)
    expectUnderCaps(pieces)
    const merged = mergePieces(pieces)
    expect(merged.size).toBe(20_000)
    expect(pieces.reduce((n, p) => n + p.names.length, 0)).toBe(20_000)
  })

  it('measures names by their encoded size: 5,000 names of the longest length take several pieces', () => {
    const long = (i: number): string => `acme/${'n'.repeat(200)}/${String(i).padStart(MAX_NAME_BYTES - 206, '0')}`
    expect(long(1)).toHaveLength(MAX_NAME_BYTES)
    const pieces = splitAnnouncement(ann('far', 1, Array.from({ length: 5000 }, (_, i) => route(long(i), ['i1']))))
    expect(pieces.length).toBeGreaterThanOrEqual(5) // 5,000 x ~260 bytes is ~1.3 MB, over 256 KiB a piece
    expectUnderCaps(pieces)
    expect(mergePieces(pieces).size).toBe(5000)
  })

  it('keeps a withdrawal in one piece', () => {
    expect(splitAnnouncement(ann('far', 9, [], { withdrawn: true }))).toHaveLength(1)
  })
})

describe('ForwardingTable.apply with pieces', () => {
  const big = (version: number): RouteAnnouncement[] => splitAnnouncement(ann('far', version, [route(SVC, ids(5000)), route('acme/b/y', ['y1'])]))

  it('applies a version only when its last piece is in, whatever the order; until then the older version stays', () => {
    const t = new ForwardingTable('me')
    expect(t.apply('n1', ann('far', 1, [route(SVC, ['old'])]), 0)).toBe('new')
    const pieces = big(2)
    const order = [...pieces].reverse()
    for (const p of order.slice(0, -1)) {
      expect(t.apply('n1', p, 0)).toBe('piece')
      expect(t.pickAnycast(SVC)?.instance).toBe('old')
      expect(t.isKnown('acme/b/y')).toBe(false)
    }
    expect(t.apply('n1', order.at(-1)!, 0)).toBe('new')
    expect(t.routesOf('far')?.get(SVC)?.instances).toHaveLength(5000)
    expect(t.findInstance(SVC, 'old')).toBeUndefined()
    expect(t.findInstance(SVC, 'i004999')).toBe('far')
    expect(t.isKnown('acme/b/y')).toBe(true)
  })

  it('never applies a version with a piece missing, and drops it after its time to live', () => {
    const t = new ForwardingTable('me')
    t.apply('n1', ann('far', 1, [route(SVC, ['old'])], { ttlMs: 10_000 }), 0)
    const pieces = big(2)
    for (const p of pieces.slice(1)) expect(t.apply('n1', p, 0)).toBe('piece')
    expect(t.routesOf('far')?.get(SVC)?.instances).toEqual(['old'])
    expect(t.knownAnnouncements().filter(a => a.version === 2)).toHaveLength(pieces.length - 1) // passed on to a new neighbour as held
    t.expire(1_000) // the incomplete version's ttl (1 s) is over; the applied one (10 s) is not
    expect(t.knownAnnouncements().filter(a => a.version === 2)).toHaveLength(0)
    expect(t.routesOf('far')?.get(SVC)?.instances).toEqual(['old'])
    // The missing piece, late: the other pieces were dropped, so it completes nothing.
    expect(t.apply('n1', pieces[0]!, 1_000)).toBe('piece')
    expect(t.routesOf('far')?.get(SVC)?.instances).toEqual(['old'])
  })

  it('ignores a piece of an older version than the one applied', () => {
    const t = new ForwardingTable('me')
    for (const p of big(5)) t.apply('n1', p, 0)
    expect(t.relays().map(r => r.version)).toEqual([5])
    for (const p of big(4)) expect(t.apply('n2', p, 0)).toBe('stale')
    expect(t.nextHop('far')).toBe('n1')
  })

  it('lets a newer version\'s pieces replace an incomplete assembly, whose late pieces are then stale', () => {
    const t = new ForwardingTable('me')
    const v2 = big(2)
    const v3 = splitAnnouncement(ann('far', 3, [route(SVC, ids(4500, 'z'))]))
    expect(t.apply('n1', v2[0]!, 0)).toBe('piece')
    for (const p of v3.slice(0, -1)) expect(t.apply('n1', p, 0)).toBe('piece')
    for (const p of v2.slice(1)) expect(t.apply('n1', p, 0)).toBe('stale')
    expect(t.relays()).toHaveLength(0)
    expect(t.apply('n1', v3.at(-1)!, 0)).toBe('new')
    expect(t.routesOf('far')?.get(SVC)?.instances).toEqual(ids(4500, 'z'))
  })

  it('counts a piece heard again through another neighbour as a further path, not a new piece', () => {
    const t = new ForwardingTable('me')
    const pieces = big(2)
    expect(t.apply('n1', pieces[0]!, 0)).toBe('piece')
    expect(t.apply('n2', { ...pieces[0]!, hops: 1 }, 0)).toBe('alternative')
    for (const p of pieces.slice(1)) t.apply('n1', p, 0)
    for (const p of pieces) expect(t.apply('n3', p, 0)).toBe('alternative')
    expect(t.distance('far')).toBe(1)
    expect(t.removeNeighbour('n1')).toEqual([])
    expect(t.nextHop('far')).toBe('n3')
    expect(t.removeNeighbour('n3')).toEqual([])
    expect(t.nextHop('far')).toBe('n2')
    expect(t.distance('far')).toBe(2)
    // A new neighbour is brought up to date with every piece.
    expect(t.knownAnnouncements().map(a => a.piece)).toEqual(pieces.map(p => p.piece))
  })

  it('a withdrawal drops the applied version and any assembly of the origin', () => {
    const t = new ForwardingTable('me')
    for (const p of big(2)) t.apply('n1', p, 0)
    t.apply('n1', big(3)[0]!, 0)
    expect(t.apply('n1', ann('far', 4, [], { withdrawn: true }), 0)).toBe('new')
    expect(t.relays()).toHaveLength(0)
    expect(t.knownAnnouncements()).toEqual([])
    expect(t.apply('n1', big(3)[1]!, 0)).toBe('stale')
  })
})

describe('RouteAssembly bounds', () => {
  it('drops the oldest incomplete assembly when the bytes held would pass the bound', () => {
    const pieceOf = (origin: string, piece: number): RouteAnnouncement => ann(origin, 1, [route(SVC, ids(100))], { piece, pieces: 3 })
    const size = announcementBytes(pieceOf('a', 0))
    const asm = new RouteAssembly(size * 3)
    expect(asm.add('n1', 1, pieceOf('a', 0), 0)).toBe('piece')
    expect(asm.add('n1', 1, pieceOf('a', 1), 0)).toBe('piece')
    expect(asm.add('n1', 1, pieceOf('b', 0), 0)).toBe('piece')
    expect(asm.heldBytes).toBe(3 * size)
    expect(asm.add('n1', 1, pieceOf('b', 1), 0)).toBe('piece') // 'a', the oldest, goes
    expect(asm.heldBytes).toBe(2 * size)
    expect(asm.held().map(p => p.origin)).toEqual(['b', 'b'])
    const done = asm.add('n1', 1, pieceOf('b', 2), 0)
    expect(typeof done === 'object' && done.pieces.length).toBe(3)
    expect(asm.heldBytes).toBe(0)
  })

  it('refuses a piece whose count disagrees with the version\'s other pieces', () => {
    const asm = new RouteAssembly()
    expect(asm.add('n1', 1, ann('a', 1, [], { piece: 0, pieces: 3 }), 0)).toBe('piece')
    expect(asm.add('n1', 1, ann('a', 1, [], { piece: 1, pieces: 2 }), 0)).toBe('stale')
  })
})

describe('decodeLinkFrame with pieces', () => {
  const bad = (a: Partial<RouteAnnouncement>): Uint8Array => LinkFrame.encode({ announcements: [{ ...ann('far', 1), ...a }] })

  it('still refuses a crafted piece over the names cap, or a route over the instances cap, with a typed error', () => {
    const names = Array.from({ length: MAX_ROUTE_NAMES + 1 }, (_, i) => route(`acme/n/x${i}`, []))
    expect(() => decodeLinkFrame(bad({ names, piece: 1, pieces: 4 }))).toThrow(expect.objectContaining({ name: 'MalformedFrameError' }))
    expect(() => decodeLinkFrame(bad({ names: [route(SVC, ids(MAX_ROUTE_INSTANCES + 1))], piece: 0, pieces: 2 }))).toThrow(expect.objectContaining({ name: 'MalformedFrameError' }))
  })

  it('refuses a piece count over the bound, an index past the count, and a withdrawal in pieces', () => {
    for (const a of [{ piece: 0, pieces: MAX_ROUTE_PIECES + 1 }, { piece: 3, pieces: 3 }, { piece: 1, pieces: 0 }, { piece: 0, pieces: 2, withdrawn: true }]) {
      expect(() => decodeLinkFrame(bad(a)), JSON.stringify(a)).toThrow(expect.objectContaining({ name: 'MalformedFrameError' }))
    }
    expect(decodeLinkFrame(bad({ piece: 255, pieces: MAX_ROUTE_PIECES })).announcements[0]?.piece).toBe(255)
  })
})
