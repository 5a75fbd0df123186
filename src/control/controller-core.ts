/**
 * The controller's logic, apart from HTTP: the roster and each relay's membership actor,
 * the operator's intent, the desired state it computes (planned by the topology manager,
 * signed, versioned, kept in the store) and the notices that tell relays a new
 * generation is out. It reconciles every interval: a relay that runs an old generation
 * or reports an item not applied is noticed again, for as long as it takes; an expired
 * alert action is dropped from the state.
 */
import { createActor } from 'xstate'
import type { Actor } from 'xstate'
import type { KeyValueStore } from '../store/store.js'
import type { Authority } from '../trust/keys.js'
import { TrustAnchors } from '../trust/verifier.js'
import { issueRelayCredential } from '../trust/tokens.js'
import { relayMembershipMachine } from '../machines/relay-membership.machine.js'
import { stateName } from '../machines/inspection.js'
import type { Logger } from '../logger.js'
import { sameContent, signState, verifyState } from './desired-state.js'
import type { DesiredState, SignedState } from './desired-state.js'
import { JoinTokens } from './join-tokens.js'
import { Roster } from './roster.js'
import type { Heartbeat, RelayRecord } from './roster.js'
import { loadIntent, saveIntent } from './mesh-intent.js'
import type { MeshIntent } from './mesh-intent.js'
import { planLinks } from './topology.js'
import type { LinkPair, TopologySpec } from './types.js'
import { ControllerError } from './errors.js'
import { LeaseBook } from './lease-book.js'
import { PeeringBook } from './peering-book.js'
import { matchName } from '../trust/patterns.js'
import type { SequencerLease } from './lease-book.js'

const STATE_KEY = 'ctl/state'
/** How much longer a relay known from the store has for its first heartbeat after the controller restarts (its backoff is at most 7.5 s). */
const RESTORE_GRACE_MS = 10_000

export interface ControllerTimings {
  /** How often relays heartbeat (told to them in the desired state). */
  heartbeatMs: number
  /** No heartbeat for this long: the relay is down. */
  downAfterMs: number
  /** How often the controller reconciles. */
  reconcileMs: number
}

export const DEFAULT_CONTROLLER_TIMINGS: ControllerTimings = { heartbeatMs: 2_000, downAfterMs: 6_000, reconcileMs: 5_000 }

type Membership = Actor<typeof relayMembershipMachine>

export interface ControllerCoreInit {
  store: KeyValueStore
  authority: Authority
  timings: ControllerTimings
  log: Logger
  initialIntent?: Partial<MeshIntent>
  /** Called with every transition of a membership actor. */
  onTransition?: (actor: string, from: string, to: string, event: string) => void
  /** How many relays keep each name's archive, its sequencer included (default 2; 1: no replicas). */
  replication?: number
}

export class ControllerCore {
  readonly store: KeyValueStore
  readonly authority: Authority
  readonly anchors: TrustAnchors
  readonly tokens: JoinTokens
  readonly timings: ControllerTimings
  private readonly log: Logger
  roster!: Roster
  intent!: MeshIntent
  /** Sequencer leases: who numbers each name, under which term, and its replicas. */
  leases!: LeaseBook
  /** Peerings with other meshes (src/control/peering-book.ts). */
  peerings!: PeeringBook
  private readonly leaseWatchers = new Map<string, Set<(lease: SequencerLease) => void>>()
  private current?: SignedState
  private readonly members = new Map<string, Membership>()
  private readonly watchers = new Set<(generation: number, hash: string) => void>()
  private readonly changeListeners: Array<(s: SignedState) => void> = []
  private readonly downListeners: Array<(peerId: string, down: boolean) => void> = []
  private publishing: Promise<void> = Promise.resolve()
  private publishQueued = false
  private timer?: NodeJS.Timeout
  private readonly onTransition?: ControllerCoreInit['onTransition']
  private readonly initialIntent?: Partial<MeshIntent>

  constructor (init: ControllerCoreInit) {
    this.store = init.store
    this.authority = init.authority
    this.anchors = new TrustAnchors({ authority: init.authority.authority })
    this.tokens = new JoinTokens(init.store, init.authority.authority.mesh)
    this.timings = init.timings
    this.log = init.log
    this.onTransition = init.onTransition
    this.initialIntent = init.initialIntent
    this.replication = init.replication ?? 2
  }

  private readonly replication: number

  /** Each change of a lease that `peer` holds or held, until the returned function is called. */
  watchLeases (peer: string, fn: (lease: SequencerLease) => void): () => void {
    let set = this.leaseWatchers.get(peer)
    if (set == null) { set = new Set(); this.leaseWatchers.set(peer, set) }
    set.add(fn)
    return () => { set.delete(fn); if (set.size === 0) this.leaseWatchers.delete(peer) }
  }

  /** The lease of `name`, granted to `peer` if nobody holds it. */
  async claimLease (name: string, peer: string): Promise<SequencerLease> {
    if (!this.isUp(peer)) throw new ControllerError(409, 'lease.relay-down', `relay ${peer} is down for this controller; it may claim once its heartbeat is back`)
    return await this.leases.claim(name, peer)
  }

  /** The holder of a lease says a catching-up replica has caught up. */
  async leaseCaughtUp (name: string, term: number, holder: string, replica: string): Promise<void> {
    const lease = await this.leases.caughtUp(name, term, holder, replica)
    if (lease != null) this.log.info({ name, term, replica }, 'sequencer replica caught up')
  }

  private tellLease (lease: SequencerLease, previous?: string): void {
    for (const peer of new Set([lease.holder, ...(previous != null ? [previous] : [])])) {
      for (const fn of this.leaseWatchers.get(peer) ?? []) { try { fn(lease) } catch {} }
    }
  }

  /** A relay went down or came back: its leases fail over, or it may take replica places. */
  private async leasesOnRelay (peerId: string, down: boolean): Promise<void> {
    try {
      if (down) {
        for (const { lease, previous } of await this.leases.relayDown(peerId)) {
          if (lease.holder !== previous) this.log.warn({ name: lease.name, from: previous, to: lease.holder, term: lease.term }, 'sequencer failover: the lease moved to a replica')
          this.tellLease(lease, previous)
        }
      } else {
        for (const lease of await this.leases.relayUp(peerId)) this.tellLease(lease)
      }
    } catch (err) {
      this.log.error({ relay: peerId, error: (err as Error).message }, 'updating the sequencer leases failed')
    }
  }

  get mesh (): string { return this.authority.authority.mesh }

  async start (): Promise<void> {
    this.roster = await Roster.load(this.store)
    this.intent = await loadIntent(this.store, this.initialIntent)
    const replication = Math.max(1, this.replication)
    this.leases = await LeaseBook.load({
      store: this.store,
      live: () => this.roster.active().map(r => r.peerId).filter(p => this.isUp(p)),
      // A per-name policy's `replication` (the first that covers the name and sets it), else the controller's.
      replicationOf: (name) => Math.max(1, this.intent.policies.find(p => p.replication != null && (p.until == null || p.until > Date.now()) && matchName(p.names, name))?.replication ?? replication)
    })
    this.peerings = await PeeringBook.load({ store: this.store, authority: this.authority })
    for (const jwt of this.intent.revocations) {
      try { this.anchors.revocations.add(await this.anchors.verifyRevocation(jwt)) } catch {}
    }
    const kept = await this.store.get(STATE_KEY)
    if (kept != null) {
      try { this.current = await verifyState(new TextDecoder().decode(kept), this.authority.authority) } catch (err) { this.log.warn({ error: (err as Error).message }, 'the kept desired state does not verify: starting a new one') }
    }
    // Every relay starts as registered: one that does not heartbeat within the interval is down.
    for (const r of this.roster.active()) this.member(r.peerId, true)
    await this.publish()
    this.timer = setInterval(() => { void this.reconcile() }, this.timings.reconcileMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    for (const m of this.members.values()) m.stop()
    this.members.clear()
    this.peerings?.stop()
    await this.publishing
  }

  /** The document relays run now. */
  get state (): SignedState {
    if (this.current == null) throw new ControllerError(503, 'state.none', 'the controller has not published a desired state yet')
    return this.current
  }

  onStateChange (fn: (s: SignedState) => void): void { this.changeListeners.push(fn) }
  /** Called when a relay goes down (`true`) or comes back (`false`). */
  onRelayDown (fn: (peerId: string, down: boolean) => void): void { this.downListeners.push(fn) }

  /** A notice per new generation, until the returned function is called. */
  watch (fn: (generation: number, hash: string) => void): () => void {
    this.watchers.add(fn)
    return () => { this.watchers.delete(fn) }
  }

  private member (peerId: string, restored = false): Membership {
    let m = this.members.get(peerId)
    if (m != null) return m
    const machine = relayMembershipMachine.provide({
      // A relay known from the store may be in its backoff (at most about 7.5 s) when the controller comes back.
      delays: { DOWN_AFTER: this.timings.downAfterMs, FIRST_HEARTBEAT: ({ context }) => this.timings.downAfterMs + (context.restored ? RESTORE_GRACE_MS : 0) },
      actions: {
        relayDown: () => { this.log.warn({ relay: peerId }, 'relay down: no heartbeat'); void this.leasesOnRelay(peerId, true); for (const fn of this.downListeners) fn(peerId, true); this.schedulePublish() },
        relayUp: () => { this.log.info({ relay: peerId }, 'relay back'); void this.leasesOnRelay(peerId, false); for (const fn of this.downListeners) fn(peerId, false); this.schedulePublish() }
      }
    })
    m = createActor(machine, { input: { peerId, desired: this.current?.state.generation ?? 0, restored } })
    let last = 'registered'
    m.subscribe((snap) => {
      const to = stateName(snap.value)
      if (to !== last) { this.onTransition?.(`relay:${peerId}`, last, to, 'update'); last = to }
    })
    m.start()
    this.members.set(peerId, m)
    return m
  }

  /** A relay's state as the controller sees it: `registered`, `live.inSync`, `live.behind`, `down`. */
  membership (peerId: string): string { const m = this.members.get(peerId); return m == null ? 'unknown' : stateName(m.getSnapshot().value) }
  isUp (peerId: string): boolean { return this.membership(peerId) !== 'down' && this.members.has(peerId) }

  /** Registration: a valid join token and a proof of the relay's key give it its credential and the state. */
  async register (peerId: string, token: string, role: RelayRecord['role'] = 'member'): Promise<{ credential: string, state: SignedState }> {
    const known = this.roster.get(peerId)
    if (known?.removed === true) throw new ControllerError(403, 'relay.removed', `relay ${peerId} was removed from this mesh; it cannot join again`)
    await this.tokens.consume(token, peerId)
    await this.roster.add(peerId, token, role)
    const credential = await issueRelayCredential(this.authority, { peerId, role })
    this.member(peerId)
    void this.leasesOnRelay(peerId, false)
    this.log.info({ relay: peerId }, 'relay registered')
    await this.publish()
    return { credential, state: this.state }
  }

  async heartbeat (peerId: string, hb: Heartbeat): Promise<{ generation: number, hash: string }> {
    const rec = this.roster.get(peerId)
    if (rec == null || rec.removed === true) throw new ControllerError(403, 'relay.unknown', `relay ${peerId} is not on this mesh's roster`)
    this.roster.live.set(peerId, { lastSeen: Date.now(), heartbeat: hb })
    const unapplied = hb.items.filter(i => i.status !== 'applied').length
    this.member(peerId).send({ type: 'heartbeat.received', generation: hb.generation, unapplied })
    if (await this.roster.setAddrs(peerId, hb.addrs)) this.schedulePublish()
    for (const i of hb.items) if (i.status === 'failed') this.log('relay %s: %s failed: %s', peerId, i.id, i.reason ?? '')
    return { generation: this.state.state.generation, hash: this.state.hash }
  }

  /** Changes the intent (and so the state): `fn` edits a copy; it is kept before relays hear of it. */
  async change (fn: (intent: MeshIntent) => void): Promise<SignedState> {
    const next: MeshIntent = structuredClone(this.intent)
    fn(next)
    for (const jwt of next.revocations) {
      if (this.intent.revocations.includes(jwt)) continue
      this.anchors.revocations.add(await this.anchors.verifyRevocation(jwt))
    }
    await saveIntent(this.store, next)
    this.intent = next
    await this.publish()
    return this.state
  }

  async removeRelay (peerId: string): Promise<RelayRecord | undefined> {
    const rec = await this.roster.remove(peerId)
    this.members.get(peerId)?.send({ type: 'relay.remove' })
    this.members.delete(peerId)
    await this.publish()
    return rec
  }

  /** The state as the intent and roster give it now (without generation and time). */
  private compute (): Omit<DesiredState, 'generation' | 'issuedAt'> {
    const now = Date.now()
    const active = this.roster.active()
    const relays = active.map(r => ({ peerId: r.peerId, addrs: r.addrs, role: r.role, up: this.isUp(r.peerId) }))
    const links: LinkPair[] = planLinks(active.map(r => ({ peerId: r.peerId, up: this.isUp(r.peerId), order: r.order })), this.intent.topology, {
      health: this.roster.health(),
      current: this.current?.state.links
    })
    return {
      mesh: this.mesh,
      relays,
      topology: this.intent.topology,
      links,
      issuers: this.intent.issuers,
      revocations: this.intent.revocations,
      policies: this.intent.policies.filter(p => p.until == null || p.until > now),
      drains: this.intent.drains.filter(d => d.until > now && this.roster.get(d.peerId)?.removed !== true),
      relayConfig: this.intent.relayConfig,
      heartbeatMs: this.timings.heartbeatMs
    }
  }

  /** Publishes a new generation if the content changed; one at a time, coalescing requests. */
  async publish (): Promise<void> {
    const run = this.publishing.then(async () => {
      const next = this.compute()
      if (this.current != null && sameContent(this.current.state, next)) return
      const state: DesiredState = { ...next, generation: (this.current?.state.generation ?? 0) + 1, issuedAt: Date.now() }
      const signed = await signState(this.authority, state)
      await this.store.put(STATE_KEY, new TextEncoder().encode(signed.jws))
      this.current = signed
      this.log.info({ generation: state.generation, links: state.links.length, relays: state.relays.length, policies: state.policies.length }, 'desired state published')
      for (const m of this.members.values()) m.send({ type: 'state.published', generation: state.generation })
      for (const fn of this.changeListeners) fn(signed)
      this.notifyAll()
    })
    this.publishing = run.catch(err => { this.log.error({ error: (err as Error).message }, 'publishing the desired state failed') })
    await run
  }

  schedulePublish (): void {
    if (this.publishQueued) return
    this.publishQueued = true
    setTimeout(() => { this.publishQueued = false; void this.publish().catch(() => {}) }, 10)
  }

  private notifyAll (): void {
    if (this.current == null) return
    for (const w of this.watchers) { try { w(this.current.state.generation, this.current.hash) } catch {} }
  }

  /** Republishes what changed (expired policies), and notices relays that lag again. */
  async reconcile (): Promise<void> {
    try {
      await this.publish()
      const behind = [...this.members.entries()].filter(([, m]) => m.getSnapshot().matches({ live: 'behind' })).map(([id]) => id)
      if (behind.length > 0) {
        this.log('reconcile: %d relays behind generation %d, noticed again', behind.length, this.current?.state.generation ?? 0)
        this.notifyAll()
      }
    } catch (err) {
      this.log.warn({ error: (err as Error).message }, 'reconciliation failed; next interval')
    }
  }

  /** Whether a topology spec names only relays of the roster. */
  checkTopology (spec: TopologySpec): void {
    const known = new Set(this.roster.active().map(r => r.peerId))
    const named = spec.kind === 'star' && spec.hub != null ? [spec.hub] : spec.kind === 'pairs' ? spec.pairs.flat() : []
    for (const p of named) if (!known.has(p)) throw new ControllerError(400, 'topology.unknown-relay', `relay ${p} is not on the roster`)
  }
}
