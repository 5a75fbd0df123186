/**
 * The real engine: real relays (`createRelay`: libp2p over TCP on 127.0.0.1, LevelDB
 * stores in a temporary directory) and real agents (`connectAgent`), all in this
 * process, on wall-clock time. Links follow the topology: each relay bootstraps to its
 * neighbours with a lower index.
 *
 * Faults: a crash stops a relay (`relay.stop()`, which also withdraws its routes: a
 * real process kill cannot be had from inside one process) and restarts it on the same
 * data directory and port; its agents reconnect by themselves. A slow consumer reads
 * with a pause per message. Partitions and lossy links need control of the transport
 * that libp2p's TCP does not give: those faults are refused with `UnsupportedFaultError`
 * (run them with `--engine simulated`).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { createRelay } from '../src/node/relay-node.js'
import type { Relay, RelayOptions } from '../src/node/relay-node.js'
import { agentInternals, connectAgent } from '../src/agent/agent.js'
import type { Agent } from '../src/agent/agent.js'
import type { Subscription } from '../src/agent/subscription.js'
import { UnsupportedFaultError } from './engine.js'
import type { AgentSpec, DeliveredMessage, Engine, EngineAgent, EngineStartOptions, FaultKind, LinkQuality, ModeName } from './engine.js'
import { relayInternals } from '../src/node/relay-node.js'
import { createAuthority } from '../src/trust/keys.js'
import type { Authority } from '../src/trust/keys.js'
import { delegateIssuer } from '../src/trust/tokens.js'
import type { AgentCredentials } from '../src/trust/credentials-file.js'

/** Fast routing and session timings, as the multi-relay tests use. */
const FAST: Pick<RelayOptions, 'config' | 'timings'> = {
  config: { announceIntervalMs: 300, routeTtlMs: 1500, requestTimeoutMs: 3000, gapWaitMs: 30, tailCheckMs: 100 },
  timings: { probeIntervalMs: 1000, gracePeriodMs: 5000 }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, ms))) }

export class RealEngine implements Engine {
  readonly kind = 'real' as const
  readonly faults: readonly FaultKind[] = ['crash', 'slow-consumer']
  private readonly t0 = performance.now()
  private relays: Array<Relay | undefined> = []
  private dirs: string[] = []
  private ports: string[] = []
  private agents: RealAgent[] = []
  private root?: string
  private authority?: Authority
  private credentials?: AgentCredentials
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private stopped = false

  now (): number { return performance.now() - this.t0 }

  schedule (at: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); if (!this.stopped) fn() }, Math.max(0, at - this.now()))
    this.timers.add(t)
  }

  async runUntil (at: number): Promise<void> { await sleep(at - this.now()) }

  async runUntilTrue (cond: () => boolean, deadline: number, everyMs: number): Promise<boolean> {
    for (;;) {
      if (cond()) return true
      if (this.now() >= deadline) return false
      await sleep(Math.min(everyMs, deadline - this.now()))
    }
  }

  relayIds (): string[] { return this.relays.map(r => r?.peerId ?? '') }

  async start (options: EngineStartOptions): Promise<EngineAgent[]> {
    this.root = await mkdtemp(join(tmpdir(), 'slim-mesh-sim-'))
    // One mesh, with trust on as a user's is: every relay trusts one authority, every agent signs its credential with its issuer.
    this.authority = await createAuthority()
    this.credentials = { kind: 'slim-mesh/issuer', authority: this.authority.authority, issuer: await delegateIssuer(this.authority, { prefix: '**' }) }
    const { topology } = options
    for (let i = 0; i < topology.relays; i++) {
      const dir = join(this.root, `relay-${i}`)
      const bootstrap = topology.edges.filter(([a, b]) => Math.max(a, b) === i).map(([a, b]) => this.relays[Math.min(a, b)]?.multiaddrs[0] as string)
      const relay = await createRelay({ ...FAST, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, dataDir: dir, trust: { authority: this.authority } })
      this.relays.push(relay)
      this.dirs.push(dir)
      this.ports.push(/\/tcp\/(\d+)/.exec(relay.multiaddrs[0] ?? '')?.[1] ?? '0')
      options.onProgress?.(i + 1, topology.relays, 'relays')
    }
    for (const spec of options.agents) {
      const addr = this.relays[spec.relay]?.multiaddrs[0]
      if (addr == null) throw new Error(`agent ${spec.index} names relay ${spec.relay}, which does not exist`)
      this.agents.push(await RealAgent.connect(spec, addr, () => this.now(), this.credentials))
    }
    return this.agents
  }

  private live (): Relay[] { return this.relays.filter((r): r is Relay => r != null) }

  routesConverged (): boolean {
    const live = this.live()
    return live.every(r => live.every(o => o === r || relayInternals(r).table.distance(o.peerId) < Infinity))
  }

  claimsKnown (names: string[]): boolean {
    return this.live().every(r => names.every(n => relayInternals(r).table.sequencerOf(n) != null))
  }

  sequencerOf (name: string): number | undefined {
    const id = this.live().map(r => relayInternals(r).table.sequencerOf(name)?.relay).find(x => x != null)
    const i = this.relays.findIndex(r => r?.peerId === id)
    return i < 0 ? undefined : i
  }

  async crash (i: number): Promise<void> {
    const r = this.relays[i]
    if (r == null) return
    this.relays[i] = undefined
    await r.stop()
  }

  async restart (i: number): Promise<void> {
    if (this.relays[i] != null || this.stopped) return
    this.relays[i] = await createRelay({ ...FAST, listen: [`/ip4/127.0.0.1/tcp/${this.ports[i] ?? '0'}`], dataDir: this.dirs[i], trust: this.authority != null ? { authority: this.authority } : undefined })
  }

  async partition (_side: ReadonlySet<number>): Promise<void> { throw unsupported('partition') }
  async heal (): Promise<void> { throw unsupported('partition') }
  degradeLinks (_quality: LinkQuality | undefined): void { throw unsupported('lossy') }
  traffic (): undefined { return undefined }
  cutOffs (): undefined { return undefined }

  async stop (): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await Promise.all(this.agents.map(async a => { await a.leave().catch(() => {}) }))
    for (const r of this.relays) await r?.stop().catch(() => {})
    this.relays = []
    if (this.root != null) await rm(this.root, { recursive: true, force: true })
  }
}

function unsupported (fault: string): UnsupportedFaultError {
  return new UnsupportedFaultError(`the real engine cannot simulate "${fault}": libp2p's TCP transport gives no control of loss or of which links stay cut (relays redial). Run it with --engine simulated`)
}

interface RealSub { onMessage: (m: DeliveredMessage) => void, position: number, sub?: Subscription }

/** A real agent behind the scenario's face; `rejoin` reconnects with the same identity. */
class RealAgent implements EngineAgent {
  readonly spec: AgentSpec
  present = true
  private agent?: Agent
  private identity?: PrivateKey
  private readonly addr: string
  private readonly now: () => number
  private readonly subs = new Map<string, RealSub>()

  private readonly credentials?: AgentCredentials
  private constructor (spec: AgentSpec, addr: string, now: () => number, credentials?: AgentCredentials) {
    this.credentials = credentials
    this.spec = spec
    this.addr = addr
    this.now = now
  }

  static async connect (spec: AgentSpec, addr: string, now: () => number, credentials?: AgentCredentials): Promise<RealAgent> {
    const a = new RealAgent(spec, addr, now, credentials)
    await a.open()
    return a
  }

  private async open (): Promise<void> {
    this.agent = await connectAgent({ relay: this.addr, name: this.spec.service, identity: this.identity, keepaliveMs: 500, publishTimeoutMs: 5000, credentials: this.credentials })
    this.identity = agentInternals(this.agent).identity
  }

  get name (): string { return this.agent?.name ?? this.spec.service }

  async subscribe (name: string, onMessage: (m: DeliveredMessage) => void, fromSeq?: number): Promise<number> {
    const entry: RealSub = { onMessage, position: fromSeq ?? 0 }
    this.subs.set(name, entry)
    await this.attach(name, entry)
    return entry.position
  }

  private async attach (name: string, entry: RealSub): Promise<void> {
    const agent = this.agent
    if (agent == null) return
    const sub = await agent.subscribe(name, { fromSeq: entry.position > 0 ? entry.position : undefined })
    entry.sub = sub
    if (entry.position === 0) entry.position = sub.position
    void this.read(name, entry, sub, agent)
  }

  private async read (name: string, entry: RealSub, sub: Subscription, agent: Agent): Promise<void> {
    try {
      for await (const m of sub) {
        if (this.spec.slowMs != null) await sleep(this.spec.slowMs)
        if (m.seq != null && m.seq >= entry.position) entry.position = m.seq + 1
        entry.onMessage({ payload: m.data, source: m.source, destination: m.destination, mode: m.mode, seq: m.seq, at: this.now(), respond: m.respond })
      }
    } catch {
      // Ended with an error (a renewal refused): subscribe again from where it stopped.
      if (this.present && this.agent === agent) {
        await sleep(250)
        await this.attach(name, entry).catch(() => {})
      }
    }
  }

  async publish (name: string, payload: Uint8Array, mode: ModeName, messageId: Uint8Array): Promise<{ seq: number }> {
    const agent = this.agent
    if (agent == null || !this.present) throw new Error(`agent ${this.name} has left`)
    // The scenario chooses the message ids (to match deliveries to publishes).
    const port = agentInternals(agent)
    const env = port.envelope(name, payload, { mode })
    env.messageId = messageId as typeof env.messageId
    const ack = await port.send(env)
    return { seq: ack.seq }
  }

  async request (name: string, payload: Uint8Array, timeoutMs: number): Promise<DeliveredMessage> {
    const agent = this.agent
    if (agent == null || !this.present) throw new Error(`agent ${this.name} has left`)
    const m = await agent.request(name, payload, { timeoutMs })
    return { payload: m.data, source: m.source, destination: m.destination, mode: m.mode, at: this.now() }
  }

  async leave (): Promise<void> {
    if (!this.present) return
    this.present = false
    const agent = this.agent
    this.agent = undefined
    await agent?.close()
  }

  async rejoin (): Promise<void> {
    if (this.present) return
    this.present = true
    await this.open()
    for (const [name, entry] of this.subs) await this.attach(name, entry)
  }
}
