/**
 * The agent API: `connectAgent()` proves the agent's name to a relay and keeps the
 * session up (reconnecting with backoff, to the same relay or the next one); `subscribe`,
 * `inbox`, `publish` and `request` move messages; `createChannel` / `joinChannel` open
 * MLS channels (src/channel/).
 *
 * - ./agent.ts: the `Agent` (pending acknowledgements, request correlation, positions);
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
