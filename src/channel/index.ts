/**
 * Channels: one MLS group (RFC 9420, via ts-mls) per channel, carried by the relay mesh.
 *
 * The channel's sequencer relay numbers every message and orders commits (the first
 * commit built on the current epoch wins; later ones are refused as stale and rebuilt
 * by their senders), so every member applies the same commits in the same order and
 * reads the same messages in the same order. Relays see ciphertext only.
 *
 * - Identity: a basic credential signed with the agent's Ed25519 identity key, carrying
 *   its signed agent credential (trust on: checked against the mesh authority and the
 *   revocations the relay passed on, ./member-trust.ts) or its bare name (open mode:
 *   checked against the name's instance) (./credentials.ts).
 * - Roles: owner (the creator) and admins, in the group context; add, remove and close
 *   take the owner or an admin, changing roles the owner; every member checks every
 *   commit against them before applying it (./roles.ts). A revoked member is removed by
 *   the owner (or the first admin still a member) in one commit.
 * - Suites: DEFAULT_SUITE (X25519, AES-128-GCM, Ed25519) or QUANTUM_SAFE_SUITE (X-Wing)
 *   per channel (./suites.ts).
 * - Forward secrecy: old epochs' receiving keys are kept for `keyRetention.epochs`
 *   epochs, default 1 (exactly the race of a message sealed just before a commit);
 *   skipped keys within an epoch for 10 generations; used keys are zeroed
 *   (DEFAULT_KEY_RETENTION in ./group.ts).
 * - Persistence: with a data directory, each channel's MLS state and stream position
 *   are one record in the agent's store; `joinChannel` after a restart restores it.
 *
 * The files, one concept each:
 * - ./agent-channels.ts: an agent's channels (create, join) and the control traffic it
 *   answers (Welcome, JoinRequest, LeaveRequest); ./key-packages.ts the key packages it
 *   handed out and holds until a Welcome uses one.
 * - ./channel.ts: one open channel's handle: its stream applied in order, sends, the MLS
 *   state and its saving. ./open-channel.ts adds the multi-step protocols.
 * - Machines (src/machines/), each run by an actor here with the real effects:
 *   the channel and its one commit queue (./channel.actor.ts), adding a member
 *   (./channel-invite.actor.ts: JoinRequest, key package check, add commit, Welcome with
 *   retries) and leaving (./channel-leave.actor.ts: LeaveRequest to the owner and each admin in
 *   turn until one removes this one), and asking to join (./channel-join-request.actor.ts:
 *   a JoinRequest multicast to the channel, then the Welcome, a decline or the timeout).
 * - ./join-requests.ts: the requests to join as members read them in the stream (with
 *   the requester's verified credential), pending until approved, declined or expired.
 * - ./control-replies.ts routes JoinReply and LeaveReply to the actor that asked;
 *   ./group.ts is the MLS group (ts-mls); ./errors.ts the typed errors.
 * - ./roles.ts the roles and the check of every commit; ./member-trust.ts the mesh
 *   trust (anchors, verified revocations) members are checked against.
 * - ./discovery.ts: asking a channel who is in it (`agent.discoverChannel`), and the
 *   answer its owner and admins give, within its discovery policy (kept with the roles).
 * - ./saved-channels.ts: the channels saved in a data directory (`agent.savedChannels()`,
 *   `savedChannelsIn(dir)`).
 *
 * @example
 * ```ts
 * const kp = await bob.keyPackage()
 * const ch = await alice.createChannel('acme/research/summarizer')
 * const joining = bob.joinChannel('acme/research/summarizer')
 * await ch.addMember(kp)
 * const bobCh = await joining
 * await ch.send(new TextEncoder().encode('hello'))
 * for await (const m of bobCh.messages()) handle(m.sender, m.seq, m.epoch, m.data)
 *
 * // Or Carol asks, and the owner approves what it sees:
 * const asking = carol.requestToJoin('acme/research/summarizer', { note: 'from the audit team' })
 * for await (const r of ch.joinRequests()) if (r.credential.verified) { await ch.approveJoin(r.id); break }
 * const carolCh = await asking
 * ```
 */

export { AgentChannels } from './agent-channels.js'
export type { Channel, ChannelMessage, ChannelStatus, CreateChannelOptions, JoinChannelOptions, InviteOptions, LeaveOptions, RequestToJoinOptions } from './agent-channels.js'
export type { JoinRequestInfo, JoinRequestCredential } from './join-requests.js'
export { MAX_PENDING_JOIN_REQUESTS } from './join-requests.js'
export { MlsGroup, DEFAULT_KEY_RETENTION, makeKeyPackage, decodeKeyPackage, decodeWelcome } from './group.js'
export type { KeyRetention, LocalMember, Opened, PendingCommit, CommitApplied } from './group.js'
export { CHANNEL_SUITES, DEFAULT_SUITE, QUANTUM_SAFE_SUITE, channelSuite } from './suites.js'
export { checkCredential, credentialFor, jwtCredential, MemberAuthenticationService, NameKeyAuthenticationService } from './credentials.js'
export { MemberTrust } from './member-trust.js'
export { ROLES_EXTENSION, META_ROLES, META_ADDS, META_REMOVES, commitRefusal } from './roles.js'
export type { ChannelRoles, CommitSummary } from './roles.js'
export type { MemberCredentialCheck } from './errors.js'
export { discoverChannel, DEFAULT_DISCOVERY_TIMEOUT_MS } from './discovery.js'
export type { ChannelDirectory, DiscoverOptions, DiscoveryPolicy, MemberRole } from './discovery.js'
export { DiscoveryRefusedError, DiscoveryTimeoutError, InvalidDiscoveryPolicyError, NameClosedError } from './errors.js'
export {
  CommitRefusedError, PermissionDeniedError, CredentialMismatchError, InvalidChannelMessageError, MessageRejectedError, ChannelClosedError, UnsupportedChannelSuiteError,
  MemberNotFoundError, AlreadyMemberError, CommitFailedError, InviteFailedError, JoinFailedError, NoMatchingKeyPackageError,
  ChannelExistsError, CorruptChannelStateError, CHANNEL_ERROR_NAMES,
  JoinDeclinedError, JoinRequestTimeoutError, JoinRequestNotFoundError
} from './errors.js'
