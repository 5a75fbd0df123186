/**
 * An open channel as callers see it (`Channel`): the channel handle (./channel.ts) plus
 * the protocols with more than one step, each run by its machine: adding a member
 * (./channel-invite.actor.ts) and leaving (./channel-leave.actor.ts); and the requests
 * to join that members read in the stream (./join-requests.ts), approved by that same
 * add (the requester's key package, then the Welcome) or declined; and the discovery
 * policy kept with the roles (./discovery.ts).
 */
import { parseAgentName } from '../names/names.js'
import { ChannelHandle } from './channel.js'
import type { ChannelInit, ChannelMessage } from './channel.js'
import { runInvite } from './channel-invite.actor.js'
import { runLeave } from './channel-leave.actor.js'
import type { ControlReplies } from './control-replies.js'
import { JoinRequests } from './join-requests.js'
import type { JoinRequestInfo } from './join-requests.js'
import type { MemberTrust } from './member-trust.js'
import { endedBy } from './status.js'
import type { ChannelStatus } from './status.js'
import type { ChannelInbound } from './agent-port.js'
import { checkDiscoveryPolicy } from './discovery.js'
import type { DiscoveryPolicy } from './discovery.js'
import { PermissionDeniedError } from './errors.js'

export interface InviteOptions { signal?: AbortSignal, timeoutMs?: number }
export interface LeaveOptions { signal?: AbortSignal, timeoutMs?: number }

/** An open channel. */
export interface Channel {
  readonly name: string
  /** The channel's MLS epoch. */
  readonly epoch: number
  /** Agent names of the members, in tree order. */
  readonly members: string[]
  readonly suite: string
  /** RFC 9420 section 8.7: the same at every member in the same epoch. */
  readonly epochAuthenticator: Uint8Array
  /** The last sequence number applied here. */
  readonly seq: number
  /** The channel machine's state: active, committing, catchingUp, closed, left, removed. */
  readonly state: string
  /** Adds the holder of a key package (owner or admin); resolves once the commit is acked and applied and the Welcome is sent. */
  addMember: (keyPackage: Uint8Array, options?: { signal?: AbortSignal }) => Promise<void>
  /** Asks the named agent for a key package (JoinRequest / JoinReply), then adds it. */
  invite: (agentName: string, options?: InviteOptions) => Promise<void>
  /** Removes a member (owner or admin); every path key is rotated so it cannot read what follows. */
  removeMember: (agentName: string) => Promise<void>
  /** The roles: `owner` (the creator) and `admins`; undefined for a channel saved before roles existed. */
  readonly roles: { owner: string, admins: string[] } | undefined
  /** Sets the admins (owner only; PermissionDeniedError otherwise). */
  setRoles: (roles: { admins: string[] }) => Promise<void>
  /** Makes a member an admin (owner only). */
  grantAdmin: (agentName: string) => Promise<void>
  /** Takes the admin role from a member (owner only). */
  revokeAdmin: (agentName: string) => Promise<void>
  /** What agents outside the channel learn when they ask who is in it (src/channel/discovery.ts). */
  readonly discovery: DiscoveryPolicy
  /** Sets the discovery policy (owner only: a roles change, one commit every member checks). */
  setDiscovery: (policy: DiscoveryPolicy) => Promise<void>
  /** Commits and GroupCloses of other members refused here (no right, or metadata that does not match). */
  readonly refusedCommits: number
  /** Self-update: new leaf and path keys (post-compromise security). */
  update: () => Promise<void>
  /** Sends an encrypted message; resolves once the sequencer archived it. */
  send: (data: Uint8Array, options?: { signal?: AbortSignal }) => Promise<{ seq: number }>
  /** Every message of the channel (own ones included), in the sequencer's order. */
  messages: () => AsyncIterable<ChannelMessage>
  status: () => AsyncIterable<ChannelStatus>
  onStatus: (listener: (s: ChannelStatus) => void) => () => void
  /** Asks the owner or an admin to remove this one (LeaveRequest); resolves once removed. */
  leave: (options?: LeaveOptions) => Promise<void>
  /** Closes the channel for every member (GroupClose; owner or admin). */
  close: (options?: { signal?: AbortSignal }) => Promise<void>
  /** Trial-opens one MLS message with this member's keys, applying nothing (tools, tests). */
  open: (bytes: Uint8Array) => Promise<{ data: Uint8Array, sender: string, epoch: number }>
  /** Requests to join (`agent.requestToJoin`) as they arrive in the channel's stream, from now until the channel ends. */
  joinRequests: () => AsyncIterable<JoinRequestInfo>
  /** The requests to join seen and not yet settled (approved, declined or expired), oldest first. */
  pendingJoinRequests: () => JoinRequestInfo[]
  /**
   * Approves a pending request (owner or admin; PermissionDeniedError otherwise): adds the
   * requester by the key package it sent, then sends it the Welcome. JoinRequestNotFoundError
   * if the request is not pending here (settled: `settled` says how); CredentialMismatchError
   * if its credential did not verify. Resolves also when another member's add of the
   * requester came first.
   */
  approveJoin: (id: string, options?: { signal?: AbortSignal }) => Promise<void>
  /** Declines a pending request (owner or admin): every member settles it, the requester gets JoinDeclinedError with `reason`. */
  declineJoin: (id: string, reason?: string) => Promise<void>
}

export interface OpenChannelInit extends ChannelInit {
  /** Where the replies to this agent's JoinRequests and LeaveRequests arrive. */
  replies: ControlReplies
  /** The mesh trust requesters' credentials are checked against (undefined: open mode). */
  trust?: MemberTrust
}

export class OpenChannel extends ChannelHandle implements Channel {
  private readonly replies: ControlReplies
  private readonly joins: JoinRequests

  constructor (init: OpenChannelInit) {
    super(init)
    this.replies = init.replies
    this.joins = new JoinRequests({ channel: this, agent: init.agent, trust: init.trust, persist: init.persist })
    this.onStatus(s => {
      if (s.type === 'channel.member.added') void this.joins.memberAdded(s.member).catch(() => {})
      else if (endedBy(s) != null) void this.joins.end(true)
    })
  }

  async start (signal?: AbortSignal): Promise<void> {
    // Before the stream: what a restart kept comes first, then what the stream replays.
    await this.joins.load()
    await super.start(signal)
  }

  async detach (): Promise<void> {
    await this.joins.end(false)
    await super.detach()
  }

  protected async joinTraffic (m: ChannelInbound, seq: number): Promise<void> {
    await this.joins.onStream(m, seq)
  }

  joinRequests (): AsyncIterable<JoinRequestInfo> { return this.joins.stream() }

  pendingJoinRequests (): JoinRequestInfo[] { return this.joins.pending() }

  async approveJoin (id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    options.signal?.throwIfAborted()
    this.checkOpen()
    this.checkRole('add')
    const { info, keyPackage, problem } = this.joins.require(id)
    if (problem != null) throw problem
    if (this.members.includes(info.requester)) { await this.joins.settle(id, 'approved'); return }
    try {
      await runInvite({ agent: this.agent, channel: this, replies: this.replies }, { keyPackage, signal: options.signal })
    } catch (err) {
      // Another owner or admin approved it first: their add came first, ours found a member.
      if (this.members.includes(info.requester)) return
      throw err
    }
  }

  async declineJoin (id: string, reason?: string): Promise<void> {
    this.checkOpen()
    this.checkRole('add')
    await this.joins.decline(id, reason)
  }

  async addMember (keyPackage: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    options.signal?.throwIfAborted()
    this.checkOpen()
    this.checkRole('add')
    await runInvite({ agent: this.agent, channel: this, replies: this.replies }, { keyPackage, signal: options.signal })
  }

  async invite (agentName: string, options: InviteOptions = {}): Promise<void> {
    parseAgentName(agentName)
    options.signal?.throwIfAborted()
    this.checkOpen()
    this.checkRole('add')
    await runInvite({ agent: this.agent, channel: this, replies: this.replies }, { invitee: agentName, timeoutMs: options.timeoutMs, signal: options.signal })
  }

  get discovery (): DiscoveryPolicy { return this.roles?.discovery ?? 'none' }

  async setDiscovery (policy: DiscoveryPolicy): Promise<void> {
    checkDiscoveryPolicy(policy)
    this.checkOpen()
    const roles = this.roles
    if (roles == null) throw new PermissionDeniedError(`${this.name} was made before channels had roles; its discovery policy cannot be set`, 'channel.roles')
    this.checkRole('roles')
    if ((roles.discovery ?? 'none') === policy) return
    await this.commit({ kind: 'roles', roles: { ...roles, discovery: policy } })
  }

  async leave (options: LeaveOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    await runLeave({ agent: this.agent, channel: this, replies: this.replies }, options)
  }
}
