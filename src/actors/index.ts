/**
 * The session and link machines (../machines) with their effects. Each actor runs one
 * pure machine and gives its actions and invoked actors real IO; everything reaches it
 * as events, and what it learns leaves through the handlers or ports it was given.
 *
 * - ./agent-session.actor.ts: the agent's end of its session (dial, signed handshake,
 *   keepalive pings, reconnect to the next relay);
 * - ./relay-session.actor.ts: the relay's end of one agent session, and the `AgentPort`
 *   the relay core delivers through; it reads and writes frames through a
 *   `FrameTransport` (../wire/frame-transport.ts), not a libp2p stream;
 * - ./peer-link.actor.ts: one relay-to-relay link (a writer we dial, a reader the peer dials);
 * - ./session-proof.ts: the bytes an agent signs to prove its key in the handshake.
 *
 * The sequencer actor lives with the relay logic (../relay/sequencer.actor.ts) and the
 * channel actor with the channels (../channel/channel.actor.ts).
 */
export { AgentSessionActor } from './agent-session.actor.js'
export type { AgentSessionHandlers, AgentSessionInit, AgentStatus } from './agent-session.actor.js'
export { RelaySessionActor } from './relay-session.actor.js'
export type { RelaySessionInit, RelaySessionTimings } from './relay-session.actor.js'
export { PeerLinkActor } from './peer-link.actor.js'
export type { PeerLinkInit, PeerLinkTimings } from './peer-link.actor.js'
