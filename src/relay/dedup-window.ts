/**
 * De-duplication by message id in a bounded window: remembers the last `capacity` ids
 * (insertion order), so memory is bounded whatever a peer sends. A Map keeps insertion
 * order, so eviction of the oldest is O(1).
 *
 * With `maxAgeMs` the window is also bounded in time, as JetStream's duplicate window is:
 * ids older than that are forgotten (at the next addition) even while fewer than
 * `capacity` are held, so a name's window holds what its last minutes brought, not its
 * last 65,536 messages. Ages are kept coarsely (a mark per second of additions, not a
 * time per id).
 */
export class DedupWindow<V = true> {
  private readonly entries = new Map<string, V>()
  readonly capacity: number
  private readonly maxAgeMs?: number
  private readonly now: () => number
  /** Ids added so far, and how many of them were evicted. */
  private added = 0
  private evicted = 0
  /** Buckets of additions (when the first came, ids added up to its end), none spanning a second, oldest first. */
  private marks: Array<{ at: number, added: number }> = []

  constructor (capacity = 65_536, opts: { maxAgeMs?: number, now?: () => number } = {}) {
    this.capacity = capacity
    this.maxAgeMs = opts.maxAgeMs
    this.now = opts.now ?? Date.now
  }

  /** Forgets the ids added more than `maxAgeMs` ago. */
  private expire (now: number): void {
    if (this.maxAgeMs == null) return
    let drop = 0
    while (this.marks.length > 0 && (this.marks[0] as { at: number }).at < now - this.maxAgeMs) drop = (this.marks.shift() as { added: number }).added
    // Evicting by count may have gone past the mark already.
    for (; this.evicted < drop && this.entries.size > 0; this.evicted++) this.entries.delete(this.entries.keys().next().value as string)
  }

  get size (): number { return this.entries.size }

  get (key: string): V | undefined { return this.entries.get(key) }

  has (key: string): boolean { return this.entries.has(key) }

  /** Records `key`; returns false if it was already there (a duplicate). */
  add (key: string, value: V = true as V): boolean {
    let now = 0
    if (this.maxAgeMs != null) {
      now = this.now()
      this.expire(now)
    }
    if (this.entries.has(key)) return false
    this.entries.set(key, value)
    this.added++
    if (this.maxAgeMs != null) {
      const last = this.marks[this.marks.length - 1]
      if (last == null || now - last.at >= 1000) this.marks.push({ at: now, added: this.added })
      else last.added = this.added
    }
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
      this.evicted++
    }
    return true
  }

  set (key: string, value: V): void {
    if (!this.add(key, value)) this.entries.set(key, value)
  }
}

/** A compact map key for a message id (one byte per character, converted natively). */
export function idKey (id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1')
}
