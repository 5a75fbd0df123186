/** The history checker finds each kind of anomaly on a crafted history, and none on a clean one. */
import { describe, it, expect } from 'vitest'
import { HistoryRecorder, checkHistory, isClean } from './history.js'

const N = 'acme/fault/h'

/** Two subscribers from seq 1; a publishes p1..p3 acked at 1..3. */
function base (): HistoryRecorder {
  const h = new HistoryRecorder()
  h.subscribe(N, 's1')
  h.subscribe(N, 's2')
  for (let i = 1; i <= 3; i++) h.ok(h.invoke(N, 'a', `p${i}`), i)
  return h
}
function deliverAll (h: HistoryRecorder, subscriber: string, seqs = [1, 2, 3]): void {
  for (const s of seqs) h.deliver(N, subscriber, `p${s}`, s)
}

describe('checkHistory', () => {
  it('passes a clean history, with failed and unknown publishes delivered or not', () => {
    const h = base()
    h.fail(h.invoke(N, 'b', 'f1'), 'UnavailableError: no sequencer')
    h.unknown(h.invoke(N, 'b', 'u1'), 'TimeoutError')
    h.invoke(N, 'b', 'pending')
    deliverAll(h, 's1')
    deliverAll(h, 's2')
    // The unknown one was sequenced after all: seen by one subscriber, in order.
    h.deliver(N, 's1', 'u1', 4)
    const a = checkHistory(h)
    expect(a).toEqual({ lost: [], duplicated: [], reordered: [], unexpected: [] })
    expect(isClean(a)).toBe(true)
  })

  it('finds an acknowledged message missing at one subscriber as lost', () => {
    const h = base()
    deliverAll(h, 's1')
    deliverAll(h, 's2', [1, 3])
    expect(checkHistory(h).lost).toEqual([{ name: N, subscriber: 's2', payload: 'p2', seq: 2 }])
  })

  it('does not count as lost what came before the seq a subscriber reads from', () => {
    const h = base()
    h.subscribe(N, 'late', 3)
    deliverAll(h, 's1')
    deliverAll(h, 's2')
    h.deliver(N, 'late', 'p3', 3)
    expect(isClean(checkHistory(h))).toBe(true)
  })

  it('finds a message delivered twice to one subscriber as duplicated', () => {
    const h = base()
    deliverAll(h, 's1', [1, 2, 2, 3])
    deliverAll(h, 's2')
    const a = checkHistory(h)
    expect(a.duplicated).toEqual([{ name: N, subscriber: 's1', payload: 'p2', count: 2 }])
    expect(a.lost).toEqual([])
  })

  it('finds seqs that go backwards at a subscriber as reordered', () => {
    const h = base()
    deliverAll(h, 's1', [1, 3, 2])
    deliverAll(h, 's2')
    const a = checkHistory(h)
    expect(a.reordered).toEqual([{ name: N, subscriber: 's1', seq: 2, detail: 'seq 2 (p2) after seq 3' }])
    expect(a.lost).toEqual([])
    expect(a.duplicated).toEqual([])
  })

  it('finds two subscribers seeing different payloads at one seq as reordered', () => {
    const h = new HistoryRecorder()
    h.subscribe(N, 's1')
    h.subscribe(N, 's2')
    h.unknown(h.invoke(N, 'a', 'x'))
    h.unknown(h.invoke(N, 'b', 'y'))
    h.deliver(N, 's1', 'x', 1)
    h.deliver(N, 's2', 'y', 1)
    const a = checkHistory(h)
    expect(a.reordered).toHaveLength(1)
    expect(a.reordered[0]).toMatchObject({ name: N, subscriber: 's2', seq: 1 })
  })

  it('finds a payload delivered at another seq than it was acknowledged with as reordered', () => {
    const h = base()
    deliverAll(h, 's1')
    h.deliver(N, 's2', 'p1', 1)
    h.deliver(N, 's2', 'p3', 2)
    h.deliver(N, 's2', 'p2', 3)
    const a = checkHistory(h)
    expect(a.reordered.map(r => r.subscriber)).toEqual(['s2', 's2', 's2', 's2'])
    expect(a.reordered.some(r => r.detail === 'p3 delivered at seq 2, acknowledged at seq 3')).toBe(true)
  })

  it('finds two acknowledgements with one seq as reordered', () => {
    const h = new HistoryRecorder()
    h.ok(h.invoke(N, 'a', 'x'), 1)
    h.ok(h.invoke(N, 'b', 'y'), 1)
    expect(checkHistory(h).reordered).toEqual([{ name: N, seq: 1, detail: 'the ack to b has y at seq 1, the ack to a has x' }])
  })

  it('finds a delivery that was never published as unexpected', () => {
    const h = base()
    deliverAll(h, 's1')
    deliverAll(h, 's2')
    h.deliver(N, 's2', 'ghost', 4)
    h.deliver('acme/fault/other', 's1', 'p1', 1)
    expect(checkHistory(h).unexpected).toEqual([
      { name: N, subscriber: 's2', payload: 'ghost', seq: 4 },
      { name: 'acme/fault/other', subscriber: 's1', payload: 'p1', seq: 1 }
    ])
  })

  it('records a publish by how it ended: ok with its seq, a timeout as unknown, a refusal as fail', async () => {
    const h = new HistoryRecorder()
    const timeout = Object.assign(new Error('no answer'), { name: 'TimeoutError' })
    const refused = Object.assign(new Error('no sequencer'), { name: 'UnavailableError' })
    await h.publish(N, 'a', 'p1', async () => ({ seq: 1 }))
    await h.publish(N, 'a', 'p2', async () => { throw timeout })
    await h.publish(N, 'a', 'p3', async () => { throw refused })
    expect(h.publishes.map(p => [p.status, p.seq ?? p.error])).toEqual([
      ['ok', 1], ['unknown', 'TimeoutError: no answer'], ['fail', 'UnavailableError: no sequencer']
    ])
  })
})
