/**
 * The agent API: `connectAgent()` proves the agent's name to a relay and keeps the
 * session up (reconnecting with backoff, to the same relay or the next in the list);
 * `subscribe`, `publish` and `request` move messages.
 *
 * Nothing acknowledged is lost across a reconnect: every publish stays pending until the
 * relay acknowledges it and is sent again on resume (the sequencer de-duplicates by
 * message id), and every subscription resumes from the next sequence number it is owed.
 * With a data directory, the identity key and those positions survive a restart too.
 *
 * The `Agent` is a facade: that logic is the sans-IO `AgentCore` (./agent-core.ts), which
 * the simulations run too; the `AgentSessionActor` (src/actors/agent-session.actor.ts)
 * is its session, over libp2p.
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { createAgentLibp2p } from '../p2p/libp2p-node.js'
import { AgentSessionActor } from '../actors/agent-session.actor.js'
import type { AgentStatus } from '../actors/agent-session.actor.js'
import { agentNameForKey } from '../names/identity.js'
import type { AgentName } from '../names/names.js'
import { parseServiceName } from '../names/names.js'
import { InvalidNameError } from '../names/errors.js'
import { DeliveryMode } from '../wire/envelope.pb.js'
import type { Envelope } from '../wire/envelope.pb.js'
import { ProtocolViolationError } from '../wire/errors.js'
import { toMultiaddr } from '../names/address.js'
import { relayLabel } from '../p2p/dial-error.js'
import { libp2pSessionDialer } from '../p2p/session-dialer.js'
import { systemClock } from '../relay/clock.js'
import { TimeoutError, AuthenticationError, NoRouteError, UnavailableError } from '../relay/errors.js'
import { openStore } from '../store/level-store.js'
import { loadOrCreateIdentity } from '../store/identity.js'
import { agentTrust } from '../trust/agent-credentials.js'
import type { AgentTrust } from '../trust/agent-credentials.js'
import { readCredentials } from '../trust/credentials-file.js'
import type { AgentCredentials } from '../trust/credentials-file.js'
import { TrustConfigError } from '../trust/errors.js'
import type { Store } from '../store/store.js'
import { Subscription } from './subscription.js'
import { AgentCore } from './agent-core.js'
import { storePositions } from './positions.js'
import type { SessionPort } from './session-port.js'
import { EnvelopeFactory, MODE_NAMES } from './envelope-factory.js'
import type { DeliveryModeName, Payload } from './envelope-factory.js'
import type { Message } from './message.js'
import type { TransitionEvent } from '../node/relay-node.js'
import { AgentChannels } from '../channel/agent-channels.js'
import type { Channel, CreateChannelOptions, JoinChannelOptions, RequestToJoinOptions } from '../channel/agent-channels.js'
import type { ChannelAgent } from '../channel/agent-port.js'
import { discoverChannel } from '../channel/discovery.js'
import type { ChannelDirectory, DiscoverOptions } from '../channel/discovery.js'
import { listSavedChannels } from '../channel/saved-channels.js'
import type { SavedChannel } from '../channel/saved-channels.js'

export type { DeliveryModeName, Payload }

export interface ConnectAgentOptions {
  /** The relay's multiaddr, ending in `/p2p/<peerId>`. */
  relay: string
  /** Further relays to fail over to, in order. */
  relays?: string[]
  /**
   * `org/namespace/service`; the instance is derived from the identity key. It may be
   * left out when `credentials` is one agent's credential (the name is the one it grants).
   */
  name?: string
  /**
   * What the agent proves its name with (src/trust): one agent's credential (with its
   * key), or an issuer's, which signs a credential for `name` and this agent's key. A
   * path is read as a credentials file. Without it the agent presents no credential,
   * which only a relay in open mode admits.
   */
  credentials?: AgentCredentials | string
  /**
   * With an issuer's credentials: how long each credential the agent signs itself lives,
   * in seconds (default 12 hours). When one expires, the relay cuts the session and the
   * agent reconnects with a fresh one; subscriptions resume, nothing acknowledged is lost.
   */
  credentialLifetime?: number
  /** Keeps the identity key and subscription positions across restarts. */
  dataDir?: string
  /** The identity key; by default loaded from `dataDir` or generated. */
  identity?: PrivateKey
  requestTimeoutMs?: number
  publishTimeoutMs?: number
  /**
   * The keepalive tick, default 750 ms: a tick that heard nothing from the relay (any
   * frame counts) sends a ping, and four such ticks in a row give the relay up as hung
   * (after 2.25 to 3.75 s of silence with the default): the agent moves on to the next
   * relay in `relays` and resumes there. The relay hears a ping at least every two ticks.
   */
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

export class Agent {
  readonly name: AgentName
  private readonly options: ConnectAgentOptions
  private readonly node: Libp2p
  private readonly store: Store
  private readonly session: AgentSessionActor
  /** Pending acks, requests, positions, de-duplication and control: ./agent-core.ts. */
  private readonly core: AgentCore<Subscription>
  private readonly key: PrivateKey
  private channelLayer?: AgentChannels
  /** The agent's credentials, resolved (undefined in open mode). */
  private readonly trust?: AgentTrust
  /** Signed revocations the relay passed on, and who listens for them. */
  private readonly revocations = new Set<string>()
  private readonly revocationListeners = new Set<(revocations: string[]) => void>()
  /** The first connection succeeded (later failures end the agent's subscriptions instead of `connectAgent`). */
  private established = false
  private readonly envelopes: EnvelopeFactory

  private constructor (name: AgentName, key: PrivateKey, node: Libp2p, store: Store, options: ConnectAgentOptions, trust?: AgentTrust) {
    this.name = name
    this.trust = trust
    this.options = options
    this.node = node
    this.store = store
    this.key = key
    this.session = new AgentSessionActor({
      dial: libp2pSessionDialer(node),
      privateKey: key,
      name,
      credential: trust?.credential,
      renewable: trust?.renewable,
      relays: [options.relay, ...(options.relays ?? [])],
      keepaliveMs: options.keepaliveMs ?? 750,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      handlers: {
        onEnvelope: (env) => { this.core.envelopeArrived(env) },
        onAck: (ack) => { this.core.ackArrived(ack) },
        onSubscribed: (s) => { this.core.subscribed(s) },
        onRevocations: (list) => {
          const fresh = list.filter(r => !this.revocations.has(r))
          for (const r of fresh) this.revocations.add(r)
          if (fresh.length > 0) for (const fn of this.revocationListeners) fn(fresh)
        },
        onActive: () => { this.core.sessionActive() },
        onStatus: (s) => {
          // Both follow the session's dropConnection (src/machines/agent-session.machine.ts).
          if (s.type === 'session.reconnecting' || s.type === 'session.closed') this.core.sessionDown()
          // Closed for good by the relay (a refused or revoked credential): subscriptions end with the reason.
          if (s.type === 'session.closed' && s.error != null && this.established) void this.core.close(namedError(s.error.name, s.error.message))
          options.onStatus?.(s)
        },
        onTransition: options.inspect == null ? undefined : (actor, from, to, event) => { options.inspect?.({ actor: `agent:${actor}`, from, to, event, at: Date.now() }) }
      }
    })
    this.core = new AgentCore<Subscription>({
      name,
      port: sessionPort(this.session),
      clock: systemClock,
      positions: storePositions(store, options.dataDir != null),
      publishTimeoutMs: options.publishTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      handlers: {
        deliver: (sub, env, subject) => { sub.push(this.toMessage(env, subject)) },
        end: (sub, err) => { sub.end(err) }
      }
    })
    internals.set(this, this.makePort())
    this.envelopes = new EnvelopeFactory(name)
  }

  static async connect (options: ConnectAgentOptions): Promise<Agent> {
    // `host:port` or a multiaddr; a bad one fails here (InvalidAddressError), before anything is opened.
    options = { ...options, relay: toMultiaddr(options.relay), relays: options.relays?.map(r => toMultiaddr(r)) }
    const store = await openStore(options.dataDir)
    try {
      const creds = typeof options.credentials === 'string' ? await readAgentCredentials(options.credentials) : options.credentials
      const trust = creds == null
        ? undefined
        : await agentTrust(creds, { name: options.name, lifetimeSeconds: options.credentialLifetime, key: creds.kind === 'slim-mesh/agent' && creds.key != null ? undefined : options.identity ?? await loadOrCreateIdentity(store) })
      const key = trust?.key ?? options.identity ?? await loadOrCreateIdentity(store)
      const base = trust?.name ?? options.name
      if (base == null) throw new InvalidNameError('the agent needs a name (org/namespace/service), or credentials that grant one')
      const name = agentNameForKey(base, key.publicKey)
      const node = await createAgentLibp2p(key)
      const agent = new Agent(name, key, node, store, options, trust)
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
    await Promise.race([this.core.whenActive(), this.session.done])
    this.established = this.session.isActive
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

  /**
   * Hands a signed revocation (`slim-mesh credential revoke`) to the relay, which checks
   * it, keeps it and passes it to every relay of the mesh. Resolves once the relay has
   * taken it; a `TimeoutError` if it does not within `timeoutMs` (a revocation it cannot
   * verify is not taken: its log says why).
   */
  async revoke (revocation: string, options: { timeoutMs?: number } = {}): Promise<void> {
    this.core.checkOpen()
    const taken = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new TimeoutError(`the relay did not take the revocation within ${options.timeoutMs ?? 5000} ms; it may not verify (see the relay's log)`)) }, options.timeoutMs ?? 5000)
      const listener = (list: string[]): void => { if (list.includes(revocation)) { clearTimeout(timer); off(); resolve() } }
      const off = (): void => { this.revocationListeners.delete(listener) }
      this.revocationListeners.add(listener)
    })
    // Known already: the relay says so by passing it back all the same.
    this.revocations.delete(revocation)
    if (!this.session.sendFrame({ revocations: [revocation] })) throw new UnavailableError('the session to the relay is not up')
    await taken
  }

  /**
   * Subscribes to `name`: a service or channel (this agent becomes one of its anycast
   * instances, and gets its multicast), or this agent's own full name, its inbox
   * (unicast to it, `inbox()`).
   */
  async subscribe (name: string, options: { fromSeq?: number, signal?: AbortSignal } = {}): Promise<Subscription> {
    this.core.checkOpen()
    const sub = new Subscription(name, async (s) => { this.core.unsubscribe(s) })
    await this.core.subscribe(sub, options)
    return sub
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

  /**
   * Sends `data` to `name`. Resolves once the relay acknowledges it: for multicast, once
   * the sequencer archived it (with its sequence number); otherwise once the receiving
   * relay handed it to the agent.
   */
  async publish (name: string, data: Payload, options: PublishOptions = {}): Promise<PublishResult> {
    const env = this.envelope(name, data, options)
    if (options.ack === false) {
      env.noAck = true
      await this.core.write(env)
      return {}
    }
    const ack = await this.core.send(env, options.signal)
    return env.mode === DeliveryMode.MULTICAST ? { seq: ack.seq } : {}
  }

  /** Sends a request to one instance of `name` (or to one named agent) and waits for its reply. */
  async request (name: string, data: Payload, options: PublishOptions & { timeoutMs?: number } = {}): Promise<Message> {
    const env = this.envelope(name, data, options)
    const reply = await this.core.request(env, { timeoutMs: options.timeoutMs, signal: options.signal })
    return this.toMessage(reply, reply.destination)
  }

  /**
   * Builds an envelope to `name`, checking the name, mode, payload and metadata against
   * the same limits the relay enforces: what the relay would refuse fails here, once,
   * and is never sent.
   */
  private envelope (name: string, payload: Payload, options: PublishOptions = {}): Envelope {
    return this.envelopes.build(name, payload, options)
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
        this.core.checkOpen()
        const reply = this.envelope(env.source, data, { mode: 'unicast' })
        reply.correlationId = env.messageId
        await this.core.write(reply)
      }
    }
    return m
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
      authority: this.trust?.authority,
      credential: this.trust?.credential,
      revocations: () => [...this.revocations],
      onRevocations: (listener) => { this.revocationListeners.add(listener); return () => { this.revocationListeners.delete(listener) } },
      storage: this.store,
      envelope: (name, data, options) => this.envelope(name, data, options),
      send: async (env, signal) => await this.core.send(env, signal),
      subscribe: async (name, options) => await this.subscribe(name, options),
      onControl: (listener) => this.core.onControl(listener)
    }
  }

  private get channels (): AgentChannels {
    this.core.checkOpen()
    this.channelLayer ??= new AgentChannels(internals.get(this) as ChannelAgent)
    return this.channelLayer
  }

  /**
   * The channels saved in this agent's data directory (none without one): those
   * `joinChannel` restores at once instead of waiting for a Welcome.
   */
  async savedChannels (): Promise<SavedChannel[]> {
    this.core.checkOpen()
    return await listSavedChannels(this.store)
  }

  /** A fresh MLS key package for this agent, to hand to a channel member who adds it. */
  async keyPackage (options: { cipherSuite?: string } = {}): Promise<Uint8Array> {
    return await this.channels.keyPackage(options)
  }

  /** Creates a channel (one MLS group); this agent is its first member. */
  async createChannel (name: string, options: CreateChannelOptions = {}): Promise<Channel> {
    return await this.channels.createChannel(name, options)
  }

  /**
   * Asks the channel `name` who is in it (src/channel/discovery.ts): a member gets the
   * member list with roles and the epoch; anyone else what the channel's discovery policy
   * allows (`DiscoveryRefusedError` under `none`, the default). `DiscoveryTimeoutError` if
   * no member answers within `timeoutMs` (default 5 s); `NameClosedError` if the name was
   * closed. The channel need not be open here, nor this agent a member.
   */
  async discoverChannel (name: string, options: DiscoverOptions = {}): Promise<ChannelDirectory> {
    this.core.checkOpen()
    parseServiceName(name)
    return await discoverChannel(internals.get(this) as ChannelAgent, name, options)
  }

  /** Joins a channel: resolves when a member's Welcome arrives (or this agent's saved state is restored). */
  async joinChannel (name: string, options: JoinChannelOptions = {}): Promise<Channel> {
    return await this.channels.joinChannel(name, options)
  }

  /**
   * Asks to join a channel this agent is not a member of: a JoinRequest with a fresh key
   * package (and `note`) goes to the channel, where its owner and admins see it
   * (`channel.joinRequests()`) and approve or decline it. Resolves with the open channel
   * once approved and joined; JoinDeclinedError (`by`, `reason`) if declined,
   * JoinRequestTimeoutError if nobody answers within `timeoutMs` (default 60 s).
   * Needs the grant to publish multicast to the channel's name.
   */
  async requestToJoin (name: string, options: RequestToJoinOptions = {}): Promise<Channel> {
    return await this.channels.requestToJoin(name, options)
  }

  async close (): Promise<void> {
    if (this.core.closed) return
    await this.core.close()
    await this.channelLayer?.close()
    await this.session.close()
    await this.node.stop()
    await this.store.close()
  }

  async [Symbol.asyncDispose] (): Promise<void> { await this.close() }
}

/** The session port of the agent core (./session-port.ts), over the libp2p session. */
function sessionPort (session: AgentSessionActor): SessionPort {
  return {
    get backlogged () { return session.backlogged },
    whenWritable: async () => { await session.whenWritable() },
    send: (env) => session.send(env),
    subscribe: (request) => session.sendFrame({ subscribe: request }),
    unsubscribe: (request) => session.sendFrame({ unsubscribe: request })
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

/** An agent's credentials file (`TrustConfigError` if it holds something else, such as the authority). */
async function readAgentCredentials (path: string): Promise<AgentCredentials> {
  const file = await readCredentials(path)
  if (file.kind !== 'slim-mesh/agent' && file.kind !== 'slim-mesh/issuer') throw new TrustConfigError(`${path} is a ${file.kind} file; an agent connects with an agent credential or an issuer's credentials`)
  return file
}
