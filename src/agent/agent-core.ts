/**
 * The agent's logic with no IO of its own, in the manner of SLIM's sans-IO session
 * core: what `Agent` (./agent.ts) does between its caller and its session, and what the
 * simulated engine's agents (sims/sim-agent.ts) run on simulated time. It writes through a `SessionPort` (./session-port.ts), keeps time with a `Clock`
 * (src/relay/clock.ts) and is told what arrives by method calls: `envelopeArrived`,
 * `ackArrived`, `subscribed`, `sessionActive`, `sessionDown`.
 *
 * It owns:
 * - every acknowledged publish, pending until its ack; it waits in the outbox
 *   (./outbox.ts) for room on the stream, goes again on resume (same message id, in
 *   publish order; the sequencer de-duplicates) and, past its deadline, fails with a
 *   `TimeoutError` that says whether it was ever sent;
 * - request/reply correlation (a reply carries the request's id as its correlation id);
 * - each subscription's position, the next multicast sequence number it is owed:
 *   deliveries below it are dropped (and those above it until a renewal after a reconnect
 *   is answered), a renewal after a reconnect starts from it, and it
 *   is saved through a `PositionStore` (./positions.ts) if there is one;
 * - de-duplication of unicast and anycast deliveries by source and message id;
 * - the demux of channel control (anything but `Msg` sent to this agent's own name) to
 *   the channel layer's listeners (src/channel/agent-port.ts), apart from subscribers.
 *
 * ```ts
 * const core = new AgentCore({ name, port, clock: systemClock, handlers: { deliver: (sub, env) => { ... }, end: () => {} } })
 * core.sessionActive()          // the session is up: renew, resend
 * const ack = await core.send(env) // pending until the session calls core.ackArrived(ack)
 * ```
 */
import { DeliveryMode, MessageType } from '../wire/envelope.pb.js'
import type { Ack, Envelope, Subscribed } from '../wire/envelope.pb.js'
import type { Clock } from '../relay/clock.js'
import { DedupWindow, idKey } from '../relay/dedup-window.js'
import { AlreadySubscribedError, errorFromCode, SessionClosedError, TimeoutError } from '../relay/errors.js'
import { isAgentName, parseName, serviceOf } from '../names/names.js'
import type { AgentName } from '../names/names.js'
import { InvalidNameError } from '../names/errors.js'
import { Outbox } from './outbox.js'
import type { OutboxTicket } from './outbox.js'
import type { SessionPort } from './session-port.js'
import type { PositionStore } from './positions.js'
import { within } from './within.js'

/** What the core keeps of a subscription: its name and its position (it moves the position). */
export interface CoreSubscription {
  readonly name: string
  /** The next multicast sequence number it is owed (0: none yet). */
  position: number
  /** The relay's first sequence number for it, from its answer to the subscribe (0 until then). */
  startSeq?: number
}

/** Where the core hands what it does not keep. */
export interface AgentCoreHandlers<S extends CoreSubscription> {
  /** A delivery for `sub`; `subject` is the subscription's name. */
  deliver: (sub: S, env: Envelope, subject: string) => void
  /** `sub` ended: its renewal was refused (`err`), or the core closed. */
  end: (sub: S, err?: Error) => void
  /**
   * A delivery the core dropped as a duplicate (a multicast sequence number below the
   * position, one above it before a renewal is answered, which comes again, or a message
   * id seen before), with the subscription it would have gone
   * to. For the simulations' metrics, which count what the relay delivered.
   */
  duplicate?: (sub: S | undefined, env: Envelope) => void
}

export interface AgentCoreInit<S extends CoreSubscription> {
  /** This agent's full name. */
  name: string
  port: SessionPort
  clock: Clock
  handlers: AgentCoreHandlers<S>
  positions?: PositionStore
  /** How long a publish waits for its ack; default 30 s. */
  publishTimeoutMs?: number
  /** How long a request waits for its reply, and a subscribe for the relay's answer; default 10 s. */
  requestTimeoutMs?: number
}

export interface CallOptions {
  signal?: AbortSignal
  /** Overrides the core's default; `Infinity` waits as long as it takes. */
  timeoutMs?: number
}

interface Pending extends OutboxTicket {
  resolve: (ack: Ack) => void
  reject: (err: Error) => void
  /** When it fails with TimeoutError if no ack came (clock ms; Infinity for requests). */
  deadline: number
}

/** A subscribe waiting for the relay's first answer. */
interface Awaiting {
  requestId: number
  fromSeq?: number
  resolve: (s: Subscribed) => void
}

/** Recently seen unicast and anycast message ids (source + id). */
const DEDUP_WINDOW = 8192
/** Deliveries move positions often; they are saved at most this often (ms). */
const POSITION_SAVE_MS = 100

export class AgentCore<S extends CoreSubscription> {
  readonly name: string
  private readonly port: SessionPort
  private readonly clock: Clock
  private readonly handlers: AgentCoreHandlers<S>
  private readonly positions?: PositionStore
  private readonly publishTimeoutMs: number
  private readonly requestTimeoutMs: number
  private readonly outbox: Outbox
  private readonly subs = new Map<string, S>()
  /** Publishes and requests by message id, in the order they were sent (resume order). */
  private readonly pending = new Map<string, Pending>()
  private readonly requests = new Map<string, { resolve: (reply: Envelope) => void, reject: (e: Error) => void }>()
  /** First subscribes waiting for their answer, by name. */
  private readonly awaiting = new Map<string, Awaiting>()
  /**
   * Subscriptions whose renewal is owed since the session dropped, by name: the request id
   * once it is sent. Until the relay has it, it may go on delivering from where it thinks
   * the lost stream got to, which can be past this subscription's position (see
   * `multicastArrived`); the new session's first messages can even come before
   * `sessionActive`, so this starts at `sessionDown`.
   */
  private readonly renewing = new Map<string, number | undefined>()
  /** Made at the first unicast or anycast delivery (most simulated agents get only multicast). */
  private seen?: DedupWindow
  private readonly activeWaiters: Array<() => void> = []
  private readonly controlListeners = new Set<(env: Envelope) => void>()
  private nextRequestId = 1
  private up = false
  private isClosed = false
  private deadlineTimer: unknown
  private positionTimer: unknown
  private dirtyPositions = false

  constructor (init: AgentCoreInit<S>) {
    this.name = init.name
    this.port = init.port
    this.clock = init.clock
    this.handlers = init.handlers
    this.positions = init.positions
    this.publishTimeoutMs = init.publishTimeoutMs ?? 30_000
    this.requestTimeoutMs = init.requestTimeoutMs ?? 10_000
    this.outbox = new Outbox(init.port)
  }

  get closed (): boolean { return this.isClosed }

  checkOpen (): void {
    if (this.isClosed) throw new SessionClosedError(`agent ${this.name} is closed`)
  }

  /** Resolves once the session is active (or the core closed). */
  async whenActive (): Promise<void> {
    if (this.up || this.isClosed) return
    await new Promise<void>(resolve => { this.activeWaiters.push(resolve) })
  }

  // ---- events in ----

  /**
   * The session is active, the first time or again: every subscription is renewed from
   * its position, what was written before a drop goes again first, in publish order,
   * then what never left the outbox.
   */
  sessionActive (): void {
    this.up = true
    for (const w of this.activeWaiters.splice(0)) w()
    this.renewing.clear()
    for (const sub of this.subs.values()) {
      // A first subscribe still unanswered is asked again under its own request id, so
      // the answer on the new session is the one it waits for.
      const first = this.awaiting.get(sub.name)
      const fromSeq = sub.position > 0 ? sub.position : first?.fromSeq
      const requestId = first?.requestId ?? this.nextRequestId++
      if (sub.position > 0) this.renewing.set(sub.name, requestId)
      this.port.subscribe({ requestId, name: sub.name, fromSeq })
    }
    this.outbox.resume(this.pending.values())
  }

  /** The session dropped; what is pending waits for the next `sessionActive`. */
  sessionDown (): void {
    this.up = false
    for (const sub of this.subs.values()) if (sub.position > 0) this.renewing.set(sub.name, undefined)
  }

  ackArrived (ack: Ack): void {
    const key = idKey(ack.messageId)
    const p = this.pending.get(key)
    if (p == null) return
    this.pending.delete(key)
    if (ack.code === 0) p.resolve(ack)
    else p.reject(errorFromCode(ack.code, ack.reason, ack.epoch))
  }

  subscribed (s: Subscribed): void {
    if (this.renewing.get(s.name) === s.requestId) this.renewing.delete(s.name)
    const first = this.awaiting.get(s.name)
    if (first != null && first.requestId === s.requestId) { first.resolve(s); return }
    // A renewal after a reconnect.
    const sub = this.subs.get(s.name)
    if (sub != null && s.code !== 0) this.handlers.end(sub, errorFromCode(s.code, s.reason, s.nextSeq))
  }

  envelopeArrived (env: Envelope): void {
    if (env.correlationId.byteLength > 0) {
      const r = this.requests.get(idKey(env.correlationId))
      if (r != null) { r.resolve(env); return }
    }
    if (env.mode === DeliveryMode.MULTICAST) { this.multicastArrived(env); return }
    this.seen ??= new DedupWindow(DEDUP_WINDOW)
    const fresh = this.seen.add(env.source + idKey(env.messageId))
    if (env.type !== MessageType.MSG) {
      // Channel control sent to this agent (Welcome, JoinRequest, ...): the channel layer's.
      if (!fresh) { this.handlers.duplicate?.(undefined, env); return }
      for (const l of this.controlListeners) l(env)
      return
    }
    // Unicast to this agent goes to its inbox if open, else to its service's subscription.
    const inbox = env.destination === this.name ? this.subs.get(this.name) : undefined
    const subject = inbox != null ? this.name : serviceOf(env.destination as AgentName)
    const sub = inbox ?? this.subs.get(subject)
    if (!fresh) this.handlers.duplicate?.(sub, env)
    else if (sub != null) this.handlers.deliver(sub, env, subject)
  }

  /**
   * Multicast is ordered by sequence number: what is below the position came before a
   * reconnect. What is above it while the subscription's renewal is unanswered is the
   * relay going on from where it last wrote to the lost stream (it cannot know what of
   * that arrived); taking it would move the position past messages that never came, and
   * drop them when the renewal replays them. It comes again: the relay answers the
   * renewal by delivering from the position, in order.
   */
  private multicastArrived (env: Envelope): void {
    const sub = this.subs.get(env.destination)
    if (sub == null) return
    if (env.seq < sub.position || (env.seq > sub.position && this.renewing.has(sub.name))) { this.handlers.duplicate?.(sub, env); return }
    sub.position = env.seq + 1
    this.savePositions()
    this.handlers.deliver(sub, env, env.destination)
  }

  // ---- what the agent asks ----

  /**
   * Subscribes `sub` to `sub.name` (a service or channel, or this agent's own name) and
   * resolves with the relay's first sequence number for it; from `options.fromSeq`, else
   * from the saved position, else from now (`fromSeq: 0`: from now, saved or not).
   */
  async subscribe (sub: S, options: CallOptions & { fromSeq?: number } = {}): Promise<number> {
    this.checkOpen()
    const name = sub.name
    if (isAgentName(parseName(name)) && name !== this.name) throw new InvalidNameError(`"${name}" is another agent's name; an agent subscribes to services, channels and its own inbox (${this.name})`)
    if (this.subs.has(name)) throw new AlreadySubscribedError(`already subscribed to ${name}; close that subscription first`)
    let fromSeq = options.fromSeq
    if (fromSeq == null && name !== this.name && this.positions != null) fromSeq = await this.positions.load(name)
    // 0: from now, whatever position was saved (a channel created on a name used before).
    if (fromSeq === 0) fromSeq = undefined
    await this.whenActive()
    this.checkOpen()
    const requestId = this.nextRequestId++
    let first: Awaiting | undefined
    const answer = new Promise<Subscribed>(resolve => {
      first = { requestId, fromSeq, resolve }
      this.awaiting.set(name, first)
    })
    this.subs.set(name, sub)
    this.port.subscribe({ requestId, name, fromSeq })
    try {
      const s = await within(this.clock, answer, options.timeoutMs ?? this.requestTimeoutMs, `subscribe to ${name}`, options.signal)
      if (s.code !== 0) throw errorFromCode(s.code, s.reason, s.nextSeq)
      // Deliveries may have come before the answer; they have moved the position already.
      sub.startSeq = s.nextSeq
      if (s.nextSeq > sub.position) sub.position = s.nextSeq
      // Saved now, not at the first delivery: a subscriber restarted before anything
      // arrived still resumes from here and misses nothing published meanwhile.
      if (s.nextSeq > 0) this.savePositions()
      return s.nextSeq
    } catch (err) {
      if (this.subs.get(name) === sub) this.subs.delete(name)
      throw err
    } finally {
      if (this.awaiting.get(name) === first) this.awaiting.delete(name)
    }
  }

  /** Ends `sub` at the relay. */
  unsubscribe (sub: S): void {
    if (this.subs.get(sub.name) === sub) { this.subs.delete(sub.name); this.renewing.delete(sub.name) }
    this.port.unsubscribe({ requestId: this.nextRequestId++, name: sub.name })
  }

  /**
   * Sends an envelope and resolves with its ack: for multicast, once the sequencer
   * archived it; otherwise once the receiving relay handed it over. If the session is
   * down, it goes out on resume.
   */
  async send (env: Envelope, signal?: AbortSignal): Promise<Ack> {
    this.checkOpen()
    signal?.throwIfAborted()
    const key = idKey(env.messageId)
    let pending: Pending | undefined
    const acked = new Promise<Ack>((resolve, reject) => {
      pending = { env, resolve, reject, deadline: this.clock.now() + this.publishTimeoutMs, written: false }
      this.pending.set(key, pending)
    })
    this.armDeadline()
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
    if (pending != null) this.outbox.track(pending)
    try {
      return await acked
    } finally {
      if (onAbort != null) signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Writes an envelope nobody acknowledges (fire and forget, a reply); resolves once written. */
  async write (env: Envelope): Promise<void> {
    this.checkOpen()
    await this.outbox.write(env)
  }

  /**
   * Sends a request to one receiver and resolves with its reply. The relay does not
   * acknowledge a request, its reply does; a failure to route it comes back as an error
   * ack, which rejects it.
   */
  async request (env: Envelope, options: CallOptions = {}): Promise<Envelope> {
    if (env.mode === DeliveryMode.MULTICAST) throw new InvalidNameError('a request goes to one receiver: use anycast or unicast')
    env.expectsReply = true
    this.checkOpen()
    const key = idKey(env.messageId)
    let pending: Pending | undefined
    const reply = new Promise<Envelope>((resolve, reject) => {
      this.requests.set(key, { resolve, reject })
      pending = { env, resolve: () => {}, reject, deadline: Infinity, written: false }
      this.pending.set(key, pending)
    })
    if (pending != null) this.outbox.track(pending)
    try {
      return await within(this.clock, reply, options.timeoutMs ?? this.requestTimeoutMs, `request to ${env.destination}`, options.signal)
    } finally {
      this.requests.delete(key)
      this.pending.delete(key)
      if (pending != null) this.outbox.withdraw(pending)
    }
  }

  /**
   * Listens to control messages addressed to this agent (anything but `Msg` sent to its
   * own name: `GroupWelcome`, `JoinRequest`, ...). The channel layer's hook; returns the
   * unsubscribe.
   */
  onControl (listener: (env: Envelope) => void): () => void {
    this.controlListeners.add(listener)
    return () => { this.controlListeners.delete(listener) }
  }

  /**
   * Fails everything in flight with `err` (publishes, requests, writes not yet written)
   * and keeps the subscriptions and their positions: an agent that leaves and comes back.
   */
  abandon (err: Error): void {
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    this.outbox.close(err)
    for (const r of this.requests.values()) r.reject(err)
    this.requests.clear()
  }

  /**
   * Saves the positions, ends every subscription and fails everything in flight; with
   * `error` (the session ended for good: its credential was refused or revoked) they end
   * and fail with that error, so a reader learns why.
   */
  async close (error?: Error): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    if (this.positionTimer != null) this.clock.clearTimeout(this.positionTimer)
    if (this.deadlineTimer != null) this.clock.clearTimeout(this.deadlineTimer)
    await this.flushPositions()
    for (const sub of this.subs.values()) this.handlers.end(sub, error)
    this.subs.clear()
    this.abandon(error ?? new SessionClosedError(`agent ${this.name} closed`))
    for (const w of this.activeWaiters.splice(0)) w()
  }

  // ---- time ----

  /**
   * One timer for every pending publish (not one each), set for the earliest deadline.
   * Deadlines are the send time plus one fixed timeout, so the map's order (send order)
   * is deadline order: the first finite one is the earliest.
   */
  private armDeadline (): void {
    if (this.deadlineTimer != null) return
    for (const p of this.pending.values()) {
      if (p.deadline === Infinity) continue
      this.deadlineTimer = this.clock.setTimeout(() => { this.deadlineTimer = undefined; this.expire() }, p.deadline - this.clock.now())
      return
    }
  }

  /** Publishes past their deadline fail with TimeoutError, saying whether they were ever sent. */
  private expire (): void {
    const now = this.clock.now()
    const ms = this.publishTimeoutMs
    for (const [key, p] of this.pending) {
      if (p.deadline === Infinity) continue
      if (p.deadline > now) break
      this.pending.delete(key)
      p.reject(this.outbox.withdraw(p)
        ? new TimeoutError(`publish to ${p.env.destination} was not sent within ${ms} ms (the session to the relay was down or backed up the whole time); it was not delivered`)
        : new TimeoutError(`publish to ${p.env.destination} was sent but not acknowledged within ${ms} ms`))
    }
    this.armDeadline()
  }

  // ---- positions ----

  private savePositions (): void {
    if (this.positions?.save == null) return
    this.dirtyPositions = true
    if (this.positionTimer != null) return
    this.positionTimer = this.clock.setTimeout(() => { this.positionTimer = undefined; void this.flushPositions() }, POSITION_SAVE_MS)
  }

  private async flushPositions (): Promise<void> {
    const save = this.positions?.save
    if (!this.dirtyPositions || save == null) return
    this.dirtyPositions = false
    for (const sub of this.subs.values()) {
      // A position that cannot be saved costs re-deliveries after a restart, not loss;
      // the next delivery saves it again.
      if (sub.position > 0) await save(sub.name, sub.position).catch(() => {})
    }
  }
}
