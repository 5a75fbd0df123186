/**
 * What the agent core (./agent-core.ts) asks of its session to a relay: write an
 * envelope, say whether the stream is backed up, and send subscribe and unsubscribe
 * requests. The real agent implements it over its libp2p session
 * (src/actors/agent-session.actor.ts); the simulated engine over a `RelayCore` on
 * simulated time (sims/sim-session.ts). What comes back from the relay (envelopes, acks,
 * `Subscribed` replies, the session going up or down) is not part of the port: the
 * session calls the core's methods for those.
 */
import type { Subscribe, Unsubscribe } from '../wire/envelope.pb.js'
import type { OutboxPort } from './outbox.js'

export interface SessionPort extends OutboxPort {
  /**
   * Asks the relay for a subscription; its answer comes back to
   * `AgentCore.subscribed` with the same request id. False while the session is down
   * (the core asks again when it is back).
   */
  subscribe: (request: Subscribe) => boolean
  /** Ends a subscription at the relay (no answer); false while the session is down. */
  unsubscribe: (request: Unsubscribe) => boolean
}
