/**
 * An agent's channels: MLS groups on the mesh (issue: Channels). Key packages, create,
 * join (from a Welcome, or restored from the data directory), and the unicast control
 * traffic of channels as the one asked: a `GroupWelcome` to join by, a `JoinRequest` to
 * answer with a key package, a `LeaveRequest` to answer by removing its sender. The
 * asking side of invitations and leaving is a machine each (./open-channel.ts); their
 * replies are routed here to them (./control-replies.ts). Asking to join a channel
 * (`requestToJoin`, ./channel-join-request.actor.ts) waits for its Welcome here too.
 *
 * Who may do what: the relay stamps every envelope's `source` with the name the sender
 * proved (src/relay/relay-core.ts), so a LeaveRequest or GroupClose is honoured only
 * when its source is a member in the MLS tree; a JoinReply's key package must carry a
 * credential for exactly the invited name, bound to that name's key. The channel's roles
 * (./roles.ts) say who may add, remove, close and change roles.
 *
 * With trust on (the agent has a mesh authority) members' credentials carry their
 * signed agent credentials, checked against the authority and the revocations the relay
 * passes on (./member-trust.ts); when a revocation arrives, each channel's owner (or
 * first admin still a member) removes the members it revokes, in one commit.
 */
import { toString } from 'uint8arrays'
import type { ChannelAgent } from './agent-port.js'
import { parseServiceName } from '../names/names.js'
import { LevelStore } from '../store/level-store.js'
import { MessageType } from '../wire/envelope.pb.js'
import type { Envelope } from '../wire/envelope.pb.js'
import type { ChannelMessage } from './channel.js'
import { ControlReplies } from './control-replies.js'
import { ChannelClosedError, ChannelExistsError, JoinFailedError } from './errors.js'
import { OpenChannel } from './open-channel.js'
import type { Channel, InviteOptions, LeaveOptions } from './open-channel.js'
import { MlsGroup } from './group.js'
import { DEFAULT_KEY_RETENTION } from './group-config.js'
import type { KeyRetention, LocalMember } from './group-config.js'
import { decodeWelcome, welcomeRecipients } from './mls-codec.js'
import { KeyPackages } from './key-packages.js'
import { MemberTrust } from './member-trust.js'
import { channelSuite } from './suites.js'
import { decodeRecord, recordKey } from './records.js'
import type { ChannelStatus } from './status.js'
import { runJoinRequest } from './channel-join-request.actor.js'
import type { RequestToJoinOptions } from './channel-join-request.actor.js'
import { JOIN_ASK, META_JOIN } from './join-requests.js'
import { checkDiscoveryPolicy } from './discovery.js'
import type { DiscoveryPolicy } from './discovery.js'

export interface CreateChannelOptions {
  /** An MLS cipher suite name (see CHANNEL_SUITES); default MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519. */
  cipherSuite?: string
  /** How long old keys are kept (forward secrecy); default DEFAULT_KEY_RETENTION (1 old epoch). */
  keyRetention?: Partial<KeyRetention>
  /** What agents outside the channel learn when they ask who is in it (./discovery.ts); default `none`. The owner changes it with `setDiscovery`. */
  discovery?: DiscoveryPolicy
}

export interface JoinChannelOptions {
  signal?: AbortSignal
  /** Suite of the key package handed out when answering an invitation (the inviter's request names it otherwise). */
  cipherSuite?: string
  /** Give up waiting for a Welcome after this long (default: wait until `signal` aborts). */
  timeoutMs?: number
  keyRetention?: Partial<KeyRetention>
}

export type { Channel, ChannelMessage, ChannelStatus, InviteOptions, LeaveOptions, RequestToJoinOptions }

interface JoinWaiter { name: string, wake: () => void }

const CONTROL_BUFFER = 64
const HELD_REQUEST_MS = 60_000
const dec = new TextDecoder()

export class AgentChannels {
  private readonly agent: ChannelAgent
  private readonly open = new Map<string, OpenChannel>()
  private readonly opening = new Set<string>()
  private readonly keyPackages: KeyPackages
  private readonly welcomes: Envelope[] = []
  private readonly joinRequests: Array<{ env: Envelope, at: number }> = []
  private readonly joinWaiters = new Set<JoinWaiter>()
  private readonly replies = new ControlReplies()
  private readonly offControl: () => void
  private readonly offRevocations: () => void
  /** The mesh trust members are checked against (undefined: open mode). */
  readonly trust?: MemberTrust
  private closed = false

  constructor (agent: ChannelAgent) {
    this.agent = agent
    this.trust = agent.authority != null ? new MemberTrust(agent.authority, agent.revocations()) : undefined
    this.keyPackages = new KeyPackages(agent, this.persist, async () => await this.member())
    this.offControl = agent.onControl(env => { this.onControl(env) })
    this.offRevocations = agent.onRevocations(list => { void this.onRevocations(list) })
  }

  private get persist (): boolean { return this.agent.storage instanceof LevelStore }

  /** This agent as a channel member: its name, key and (trust on) the agent credential its MLS credential carries. */
  private async member (): Promise<LocalMember> {
    const credential = this.trust != null && this.agent.credential != null ? await this.agent.credential() : undefined
    return { name: this.agent.name, identity: this.agent.identity, credential }
  }

  /** Revocations the relay passed on: verified, then each open channel removes the members they revoke (if it is its duty). */
  private async onRevocations (list: string[]): Promise<void> {
    if (this.trust == null || this.closed) return
    if (await this.trust.addRevocations(list) === 0) return
    // A removal that fails (the channel ended, the commit was refused) is retried at the next revocation or restart.
    for (const ch of [...this.open.values()]) await ch.removeRevoked().catch(() => {})
  }

  /** A fresh key package (an encoded MLSMessage); its private part stays here until a Welcome uses it. */
  async keyPackage (options: { cipherSuite?: string } = {}): Promise<Uint8Array> {
    return await this.keyPackages.make(channelSuite(options.cipherSuite))
  }

  async createChannel (name: string, options: CreateChannelOptions = {}): Promise<Channel> {
    parseServiceName(name)
    const suite = channelSuite(options.cipherSuite)
    this.claim(name)
    try {
      if (this.persist && await this.agent.storage.get(recordKey(name)) != null) {
        throw new ChannelExistsError(`${this.agent.name} is already a member of ${name} (saved in its data directory); use joinChannel to open it`)
      }
      const retention = { ...DEFAULT_KEY_RETENTION, ...options.keyRetention }
      const group = await MlsGroup.create(name, await this.member(), suite, retention, this.trust, checkDiscoveryPolicy(options.discovery))
      return await this.startChannel(name, group, 0, 0, false)
    } finally {
      this.opening.delete(name)
    }
  }

  async joinChannel (name: string, options: JoinChannelOptions = {}): Promise<Channel> {
    parseServiceName(name)
    const already = this.open.get(name)
    if (already != null) return already
    this.claim(name)
    try {
      const retention = { ...DEFAULT_KEY_RETENTION, ...options.keyRetention }
      const saved = await this.agent.storage.get(recordKey(name))
      if (saved != null) {
        const r = decodeRecord(saved, name)
        const group = await MlsGroup.decode(r.state, channelSuite(r.suite), this.agent.name, r.retention, this.trust)
        if (!group.active) {
          await this.agent.storage.del(recordKey(name))
          throw new ChannelClosedError(`${this.agent.name} was removed from ${name}`, 'removed')
        }
        return await this.startChannel(name, group, r.position, r.wireEpoch, true, options.signal)
      }
      return await this.awaitWelcome(name, retention, options)
    } finally {
      this.opening.delete(name)
    }
  }

  /**
   * Asks the members of `name` to let this agent join: resolves with the open channel once
   * an owner or admin approved and its Welcome was joined; JoinDeclinedError or
   * JoinRequestTimeoutError otherwise (./channel-join-request.actor.ts).
   */
  async requestToJoin (name: string, options: RequestToJoinOptions & { keyRetention?: Partial<KeyRetention> } = {}): Promise<Channel> {
    parseServiceName(name)
    this.claim(name)
    try {
      if (this.persist && await this.agent.storage.get(recordKey(name)) != null) {
        throw new ChannelExistsError(`${this.agent.name} is already a member of ${name} (saved in its data directory); use joinChannel to open it`)
      }
      const retention = { ...DEFAULT_KEY_RETENTION, ...options.keyRetention }
      return await runJoinRequest({
        agent: this.agent,
        replies: this.replies,
        keyPackage: async suite => await this.keyPackage({ cipherSuite: suite }),
        onWelcome: (channel, wake) => {
          const waiter: JoinWaiter = { name: channel, wake }
          this.joinWaiters.add(waiter)
          return () => { this.joinWaiters.delete(waiter) }
        },
        hasWelcome: channel => this.welcomes.some(w => w.channelId === channel),
        joinFromWelcomes: async channel => await this.joinFromWelcomes(channel, retention)
      }, name, options)
    } finally {
      this.opening.delete(name)
    }
  }

  /** Joins from the Welcomes to `name` received so far: the first usable one; undefined if none is for us, or the last one's error. */
  private async joinFromWelcomes (name: string, retention: KeyRetention): Promise<OpenChannel | undefined> {
    let lastError: Error | undefined
    for (;;) {
      if (this.closed) throw new ChannelClosedError(`agent ${this.agent.name} closed`, 'closed')
      const i = this.welcomes.findIndex(w => w.channelId === name)
      if (i < 0) break
      try {
        const ch = await this.joinFromWelcome(name, this.welcomes.splice(i, 1)[0] as Envelope, retention)
        if (ch != null) return ch
      } catch (err) {
        lastError = err as Error
      }
    }
    if (lastError != null) throw new JoinFailedError(`no usable Welcome to ${name} came: ${lastError.message}`, { cause: lastError })
    return undefined
  }

  private claim (name: string): void {
    if (this.closed) throw new ChannelClosedError(`agent ${this.agent.name} is closed`, 'closed')
    if (this.open.has(name) || this.opening.has(name)) throw new ChannelExistsError(`${this.agent.name} already has ${name} open`)
    this.opening.add(name)
  }

  private async startChannel (name: string, group: MlsGroup, position: number, wireEpoch: number, restored: boolean, signal?: AbortSignal): Promise<OpenChannel> {
    const ch: OpenChannel = new OpenChannel({
      agent: this.agent,
      replies: this.replies,
      name,
      group,
      position,
      wireEpoch,
      persist: this.persist,
      trust: this.trust,
      restored,
      onEnd: () => { if (this.open.get(name) === ch) this.open.delete(name) }
    })
    try {
      await ch.start(signal)
    } catch (err) {
      await ch.detach()
      throw err
    }
    this.open.set(name, ch)
    // Revocations seen before this channel opened (a restart, a join): removed now if it is this member's duty.
    if (this.trust != null) void ch.removeRevoked().catch(() => {})
    return ch
  }

  /** Waits for a Welcome to `name` addressed to a key package held here; answers invitations meanwhile. */
  private async awaitWelcome (name: string, retention: KeyRetention, options: JoinChannelOptions): Promise<Channel> {
    let lastError: Error | undefined
    let wake: () => void = () => {}
    const waiter: JoinWaiter = { name, wake: () => { wake() } }
    this.joinWaiters.add(waiter)
    const signals = [options.signal, options.timeoutMs != null ? AbortSignal.timeout(options.timeoutMs) : undefined].filter(s => s != null)
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined
    try {
      // Invitations that came before this call. Answered without waiting: the relay does
      // not acknowledge a reply (src/relay/relay-core.ts), and the Welcome may come meanwhile.
      // An answer that cannot be sent leaves the inviter to time out, which it reports.
      for (const r of this.joinRequests.filter(r => r.env.channelId === name)) void this.answerJoinRequest(r.env, options.cipherSuite).catch(() => {})
      for (;;) {
        signal?.throwIfAborted()
        if (this.closed) throw new ChannelClosedError(`agent ${this.agent.name} closed`, 'closed')
        const i = this.welcomes.findIndex(w => w.channelId === name)
        if (i >= 0) {
          const env = this.welcomes.splice(i, 1)[0] as Envelope
          try {
            const ch = await this.joinFromWelcome(name, env, retention, signal)
            if (ch != null) return ch
          } catch (err) {
            lastError = err as Error
          }
          continue
        }
        await new Promise<void>((resolve, reject) => {
          wake = resolve
          signal?.addEventListener('abort', () => { reject(signal.reason as Error) }, { once: true })
        })
      }
    } catch (err) {
      if (lastError != null && (err as Error).name !== 'ChannelClosedError') throw new JoinFailedError(`no usable Welcome to ${name} came: ${lastError.message}`, { cause: lastError })
      if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') throw new JoinFailedError(`no Welcome to ${name} came before the join was given up`, { cause: err })
      throw err
    } finally {
      this.joinWaiters.delete(waiter)
    }
  }

  private async joinFromWelcome (name: string, env: Envelope, retention: KeyRetention, signal?: AbortSignal): Promise<OpenChannel | undefined> {
    const welcome = decodeWelcome(env.payload)
    for (const ref of welcomeRecipients(welcome)) {
      const hex = toString(ref, 'base16')
      const held = await this.keyPackages.get(hex)
      if (held == null) continue
      const group = await MlsGroup.join(welcome, held.publicPackage, held.privatePackage, this.agent.name, retention, this.trust)
      if (group.groupId !== name) throw new JoinFailedError(`Welcome sent as ${name} is for group ${group.groupId}`)
      await this.keyPackages.drop(hex)
      const seq = Number(env.metadata.get('seq') ?? NaN)
      if (!Number.isSafeInteger(seq) || seq < 1) throw new JoinFailedError(`Welcome to ${name} does not say at which sequence number the channel joined`)
      return await this.startChannel(name, group, seq, env.epoch, false, signal)
    }
    return undefined
  }

  // ---- control traffic ----

  private onControl (env: Envelope): void {
    switch (env.type) {
      case MessageType.GROUP_WELCOME:
        push(this.welcomes, env)
        for (const w of this.joinWaiters) if (w.name === env.channelId) w.wake()
        return
      case MessageType.JOIN_REQUEST: {
        // An ask to join goes multicast to a channel's members (./join-requests.ts), never to an invitee.
        if (env.metadata.get(META_JOIN) === JOIN_ASK) return
        const now = Date.now()
        while (this.joinRequests.length > 0 && now - (this.joinRequests[0]?.at ?? now) > HELD_REQUEST_MS) this.joinRequests.shift()
        // An answer that cannot be sent leaves the inviter to time out, which it reports.
        if ([...this.joinWaiters].some(w => w.name === env.channelId)) void this.answerJoinRequest(env).catch(() => {})
        else push(this.joinRequests, { env, at: now })
        return
      }
      case MessageType.JOIN_REPLY:
      case MessageType.LEAVE_REPLY:
        this.replies.deliver(env)
        return
      case MessageType.LEAVE_REQUEST:
        // A reply that cannot be sent leaves the leaver to time out and ask the next member.
        void this.onLeaveRequest(env).catch(() => {})
    }
  }

  private async answerJoinRequest (req: Envelope, suite?: string): Promise<void> {
    const i = this.joinRequests.findIndex(r => r.env === req)
    if (i >= 0) this.joinRequests.splice(i, 1)
    let asked: string | undefined
    // A request without a readable suite gets a key package for the joiner's own suite.
    try { asked = (JSON.parse(dec.decode(req.payload)) as { suite?: string }).suite } catch {}
    const reply = this.agent.envelope(req.source, new Uint8Array(0), { mode: 'unicast' })
    reply.type = MessageType.JOIN_REPLY
    reply.channelId = req.channelId
    reply.correlationId = req.messageId
    try {
      reply.payload = await this.keyPackage({ cipherSuite: asked ?? suite }) as Uint8Array<ArrayBuffer>
      reply.metadata.set('status', 'accepted')
    } catch (err) {
      reply.metadata.set('status', 'declined')
      reply.metadata.set('reason', (err as Error).message)
    }
    await this.agent.send(reply)
  }

  private async onLeaveRequest (req: Envelope): Promise<void> {
    const ch = this.open.get(req.channelId)
    const reply = this.agent.envelope(req.source, new Uint8Array(0), { mode: 'unicast' })
    reply.type = MessageType.LEAVE_REPLY
    reply.channelId = req.channelId
    reply.correlationId = req.messageId
    try {
      if (ch == null) throw new ChannelClosedError(`${this.agent.name} has no open channel ${req.channelId}`, 'closed')
      ch.requireMember(req.source)
      await ch.removeMember(req.source)
      reply.metadata.set('status', 'removed')
    } catch (err) {
      if ((err as Error).name === 'MemberNotFoundError' && ch != null && !ch.members.includes(req.source)) reply.metadata.set('status', 'removed')
      else { reply.metadata.set('status', 'refused'); reply.metadata.set('reason', (err as Error).message) }
    }
    await this.agent.send(reply)
  }

  /** Stops every channel handle (their states stay saved); called when the agent closes. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.offControl()
    this.offRevocations()
    for (const w of this.joinWaiters) w.wake()
    for (const ch of [...this.open.values()]) await ch.detach()
    this.open.clear()
  }
}

function push<T> (list: T[], item: T): void {
  list.push(item)
  if (list.length > CONTROL_BUFFER) list.shift()
}
