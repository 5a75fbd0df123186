/**
 * A sequencer's replicator (src/relay/replicator.ts) and a replica's archive
 * (src/relay/replica-archive.ts), wired to each other over real stores: what is
 * acknowledged, catch-up from the archive, and fencing by term.
 */
import { describe, it, expect } from 'vitest'
import { MemoryStore } from '../../src/store/memory-store.js'
import { Replicator } from '../../src/relay/replicator.js'
import { ReplicaArchive } from '../../src/relay/replica-archive.js'
import { systemClock } from '../../src/relay/clock.js'
import { Envelope } from '../../src/wire/envelope.pb.js'
import type { Replicate, ReplicaAck } from '../../src/wire/envelope.pb.js'
import { ErrorCode } from '../../src/wire/errors.js'
import { newEnvelope } from '../../src/wire/new-envelope.js'
import { DeliveryMode } from '../../src/wire/envelope.pb.js'
import { waitFor } from '../helpers.js'

const NAME = 'acme/replication/feed'

function entry (seq: number): Uint8Array<ArrayBuffer> {
  const env = newEnvelope({ source: 'acme/replication/pub/i1', destination: NAME, mode: DeliveryMode.MULTICAST, payload: new TextEncoder().encode(`m${seq}`) })
  env.seq = seq
  return Envelope.encode(env)
}

interface Wired {
  leader: MemoryStore
  replica: MemoryStore
  archive: ReplicaArchive
  replicator: Replicator
  commits: number[]
  fenced: Array<{ term: number, by: string }>
  caughtUp: string[]
  /** Holds the replica's answers while true. */
  hold: { on: boolean, held: ReplicaAck[], delivered: number }
}

function wire (term: number, opts: { catchingUp?: string[], replica?: MemoryStore, leader?: MemoryStore, newerTerms?: Array<{ term: number }> } = {}): Wired {
  const leader = opts.leader ?? new MemoryStore()
  const replica = opts.replica ?? new MemoryStore()
  const hold = { on: false, held: [] as ReplicaAck[], delivered: 0 }
  const commits: number[] = []
  const fenced: Array<{ term: number, by: string }> = []
  const caughtUp: string[] = []
  const archive = new ReplicaArchive({ store: replica, termOf: () => 0, onNewerTerm: (_n, t) => { opts.newerTerms?.push({ term: t }) } })
  const replicator: Replicator = new Replicator({
    name: NAME,
    term,
    replicas: ['r1'],
    ...(opts.catchingUp != null ? { catchingUp: opts.catchingUp } : {}),
    store: leader,
    clock: systemClock,
    retryMs: 100,
    send: (_to, r: Replicate) => {
      void archive.replicate('leader', r).then(ack => {
        if (hold.on) hold.held.push(ack)
        else { hold.delivered++; replicator.answered('r1', ack) }
      })
    },
    onCommit: (head) => { commits.push(head) },
    onFenced: (t, by) => { fenced.push({ term: t, by }) },
    onCaughtUp: (r) => { caughtUp.push(r) }
  })
  return { leader, replica, archive, replicator, commits, fenced, caughtUp, hold }
}

async function append (w: Wired, from: number, count: number): Promise<void> {
  const entries = Array.from({ length: count }, (_, i) => ({ seq: from + i, bytes: entry(from + i) }))
  await w.leader.append(NAME, entries)
  w.replicator.appended(from, entries.map(e => e.bytes), 0)
}

describe('replication between a sequencer and its replica', () => {
  it('acknowledges (commits) only what the replica holds, and the replica holds the same bytes at the same numbers', async () => {
    const w = wire(1)
    w.replicator.start(0, 0, 0)
    await waitFor(() => w.hold.delivered > 0, 'the probe answered')
    w.hold.on = true
    await append(w, 1, 3)
    await waitFor(() => w.hold.held.some(a => a.head === 3), 'the replica to hold 3')
    expect(w.commits).toEqual([]) // its answer has not come back: nothing is acknowledged
    w.hold.on = false
    for (const a of w.hold.held.splice(0)) w.replicator.answered('r1', a)
    expect(w.replicator.commit).toBe(3)
    expect((await w.replica.range(NAME, 1, 10)).map(m => m.bytes)).toEqual((await w.leader.range(NAME, 1, 10)).map(m => m.bytes))
    w.replicator.stop()
  })

  it('brings a replica that holds nothing up from the archive, then reports it caught up', async () => {
    const leader = new MemoryStore()
    await leader.append(NAME, Array.from({ length: 600 }, (_, i) => ({ seq: i + 1, bytes: entry(i + 1) })))
    const w = wire(2, { leader, catchingUp: ['r1'] })
    w.replicator.start(600, 0, 0)
    await waitFor(() => w.replicator.commit === 600, 'all 600 on the replica')
    expect(await w.replica.head(NAME)).toBe(600)
    expect(w.caughtUp).toEqual(['r1'])
    expect((await w.replica.getMeta(NAME))?.term).toBe(2)
    w.replicator.stop()
  })

  it('refuses a sequencer of an older term, which is fenced', async () => {
    const replica = new MemoryStore()
    await replica.putMeta(NAME, { sequencerSince: 0, epoch: 0, localFrom: 1, term: 5, committed: 0 })
    const w = wire(4, { replica })
    w.replicator.start(0, 0, 0)
    await waitFor(() => w.fenced.length > 0, 'the fence')
    expect(w.fenced[0]).toEqual({ term: 5, by: 'r1' })
    const ack = await w.archive.replicate('old', { name: NAME, term: 4, from: 1, entries: [entry(1)], commit: 0, first: 0, epoch: 0 })
    expect(ack).toMatchObject({ code: ErrorCode.STALE_TERM, term: 5, head: 0 })
    expect(await replica.head(NAME)).toBe(0)
    w.replicator.stop()
  })

  it('a newer term drops what the replica holds past the acknowledged point (an older sequencer\'s unacknowledged tail) and takes the new sequencer\'s', async () => {
    const replica = new MemoryStore()
    await replica.append(NAME, [1, 2, 3, 4, 5].map(seq => ({ seq, bytes: entry(seq) })), { sequencerSince: 0, epoch: 0, localFrom: 1, term: 1, committed: 3 })
    const newerTerms: Array<{ term: number }> = []
    const archive = new ReplicaArchive({ store: replica, termOf: () => 0, onNewerTerm: (_n, term) => { newerTerms.push({ term }) } })
    const fresh = entry(4)
    const ack = await archive.replicate('new-leader', { name: NAME, term: 2, from: 4, entries: [fresh], commit: 3, first: 0, epoch: 0 })
    expect(ack).toMatchObject({ code: 0, term: 2, head: 4 })
    expect((await replica.range(NAME, 4, 10)).map(m => m.bytes)).toEqual([fresh])
    expect(newerTerms).toEqual([{ term: 2 }])
    expect(await replica.getMeta(NAME)).toMatchObject({ term: 2, sequencer: 'new-leader', committed: 3 })
  })

  it('answers a page past a gap with its own head, so the sequencer sends from there', async () => {
    const replica = new MemoryStore()
    const archive = new ReplicaArchive({ store: replica, termOf: () => 0, onNewerTerm: () => {} })
    const ack = await archive.replicate('leader', { name: NAME, term: 1, from: 5, entries: [entry(5)], commit: 0, first: 0, epoch: 0 })
    expect(ack).toMatchObject({ code: 0, head: 0 })
    expect(await replica.head(NAME)).toBe(0)
  })
})
