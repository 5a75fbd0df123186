/** Every machine slim-mesh runs, by name: what `slim-mesh chart` prints. */
import type { AnyStateMachine } from 'xstate'
import { agentSessionMachine } from '../machines/agent-session.machine.js'
import { relaySessionMachine } from '../machines/relay-session.machine.js'
import { peerLinkMachine } from '../machines/peer-link.machine.js'
import { sequencerMachine } from '../machines/sequencer.machine.js'
import { sequencerClaimMachine } from '../machines/sequencer-claim.machine.js'
import { sequencerLeaseMachine } from '../machines/sequencer-lease.machine.js'
import { channelMachine } from '../machines/channel.machine.js'
import { channelInviteMachine } from '../machines/channel-invite.machine.js'
import { channelLeaveMachine } from '../machines/channel-leave.machine.js'
import { channelJoinRequestMachine } from '../machines/channel-join-request.machine.js'
import { orderedStreamMachine } from '../machines/ordered-stream.machine.js'
import { registrationMachine } from '../machines/registration.machine.js'
import { relayMembershipMachine } from '../machines/relay-membership.machine.js'
import { controllerElectionMachine } from '../machines/controller-election.machine.js'
import { peeringMachine } from '../machines/peering.machine.js'

export interface ChartedMachine {
  name: string
  machine: AnyStateMachine
  /** One line on what it is. */
  summary: string
}

export const MACHINES: ChartedMachine[] = [
  { name: 'agentSession', machine: agentSessionMachine, summary: 'an agent\'s session with its relay (agent side)' },
  { name: 'relaySession', machine: relaySessionMachine, summary: 'one agent session (relay side)' },
  { name: 'peerLink', machine: peerLinkMachine, summary: 'one relay-to-relay link' },
  { name: 'sequencer', machine: sequencerMachine, summary: 'the sequencer of one multicast name' },
  { name: 'sequencerClaim', machine: sequencerClaimMachine, summary: 'one relay\'s claim to sequence a multicast name: settling, sequencing, handing over to a better claim' },
  { name: 'sequencerLease', machine: sequencerLeaseMachine, summary: 'one relay\'s part in a name\'s sequencer lease from the controller: candidate, leader of a term (replicating), fenced, follower' },
  { name: 'orderedStream', machine: orderedStreamMachine, summary: 'the ordered stream of one multicast name at a subscriber relay' },
  { name: 'channel', machine: channelMachine, summary: 'one MLS channel, as one member sees it, with its commit queue' },
  { name: 'channelInvite', machine: channelInviteMachine, summary: 'adding a member to a channel: JoinRequest, key package check, add commit, Welcome' },
  { name: 'channelLeave', machine: channelLeaveMachine, summary: 'leaving a channel: asking the owner, then the admins, in turn to remove this one' },
  { name: 'channelJoinRequest', machine: channelJoinRequestMachine, summary: 'asking to join a channel: JoinRequest to its members, then their Welcome, a decline or the timeout' },
  { name: 'registration', machine: registrationMachine, summary: 'a relay\'s registration with its controller: joining, applying the desired state, in sync, degraded while the controller is away' },
  { name: 'relayMembership', machine: relayMembershipMachine, summary: 'one relay as its controller sees it: registered, in sync or behind, down, removed' },
  { name: 'controllerElection', machine: controllerElectionMachine, summary: 'one controller among several sharing etcd: campaigning as a follower, leading with a core built from the store, stepping down, campaigning again' },
  { name: 'peering', machine: peeringMachine, summary: 'one peering with another mesh: proposed, negotiating signed proposals, trusted (its borders carry it), suspended, revoked or expired' }
]
