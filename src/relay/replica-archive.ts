/**
 * The replica's side of replication: it keeps, in its own archive, what a name's
 * sequencer sends it (`Replicate`), at the same sequence numbers, and answers with what
 * it holds durably (`ReplicaAck`). Writes of one name run one at a time.
 *
 * Terms fence: a `Replicate` under an older term than the replica knows is refused
 * (`STALE_TERM`, with the newer term), so a sequencer that lost its lease cannot get
 * anything acknowledged. The first `Replicate` of a newer term first drops what the
 * archive holds past the last sequence number known acknowledged (`committed`): that part
 * came from an older term's sequencer and was never acknowledged; the new sequencer sends
 * its own from there.
 *
 * The archive's metadata records the term, how far it is known acknowledged, the
 * sequencer, and the channel's epoch and roles as the sequencer sent them, so a replica
 * given the lease (src/relay/sequencer-lease.actor.ts) numbers on from its own head with
 * the channel's state as it was.
 */
import type { ReplicaAck, Replicate } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import type { ChannelMeta, Store } from '../store/store.js'
import { parseRoles } from '../machines/sequencer.machine.js'

export interface ReplicaArchiveInit {
  store: Store
  /** A term this relay knows for `name` beyond its archive's (it leads the name, say), else 0. */
  termOf: (name: string) => number
  /** A sequencer with a newer term than this relay's own for `name` exists. */
  onNewerTerm: (name: string, term: number, by: string) => void
}

export class ReplicaArchive {
  private readonly init: ReplicaArchiveInit
  private readonly writing = new Map<string, Promise<unknown>>()

  constructor (init: ReplicaArchiveInit) { this.init = init }

  /** Keeps what `from` (the name's sequencer) sent; resolves with the answer. */
  async replicate (from: string, r: Replicate): Promise<ReplicaAck> {
    const previous = this.writing.get(r.name) ?? Promise.resolve()
    const run = previous.then(async () => await this.apply(from, r))
    const settled = run.catch(() => {})
    this.writing.set(r.name, settled)
    try {
      return await run
    } catch (err) {
      return { name: r.name, term: r.term, head: 0, code: ErrorCode.UNAVAILABLE, reason: `relay could not keep the copy: ${(err as Error).message}` }
    } finally {
      if (this.writing.get(r.name) === settled) this.writing.delete(r.name)
    }
  }

  private async apply (from: string, r: Replicate): Promise<ReplicaAck> {
    const store = this.init.store
    const meta: ChannelMeta = (await store.getMeta(r.name)) ?? { sequencerSince: 0, epoch: 0, localFrom: 1 }
    const known = Math.max(meta.term ?? 0, this.init.termOf(r.name))
    if (r.term < known) {
      return { name: r.name, term: known, head: await store.head(r.name), code: ErrorCode.STALE_TERM, reason: `term ${r.term} is stale: this relay knows term ${known}` }
    }
    const newTerm = r.term > (meta.term ?? 0)
    if (newTerm) {
      // What an older term left past the acknowledged point was never acknowledged.
      await store.truncate(r.name, meta.committed ?? 0)
      if (r.term > this.init.termOf(r.name)) this.init.onNewerTerm(r.name, r.term, from)
      meta.term = r.term
      meta.sequencerSince = 0
      meta.sequencer = from
    }
    let head = await store.head(r.name)
    if (r.entries.length === 0) {
      await this.saveMeta(r, meta, head, newTerm)
      return { name: r.name, term: r.term, head, code: 0, reason: '' }
    }
    if (r.from > head + 1) {
      // A gap: only where the sequencer keeps nothing older (retention) does the copy start there.
      if (r.first === 0 || r.from !== r.first) return { name: r.name, term: r.term, head, code: 0, reason: '' }
      await store.truncate(r.name, 0)
      meta.localFrom = r.from
      head = r.from - 1
    }
    const skip = head + 1 - r.from
    const entries = r.entries.slice(Math.max(0, skip)).map((bytes, i) => ({ seq: Math.max(r.from, head + 1) + i, bytes }))
    if (entries.length > 0) {
      head = (entries[entries.length - 1] as { seq: number }).seq
      meta.epoch = r.epoch
      if (r.roles != null) { const roles = parseRoles(r.roles); if (roles != null) meta.roles = roles }
      meta.committed = Math.max(meta.committed ?? 0, Math.min(r.commit, head))
      meta.sequencer = from
      await store.append(r.name, entries, meta)
    } else {
      await this.saveMeta(r, meta, head, newTerm)
    }
    return { name: r.name, term: r.term, head, code: 0, reason: '' }
  }

  private async saveMeta (r: Replicate, meta: ChannelMeta, head: number, changed: boolean): Promise<void> {
    const committed = Math.max(meta.committed ?? 0, Math.min(r.commit, head))
    if (!changed && committed === meta.committed) return
    meta.committed = committed
    await this.init.store.putMeta(r.name, meta)
  }
}
