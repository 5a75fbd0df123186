/**
 * A bounded queue read as an AsyncIterable with an explicit end (nats.js style): an
 * agent's subscriptions, a channel's messages and status changes. A reader that falls
 * `limit` behind ends the iteration with the error `overflow()` makes, instead of letting
 * memory grow. Reads take from a head index (not shift(), which is O(n) per item).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = []
  private head = 0
  private waiter?: { resolve: (r: IteratorResult<T>) => void, reject: (e: Error) => void }
  private ended = false
  private error?: Error
  private readonly limit: number
  private readonly overflow: () => Error
  private readonly onReturn?: () => void

  constructor (limit: number, overflow: () => Error, onReturn?: () => void) {
    this.limit = limit
    this.overflow = overflow
    this.onReturn = onReturn
  }

  get closed (): boolean { return this.ended }

  push (item: T): void {
    if (this.ended) return
    if (this.waiter != null) {
      const w = this.waiter
      this.waiter = undefined
      w.resolve({ value: item, done: false })
      return
    }
    if (this.items.length - this.head >= this.limit) { this.end(this.overflow()); return }
    this.items.push(item)
  }

  end (error?: Error): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    if (this.waiter != null && this.items.length === this.head) {
      const w = this.waiter
      this.waiter = undefined
      if (error != null) w.reject(error)
      else w.resolve({ value: undefined, done: true })
      this.error = undefined
    }
  }

  [Symbol.asyncIterator] (): AsyncIterator<T> {
    return {
      next: async () => {
        if (this.head < this.items.length) {
          const item = this.items[this.head++] as T
          if (this.head === this.items.length) { this.items = []; this.head = 0 } else if (this.head > 4096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0 }
          return { value: item, done: false }
        }
        if (this.ended) {
          if (this.error != null) { const e = this.error; this.error = undefined; throw e }
          return { value: undefined, done: true }
        }
        return await new Promise<IteratorResult<T>>((resolve, reject) => { this.waiter = { resolve, reject } })
      },
      return: async () => {
        this.end()
        this.onReturn?.()
        return { value: undefined, done: true }
      }
    }
  }
}
