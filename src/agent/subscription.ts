/**
 * A subscription: an `AsyncIterable` of messages with an explicit end (nats.js style).
 * Messages queue until read; a reader that falls more than `limit` behind ends the
 * iteration with `SlowConsumerError` rather than letting memory grow without bound.
 */
import { SlowConsumerError } from '../wire/errors.js'
import { AsyncQueue } from '../util/async-queue.js'
import type { Message } from './message.js'

export class Subscription implements AsyncIterable<Message> {
  readonly name: string
  /** The next multicast sequence number this subscription is owed. */
  position = 0
  /** The relay's first sequence number for it (its answer to the subscribe; 0 until then). */
  startSeq = 0
  private readonly queue: AsyncQueue<Message>
  private readonly onClose: (sub: Subscription) => Promise<void>

  constructor (name: string, onClose: (sub: Subscription) => Promise<void>, limit = 65_536) {
    this.name = name
    this.onClose = onClose
    this.queue = new AsyncQueue<Message>(limit,
      () => new SlowConsumerError(`subscription ${name} fell ${limit} messages behind; resubscribe to resume from sequence ${this.position}`),
      () => { void this.close() })
  }

  get closed (): boolean { return this.queue.closed }

  /** Hands a message to the reader. */
  push (m: Message): void { this.queue.push(m) }

  /** Ends the iteration (with an error, if given) once the queue is read. */
  end (error?: Error): void { this.queue.end(error) }

  async close (): Promise<void> {
    if (this.closedByUs) return
    this.closedByUs = true
    this.queue.end()
    await this.onClose(this)
  }

  private closedByUs = false

  async [Symbol.asyncDispose] (): Promise<void> { await this.close() }

  [Symbol.asyncIterator] (): AsyncIterator<Message> { return this.queue[Symbol.asyncIterator]() }
}
