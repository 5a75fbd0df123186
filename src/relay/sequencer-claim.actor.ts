/**
 * Runs one name's `sequencerClaimMachine` (src/machines/sequencer-claim.machine.ts) with
 * real effects: it starts the name's `SequencerActor` when the claim is made or restored
 * and stops it when the claim is lost or the relay stops, sends submissions to it or on
 * to the winner, and, for a handover, reads back what the lost claim sequenced, submits
 * it to the winner as this relay's and drops the stale archive.
 */
import { createActor, fromPromise } from 'xstate'
import type { Actor } from 'xstate'
import { sequencerClaimMachine } from '../machines/sequencer-claim.machine.js'
import type { HandedOver, Submission } from '../machines/sequencer-claim.machine.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import { transitionInspector } from '../machines/inspection.js'
import { ActorNotProvidedError } from '../machines/errors.js'
import { Envelope } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { SequencerActor } from './sequencer.actor.js'
import { idKey } from './dedup-window.js'
import type { MulticastHost } from './multicast-host.js'

export interface SequencerClaimEffects {
  host: MulticastHost
  /** What the name's sequencer numbered, durable, in order. */
  onSequenced: (name: string, envs: Envelope[]) => void
  /** The claim ended (`released` after a handover, or `stopped` with the relay). */
  onDone: (claim: SequencerClaimActor) => void
  /** What the name's sequencer must wait for before it reads the store (an earlier claim of it being retired). */
  before?: (name: string) => Promise<void> | undefined
}

/** Archived messages read per store call during a handover. */
const READ_BATCH = 1024

export class SequencerClaimActor {
  readonly name: string
  private readonly fx: SequencerClaimEffects
  private readonly actor: Actor<typeof sequencerClaimMachine>
  private readonly started: Promise<SequencerActor>
  private running?: SequencerActor

  /** A fresh claim: it settles before its sequencer acknowledges anything. */
  static claim (name: string, since: number, fx: SequencerClaimEffects): SequencerClaimActor {
    return new SequencerClaimActor(name, since, false, fx)
  }

  /** A claim this relay held before a restart (read from the store): it sequences at once. */
  static restore (name: string, since: number, fx: SequencerClaimEffects): SequencerClaimActor {
    return new SequencerClaimActor(name, since, true, fx)
  }

  private constructor (name: string, since: number, restored: boolean, fx: SequencerClaimEffects) {
    this.name = name
    this.fx = fx
    const before = fx.before?.(name)
    this.started = before == null ? this.startSequencer(since) : before.then(async () => await this.startSequencer(since))
    const host = fx.host
    this.actor = createActor(SequencerClaimActor.machine, {
      // Unanswered handed-over messages are resent by the relay's submissions in flight
      // (src/relay/submissions-in-flight.ts) until it gives up after `sequencerWaitMs`;
      // the claim sends what is still unanswered again at that pace.
      input: { name, settleMs: host.config.claimSettleMs, retryMs: host.config.sequencerWaitMs },
      clock: host.clock as never,
      inspect: transitionInspector(host.onTransition == null ? undefined : (from, to, event) => { host.onTransition?.(`claim:${name}`, from, to, event) })
    })
    owners.set(this.actor.system, this)
    this.actor.subscribe({
      complete: () => { this.fx.onDone(this) },
      error: (err) => { host.log.warn({ name, error: (err as Error).message }, 'sequencer claim failed') }
    })
    this.actor.start()
    this.actor.send(restored ? { type: 'claim.restored', since } : { type: 'claim.made', since })
    this.started.then(s => { if (this.sequences) this.running = s }, (err: Error) => {
      host.log.warn({ name, error: err.message }, 'sequencer failed to start: its store could not be read')
    })
  }

  /**
   * The machine with its effects, made once (a machine provided per claim would build its
   * whole state tree again for each name): each effect finds its claim by the actor
   * system it runs in.
   */
  private static readonly machine = sequencerClaimMachine.provide({
    actions: {
      sequence: ({ system }, params) => { const c = owner(system); for (const s of params.submissions) c.toSequencer(s) },
      forwardToWinner: ({ system }, params) => {
        const host = owner(system).fx.host
        for (const s of params.submissions) host.forward(params.winner, s.envelope, s.origin)
      },
      resubmitToWinner: ({ system }, params) => { owner(system).resubmit(params.winner, params.messages) }
    },
    actors: {
      stopSequencer: fromPromise<void, { name: string }>(async ({ system }) => {
        const c = owner(system)
        const s = await c.started
        c.running = undefined
        await s.stop()
      }),
      readArchive: fromPromise<HandedOver[], { name: string }>(async ({ input, system }) => await owner(system).readArchive(input.name)),
      dropArchive: fromPromise<void, { name: string }>(async ({ input, system }) => { await owner(system).fx.host.store.dropArchive(input.name) })
    }
  })

  private startSequencer (since: number): Promise<SequencerActor> {
    const host = this.fx.host
    const name = this.name
    return SequencerActor.start(name, since, {
      store: host.store,
      clock: host.clock,
      onSequenced: (n, envs) => { this.fx.onSequenced(n, envs) },
      onAck: (origin, ack) => { host.ackOrigin(origin, ack) },
      onError: (err) => { host.log.warn({ name, error: err.message }, 'sequencer failed') },
      onTransition: (from, to, event) => { host.onTransition?.(`sequencer:${name}`, from, to, event) }
    })
  }

  get state (): string {
    const v = this.actor.getSnapshot().value
    return typeof v === 'string' ? v : Object.keys(v)[0] ?? ''
  }

  get since (): number { return this.actor.getSnapshot().context.since }
  /** The relay whose claim beat this one ('' while this one stands). */
  get winner (): string { return this.actor.getSnapshot().context.winner }
  get done (): boolean { return this.actor.getSnapshot().status !== 'active' }
  /** The claim stands and holds no submission back (a settling claim may hold some). */
  get idle (): boolean { return this.sequences && this.actor.getSnapshot().context.queue.length === 0 }
  /** Whether the claim stands (settling, restored or sequencing). */
  get sequences (): boolean { const s = this.state; return s === 'settling' || s === 'restored' || s === 'sequencing' }

  /** The name's running sequencer, while the claim stands and once it has started. */
  get sequencer (): SequencerActor | undefined { return this.sequences ? this.running : undefined }

  /** The name's sequencer, once it has read its archive head. */
  async ready (): Promise<SequencerActor> { return await this.started }

  submit (env: Envelope, origin: SequencerOrigin): void {
    this.actor.send({ type: 'message.submit', envelope: env, origin })
  }

  /** A better claim is known: `winner` sequences the name. */
  lost (winner: string): void { this.actor.send({ type: 'claim.lost', winner }) }

  /** An answer reached this relay for one of its own submissions (perhaps a handed-over one). */
  answered (key: string, code: number): void {
    this.actor.send({ type: 'handover.answered', key, code })
  }

  /** Whether the handover waits for the winner's answer to the message `key`. */
  awaits (key: string): boolean { return this.actor.getSnapshot().context.waiting.includes(key) }

  /** Stops with the relay: the claim stays in the store, restored on the next start. */
  async stop (): Promise<void> {
    if (this.done) return
    const finished = new Promise<void>(resolve => {
      this.actor.subscribe({ complete: resolve, error: () => { resolve() } })
    })
    this.actor.send({ type: 'relay.stop' })
    await finished
  }

  private toSequencer ({ envelope, origin }: Submission): void {
    const s = this.running
    if (s != null) { s.submit(envelope, origin); return }
    this.started.then(s => { s.submit(envelope, origin) }, (err: Error) => {
      this.fx.host.ackOrigin(origin, { messageId: envelope.messageId, seq: 0, code: ErrorCode.UNAVAILABLE, reason: `the sequencer of ${this.name} could not start: ${err.message}`, epoch: 0 })
    })
  }

  private resubmit (winner: string, messages: HandedOver[]): void {
    const host = this.fx.host
    for (const m of messages) {
      // A copy: the original stays as it was archived for a later resend.
      const env: Envelope = { ...m.envelope, seq: 0 }
      host.forward(winner, env, { relay: host.self, agent: env.source }, true)
    }
  }

  private async readArchive (name: string): Promise<HandedOver[]> {
    const out: HandedOver[] = []
    const store = this.fx.host.store
    for (let seq = 1; ;) {
      const batch = await store.range(name, seq, READ_BATCH)
      if (batch.length === 0) break
      for (const m of batch) {
        const envelope = Envelope.decode(m.bytes)
        out.push({ key: idKey(envelope.messageId), envelope, answered: !envelope.noAck })
      }
      seq = (batch[batch.length - 1]?.seq ?? seq) + 1
    }
    return out
  }
}

/** Each claim, by the actor system its machine runs in. */
const owners = new WeakMap<object, SequencerClaimActor>()

function owner (system: object): SequencerClaimActor {
  const c = owners.get(system)
  // Only machines made by the constructor run these effects, and it registers each first.
  if (c == null) throw new ActorNotProvidedError('a sequencer claim effect', 'SequencerClaimActor it runs in (none found)')
  return c
}
