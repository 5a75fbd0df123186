/**
 * A subscription: an `AsyncIterable` of messages with an explicit end (nats.js style).
 * Messages queue until read; a reader that falls more than `limit` behind ends the
 * iteration with `SlowConsumerError` rather than letting memory grow without bound.
 */
import { SlowConsumerError } from '../wire/errors.js'
import type { Message } from './message.js'

export class Subscription implements AsyncIterable<Message> {
  readonly name: string
  /** The next multicast sequence number this subscription is owed. */
  position = 0
  private readonly queue: Message[] = []
  private waiter?: (r: IteratorResult<Message>) => void
  private failWaiter?: (e: Error) => void
  private ended = false
  private error?: Error
  private readonly limit: number
  private readonly onClose: (sub: Subscription) => Promise<void>

  constructor (name: string, onClose: (sub: Subscription) => Promise<void>, limit = 65_536) {
    this.name = name
    this.onClose = onClose
    this.limit = limit
  }

  get closed (): boolean { return this.ended }

  /** Hands a message to the reader. */
  push (m: Message): void {
    if (this.ended) return
    if (this.waiter != null) {
      const w = this.waiter
      this.waiter = undefined
      this.failWaiter = undefined
      w({ value: m, done: false })
      return
    }
    if (this.queue.length >= this.limit) {
      this.end(new SlowConsumerError(`subscription ${this.name} fell ${this.limit} messages behind; resubscribe to resume from sequence ${this.position}`))
      return
    }
    this.queue.push(m)
  }

  /** Ends the iteration (with an error, if given) once the queue is read. */
  end (error?: Error): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    if (this.waiter != null && this.queue.length === 0) {
      const w = this.waiter
      const f = this.failWaiter
      this.waiter = undefined
      this.failWaiter = undefined
      if (error != null && f != null) f(error)
      else w({ value: undefined, done: true })
    }
  }

  async close (): Promise<void> {
    if (this.ended) return
    this.end()
    await this.onClose(this)
  }

  async [Symbol.asyncDispose] (): Promise<void> { await this.close() }

  [Symbol.asyncIterator] (): AsyncIterator<Message> {
    return {
      next: async () => {
        const m = this.queue.shift()
        if (m != null) return { value: m, done: false }
        if (this.ended) {
          if (this.error != null) { const e = this.error; this.error = undefined; throw e }
          return { value: undefined, done: true }
        }
        return await new Promise<IteratorResult<Message>>((resolve, reject) => { this.waiter = resolve; this.failWaiter = reject })
      },
      return: async () => {
        await this.close()
        return { value: undefined, done: true }
      }
    }
  }
}
