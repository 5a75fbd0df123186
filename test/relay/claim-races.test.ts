/**
 * The sequencer claim protocol's races, with real `RelayCore`s on a fake in-memory
 * `RelayIO` and simulated time (./fake-mesh.ts): claims made at once, claims made on
 * both sides of a partition, and a claim lost while a submission is being sequenced.
 * Whatever happens, every relay ends with one sequencer, and every message that was
 * acknowledged is in the winner's archive exactly once.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { FakeMesh, texts } from './fake-mesh.js'
import type { FakeMesh as Mesh } from './fake-mesh.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { AppendEntry, ChannelMeta } from '../../src/store/store.js'
import type { Clock } from '../../src/relay/clock.js'

const SETTLE = 500
const NAME = 'acme/race/room'
let mesh: Mesh | undefined
afterEach(async () => { await mesh?.stop(); mesh = undefined })

/** relay-a, relay-b and relay-c linked in a line, `middle` in the middle, routes settled. */
async function lineOfThree (middle: string): Promise<Mesh> {
  const m = new FakeMesh(['relay-a', 'relay-b', 'relay-c'], { config: { claimSettleMs: SETTLE } })
  await m.start()
  const [first, last] = ['relay-a', 'relay-b', 'relay-c'].filter(r => r !== middle)
  m.link(first as string, middle)
  m.link(middle, last as string)
  await m.run(50)
  return m
}

function oneSequencer (m: Mesh): string | undefined {
  const seen = new Set([...m.relays.values()].map(r => r.core.table.sequencerOf(NAME)?.relay))
  return seen.size === 1 ? [...seen][0] : undefined
}

/** Every acknowledged text is in the archive once, at the sequence number its ack gave. */
async function expectAckedOnceAt (m: Mesh, winner: string, acked: Map<string, { seq: number, code: number }>): Promise<void> {
  const archive = await m.archive(winner, NAME)
  const seqs = archive.map(a => a.seq)
  expect(seqs).toEqual(seqs.map((_, i) => i + 1)) // 1..n, no hole
  const all = archive.map(a => a.text)
  expect(new Set(all).size).toBe(all.length) // none twice
  for (const [text, a] of acked) {
    expect(a.code, `ack of ${text}`).toBe(0)
    expect(all, `${text} in the winner's archive`).toContain(text)
  }
}

describe('claims made at once', () => {
  it('three relays use a fresh name in the same instant (a subscribe and two publishes): one sequencer everywhere, every publish acknowledged once, the subscriber gets each once in order', async () => {
    mesh = await lineOfThree('relay-b')
    const onA = mesh.agent('relay-a', 'acme/race/alice/a1')
    const onB = mesh.agent('relay-b', 'acme/race/bob/b1')
    const onC = mesh.agent('relay-c', 'acme/race/carol/c1')
    // All three claim NAME in this instant, with the same claim time: the lowest id wins.
    const subscribed = onC.relay.core.subscribe(onC.name as never, NAME)
    for (let i = 0; i < 3; i++) { mesh.publish(onA, NAME, `a${i}`); mesh.publish(onB, NAME, `b${i}`) }
    await mesh.run(10)
    // Settling: nothing is acknowledged while the claims could still be contested.
    expect(onA.acks).toEqual([])
    expect(onB.acks).toEqual([])
    await mesh.run(SETTLE + 200)
    await subscribed
    const winner = oneSequencer(mesh)
    expect(winner).toBe('relay-a')
    for (let i = 3; i < 5; i++) { mesh.publish(onA, NAME, `a${i}`); mesh.publish(onB, NAME, `b${i}`) }
    await mesh.run(200)
    const acked = new Map([...mesh.answers(onA), ...mesh.answers(onB)])
    expect([...acked.keys()].sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4'])
    await expectAckedOnceAt(mesh, 'relay-a', acked)
    expect(await mesh.archive('relay-a', NAME)).toHaveLength(10)
    // The losers hold no archive of their own numbering, and sequence nothing.
    expect(await mesh.archive('relay-b', NAME)).toEqual([])
    expect(mesh.relay('relay-b').core.multicast.sequencer(NAME)).toBeUndefined()
    expect(mesh.relay('relay-c').core.multicast.sequencer(NAME)).toBeUndefined()
    // The subscriber: every message sequenced after it subscribed, once, in order.
    const got = onC.delivered.map(e => e.seq)
    expect(got).toEqual([...got].sort((x, y) => x - y))
    expect(new Set(got).size).toBe(got.length)
    expect(texts(onC.delivered)).toEqual(expect.arrayContaining(['a3', 'a4', 'b3', 'b4']))
  })
})

describe('claims from both sides of a partition', () => {
  it('each side sequences and acknowledges the name; once healed, the later claim hands its messages to the earlier, exactly once, and drops its archive', async () => {
    mesh = await lineOfThree('relay-c')
    mesh.cut('relay-a', 'relay-c') // {a} | {c, b}
    const onA = mesh.agent('relay-a', 'acme/race/alice/a1')
    const onB = mesh.agent('relay-b', 'acme/race/bob/b1')
    const reader = mesh.agent('relay-c', 'acme/race/carol/c1')
    // relay-b claims first but cannot be seen from relay-a, which claims later on its side.
    for (let i = 0; i < 3; i++) mesh.publish(onB, NAME, `b${i}`)
    await mesh.run(100)
    for (let i = 0; i < 3; i++) mesh.publish(onA, NAME, `a${i}`)
    await mesh.run(SETTLE + 100)
    await mesh.until(reader.relay.core.subscribe(reader.name as never, NAME, 1))
    await mesh.run(100)
    // Both sides numbered the name on their own: 1, 2, 3 each.
    expect([...mesh.answers(onA).values()].map(a => a.seq)).toEqual([1, 2, 3])
    expect([...mesh.answers(onB).values()].map(a => a.seq)).toEqual([1, 2, 3])
    expect(await mesh.archive('relay-a', NAME)).toHaveLength(3)
    expect(texts(reader.delivered)).toEqual(['b0', 'b1', 'b2'])

    mesh.link('relay-a', 'relay-c')
    await mesh.run(2000)
    // The earlier claim (relay-b's) wins everywhere; relay-a handed its messages over.
    expect(oneSequencer(mesh)).toBe('relay-b')
    const archive = await mesh.archive('relay-b', NAME)
    expect(archive.map(a => a.text)).toEqual(['b0', 'b1', 'b2', 'a0', 'a1', 'a2'])
    await expectAckedOnceAt(mesh, 'relay-b', new Map([...mesh.answers(onA), ...mesh.answers(onB)]))
    // The stale archive is gone, and the loser no longer sequences.
    expect(await mesh.archive('relay-a', NAME)).toEqual([])
    expect(await mesh.relay('relay-a').store.getMeta(NAME)).toBeUndefined()
    expect(mesh.relay('relay-a').core.multicast.sequencer(NAME)).toBeUndefined()
    // A reader on the winner's side gets the handed-over messages once, in order, after its own.
    expect(reader.delivered.map(e => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
    expect(texts(reader.delivered)).toEqual(['b0', 'b1', 'b2', 'a0', 'a1', 'a2'])
    // A publish after the heal goes to the winner and is numbered after the handover.
    mesh.publish(onA, NAME, 'a3')
    await mesh.run(100)
    expect(mesh.answers(onA).get('a3')).toEqual({ seq: 7, code: 0 })
  })

  it('a handover to a winner that cannot be reached yet waits, keeps the stale archive, and completes when the winner is back', async () => {
    mesh = new FakeMesh(['relay-a', 'relay-b'], { config: { claimSettleMs: SETTLE, resendAfterMs: 200, sequencerWaitMs: 1000 } })
    await mesh.start()
    const onA = mesh.agent('relay-a', 'acme/race/alice/a1')
    const onB = mesh.agent('relay-b', 'acme/race/bob/b1')
    mesh.publish(onB, NAME, 'b0')
    await mesh.run(100)
    mesh.publish(onA, NAME, 'a0')
    await mesh.run(SETTLE + 100)
    mesh.link('relay-a', 'relay-b')
    await mesh.run(3) // relay-b's claim is heard: relay-a has lost, and hands over...
    mesh.cut('relay-a', 'relay-b') // ...but the link goes before the winner answers.
    await mesh.run(3000)
    expect(mesh.relay('relay-a').core.multicast.sequencer(NAME)).toBeUndefined()
    expect((await mesh.archive('relay-a', NAME)).map(a => a.text)).toEqual(['a0'])
    expect((await mesh.archive('relay-b', NAME)).map(a => a.text)).toEqual(['b0'])
    mesh.link('relay-a', 'relay-b')
    await mesh.run(3000)
    expect((await mesh.archive('relay-b', NAME)).map(a => a.text)).toEqual(['b0', 'a0'])
    expect(await mesh.archive('relay-a', NAME)).toEqual([])
  })
})

/** A store whose writes take `ms` of simulated time, so a submission can be caught mid-write. */
class SlowStore extends MemoryStore {
  constructor (private readonly clock: Clock, private readonly ms: number) { super() }
  override async append (name: string, entries: AppendEntry[], meta?: ChannelMeta): Promise<void> {
    await new Promise<void>(resolve => { this.clock.setTimeout(resolve, this.ms) })
    await super.append(name, entries, meta)
  }
}

describe('a claim lost while a submission is in flight', () => {
  it('a message being written under the losing claim is acknowledged, then handed to the winner; one published after the loss goes to the winner', async () => {
    mesh = new FakeMesh(['relay-a', 'relay-b'], { config: { claimSettleMs: SETTLE }, store: (id, clock) => id === 'relay-a' ? new SlowStore(clock, 20) : new MemoryStore() })
    await mesh.start()
    const onA = mesh.agent('relay-a', 'acme/race/alice/a1')
    const onB = mesh.agent('relay-b', 'acme/race/bob/b1')
    mesh.publish(onB, NAME, 'b0')
    await mesh.run(100)
    mesh.publish(onA, NAME, 'a0')
    await mesh.run(SETTLE + 100)
    expect(mesh.answers(onA).get('a0')).toEqual({ seq: 1, code: 0 })
    mesh.link('relay-a', 'relay-b')
    // relay-a sequences a1 just before relay-b's claim reaches it: a1's write is in flight.
    mesh.publish(onA, NAME, 'a1')
    await mesh.run(1)
    expect(mesh.answers(onA).has('a1')).toBe(false)
    await mesh.run(4) // the claims cross; relay-a has lost, a1 still being written
    expect(mesh.relay('relay-a').core.table.sequencerOf(NAME)?.relay).toBe('relay-b')
    mesh.publish(onA, NAME, 'a2')
    await mesh.run(1000)
    expect(mesh.answers(onA).get('a1')).toEqual({ seq: 2, code: 0 }) // acknowledged under the lost claim...
    const archive = (await mesh.archive('relay-b', NAME)).map(a => a.text)
    // ...and in the winner's archive once, like everything else acknowledged.
    expect([...archive].sort()).toEqual(['a0', 'a1', 'a2', 'b0'])
    await expectAckedOnceAt(mesh, 'relay-b', new Map([...mesh.answers(onA), ...mesh.answers(onB)]))
    expect(await mesh.archive('relay-a', NAME)).toEqual([])
  })
})
