/**
 * Pure XState v5 machines: every protocol with more than two phases. No IO, no clock of
 * their own (delays are named, so tests drive them on XState's `SimulatedClock`); their
 * effects are actions and invoked actors that an actor provides (`machine.provide`), and
 * data reaches those effects as event payloads or input. `slim-mesh chart` prints them;
 * docs/ARCHITECTURE.md carries their charts.
 *
 * - ./agent-session.machine.ts: an agent's session (connect, handshake, active, reconnect);
 * - ./relay-session.machine.ts: the relay's end of one session;
 * - ./peer-link.machine.ts: one relay-to-relay link;
 * - ./sequencer-claim.machine.ts: one relay's claim to sequence a name (settling,
 *   sequencing, restored, handing over to a better claim, released);
 * - ./sequencer-lease.machine.ts: one relay's part in a name's controller-granted
 *   sequencer lease (candidate, leader of a term, fenced, follower);
 * - ./sequencer.machine.ts: numbering and MLS commit epochs of one name;
 * - ./ordered-stream.machine.ts: one name's ordered stream at a subscriber relay (loading,
 *   live, gap wait, filling, following a new sequencer);
 * - ./channel.machine.ts: one MLS channel as a member sees it, with its one commit queue;
 * - ./channel-invite.machine.ts, ./channel-leave.machine.ts: adding a member, leaving;
 *   ./channel-join-request.machine.ts: asking to join (sending, waiting, joining);
 * - ./registration.machine.ts: a relay's registration with its controller (joining,
 *   applying, in sync, degraded); ./relay-membership.machine.ts: the controller's view of
 *   one relay (registered, in sync, behind, down, removed);
 * - ./controller-election.machine.ts: one controller among several on etcd (candidate:
 *   follower or leader, stepping down, retrying, stopped);
 * - ./peering.machine.ts: one peering with another mesh (proposed, negotiating, trusted,
 *   suspended, revoked, expired; src/federation/);
 * - ./inspection.ts: transitions of a running actor, for `inspect`;
 * - ./errors.ts: `ActorNotProvidedError`, for a machine run without its effects.
 */
export { agentSessionMachine } from './agent-session.machine.js'
export { relaySessionMachine } from './relay-session.machine.js'
export { peerLinkMachine } from './peer-link.machine.js'
export { sequencerClaimMachine } from './sequencer-claim.machine.js'
export { sequencerMachine } from './sequencer.machine.js'
export { sequencerLeaseMachine } from './sequencer-lease.machine.js'
export { orderedStreamMachine } from './ordered-stream.machine.js'
export { channelMachine } from './channel.machine.js'
export { channelInviteMachine } from './channel-invite.machine.js'
export { channelLeaveMachine } from './channel-leave.machine.js'
export { channelJoinRequestMachine } from './channel-join-request.machine.js'
export { registrationMachine } from './registration.machine.js'
export { relayMembershipMachine } from './relay-membership.machine.js'
export { controllerElectionMachine } from './controller-election.machine.js'
export { peeringMachine } from './peering.machine.js'
export { stateName, transitionInspector } from './inspection.js'
export { ActorNotProvidedError } from './errors.js'
