/**
 * `RelayCore`s connected in memory through a fake `RelayIO`, on simulated time (the
 * discrete-event scheduler of sims/scheduler.ts): every frame and gossip batch arrives
 * one link latency per hop later, in order; a link can be cut (what is in flight on it is
 * lost) and healed. Each relay keeps a `MemoryStore` the test can read.
 */
import { RelayCore } from '../../src/relay/relay-core.js'
import type { RelayConfig, AgentPort } from '../../src/relay/types.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { Envelope, DeliveryMode } from '../../src/wire/envelope.pb.js'
import type { Ack, GossipBatch, LinkFrame } from '../../src/wire/envelope.pb.js'
import { newEnvelope } from '../../src/wire/new-envelope.js'
import type { AgentName } from '../../src/names/names.js'
import type { Clock } from '../../src/relay/clock.js'
import { EventScheduler } from '../../sims/scheduler.js'
import type { AgentCredential, TrustAnchors } from '../../src/trust/verifier.js'

export interface FakeRelay {
  id: string
  core: RelayCore
  store: MemoryStore
  topics: Set<string>
  clock: Clock
}

export interface FakeAgent {
  name: string
  relay: FakeRelay
  acks: Array<Partial<Ack>>
  delivered: Envelope[]
}

interface Link { up: boolean, epoch: number }

export class FakeMesh {
  readonly scheduler = new EventScheduler()
  readonly relays = new Map<string, FakeRelay>()
  private readonly links = new Map<string, Link>()
  private readonly latencyMs: number
  private counter = 0
  /** Message id (hex) -> the text published with it. */
  private readonly published = new Map<string, string>()

  /** Sees every link frame as it is sent (`from` -> `to`). */
  private readonly tap?: (from: string, to: string, frame: LinkFrame) => void

  /**
   * `trust`: every relay runs with these trust anchors (agents are then attached with a
   * credential: `agent(relay, name, credential)`); `tap`: sees every link frame sent.
   */
  constructor (ids: string[], opts: { latencyMs?: number, config?: Partial<RelayConfig>, store?: (id: string, clock: Clock) => MemoryStore, trust?: TrustAnchors, tap?: (from: string, to: string, frame: LinkFrame) => void } = {}) {
    this.latencyMs = opts.latencyMs ?? 2
    this.tap = opts.tap
    for (const id of ids) {
      const clock = this.scheduler.clock()
      const store = opts.store?.(id, clock) ?? new MemoryStore()
      const topics = new Set<string>()
      const core = new RelayCore({
        peerId: id,
        store,
        clock,
        config: opts.config,
        trust: opts.trust,
        io: {
          sendAnnouncement: (peer, ann) => { this.send(id, peer, { announcements: [ann], routed: [], revocations: [] }) },
          sendRouted: (peer, routed) => { this.send(id, peer, { announcements: [], routed: [routed], revocations: [] }) },
          publish: (name, batch) => { this.gossip(id, name, batch) },
          setTopic: (name, on) => { if (on) topics.add(name); else topics.delete(name) },
          addrs: () => [`/fake/${id}`]
        }
      })
      this.relays.set(id, { id, core, store, topics, clock })
    }
  }

  relay (id: string): FakeRelay {
    const r = this.relays.get(id)
    if (r == null) throw new RangeError(`no relay ${id} in this mesh`)
    return r
  }

  now (): number { return this.scheduler.now() }

  async start (): Promise<void> {
    await Promise.all([...this.relays.values()].map(async r => { await r.core.start() }))
  }

  /** Stops every relay, running simulated time while they finish what is in flight. */
  async stop (): Promise<void> {
    let stopped = false
    const all = Promise.all([...this.relays.values()].map(async r => { await r.core.stop() })).finally(() => { stopped = true })
    for (let i = 0; i < 1000 && !stopped; i++) await this.run(10)
    await all
  }

  /** Runs simulated time (in steps of 10 ms, at most `ms`) until `p` settles. */
  async until<T> (p: Promise<T>, ms = 10_000): Promise<T> {
    let settled = false
    const watched = p.finally(() => { settled = true })
    for (let t = 0; t < ms && !settled; t += 10) await this.run(10)
    return await watched
  }

  /** Runs simulated time on by `ms`. */
  async run (ms: number): Promise<void> { await this.scheduler.runUntil(this.scheduler.now() + ms) }

  private key (a: string, b: string): string { return a < b ? `${a}|${b}` : `${b}|${a}` }

  /** Brings the link between `a` and `b` up. */
  link (a: string, b: string): void {
    const k = this.key(a, b)
    const l = this.links.get(k) ?? { up: false, epoch: 0 }
    this.links.set(k, l)
    if (l.up) return
    l.up = true
    l.epoch++
    this.relay(a).core.linkUp(b)
    this.relay(b).core.linkUp(a)
  }

  /** Cuts the link between `a` and `b`: what is on it is lost, both sides notice at once. */
  cut (a: string, b: string): void {
    const l = this.links.get(this.key(a, b))
    if (l?.up !== true) return
    l.up = false
    l.epoch++
    this.relay(a).core.linkDown(b)
    this.relay(b).core.linkDown(a)
  }

  private send (from: string, to: string, frame: LinkFrame): void {
    const l = this.links.get(this.key(from, to))
    if (l?.up !== true) return
    this.tap?.(from, to, frame)
    const epoch = l.epoch
    this.scheduler.at(this.now() + this.latencyMs, () => {
      if (l.epoch === epoch) this.relay(to).core.onLinkFrame(from, frame)
    })
  }

  /** To every relay on the name's topic reachable over links that are up, one latency per hop. */
  private gossip (from: string, name: string, batch: GossipBatch): void {
    const seen = new Map<string, number>([[from, 0]])
    let frontier = [from]
    for (let hops = 1; frontier.length > 0; hops++) {
      const next: string[] = []
      for (const u of frontier) {
        for (const [k, l] of this.links) {
          if (!l.up) continue
          const [a, b] = k.split('|') as [string, string]
          const v = a === u ? b : b === u ? a : undefined
          if (v == null || seen.has(v)) continue
          seen.set(v, hops)
          next.push(v)
          const target = this.relay(v)
          this.scheduler.at(this.now() + hops * this.latencyMs, () => {
            if (target.topics.has(name)) target.core.onGossip(from, batch)
          })
        }
      }
      frontier = next
    }
  }

  /** An agent attached to `relay` that records its acks and deliveries (with trust: admitted with `credential`). */
  agent (relay: string, name: string, credential?: AgentCredential): FakeAgent {
    const r = this.relay(relay)
    const a: FakeAgent = { name, relay: r, acks: [], delivered: [] }
    const port: AgentPort = {
      deliver: (env) => { a.delivered.push(env) },
      ack: (ack) => { a.acks.push(ack) },
      backlogged: () => false,
      whenWritable: async () => {}
    }
    if (credential != null) r.core.gate.admit(name, credential)
    r.core.attachAgent(name as AgentName, port)
    return a
  }

  /** Publishes a multicast message from `agent` (texts label messages: keep them unique). */
  publish (agent: FakeAgent, name: string, text: string): string {
    const id = new Uint8Array(16)
    new DataView(id.buffer).setUint32(0, ++this.counter)
    this.published.set(hex(id), text)
    const env = newEnvelope({ messageId: id, destination: name, mode: DeliveryMode.MULTICAST, payload: new TextEncoder().encode(text) })
    agent.relay.core.fromAgent(agent.name as AgentName, env)
    return text
  }

  /** The texts in the archive of `name` at `relay`, in sequence order. */
  async archive (relay: string, name: string): Promise<Array<{ seq: number, text: string }>> {
    const stored = await this.relay(relay).store.range(name, 1, 100_000)
    return stored.map(m => ({ seq: m.seq, text: new TextDecoder().decode(Envelope.decode(m.bytes).payload) }))
  }

  /**
   * What the agent's acknowledgements said first (what its publish resolved with): text ->
   * sequence number, or the error code. A later one for the same message is the answer to
   * a handover, passed on as before.
   */
  answers (agent: FakeAgent): Map<string, { seq: number, code: number }> {
    const out = new Map<string, { seq: number, code: number }>()
    for (const a of agent.acks) {
      const text = a.messageId == null ? undefined : this.published.get(hex(a.messageId))
      if (text != null && !out.has(text)) out.set(text, { seq: a.seq ?? 0, code: a.code ?? 0 })
    }
    return out
  }
}

function hex (id: Uint8Array): string { return Buffer.from(id).toString('hex') }

/** The texts of an agent's messages, from their payloads. */
export function texts (envs: Envelope[]): string[] {
  return envs.map(e => new TextDecoder().decode(e.payload))
}
