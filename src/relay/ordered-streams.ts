/**
 * The ordered stream of every name with subscribers at this relay, one
 * `OrderedStreamActor` per name (./ordered-stream.actor.ts: its phases are
 * `orderedStreamMachine`, its messages a plain path beside it). This keeps them by name:
 * opens one on the first subscription (once, however many subscribe at once), hands
 * each the batches of its sequencer (gossip from anyone else is dropped), makes each
 * follow its name's winning sequencer when the claims change, answers other relays'
 * fetches from them, and drops one nobody subscribes to any more.
 */
import type { Envelope, FetchReply } from '../wire/envelope.pb.js'
import { Envelope as EnvelopeCodec } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { HistoryTrimmedError } from './errors.js'
import type { SequencerActor } from './sequencer.actor.js'
import { FETCH_BATCH, FETCH_REPLY_BYTES, OrderedStreamActor } from './ordered-stream.actor.js'
import type { SequencerLookup } from './ordered-stream.actor.js'
import type { LocalSub, MulticastHost } from './multicast-host.js'

export type { SequencerLookup } from './ordered-stream.actor.js'

export class OrderedStreams {
  private readonly host: MulticastHost
  private readonly sequencers: SequencerLookup
  /** Loaded streams: these take messages. */
  private readonly streams = new Map<string, OrderedStreamActor>()
  /** Streams still loading, so that concurrent subscriptions share one. */
  private readonly opening = new Map<string, OrderedStreamActor>()

  constructor (host: MulticastHost, sequencers: SequencerLookup) {
    this.host = host
    this.sequencers = sequencers
  }

  names (): string[] { return [...this.streams.keys()] }

  /** Each loaded stream: the sequencer's head as this relay knows it, and the last number in order here. */
  heads (): Array<{ name: string, known: number, head: number }> {
    return [...this.streams.values()].map(s => ({ name: s.name, known: s.knownHead, head: s.head }))
  }

  /** The phase of the name's stream (`live`, `gapWait`, `filling`, ...), if it has one. */
  state (name: string): string | undefined { return (this.streams.get(name) ?? this.opening.get(name))?.state }

  /** What this relay's own sequencer numbered: straight into the name's stream, durable already. */
  onSequenced (name: string, envs: Envelope[]): void {
    this.streams.get(name)?.ingest(envs, true)
  }

  /** A batch from the name's topic; only its sequencer may publish there. */
  onGossip (from: string, name: string, messages: Envelope[]): void {
    const stream = this.streams.get(name)
    if (stream == null) return
    if (from !== stream.sequencer) {
      this.host.log('dropped multicast for %s from %s: its sequencer is %s', name, from, stream.sequencer)
      return
    }
    stream.ingest(messages, false)
  }

  /** The announced claims changed: every stream follows its name's winning sequencer. */
  checkClaims (): void {
    for (const stream of this.streams.values()) this.checkClaim(stream)
  }

  private checkClaim (stream: OrderedStreamActor): void {
    const winner = this.host.table.sequencerOf(stream.name)
    if (winner != null && stream.sequencer !== winner.relay) stream.follow(winner.relay)
  }

  private async open (name: string): Promise<OrderedStreamActor> {
    const loaded = this.streams.get(name)
    if (loaded != null) return loaded
    let stream = this.opening.get(name)
    if (stream == null) {
      const opening = new OrderedStreamActor({
        name,
        host: this.host,
        sequencers: this.sequencers,
        onOpen: (s) => {
          this.opening.delete(name)
          this.streams.set(name, s)
          this.host.io.setTopic(name, true)
          // Claims may have settled while this was loading.
          this.checkClaim(s)
        }
      })
      stream = opening
      this.opening.set(name, opening)
      // A failed load is forgotten, so the next subscription tries again.
      opening.ready.catch(() => { if (this.opening.get(name) === opening) this.opening.delete(name) })
    }
    await stream.ready
    return stream
  }

  /** Adds a subscription; returns the first sequence number it will deliver. */
  async subscribe (sub: LocalSub, fromSeq?: number): Promise<number> {
    const stream = await this.open(sub.name)
    if (fromSeq != null && fromSeq > 0 && fromSeq <= stream.head) await stream.checkHistory(fromSeq)
    return stream.subscribe(sub, fromSeq)
  }

  unsubscribe (sub: LocalSub): void {
    sub.closed = true
    this.streams.get(sub.name)?.subs.delete(sub)
  }

  /** Answers another relay's fetch from this relay's archive. */
  async serveFetch (name: string, fromSeq: number, limit: number): Promise<Partial<FetchReply>> {
    const stream = this.streams.get(name)
    const s = this.sequencers.get(name)
    if (stream == null && s == null) {
      // Asked as the sequencer of a name this relay retired while idle (or never had):
      // nothing was numbered, and the first submission makes it claim the name again.
      if (this.host.table.sequencerOf(name) == null) return { name, head: 0, messages: [], code: 0 }
      return { name, code: ErrorCode.NO_ROUTE, reason: `relay ${this.host.self} holds no archive of ${name}` }
    }
    const head = stream != null ? stream.head : (s as SequencerActor).durableHead
    if (limit === 0) return { name, head, code: 0 }
    const messages: Envelope[] = []
    let bytes = 0
    const from = Math.max(1, fromSeq)
    let stored: Envelope[]
    try {
      stored = stream != null
        ? await stream.read(from, Math.min(limit, FETCH_BATCH))
        : await this.readArchive(name, from, Math.min(limit, FETCH_BATCH))
    } catch (err) {
      if (!(err instanceof HistoryTrimmedError)) throw err
      return { name, head, code: ErrorCode.HISTORY_TRIMMED, reason: err.message, first: err.oldest }
    }
    for (const env of stored) {
      bytes += env.payload.byteLength + 128
      if (messages.length > 0 && bytes > FETCH_REPLY_BYTES) break
      messages.push(env)
    }
    return { name, head, messages, code: 0 }
  }

  /** A sequencer's archive read with no stream open: trimmed below `from` fails as the stream's read does. */
  private async readArchive (name: string, from: number, limit: number): Promise<Envelope[]> {
    const stored = await this.host.store.range(name, from, limit, FETCH_REPLY_BYTES)
    const first = stored[0]?.seq
    if (first != null && first > from) throw HistoryTrimmedError.at(name, from, first)
    return stored.map(m => EnvelopeCodec.decode(m.bytes))
  }

  /**
   * Drops the state of names nobody here subscribes to any more. A name this relay
   * sequences keeps its stream, unless its sequencer has nothing to keep: then the claim
   * is retired too, and the name costs this relay nothing until it is used again.
   */
  release (name: string): void {
    const stream = this.streams.get(name)
    if (stream == null || stream.subs.size > 0) return
    if (this.sequencers.has(name) && !this.sequencers.retireIfIdle(name)) return
    stream.release()
    this.streams.delete(name)
    if (!this.host.table.isKnown(name)) this.host.io.setTopic(name, false)
  }

  async stop (): Promise<void> {
    const all = [...this.streams.values(), ...this.opening.values()]
    await Promise.all(all.map(async stream => { await stream.stop() }))
  }
}
