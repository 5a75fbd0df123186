/**
 * The agent API: `connectAgent()` proves the agent's name to a relay and keeps the
 * session up (reconnecting with backoff, to the same relay or the next in the list);
 * `subscribe`, `publish` and `request` move messages.
 *
 * Nothing acknowledged is lost across a reconnect: every publish stays pending until the
 * relay acknowledges it and is sent again on resume (the sequencer de-duplicates by
 * message id), and every subscription resumes from the next sequence number it is owed.
 * With a data directory, the identity key and those positions survive a restart too.
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { createAgentLibp2p } from '../p2p/libp2p-node.js'
import { AgentSessionActor } from '../actors/agent-session.actor.js'
import type { AgentStatus } from '../actors/agent-session.actor.js'
import { agentNameForKey } from '../names/identity.js'
import { isAgentName, parseName, serviceOf } from '../names/names.js'
import type { AgentName } from '../names/names.js'
import { InvalidNameError } from '../names/errors.js'
import { DeliveryMode, MessageType } from '../wire/envelope.pb.js'
import type { Ack, Envelope, Subscribed } from '../wire/envelope.pb.js'
import { ProtocolViolationError } from '../wire/errors.js'
import { toMultiaddr } from '../names/address.js'
import { relayLabel } from '../p2p/dial-error.js'
import { libp2pSessionDialer } from '../p2p/session-dialer.js'
import { DedupWindow, idKey } from '../relay/dedup-window.js'
import { errorFromCode, SessionClosedError, TimeoutError, AuthenticationError, NoRouteError, UnavailableError, AlreadySubscribedError } from '../relay/errors.js'
import { openStore } from '../store/level-store.js'
import { loadOrCreateIdentity } from '../store/identity.js'
import type { Store } from '../store/store.js'
import { Subscription } from './subscription.js'
import { Outbox } from './outbox.js'
import { EnvelopeFactory, MODE_NAMES } from './envelope-factory.js'
import type { DeliveryModeName, Payload } from './envelope-factory.js'
import type { OutboxTicket } from './outbox.js'
import type { Message } from './message.js'
import type { TransitionEvent } from '../node/relay-node.js'
import { AgentChannels } from '../channel/agent-channels.js'
import type { Channel, CreateChannelOptions, JoinChannelOptions } from '../channel/agent-channels.js'
import type { ChannelAgent } from '../channel/agent-port.js'

export type { DeliveryModeName, Payload }

export interface ConnectAgentOptions {
  /** The relay's multiaddr, ending in `/p2p/<peerId>`. */
  relay: string
  /** Further relays to fail over to, in order. */
  relays?: string[]
  /** `org/namespace/service`; the instance is derived from the identity key. */
  name: string
  /** Keeps the identity key and subscription positions across restarts. */
  dataDir?: string
  /** The identity key; by default loaded from `dataDir` or generated. */
  identity?: PrivateKey
  requestTimeoutMs?: number
  publishTimeoutMs?: number
  keepaliveMs?: number
  handshakeTimeoutMs?: number
  /** Session status changes: `session.connected`, `session.reconnecting`, `session.reconnected`, `session.closed`. */
  onStatus?: (status: AgentStatus) => void
  /** Every transition of the agent's actors. */
  inspect?: (event: TransitionEvent) => void
}

export interface PublishOptions {
  mode?: DeliveryModeName
  /**
   * false: fire and forget, like NATS core publish or SLIM's unreliable mode. No relay
   * acknowledges it, nothing is resent after a reconnect, and `publish` resolves once the
   * message is queued (waiting first if the stream to the relay is backed up). Default true.
   */
  ack?: boolean
  metadata?: Record<string, string>
  signal?: AbortSignal
}


export interface PublishResult {
  /** The sequence number the sequencer gave a multicast message. */
  seq?: number
}

interface Pending extends OutboxTicket {
  resolve: (ack: Ack) => void
  reject: (err: Error) => void
  /** When it fails with TimeoutError if no ack came (ms since epoch). */
  deadline: number
}


export class Agent {
  readonly name: AgentName
  private readonly options: ConnectAgentOptions
  private readonly node: Libp2p
  private readonly store: Store
  private readonly session: AgentSessionActor
  private readonly subs = new Map<string, Subscription>()
  private readonly pending = new Map<string, Pending>()
  private readonly requests = new Map<string, { resolve: (m: Message) => void, reject: (e: Error) => void }>()
  private readonly subscribing = new Map<number, { resolve: (s: Subscribed) => void, reject: (e: Error) => void }>()
  private readonly seen = new DedupWindow(8192)
  private readonly activeWaiters: Array<() => void> = []
  private readonly controlListeners = new Set<(env: Envelope) => void>()
  private readonly outbox: Outbox
  private readonly key: PrivateKey
  private channelLayer?: AgentChannels
  private nextRequestId = 1
  private readonly envelopes: EnvelopeFactory
  private sweepTimer?: ReturnType<typeof setInterval>
  private dirtyPositions = false
  private positionTimer?: ReturnType<typeof setTimeout>
  private closed = false

  private constructor (name: AgentName, key: PrivateKey, node: Libp2p, store: Store, options: ConnectAgentOptions) {
    this.name = name
    this.options = options
    this.node = node
    this.store = store
    this.key = key
    this.session = new AgentSessionActor({
      dial: libp2pSessionDialer(node),
      privateKey: key,
      name,
      relays: [options.relay, ...(options.relays ?? [])],
      keepaliveMs: options.keepaliveMs ?? 10_000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      handlers: {
        onEnvelope: (env) => { this.onEnvelope(env) },
        onAck: (ack) => { this.onAck(ack) },
        onSubscribed: (s) => { this.onSubscribed(s) },
        onActive: () => { this.onActive() },
        onStatus: (s) => { options.onStatus?.(s) },
        onTransition: options.inspect == null ? undefined : (actor, from, to, event) => { options.inspect?.({ actor: `agent:${actor}`, from, to, event, at: Date.now() }) }
      }
    })
    this.outbox = new Outbox(this.session)
    internals.set(this, this.makePort())
    this.envelopes = new EnvelopeFactory(name)
  }

  static async connect (options: ConnectAgentOptions): Promise<Agent> {
    // `host:port` or a multiaddr; a bad one fails here (InvalidAddressError), before anything is opened.
    options = { ...options, relay: toMultiaddr(options.relay), relays: options.relays?.map(r => toMultiaddr(r)) }
    const store = await openStore(options.dataDir)
    try {
      const key = options.identity ?? await loadOrCreateIdentity(store)
      const name = agentNameForKey(options.name, key.publicKey)
      const node = await createAgentLibp2p(key)
      const agent = new Agent(name, key, node, store, options)
      // The channel layer listens from the start, so an invitation that arrives before
      // this agent touches any channel is still answered.
      agent.channelLayer = new AgentChannels(agentInternals(agent))
      await agent.firstConnection()
      return agent
    } catch (err) {
      await store.close()
      throw err
    }
  }

  private async firstConnection (): Promise<void> {
    await Promise.race([this.whenActive(), this.session.done])
    if (!this.session.isActive) {
      const e = this.session.error
      await this.node.stop()
      // The dial errors already name the relay and the fix; others get said where.
      const where = relayLabel(this.options.relay)
      const message = e?.message ?? 'session closed'
      throw namedError(e?.name ?? 'UnavailableError', message.includes(where) ? message : `could not connect to ${where}: ${message}`)
    }
  }

  /** The agent's libp2p node (advanced use: its connections, its peer id). */
  get libp2p (): Libp2p { return this.node }

  /** The relay the session is on now. */
  get relay (): string | undefined { return this.session.currentRelay }
  /** The session's state: connecting, handshaking, active, reconnecting, closing, closed. */
  get state (): string { return this.session.state }

  private async whenActive (): Promise<void> {
    if (this.session.isActive) return
    await new Promise<void>(resolve => { this.activeWaiters.push(resolve) })
  }

  private onActive (): void {
    for (const w of this.activeWaiters.splice(0)) w()
    // Resume: renew every subscription from its position, resend every unacked publish.
    for (const sub of this.subs.values()) {
      this.session.sendFrame({ subscribe: { requestId: this.nextRequestId++, name: sub.name, fromSeq: sub.position > 0 ? sub.position : undefined } })
    }
    // What was written before the drop goes again first, in publish order, then what
    // never left the outbox (the sequencer de-duplicates by message id).
    this.outbox.resume(this.pending.values())
  }

  /**
   * Subscribes to `name`: a service or channel (this agent becomes one of its anycast
   * instances, and gets its multicast), or this agent's own full name, its inbox
   * (unicast to it, `inbox()`).
   */
  async subscribe (name: string, options: { fromSeq?: number, signal?: AbortSignal } = {}): Promise<Subscription> {
    this.checkOpen()
    const parsed = parseName(name)
    if (isAgentName(parsed) && name !== this.name) throw new InvalidNameError(`"${name}" is another agent's name; an agent subscribes to services, channels and its own inbox (${this.name})`)
    if (this.subs.has(name)) throw new AlreadySubscribedError(`already subscribed to ${name}; close that subscription first`)
    const sub = new Subscription(name, async (s) => {
      if (this.subs.get(s.name) === s) this.subs.delete(s.name)
      this.session.sendFrame({ unsubscribe: { requestId: this.nextRequestId++, name: s.name } })
    })
    let fromSeq = options.fromSeq
    if (fromSeq == null && name !== this.name) {
      const saved = await this.store.get(`sub/${name}`)
      if (saved != null) fromSeq = Number(new TextDecoder().decode(saved))
    }
    await this.whenActive()
    const requestId = this.nextRequestId++
    const result = new Promise<Subscribed>((resolve, reject) => { this.subscribing.set(requestId, { resolve, reject }) })
    this.subs.set(name, sub)
    this.session.sendFrame({ subscribe: { requestId, name, fromSeq } })
    try {
      const s = await withTimeout(result, this.options.requestTimeoutMs ?? 10_000, `subscribe to ${name}`, options.signal)
      if (s.code !== 0) throw errorFromCode(s.code, s.reason)
      sub.position = s.nextSeq
      // Saved now, not at the first delivery: a subscriber restarted before anything
      // arrived still resumes from here and misses nothing published meanwhile.
      if (s.nextSeq > 0) this.savePositions()
      return sub
    } catch (err) {
      this.subs.delete(name)
      throw err
    } finally {
      this.subscribing.delete(requestId)
    }
  }

  /**
   * This agent's inbox: unicast addressed to its own full name. Without an inbox (or a
   * subscription to its own service name) the relay refuses unicast to this agent with
   * `NoRouteError` rather than acknowledge what nobody reads; replies to its requests and
   * channel control reach it either way.
   */
  async inbox (options: { signal?: AbortSignal } = {}): Promise<Subscription> {
    return await this.subscribe(this.name, options)
  }

  private onSubscribed (s: Subscribed): void {
    const waiter = this.subscribing.get(s.requestId)
    if (waiter != null) { waiter.resolve(s); return }
    // A renewal after a reconnect.
    const sub = this.subs.get(s.name)
    if (sub == null) return
    if (s.code !== 0) sub.end(errorFromCode(s.code, s.reason))
  }

  /**
   * Sends `data` to `name`. Resolves once the relay acknowledges it: for multicast, once
   * the sequencer archived it (with its sequence number); otherwise once the receiving
   * relay handed it to the agent.
   */
  async publish (name: string, data: Payload, options: PublishOptions = {}): Promise<PublishResult> {
    const env = this.envelope(name, data, options)
    if (options.ack === false) {
      this.checkOpen()
      env.noAck = true
      await this.outbox.write(env)
      return {}
    }
    const ack = await this.send(env, options.signal)
    return env.mode === DeliveryMode.MULTICAST ? { seq: ack.seq } : {}
  }

  /** Sends a request to one instance of `name` (or to one named agent) and waits for its reply. */
  async request (name: string, data: Payload, options: PublishOptions & { timeoutMs?: number } = {}): Promise<Message> {
    const env = this.envelope(name, data, options)
    if (env.mode === DeliveryMode.MULTICAST) throw new InvalidNameError('a request goes to one receiver: use anycast or unicast')
    env.expectsReply = true
    this.checkOpen()
    const key = idKey(env.messageId)
    // The relay does not acknowledge a request: its reply does. A failure to route it comes
    // back as an error ack, which rejects the same promise.
    let pending: Pending | undefined
    const reply = new Promise<Message>((resolve, reject) => {
      this.requests.set(key, { resolve, reject })
      pending = { env, resolve: () => {}, reject, deadline: Infinity, written: false }
      this.pending.set(key, pending)
    })
    if (pending != null) this.outbox.track(pending) // if the session is down, it goes out on resume
    try {
      return await withTimeout(reply, options.timeoutMs ?? this.options.requestTimeoutMs ?? 10_000, `request to ${name}`, options.signal)
    } finally {
      this.requests.delete(key)
      this.pending.delete(key)
      if (pending != null) this.outbox.withdraw(pending)
    }
  }

  /** Sends a prepared envelope and waits for its ack (the channel layer's, through its port). */
  private async send (env: Envelope, signal?: AbortSignal): Promise<Ack> {
    this.checkOpen()
    signal?.throwIfAborted()
    const key = idKey(env.messageId)
    const deadline = Date.now() + (this.options.publishTimeoutMs ?? 30_000)
    let pending: Pending | undefined
    const acked = new Promise<Ack>((resolve, reject) => {
      pending = { env, resolve, reject, deadline, written: false }
      this.pending.set(key, pending)
    })
    this.sweepDeadlines()
    let onAbort: (() => void) | undefined
    if (signal != null) {
      onAbort = () => {
        const p = this.pending.get(key)
        if (p == null) return
        this.pending.delete(key)
        this.outbox.withdraw(p)
        p.reject(signal.reason as Error)
      }
      signal.addEventListener('abort', onAbort, { once: true })
    }
    if (pending != null) this.outbox.track(pending) // if the session is down, it goes out on resume
    try {
      return await acked
    } finally {
      if (onAbort != null) signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * One timer for every pending publish (not one each): every quarter second, publishes
   * past their deadline fail with TimeoutError. It stops when nothing is pending.
   */
  private sweepDeadlines (): void {
    if (this.sweepTimer != null) return
    this.sweepTimer = setInterval(() => {
      const now = Date.now()
      const ms = this.options.publishTimeoutMs ?? 30_000
      for (const [key, p] of this.pending) {
        if (p.deadline <= now) {
          this.pending.delete(key)
          p.reject(this.outbox.withdraw(p)
            ? new TimeoutError(`publish to ${p.env.destination} was not sent within ${ms} ms (the session to the relay was down or backed up the whole time); it was not delivered`)
            : new TimeoutError(`publish to ${p.env.destination} was sent but not acknowledged within ${ms} ms`))
        }
      }
      if (this.pending.size === 0) { clearInterval(this.sweepTimer); this.sweepTimer = undefined }
    }, 250)
    this.sweepTimer.unref?.()
  }

  /**
   * Builds an envelope to `name`, checking the name, mode, payload and metadata against
   * the same limits the relay enforces: what the relay would refuse fails here, once,
   * and is never sent.
   */
  private envelope (name: string, payload: Payload, options: PublishOptions = {}): Envelope {
    return this.envelopes.build(name, payload, options)
  }

  private onAck (ack: Ack): void {
    const p = this.pending.get(idKey(ack.messageId))
    if (p == null) return
    this.pending.delete(idKey(ack.messageId))
    if (ack.code === 0) p.resolve(ack)
    else p.reject(errorFromCode(ack.code, ack.reason, ack.epoch))
  }

  private onEnvelope (env: Envelope): void {
    if (env.correlationId.byteLength > 0) {
      const r = this.requests.get(idKey(env.correlationId))
      if (r != null) { r.resolve(this.toMessage(env, env.destination)); return }
    }
    const multicast = env.mode === DeliveryMode.MULTICAST
    if (!multicast && !this.seen.add(env.source + idKey(env.messageId))) return
    if (!multicast && env.type !== MessageType.MSG) {
      // Channel control sent to this agent (Welcome, JoinRequest, ...): the channel layer's.
      for (const l of this.controlListeners) l(env)
      return
    }
    // Unicast to this agent goes to its inbox if open, else to its service's subscription.
    const inbox = !multicast && env.destination === this.name ? this.subs.get(this.name) : undefined
    const subject = inbox != null ? this.name : multicast ? env.destination : serviceOf(env.destination as AgentName)
    const sub = inbox ?? this.subs.get(subject)
    if (sub == null) return
    if (multicast) {
      if (env.seq < sub.position) return // already delivered before a reconnect
      sub.position = env.seq + 1
      this.savePositions()
    }
    sub.push(this.toMessage(env, subject))
  }

  private toMessage (env: Envelope, subject: string): Message {
    const m: Message = {
      data: env.payload,
      source: env.source,
      destination: env.destination,
      subject,
      mode: MODE_NAMES[env.mode] ?? 'anycast',
      metadata: env.metadata,
      type: env.type,
      epoch: env.epoch,
      channelId: env.channelId,
      id: env.messageId
    }
    if (env.mode === DeliveryMode.MULTICAST) m.seq = env.seq
    if (env.expectsReply) {
      m.respond = async (data: Payload) => {
        // At most once: a reply is not acknowledged; if it is lost, the requester's
        // request times out and it can ask again.
        this.checkOpen()
        const reply = this.envelope(env.source, data, { mode: 'unicast' })
        reply.correlationId = env.messageId
        await this.outbox.write(reply)
      }
    }
    return m
  }

  /**
   * Listens to control messages addressed to this agent (anything but `Msg` sent to its
   * own name: `GroupWelcome`, `JoinRequest`, ...). The channel layer's hook.
   */
  private onControl (listener: (env: Envelope) => void): () => void {
    this.controlListeners.add(listener)
    return () => { this.controlListeners.delete(listener) }
  }

  /**
   * The narrow port the channel layer (and the simulations and tests, through
   * `agentInternals`) reach this agent by: its key, store, envelopes and control
   * messages, none of which are part of the public API.
   */
  private makePort (): ChannelAgent {
    return {
      name: this.name,
      identity: this.key,
      storage: this.store,
      envelope: (name, data, options) => this.envelope(name, data, options),
      send: async (env, signal) => await this.send(env, signal),
      subscribe: async (name, options) => await this.subscribe(name, options),
      onControl: (listener) => this.onControl(listener)
    }
  }

  private get channels (): AgentChannels {
    this.checkOpen()
    this.channelLayer ??= new AgentChannels(internals.get(this) as ChannelAgent)
    return this.channelLayer
  }

  /** A fresh MLS key package for this agent, to hand to a channel member who adds it. */
  async keyPackage (options: { cipherSuite?: string } = {}): Promise<Uint8Array> {
    return await this.channels.keyPackage(options)
  }

  /** Creates a channel (one MLS group); this agent is its first member. */
  async createChannel (name: string, options: CreateChannelOptions = {}): Promise<Channel> {
    return await this.channels.createChannel(name, options)
  }

  /** Joins a channel: resolves when a member's Welcome arrives (or this agent's saved state is restored). */
  async joinChannel (name: string, options: JoinChannelOptions = {}): Promise<Channel> {
    return await this.channels.joinChannel(name, options)
  }

  private savePositions (): void {
    if (this.options.dataDir == null) return
    this.dirtyPositions = true
    if (this.positionTimer != null) return
    this.positionTimer = setTimeout(() => { this.positionTimer = undefined; void this.flushPositions() }, 100)
  }

  private async flushPositions (): Promise<void> {
    if (!this.dirtyPositions) return
    this.dirtyPositions = false
    const enc = new TextEncoder()
    for (const sub of this.subs.values()) {
      if (sub.position > 0) await this.store.put(`sub/${sub.name}`, enc.encode(String(sub.position))).catch(() => {})
    }
  }

  private checkOpen (): void {
    if (this.closed) throw new SessionClosedError(`agent ${this.name} is closed`)
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.positionTimer != null) clearTimeout(this.positionTimer)
    if (this.sweepTimer != null) clearInterval(this.sweepTimer)
    await this.flushPositions()
    for (const sub of this.subs.values()) sub.end()
    this.subs.clear()
    const err = new SessionClosedError(`agent ${this.name} closed`)
    for (const p of this.pending.values()) p.reject(err)
    this.outbox.close(err)
    for (const r of this.requests.values()) r.reject(err)
    for (const w of this.activeWaiters.splice(0)) w()
    await this.channelLayer?.close()
    await this.session.close()
    await this.node.stop()
    await this.store.close()
  }

  async [Symbol.asyncDispose] (): Promise<void> { await this.close() }
}


async function withTimeout<T> (p: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => { reject(new TimeoutError(`${what} timed out after ${ms} ms`)) }, ms)
        if (signal != null) {
          if (signal.aborted) reject(signal.reason as Error)
          onAbort = () => { reject(signal.reason as Error) }
          signal.addEventListener('abort', onAbort, { once: true })
        }
      })
    ])
  } finally {
    clearTimeout(timer)
    if (onAbort != null) signal?.removeEventListener('abort', onAbort)
  }
}

function namedError (name: string, message: string): Error {
  switch (name) {
    case 'AuthenticationError': return new AuthenticationError(message)
    case 'InvalidNameError': return new InvalidNameError(message)
    case 'TimeoutError': return new TimeoutError(message)
    case 'NoRouteError': return new NoRouteError(message)
    case 'ProtocolViolationError': return new ProtocolViolationError(message)
    default: { const e = new UnavailableError(message); if (name !== 'Error') e.name = name; return e }
  }
}

/** Each agent's port (see `Agent.makePort`), kept outside the class so it is not public. */
const internals = new WeakMap<Agent, ChannelAgent>()

/**
 * An agent's internals: its key, store, envelope builder, raw send and control messages.
 * For the channel layer, the simulations and tests; not exported from the package.
 */
export function agentInternals (agent: Agent): ChannelAgent {
  const port = internals.get(agent)
  if (port == null) throw new TypeError('not an agent made by connectAgent')
  return port
}

export async function connectAgent (options: ConnectAgentOptions): Promise<Agent> {
  return await Agent.connect(options)
}
