/**
 * The agent API: `connectAgent()` proves the agent's name to a relay and keeps the
 * session up (reconnecting with backoff, to the same relay or the next one); `subscribe`,
 * `inbox`, `publish` and `request` move messages; `createChannel` / `joinChannel` open
 * MLS channels (src/channel/).
 *
 * - ./agent.ts: the `Agent`, a facade over the core and its libp2p session
 *   (src/actors/agent-session.actor.ts), and the channel layer's port;
 * - ./agent-core.ts: the `AgentCore`, the agent's logic with no IO (pending
 *   acknowledgements, request correlation, positions, resume, de-duplication, channel
 *   control), on a session port and a clock; the simulations (sims/sim-agent.ts) run it too;
 * - ./session-port.ts: what the core asks of its session; ./within.ts: deadlines on its clock;
 * - ./positions.ts: subscription positions kept in the agent's store;
 * - ./outbox.ts: envelopes wait here for room on the session stream (backpressure);
 * - ./envelope-factory.ts: message ids and every check the relay makes, made first;
 * - ./subscription.ts, ./message.ts: what a reader gets.
 *
 * ```ts
 * const alice = await connectAgent({ relay: '127.0.0.1:7450', name: 'acme/research/alice' })
 * const inbox = await alice.inbox()
 * await alice.publish('acme/research/news', 'hello', { mode: 'multicast' })
 * ```
 */
export { connectAgent, Agent } from './agent.js'
export type { ConnectAgentOptions, PublishOptions, PublishResult, DeliveryModeName, Payload } from './agent.js'
export { Subscription } from './subscription.js'
export type { Message } from './message.js'
