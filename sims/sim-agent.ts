/**
 * A simulated agent: what `connectAgent` does, on simulated time and without a
 * network. It attaches to its relay's `RelayCore` through an `AgentPort`, keeps every
 * publish pending until acknowledged (sent again on resume, same message id), and
 * resumes every subscription from the next sequence number it is owed, after a relay
 * crash, a cut-off or a rejoin. It does not drop duplicates: the metrics see exactly
 * what the relay delivered.
 *
 * A slow consumer reads one message per `slowMs`; what it has not read waits in its
 * session's write queue at the relay, which reports itself backlogged past a high-water
 * mark and cuts the session off past a limit (the real relay does at 8 MiB; the simulation at 100 messages, so that
 * short runs show it), losing
 * the unsent queue; the agent reconnects and resumes from its position.
 */
import { DeliveryMode } from '../src/wire/envelope.pb.js'
import type { Ack, Envelope } from '../src/wire/envelope.pb.js'
import { idKey } from '../src/relay/dedup-window.js'
import { errorFromCode, SessionClosedError, TimeoutError } from '../src/relay/errors.js'
import type { RelayCore } from '../src/relay/relay-core.js'
import type { AgentPort } from '../src/relay/types.js'
import type { AgentName } from '../src/names/names.js'
import type { AgentSpec, DeliveredMessage, EngineAgent, ModeName } from './engine.js'
import type { EventScheduler } from './scheduler.js'
import { newEnvelope } from '../src/wire/new-envelope.js'

export interface SimAgentHost {
  scheduler: EventScheduler
  /** The relay's live incarnation, if it is up. */
  core: (relay: number) => RelayCore | undefined
  /** Engine time (ms since start). */
  now: () => number
  agentLatencyMs: number
  reconnectMs: number
  publishTimeoutMs: number
}

const MODES: Record<ModeName, DeliveryMode> = { anycast: DeliveryMode.ANYCAST, multicast: DeliveryMode.MULTICAST, unicast: DeliveryMode.UNICAST }
const NAMES: Partial<Record<DeliveryMode, ModeName>> = { [DeliveryMode.ANYCAST]: 'anycast', [DeliveryMode.MULTICAST]: 'multicast', [DeliveryMode.UNICAST]: 'unicast' }
/** Queued messages at which the session reports itself backlogged. */
const HIGH_WATER = 32
/** Queued messages at which the relay cuts a slow consumer off. */
const CUT_OFF = 100

interface Sub { onMessage: (m: DeliveredMessage) => void, position: number }
interface Pending { env: Envelope, resolve: (a: Ack) => void, reject: (e: Error) => void, timer: unknown }

export class SimAgent implements EngineAgent {
  readonly spec: AgentSpec
  readonly name: string
  present = true
  /** Times the relay cut this agent off for reading too slowly. */
  cutOffs = 0
  private readonly host: SimAgentHost
  private port?: AgentPort
  private readonly subs = new Map<string, Sub>()
  private readonly pending = new Map<string, Pending>()
  private readonly requests = new Map<string, { resolve: (m: DeliveredMessage) => void, reject: (e: Error) => void }>()
  private queue: Envelope[] = []
  private reading = false
  private writable: Array<() => void> = []
  private reconnecting = false
  private attempts = 0
  private counter = 0

  constructor (spec: AgentSpec, host: SimAgentHost) {
    this.spec = spec
    this.host = host
    this.name = `${spec.service}/a${spec.index}`
  }

  get connected (): boolean { return this.port != null }

  /** Opens a session (or schedules a retry while the relay is down). */
  connect (): void {
    if (!this.present || this.port != null) return
    const core = this.host.core(this.spec.relay)
    if (core == null) { this.retryLater(); return }
    const port = this.makePort()
    this.port = port
    this.attempts = 0
    core.attachAgent(this.name as AgentName, port)
    for (const name of this.subs.keys()) this.renew(name)
    for (const p of this.pending.values()) this.transmit(p.env)
  }

  /** The relay crashed: the session is gone, whatever was queued for it too. */
  relayDown (): void {
    if (this.port == null) return
    this.dropSession()
    this.retryLater()
  }

  private dropSession (): void {
    this.port = undefined
    this.queue = []
    for (const w of this.writable.splice(0)) w()
  }

  /** Exponential backoff from `reconnectMs`, capped at 5 s, as the real agent session does. */
  private retryLater (): void {
    if (this.reconnecting || !this.present) return
    this.reconnecting = true
    const delay = Math.min(this.host.reconnectMs * 2 ** this.attempts++, 5000)
    this.host.scheduler.at(this.host.scheduler.now() + delay, () => {
      this.reconnecting = false
      this.connect()
    })
  }

  private makePort (): AgentPort {
    const port: AgentPort = {
      deliver: (env) => { if (this.port === port) this.onDeliver(env) },
      ack: (ack) => {
        if (this.port !== port) return
        this.later(() => { this.onAck(ack as Ack) })
      },
      backlogged: () => this.queue.length >= HIGH_WATER,
      whenWritable: async () => {
        if (this.port !== port || this.queue.length < HIGH_WATER) return
        await new Promise<void>(resolve => { this.writable.push(resolve) })
      },
      // The write deadline passed with this agent reading nothing: the relay cuts it off.
      cut: () => { if (this.port === port) this.cutOff() }
    }
    return port
  }

  private later (fn: () => void): void {
    this.host.scheduler.at(this.host.scheduler.now() + this.host.agentLatencyMs, fn)
  }

  // ---- receiving ----

  private onDeliver (env: Envelope): void {
    if (this.spec.slowMs == null) { this.read(env); return }
    this.queue.push(env)
    if (this.queue.length > CUT_OFF) { this.cutOff(); return }
    if (!this.reading) this.readSlowly()
  }

  /** The relay cuts the session off; what it had not sent yet is lost with it. */
  private cutOff (): void {
    this.cutOffs++
    const core = this.host.core(this.spec.relay)
    const port = this.port
    this.dropSession()
    for (const w of this.writable.splice(0)) w()
    if (core != null && port != null) core.agentAway(this.name as AgentName, port)
    this.retryLater()
  }

  private readSlowly (): void {
    const env = this.queue.shift()
    if (env == null) { this.reading = false; return }
    this.reading = true
    this.host.scheduler.at(this.host.scheduler.now() + (this.spec.slowMs ?? 0), () => {
      this.read(env)
      if (this.queue.length < HIGH_WATER / 2) for (const w of this.writable.splice(0)) w()
      this.readSlowly()
    })
  }

  private read (env: Envelope): void {
    const at = this.host.now() + this.host.agentLatencyMs
    if (env.correlationId.byteLength > 0) {
      const r = this.requests.get(idKey(env.correlationId))
      if (r != null) {
        this.requests.delete(idKey(env.correlationId))
        r.resolve(this.toMessage(env, at))
        return
      }
    }
    const multicast = env.mode === DeliveryMode.MULTICAST
    const subject = multicast ? env.destination : env.destination.split('/').slice(0, 3).join('/')
    const sub = this.subs.get(subject)
    if (sub == null) return
    if (multicast && env.seq >= sub.position) sub.position = env.seq + 1
    sub.onMessage(this.toMessage(env, at))
  }

  private toMessage (env: Envelope, at: number): DeliveredMessage {
    const m: DeliveredMessage = { payload: env.payload, source: env.source, destination: env.destination, mode: NAMES[env.mode] ?? 'anycast', at }
    if (env.mode === DeliveryMode.MULTICAST) m.seq = env.seq
    if (env.expectsReply) {
      // At most once, like the real agent: a reply is not acknowledged; if it is lost,
      // the request times out and the requester asks again.
      m.respond = async (payload) => {
        if (!this.present) throw new SessionClosedError(`agent ${this.name} has left`)
        const reply = this.envelope(env.source, payload, 'unicast', this.nextId())
        reply.correlationId = env.messageId
        this.transmit(reply)
      }
    }
    return m
  }

  // ---- sending ----

  private nextId (): Uint8Array<ArrayBuffer> {
    const id = new Uint8Array(16)
    const v = new DataView(id.buffer)
    v.setUint32(0, 0x5e5e0000)
    v.setUint32(4, this.spec.index)
    v.setUint32(8, ++this.counter)
    return id
  }

  private envelope (to: string, payload: Uint8Array, mode: ModeName, id: Uint8Array): Envelope {
    return newEnvelope({
      messageId: id as Uint8Array<ArrayBuffer>,
      payload: payload as Uint8Array<ArrayBuffer>,
      source: this.name,
      destination: to,
      mode: MODES[mode]
    })
  }

  /** Hands a copy to the relay (it stamps fields), one agent hop later. */
  private transmit (env: Envelope): void {
    const port = this.port
    if (port == null) return // goes out on resume
    this.later(() => {
      const core = this.host.core(this.spec.relay)
      if (core != null && this.port === port) core.fromAgent(this.name as AgentName, { ...env })
    })
  }

  private async send (env: Envelope): Promise<Ack> {
    if (!this.present) throw new SessionClosedError(`agent ${this.name} has left`)
    const key = idKey(env.messageId)
    return await new Promise<Ack>((resolve, reject) => {
      const timer = this.host.scheduler.at(this.host.scheduler.now() + this.host.publishTimeoutMs, () => {
        if (this.pending.get(key)?.env !== env) return
        this.pending.delete(key)
        reject(new TimeoutError(`publish to ${env.destination} timed out after ${this.host.publishTimeoutMs} ms`))
      })
      this.pending.set(key, { env, resolve, reject, timer })
      this.transmit(env)
    })
  }

  private onAck (ack: Ack): void {
    const key = idKey(ack.messageId)
    const p = this.pending.get(key)
    if (p == null) return
    this.pending.delete(key)
    if (p.timer != null) (p.timer as { cancelled: boolean }).cancelled = true
    if (ack.code === 0) p.resolve(ack)
    else p.reject(errorFromCode(ack.code, ack.reason, ack.epoch))
  }

  // ---- the EngineAgent face ----

  async subscribe (name: string, onMessage: (m: DeliveredMessage) => void, fromSeq?: number): Promise<number> {
    const sub: Sub = { onMessage, position: fromSeq ?? 0 }
    this.subs.set(name, sub)
    for (;;) {
      const core = this.host.core(this.spec.relay)
      if (core != null && this.port != null) {
        try {
          const next = await core.subscribe(this.name as AgentName, name, sub.position > 0 ? sub.position : undefined)
          if (sub.position === 0) sub.position = next
          return next
        } catch { /* the sequencer did not answer: try again */ }
      }
      await new Promise<void>(resolve => { this.host.scheduler.at(this.host.scheduler.now() + this.host.reconnectMs, resolve) })
    }
  }

  /** Renews a subscription on a new session, from its position. */
  private renew (name: string): void {
    const sub = this.subs.get(name)
    const core = this.host.core(this.spec.relay)
    const port = this.port
    if (sub == null || core == null || port == null) return
    core.subscribe(this.name as AgentName, name, sub.position > 0 ? sub.position : undefined).then(
      next => { if (sub.position === 0) sub.position = next },
      () => {
        this.host.scheduler.at(this.host.scheduler.now() + this.host.reconnectMs, () => { if (this.port === port) this.renew(name) })
      }
    )
  }

  async publish (name: string, payload: Uint8Array, mode: ModeName, messageId: Uint8Array): Promise<{ seq: number }> {
    const ack = await this.send(this.envelope(name, payload, mode, messageId))
    return { seq: ack.seq }
  }

  /** The relay does not acknowledge a request, its reply does; a routing failure comes back as an error ack. */
  async request (name: string, payload: Uint8Array, timeoutMs: number): Promise<DeliveredMessage> {
    if (!this.present) throw new SessionClosedError(`agent ${this.name} has left`)
    const env = this.envelope(name, payload, 'anycast', this.nextId())
    env.expectsReply = true
    const key = idKey(env.messageId)
    return await new Promise<DeliveredMessage>((resolve, reject) => {
      const timer = this.host.scheduler.at(this.host.scheduler.now() + timeoutMs, () => {
        if (!this.requests.delete(key)) return
        this.pending.delete(key)
        reject(new TimeoutError(`request to ${name} timed out after ${timeoutMs} ms`))
      })
      const fail = (err: Error): void => { timer.cancelled = true; this.requests.delete(key); this.pending.delete(key); reject(err) }
      this.requests.set(key, { resolve: (m) => { timer.cancelled = true; this.pending.delete(key); resolve(m) }, reject: fail })
      this.pending.set(key, { env, resolve: () => {}, reject: fail, timer: undefined })
      this.transmit(env)
    })
  }

  async leave (): Promise<void> {
    if (!this.present) return
    this.present = false
    const core = this.host.core(this.spec.relay)
    const port = this.port
    this.dropSession()
    if (core != null && port != null) core.detachAgent(this.name as AgentName, port)
    const err = new SessionClosedError(`agent ${this.name} left`)
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    for (const r of this.requests.values()) r.reject(err)
    this.requests.clear()
  }

  async rejoin (): Promise<void> {
    if (this.present) return
    this.present = true
    this.connect()
  }
}
