/**
 * The sequencers this relay runs: one claim per multicast name it claimed, each a
 * `SequencerClaimActor` (src/relay/sequencer-claim.actor.ts) running the claim's machine
 * (src/machines/sequencer-claim.machine.ts: settling, sequencing, handing over). A relay
 * that sees a name for the first time with no sequencer known claims it; a claim lost to
 * a better one (every relay picks the same winner: earliest claim, then lower peer id)
 * hands what it sequenced over to the winner and ends.
 */
import { ErrorCode } from '../wire/errors.js'
import type { Envelope } from '../wire/envelope.pb.js'
import { SequencerClaimActor } from './sequencer-claim.actor.js'
import type { SequencerClaimEffects } from './sequencer-claim.actor.js'
import type { SequencerActor, SequencerAck } from './sequencer.actor.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { MulticastHost } from './multicast-host.js'
import { idKey } from './dedup-window.js'
import { SequencerLeaseActor } from './sequencer-lease.actor.js'
import type { SequencerLease } from './sequencer-leases.js'
import type { ReplicaAck } from '../wire/envelope.pb.js'

export interface SequencerRegistryInit {
  host: MulticastHost
  /** What the sequencer of `name` numbered, for publishing and the local ordered stream. */
  onSequenced: (name: string, envs: Envelope[]) => void
  /** A lease of this relay's began or ended: the local ordered streams follow the claims. */
  onClaimChanged?: () => void
}

export class SequencerRegistry {
  private readonly host: MulticastHost
  private readonly onSequenced: (name: string, envs: Envelope[]) => void
  private readonly onClaimChanged?: () => void
  private readonly claims = new Map<string, SequencerClaimActor>()
  /** Claims handing over, which wait for the winner's answers. */
  private readonly handingOver = new Set<SequencerClaimActor>()
  /** Idle claims being retired: a new claim of the name waits for its store to be clean. */
  private readonly retiring = new Map<string, Promise<void>>()
  /** With a controller's leases: each name's lease at this relay (instead of claims). */
  private readonly leased = new Map<string, SequencerLeaseActor>()

  constructor (init: SequencerRegistryInit) {
    this.host = init.host
    this.onSequenced = init.onSequenced
    this.onClaimChanged = init.onClaimChanged
    init.host.leases?.onChange(lease => { this.leaseChanged(lease) })
  }

  /** The controller changed a lease this relay holds or held. */
  private leaseChanged (lease: SequencerLease): void {
    let a = this.leased.get(lease.name)
    if (a == null || a.done) {
      if (lease.holder !== this.host.self) return
      a = this.lease(lease.name)
    }
    a.changed(lease)
  }

  private lease (name: string, restored?: SequencerLease): SequencerLeaseActor {
    let a = this.leased.get(name)
    if (a != null && !a.done) return a
    a = new SequencerLeaseActor(name, { host: this.host, leases: this.host.leases as NonNullable<MulticastHost['leases']>, onSequenced: (n, envs) => { this.onSequenced(n, envs) }, onClaimChanged: () => { this.onClaimChanged?.() } }, restored)
    this.leased.set(name, a)
    return a
  }

  /** The lease term this relay leads `name` under (0: it does not lead it). */
  leadingTerm (name: string): number {
    const a = this.leased.get(name)
    return a != null && a.state === 'leader' ? a.term : 0
  }

  /** A sequencer of `name` with a newer term exists (a replica heard from it). */
  newerTerm (name: string, term: number, by: string): void { this.leased.get(name)?.superseded(term, by) }

  /** A replica's answer to this relay's sequencer. */
  replicaAnswered (from: string, ack: ReplicaAck): void { this.leased.get(ack.name)?.replicaAnswered(from, ack) }

  /** Restarts the sequencers this relay owned before a restart. */
  async restore (): Promise<void> {
    for (const [name, meta] of await this.host.store.listMeta()) {
      if (meta.sequencerSince > 0 && this.host.leases != null) {
        // Leased: it leads on under the term it had (its replicas fence it if the lease moved),
        // and the controller's answer says whether the lease is still this relay's.
        const restored = meta.term != null && meta.term > 0 ? { name, term: meta.term, holder: this.host.self, replicas: meta.replicas ?? [], since: meta.leaseSince ?? meta.sequencerSince } : undefined
        this.lease(name, restored)
      } else if (meta.sequencerSince > 0) {
        this.host.table.claimSequencer(name, meta.sequencerSince)
        this.host.log.info({ name }, 'sequencer resumed: this relay orders the name\'s multicast, as before the restart')
        await this.add(SequencerClaimActor.restore(name, meta.sequencerSince, this.effects())).ready()
      } else if (meta.sequencer != null) {
        // Known before the restart: no claim of ours before the routes come back.
        this.host.table.remember(name, meta.sequencer, meta.sequencerClaim ?? 0)
      }
    }
  }

  /** The name's sequencer, while this relay's claim stands and once it has started. */
  get (name: string): SequencerActor | undefined { return this.leased.get(name)?.sequencer ?? this.claims.get(name)?.sequencer }
  has (name: string): boolean { return this.leased.get(name)?.sequences === true || this.claims.get(name)?.sequences === true }

  /** Each name this relay sequences now, with its head (the last number it assigned). */
  heads (): Array<{ name: string, head: number }> {
    const out: Array<{ name: string, head: number }> = []
    for (const [name, claim] of this.claims) {
      const s = claim.sequencer
      if (s != null) out.push({ name, head: s.head })
    }
    for (const [name, a] of this.leased) if (a.sequences) out.push({ name, head: (a.sequencer as SequencerActor).head })
    return out
  }

  /**
   * The relay that sequences `name`. When nobody is known to, this relay claims the
   * name (a side effect: the claim is announced and a sequencer starts).
   */
  sequencerOrClaim (name: string): string {
    const known = this.host.table.sequencerOf(name)
    if (this.host.leases != null) {
      const a = this.leased.get(name)
      if (a != null && !a.done) {
        const target = a.target
        if (target === this.host.self) return target
        // A follower: the table may know a newer holder than the lease this relay heard of.
        return known != null && known.relay !== this.host.self && known.term >= a.term ? known.relay : target !== '' ? target : this.host.self
      }
      if (known != null) return known.relay
      this.lease(name)
      return this.host.self
    }
    if (known != null) return known.relay
    // Still handing over to a winner the table has since forgotten: the winner it is.
    const handing = this.claims.get(name)
    if (handing != null && !handing.done && handing.winner !== '') return handing.winner
    const since = this.host.clock.now()
    this.host.table.claimSequencer(name, since)
    this.host.log.info({ name }, 'sequencer claimed: this relay orders the name\'s multicast')
    this.add(SequencerClaimActor.claim(name, since, this.effects()))
    this.host.routesChanged()
    return this.host.self
  }

  /**
   * The name's sequencer, started if it is not running (resolves once its archive head is
   * read). Without a claim here (the table names this relay all the same) it resumes one.
   */
  async start (name: string, since: number): Promise<SequencerActor> {
    if (this.host.leases != null) return await this.lease(name).ready()
    const claim = this.claims.get(name) ?? this.add(SequencerClaimActor.restore(name, since, this.effects()))
    return await claim.ready()
  }

  /** Undefined while the name's sequencer keeps up; else a promise of its catching up. */
  backlog (name: string): Promise<void> | undefined {
    return (this.leased.get(name)?.sequencer ?? this.claims.get(name)?.sequencer)?.backlog()
  }

  /** A message for a name this relay sequences. */
  submit (env: Envelope, origin: SequencerOrigin): void {
    const leased = this.leased.get(env.destination)
    if (leased != null && !leased.done) { leased.submit(env, origin); return }
    const claim = this.claims.get(env.destination)
    if (claim != null && !claim.done) { claim.submit(env, origin); return }
    const ack: SequencerAck = { messageId: env.messageId, seq: 0, code: ErrorCode.NOT_SEQUENCER, reason: `relay ${this.host.self} does not sequence ${env.destination}`, epoch: 0 }
    this.host.ackOrigin(origin, ack)
  }

  /** An answer for a submission of this relay's: perhaps one a handover waits for. */
  answered (ack: SequencerAck): void {
    if (this.handingOver.size === 0) return
    const key = idKey(ack.messageId)
    for (const claim of this.handingOver) if (claim.awaits(key)) claim.answered(key, ack.code)
  }

  /**
   * The announced claims changed: a claim of ours that lost to a better one hands over to
   * the winner (a handover whose winner lost in turn goes on to the new one).
   */
  checkClaims (): void {
    for (const a of this.leased.values()) {
      if (a.state !== 'leader') continue
      const winner = this.host.table.sequencerOf(a.name)
      if (winner != null && winner.relay !== this.host.self && winner.term > a.term) a.superseded(winner.term, winner.relay)
    }
    for (const claim of this.claims.values()) {
      if (claim.done) continue
      const winner = this.host.table.sequencerOf(claim.name)
      if (winner == null || winner.relay === this.host.self || winner.relay === claim.winner) continue
      if (claim.sequences) {
        this.host.log.info({ name: claim.name, winner: winner.relay }, 'sequencer claim lost to an earlier one; handing over')
        this.host.table.releaseSequencer(claim.name)
        this.handingOver.add(claim)
      }
      claim.lost(winner.relay)
    }
  }

  /**
   * Retires the claim of `name` if it has nothing to keep: it stands, its sequencer has
   * numbered nothing, and nothing waits for it. The claim leaves the table (and the next
   * announcement) at once, so a later use of the name makes a fresh one; its sequencer
   * stops and its metadata is dropped, so it is not restored on the next start either.
   * Returns whether it was retired.
   */
  retireIfIdle (name: string): boolean {
    if (this.leased.has(name)) return false
    const claim = this.claims.get(name)
    const s = claim?.sequencer
    if (claim == null || s == null || !claim.idle || s.head !== 0 || s.backlog() != null) return false
    this.claims.delete(name)
    this.host.table.releaseSequencer(name)
    this.host.table.forgetSequencer(name)
    this.host.routesChanged()
    const done = (async () => {
      await claim.stop()
      await this.host.store.dropArchive(name)
    })().catch(err => { this.host.log.warn({ name, error: (err as Error).message }, 'retiring an idle sequencer failed') })
      .finally(() => { if (this.retiring.get(name) === done) this.retiring.delete(name) })
    this.retiring.set(name, done)
    return true
  }

  async stop (): Promise<void> {
    await Promise.all([...this.retiring.values()])
    await Promise.all([...this.claims.values()].map(async c => { await c.stop() }))
    await Promise.all([...this.leased.values()].map(async a => { await a.stop() }))
  }

  private add (claim: SequencerClaimActor): SequencerClaimActor {
    this.claims.set(claim.name, claim)
    return claim
  }

  private effects (): SequencerClaimEffects {
    return {
      host: this.host,
      before: (name) => this.retiring.get(name),
      onSequenced: (name, envs) => { this.onSequenced(name, envs) },
      onDone: (claim) => {
        this.handingOver.delete(claim)
        if (this.claims.get(claim.name) === claim) this.claims.delete(claim.name)
        if (claim.state === 'released') this.host.log.info({ name: claim.name, winner: claim.winner }, 'sequencer handover done: the winner has what this relay sequenced; stale archive dropped')
      }
    }
  }
}
