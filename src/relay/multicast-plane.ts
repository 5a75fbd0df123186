/**
 * Multicast at one relay, put together from its two jobs: the sequencers this relay runs
 * (./sequencer-registry.ts: claims, settling, handover) and, for every name with local
 * subscribers, the ordered stream it keeps and delivers from (./ordered-streams.ts).
 * Fetches of archived messages from other relays go through ./archive-fetch.ts.
 */
import type { Envelope, FetchReply, GossipBatch, ReplicaAck, Replicate } from '../wire/envelope.pb.js'
import { ReplicaArchive } from './replica-archive.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import { SequencerRegistry } from './sequencer-registry.js'
import type { SequencerActor, SequencerAck } from './sequencer.actor.js'
import { OrderedStreams } from './ordered-streams.js'
import type { LocalSub, MulticastHost } from './multicast-host.js'

export type { LocalSub, MulticastHost } from './multicast-host.js'

/** Messages per gossipsub message at most. */
const GOSSIP_BATCH = 128

export class MulticastPlane {
  private readonly host: MulticastHost
  private readonly registry: SequencerRegistry
  private readonly streams: OrderedStreams
  private readonly replicas: ReplicaArchive

  constructor (host: MulticastHost) {
    this.host = host
    this.registry = new SequencerRegistry({ host, onSequenced: (name, envs) => { this.onSequenced(name, envs) }, onClaimChanged: () => { this.streams.checkClaims() } })
    this.streams = new OrderedStreams(host, this.registry)
    this.replicas = new ReplicaArchive({
      store: host.store,
      termOf: name => this.registry.leadingTerm(name),
      onNewerTerm: (name, term, by) => { this.registry.newerTerm(name, term, by) }
    })
  }

  /** A sequencer's copy for this relay to keep (it is one of the name's replicas); answered to it. */
  onReplicate (from: string, r: Replicate): void {
    void this.replicas.replicate(from, r).then(ack => { this.host.sendTo(from, { replicaAck: ack }) })
  }

  /** A replica's answer to this relay's sequencer. */
  onReplicaAck (from: string, ack: ReplicaAck): void {
 this.registry.replicaAnswered(from, ack) }

  /** Restarts the sequencers this relay owned before a restart. */
  /** Restarts the sequencers this relay had; those with nothing to keep (and nobody here subscribed yet) are retired. */
  async restore (): Promise<void> {
    await this.registry.restore()
    for (const { name } of this.registry.heads()) if (this.streams.state(name) == null) this.registry.retireIfIdle(name)
  }

  sequencer (name: string): SequencerActor | undefined { return this.registry.get(name) }

  /** The relay that sequences `name`; this relay claims it when nobody has (announcing the claim). */
  sequencerOrClaim (name: string): string { return this.registry.sequencerOrClaim(name) }

  /**
   * Per name this relay sequences or follows: the head it knows and how far its local
   * delivery (the last number in order here) is behind it. A sequencer's head is the last
   * number it assigned; its lag is what is assigned but not yet in its own local stream.
   */
  sequencerHeads (): Array<{ name: string, head: number, lag: number, sequencer: boolean }> {
    const local = new Map(this.streams.heads().map(h => [h.name, h]))
    const out: Array<{ name: string, head: number, lag: number, sequencer: boolean }> = []
    for (const { name, head } of this.registry.heads()) {
      const stream = local.get(name)
      local.delete(name)
      out.push({ name, head, lag: stream == null ? 0 : Math.max(0, head - stream.head), sequencer: true })
    }
    for (const h of local.values()) out.push({ name: h.name, head: h.known, lag: Math.max(0, h.known - h.head), sequencer: false })
    return out
  }

  /** Undefined while the name's sequencer keeps up; else a promise of its catching up. */
  backlog (name: string): Promise<void> | undefined { return this.registry.backlog(name) }

  /** A message for a name this relay sequences. */
  submitLocal (env: Envelope, origin: SequencerOrigin): void { this.registry.submit(env, origin) }

  /** An answer to a submission of this relay's own (a handover waits for the winner's). */
  answered (ack: SequencerAck): void { this.registry.answered(ack) }

  private onSequenced (name: string, envs: Envelope[]): void {
    // Gossip batches stay small (a receiving relay handles each in one short task).
    for (let i = 0; i < envs.length; i += GOSSIP_BATCH) this.host.io.publish(name, { name, messages: envs.slice(i, i + GOSSIP_BATCH) })
    this.streams.onSequenced(name, envs)
  }

  /** A batch from the name's topic. */
  onGossip (from: string, batch: GossipBatch): void { this.streams.onGossip(from, batch.name, batch.messages) }

  /** Adds a subscription; returns the first sequence number it will deliver. */
  async subscribe (sub: LocalSub, fromSeq?: number): Promise<number> { return await this.streams.subscribe(sub, fromSeq) }
  unsubscribe (sub: LocalSub): void { this.streams.unsubscribe(sub) }

  /** Answers another relay's fetch from this relay's archive. */
  async serveFetch (name: string, fromSeq: number, limit: number): Promise<Partial<FetchReply>> {
    return await this.streams.serveFetch(name, fromSeq, limit)
  }

  /** Drops the state of names nobody here subscribes to any more. */
  release (name: string): void { this.streams.release(name) }

  /**
   * The announced claims changed. Two relays that used a name for the first time at
   * once both claimed it; every relay picks the same winner (earliest claim, then lower
   * peer id), the loser stops its sequencer, and every relay's ordered stream follows
   * the winner from its head on.
   */
  checkClaims (): void {
    this.registry.checkClaims()
    this.streams.checkClaims()
  }

  async stop (): Promise<void> {
    await this.registry.stop()
    await this.streams.stop()
  }
}
