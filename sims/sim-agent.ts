/**
 * A simulated agent: the real agent logic (`AgentCore`, src/agent/agent-core.ts: pending
 * acks resent on resume with the same message id, request correlation, positions,
 * de-duplication) over a simulated session to its relay's `RelayCore` (./sim-session.ts),
 * on the engine's simulated clock. This file is only the `EngineAgent` face.
 *
 * The core drops duplicate deliveries; this agent hands them to the workload anyway, so
 * the metrics see exactly what the relay delivered and count its duplicates.
 */
import { DeliveryMode } from '../src/wire/envelope.pb.js'
import type { Envelope } from '../src/wire/envelope.pb.js'
import { AgentCore } from '../src/agent/agent-core.js'
import type { AgentCoreHandlers } from '../src/agent/agent-core.js'
import { SessionClosedError } from '../src/relay/errors.js'
import { newEnvelope } from '../src/wire/new-envelope.js'
import type { AgentSpec, DeliveredMessage, EngineAgent, ModeName } from './engine.js'
import { SimSession } from './sim-session.js'
import type { SimAgentHost } from './sim-session.js'

const MODES: Record<ModeName, DeliveryMode> = { anycast: DeliveryMode.ANYCAST, multicast: DeliveryMode.MULTICAST, unicast: DeliveryMode.UNICAST }
const NAMES: Partial<Record<DeliveryMode, ModeName>> = { [DeliveryMode.ANYCAST]: 'anycast', [DeliveryMode.MULTICAST]: 'multicast', [DeliveryMode.UNICAST]: 'unicast' }

interface Sub { readonly name: string, position: number, onMessage: (m: DeliveredMessage) => void, readonly agent: SimAgent }

/** One handler object for every simulated agent (no closures per agent on the delivery path). */
const HANDLERS: AgentCoreHandlers<Sub> = {
  deliver: (sub, env) => { sub.onMessage(sub.agent.toMessage(env)) },
  duplicate: (sub, env) => { sub?.onMessage(sub.agent.toMessage(env)) },
  end: () => {}
}

export class SimAgent implements EngineAgent {
  readonly spec: AgentSpec
  readonly name: string
  private readonly host: SimAgentHost
  private readonly session: SimSession<Sub>
  private readonly core: AgentCore<Sub>
  private counter = 0

  /** `name`: the agent's full name (its instance from its key, with trust); by default `<service>/a<index>`. */
  constructor (spec: AgentSpec, host: SimAgentHost, name = `${spec.service}/a${spec.index}`) {
    this.spec = spec
    this.host = host
    this.name = name
    this.session = new SimSession<Sub>(this.name, spec.relay, spec.slowMs, host)
    this.core = new AgentCore<Sub>({ name: this.name, port: this.session, clock: host.clock, publishTimeoutMs: host.publishTimeoutMs, handlers: HANDLERS })
    this.session.attach(this.core)
  }

  get present (): boolean { return this.session.present }
  /** Times the relay cut this agent off for reading too slowly. */
  get cutOffs (): number { return this.session.cutOffs }

  connect (): void { this.session.connect() }
  relayDown (): void { this.session.relayDown() }

  /** An envelope as the workload sees it (`HANDLERS` hand it over). */
  toMessage (env: Envelope): DeliveredMessage {
    const m: DeliveredMessage = { payload: env.payload, source: env.source, destination: env.destination, mode: NAMES[env.mode] ?? 'anycast', at: this.host.now() + this.host.agentLatencyMs }
    if (env.mode === DeliveryMode.MULTICAST) m.seq = env.seq
    if (env.expectsReply) {
      // At most once, like the real agent: a reply is not acknowledged; if it is lost,
      // the request times out and the requester asks again.
      m.respond = async (payload) => {
        this.checkPresent()
        const reply = this.envelope(env.source, payload, 'unicast', this.nextId())
        reply.correlationId = env.messageId
        await this.core.write(reply)
      }
    }
    return m
  }

  private checkPresent (): void {
    if (!this.session.present) throw new SessionClosedError(`agent ${this.name} has left`)
  }

  private nextId (): Uint8Array<ArrayBuffer> {
    const id = new Uint8Array(16)
    const v = new DataView(id.buffer)
    v.setUint32(0, 0x5e5e0000)
    v.setUint32(4, this.spec.index)
    v.setUint32(8, ++this.counter)
    return id
  }

  private envelope (to: string, payload: Uint8Array, mode: ModeName, id: Uint8Array): Envelope {
    return newEnvelope({ messageId: id as Uint8Array<ArrayBuffer>, payload: payload as Uint8Array<ArrayBuffer>, source: this.name, destination: to, mode: MODES[mode] })
  }

  // ---- the EngineAgent face ----

  /** Subscribes, asking again until the relay answers; resolves with its first sequence number. */
  async subscribe (name: string, onMessage: (m: DeliveredMessage) => void, fromSeq?: number): Promise<number> {
    return await this.core.subscribe({ name, position: fromSeq ?? 0, onMessage, agent: this }, { fromSeq, timeoutMs: Infinity })
  }

  async publish (name: string, payload: Uint8Array, mode: ModeName, messageId: Uint8Array): Promise<{ seq: number }> {
    this.checkPresent()
    const ack = await this.core.send(this.envelope(name, payload, mode, messageId))
    return { seq: ack.seq }
  }

  async request (name: string, payload: Uint8Array, timeoutMs: number): Promise<DeliveredMessage> {
    this.checkPresent()
    const reply = await this.core.request(this.envelope(name, payload, 'anycast', this.nextId()), { timeoutMs })
    return this.toMessage(reply)
  }

  async leave (): Promise<void> {
    if (!this.session.present) return
    this.session.leave()
    this.core.abandon(new SessionClosedError(`agent ${this.name} left`))
  }

  async rejoin (): Promise<void> {
    if (this.session.present) return
    this.session.present = true
    this.session.connect()
  }
}
