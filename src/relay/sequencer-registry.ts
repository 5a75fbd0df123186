/**
 * The sequencers this relay runs, one `SequencerActor` per multicast name it owns, and
 * the claim that makes it the owner: a relay that sees a name for the first time with no
 * sequencer known claims it; a fresh claim settles for `claimSettleMs` (submissions wait,
 * unsequenced and unacknowledged) so that two relays that claimed the same name at once
 * never both acknowledge messages; a claim lost to an earlier one stops its sequencer and
 * hands what it sequenced over to the winner.
 */
import { Envelope } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { SequencerActor } from './sequencer.actor.js'
import type { SequencerAck } from './sequencer.actor.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { MulticastHost } from './multicast-host.js'

interface Settling { queue: Array<{ env: Envelope, origin: SequencerOrigin }>, timer: unknown }

export interface SequencerRegistryInit {
  host: MulticastHost
  /** What the sequencer of `name` numbered, for publishing and the local ordered stream. */
  onSequenced: (name: string, envs: Envelope[]) => void
}

export class SequencerRegistry {
  private readonly host: MulticastHost
  private readonly onSequenced: (name: string, envs: Envelope[]) => void
  private readonly sequencers = new Map<string, SequencerActor>()
  private readonly starting = new Map<string, Promise<SequencerActor>>()
  private readonly settling = new Map<string, Settling>()

  constructor (init: SequencerRegistryInit) {
    this.host = init.host
    this.onSequenced = init.onSequenced
  }

  /** Restarts the sequencers this relay owned before a restart. */
  async restore (): Promise<void> {
    for (const [name, meta] of await this.host.store.listMeta()) {
      if (meta.sequencerSince > 0) {
        this.host.table.claimSequencer(name, meta.sequencerSince)
        this.host.log.info({ name }, 'sequencer resumed: this relay orders the name\'s multicast, as before the restart')
        await this.start(name, meta.sequencerSince)
      } else if (meta.sequencer != null) {
        // Known before the restart: no claim of ours before the routes come back.
        this.host.table.remember(name, meta.sequencer, meta.sequencerClaim ?? 0)
      }
    }
  }

  names (): string[] { return [...this.sequencers.keys(), ...this.starting.keys()] }
  get (name: string): SequencerActor | undefined { return this.sequencers.get(name) }
  has (name: string): boolean { return this.sequencers.has(name) || this.starting.has(name) }

  /**
   * The relay that sequences `name`. When nobody is known to, this relay claims the
   * name (a side effect: the claim is announced and a sequencer starts).
   */
  sequencerOrClaim (name: string): string {
    const known = this.host.table.sequencerOf(name)
    if (known != null) return known.relay
    const since = this.host.clock.now()
    this.host.table.claimSequencer(name, since)
    this.host.log.info({ name }, 'sequencer claimed: this relay orders the name\'s multicast')
    const entry: Settling = { queue: [], timer: undefined }
    entry.timer = this.host.clock.setTimeout(() => { this.settled(name) }, this.host.config.claimSettleMs)
    this.settling.set(name, entry)
    void this.start(name, since)
    this.host.routesChanged()
    return this.host.self
  }

  /** The settle period is over (or the claim was lost): sequence or forward what waited. */
  private settled (name: string): void {
    const entry = this.settling.get(name)
    if (entry == null) return
    this.host.clock.clearTimeout(entry.timer)
    this.settling.delete(name)
    const winner = this.host.table.sequencerOf(name)?.relay ?? this.host.self
    for (const { env, origin } of entry.queue) {
      if (winner === this.host.self) this.submit(env, origin)
      else this.host.forward(winner, env, origin)
    }
  }

  /** The name's sequencer, started if it is not running (resolves once its archive head is read). */
  async start (name: string, since: number): Promise<SequencerActor> {
    const existing = this.sequencers.get(name) ?? this.starting.get(name)
    if (existing != null) return await existing
    const p = SequencerActor.start(name, since, {
      store: this.host.store,
      clock: this.host.clock,
      onSequenced: (n, envs) => { this.onSequenced(n, envs) },
      onAck: (origin, ack) => { this.host.ackOrigin(origin, ack) },
      onError: (err) => { this.host.log.warn({ name, error: err.message }, 'sequencer failed') },
      onTransition: (from, to, event) => { this.host.onTransition?.(`sequencer:${name}`, from, to, event) }
    }).then(s => {
      this.sequencers.set(name, s)
      this.starting.delete(name)
      return s
    })
    this.starting.set(name, p)
    return await p
  }

  /** Undefined while the name's sequencer keeps up; else a promise of its catching up. */
  backlog (name: string): Promise<void> | undefined {
    return this.sequencers.get(name)?.backlog()
  }

  /** A message for a name this relay sequences. */
  submit (env: Envelope, origin: SequencerOrigin): void {
    const waiting = this.settling.get(env.destination)
    if (waiting != null) { waiting.queue.push({ env, origin }); return }
    const s = this.sequencers.get(env.destination)
    if (s != null) { s.submit(env, origin); return }
    const starting = this.starting.get(env.destination)
    if (starting != null) { void starting.then(s => { s.submit(env, origin) }); return }
    const ack: SequencerAck = { messageId: env.messageId, seq: 0, code: ErrorCode.NOT_SEQUENCER, reason: `relay ${this.host.self} does not sequence ${env.destination}`, epoch: 0 }
    this.host.ackOrigin(origin, ack)
  }

  /**
   * The announced claims changed: a sequencer of ours whose claim lost to an earlier one
   * (every relay picks the same winner: earliest claim, then lower peer id) stops, and
   * what it sequenced goes to the winner.
   */
  checkClaims (): void {
    for (const name of this.names()) {
      const winner = this.host.table.sequencerOf(name)
      if (winner == null || winner.relay === this.host.self) continue
      const own = this.sequencers.get(name) ?? this.starting.get(name)
      if (own == null) continue
      this.host.log.info({ name, winner: winner.relay }, 'sequencer claim lost to an earlier one; handing over')
      this.sequencers.delete(name)
      this.host.table.releaseSequencer(name)
      this.settled(name) // what waited goes to the winner
      void Promise.resolve(own).then(async s => {
        this.sequencers.delete(name)
        await s.stop()
        await this.handOver(name, winner.relay)
      }).catch(err => { this.host.log.warn({ name, winner: winner.relay, error: (err as Error).message }, 'sequencer handover failed') })
    }
  }

  /**
   * After a lost claim: whatever this relay sequenced under it (possible only if the two
   * claims could not see each other, as in a partition) is submitted again to the
   * winner, in order and with the same message ids (the winner de-duplicates), so
   * nothing acknowledged is lost; then the stale archive is dropped.
   */
  private async handOver (name: string, winner: string): Promise<void> {
    for (let seq = 1; ;) {
      const batch = await this.host.store.range(name, seq, 256)
      if (batch.length === 0) break
      for (const m of batch) {
        const env = Envelope.decode(m.bytes)
        env.seq = 0
        this.host.forward(winner, env, { relay: this.host.self, agent: env.source }, true)
      }
      seq = (batch[batch.length - 1]?.seq ?? seq) + 1
    }
    await this.host.store.dropArchive(name)
  }

  async stop (): Promise<void> {
    for (const name of [...this.settling.keys()]) this.settled(name)
    await Promise.all([...this.sequencers.values()].map(async s => { await s.stop() }))
  }
}
