/**
 * A simulated agent's session to its relay: what `AgentSessionActor`
 * (src/actors/agent-session.actor.ts) does, on simulated time and without a network.
 * Toward the agent core (src/agent/agent-core.ts) it is the `SessionPort`; toward the
 * relay's `RelayCore` it is the session's `AgentPort`. Each way costs one agent hop
 * (`agentLatencyMs`). It reconnects with backoff after a relay crash or a cut-off, and
 * tells the core when the session is up and down.
 *
 * A slow consumer reads one message per `slowMs`; what it has not read waits in its
 * session's write queue at the relay, which reports itself backlogged past a high-water
 * mark and cuts the session off past a limit (the real relay does at 8 MiB; the
 * simulation at 100 messages, so that short runs show it), losing the unsent queue; the
 * agent reconnects and resumes from its position.
 */
import type { Ack, Envelope, Subscribe, Unsubscribe } from '../src/wire/envelope.pb.js'
import type { AgentCore, CoreSubscription } from '../src/agent/agent-core.js'
import type { SessionPort } from '../src/agent/session-port.js'
import type { Clock } from '../src/relay/clock.js'
import type { RelayCore } from '../src/relay/relay-core.js'
import type { AgentPort } from '../src/relay/types.js'
import type { AgentName } from '../src/names/names.js'
import type { EventScheduler } from './scheduler.js'
import type { AgentCredential } from '../src/trust/verifier.js'

export interface SimAgentHost {
  scheduler: EventScheduler
  /** The agents' clock (the scheduler's, timers owned by no relay). */
  clock: Clock
  /** The relay's live incarnation, if it is up. */
  core: (relay: number) => RelayCore | undefined
  /** Engine time (ms since start). */
  now: () => number
  agentLatencyMs: number
  reconnectMs: number
  publishTimeoutMs: number
  /** With trust: the credential an agent's session is admitted with (checked before the run). */
  credentialOf?: (agent: string) => AgentCredential | undefined
}

/** Queued messages at which the session reports itself backlogged. */
const HIGH_WATER = 32
/** Queued messages at which the relay cuts a slow consumer off. */
const CUT_OFF = 100

export class SimSession<S extends CoreSubscription> implements SessionPort {
  /** The agent's side never backs up: the simulation models the relay's side (`queue`). */
  readonly backlogged = false
  present = true
  /** Times the relay cut this agent off for reading too slowly. */
  cutOffs = 0
  private readonly name: AgentName
  private readonly relay: number
  private readonly slowMs?: number
  private readonly host: SimAgentHost
  private agent?: AgentCore<S>
  /** The relay's face of the current session, while there is one. */
  private port?: AgentPort
  private queue: Envelope[] = []
  private reading = false
  private writable: Array<() => void> = []
  private reconnecting = false
  private attempts = 0

  constructor (name: string, relay: number, slowMs: number | undefined, host: SimAgentHost) {
    this.name = name as AgentName
    this.relay = relay
    this.slowMs = slowMs
    this.host = host
  }

  /** The core the session reports to (set once, right after both are built). */
  attach (agent: AgentCore<S>): void { this.agent = agent }

  // ---- the SessionPort ----

  async whenWritable (): Promise<void> {}

  /** Hands a copy to the relay (it stamps fields), one agent hop later. */
  send (env: Envelope): boolean {
    const port = this.port
    if (port == null) return false
    this.later(() => {
      const core = this.host.core(this.relay)
      if (core != null && this.port === port) core.fromAgent(this.name, { ...env })
    })
    return true
  }

  subscribe (request: Subscribe): boolean {
    if (this.port == null) return false
    this.ask(request, this.port)
    return true
  }

  /** Asks the relay until it answers (its sequencer may be away), while the session lasts. */
  private ask (request: Subscribe, port: AgentPort): void {
    this.host.core(this.relay)?.subscribe(this.name, request.name, request.fromSeq).then(
      nextSeq => { if (this.port === port) this.agent?.subscribed({ requestId: request.requestId, name: request.name, nextSeq, code: 0, reason: '' }) },
      () => { this.host.scheduler.at(this.host.scheduler.now() + this.host.reconnectMs, () => { if (this.port === port) this.ask(request, port) }) }
    )
  }

  unsubscribe (request: Unsubscribe): boolean {
    if (this.port == null) return false
    this.host.core(this.relay)?.unsubscribe(this.name, request.name)
    return true
  }

  // ---- the session ----

  /** Opens a session (or schedules a retry while the relay is down). */
  connect (): void {
    if (!this.present || this.port != null) return
    const core = this.host.core(this.relay)
    if (core == null) { this.retryLater(); return }
    const port = this.makePort()
    this.port = port
    this.attempts = 0
    // The session's admission: the relay holds the agent's credential, its grants checked from here on.
    const credential = this.host.credentialOf?.(this.name)
    if (credential != null) core.gate.admit(this.name, credential)
    core.attachAgent(this.name, port)
    this.agent?.sessionActive()
  }

  /** The relay crashed: the session is gone, whatever was queued for it too. */
  relayDown (): void {
    if (this.port == null) return
    this.dropSession()
    this.retryLater()
  }

  /** The agent closes its session (it keeps its subscriptions for `rejoin`). */
  leave (): void {
    this.present = false
    const core = this.host.core(this.relay)
    const port = this.port
    this.dropSession()
    if (core != null && port != null) core.detachAgent(this.name, port)
  }

  private dropSession (): void {
    this.port = undefined
    this.queue = []
    for (const w of this.writable.splice(0)) w()
    this.agent?.sessionDown()
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
        this.later(() => { this.agent?.ackArrived(ack as Ack) })
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
    if (this.slowMs == null) { this.agent?.envelopeArrived(env); return }
    this.queue.push(env)
    if (this.queue.length > CUT_OFF) { this.cutOff(); return }
    if (!this.reading) this.readSlowly()
  }

  /** The relay cuts the session off; what it had not sent yet is lost with it. */
  private cutOff (): void {
    this.cutOffs++
    const core = this.host.core(this.relay)
    const port = this.port
    this.dropSession()
    if (core != null && port != null) core.agentAway(this.name, port)
    this.retryLater()
  }

  private readSlowly (): void {
    const env = this.queue.shift()
    if (env == null) { this.reading = false; return }
    this.reading = true
    this.host.scheduler.at(this.host.scheduler.now() + (this.slowMs ?? 0), () => {
      this.agent?.envelopeArrived(env)
      if (this.queue.length < HIGH_WATER / 2) for (const w of this.writable.splice(0)) w()
      this.readSlowly()
    })
  }
}
