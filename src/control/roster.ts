/**
 * The relays a controller knows: who registered (kept in its store, so a restarted
 * controller knows its mesh), and what each said in its last heartbeat (in memory: it
 * comes again within one interval).
 */
import type { KeyValueStore } from '../store/store.js'
import type { LinkHealth, RelaySummary } from './types.js'

const PREFIX = 'ctl/relay/'

export interface RelayRecord {
  peerId: string
  role: 'member' | 'border'
  /** Registration order: plans are stable. */
  order: number
  registeredAt: number
  /** Its addresses, as it reported them last. */
  addrs: string[]
  /** The join token it came with. */
  token: string
  removed?: boolean
}

/** One item of the desired state as a relay reports it. */
export interface ItemStatus {
  /** `link:<peer>`, `policy:<id>`, `revocation:<id>`, `issuer:<prefix>`, `config`. */
  id: string
  status: 'applied' | 'pending' | 'failed'
  reason?: string
}

export interface Heartbeat {
  generation: number
  hash: string
  items: ItemStatus[]
  summary: RelaySummary
  addrs: string[]
  /** Names with instances attached to it. */
  routes: string[]
  /** Its live actors and their states. */
  actors: Array<{ actor: string, state: string }>
}

export interface RelayLive {
  lastSeen: number
  heartbeat: Heartbeat
}

export class Roster {
  private readonly store: KeyValueStore
  private readonly records = new Map<string, RelayRecord>()
  readonly live = new Map<string, RelayLive>()

  private constructor (store: KeyValueStore) { this.store = store }

  static async load (store: KeyValueStore): Promise<Roster> {
    const r = new Roster(store)
    for (const [, v] of await store.list(PREFIX)) {
      const rec = JSON.parse(new TextDecoder().decode(v)) as RelayRecord
      r.records.set(rec.peerId, rec)
    }
    return r
  }

  get (peerId: string): RelayRecord | undefined { return this.records.get(peerId) }

  /** Registered and not removed, oldest first. */
  active (): RelayRecord[] { return [...this.records.values()].filter(r => r.removed !== true).sort((a, b) => a.order - b.order) }

  async add (peerId: string, token: string, role: RelayRecord['role'] = 'member'): Promise<RelayRecord> {
    const known = this.records.get(peerId)
    if (known != null && known.removed !== true) return known
    const order = Math.max(0, ...[...this.records.values()].map(r => r.order + 1))
    const rec: RelayRecord = { peerId, role, order, registeredAt: Date.now(), addrs: [], token }
    await this.save(rec)
    return rec
  }

  /** Its addresses changed: true if they did. */
  async setAddrs (peerId: string, addrs: string[]): Promise<boolean> {
    const rec = this.records.get(peerId)
    if (rec == null || JSON.stringify(rec.addrs) === JSON.stringify(addrs)) return false
    rec.addrs = addrs
    await this.save(rec)
    return true
  }

  async remove (peerId: string): Promise<RelayRecord | undefined> {
    const rec = this.records.get(peerId)
    if (rec == null) return undefined
    rec.removed = true
    this.live.delete(peerId)
    await this.save(rec)
    return rec
  }

  /** Link health as the relays measured it (for the topology manager's computed plans). */
  health (): LinkHealth[] {
    const out: LinkHealth[] = []
    for (const [from, l] of this.live) {
      for (const link of l.heartbeat.summary.links) if (link.up) out.push({ from, to: link.peer, rttMs: link.rttMs, loss: link.loss, queuedBytes: link.queuedBytes })
    }
    return out
  }

  private async save (rec: RelayRecord): Promise<void> {
    this.records.set(rec.peerId, rec)
    await this.store.put(PREFIX + rec.peerId, new TextEncoder().encode(JSON.stringify(rec)))
  }
}
