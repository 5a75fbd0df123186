/**
 * Puts sequenced messages back in order. `push` returns the messages that are now
 * contiguous from `next`; anything before `next` is a duplicate and dropped; anything
 * after a gap waits (bounded: beyond `capacity` pending entries the furthest are dropped,
 * to be fetched again from the archive).
 */
export class ReorderBuffer<T> {
  private readonly pending = new Map<number, T>()
  private maxPending = 0
  next: number
  readonly capacity: number

  constructor (next: number, capacity = 4096) {
    this.next = next
    this.capacity = capacity
  }

  get pendingCount (): number { return this.pending.size }

  /** The first missing sequence number and the highest one seen, if there is a gap. */
  gap (): { from: number, to: number } | undefined {
    if (this.pending.size === 0) return undefined
    return { from: this.next, to: this.maxPending }
  }

  push (seq: number, item: T): T[] {
    if (seq < this.next || this.pending.has(seq)) return []
    if (seq !== this.next) {
      // Full: drop what does not fit (O(1)); the gap is fetched again from the archive.
      if (this.pending.size >= this.capacity) return []
      this.pending.set(seq, item)
      if (seq > this.maxPending) this.maxPending = seq
      return []
    }
    this.next++
    return this.drain([item])
  }

  /** Appends the held messages that are in order from `next` on, moving `next` past them. */
  private drain (out: T[]): T[] {
    while (this.pending.has(this.next)) {
      out.push(this.pending.get(this.next) as T)
      this.pending.delete(this.next)
      this.next++
    }
    if (this.pending.size === 0) this.maxPending = 0
    return out
  }

  /**
   * Moves `next` forward (after a restart or a replay), dropping what is now behind;
   * returns what is held from `next` on that is now in order.
   */
  skipTo (next: number): T[] {
    if (next <= this.next) return []
    for (const k of this.pending.keys()) if (k < next) this.pending.delete(k)
    this.next = next
    return this.drain([])
  }
}
