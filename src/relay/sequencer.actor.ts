/**
 * Runs a name's `sequencerMachine` with real effects: a durable append to the store
 * (messages that arrive while a write is in flight are written together in the next
 * one, so the disk sees group commits under load), then the acks to the senders and the
 * hand-off of the sequenced messages for publishing, in sequence order.
 *
 * De-duplication by message id happens here, before the machine: a message sent again
 * (an agent retrying after a reconnect) gets the ack of its first copy, not a new
 * sequence number. The window (the last 65,536 ids of the name, and none older than
 * 2 minutes) is reloaded from the archive's tail on start, so this holds across a relay
 * restart too.
 *
 * Replicated (a controller's lease names replicas, src/relay/replicator.ts): a durable
 * write is handed to the replicator (`replicate.appended`), and the acks and the hand-off
 * for publishing wait until every replica holds the messages (`commitTo`). Started as a
 * lease's new holder, what its archive holds past the acknowledged point (from the last
 * term) waits the same way, and its message ids are not acknowledged before. `fence`
 * stops it without acknowledging anything more.
 *
 * Closed names (src/machines/sequencer.machine.ts): the store's meta says `closed` from
 * the write of the accepted `GroupClose` on (in the same atomic write), for inspection;
 * what a sequencer starts from is the archive itself: a name with roles whose head is a
 * `GroupClose` is closed (the sequencer accepted nothing after it but a reopening, which
 * becomes the head). So it survives a restart and follows the archive to replicas and
 * lease holders with no field of its own, and retention never trims the head.
 */
import { createActor } from 'xstate'
import { transitionInspector } from '../machines/inspection.js'
import type { Actor } from 'xstate'
import { sequencerMachine } from '../machines/sequencer.machine.js'
import { ActorNotProvidedError } from '../machines/errors.js'
import type { ChannelRoles, SequencerOrigin } from '../machines/sequencer.machine.js'
import { Envelope, MessageType } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { DedupWindow, idKey } from './dedup-window.js'
import type { ChannelMeta, Store } from '../store/store.js'
import type { Clock } from './clock.js'

export interface SequencerAck {
  messageId: Envelope['messageId']
  seq: number
  code: number
  reason: string
  epoch: number
}

export interface SequencerEffects {
  store: Store
  clock: Clock
  /** Durable, in order: publish and deliver. */
  onSequenced: (name: string, envelopes: Envelope[]) => void
  onAck: (origin: SequencerOrigin, ack: SequencerAck) => void
  onError?: (err: Error) => void
  /** Inspection hook: every transition of the machine. */
  onTransition?: (from: string, to: string, event: string) => void
  /** Replicated: each durable write goes here, and waits for `commitTo` before its acks. */
  replicate?: { appended: (from: number, entries: Uint8Array[], epoch: number, roles?: string) => void }
}

/** One remembered message id (`waiters`: copies sent again before the first was durable; made only then). */
interface DedupEntry { seq: number, epoch: number, durable: boolean, waiters?: SequencerOrigin[] }
/** `epoch`, `roles`: the channel's once this message is numbered (what the store keeps with it). */
interface PendingWrite { env: Envelope, origin?: SequencerOrigin, key: string, epoch: number, roles?: ChannelRoles, closed?: boolean }

const DEDUP_CAPACITY = 65_536
/**
 * How long a message id is remembered at most (JetStream's duplicate window is 2 minutes
 * too): a copy sent again later than that is numbered again. Publishers' retries (an ack
 * lost, a reconnect, a failover) come within seconds; the relay gives a submission up
 * after `sequencerWaitMs` (20 s).
 */
const DEDUP_WINDOW_MS = 120_000
/** Messages written (and then published) together at most. */
const MAX_WRITE_BATCH = 256
/** Messages waiting for the sequencer past which its publishers are paused. */
const BACKLOG_HIGH = 2048

export class SequencerActor {
  readonly name: string
  readonly since: number
  private readonly fx: SequencerEffects
  private readonly actor: Actor<typeof sequencerMachine>
  private readonly dedup: DedupWindow<DedupEntry>
  private pending: PendingWrite[] = []
  private writing = false
  private backlogWaiters: Array<() => void> = []
  /** Replicated: durable writes not yet on every replica, in order. */
  private awaiting: PendingWrite[] = []
  /** Replicated: the last sequence number every replica holds. */
  private committed = 0
  private fenced = false

  /** Whether the last write closed the name (kept in the store's meta with every write). */
  private closedMeta = false

  private constructor (name: string, since: number, head: number, epoch: number, roles: ChannelRoles | undefined, closed: boolean, fx: SequencerEffects) {
    this.name = name
    this.since = since
    this.fx = fx
    this.dedup = new DedupWindow<DedupEntry>(DEDUP_CAPACITY, { maxAgeMs: DEDUP_WINDOW_MS, now: () => fx.clock.now() })
    this.closedMeta = closed
    this.actor = createActor(SequencerActor.machine, { input: { name, head, epoch, roles, closed }, clock: fx.clock as never, inspect: transitionInspector(fx.onTransition) })
    owners.set(this.actor.system, this)
    this.actor.start()
  }

  /**
   * The machine with its effects, made once: a machine provided per sequencer would build
   * its whole state tree again for each name. Each effect finds its sequencer by the
   * actor system it runs in (one per sequencer).
   */
  private static readonly machine = sequencerMachine.provide({
    actions: {
      // The submission is the event being handled: its envelope and origin come with it.
      appendToArchive: ({ event, system }, params) => { if (event.type === 'message.submit') owner(system).append(event.envelope, event.origin, params) },
      rejectStaleCommit: ({ event, system }, params) => {
        if (event.type === 'message.submit') owner(system).reject(event.envelope, event.origin, ErrorCode.STALE_EPOCH, `commit built on epoch ${event.envelope.epoch}; the channel is at epoch ${params.epoch}`, params.epoch)
      },
      rejectForbidden: ({ event, system }, params) => {
        if (event.type === 'message.submit') owner(system).reject(event.envelope, event.origin, ErrorCode.PERMISSION_DENIED, params.reason, 0)
      },
      rejectClosed: ({ event, system }, params) => {
        if (event.type === 'message.submit') owner(system).reject(event.envelope, event.origin, ErrorCode.CHANNEL_CLOSED, params.reason, 0)
      },
      rejectNotSequencer: ({ event, system }) => {
        if (event.type === 'message.submit') owner(system).reject(event.envelope, event.origin, ErrorCode.NOT_SEQUENCER, `this relay no longer sequences ${owner(system).name}`, 0)
      }
    }
  })

  /** Starts the sequencer of `name` from what the store holds. */
  static async start (name: string, since: number, fx: SequencerEffects): Promise<SequencerActor> {
    const head = await fx.store.head(name)
    const meta = await fx.store.getMeta(name)
    // The archive's head is the truth (a replica's meta, or one a lease's release left, may not say).
    const closed = meta?.roles != null && head > 0 && await headCloses(fx.store, name, head)
    const s = new SequencerActor(name, since, head, meta?.epoch ?? 0, meta?.roles, closed, fx)
    // Replicated: what is past the acknowledged point is acknowledged only once every replica holds it.
    const committed = fx.replicate != null ? Math.min(head, meta?.committed ?? 0) : head
    s.committed = committed
    // Reload the de-duplication window from the archive's tail.
    const from = Math.max(1, head - DEDUP_CAPACITY + 1)
    for (let seq = from; seq <= head;) {
      const batch = await fx.store.range(name, seq, 1024)
      if (batch.length === 0) break
      for (const m of batch) {
        try {
          const env = Envelope.decode(m.bytes)
          const key = idKey(env.messageId)
          s.dedup.add(key, { seq: m.seq, epoch: env.epoch, durable: m.seq <= committed })
          if (m.seq > committed) s.awaiting.push({ env, key, epoch: env.epoch })
        } catch { /* an unreadable record is not a duplicate of anything */ }
      }
      seq = (batch[batch.length - 1]?.seq ?? seq) + 1
    }
    if (meta?.sequencerSince !== since) {
      await fx.store.putMeta(name, { ...meta, sequencerSince: since, epoch: meta?.epoch ?? 0, localFrom: meta?.localFrom ?? 1, ...(meta?.roles != null ? { roles: meta.roles } : {}), closed })
    }
    return s
  }

  /**
   * Undefined while fewer than the high-water mark of messages wait to be written and
   * published; else a promise that resolves when the backlog is down to a quarter of it.
   */
  backlog (): Promise<void> | undefined {
    if (this.pending.length < BACKLOG_HIGH) return undefined
    return new Promise<void>(resolve => { this.backlogWaiters.push(resolve) })
  }

  private wakeBacklog (): void {
    if (this.pending.length > BACKLOG_HIGH / 4) return
    for (const w of this.backlogWaiters.splice(0)) w()
  }

  /** The last sequence number assigned (perhaps not yet durable). */
  get head (): number { return this.actor.getSnapshot().context.head }
  /**
   * The last sequence number that is durable and handed to `onSequenced`: where an
   * ordered stream opened now starts, and what a fetch may be promised (writes are in
   * order, so it is the assigned head less what is still in flight).
   */
  get durableHead (): number {
    if (this.fx.replicate != null) return this.committed
    const c = this.actor.getSnapshot().context
    return c.head - c.inflight
  }
  /** Replicated: the last sequence number every replica holds. */
  get acknowledged (): number { return this.committed }
  get epoch (): number { return this.actor.getSnapshot().context.epoch }
  /** The channel's roles, as its commits named them (undefined: none are enforced). */
  get roles (): ChannelRoles | undefined { return this.actor.getSnapshot().context.roles }
  /** A `GroupClose` closed the name (until its owner reopens it). */
  get closed (): boolean { return this.actor.getSnapshot().context.closed }

  /** What the store keeps about the name with a write ending in `last`: the epoch and the roles survive a restart. */
  private meta (last: PendingWrite): ChannelMeta {
    const roles = last.roles
    return { sequencerSince: this.since, epoch: last.epoch, localFrom: 1, ...(roles != null ? { roles } : {}), ...(last.closed === true ? { closed: true } : {}), ...(this.fx.replicate != null ? { committed: this.committed, term: this.term, replicas: this.replicas, leaseSince: this.since } : {}) }
  }
  get state (): string { return String(this.actor.getSnapshot().value) }
  get stopped (): boolean { return this.actor.getSnapshot().status === 'done' }

  submit (env: Envelope, origin: SequencerOrigin): void {
    const key = idKey(env.messageId)
    const seen = this.dedup.get(key)
    if (seen != null) {
      if (seen.durable) this.fx.onAck(origin, { messageId: env.messageId, seq: seen.seq, code: 0, reason: '', epoch: seen.epoch })
      else (seen.waiters ??= []).push(origin)
      return
    }
    if (this.stopped) {
      this.fx.onAck(origin, { messageId: env.messageId, seq: 0, code: ErrorCode.NOT_SEQUENCER, reason: `this relay no longer sequences ${this.name}`, epoch: 0 })
      return
    }
    this.actor.send({ type: 'message.submit', envelope: env, origin })
  }

  private append (env: Envelope, origin: SequencerOrigin, at: { seq: number, epoch: number, roles?: ChannelRoles, closed?: boolean }): void {
    const key = idKey(env.messageId)
    const seq = at.seq
    env.seq = seq
    this.dedup.add(key, { seq, epoch: env.epoch, durable: false })
    if (at.closed != null) this.closedMeta = at.closed
    this.pending.push({ env, origin, key, epoch: at.epoch, roles: at.roles, closed: this.closedMeta })
    if (!this.writing) void this.writeLoop()
  }

  private reject (env: Envelope, origin: SequencerOrigin, code: number, reason: string, epoch: number): void {
    this.fx.onAck(origin, { messageId: env.messageId, seq: 0, code, reason, epoch })
  }

  private async writeLoop (): Promise<void> {
    this.writing = true
    try {
      while (this.pending.length > 0) {
        // A bounded group commit: one write, one publish, one short task at a time.
        const batch = this.pending.splice(0, MAX_WRITE_BATCH)
        const entries = batch.map(p => ({ seq: p.env.seq, bytes: Envelope.encode(p.env) }))
        for (let attempt = 0; ; attempt++) {
          try {
            await this.fx.store.append(this.name, entries, this.meta(batch[batch.length - 1] as PendingWrite))
            break
          } catch (err) {
            // Sequence numbers are assigned: retry rather than leave a hole in the archive.
            this.fx.onError?.(err as Error)
            await new Promise<void>(resolve => { this.fx.clock.setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)) })
          }
        }
        if (this.fx.replicate != null) {
          if (!this.fenced) {
            this.awaiting.push(...batch)
            const last = batch[batch.length - 1] as PendingWrite
            this.fx.replicate.appended(batch[0]?.env.seq ?? 0, entries.map(e => e.bytes), last.epoch, last.roles != null ? JSON.stringify(last.roles) : undefined)
          }
        } else {
          this.finish(batch)
        }
        this.actor.send({ type: 'message.archived', count: batch.length })
        this.wakeBacklog()
        // Let other events in before the next batch.
        if (this.pending.length > 0) await new Promise<void>(resolve => { setImmediate(resolve) })
      }
    } finally {
      this.writing = false
      for (const w of this.backlogWaiters.splice(0)) w()
    }
  }

  /** Acks and hands off for publishing what is durable and not waiting for replicas. */
  private finish (batch: PendingWrite[]): void {
    for (const p of batch) {
      const entry = this.dedup.get(p.key)
      if (entry != null) entry.durable = true
      const ack = { messageId: p.env.messageId, seq: p.env.seq, code: 0, reason: '', epoch: p.env.epoch }
      if (!p.env.noAck && p.origin != null) this.fx.onAck(p.origin, ack)
      for (const w of entry?.waiters ?? []) this.fx.onAck(w, ack)
      if (entry != null) entry.waiters = undefined
    }
    if (batch.length > 0) this.fx.onSequenced(this.name, batch.map(p => p.env))
  }

  /** Replicated: every replica holds the archive up to `head`; what waited for that is acknowledged. */
  commitTo (head: number): void {
    if (this.fenced || head <= this.committed) return
    this.committed = head
    let n = 0
    while (n < this.awaiting.length && (this.awaiting[n] as PendingWrite).env.seq <= head) n++
    if (n > 0) this.finish(this.awaiting.splice(0, n))
  }

  /** The lease term this sequencer numbers under, and its replicas (replicated only). */
  term = 0
  replicas: string[] = []

  /**
   * The lease moved on: nothing more is numbered or acknowledged. What waited for the
   * replicas is dropped unanswered (its publishers send it again, to the new holder).
   */
  async fence (): Promise<void> {
    this.fenced = true
    this.awaiting = []
    await this.stop()
  }

  /** Stops taking messages, waits until every assigned one is durable. */
  async stop (): Promise<void> {
    this.actor.send({ type: 'sequencer.stop' })
    while (!this.stopped) {
      await new Promise<void>(resolve => { this.fx.clock.setTimeout(resolve, 5) })
    }
    this.actor.stop()
  }
}

/** Whether the archive's head (`head`) is a `GroupClose` (the name was closed by it). */
async function headCloses (store: Store, name: string, head: number): Promise<boolean> {
  const [last] = await store.range(name, head, 1)
  if (last == null) return false
  try { return Envelope.decode(last.bytes).type === MessageType.GROUP_CLOSE } catch { return false }
}

/** Each sequencer, by the actor system its machine runs in. */
const owners = new WeakMap<object, SequencerActor>()

function owner (system: object): SequencerActor {
  const s = owners.get(system)
  // Only machines made by the constructor run these effects, and it registers each first.
  if (s == null) throw new ActorNotProvidedError('a sequencer effect', 'SequencerActor it runs in (none found)')
  return s
}
