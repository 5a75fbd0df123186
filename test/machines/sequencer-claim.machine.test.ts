import { describe, it, expect } from 'vitest'
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { sequencerClaimMachine } from '../../src/machines/sequencer-claim.machine.js'
import type { HandedOver, Submission } from '../../src/machines/sequencer-claim.machine.js'
import { newEnvelope } from '../../src/wire/new-envelope.js'
import { ErrorCode } from '../../src/wire/errors.js'
import type { Envelope } from '../../src/wire/envelope.pb.js'

const SETTLE = 500
const RETRY = 20_000
/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }

function env (id: number, fields: Partial<Envelope> = {}): Envelope {
  return newEnvelope({ messageId: new Uint8Array([id]), destination: 'acme/chat/room', source: 'acme/chat/alice/a1', ...fields })
}
function sub (id: number): Submission { return { envelope: env(id), origin: { relay: 'relayC', agent: `acme/chat/agent${id}/i` } } }
function stale (id: number, answered = true): HandedOver { return { key: `k${id}`, envelope: env(id, { seq: id }), answered } }

interface Harness {
  actor: ReturnType<typeof createActor<typeof sequencerClaimMachine>>
  clock: SimulatedClock
  /** Message ids, in the order each effect got them. */
  sequenced: number[]
  forwarded: Array<{ winner: string, id: number, origin: string }>
  resubmitted: Array<{ winner: string, key: string }>
  stops: number
  dropped: number
}

function start (opts: { archive?: HandedOver[], pageSize?: number } = {}): Harness {
  const clock = new SimulatedClock()
  const h: Harness = { clock, sequenced: [], forwarded: [], resubmitted: [], stops: 0, dropped: 0 } as unknown as Harness
  const machine = sequencerClaimMachine.provide({
    actions: {
      sequence: (_, p) => { for (const s of p.submissions) h.sequenced.push(s.envelope.messageId[0] as number) },
      forwardToWinner: (_, p) => { for (const s of p.submissions) h.forwarded.push({ winner: p.winner, id: s.envelope.messageId[0] as number, origin: s.origin.agent }) },
      resubmitToWinner: (_, p) => { for (const m of p.messages) h.resubmitted.push({ winner: p.winner, key: m.key }) }
    },
    actors: {
      stopSequencer: fromPromise(async () => { h.stops++ }),
      readArchive: fromPromise(async () => opts.archive ?? []),
      dropArchive: fromPromise(async () => { h.dropped++ })
    }
  })
  h.actor = createActor(machine, { input: { name: 'acme/chat/room', settleMs: SETTLE, retryMs: RETRY, pageSize: opts.pageSize }, clock })
  h.actor.start()
  return h
}

function submit (h: Harness, s: Submission): void { h.actor.send({ type: 'message.submit', ...s }) }
const state = (h: Harness): unknown => h.actor.getSnapshot().value

describe('sequencerClaimMachine', () => {
  it('a fresh claim holds its submissions for the settle period, then sequences them in order and sequences later ones at once', () => {
    const h = start()
    h.actor.send({ type: 'claim.made', since: 1000 })
    expect(state(h)).toBe('settling')
    submit(h, sub(1))
    submit(h, sub(2))
    h.clock.increment(SETTLE - 1)
    expect(h.sequenced).toEqual([])
    h.clock.increment(1)
    expect(state(h)).toBe('sequencing')
    expect(h.sequenced).toEqual([1, 2])
    submit(h, sub(3))
    expect(h.sequenced).toEqual([1, 2, 3])
    expect(h.actor.getSnapshot().context).toMatchObject({ since: 1000, queue: [] })
  })

  it('lost while settling: what waited goes to the winner with its senders, unsequenced; later submissions too; then released', async () => {
    const h = start()
    h.actor.send({ type: 'claim.made', since: 1000 })
    submit(h, sub(1))
    submit(h, sub(2))
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    expect(h.forwarded).toEqual([
      { winner: 'relayB', id: 1, origin: 'acme/chat/agent1/i' },
      { winner: 'relayB', id: 2, origin: 'acme/chat/agent2/i' }
    ])
    submit(h, sub(3))
    expect(h.forwarded.map(f => f.id)).toEqual([1, 2, 3])
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(state(h)).toBe('released')
    // The settle timer never fires into a lost claim.
    h.clock.increment(SETTLE)
    expect(h.sequenced).toEqual([])
    expect(h.stops).toBe(1)
    expect(h.dropped).toBe(1)
  })

  it('lost while sequencing: stops the sequencer, hands over what it sequenced and drops the archive only once the winner answered all of it', async () => {
    const h = start({ archive: [stale(1), stale(2), stale(3)] })
    h.actor.send({ type: 'claim.made', since: 1000 })
    h.clock.increment(SETTLE)
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    await waitFor(h.actor, s => s.matches({ handingOver: 'awaitingAnswers' }), WAIT)
    expect(h.stops).toBe(1)
    expect(h.resubmitted).toEqual([{ winner: 'relayB', key: 'k1' }, { winner: 'relayB', key: 'k2' }, { winner: 'relayB', key: 'k3' }])
    h.actor.send({ type: 'handover.answered', key: 'k1', code: 0 })
    h.actor.send({ type: 'handover.answered', key: 'k3', code: 0 })
    // An answer that decides nothing (the winner was unreachable) leaves the message waiting.
    h.actor.send({ type: 'handover.answered', key: 'k2', code: ErrorCode.UNAVAILABLE })
    expect(h.actor.getSnapshot().context.waiting).toEqual(['k2'])
    expect(h.dropped).toBe(0)
    // Unanswered past the retry period: only what is still waiting is sent again.
    h.clock.increment(RETRY)
    expect(h.resubmitted.slice(3)).toEqual([{ winner: 'relayB', key: 'k2' }])
    h.actor.send({ type: 'handover.answered', key: 'k2', code: 0 })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(state(h)).toBe('released')
    expect(h.dropped).toBe(1)
  })

  it('hands over a page at a time, in archive order: the next page waits for the answers to the last', async () => {
    const h = start({ archive: [stale(1), stale(2), stale(3)], pageSize: 2 })
    h.actor.send({ type: 'claim.made', since: 1000 })
    h.clock.increment(SETTLE)
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    await waitFor(h.actor, s => s.matches({ handingOver: 'awaitingAnswers' }), WAIT)
    expect(h.resubmitted.map(r => r.key)).toEqual(['k1', 'k2'])
    h.actor.send({ type: 'handover.answered', key: 'k2', code: 0 })
    expect(h.resubmitted.map(r => r.key)).toEqual(['k1', 'k2'])
    h.actor.send({ type: 'handover.answered', key: 'k1', code: 0 })
    expect(h.resubmitted.map(r => r.key)).toEqual(['k1', 'k2', 'k3'])
    h.actor.send({ type: 'handover.answered', key: 'k3', code: 0 })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.dropped).toBe(1)
  })

  it('a refusal is an answer (a stale commit is not sent again); a fire-and-forget message is sent but not waited for', async () => {
    const h = start({ archive: [stale(1), stale(2, false)] })
    h.actor.send({ type: 'claim.made', since: 1000 })
    h.clock.increment(SETTLE)
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    await waitFor(h.actor, s => s.matches({ handingOver: 'awaitingAnswers' }), WAIT)
    expect(h.resubmitted.map(r => r.key)).toEqual(['k1', 'k2'])
    expect(h.actor.getSnapshot().context.waiting).toEqual(['k1'])
    h.actor.send({ type: 'handover.answered', key: 'k1', code: ErrorCode.STALE_EPOCH })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.resubmitted).toHaveLength(2)
  })

  it('a winner that loses in turn: what is still unanswered is resent to the new winner', async () => {
    const h = start({ archive: [stale(1)] })
    h.actor.send({ type: 'claim.made', since: 1000 })
    h.clock.increment(SETTLE)
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    await waitFor(h.actor, s => s.matches({ handingOver: 'awaitingAnswers' }), WAIT)
    h.actor.send({ type: 'claim.lost', winner: 'relayA' })
    submit(h, sub(9))
    expect(h.forwarded).toEqual([{ winner: 'relayA', id: 9, origin: 'acme/chat/agent9/i' }])
    h.clock.increment(RETRY)
    expect(h.resubmitted).toEqual([{ winner: 'relayB', key: 'k1' }, { winner: 'relayA', key: 'k1' }])
  })

  it('a restored claim sequences at once, becomes an ordinary claim a settle period later, and hands over when it loses', async () => {
    const h = start({ archive: [stale(1)] })
    h.actor.send({ type: 'claim.restored', since: 700 })
    expect(state(h)).toBe('restored')
    submit(h, sub(1))
    expect(h.sequenced).toEqual([1])
    h.clock.increment(SETTLE)
    expect(state(h)).toBe('sequencing')
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    await waitFor(h.actor, s => s.matches({ handingOver: 'awaitingAnswers' }), WAIT)
    expect(h.resubmitted).toEqual([{ winner: 'relayB', key: 'k1' }])
  })

  it('a restored claim lost before it settled hands over too', async () => {
    const h = start({ archive: [stale(4)] })
    h.actor.send({ type: 'claim.restored', since: 700 })
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    await waitFor(h.actor, s => s.matches({ handingOver: 'awaitingAnswers' }), WAIT)
    h.actor.send({ type: 'handover.answered', key: 'k4', code: 0 })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(state(h)).toBe('released')
    expect(h.dropped).toBe(1)
  })

  it('the relay stopping keeps the claim: the sequencer stops, the archive stays (what settled is sequenced first)', async () => {
    const h = start({ archive: [stale(1)] })
    h.actor.send({ type: 'claim.made', since: 1000 })
    submit(h, sub(1))
    h.actor.send({ type: 'relay.stop' })
    expect(h.sequenced).toEqual([1])
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(state(h)).toBe('stopped')
    expect(h.stops).toBe(1)
    expect(h.dropped).toBe(0)
  })

  it('the relay stopping mid-handover leaves the stale archive for the restored claim to hand over', async () => {
    const h = start({ archive: [stale(1)] })
    h.actor.send({ type: 'claim.made', since: 1000 })
    h.clock.increment(SETTLE)
    h.actor.send({ type: 'claim.lost', winner: 'relayB' })
    await waitFor(h.actor, s => s.matches({ handingOver: 'awaitingAnswers' }), WAIT)
    h.actor.send({ type: 'relay.stop' })
    expect(state(h)).toBe('stopped')
    expect(h.dropped).toBe(0)
  })
})
