/**
 * One multicast name's sequencer lease at this relay, where a controller grants leases:
 * runs `sequencerLeaseMachine` (candidate, leader, fenced, follower) with real effects.
 * As leader it runs the name's sequencer (./sequencer.actor.ts) with a replicator
 * (./replicator.ts) for the lease's replicas, and announces its claim with the lease's
 * term, so every relay routes the name's submissions here and drops an older term's
 * claim. Fenced, it stops the sequencer unacknowledged and drops from its archive what no
 * replica acknowledged. Submissions that come while it is a candidate wait; as a
 * follower they go on to the holder.
 *
 * Back from a restart it leads on under the lease it kept (numbering and replicating at
 * once), but acknowledges nothing until the controller has confirmed the lease is still
 * its own: a replica it knew of may have been replaced while it was down, and would not
 * know to refuse its term.
 */
import { createActor, fromPromise } from 'xstate'
import type { Actor } from 'xstate'
import { sequencerLeaseMachine } from '../machines/sequencer-lease.machine.js'
import { stateName, transitionInspector } from '../machines/inspection.js'
import { ActorNotProvidedError } from '../machines/errors.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { Envelope } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { SequencerActor } from './sequencer.actor.js'
import { Replicator } from './replicator.js'
import { UnavailableError } from './errors.js'
import type { LeaseAuthority, SequencerLease } from './sequencer-leases.js'
import type { MulticastHost } from './multicast-host.js'

/** How long a replica's unanswered copy waits before it is sent again. */
const REPLICA_RETRY_MS = 500

export interface SequencerLeaseEffects {
  host: MulticastHost
  leases: LeaseAuthority
  /** What the sequencer acknowledged, for publishing and the local ordered stream. */
  onSequenced: (name: string, envs: Envelope[]) => void
  /** This relay's own claim of the name changed (it leads now, or no longer): local streams follow. */
  onClaimChanged: () => void
}

interface Waiting { envelope: Envelope, origin: SequencerOrigin }

export class SequencerLeaseActor {
  readonly name: string
  /** The name's sequencer while this relay leads and once it has started. */
  sequencer?: SequencerActor
  private replicator?: Replicator
  private readonly fx: SequencerLeaseEffects
  private readonly actor: Actor<typeof sequencerLeaseMachine>
  private queue: Waiting[] = []
  private starting: Promise<void> = Promise.resolve()
  private readyWaiters: Array<{ resolve: (s: SequencerActor) => void, reject: (err: Error) => void }> = []
  /** The controller granted or confirmed the lease (a restored one is not, until it answers). */
  private confirmed: boolean

  constructor (name: string, fx: SequencerLeaseEffects, restored?: SequencerLease) {
    this.name = name
    this.fx = fx
    this.confirmed = restored == null
    const sink = fx.host.onTransition
    this.actor = createActor(SequencerLeaseActor.machine, {
      input: { name, self: fx.host.self, ...(restored != null ? { restored } : {}) },
      inspect: transitionInspector(sink == null ? undefined : (from, to, event) => { sink(`lease:${name}`, from, to, event) })
    })
    owners.set(this.actor.system, this)
    this.actor.start()
    if (restored != null) this.confirm()
  }

  /** Restored as leader: asks the controller whether the lease is still this relay's (retried until it answers). */
  private confirm (attempt = 0): void {
    void this.fx.leases.claim(this.name).then(lease => {
      if (lease.holder === this.fx.host.self && lease.term === this.term) {
        this.confirmed = true
        // What the replicas hold while it waited is acknowledged now.
        const commit = this.replicator?.commit ?? 0
        if (commit > 0) this.sequencer?.commitTo(commit)
      }
      this.changed(lease)
    }).catch(() => {
      if (!this.done) this.fx.host.clock.setTimeout(() => { this.confirm(attempt + 1) }, Math.min(200 * 2 ** attempt, 5_000))
    })
  }

  private static readonly machine = sequencerLeaseMachine.provide({
    actors: {
      claimLease: fromPromise<SequencerLease, { name: string }>(async ({ system }) => await owner(system).fx.leases.claim(owner(system).name)),
      fence: fromPromise<void, { name: string }>(async ({ system }) => { await owner(system).fenceNow() })
    },
    actions: {
      // The actor's snapshot is updated only after the step: effects take the lease from the context.
      startLeading: ({ context, system }) => { owner(system).lead(context.lease) },
      replicasChanged: ({ context, system }) => { owner(system).replicasChanged(context.lease) },
      follow: ({ context, system }) => { owner(system).follow(context.lease) },
      claimFailed: ({ system }, { error }) => {
        const a = owner(system)
        a.fx.host.log.warn({ name: a.name, error: (error as Error).message }, 'the controller did not grant the sequencer lease; asking again')
      }
    }
  })

  get state (): string { return stateName(this.actor.getSnapshot().value) }
  get lease (): SequencerLease { return this.actor.getSnapshot().context.lease }
  get term (): number { return this.lease.term }
  /** This relay leads the name and its sequencer runs. */
  get sequences (): boolean { return this.sequencer != null && this.state === 'leader' }
  get done (): boolean { return this.actor.getSnapshot().status === 'done' }
  /** Where the name's submissions go from here: this relay while it claims or leads, else the holder. */
  get target (): string {
    const s = this.state
    return s.startsWith('candidate') || s === 'leader' ? this.fx.host.self : this.lease.holder
  }

  /** Resolves with the sequencer once this relay leads the name. */
  async ready (): Promise<SequencerActor> {
    if (this.sequences) return this.sequencer as SequencerActor
    return await new Promise<SequencerActor>((resolve, reject) => { this.readyWaiters.push({ resolve, reject }) })
  }

  submit (envelope: Envelope, origin: SequencerOrigin): void {
    const s = this.state
    if (s === 'leader' && this.sequencer != null) { this.sequencer.submit(envelope, origin); return }
    if (s.startsWith('candidate') || s === 'leader' || s === 'fenced') { this.queue.push({ envelope, origin }); return }
    this.passOn([{ envelope, origin }])
  }

  /** The controller told of a change to the lease. */
  changed (lease: SequencerLease): void { this.actor.send({ type: 'lease.changed', lease }) }
  /** Someone knows a newer term (a replica's answer, or the mesh's announcements). */
  superseded (term: number, by?: string): void { this.actor.send({ type: 'lease.superseded', term, ...(by != null ? { by } : {}) }) }
  /** A replica's answer. */
  replicaAnswered (from: string, ack: Parameters<Replicator['answered']>[1]): void { this.replicator?.answered(from, ack) }

  async stop (): Promise<void> {
    this.actor.send({ type: 'relay.stop' })
    for (const w of this.readyWaiters.splice(0)) w.reject(new UnavailableError(`relay ${this.fx.host.self} is stopping`))
    this.replicator?.stop()
    await this.starting
    await this.sequencer?.stop()
  }

  private lead (lease: SequencerLease): void {
    const host = this.fx.host
    host.table.claimSequencer(this.name, lease.since, lease.term, lease.replicas)
    host.routesChanged()
    host.log.info({ name: this.name, term: lease.term, replicas: lease.replicas }, 'sequencer lease held: this relay orders the name\'s multicast')
    this.fx.onClaimChanged()
    const previous = this.starting
    this.starting = (async () => {
      await previous
      const replicator = new Replicator({
        name: this.name,
        term: lease.term,
        replicas: lease.replicas,
        catchingUp: lease.catchingUp ?? [],
        store: host.store,
        clock: host.clock,
        retryMs: REPLICA_RETRY_MS,
        send: (to, r) => { host.sendTo(to, { replicate: r }) },
        onCommit: (head) => { if (this.confirmed) this.sequencer?.commitTo(head) },
        onFenced: (term, by) => { this.superseded(term, by) },
        onCaughtUp: (replica) => { this.tellCaughtUp(lease.term, replica) },
        onError: (err) => { host.log.warn({ name: this.name, error: err.message }, 'reading the archive for a replica failed') }
      })
      const s = await SequencerActor.start(this.name, lease.since, {
        store: host.store,
        clock: host.clock,
        onSequenced: (name, envs) => { this.fx.onSequenced(name, envs) },
        onAck: (origin, ack) => { host.ackOrigin(origin, ack) },
        replicate: { appended: (from, entries, epoch, roles) => { replicator.appended(from, entries as never, epoch, roles) } }
      })
      s.term = lease.term
      s.replicas = lease.replicas
      // The lease is kept with the name: back from a restart, the relay leads on under it.
      const meta = await host.store.getMeta(this.name)
      await host.store.putMeta(this.name, { ...(meta ?? { epoch: 0, localFrom: 1 }), sequencerSince: lease.since, term: lease.term, replicas: lease.replicas, leaseSince: lease.since })
      if (this.state !== 'leader') { await s.stop(); return }
      this.sequencer = s
      this.replicator = replicator
      replicator.start(s.head, s.acknowledged, s.epoch, s.roles != null ? JSON.stringify(s.roles) : undefined)
      if (this.confirmed && replicator.commit > s.acknowledged) s.commitTo(replicator.commit)
      const queued = this.queue.splice(0)
      for (const q of queued) s.submit(q.envelope, q.origin)
      for (const w of this.readyWaiters.splice(0)) w.resolve(s)
    })().catch(err => { host.log.error({ name: this.name, error: (err as Error).message }, 'the sequencer could not start') })
  }

  private replicasChanged (lease: SequencerLease): void {
    this.fx.host.table.claimSequencer(this.name, lease.since, lease.term, lease.replicas)
    this.fx.host.routesChanged()
    this.replicator?.setReplicas(lease.replicas, lease.catchingUp ?? [])
    const s = this.sequencer
    if (s != null) {
      // Kept with the name at once: back from a restart, it must not send to a replica since replaced.
      s.replicas = lease.replicas
      const store = this.fx.host.store
      void store.getMeta(this.name).then(async meta => { if (meta != null && meta.sequencerSince > 0) await store.putMeta(this.name, { ...meta, replicas: lease.replicas }) })
        .catch(err => { this.fx.host.log.warn({ name: this.name, error: (err as Error).message }, 'keeping the new replica set failed') })
    }
  }

  /** Tells the controller, until it has heard, that a replica caught up. */
  private tellCaughtUp (term: number, replica: string, attempt = 0): void {
    void this.fx.leases.caughtUp(this.name, term, replica).catch(() => {
      if (attempt < 20 && this.state === 'leader' && this.term === term) this.fx.host.clock.setTimeout(() => { this.tellCaughtUp(term, replica, attempt + 1) }, 500)
    })
  }

  /** Stops numbering; drops what no replica acknowledged. */
  private async fenceNow (): Promise<void> {
    const host = this.fx.host
    host.table.releaseSequencer(this.name)
    host.routesChanged()
    this.fx.onClaimChanged()
    await this.starting
    this.replicator?.stop()
    this.replicator = undefined
    const s = this.sequencer
    this.sequencer = undefined
    if (s == null) return
    await s.fence()
    await this.dropUnacknowledged(s.acknowledged, s.term)
    host.log.warn({ name: this.name, term: this.lease.term, holder: this.lease.holder }, 'sequencer fenced: a newer lease term exists; what was never acknowledged is dropped')
  }

  private follow (lease: SequencerLease): void {
    const host = this.fx.host
    host.table.releaseSequencer(this.name)
    if (lease.holder !== '' && lease.holder !== host.self) host.table.remember(this.name, lease.holder, lease.since, lease.term, lease.replicas)
    host.routesChanged()
    this.fx.onClaimChanged()
    // Whoever waited for this relay's sequencer (an ordered stream loading) asks the holder instead.
    const moved = new UnavailableError(`the sequencer lease of ${this.name} is held by relay ${lease.holder || '(none yet)'}, not this relay`)
    for (const w of this.readyWaiters.splice(0)) w.reject(moved)
    this.passOn(this.queue.splice(0), lease.holder)
    // Back from a restart as the holder of an older term: the same drop as a fence.
    void (async () => {
      const meta = await host.store.getMeta(this.name)
      if (meta != null && meta.sequencerSince > 0) await this.dropUnacknowledged(meta.committed ?? 0, lease.term)
    })().catch(err => { host.log.warn({ name: this.name, error: (err as Error).message }, 'dropping unacknowledged messages failed') })
  }

  private async dropUnacknowledged (acknowledged: number, term: number): Promise<void> {
    const store = this.fx.host.store
    await store.truncate(this.name, acknowledged)
    const meta = await store.getMeta(this.name)
    await store.putMeta(this.name, { ...(meta ?? { epoch: 0, localFrom: 1 }), sequencerSince: 0, committed: acknowledged, term: Math.max(meta?.term ?? 0, term) })
  }

  /** Submissions for the holder, sent on (or refused, when no holder is known). */
  private passOn (items: Waiting[], holder = this.lease.holder): void {
    const host = this.fx.host
    for (const { envelope, origin } of items) {
      if (holder !== '' && holder !== host.self) host.forward(holder, envelope, origin)
      else host.ackOrigin(origin, { messageId: envelope.messageId, seq: 0, code: ErrorCode.NOT_SEQUENCER, reason: `relay ${host.self} does not sequence ${this.name}`, epoch: 0 })
    }
  }
}

const owners = new WeakMap<object, SequencerLeaseActor>()

function owner (system: object): SequencerLeaseActor {
  const a = owners.get(system)
  if (a == null) throw new ActorNotProvidedError('a sequencer lease effect', 'SequencerLeaseActor it runs in (none found)')
  return a
}
