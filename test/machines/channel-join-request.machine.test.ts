import { describe, it, expect } from 'vitest'
import { createActor, fromCallback, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { channelJoinRequestMachine, JOIN_REQUEST_TIMEOUT_MS, MAX_JOIN_REQUEST_WAIT_MS } from '../../src/machines/channel-join-request.machine.js'
import type { ChannelJoinRequestEvent, ChannelJoinRequestInput, JoinFromWelcomeInput, ListenInput, SendRequestInput } from '../../src/machines/channel-join-request.machine.js'

/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }

class NamedError extends Error {
  constructor (name: string, message: string) { super(message); this.name = name }
}

interface Harness {
  actor: ReturnType<typeof createActor<typeof channelJoinRequestMachine>>
  clock: SimulatedClock
  states: string[]
  listens: ListenInput[]
  /** Reports an event from the listener (a decline, a Welcome). */
  tell: (e: ChannelJoinRequestEvent) => void
  stoppedListening: number
  sends: SendRequestInput[]
  sent: (o: { seq: number }) => void
  sendFailed: (e: unknown) => void
  /** How many sends were stopped before they settled. */
  sendsAborted: number
  joins: number
  joinDone: (o: { joined: boolean }) => void
  joinFailed: (e: unknown) => void
}

function start (input: Partial<ChannelJoinRequestInput> = {}): Harness {
  const clock = new SimulatedClock()
  const h = { clock, states: [], listens: [], tell: () => {}, stoppedListening: 0, sends: [], sent: () => {}, sendFailed: () => {}, sendsAborted: 0, joins: 0, joinDone: () => {}, joinFailed: () => {} } as unknown as Harness
  const machine = channelJoinRequestMachine.provide({
    actors: {
      listen: fromCallback<ChannelJoinRequestEvent, ListenInput>(({ input, sendBack }) => {
        h.listens.push(input)
        h.tell = sendBack
        return () => { h.stoppedListening++ }
      }),
      sendRequest: fromPromise<{ seq: number }, SendRequestInput>(async ({ input, signal }) => {
        h.sends.push(input)
        signal.addEventListener('abort', () => { h.sendsAborted++ })
        return await new Promise((resolve, reject) => { h.sent = resolve; h.sendFailed = reject })
      }),
      joinFromWelcome: fromPromise<{ joined: boolean }, JoinFromWelcomeInput>(async () => {
        h.joins++
        return await new Promise((resolve, reject) => { h.joinDone = resolve; h.joinFailed = reject })
      })
    }
  })
  h.actor = createActor(machine, { input: { channel: 'acme/x/chan', ...input }, clock })
  h.actor.subscribe(s => { const v = JSON.stringify(s.value); if (h.states.at(-1) !== v) h.states.push(v) })
  h.actor.start()
  return h
}

const value = (h: Harness): unknown => h.actor.getSnapshot().value

/** Up to waiting for an answer, the request archived at seq 7. */
async function waiting (input: Partial<ChannelJoinRequestInput> = {}): Promise<Harness> {
  const h = start(input)
  h.sent({ seq: 7 })
  await waitFor(h.actor, s => s.matches({ asking: 'waiting' }), WAIT)
  return h
}

describe('channelJoinRequestMachine', () => {
  it('approved: listens from the start, sends, waits, joins from the Welcome, joined', async () => {
    const h = start()
    expect(value(h)).toEqual({ asking: 'sending' })
    expect(h.listens).toEqual([{ channel: 'acme/x/chan' }])
    expect(h.sends).toEqual([{ channel: 'acme/x/chan', timeoutMs: JOIN_REQUEST_TIMEOUT_MS }])
    h.sent({ seq: 7 })
    await waitFor(h.actor, s => s.matches({ asking: 'waiting' }), WAIT)
    expect(h.actor.getSnapshot().context.seq).toBe(7)
    h.tell({ type: 'join.welcomed' })
    expect(value(h)).toBe('joining')
    expect(h.stoppedListening).toBe(1)
    expect(h.joins).toBe(1)
    h.joinDone({ joined: true })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(value(h)).toBe('joined')
    expect(h.states).toEqual(['{"asking":"sending"}', '{"asking":"waiting"}', '"joining"', '"joined"'])
  })

  it('a Welcome that comes before the acknowledgement is joined once the request is sent', async () => {
    const h = start()
    h.tell({ type: 'join.welcomed' })
    expect(value(h)).toEqual({ asking: 'sending' })
    expect(h.joins).toBe(0)
    h.sent({ seq: 3 })
    await waitFor(h.actor, s => s.matches('joining'), WAIT)
    expect(h.joins).toBe(1)
    expect(h.actor.getSnapshot().context.welcomed).toBe(false)
  })

  it('declined: ends declined with who declined and why, and stops listening', async () => {
    const h = await waiting()
    h.tell({ type: 'join.declined', by: 'acme/x/owner/o1', reason: 'not today' })
    expect(value(h)).toBe('declined')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'declined', by: 'acme/x/owner/o1', detail: 'not today' })
    expect(h.stoppedListening).toBe(1)
    expect(h.joins).toBe(0)
  })

  it('a decline without a reason says so', async () => {
    const h = await waiting()
    h.tell({ type: 'join.declined', by: 'acme/x/owner/o1' })
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'declined', by: 'acme/x/owner/o1', detail: 'no reason given' })
  })

  it('a decline that comes before the acknowledgement counts, and the send is stopped', () => {
    const h = start()
    h.tell({ type: 'join.declined', by: 'acme/x/admin/a1', reason: 'full' })
    expect(value(h)).toBe('declined')
    expect(h.sendsAborted).toBe(1)
  })

  it('times out JOIN_TIMEOUT after it started asking, and not before', async () => {
    const h = start({ timeoutMs: 5_000 })
    h.clock.increment(1_000)
    h.sent({ seq: 1 })
    await waitFor(h.actor, s => s.matches({ asking: 'waiting' }), WAIT)
    h.clock.increment(3_999)
    expect(value(h)).toEqual({ asking: 'waiting' })
    h.clock.increment(1)
    expect(value(h)).toBe('timedOut')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'timeout' })
    expect(h.stoppedListening).toBe(1)
    // A Welcome or decline after the timeout changes nothing.
    h.tell({ type: 'join.welcomed' })
    expect(h.joins).toBe(0)
  })

  it('times out while still sending (the send is stopped)', () => {
    const h = start({ timeoutMs: 2_000 })
    h.clock.increment(2_000)
    expect(value(h)).toBe('timedOut')
    expect(h.sendsAborted).toBe(1)
  })

  it('waits at most MAX_JOIN_REQUEST_WAIT_MS, whatever it is given', () => {
    const h = start({ timeoutMs: MAX_JOIN_REQUEST_WAIT_MS * 10 })
    expect(h.actor.getSnapshot().context.timeoutMs).toBe(MAX_JOIN_REQUEST_WAIT_MS)
  })

  it('fails as unsent when the request cannot be sent', async () => {
    const h = start()
    const error = new NamedError('PermissionDeniedError', 'may not publish')
    h.sendFailed(error)
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(value(h)).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'unsent', error })
    expect(h.stoppedListening).toBe(1)
  })

  it('a Welcome for none of its key packages is skipped: back to waiting, listening again', async () => {
    const h = await waiting()
    h.tell({ type: 'join.welcomed' })
    h.joinDone({ joined: false })
    await waitFor(h.actor, s => s.matches({ asking: 'waiting' }), WAIT)
    expect(h.listens).toHaveLength(2)
    h.tell({ type: 'join.welcomed' })
    expect(h.joins).toBe(2)
    h.joinDone({ joined: true })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(value(h)).toBe('joined')
  })

  it('fails with the error of a join from the Welcome that fails', async () => {
    const h = await waiting()
    h.tell({ type: 'join.welcomed' })
    const error = new NamedError('InvalidChannelMessageError', 'not a Welcome')
    h.joinFailed(error)
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(value(h)).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'error', error })
  })

  it('cancelled while sending or waiting', async () => {
    const a = start()
    a.actor.send({ type: 'join.cancel' })
    expect(value(a)).toBe('cancelled')
    expect(a.sendsAborted).toBe(1)
    const b = await waiting()
    b.actor.send({ type: 'join.cancel' })
    expect(value(b)).toBe('cancelled')
    expect(b.stoppedListening).toBe(1)
  })

  it('a cancel while joining does not stop the join: joined all the same; cancelled if the Welcome was not ours', async () => {
    const a = await waiting()
    a.tell({ type: 'join.welcomed' })
    a.actor.send({ type: 'join.cancel' })
    expect(value(a)).toBe('joining')
    a.joinDone({ joined: true })
    await waitFor(a.actor, s => s.status === 'done', WAIT)
    expect(value(a)).toBe('joined')

    const b = await waiting()
    b.tell({ type: 'join.welcomed' })
    b.actor.send({ type: 'join.cancel' })
    b.joinDone({ joined: false })
    await waitFor(b.actor, s => s.status === 'done', WAIT)
    expect(value(b)).toBe('cancelled')
  })

  it('the timeout does not stop a join under way', async () => {
    const h = await waiting({ timeoutMs: 1_000 })
    h.tell({ type: 'join.welcomed' })
    h.clock.increment(5_000)
    expect(value(h)).toBe('joining')
    h.joinDone({ joined: true })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(value(h)).toBe('joined')
  })
})
