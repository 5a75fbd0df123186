/**
 * The pieces of announcement versions not yet complete (./route-pieces.ts), per origin,
 * until every piece of one version is in. A partial set is never applied: applied as if
 * complete it would withdraw every route of the missing pieces. So while a version is
 * assembled the origin's last complete version stays in force, and one that never
 * completes (a piece lost) is dropped when its time to live ends, as the routes it would
 * have refreshed are.
 *
 * One assembly per origin: a piece of a newer version replaces an incomplete older one
 * (the origin moved on; its older pieces would never be wanted again), and a piece of an
 * older version than the one assembled is stale. Memory is bounded: at most
 * `MAX_ROUTE_PIECES` pieces per version, and `MAX_ASSEMBLY_BYTES` over every origin,
 * past which the oldest incomplete assemblies are dropped.
 */
import type { RouteAnnouncement } from '../wire/envelope.pb.js'
import { MAX_ASSEMBLY_BYTES, MAX_ROUTE_PIECES } from '../wire/constants.js'
import { announcementBytes } from './route-pieces.js'

interface Assembly {
  version: number
  pieces: Array<RouteAnnouncement | undefined>
  have: number
  bytes: number
  /** neighbour -> hops to the origin through it, for this version */
  paths: Map<string, number>
  expiresAt: number
}

/** What a piece did: completed its version (every piece, and the paths heard), or not. */
export type PieceResult = 'stale' | 'alternative' | 'piece' | { pieces: RouteAnnouncement[], paths: Map<string, number> }

export class RouteAssembly {
  private readonly byOrigin = new Map<string, Assembly>()
  private readonly maxBytes: number
  private bytes = 0

  constructor (maxBytes = MAX_ASSEMBLY_BYTES) {
    this.maxBytes = maxBytes
  }

  /**
   * A piece of a version newer than the origin's applied one, heard from `neighbour` at
   * `hops`: 'piece' if it is new (flood it on), 'alternative' if this version's piece was
   * in already (a further path), 'stale' if older than the version assembled (or not
   * consistent with its piece count), else the complete version.
   */
  add (neighbour: string, hops: number, ann: RouteAnnouncement, now: number): PieceResult {
    if (ann.pieces > MAX_ROUTE_PIECES || ann.piece >= ann.pieces) return 'stale'
    let a = this.byOrigin.get(ann.origin)
    if (a != null && ann.version < a.version) return 'stale'
    if (a != null && ann.version > a.version) { this.forget(ann.origin); a = undefined }
    if (a != null && a.pieces.length !== ann.pieces) return 'stale'
    if (a == null) {
      a = { version: ann.version, pieces: new Array(ann.pieces).fill(undefined), have: 0, bytes: 0, paths: new Map(), expiresAt: now + ann.ttlMs }
      this.byOrigin.set(ann.origin, a)
    }
    const prev = a.paths.get(neighbour)
    if (prev == null || hops < prev) a.paths.set(neighbour, hops)
    if (a.pieces[ann.piece] != null) return 'alternative'
    const size = announcementBytes(ann)
    this.makeRoom(ann.origin, size)
    if (this.bytes + size > this.maxBytes) { this.forget(ann.origin); return 'stale' }
    a.pieces[ann.piece] = ann
    a.have++
    a.bytes += size
    this.bytes += size
    if (a.have < a.pieces.length) return 'piece'
    this.forget(ann.origin)
    return { pieces: a.pieces as RouteAnnouncement[], paths: a.paths }
  }

  /** Drops the oldest assemblies of other origins until `size` more bytes fit. */
  private makeRoom (origin: string, size: number): void {
    for (const o of [...this.byOrigin.keys()]) {
      if (this.bytes + size <= this.maxBytes) return
      if (o !== origin) this.forget(o)
    }
  }

  /** Drops what is held of `origin` (a whole version, a withdrawal or expiry). */
  forget (origin: string): void {
    const a = this.byOrigin.get(origin)
    if (a == null) return
    this.bytes -= a.bytes
    this.byOrigin.delete(origin)
  }

  /** Drops the assembly of `origin` if it is of `version` or older (a version that new was applied whole). */
  settled (origin: string, version: number): void {
    const a = this.byOrigin.get(origin)
    if (a != null && a.version <= version) this.forget(origin)
  }

  /** Forgets the paths through `neighbour` (the pieces it brought stay: they are the origin's). */
  removeNeighbour (neighbour: string): void {
    for (const a of this.byOrigin.values()) a.paths.delete(neighbour)
  }

  /** Drops assemblies not complete within their time to live. */
  expire (now: number): void {
    for (const [origin, a] of [...this.byOrigin]) if (a.expiresAt <= now) this.forget(origin)
  }

  /** The pieces held of incomplete versions reachable through some neighbour, with the hops of the best path. */
  held (): RouteAnnouncement[] {
    const out: RouteAnnouncement[] = []
    for (const a of this.byOrigin.values()) {
      if (a.paths.size === 0) continue
      const hops = Math.min(...a.paths.values()) - 1
      for (const p of a.pieces) if (p != null) out.push({ ...p, hops })
    }
    return out
  }

  /** Bytes held, over every origin. */
  get heldBytes (): number { return this.bytes }
}
