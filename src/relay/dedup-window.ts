/**
 * De-duplication by message id in a bounded window: remembers the last `capacity` ids
 * (insertion order), so memory is bounded whatever a peer sends. A Map keeps insertion
 * order, so eviction of the oldest is O(1).
 */
export class DedupWindow<V = true> {
  private readonly entries = new Map<string, V>()
  readonly capacity: number

  constructor (capacity = 65_536) {
    this.capacity = capacity
  }

  get size (): number { return this.entries.size }

  get (key: string): V | undefined { return this.entries.get(key) }

  has (key: string): boolean { return this.entries.has(key) }

  /** Records `key`; returns false if it was already there (a duplicate). */
  add (key: string, value: V = true as V): boolean {
    if (this.entries.has(key)) return false
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
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
