/**
 * What the channel simulation (./channel-sim.ts) records as its members run, and the
 * fork check. Every member reports each epoch it reaches with the hash of its epoch
 * state (./channel-member.ts: a hash chain over the commits it applied, standing for
 * MLS's epoch secrets): the first report of a channel's epoch sets that epoch's hash,
 * and any later report of the same epoch with another hash is a fork, recorded with
 * both hashes and the member that has it.
 *
 * A commit is counted from its request (a member asks its channel machine for it) to
 * being applied by every member of the epoch it made (its joiners excepted: they join
 * from the Welcome), and to the committer having it acknowledged and applied; each send
 * to the sequencer is an attempt, and a stale-epoch refusal (`StaleEpochError`) a nack.
 */
import type { CommitKind } from '../src/machines/channel.machine.js'
import { percentiles } from './failover-report.js'
import type { Percentiles } from './failover-report.js'
import { round } from './metrics.js'

export interface Fork { channel: string, epoch: number, member: string, expected: string, got: string, at: number }

interface Ticket {
  channel: string
  kind: CommitKind
  by: string
  requestedAt: number
  attempts: number
  nacks: number
  ackedAt?: number
  failed?: string
  epoch?: number
}

interface EpochEntry {
  hash: string
  ticket: number
  /** Members of the epoch who must apply it (its joiners excepted), and how many did. */
  expected: number
  applied: number
  lastAt: number
  /** Who applied it, until everyone has (then dropped). */
  by?: Set<string>
}

export interface AckEvent { channel: string, at: number, relay: number, requestedAt: number }

export interface CommitFigures {
  requested: number
  acked: number
  failed: number
  attempts: number
  nacks: number
  /** Nacks per attempt. */
  nackRate: number
  /** Retries (attempts - 1) per acknowledged commit. */
  retries: { mean: number, p99: number, max: number }
  /** Request → applied by every member of its epoch. */
  latencyMs: Percentiles
  /** Request → acknowledged and applied by its committer. */
  committerMs: Percentiles
  /** Acknowledged commits not applied by every member of their epoch at the end. */
  notAppliedByAll: number
  byKind: Record<CommitKind, { requested: number, acked: number, failed: number, nacks: number, latencyMs: Percentiles }>
  /** Why the failed ones failed (error names), counted, with the first message of each. */
  failures: Record<string, number>
  failureSamples: Record<string, string>
}

export class ChannelRecorder {
  private readonly epochs = new Map<string, Map<number, EpochEntry>>()
  private readonly tickets = new Map<number, Ticket>()
  private nextTicket = 1
  readonly forks: Fork[] = []
  readonly acks: AckEvent[] = []
  private readonly latency: Array<{ kind: CommitKind, channel: string, requestedAt: number, ms: number }> = []
  private readonly committer: number[] = []
  /** Joins: invited (request), Welcome sent, joined. */
  private readonly joins = new Map<string, { invitedAt: number, welcomeAt?: number, welcomeSends: number, joinedAt?: number, welcomeBytes: number, failures: number }>()
  private readonly leaves = new Map<string, { askedAt: number, leftAt?: number, failures: number }>()
  messagesSent = 0
  messagesRead = 0
  /** Application messages a member could not open (their epoch's keys were gone). */
  messagesRejected = 0
  /** Sequence numbers a member's stream skipped. */
  gaps = 0
  /** Commits a member refused as stale, forged or without the right (none while the sequencer orders them). */
  commitsRefused = 0
  /** Own commits that came back in the stream but could not be adopted (built on another epoch). */
  ownCommitsLost = 0

  // ---- commits ----

  request (channel: string, kind: CommitKind, by: string, at: number): number {
    const t = this.nextTicket++
    this.tickets.set(t, { channel, kind, by, requestedAt: at, attempts: 0, nacks: 0 })
    return t
  }

  attempt (ticket: number): void { const t = this.tickets.get(ticket); if (t != null) t.attempts++ }
  nack (ticket: number): void { const t = this.tickets.get(ticket); if (t != null) t.nacks++ }

  /** The committer has it acknowledged and applied. */
  acked (ticket: number, epoch: number, at: number, relay: number): void {
    const t = this.tickets.get(ticket)
    if (t == null || t.ackedAt != null) return
    t.ackedAt = at
    t.epoch = epoch
    this.committer.push(at - t.requestedAt)
    this.acks.push({ channel: t.channel, at, relay, requestedAt: t.requestedAt })
  }

  failed (ticket: number, error: unknown): void {
    const t = this.tickets.get(ticket)
    if (t == null || t.ackedAt != null) return
    t.failed = (error as { name?: string } | null)?.name ?? String(error)
    this.failureSamples[t.failed] ??= (error as { message?: string } | null)?.message ?? String(error)
  }

  /** One message per failure name, as it first came. */
  readonly failureSamples: Record<string, string> = {}

  /**
   * A member reached `epoch` of `channel` with state `hash` by applying a commit (or by
   * creating the channel: epoch 0). `expected`: members of the new epoch who apply it;
   * `counts`: this member is one of them.
   */
  applied (channel: string, epoch: number, hash: string, member: string, at: number, ticket: number, expected: number, counts: boolean): void {
    let byEpoch = this.epochs.get(channel)
    if (byEpoch == null) { byEpoch = new Map(); this.epochs.set(channel, byEpoch) }
    let e = byEpoch.get(epoch)
    if (e == null) {
      e = { hash, ticket, expected, applied: 0, lastAt: at, by: new Set() }
      byEpoch.set(epoch, e)
    } else if (e.hash !== hash) {
      this.forks.push({ channel, epoch, member, expected: e.hash.slice(0, 16), got: hash.slice(0, 16), at })
      return
    }
    if (!counts) return
    e.applied++
    e.lastAt = at
    e.by?.add(member)
    const t = this.tickets.get(ticket)
    if (e.applied === e.expected) {
      e.by = undefined
      if (t != null) this.latency.push({ kind: t.kind, channel, requestedAt: t.requestedAt, ms: at - t.requestedAt })
    }
  }

  /** Every commit requested: its channel, when, and whether it was acknowledged. */
  requests (): Array<{ channel: string, requestedAt: number, acked: boolean }> {
    return [...this.tickets.values()].map(t => ({ channel: t.channel, requestedAt: t.requestedAt, acked: t.ackedAt != null }))
  }

  /** Epochs not applied by every member they count on: who applied them (at most `limit`). */
  incomplete (limit = 10): Array<{ channel: string, epoch: number, hash: string, expected: number, appliedBy: string[] }> {
    const out = []
    for (const [channel, byEpoch] of this.epochs) {
      for (const [epoch, e] of byEpoch) {
        if (epoch === 0 || e.applied >= e.expected) continue
        out.push({ channel, epoch, hash: e.hash, expected: e.expected, appliedBy: [...(e.by ?? [])] })
        if (out.length >= limit) return out
      }
    }
    return out
  }

  /**
   * Members added whose Welcome never came (dead leaves, RFC 9420 section 12.4.3.1) apply
   * nothing: an epoch whose only missing appliers are such members counts as applied by
   * all at its last application. `inRoster(hash, name)`: `name` is a member of that state.
   */
  excuse (dead: string[], inRoster: (hash: string, name: string) => boolean): void {
    if (dead.length === 0) return
    for (const [channel, byEpoch] of this.epochs) {
      for (const [epoch, e] of byEpoch) {
        if (epoch === 0 || e.applied >= e.expected || e.by == null) continue
        const missing = dead.filter(d => inRoster(e.hash, d) && !(e.by as Set<string>).has(d)).length
        if (e.applied + missing < e.expected) continue
        e.expected = e.applied
        e.by = undefined
        const t = this.tickets.get(e.ticket)
        if (t != null) this.latency.push({ kind: t.kind, channel, requestedAt: t.requestedAt, ms: e.lastAt - t.requestedAt })
      }
    }
  }

  /** The hash of `channel`'s `epoch`, as first reported. */
  hashOf (channel: string, epoch: number): string | undefined { return this.epochs.get(channel)?.get(epoch)?.hash }

  // ---- joins and leaves ----

  invited (member: string, at: number): void {
    const j = this.joins.get(member)
    if (j == null) this.joins.set(member, { invitedAt: at, welcomeSends: 0, welcomeBytes: 0, failures: 0 })
  }

  inviteFailed (member: string): void { const j = this.joins.get(member); if (j != null) j.failures++ }

  welcomeSent (member: string, at: number, bytes: number): void {
    const j = this.joins.get(member)
    if (j == null) return
    j.welcomeSends++
    j.welcomeAt ??= at
    j.welcomeBytes = bytes
  }

  joined (member: string, at: number): void { const j = this.joins.get(member); if (j != null) j.joinedAt ??= at }

  askedToLeave (member: string, at: number): void { if (!this.leaves.has(member)) this.leaves.set(member, { askedAt: at, failures: 0 }) }
  leaveFailed (member: string): void { const l = this.leaves.get(member); if (l != null) l.failures++ }
  left (member: string, at: number): void { const l = this.leaves.get(member); if (l != null) l.leftAt ??= at }

  // ---- sums ----

  commits (): CommitFigures {
    const all = [...this.tickets.values()]
    const acked = all.filter(t => t.ackedAt != null)
    const attempts = all.reduce((s, t) => s + t.attempts, 0)
    const nacks = all.reduce((s, t) => s + t.nacks, 0)
    const retries = acked.map(t => Math.max(0, t.attempts - 1))
    const r = percentiles(retries)
    let notApplied = 0
    for (const byEpoch of this.epochs.values()) for (const [epoch, e] of byEpoch) if (epoch > 0 && e.applied < e.expected) notApplied++
    const failures: Record<string, number> = {}
    for (const t of all) if (t.failed != null && t.ackedAt == null) failures[t.failed] = (failures[t.failed] ?? 0) + 1
    const kinds: CommitKind[] = ['add', 'remove', 'update', 'roles']
    const byKind = Object.fromEntries(kinds.map(k => {
      const ts = all.filter(t => t.kind === k)
      return [k, {
        requested: ts.length,
        acked: ts.filter(t => t.ackedAt != null).length,
        failed: ts.filter(t => t.failed != null && t.ackedAt == null).length,
        nacks: ts.reduce((s, t) => s + t.nacks, 0),
        latencyMs: percentiles(this.latency.filter(l => l.kind === k).map(l => l.ms))
      }]
    })) as CommitFigures['byKind']
    return {
      requested: all.length,
      acked: acked.length,
      failed: all.filter(t => t.failed != null && t.ackedAt == null).length,
      attempts,
      nacks,
      nackRate: attempts === 0 ? 0 : round(nacks / attempts, 4),
      retries: { mean: round(retries.reduce((s, x) => s + x, 0) / Math.max(1, retries.length), 3), p99: r.p99, max: r.max },
      latencyMs: percentiles(this.latency.map(l => l.ms)),
      committerMs: percentiles(this.committer),
      notAppliedByAll: notApplied,
      byKind,
      failures,
      failureSamples: this.failureSamples
    }
  }

  /** Commits requested and not settled (neither acknowledged nor failed). */
  get unsettled (): number {
    let n = 0
    for (const t of this.tickets.values()) if (t.ackedAt == null && t.failed == null) n++
    return n
  }

  joinFigures (): { invited: number, joined: number, retried: number, timeToJoinedMs: Percentiles, welcomeToJoinedMs: Percentiles, welcomeSends: number, welcomeBytes: Percentiles } {
    const js = [...this.joins.values()]
    const done = js.filter(j => j.joinedAt != null)
    return {
      invited: js.length,
      joined: done.length,
      retried: js.reduce((s, j) => s + j.failures, 0),
      timeToJoinedMs: percentiles(done.map(j => (j.joinedAt as number) - j.invitedAt)),
      welcomeToJoinedMs: percentiles(done.filter(j => j.welcomeAt != null).map(j => (j.joinedAt as number) - (j.welcomeAt as number))),
      welcomeSends: js.reduce((s, j) => s + j.welcomeSends, 0),
      welcomeBytes: percentiles(js.filter(j => j.welcomeSends > 0).map(j => j.welcomeBytes))
    }
  }

  leaveFigures (): { asked: number, left: number, retried: number, timeToLeftMs: Percentiles } {
    const ls = [...this.leaves.values()]
    const done = ls.filter(l => l.leftAt != null)
    return { asked: ls.length, left: done.length, retried: ls.reduce((s, l) => s + l.failures, 0), timeToLeftMs: percentiles(done.map(l => (l.leftAt as number) - l.askedAt)) }
  }

  get pendingJoins (): number { let n = 0; for (const j of this.joins.values()) if (j.joinedAt == null) n++; return n }
  get pendingLeaves (): number { let n = 0; for (const l of this.leaves.values()) if (l.leftAt == null) n++; return n }
}
