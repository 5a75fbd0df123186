/**
 * How the relay names an agent's envelope's delivery mode, and the negative answer it
 * sends for one it cannot deliver. MLS commits and `GroupClose` travel as multicast
 * whatever their mode says: every member must see them in the one order the sequencer
 * gives, and the sequencer checks the sender's role (a `GroupClose` also closes the
 * name there). Every other type goes in the mode its sender set (docs/ARCHITECTURE.md,
 * "Message types: processed and relayed through").
 */
import { DeliveryMode, MessageType } from '../wire/envelope.pb.js'
import type { Envelope } from '../wire/envelope.pb.js'
import type { DeliveryModeName } from './policy.js'
import type { SequencerAck } from './sequencer.actor.js'

export const COMMIT_TYPES = new Set<MessageType>([MessageType.GROUP_PROPOSAL, MessageType.GROUP_ADD, MessageType.GROUP_REMOVE])
/** Types that always go through the name's sequencer, whatever their mode says. */
const SEQUENCED_TYPES = new Set<MessageType>([...COMMIT_TYPES, MessageType.GROUP_CLOSE])

/** The mode an envelope travels in (its `mode` set already: unspecified is resolved by the caller). */
export function deliveryModeOf (env: Envelope): DeliveryModeName {
  if (env.mode === DeliveryMode.MULTICAST || SEQUENCED_TYPES.has(env.type)) return 'multicast'
  return env.mode === DeliveryMode.UNICAST ? 'unicast' : 'anycast'
}

/** A refusal of `env` with `code`, to its publisher. */
export function nack (env: Envelope, code: number, reason: string): SequencerAck {
  return { messageId: env.messageId, seq: 0, code, reason, epoch: 0 }
}
