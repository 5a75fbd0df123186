/**
 * The ordered streams of one relay, on their own: a fake relay around them (a memory
 * store, a forwarding table that names each sequencer, a manual clock, fetches answered
 * from fake sequencers' archives) and fake agent ports that record what they get.
 */
import { describe, it, expect } from 'vitest'
import { OrderedStreams } from '../../src/relay/ordered-streams.js'
import type { SequencerLookup } from '../../src/relay/ordered-streams.js'
import type { LocalSub, MulticastHost } from '../../src/relay/multicast-host.js'
import type { SequencerActor } from '../../src/relay/sequencer.actor.js'
import type { Clock } from '../../src/relay/clock.js'
import { ForwardingTable } from '../../src/relay/forwarding-table.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { DEFAULT_RELAY_CONFIG } from '../../src/relay/types.js'
import type { AgentPort } from '../../src/relay/types.js'
import { DeliveryMode, MessageType } from '../../src/wire/envelope.pb.js'
import type { Envelope, FetchReply } from '../../src/wire/envelope.pb.js'
import { ErrorCode } from '../../src/wire/errors.js'
import { silentLogger } from '../../src/logger.js'

const NAME = 'acme/ordered/news'
const SELF = 'relay-self'
const GAP_WAIT = DEFAULT_RELAY_CONFIG.gapWaitMs
const TAIL_CHECK = DEFAULT_RELAY_CONFIG.tailCheckMs

/** Time that moves only when a test says so. */
class ManualClock implements Clock {
  private t = 0
  private nextId = 1
  private readonly timers = new Map<number, { at: number, fn: () => void }>()
  now (): number { return this.t }
  setTimeout (fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.t + ms, fn })
    return id
  }

  clearTimeout (handle: unknown): void { this.timers.delete(handle as number) }
  /** Runs every timer due within `ms`, in time order, then stands at the end. */
  advance (ms: number): void {
    const end = this.t + ms
    for (;;) {
      let due: [number, { at: number, fn: () => void }] | undefined
      for (const entry of this.timers) if (entry[1].at <= end && (due == null || entry[1].at < due[1].at)) due = entry
      if (due == null) break
      this.timers.delete(due[0])
      this.t = due[1].at
      due[1].fn()
    }
    this.t = end
  }
}

/** Message `seq`; its payload says which relay's numbering it is from (`tag`). */
function env (seq: number, tag = 0): Envelope {
  return {
    type: MessageType.MSG, channelId: '', messageId: new Uint8Array([seq & 255, seq >> 8, tag]), payload: new Uint8Array([tag]), metadata: new Map(),
    source: 'acme/ordered/pub', destination: NAME, seq, epoch: 0, hopLimit: 0, mode: DeliveryMode.MULTICAST, correlationId: new Uint8Array(0), expectsReply: false, noAck: false
  }
}

function range (from: number, to: number): number[] { return Array.from({ length: to - from + 1 }, (_, i) => from + i) }

interface FakePort extends AgentPort {
  got: number[]
  /** The tag of each message got, in the same order. */
  tags: number[]
  /** Backs the port up, or lets it drain (waking whoever waits on it). */
  setBacklogged: (on: boolean) => void
}

function fakePort (): FakePort {
  let backed = false
  let waiters: Array<() => void> = []
  const p: FakePort = {
    got: [],
    tags: [],
    deliver: (e) => { p.got.push(e.seq); p.tags.push(e.payload[0] ?? -1) },
    ack: () => {},
    backlogged: () => backed,
    whenWritable: async () => { if (backed) await new Promise<void>(resolve => { waiters.push(resolve) }) },
    setBacklogged: (on) => {
      backed = on
      if (!on) { const w = waiters; waiters = []; for (const f of w) f() }
    }
  }
  return p
}

interface Fetch { relay: string, fromSeq: number, limit: number }

interface Harness {
  streams: OrderedStreams
  clock: ManualClock
  store: MemoryStore
  table: ForwardingTable
  /** Each fake sequencer's archive: what it has numbered, by relay. */
  archives: Map<string, number>
  fetches: Fetch[]
  /** The fetches answered so far. */
  answered: Fetch[]
  /** While set, fetches of messages (not of heads) wait for it. */
  gate: Promise<void> | undefined
  /** The same, for one relay only. */
  gates: Map<string, Promise<void>>
  /** The tag each relay's archive puts on its messages (default 0). */
  tags: Map<string, number>
  /** Called at each fetch, before it is answered. */
  onFetch: (f: Fetch) => void
  topics: Array<[string, boolean]>
  sub: (fromSeq?: number) => Promise<{ port: FakePort, sub: LocalSub, first: number }>
}

/** Fetches of messages (a gap fill, a replay from the sequencer), not head requests. */
function rangeFetches (h: Harness): Fetch[] { return h.fetches.filter(f => f.limit > 0) }

function harness (sequencer = 'relay-seq', head = 0): Harness {
  const clock = new ManualClock()
  const store = new MemoryStore()
  const table = new ForwardingTable(SELF)
  table.remember(NAME, sequencer, 1)
  const h = { clock, store, table, archives: new Map([[sequencer, head]]), fetches: [], answered: [], gate: undefined, gates: new Map(), tags: new Map(), onFetch: () => {}, topics: [] } as unknown as Harness
  const fetch = async (relay: string, name: string, fromSeq: number, limit: number): Promise<FetchReply> => {
    h.fetches.push({ relay, fromSeq, limit })
    h.onFetch({ relay, fromSeq, limit })
    if (limit > 0 && h.gate != null) await h.gate
    if (limit > 0) await h.gates.get(relay)
    h.answered.push({ relay, fromSeq, limit })
    const top = h.archives.get(relay)
    if (top == null) return { requestId: 0, name, head: 0, messages: [], code: ErrorCode.NO_ROUTE, reason: `${relay} does not sequence ${name}`, first: 0 }
    const last = Math.min(top, fromSeq + limit - 1)
    return { requestId: 0, name, head: top, messages: limit === 0 ? [] : range(Math.max(1, fromSeq), last).map(seq => env(seq, h.tags.get(relay))), code: 0, reason: '', first: 1 }
  }
  const host: MulticastHost = {
    self: SELF,
    store,
    clock,
    table,
    io: { sendAnnouncement: () => {}, sendRouted: () => {}, publish: () => {}, setTopic: (name, on) => { h.topics.push([name, on]) }, addrs: () => [] },
    config: DEFAULT_RELAY_CONFIG,
    fetch,
    ackOrigin: () => {},
    forward: () => {},
    writable: async (port) => { await port.whenWritable() },
    routesChanged: () => {},
    sendTo: () => {},
    log: silentLogger
  }
  const lookup: SequencerLookup = {
    sequencerOrClaim: (name) => table.sequencerOf(name)?.relay ?? SELF,
    // This relay's own sequencer, with nothing durable yet.
    start: async () => ({ durableHead: 0 }) as unknown as SequencerActor,
    get: () => undefined,
    has: () => false,
    retireIfIdle: () => false
  }
  h.streams = new OrderedStreams(host, lookup)
  let agents = 0
  h.sub = async (fromSeq) => {
    const port = fakePort()
    const sub: LocalSub = { agent: `acme/ordered/a${agents++}`, name: NAME, nextSeq: 0, replaying: false, closed: false, port: () => port }
    const first = await h.streams.subscribe(sub, fromSeq)
    return { port, sub, first }
  }
  return h
}

/** Lets pending promises (fetches, store reads) run until `cond` holds. */
async function eventually (cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return
    await new Promise<void>(resolve => { setImmediate(resolve) })
  }
  throw new Error(`never happened: ${what}`)
}

describe('OrderedStreams', () => {
  it('delivers out-of-order gossip in order, once, and archives it', async () => {
    const h = harness()
    const { port, first } = await h.sub()
    expect(first).toBe(1)
    expect(h.topics).toEqual([[NAME, true]])
    h.streams.onGossip('relay-seq', NAME, [env(3), env(1)])
    expect(port.got).toEqual([1])
    h.streams.onGossip('relay-seq', NAME, [env(2), env(1), env(3)])
    expect(port.got).toEqual([1, 2, 3])
    await eventually(async () => await h.store.head(NAME) === 3, 'archived up to 3')
    expect(rangeFetches(h)).toEqual([])
  })

  it('fetches a gap from the sequencer after gapWaitMs, not before', async () => {
    const h = harness('relay-seq', 4)
    const { port } = await h.sub()
    expect(port.got).toEqual([])
    // Subscribed at the head (4): the sequencer moves on to 8, and 5 and 6 are lost.
    h.archives.set('relay-seq', 8)
    h.streams.onGossip('relay-seq', NAME, [env(7), env(8)])
    expect(h.streams.state(NAME)).toBe('gapWait')
    h.clock.advance(GAP_WAIT - 1)
    expect(rangeFetches(h)).toEqual([])
    h.clock.advance(1)
    await eventually(() => port.got.length === 4, 'the gap filled')
    expect(port.got).toEqual([5, 6, 7, 8])
    expect(rangeFetches(h)).toEqual([{ relay: 'relay-seq', fromSeq: 5, limit: 256 }])
  })

  it('does not fetch a gap that gossip fills within gapWaitMs', async () => {
    const h = harness()
    const { port } = await h.sub()
    h.streams.onGossip('relay-seq', NAME, [env(1), env(3)])
    h.clock.advance(GAP_WAIT / 2)
    h.streams.onGossip('relay-seq', NAME, [env(2)])
    expect(h.streams.state(NAME)).toBe('flowing') // the wait for the gap is over
    h.clock.advance(GAP_WAIT * 2)
    expect(port.got).toEqual([1, 2, 3])
    expect(rangeFetches(h)).toEqual([])
  })

  it('checks the tail once gossip has been quiet for tailCheckMs, and fetches a lost last message', async () => {
    const h = harness()
    const { port } = await h.sub()
    h.archives.set('relay-seq', 3)
    h.streams.onGossip('relay-seq', NAME, [env(1), env(2)]) // 3 is lost, and nothing follows it
    h.clock.advance(TAIL_CHECK - 1)
    expect(h.fetches).toHaveLength(1) // the head, when the stream opened
    h.clock.advance(1)
    await eventually(() => port.got.length === 3, 'the tail fetched')
    expect(port.got).toEqual([1, 2, 3])
    expect(h.fetches.map(f => [f.fromSeq, f.limit])).toEqual([[0, 0], [0, 0], [3, 256]])
  })

  it('a tail check that gets no answer is asked again, so a lost last message still arrives', async () => {
    const h = harness()
    const { port } = await h.sub()
    h.archives.set('relay-seq', 3)
    let failHeads = 1
    const real = h.archives
    h.onFetch = (f) => {
      // The first head check after the traffic finds no sequencer (a timeout, a route not there yet).
      if (f.limit === 0 && h.fetches.length > 1 && failHeads > 0) { failHeads--; h.archives = new Map() } else h.archives = real
    }
    h.streams.onGossip('relay-seq', NAME, [env(1), env(2)]) // 3 is lost, and nothing follows it
    h.clock.advance(TAIL_CHECK)
    await eventually(() => h.fetches.length === 2, 'the first tail check')
    await eventually(() => true, 'its answer')
    h.archives = real
    expect(port.got).toEqual([1, 2])
    h.clock.advance(TAIL_CHECK)
    await eventually(() => port.got.length === 3, 'the tail fetched after the check was asked again')
    expect(port.got).toEqual([1, 2, 3])
    expect(h.fetches.map(f => [f.fromSeq, f.limit])).toEqual([[0, 0], [0, 0], [0, 0], [3, 256]])
  })

  it('asks for the head only once gossip has gone quiet, not while it flows', async () => {
    const h = harness()
    const { port } = await h.sub()
    for (let seq = 1; seq <= 10; seq++) {
      h.archives.set('relay-seq', seq)
      h.streams.onGossip('relay-seq', NAME, [env(seq)])
      h.clock.advance(100)
    }
    expect(h.fetches).toHaveLength(1) // the head, when the stream opened
    // Quiet since 900: the sample at 1000 still saw traffic, the one at 1250 sees none.
    h.clock.advance(249)
    expect(h.fetches).toHaveLength(1)
    h.clock.advance(1)
    await eventually(() => h.fetches.length === 2, 'the tail check')
    h.clock.advance(TAIL_CHECK * 4)
    expect(h.fetches.map(f => [f.fromSeq, f.limit])).toEqual([[0, 0], [0, 0]])
    expect(port.got).toEqual(range(1, 10))
  })

  it('replays from fromSeq, then hands over to live delivery with no duplicate and no gap', async () => {
    const h = harness('relay-seq', 5)
    let open!: () => void
    h.gate = new Promise<void>(resolve => { open = resolve })
    const { port, first } = await h.sub(2)
    expect(first).toBe(2)
    await eventually(() => rangeFetches(h).length === 1, 'the replay asks the sequencer')
    // Live traffic goes on while the replay's fetch is out.
    h.archives.set('relay-seq', 7)
    h.streams.onGossip('relay-seq', NAME, [env(6), env(7)])
    expect(port.got).toEqual([])
    open()
    await eventually(() => port.got.length === 6, 'the replay reached the head')
    h.streams.onGossip('relay-seq', NAME, [env(8)])
    expect(port.got).toEqual(range(2, 8))
    expect(rangeFetches(h)).toEqual([{ relay: 'relay-seq', fromSeq: 2, limit: 4 }])
  })

  it('a replay whose fetch from the sequencer fails is tried again, with no traffic to wake it', async () => {
    const h = harness('relay-seq', 5)
    let failures = 0
    h.onFetch = (f) => { if (f.limit > 0 && failures++ === 0) throw new Error('test: the fetch timed out') }
    const { port } = await h.sub(1)
    await eventually(() => failures === 1, 'the first replay fetch failed')
    expect(port.got).toEqual([])
    // Nothing is published after it: only the retry can move the subscriber.
    h.clock.advance(250)
    await eventually(() => port.got.length === 5, 'the replay retried and reached the head')
    expect(port.got).toEqual(range(1, 5))
    expect(rangeFetches(h).map(f => f.fromSeq)).toEqual([1, 1])
  })

  it('a backlogged port falls behind and catches up by replay, then gets live delivery again', async () => {
    const h = harness()
    const { port } = await h.sub()
    h.streams.onGossip('relay-seq', NAME, [env(1)])
    port.setBacklogged(true)
    h.streams.onGossip('relay-seq', NAME, [env(2), env(3)])
    expect(port.got).toEqual([1])
    port.setBacklogged(false)
    await eventually(() => port.got.length === 3, 'the replay caught up')
    h.streams.onGossip('relay-seq', NAME, [env(4)])
    expect(port.got).toEqual([1, 2, 3, 4])
    expect(rangeFetches(h)).toEqual([]) // replayed from what the relay holds
  })

  it('drops gossip from a relay that is not the name\'s sequencer', async () => {
    const h = harness()
    const { port } = await h.sub()
    h.streams.onGossip('relay-intruder', NAME, [env(1), env(2)])
    expect(port.got).toEqual([])
    h.streams.onGossip('relay-seq', NAME, [env(1)])
    expect(port.got).toEqual([1])
  })

  it('follows a new sequencer: fills from it and takes its gossip, not the old one\'s', async () => {
    const h = harness('relay-a', 2)
    const { port } = await h.sub(1)
    await eventually(() => port.got.length === 2, 'the replay of 1..2')
    h.archives.set('relay-b', 4)
    h.table.remember(NAME, 'relay-b', 2)
    h.streams.checkClaims()
    await eventually(() => port.got.length === 4, 'filled from relay-b')
    h.streams.onGossip('relay-a', NAME, [env(5)])
    h.streams.onGossip('relay-b', NAME, [env(6), env(5)])
    expect(port.got).toEqual(range(1, 6))
    expect(h.fetches.filter(f => f.relay === 'relay-b').map(f => [f.fromSeq, f.limit])).toEqual([[0, 0], [3, 256]])
  })

  it('a claim change while the stream loads is followed as soon as it has loaded', async () => {
    const h = harness('relay-a', 0)
    h.archives.set('relay-b', 2)
    h.onFetch = () => { h.table.remember(NAME, 'relay-b', 2) } // settles during the first request
    const { port } = await h.sub()
    await eventually(() => port.got.length === 2, 'filled from relay-b')
    h.streams.onGossip('relay-a', NAME, [env(3)])
    h.streams.onGossip('relay-b', NAME, [env(3)])
    expect(port.got).toEqual([1, 2, 3])
    expect(h.fetches.map(f => [f.relay, f.fromSeq, f.limit])).toEqual([['relay-a', 0, 0], ['relay-b', 0, 0], ['relay-b', 1, 256]])
  })

  it('what a fill from the old sequencer brings after a claim change is dropped, not delivered', async () => {
    const h = harness('relay-a', 2)
    h.tags.set('relay-a', 1).set('relay-b', 2)
    const { port } = await h.sub()
    let openA!: () => void
    let openB!: () => void
    h.gates.set('relay-a', new Promise<void>(resolve => { openA = resolve }))
    h.gates.set('relay-b', new Promise<void>(resolve => { openB = resolve }))
    h.archives.set('relay-a', 5)
    h.streams.onGossip('relay-a', NAME, [env(5, 1)])
    h.clock.advance(GAP_WAIT)
    await eventually(() => rangeFetches(h).length === 1, 'a fill from relay-a')
    h.archives.set('relay-b', 5)
    h.table.remember(NAME, 'relay-b', 2)
    h.streams.checkClaims()
    await eventually(() => rangeFetches(h).length === 2, 'a fill from relay-b')
    openA()
    await eventually(() => h.answered.some(f => f.relay === 'relay-a' && f.limit > 0), 'relay-a answered')
    openB()
    await eventually(() => port.got.length === 3, 'filled from relay-b')
    expect(port.got).toEqual([3, 4, 5])
    // 3 and 4 by relay-b's numbering; 5 is the one relay-a's gossip brought before the change.
    expect(port.tags).toEqual([2, 2, 1])
  })

  it('when this relay loses its claim, its numbering is void: subscribers start over from the winner\'s first message', async () => {
    const h = harness(SELF)
    const { port } = await h.sub()
    h.streams.onSequenced(NAME, [env(1), env(2)])
    expect(port.got).toEqual([1, 2])
    h.archives.set('relay-winner', 3)
    h.table.remember(NAME, 'relay-winner', 1)
    h.streams.checkClaims()
    await eventually(() => port.got.length === 5, 'the winner\'s messages')
    expect(port.got).toEqual([1, 2, 1, 2, 3])
  })

  it('a subscription fails while the sequencer does not answer, and succeeds once it does', async () => {
    const h = harness('relay-gone')
    h.archives.delete('relay-gone')
    await expect(h.sub()).rejects.toMatchObject({ name: 'UnavailableError' })
    h.archives.set('relay-gone', 0)
    const { first } = await h.sub()
    expect(first).toBe(1)
  })

  it('released, a stream stops: no gossip delivered, no fetches, its topic left', async () => {
    const h = harness()
    const { port, sub } = await h.sub()
    h.streams.onGossip('relay-seq', NAME, [env(1), env(3)])
    h.streams.unsubscribe(sub)
    h.streams.release(NAME)
    expect(h.streams.names()).toEqual([])
    expect(h.topics).toEqual([[NAME, true], [NAME, false]])
    h.clock.advance(TAIL_CHECK * 4)
    h.streams.onGossip('relay-seq', NAME, [env(2)])
    await eventually(async () => await h.store.head(NAME) === 1, 'the archive write')
    expect(port.got).toEqual([1])
    expect(rangeFetches(h)).toEqual([])
  })
})
