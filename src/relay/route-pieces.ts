/**
 * One version of a relay's announcement, split into pieces that each stay under every cap
 * of the wire with margin (docs/ARCHITECTURE.md, "Routes"): at most `ROUTE_PIECE_NAMES`
 * routes, `ROUTE_PIECE_INSTANCES` instances and as many reachable agents per route, and
 * `ROUTE_PIECE_BYTES` encoded. Names are measured by their encoded size, not only
 * counted: 5,000 names of 255 bytes are far more than 5,000 short ones. A name with more
 * instances than one piece holds is split across pieces, one route per piece carrying
 * part of its instances (never two routes of one name in one piece); the receiver merges
 * them back (`mergePieces`).
 *
 * Every piece of a version carries `piece` (0-based) and `pieces`; a version that fits in
 * one goes out as before (`pieces` 0), so a single piece is byte for byte the old format.
 */
import type { NameRoute, RouteAnnouncement } from '../wire/envelope.pb.js'
import { MAX_ROUTE_PIECES, ROUTE_PIECE_BYTES, ROUTE_PIECE_INSTANCES, ROUTE_PIECE_NAMES } from '../wire/constants.js'

export interface PieceLimits {
  /** Encoded bytes of one piece, as a field of a link frame. */
  bytes: number
  /** Routes per piece. */
  names: number
  /** Instances, and reachable agents, per route. */
  instances: number
}

export const PIECE_LIMITS: PieceLimits = { bytes: ROUTE_PIECE_BYTES, names: ROUTE_PIECE_NAMES, instances: ROUTE_PIECE_INSTANCES }

/** Bytes of `n` as a protobuf varint. */
function varintBytes (n: number): number {
  let bytes = 1
  while (n >= 128) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

/** Bytes of `s` in UTF-8, without encoding it. */
export function utf8Bytes (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++ } else n += 3
  }
  return n
}

/** A length-delimited field (one-byte key) holding `len` bytes. */
const field = (len: number): number => 1 + varintBytes(len) + len
const str = (s: string): number => field(utf8Bytes(s))
/** A numeric field at its largest (key and a 10-byte varint). */
const NUMBER = 11

/** Inner bytes of a route with no instances and no reachable agents. */
function routeBase (r: NameRoute): number {
  return str(r.name) + (r.sequencerSince > 0 ? NUMBER : 0) + (r.sequencerTerm > 0 ? NUMBER : 0) + r.replicas.reduce((n, p) => n + str(p), 0)
}

/** Encoded bytes of one route inside an announcement (as a field of it). */
export function routeBytes (r: NameRoute): number {
  let len = routeBase(r)
  for (const i of r.instances) len += str(i)
  for (const i of r.reachable) len += str(i)
  return field(len)
}

/** Bytes of an announcement's own fields, every route left out (numbers at their largest). */
function headerBytes (ann: RouteAnnouncement): number {
  let n = str(ann.origin) + 6 * NUMBER + 2 // version, hops, hop limit, ttl, piece, pieces; withdrawn
  for (const a of ann.addrs) n += str(a)
  return n
}

/**
 * An upper bound of the encoded bytes of `ann` as a field of a link frame: what a link's
 * writer counts it as, and what a relay holds for a piece while it assembles.
 */
export function announcementBytes (ann: RouteAnnouncement): number {
  let n = headerBytes(ann)
  for (const r of ann.names) n += routeBytes(r)
  return field(n)
}

/**
 * Splits `whole` (one version with every route) into pieces under `limits`; one piece if
 * it fits. A version that would take more than `MAX_ROUTE_PIECES` keeps only the first
 * that many (1.28 million names at the defaults): receivers refuse more, and a version
 * cut short is better than none.
 */
export function splitAnnouncement (whole: RouteAnnouncement, limits: PieceLimits = PIECE_LIMITS): RouteAnnouncement[] {
  // Room for routes in one piece: the limit less the header and the frame's field prefix.
  const budget = limits.bytes - field(headerBytes({ ...whole, names: [] })) - 8
  const pieces: NameRoute[][] = []
  let cur: NameRoute[] = []
  let curBytes = 0
  const closePiece = (): void => {
    if (cur.length > 0) pieces.push(cur)
    cur = []
    curBytes = 0
  }
  const room = (len: number): boolean => curBytes + field(len) <= budget

  for (const route of whole.names) {
    const fresh = (): NameRoute => ({ name: route.name, instances: [], sequencerSince: route.sequencerSince, reachable: [], sequencerTerm: route.sequencerTerm, replicas: route.replicas })
    let part = fresh()
    let partLen = routeBase(route)
    const pushPart = (): void => {
      cur.push(part)
      curBytes += field(partLen)
      part = fresh()
      partLen = routeBase(route)
    }
    const startPart = (): void => { if (cur.length >= limits.names || !room(partLen)) closePiece() }
    startPart()
    for (const key of ['instances', 'reachable'] as const) {
      for (const id of route[key]) {
        const e = str(id)
        // A name's instances past the limit go on in the next piece: one route per name
        // and piece, so even a receiver that knew no pieces would read each piece right.
        if (part[key].length >= limits.instances) { pushPart(); closePiece() }
        if (!room(partLen + e)) {
          // The part so far fits (every entry was checked): it ends this piece, and the
          // rest of the name goes on in the next one.
          if (part.instances.length + part.reachable.length > 0) pushPart()
          closePiece()
        }
        part[key].push(id)
        partLen += e
      }
    }
    pushPart()
  }
  closePiece()
  if (pieces.length === 0) pieces.push([])
  const kept = pieces.slice(0, MAX_ROUTE_PIECES)
  const n = kept.length
  return kept.map((names, piece) => ({ ...whole, names, piece: n > 1 ? piece : 0, pieces: n > 1 ? n : 0 }))
}

/** Whether `ann` is one piece of several (else it carries its version whole). */
export const isPiece = (ann: RouteAnnouncement): boolean => ann.pieces > 1

/**
 * The routes of a complete version, a name split across pieces merged back into one:
 * its instances and reachable agents joined, its sequencer claim the one any piece says.
 */
export function mergePieces (pieces: RouteAnnouncement[]): Map<string, Omit<NameRoute, 'name'>> {
  const names = new Map<string, Omit<NameRoute, 'name'>>()
  for (const p of pieces) {
    for (const r of p.names) {
      const had = names.get(r.name)
      if (had == null) {
        names.set(r.name, { instances: r.instances, sequencerSince: r.sequencerSince, reachable: r.reachable, sequencerTerm: r.sequencerTerm, replicas: r.replicas })
      } else {
        names.set(r.name, {
          instances: had.instances.concat(r.instances),
          sequencerSince: Math.max(had.sequencerSince, r.sequencerSince),
          reachable: had.reachable.concat(r.reachable),
          sequencerTerm: Math.max(had.sequencerTerm, r.sequencerTerm),
          replicas: had.replicas.length >= r.replicas.length ? had.replicas : r.replicas
        })
      }
    }
  }
  return names
}
