/**
 * slim-mesh: Secure Low-Latency Interactive Messaging for agents.
 *
 * ```ts
 * import { createRelay, connectAgent } from 'slim-mesh'
 * const relay = await createRelay({ listen: ['/ip4/127.0.0.1/tcp/0'] }) // a development authority of its own
 * const alice = await connectAgent({ relay: relay.multiaddrs[0], name: 'acme/research/alice', credentials: relay.devCredentials })
 * const sub = await alice.subscribe('acme/research/summarizer')
 * ```
 */
import './polyfill.js'

// Relays
export { createRelay } from './node/relay-node.js'
export type { RelayPeer } from './node/relay-node.js'
export type { RelayPolicy, PolicyVerdict, LinkKind, SessionRequest, NameRequest, PublishRequest, RouteRequest } from './relay/policy.js'
export type { Relay, RelayOptions, TransitionEvent } from './node/relay-node.js'
export type { InboundLimits } from './p2p/libp2p-node.js'
export type { RelayConfig } from './relay/types.js'
export type { RelayQuotas, QuotaName } from './relay/agent-quotas.js'
export { DEFAULT_RELAY_QUOTAS } from './relay/agent-quotas.js'

// Monitoring: a relay's summary, and the /metrics /healthz /readyz server (createRelay's `metrics` option uses it)
export { startMonitorServer } from './control/monitor-server.js'
export type { MonitorServer, MonitorServerInit, Readiness } from './control/monitor-server.js'
export type { RelaySummary } from './control/types.js'

// Control plane: a controller that runs a mesh, and what operators call it with (src/control)
export { createController, operatorClient, planLinks, AnomalyDetector, verifyState, ControllerError, ControlRequestError, DesiredStateError, EtcdStoreError, NotLeaderError } from './control/index.js'
export type { Controller, ControllerOptions, EtcdOptions, ControllerTimings, OperatorClient, ControlOptions, DesiredState, NamePolicy, SignedState, MeshIntent, AlertAction, Alert, TopologySpec, LinkPair } from './control/index.js'

// Trust: the mesh authority, issuers, credentials, revocations (src/trust)
export { createAuthority, delegateIssuer, issueAgentCredential, issueRelayCredential, issueRevocation, allGrants } from './trust/index.js'
export { readCredentials, writeCredentials, parseCredentials, formatCredentials, TrustAnchors, CredentialError, TrustConfigError, InvalidPatternError } from './trust/index.js'
export type { Authority, AuthorityPublic, SigningKey, Grants, AgentCredentials, CredentialsFile, TrustOptions, ExternalIssuer, AgentCredential, RelayCredential, Revocation, CredentialCheck, Lifetime, RelayRole } from './trust/index.js'

// Logging: silent unless configured (or DEBUG names a component)
export { configureLogging } from './logger.js'
export type { LoggingOptions, LogLevel, LogFormat } from './logger.js'

// Agents
export { connectAgent, Agent } from './agent/agent.js'
export type { ConnectAgentOptions, PublishOptions, PublishResult, DeliveryModeName, Payload } from './agent/agent.js'
export type { AgentStatus } from './actors/agent-session.actor.js'
export { Subscription } from './agent/subscription.js'
export type { Message } from './agent/message.js'

// Channels: one MLS group per channel (agent.createChannel, agent.joinChannel, agent.keyPackage)
export type { Channel, ChannelMessage, ChannelStatus, CreateChannelOptions, JoinChannelOptions, InviteOptions, LeaveOptions } from './channel/index.js'
export type { RequestToJoinOptions, JoinRequestInfo, JoinRequestCredential } from './channel/index.js'
export type { KeyRetention } from './channel/index.js'
export { savedChannelsIn } from './channel/saved-channels.js'
export type { SavedChannel } from './channel/saved-channels.js'
export { DEFAULT_SUITE, QUANTUM_SAFE_SUITE, CHANNEL_SUITES, DEFAULT_KEY_RETENTION } from './channel/index.js'
// Discovery (agent.discoverChannel) and its refusals
export type { ChannelDirectory, DiscoverOptions, DiscoveryPolicy, MemberRole } from './channel/index.js'
export { DiscoveryRefusedError, DiscoveryTimeoutError, InvalidDiscoveryPolicyError } from './channel/index.js'
export {
  CredentialMismatchError, CommitRefusedError, InvalidChannelMessageError, MessageRejectedError, ChannelClosedError, UnsupportedChannelSuiteError,
  MemberNotFoundError, AlreadyMemberError, CommitFailedError, InviteFailedError, JoinFailedError, NoMatchingKeyPackageError,
  ChannelExistsError, CorruptChannelStateError, JoinDeclinedError, JoinRequestTimeoutError, JoinRequestNotFoundError
} from './channel/index.js'

// MLS crypto and conformance
export { createNodeCryptoProvider, nodeCryptoProvider, runConformance } from './mls/index.js'

// Inspection
export { inspectRelay } from './p2p/inspect-client.js'

// Names
export { parseServiceName, parseAgentName, parseName, agentNameForKey, instanceIdFromPublicKey } from './names/index.js'
export type { ServiceName, AgentName, Name } from './names/index.js'

// Errors: callers branch on `err.name`
export { InvalidNameError, InvalidAddressError } from './names/errors.js'
export { DataDirInUseError } from './store/errors.js'
export { AddressInUseError, ListenError, InvalidTransportsError, InvalidInboundLimitsError } from './p2p/errors.js'
export { NoRouteError, TimeoutError, AuthenticationError, StaleEpochError, UnavailableError, SessionClosedError, SessionFaultError, RemoteError, InvalidMetadataError, AlreadySubscribedError, PermissionDeniedError, HistoryTrimmedError, QuotaExceededError, InvalidQuotaError, NameClosedError } from './relay/errors.js'
export { FrameTooLargeError, MalformedFrameError, UnknownMessageTypeError, PayloadTooLargeError, ProtocolViolationError, SlowConsumerError } from './wire/errors.js'

// State machines, for charts, inspection and simulation
export { sequencerMachine } from './machines/sequencer.machine.js'
export { relaySessionMachine } from './machines/relay-session.machine.js'
export { agentSessionMachine } from './machines/agent-session.machine.js'
export { peerLinkMachine } from './machines/peer-link.machine.js'
export { channelMachine } from './machines/channel.machine.js'
export { channelInviteMachine } from './machines/channel-invite.machine.js'
export { channelJoinRequestMachine } from './machines/channel-join-request.machine.js'
export { channelLeaveMachine } from './machines/channel-leave.machine.js'
export { sequencerClaimMachine } from './machines/sequencer-claim.machine.js'
export { orderedStreamMachine } from './machines/ordered-stream.machine.js'
export { peeringMachine } from './machines/peering.machine.js'

// Federation: peering agreements between meshes (docs/FEDERATION.md)
export { checkAgreement, countersign, parseAgreement, proposeAgreement, verifyAgreement, importedName, exportedName, PeeringError } from './federation/index.js'
export type { PeeringAgreement, PeeringSide, PeeringExport, PeeringImport, PeeringLimits, VerifiedAgreement, PeeringRule } from './federation/index.js'
