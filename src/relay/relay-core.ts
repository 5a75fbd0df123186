/**
 * The relay's data plane, free of any transport: it is told what arrived (an agent's
 * envelope, a link frame, a multicast batch, a link going up or down) and acts through
 * `RelayIO` and each session's `AgentPort`. The real engine (src/p2p/) drives it with
 * libp2p; a simulated engine can drive the same logic over simulated links and time.
 *
 * Delivery modes (docs/ARCHITECTURE.md, "Routes"):
 * - multicast (and MLS commits): to the name's sequencer, which numbers, archives and
 *   acknowledges it, then publishes it to every relay with subscribers;
 * - anycast: one instance, nearest first, round robin among the nearest;
 * - unicast: the relay hosting the named instance.
 * Anycast and unicast travel hop by hop along the routes (`Routed` frames) and are
 * acknowledged by the relay that hands them to the agent.
 */
import { randomBytes } from 'node:crypto'
import { DeliveryMode, MessageType } from '../wire/envelope.pb.js'
import type { Envelope, FetchReply, GossipBatch, LinkFrame, Routed } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { DEFAULT_HOP_LIMIT } from '../wire/constants.js'
import { isAgentName, parseName, serviceOf, instanceOf } from '../names/names.js'
import type { AgentName } from '../names/names.js'
import { ForwardingTable } from './forwarding-table.js'
import { COMMIT_TYPES, deliveryModeOf, nack } from './delivery-mode.js'
import { RelayCounters } from './counters.js'
import { MulticastPlane } from './multicast-plane.js'
import { SubmissionsInFlight } from './submissions-in-flight.js'
import { SequencerCredentials } from './sequencer-credentials.js'
import { CredentialsSent, credentialRequested } from './credentials-sent.js'
import { publishRefusal } from './publish-check.js'
import { WriteDeadlines } from './write-deadlines.js'
import { DirectDelivery } from './direct-delivery.js'
import { ArchiveFetches, fetchReply } from './archive-fetch.js'
import { RelayGate } from './relay-gate.js'
import { RouteExchange } from './route-exchange.js'
import { AgentQuotas } from './agent-quotas.js'
import type { LinkKind } from './policy.js'
import type { LocalSub } from './multicast-plane.js'
import type { Clock } from './clock.js'
import type { Store } from '../store/store.js'
import type { AgentPort, RelayConfig, RelayIO } from './types.js'
import { DEFAULT_RELAY_CONFIG } from './types.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { SequencerAck } from './sequencer.actor.js'
import { PermissionDeniedError, SessionClosedError } from './errors.js'
import { InvalidNameError } from '../names/errors.js'
import { silentLogger } from '../logger.js'
import type { Logger } from '../logger.js'
import type { TrustAnchors } from '../trust/verifier.js'
import { rememberRequest } from './agent-record.js'
import type { AgentRecord } from './agent-record.js'
import type { RelayCoreInit } from './types.js'

export type { AgentRecord, RelayCoreInit }

export class RelayCore {
  readonly self: string
  readonly table: ForwardingTable
  readonly config: RelayConfig
  private readonly store: Store
  private readonly io: RelayIO
  private readonly clock: Clock
  private readonly log: Logger
  readonly multicast: MulticastPlane
  /** Multicast submissions of local agents on their way to another relay's sequencer. */
  private readonly inflight: SubmissionsInFlight
  private readonly agents = new Map<string, AgentRecord>()
  private readonly byInstance = new Map<string, AgentRecord>()
  /** Links, and the flooding of route announcements over them. */
  private readonly routes: RouteExchange
  /** The mesh's trust anchors (undefined in open mode). */
  readonly trust?: TrustAnchors
  /** The relay's policy: every admission and permission check asks it, here. */
  readonly gate: RelayGate
  /** What the relay counts (src/relay/counters.ts): read by its summary and metrics. */
  readonly counters = new RelayCounters()
  /** Each attached agent's quotas (src/relay/agent-quotas.ts). */
  readonly quotas: AgentQuotas
  private readonly fetches: ArchiveFetches
  /** Anycast and unicast (src/relay/direct-delivery.ts). */
  private readonly direct: DirectDelivery
  private readonly deadlines: WriteDeadlines
  /**
   * With trust: the credentials of agents at other relays, as this relay's sequencers
   * check their submissions (src/relay/sequencer-credentials.ts).
   */
  readonly checks?: SequencerCredentials
  /** The credentials sent along to each sequencer relay (src/relay/credentials-sent.ts). */
  private readonly credentialsSent = new CredentialsSent(agent => this.trust == null ? undefined : this.gate.credentialOf(agent)?.jwt ?? this.checks?.known.jwtOf(agent))

  constructor (init: RelayCoreInit) {
    this.self = init.peerId
    this.store = init.store
    this.io = init.io
    this.clock = init.clock
    this.config = { ...DEFAULT_RELAY_CONFIG, ...init.config }
    this.log = init.log ?? silentLogger
    this.table = new ForwardingTable(this.self)
    this.trust = init.trust
    this.deadlines = new WriteDeadlines(this.clock, () => this.config.writeDeadlineMs)
    this.gate = new RelayGate(init.policy, init.trust != null)
    this.direct = new DirectDelivery({
      self: this.self,
      table: this.table,
      config: this.config,
      counters: this.counters,
      deadlines: this.deadlines,
      agentByInstance: instance => this.byInstance.get(instance),
      route: r => { this.route(r) },
      ackOrigin: (origin, ack) => { this.ackOrigin(origin, ack) }
    })
    this.quotas = new AgentQuotas({ self: this.self, clock: this.clock, counters: this.counters, quotas: init.quotas, answerWithinMs: () => this.config.sequencerWaitMs + this.config.requestTimeoutMs })
    this.routes = new RouteExchange({
      self: this.self,
      table: this.table,
      gate: this.gate,
      io: this.io,
      clock: this.clock,
      config: this.config,
      routesChanged: () => { this.multicast.checkClaims(); this.credentialsSent.forgetUnreachable(relay => this.table.distance(relay) < Infinity || this.routes.has(relay)) }
    })
    this.fetches = new ArchiveFetches({
      clock: this.clock,
      timeoutMs: () => this.config.requestTimeoutMs,
      send: (relay, fetch) => { this.route({ to: relay, from: this.self, hopLimit: DEFAULT_HOP_LIMIT, fetch, instance: '' }) }
    })
    if (init.trust != null) {
      this.checks = new SequencerCredentials({
        self: this.self,
        trust: init.trust,
        clock: this.clock,
        submit: (env, origin) => { this.multicast.submitLocal(env, origin) },
        refuse: (origin, ack) => { this.ackOrigin(origin, ack) }
      })
    }
    this.inflight = new SubmissionsInFlight({
      clock: this.clock,
      config: this.config,
      resend: (env, origin) => { this.resubmit(env, origin) },
      fail: (origin, ack) => { this.ackLocal(origin.agent, ack) }
    })
    this.multicast = new MulticastPlane({
      self: this.self,
      store: this.store,
      clock: this.clock,
      table: this.table,
      io: this.io,
      config: this.config,
      fetch: async (relay, name, fromSeq, limit) => await this.fetch(relay, name, fromSeq, limit),
      ackOrigin: (origin, ack) => { this.ackOrigin(origin, ack) },
      forward: (relay, env, origin, handover) => {
        if (origin.relay === this.self) this.inflight.sent(env, origin, handover)
        this.route({ to: relay, from: origin.relay, hopLimit: DEFAULT_HOP_LIMIT, envelope: env, instance: '', credential: this.credentialsSent.for(relay, env.source) })
      },
      writable: async (port, agent) => { if (port.backlogged()) await this.deadlines.wait(port, agent) },
      routesChanged: () => { this.routes.schedule() },
      sendTo: (to, part) => { this.route({ to, from: this.self, hopLimit: DEFAULT_HOP_LIMIT, instance: '', ...part }) },
      ...(init.leases != null ? { leases: init.leases } : {}),
      onTransition: init.onTransition,
      counters: this.counters,
      log: this.log
    })
  }

  async start (): Promise<void> {
    await this.multicast.restore()
    this.routes.start()
  }

  // ---- agents ----

  /** An agent proved its name: attach it (or re-attach it after a brief absence). */
  attachAgent (name: AgentName, port: AgentPort): AgentRecord {
    let rec = this.agents.get(name)
    if (rec == null) {
      rec = { name, service: serviceOf(name), instance: instanceOf(name), subs: new Map(), inbox: false, away: [], asked: new Map() }
      this.agents.set(name, rec)
      this.byInstance.set(rec.instance, rec)
    }
    rec.port = port
    // Every agent is reachable at its own name (replies and channel control need no
    // subscription); it is an anycast instance only of what it subscribes to.
    if (this.table.addAttached(rec.service, rec.instance)) this.routes.schedule()
    const held = rec.away
    rec.away = []
    for (const env of held) port.deliver(env)
    return rec
  }

  /** The agent's stream is gone, but it may be back: hold its routes and messages. */
  agentAway (name: AgentName, port: AgentPort): void {
    const rec = this.agents.get(name)
    if (rec?.port === port) rec.port = undefined
  }

  /** The agent left (or did not come back in time): withdraw its routes. */
  detachAgent (name: AgentName, port?: AgentPort): void {
    const rec = this.agents.get(name)
    if (rec == null) return
    if (port != null && rec.port != null && rec.port !== port) return // a newer session owns it
    this.agents.delete(name)
    this.gate.forget(name)
    this.quotas.forget(name)
    this.credentialsSent.forgetAgent(name)
    this.byInstance.delete(rec.instance)
    this.table.removeAttached(rec.service, rec.instance)
    for (const sub of rec.subs.values()) this.dropSub(rec, sub)
    rec.subs.clear()
    this.routes.schedule()
  }

  isAttached (name: string): boolean { return this.agents.get(name)?.port != null }
  agentNames (): string[] { return [...this.agents.keys()] }

  async subscribe (agent: AgentName, name: string, fromSeq?: number): Promise<number> {
    const rec = this.agents.get(agent)
    if (rec == null) throw new SessionClosedError(`agent ${agent} is not attached to relay ${this.self}`)
    if (name === agent) { rec.inbox = true; return 0 } // an agent may always read its own inbox
    if (isAgentName(parseName(name))) throw new InvalidNameError(`"${name}" is another agent's name; an agent subscribes to services, channels and its own inbox (${agent})`)
    const allowed = this.gate.subscribe(agent, name)
    if (allowed !== true) throw new PermissionDeniedError(`${agent} may not subscribe to ${name} (${allowed.rule ?? 'allowSubscribe'}): ${allowed.deny}`, allowed.rule ?? 'allowSubscribe')
    // Subscribing makes it one of the name's anycast instances too, if it may serve it.
    const serves = this.gate.serve(agent, name, true) === true
    let sub = rec.subs.get(name)
    if (sub == null) {
      this.quotas.checkSubscribe(agent, name, rec.subs.size)
      sub = { agent, name, nextSeq: 0, replaying: false, closed: false, port: () => rec.port, onEnded: () => { this.unsubscribe(agent, name) }, asked: env => { rememberRequest(rec, env) } }
      rec.subs.set(name, sub)
    }
    const isNew = serves && this.table.addLocal(name, rec.instance)
    if (isNew) this.routes.schedule()
    try {
      return await this.multicast.subscribe(sub, fromSeq)
    } catch (err) {
      // The agent is told the subscription failed: leave no half of it behind.
      if (rec.subs.get(name) === sub) {
        rec.subs.delete(name)
        this.multicast.unsubscribe(sub)
        if (isNew) { this.table.removeLocal(name, rec.instance); this.routes.schedule() }
      }
      throw err
    }
  }

  unsubscribe (agent: AgentName, name: string): void {
    const rec = this.agents.get(agent)
    if (rec != null && name === agent) { rec.inbox = false; return }
    const sub = rec?.subs.get(name)
    if (rec == null || sub == null) return
    rec.subs.delete(name)
    this.dropSub(rec, sub)
    this.routes.schedule()
  }

  private dropSub (rec: AgentRecord, sub: LocalSub): void {
    this.multicast.unsubscribe(sub)
    this.table.removeLocal(sub.name, rec.instance)
    this.multicast.release(sub.name)
  }

  /** An envelope from an attached agent. `source` is stamped here: agents cannot spoof it. */
  fromAgent (agent: AgentName, env: Envelope): void {
    const rec = this.agents.get(agent)
    const port = rec?.port
    if (rec == null || port == null) return
    if (env.type === MessageType.PING) {
      port.deliver({ ...env, type: MessageType.PONG, source: '', destination: agent, correlationId: env.messageId, messageId: randomBytes(16), payload: new Uint8Array(0) })
      return
    }
    env.source = agent
    if (env.hopLimit === 0 || env.hopLimit > DEFAULT_HOP_LIMIT) env.hopLimit = DEFAULT_HOP_LIMIT
    this.dispatch(env, agent, port)
  }

  /** Routes an agent's envelope by its type and mode. */
  private dispatch (env: Envelope, agent: AgentName, port: AgentPort): void {
    let dest
    try {
      dest = parseName(env.destination)
    } catch (err) {
      port.ack({ messageId: env.messageId, code: ErrorCode.INVALID_NAME, reason: (err as Error).message })
      return
    }
    if (env.mode === DeliveryMode.DELIVERY_MODE_UNSPECIFIED) env.mode = isAgentName(dest) ? DeliveryMode.UNICAST : DeliveryMode.ANYCAST
    const origin = { relay: this.self, agent }
    const mode = deliveryModeOf(env)
    const multicast = mode === 'multicast'
    const refused = publishRefusal(this.gate, agent, env, mode, multicast && env.epoch === 0 && COMMIT_TYPES.has(env.type), this.agents.get(agent)?.asked)
    if (refused != null) { port.ack({ messageId: env.messageId, code: ErrorCode.PERMISSION_DENIED, reason: refused }); return }
    if (multicast && isAgentName(dest)) { port.ack({ messageId: env.messageId, code: ErrorCode.INVALID_NAME, reason: `multicast goes to a service or channel name, not to the agent "${dest}"` }); return }
    const over = this.quotas.take(agent, env, multicast)
    if (over != null) { port.ack({ messageId: env.messageId, code: ErrorCode.QUOTA_EXCEEDED, reason: over }); return }
    this.counters.messageIn(agent, mode)
    if (multicast) {
      env.mode = DeliveryMode.MULTICAST
      this.toSequencer(env, origin, port)
      return
    }
    this.direct.send(env, origin, port)
  }

  /** `source`: the session of the local agent that sent it, paused while its sequencer is behind. */
  private toSequencer (env: Envelope, origin: SequencerOrigin, source: AgentPort): void {
    const relay = this.multicast.sequencerOrClaim(env.destination)
    let congested: Promise<void> | undefined
    if (relay === this.self) {
      this.multicast.submitLocal(env, origin)
      congested = this.multicast.backlog(env.destination)
    } else {
      if (origin.relay === this.self) this.inflight.sent(env, origin)
      this.route({ to: relay, from: origin.relay, hopLimit: DEFAULT_HOP_LIMIT, envelope: env, instance: '', credential: this.credentialsSent.for(relay, origin.agent) })
      const hop = this.table.nextHop(relay) ?? relay
      congested = this.io.linkWritable?.(hop)
    }
    // Admission control: a publisher faster than its sequencer (or the link to it) waits,
    // so queues stay short and the relay stays responsive under full load.
    if (congested != null) source.pauseUntil?.(congested)
  }

  /**
   * A submission that got no answer, sent again toward the name's sequencer now.
   * `withCredential`: the sequencer asked for the publisher's credential; it goes along.
   */
  private resubmit (env: Envelope, origin: SequencerOrigin, withCredential = false): void {
    const relay = this.multicast.sequencerOrClaim(env.destination)
    if (relay === this.self) this.multicast.submitLocal(env, origin)
    else this.route({ to: relay, from: origin.relay, hopLimit: DEFAULT_HOP_LIMIT, envelope: env, instance: '', credential: this.credentialsSent.for(relay, env.source, withCredential) })
  }

  /** An answer for an agent attached here (`from`: the relay it came from, when routed). */
  private ackLocal (agent: string, ack: SequencerAck, from?: string): void {
    if (ack.code === ErrorCode.CREDENTIAL_REQUIRED) {
      // Sent again at once with the credential (the publisher is not told), or refused (src/relay/credentials-sent.ts).
      const answer = credentialRequested(this.credentialsSent, this.inflight, agent, ack, from, this.self)
      if (answer.resend != null) this.resubmit(answer.resend.env, answer.resend.origin, true)
      else if (answer.refuse != null) this.ackLocal(agent, answer.refuse)
      return
    }
    if (!this.inflight.answered(ack)) return // a resend failed to route: tried again shortly
    this.multicast.answered(ack)
    this.quotas.answered(agent, ack.messageId)
    this.agents.get(agent)?.port?.ack(ack)
  }

  private ackOrigin (origin: SequencerOrigin, ack: SequencerAck): void {
    if (origin.relay === this.self) {
      this.ackLocal(origin.agent, ack)
      return
    }
    this.route({ to: origin.relay, from: this.self, hopLimit: DEFAULT_HOP_LIMIT, ack: { ...ack, agent: origin.agent }, instance: '' })
  }

  // ---- links ----

  linkUp (peer: string, kind: LinkKind = 'mesh'): void { this.routes.linkUp(peer, kind) }
  linkDown (peer: string): void { this.routes.linkDown(peer) }
  get neighbourIds (): string[] { return this.routes.ids }
  /** The kind of the link to `peer`, if linked. */
  linkKind (peer: string): LinkKind | undefined { return this.routes.kind(peer) }

  onLinkFrame (peer: string, frame: LinkFrame): void {
    for (const ann of frame.announcements) this.routes.heard(peer, ann)
    for (const r of frame.routed) this.route(r, peer)
  }

  /** Forwards a routed frame one hop, or handles it here. */
  private route (r: Routed, from?: string): void {
    if (r.to === this.self) { this.handleRouted(r); return }
    let hop = this.table.nextHop(r.to) ?? (this.routes.has(r.to) ? r.to : undefined)
    // Split horizon: never hand a frame back to the neighbour it came from. Right after a
    // relay dies, its neighbours still hold routes to it through each other until they
    // expire; without this a frame would bounce between them until its hop limit.
    if (from != null && hop === from) hop = this.table.nextHopAvoiding(r.to, from)
    if (hop == null || r.hopLimit <= 1) {
      const code = hop == null ? ErrorCode.NO_ROUTE : ErrorCode.HOP_LIMIT
      if (r.envelope != null) {
        const env = r.envelope
        const multicast = env.mode === DeliveryMode.MULTICAST
        const why = multicast
          ? `the sequencer of ${env.destination} (relay ${r.to}) is unreachable from relay ${this.self}; multicast to it waits for that relay to come back`
          : `relay ${this.self} has no route to relay ${r.to}`
        this.ackOrigin({ relay: r.from, agent: env.source }, nack(env, multicast ? ErrorCode.UNAVAILABLE : code, why))
      }
      else if (r.fetch != null) this.route({ to: r.from, from: this.self, hopLimit: DEFAULT_HOP_LIMIT, fetched: fetchReply(r.fetch.name, r.fetch.requestId, { code, reason: `no route to relay ${r.to}` }), instance: '' })
      return
    }
    this.io.sendRouted(hop, from == null ? r : { ...r, hopLimit: r.hopLimit - 1 })
  }

  private handleRouted (r: Routed): void {
    if (r.envelope != null) {
      const env = r.envelope
      const origin = { relay: r.from, agent: env.source }
      if (env.mode === DeliveryMode.MULTICAST || COMMIT_TYPES.has(env.type)) {
        const seq = this.multicast.sequencerOrClaim(env.destination)
        if (seq !== this.self) this.route({ to: seq, from: r.from, hopLimit: r.hopLimit, envelope: env, instance: '', credential: r.credential })
        // From another relay, with trust: the publisher's grants are checked here too.
        else if (this.checks != null && r.from !== this.self) this.checks.check(env, origin, r.credential)
        else this.multicast.submitLocal(env, origin)
      } else {
        this.direct.arrived(env, r.instance, r.from)
      }
    } else if (r.ack != null) {
      this.ackLocal(r.ack.agent, r.ack, r.from)
    } else if (r.fetch != null) {
      const f = r.fetch
      void this.multicast.serveFetch(f.name, f.fromSeq, f.limit)
        .catch(err => ({ name: f.name, code: ErrorCode.UNAVAILABLE, reason: (err as Error).message }))
        .then(reply => {
          this.route({ to: r.from, from: this.self, hopLimit: DEFAULT_HOP_LIMIT, fetched: fetchReply(f.name, f.requestId, reply), instance: '' })
        })
    } else if (r.fetched != null) {
      this.fetches.answered(r.fetched)
    } else if (r.replicate != null) {
      this.multicast.onReplicate(r.from, r.replicate)
    } else if (r.replicaAck != null) {
      this.multicast.onReplicaAck(r.from, r.replicaAck)
    }
  }

  /** Asks another relay for archived messages of `name` (limit 0: only its head). */
  async fetch (relay: string, name: string, fromSeq: number, limit: number): Promise<FetchReply> {
    if (relay === this.self) {
      return fetchReply(name, 0, await this.multicast.serveFetch(name, fromSeq, limit))
    }
    return await this.fetches.request(relay, name, fromSeq, limit)
  }

  onGossip (from: string, batch: GossipBatch): void {
    this.multicast.onGossip(from, batch)
  }

  async stop (): Promise<void> {
    this.routes.stop()
    this.inflight.stop()
    this.fetches.stop()
    await this.multicast.stop()
  }
}


