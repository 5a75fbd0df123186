/**
 * Multicast at one relay: the sequencers it runs, and for every name with local
 * subscribers, the ordered stream it keeps and delivers from.
 *
 * Every relay with subscribers of a name keeps that name's messages in sequence order:
 * what gossipsub brings goes through a reorder buffer; a gap that does not fill itself
 * within `gapWaitMs` is fetched from the sequencer's archive; what is in order is stored
 * (so replays are served locally) and pushed to each subscription positioned at it. A
 * subscription that starts behind (resume after being away, `fromSeq`) replays from the
 * archive until it reaches the live head, then switches to live delivery: every
 * subscriber sees every message once, in the same order.
 */
import { Envelope, MessageType } from '../wire/envelope.pb.js'
import type { FetchReply, GossipBatch } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { SequencerActor } from './sequencer.actor.js'
import type { SequencerAck } from './sequencer.actor.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import { ReorderBuffer } from './reorder-buffer.js'
import type { ForwardingTable } from './forwarding-table.js'
import type { Clock } from './clock.js'
import type { Store } from '../store/store.js'
import type { AgentPort, RelayConfig, RelayIO } from './types.js'
import { UnavailableError } from './errors.js'
import type { Logger } from '../logger.js'

/** One agent's subscription to a name, at this relay. */
export interface LocalSub {
  agent: string
  name: string
  /** The next sequence number this subscription is owed. */
  nextSeq: number
  replaying: boolean
  closed: boolean
  port: () => AgentPort | undefined
}

export interface MulticastHost {
  self: string
  store: Store
  clock: Clock
  table: ForwardingTable
  io: RelayIO
  config: RelayConfig
  fetch: (relay: string, name: string, fromSeq: number, limit: number) => Promise<FetchReply>
  ackOrigin: (origin: SequencerOrigin, ack: SequencerAck) => void
  /** Sends a submission on to the sequencer relay `relay` (`handover`: one this relay sequenced under a lost claim, retried until the winner has it). */
  forward: (relay: string, env: Envelope, origin: SequencerOrigin, handover?: boolean) => void
  /**
   * Resolves once `port` can take more; a port that stays backed up past the write
   * deadline is cut as a slow consumer (and the promise resolves then too).
   */
  writable: (port: AgentPort, agent: string) => Promise<void>
  routesChanged: () => void
  onTransition?: (actor: string, from: string, to: string, event: string) => void
  log: Logger
}

interface Channel {
  name: string
  sequencer: string
  reorder: ReorderBuffer<Envelope>
  /** Held since this relay started keeping the name: from here on, the store has every message. */
  localFrom: number
  /** In order but perhaps not yet durable here; and the latest ones, for quick replays. */
  recent: Map<number, Envelope>
  subs: Set<LocalSub>
  gapTimer?: unknown
  tailTimer?: unknown
  filling: boolean
  writing: Promise<void>
}

const RECENT_LIMIT = 4096
/** Messages per gossipsub message at most. */
const GOSSIP_BATCH = 128
const FETCH_BATCH = 256
/**
 * Bytes per fetch reply and per replay read at most (at least one message): catch-up is
 * paced by bytes, not by message count, so a backlog of large messages never lands on a
 * stream faster than the stream drains (a page of 256 messages of 64 KiB would be 16 MiB).
 */
const FETCH_REPLY_BYTES = 2 * 1024 * 1024

export class MulticastPlane {
  private readonly host: MulticastHost
  private readonly sequencers = new Map<string, SequencerActor>()
  private readonly starting = new Map<string, Promise<SequencerActor>>()
  private readonly channels = new Map<string, Channel>()
  private readonly opening = new Map<string, Promise<Channel>>()
  /**
   * Fresh claims settling: submissions wait here, unsequenced and unacknowledged, until
   * the claim has had time to reach the other relays. Then the claim sequences them if it
   * still wins, or forwards them to the winner: two relays that claimed the same name at
   * once never both acknowledge messages (which would leave the loser's orphaned).
   */
  private readonly settling = new Map<string, { queue: Array<{ env: Envelope, origin: SequencerOrigin }>, timer: unknown }>()

  constructor (host: MulticastHost) {
    this.host = host
  }

  /** Restarts the sequencers this relay owned before a restart. */
  async restore (): Promise<void> {
    for (const [name, meta] of await this.host.store.listMeta()) {
      if (meta.sequencerSince > 0) {
        this.host.table.claimSequencer(name, meta.sequencerSince)
        this.host.log.info({ name }, 'sequencer resumed: this relay orders the name\'s multicast, as before the restart')
        await this.startSequencer(name, meta.sequencerSince)
      } else if (meta.sequencer != null) {
        // Known before the restart: no claim of ours before the routes come back.
        this.host.table.remember(name, meta.sequencer, meta.sequencerClaim ?? 0)
      }
    }
  }

  sequencerNames (): string[] { return [...this.sequencers.keys()] }
  sequencer (name: string): SequencerActor | undefined { return this.sequencers.get(name) }

  /** The relay that sequences `name`; this relay claims it when nobody has. */
  sequencerOf (name: string): string {
    const known = this.host.table.sequencerOf(name)
    if (known != null) return known.relay
    const since = this.host.clock.now()
    this.host.table.claimSequencer(name, since)
    this.host.log.info({ name }, 'sequencer claimed: this relay orders the name\'s multicast')
    this.settle(name)
    void this.startSequencer(name, since)
    this.host.routesChanged()
    return this.host.self
  }

  private settle (name: string): void {
    const entry = { queue: [] as Array<{ env: Envelope, origin: SequencerOrigin }>, timer: undefined as unknown }
    entry.timer = this.host.clock.setTimeout(() => { this.settled(name) }, this.host.config.claimSettleMs)
    this.settling.set(name, entry)
  }

  /** The settle period is over (or the claim was lost): sequence or forward what waited. */
  private settled (name: string): void {
    const entry = this.settling.get(name)
    if (entry == null) return
    this.host.clock.clearTimeout(entry.timer)
    this.settling.delete(name)
    const winner = this.host.table.sequencerOf(name)?.relay ?? this.host.self
    for (const { env, origin } of entry.queue) {
      if (winner === this.host.self) this.submitLocal(env, origin)
      else this.host.forward(winner, env, origin)
    }
  }

  private async startSequencer (name: string, since: number): Promise<SequencerActor> {
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
  submitLocal (env: Envelope, origin: SequencerOrigin): void {
    const waiting = this.settling.get(env.destination)
    if (waiting != null) { waiting.queue.push({ env, origin }); return }
    const s = this.sequencers.get(env.destination)
    if (s != null) { s.submit(env, origin); return }
    const starting = this.starting.get(env.destination)
    if (starting != null) { void starting.then(s => { s.submit(env, origin) }); return }
    this.host.ackOrigin(origin, { messageId: env.messageId, seq: 0, code: ErrorCode.NOT_SEQUENCER, reason: `relay ${this.host.self} does not sequence ${env.destination}`, epoch: 0 })
  }

  private onSequenced (name: string, envs: Envelope[]): void {
    // Gossip batches stay small (a receiving relay handles each in one short task).
    for (let i = 0; i < envs.length; i += GOSSIP_BATCH) this.host.io.publish(name, { name, messages: envs.slice(i, i + GOSSIP_BATCH) })
    const ch = this.channels.get(name)
    if (ch != null) this.ingest(ch, envs, true)
  }

  /** A batch from the name's topic; only its sequencer may publish there. */
  onGossip (from: string, batch: GossipBatch): void {
    const ch = this.channels.get(batch.name)
    if (ch == null) return
    if (from !== ch.sequencer) {
      this.host.log('dropped multicast for %s from %s: its sequencer is %s', batch.name, from, ch.sequencer)
      return
    }
    this.ingest(ch, batch.messages, false)
  }

  // ---- per-name ordered streams ----

  private async open (name: string): Promise<Channel> {
    const ch = this.channels.get(name)
    if (ch != null) return ch
    const opening = this.opening.get(name)
    if (opening != null) return await opening
    const p = this.load(name).finally(() => { this.opening.delete(name) })
    this.opening.set(name, p)
    return await p
  }

  private async load (name: string): Promise<Channel> {
    const sequencer = this.sequencerOf(name)
    const store = this.host.store
    let next: number
    let localFrom: number
    let remoteHead = 0
    if (sequencer === this.host.self) {
      const s = await this.startSequencer(name, this.host.table.sequencerOf(name)?.since ?? this.host.clock.now())
      // From what is durable: what is still being written arrives through onSequenced.
      next = s.durableHead + 1
      localFrom = 1
    } else {
      const reply = await this.host.fetch(sequencer, name, 0, 0)
      if (reply.code !== 0) throw new UnavailableError(`the sequencer of ${name} did not answer: ${reply.reason}`)
      remoteHead = reply.head
      const meta = await store.getMeta(name)
      const localHead = await store.head(name)
      if (meta != null && meta.sequencerSince === 0 && localHead >= meta.localFrom && localHead <= remoteHead) {
        next = localHead + 1
        localFrom = meta.localFrom
      } else {
        next = remoteHead + 1
        localFrom = next
      }
      await store.putMeta(name, { sequencerSince: 0, epoch: 0, localFrom, sequencer, sequencerClaim: this.host.table.sequencerOf(name)?.since ?? 0 })
    }
    const ch: Channel = { name, sequencer, reorder: new ReorderBuffer(next), localFrom, recent: new Map(), subs: new Set(), filling: false, writing: Promise.resolve() }
    this.channels.set(name, ch)
    this.host.io.setTopic(name, true)
    if (remoteHead >= next) this.fillGap(ch, remoteHead)
    // Claims may have settled while this was loading.
    const now = this.host.table.sequencerOf(name)
    if (now != null && now.relay !== ch.sequencer) this.checkClaims()
    return ch
  }

  /** Adds a subscription; returns the first sequence number it will deliver. */
  async subscribe (sub: LocalSub, fromSeq?: number): Promise<number> {
    const ch = await this.open(sub.name)
    ch.subs.add(sub)
    const head = ch.reorder.next - 1
    if (fromSeq == null || fromSeq > head) {
      sub.nextSeq = fromSeq != null && fromSeq > 0 ? fromSeq : head + 1
      sub.replaying = false
    } else {
      sub.nextSeq = Math.max(1, fromSeq)
      void this.replay(ch, sub)
    }
    return sub.nextSeq
  }

  unsubscribe (sub: LocalSub): void {
    sub.closed = true
    const ch = this.channels.get(sub.name)
    if (ch == null) return
    ch.subs.delete(sub)
  }

  private ingest (ch: Channel, envs: Envelope[], durable: boolean): void {
    const inOrder: Envelope[] = []
    for (const env of envs) {
      for (const e of ch.reorder.push(env.seq, env)) inOrder.push(e)
    }
    if (inOrder.length > 0) {
      for (const e of inOrder) {
        ch.recent.set(e.seq, e)
        this.deliverLive(ch, e)
      }
      if (ch.recent.size > RECENT_LIMIT) {
        for (const k of ch.recent.keys()) { if (ch.recent.size <= RECENT_LIMIT) break; ch.recent.delete(k) }
      }
      if (!durable) {
        const entries = inOrder.map(e => ({ seq: e.seq, bytes: Envelope.encode(e) }))
        ch.writing = ch.writing.then(async () => { await this.host.store.append(ch.name, entries) })
          .catch(err => { this.host.log('archive %s: %s', ch.name, (err as Error).message) })
      }
    }
    const gap = ch.reorder.gap()
    if (gap != null) this.scheduleGapFill(ch)
    else if (!durable) this.scheduleTailCheck(ch)
  }

  /**
   * A lost message is noticed when a later one arrives; the last of a burst has no later
   * one. So shortly after traffic, ask the sequencer for its head and fetch what is
   * missing (at most one head request per name per `tailCheckMs`).
   */
  private scheduleTailCheck (ch: Channel): void {
    if (ch.tailTimer != null || ch.sequencer === this.host.self) return
    ch.tailTimer = this.host.clock.setTimeout(() => {
      ch.tailTimer = undefined
      if (this.channels.get(ch.name) !== ch) return
      this.host.fetch(ch.sequencer, ch.name, 0, 0).then(reply => {
        if (reply.code === 0 && reply.head >= ch.reorder.next) this.fillGap(ch, reply.head)
      }, err => { this.host.log('head of %s: %s', ch.name, (err as Error).message) })
    }, this.host.config.tailCheckMs)
  }

  private deliverLive (ch: Channel, env: Envelope): void {
    for (const sub of ch.subs) {
      if (sub.replaying || sub.closed) continue
      if (sub.nextSeq === env.seq) {
        const port = sub.port()
        if (port == null) continue // away: the agent resumes from its last sequence number
        // A backed-up subscriber falls behind and catches up from the archive as its
        // stream drains, instead of having its write buffer overrun.
        if (port.backlogged()) { void this.replay(ch, sub); continue }
        port.deliver(env)
        sub.nextSeq++
      } else if (sub.nextSeq < env.seq && sub.port() != null) {
        void this.replay(ch, sub)
      }
    }
  }

  /**
   * Brings one subscription from its position to the live head, then hands it to live
   * delivery. Paced by the subscriber's stream: it writes while the stream is below its
   * high-water mark and waits for it to drain (up to the write deadline) otherwise.
   */
  private async replay (ch: Channel, sub: LocalSub): Promise<void> {
    if (sub.replaying) return
    sub.replaying = true
    try {
      while (!sub.closed) {
        const target = ch.reorder.next - 1
        if (sub.nextSeq > target) break
        const port = sub.port()
        if (port == null) break
        if (port.backlogged()) { await this.host.writable(port, sub.agent); continue }
        const batch = await this.read(ch, sub.nextSeq, Math.min(FETCH_BATCH, target - sub.nextSeq + 1))
        if (batch.length === 0 || batch[0]?.seq !== sub.nextSeq) {
          this.host.log('replay of %s stalled at %d', ch.name, sub.nextSeq)
          break
        }
        for (const env of batch) {
          if (env.seq !== sub.nextSeq || sub.closed || sub.port() !== port || port.backlogged()) break
          port.deliver(env)
          sub.nextSeq++
        }
      }
    } catch (err) {
      this.host.log('replay of %s failed: %s', ch.name, (err as Error).message)
    } finally {
      // No await between the last check above and this: live delivery takes over exactly here.
      sub.replaying = false
    }
  }

  /** Messages `from` .. `from + limit - 1` that this relay has or can fetch, in order. */
  private async read (ch: Channel, from: number, limit: number): Promise<Envelope[]> {
    const out: Envelope[] = []
    let seq = from
    let bytes = 0
    while (out.length < limit && bytes < FETCH_REPLY_BYTES && ch.recent.has(seq)) {
      const env = ch.recent.get(seq) as Envelope
      out.push(env)
      bytes += env.payload.byteLength
      seq++
    }
    if (out.length > 0) return out
    if (from >= ch.localFrom) {
      await ch.writing
      const stored = await this.host.store.range(ch.name, from, limit, FETCH_REPLY_BYTES)
      for (const m of stored) out.push(Envelope.decode(m.bytes))
      if (out.length > 0) return out
    }
    if (ch.sequencer === this.host.self) return out
    const reply = await this.host.fetch(ch.sequencer, ch.name, from, limit)
    return reply.messages
  }

  private scheduleGapFill (ch: Channel): void {
    if (ch.gapTimer != null || ch.filling) return
    ch.gapTimer = this.host.clock.setTimeout(() => {
      ch.gapTimer = undefined
      const gap = ch.reorder.gap()
      if (gap != null) this.fillGap(ch, gap.to)
    }, this.host.config.gapWaitMs)
  }

  private fillGap (ch: Channel, upTo: number): void {
    if (ch.filling || ch.sequencer === this.host.self) return
    ch.filling = true
    void (async () => {
      try {
        while (ch.reorder.next <= upTo && this.channels.get(ch.name) === ch) {
          const from = ch.reorder.next
          const reply = await this.host.fetch(ch.sequencer, ch.name, from, FETCH_BATCH)
          if (reply.code !== 0 || reply.messages.length === 0) break
          this.ingest(ch, reply.messages, false)
          if (ch.reorder.next === from) break
          upTo = Math.max(upTo, reply.head)
        }
      } catch (err) {
        this.host.log('gap fill of %s failed: %s', ch.name, (err as Error).message)
      } finally {
        ch.filling = false
        if (ch.reorder.gap() != null) this.scheduleGapFill(ch)
      }
    })()
  }

  /** Answers another relay's fetch from this relay's archive. */
  async serveFetch (name: string, fromSeq: number, limit: number): Promise<Partial<FetchReply>> {
    const ch = this.channels.get(name)
    const s = this.sequencers.get(name)
    if (ch == null && s == null) return { name, code: ErrorCode.NO_ROUTE, reason: `relay ${this.host.self} holds no archive of ${name}` }
    const head = ch != null ? ch.reorder.next - 1 : (s as SequencerActor).durableHead
    if (limit === 0) return { name, head, code: 0 }
    const messages: Envelope[] = []
    let bytes = 0
    const from = Math.max(1, fromSeq)
    const stored = ch != null ? await this.read(ch, from, Math.min(limit, FETCH_BATCH)) : (await this.host.store.range(name, from, Math.min(limit, FETCH_BATCH), FETCH_REPLY_BYTES)).map(m => Envelope.decode(m.bytes))
    for (const env of stored) {
      bytes += env.payload.byteLength + 128
      if (messages.length > 0 && bytes > FETCH_REPLY_BYTES) break
      messages.push(env)
    }
    return { name, head, messages, code: 0 }
  }

  /** Drops the state of names nobody here subscribes to any more. */
  release (name: string): void {
    const ch = this.channels.get(name)
    if (ch == null || ch.subs.size > 0 || this.sequencers.has(name)) return
    if (ch.gapTimer != null) this.host.clock.clearTimeout(ch.gapTimer)
    if (ch.tailTimer != null) this.host.clock.clearTimeout(ch.tailTimer)
    this.channels.delete(name)
    if (!this.host.table.isKnown(name)) this.host.io.setTopic(name, false)
  }

  /**
   * The announced claims changed. Two relays that used a name for the first time at
   * once both claimed it; every relay picks the same winner (earliest claim, then lower
   * peer id), the loser stops its sequencer, and every relay's ordered stream follows
   * the winner from its head on.
   */
  checkClaims (): void {
    const names = new Set([...this.sequencers.keys(), ...this.starting.keys(), ...this.channels.keys()])
    for (const name of names) {
      const winner = this.host.table.sequencerOf(name)
      if (winner == null) continue
      if (winner.relay !== this.host.self) {
        const own = this.sequencers.get(name) ?? this.starting.get(name)
        if (own != null) {
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
      const ch = this.channels.get(name)
      if (ch != null && ch.sequencer !== winner.relay) this.follow(ch, winner.relay)
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

  /** Follows a new sequencer: fetch whatever it has beyond this stream's position. */
  private follow (ch: Channel, sequencer: string): void {
    const wasOurs = ch.sequencer === this.host.self
    ch.sequencer = sequencer
    if (sequencer === this.host.self) return
    if (wasOurs) {
      // Our numbering is void: take the winner's from the start; subscribers follow it.
      ch.reorder = new ReorderBuffer(1)
      ch.recent.clear()
      ch.localFrom = 1
      for (const sub of ch.subs) sub.nextSeq = 1
    }
    this.host.fetch(sequencer, ch.name, 0, 0).then(reply => {
      if (reply.code !== 0) return
      if (reply.head + 1 < ch.reorder.next) {
        this.host.log('%s: this relay is at %d but the sequencer %s is at %d; messages sequenced by the losing claim keep their numbers here', ch.name, ch.reorder.next - 1, sequencer, reply.head)
      } else if (reply.head >= ch.reorder.next) {
        this.fillGap(ch, reply.head)
      }
    }, err => { this.host.log('following %s for %s: %s', sequencer, ch.name, (err as Error).message) })
  }

  isCommit (env: Envelope): boolean {
    return env.type === MessageType.GROUP_PROPOSAL || env.type === MessageType.GROUP_ADD || env.type === MessageType.GROUP_REMOVE
  }

  async stop (): Promise<void> {
    for (const name of [...this.settling.keys()]) this.settled(name)
    for (const ch of this.channels.values()) {
      if (ch.gapTimer != null) this.host.clock.clearTimeout(ch.gapTimer)
      if (ch.tailTimer != null) this.host.clock.clearTimeout(ch.tailTimer)
    }
    await Promise.all([...this.sequencers.values()].map(async s => { await s.stop() }))
    await Promise.all([...this.channels.values()].map(async ch => { await ch.writing }))
  }
}
