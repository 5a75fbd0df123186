/**
 * The topic validator of every multicast topic, checked before gossipsub delivers or
 * forwards a message (gossipsub v1.1 spec, "Extended Validators"):
 *
 * - a batch that came through a relay not admitted here, or from a relay not of this
 *   mesh, is ignored (`Ignore`: neither delivered nor passed on, and not scored: those
 *   peers are scored by admission already);
 * - a batch that does not decode, whose messages break the envelope rules, or that names
 *   another name than its topic's is rejected (`Reject`): gossipsub counts it against
 *   the relay that sent it (P4, src/p2p/libp2p-node.ts `RELAY_TOPIC_SCORE`), so a relay
 *   that keeps sending them ends up graylisted;
 * - anything else is accepted, and the batch it decoded is kept for the delivery (the
 *   message gossipsub then emits is the object it validated), so it is decoded once.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Message, TopicValidatorFn } from '@libp2p/gossipsub'
import { decodeGossipBatch } from '../wire/codec.js'
import { MULTICAST_TOPIC_PREFIX } from '../wire/constants.js'
import type { GossipBatch } from '../wire/envelope.pb.js'

export interface GossipBatchesInit {
  /** Whether a batch from `from` heard through `source` may be heard at all; none: every one (open mode). */
  allowed?: (source: string, from: string) => boolean
  /** A batch rejected, with why (for the log). */
  onInvalid?: (source: string, from: string, reason: string) => void
}

export class GossipBatches {
  private readonly init: GossipBatchesInit
  private readonly decoded = new WeakMap<Message, GossipBatch>()

  constructor (init: GossipBatchesInit = {}) {
    this.init = init
  }

  /** The validator of `topic` (a multicast topic: the prefix, then the name). */
  validator (topic: string): TopicValidatorFn {
    const name = topic.slice(MULTICAST_TOPIC_PREFIX.length)
    return (source, msg) => {
      // Unsigned messages are refused by gossipsub already (StrictSign).
      if (msg.type !== 'signed') return TopicValidatorResult.Reject
      const from = msg.from.toString()
      if (this.init.allowed != null && !this.init.allowed(source.toString(), from)) return TopicValidatorResult.Ignore
      let batch: GossipBatch
      try {
        batch = decodeGossipBatch(msg.data)
      } catch (err) {
        this.init.onInvalid?.(source.toString(), from, (err as Error).message)
        return TopicValidatorResult.Reject
      }
      if (batch.name !== name) {
        this.init.onInvalid?.(source.toString(), from, `a batch of ${JSON.stringify(batch.name.slice(0, 256))} on the topic of ${name}`)
        return TopicValidatorResult.Reject
      }
      this.decoded.set(msg, batch)
      return TopicValidatorResult.Accept
    }
  }

  /** The batch `msg` carries, as its validator decoded it (else decoded now; throws if it does not decode). */
  take (msg: Message): GossipBatch {
    const batch = this.decoded.get(msg)
    if (batch == null) return decodeGossipBatch(msg.data)
    this.decoded.delete(msg)
    return batch
  }
}
