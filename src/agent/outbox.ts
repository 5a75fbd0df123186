/**
 * The agent's outbox: envelopes wait here for room on the session stream. They are
 * written only while the stream is below its high-water mark, so a burst of large
 * publishes waits (backpressure) instead of overflowing the stream's write buffer, which
 * would cut the session and, on every reconnect, cut it again.
 *
 * An acknowledged publish is tracked by its `OutboxTicket`: `written` says whether it
 * left since the last reconnect (until then it can be withdrawn, and a timeout can say
 * truthfully that it was never sent); after a reconnect, what was written goes again
 * first, in order.
 */
import type { Envelope } from '../wire/envelope.pb.js'

/** What the outbox writes to: the agent's session. */
export interface OutboxPort {
  /** True while the stream is past its high-water mark. */
  readonly backlogged: boolean
  whenWritable: () => Promise<void>
  /** Writes one envelope; false while the session is down. */
  send: (env: Envelope) => boolean
}

/** An acknowledged publish's place in the outbox. */
export interface OutboxTicket {
  env: Envelope
  /** Handed to the session stream since the last reconnect. */
  written: boolean
}

interface Item {
  env: Envelope
  ticket?: OutboxTicket
  /** Called once it is written (fire and forget resolves then). */
  written?: () => void
  /** Called if the agent closes first. */
  failed?: (err: Error) => void
  cancelled?: boolean
}

export class Outbox {
  private readonly port: OutboxPort
  /** Waiting items from `head` on (an index, not shift(): O(1) per item under backlog). */
  private items: Item[] = []
  private head = 0
  private awaitingDrain = false

  constructor (port: OutboxPort) {
    this.port = port
  }

  /** Queues an acknowledged publish, tracked by its ticket. */
  track (ticket: OutboxTicket): void {
    this.items.push({ env: ticket.env, ticket })
    this.pump()
  }

  /** Queues an envelope nobody acknowledges; resolves once it is written. */
  async write (env: Envelope): Promise<void> {
    // The common case, with nothing ahead of it and room on the stream: written now.
    if (this.head === this.items.length && !this.port.backlogged && this.port.send(env)) return
    await new Promise<void>((resolve, reject) => {
      this.items.push({ env, written: resolve, failed: reject })
      this.pump()
    })
  }

  /**
   * The session is back: the tickets that were written before it dropped go again first
   * (in the order given), then whatever never left.
   */
  resume (tickets: Iterable<OutboxTicket>): void {
    const again: Item[] = []
    for (const t of tickets) {
      if (t.written) { t.written = false; again.push({ env: t.env, ticket: t }) }
    }
    if (again.length > 0) {
      this.items = [...again, ...this.items.slice(this.head)]
      this.head = 0
    }
    this.pump()
  }

  /** Takes a ticket out if it has not been written; true if it was still waiting. */
  withdraw (ticket: OutboxTicket): boolean {
    if (ticket.written) return false
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as Item
      if (item.ticket === ticket) { item.cancelled = true; return true }
    }
    return false
  }

  /** Writes while the session is up and its stream below the high-water mark. */
  pump (): void {
    while (this.head < this.items.length) {
      if (this.port.backlogged) {
        if (!this.awaitingDrain) {
          this.awaitingDrain = true
          void this.port.whenWritable().then(() => { this.awaitingDrain = false; this.pump() })
        }
        return
      }
      const item = this.items[this.head] as Item
      if (item.cancelled === true) { this.head++; continue }
      if (!this.port.send(item.env)) return // down: `resume` pumps again
      this.head++
      if (item.ticket != null) item.ticket.written = true
      item.written?.()
    }
    this.items = []
    this.head = 0
  }

  /** The agent closed: what never left fails with `err`. */
  close (err: Error): void {
    for (let i = this.head; i < this.items.length; i++) this.items[i]?.failed?.(err)
    this.items = []
    this.head = 0
  }
}
