/**
 * A bounded queue read as an AsyncIterable with an explicit end (nats.js style): the
 * channel's messages and status changes. A reader that falls `limit` behind ends the
 * iteration with the error `overflow()` makes, instead of letting memory grow.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
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
    if (this.items.length >= this.limit) { this.end(this.overflow()); return }
    this.items.push(item)
  }

  end (error?: Error): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    if (this.waiter != null && this.items.length === 0) {
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
        const item = this.items.shift()
        if (item !== undefined) return { value: item, done: false }
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
