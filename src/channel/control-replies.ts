/**
 * Replies to the channel control requests this agent sent (`JoinReply` to a
 * `JoinRequest`, `LeaveReply` to a `LeaveRequest`), routed by the request's message id
 * (the reply's `correlationId`) to the one waiting for it: the invite or leave actor
 * that sent the request. A reply nobody waits for (late, or forged) is dropped.
 */
import type { Envelope } from '../wire/envelope.pb.js'
import { idKey } from '../relay/dedup-window.js'

export class ControlReplies {
  private readonly waiting = new Map<string, (reply: Envelope) => void>()

  /** Hands the reply to `requestId` to `listener` until the returned function is called. */
  expect (requestId: Uint8Array, listener: (reply: Envelope) => void): () => void {
    const key = idKey(requestId)
    this.waiting.set(key, listener)
    return () => { if (this.waiting.get(key) === listener) this.waiting.delete(key) }
  }

  deliver (reply: Envelope): void {
    this.waiting.get(idKey(reply.correlationId))?.(reply)
  }
}
