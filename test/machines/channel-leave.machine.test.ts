import { describe, it, expect } from 'vitest'
import { createActor, fromCallback, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { channelLeaveMachine, LEAVE_TIMEOUT_MS } from '../../src/machines/channel-leave.machine.js'
import type { ChannelLeaveEvent, ChannelLeaveInput, RequestRemovalInput } from '../../src/machines/channel-leave.machine.js'

/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }
const OTHERS = ['acme/x/bob/b1', 'acme/x/carol/c1', 'acme/x/dave/d1']

interface Harness {
  actor: ReturnType<typeof createActor<typeof channelLeaveMachine>>
  clock: SimulatedClock
  states: string[]
  /** Each LeaveRequest: to whom, and when on the simulated clock. */
  asked: Array<{ member: string, at: number }>
  /** Answers the LeaveRequest under way. */
  reply: (e: ChannelLeaveEvent) => void
  stoppedListening: number
  announced: number
  forgets: number
  forgetDone: () => void
  forgetFailed: (e: unknown) => void
}

function start (input: Partial<ChannelLeaveInput> = {}): Harness {
  const clock = new SimulatedClock()
  const h = { clock, states: [], asked: [], reply: () => {}, stoppedListening: 0, announced: 0, forgets: 0, forgetDone: () => {}, forgetFailed: () => {} } as unknown as Harness
  const machine = channelLeaveMachine.provide({
    actors: {
      requestRemoval: fromCallback<ChannelLeaveEvent, RequestRemovalInput>(({ input, sendBack }) => {
        h.asked.push({ member: input.member, at: clock.now() })
        h.reply = sendBack
        return () => { h.stoppedListening++ }
      }),
      forget: fromPromise(async () => {
        h.forgets++
        await new Promise<void>((resolve, reject) => { h.forgetDone = resolve; h.forgetFailed = reject })
      })
    },
    actions: {
      announceLeaving: () => { h.announced++ }
    }
  })
  h.actor = createActor(machine, { input: { channel: 'acme/x/chan', others: OTHERS, ...input }, clock })
  h.actor.subscribe(s => { const v = String(s.value); if (h.states.at(-1) !== v) h.states.push(v) })
  h.actor.start()
  return h
}

describe('channelLeaveMachine', () => {
  it('announces the leave, asks the first other member, and has left once the removal ends the channel', () => {
    const h = start()
    expect(h.announced).toBe(1)
    expect(h.asked).toEqual([{ member: OTHERS[0], at: 0 }])
    h.reply({ type: 'leave.replied', removed: true })
    expect(h.actor.getSnapshot().value).toBe('awaitingRemoval')
    expect(h.stoppedListening).toBe(1)
    h.actor.send({ type: 'channel.ended', state: 'left' })
    expect(h.actor.getSnapshot().value).toBe('left')
    expect(h.states).toEqual(['asking', 'awaitingRemoval', 'left'])
    expect(h.asked).toHaveLength(1)
  })

  it('waits for the removal without a deadline once a member said it removed this one', () => {
    const h = start()
    h.reply({ type: 'leave.replied', removed: true })
    h.clock.increment(10 * LEAVE_TIMEOUT_MS)
    expect(h.actor.getSnapshot().value).toBe('awaitingRemoval')
  })

  it('asks the next member after LEAVE_TIMEOUT without an answer, and not before', () => {
    const h = start()
    h.clock.increment(LEAVE_TIMEOUT_MS - 1)
    expect(h.asked).toHaveLength(1)
    h.clock.increment(1)
    expect(h.asked).toEqual([{ member: OTHERS[0], at: 0 }, { member: OTHERS[1], at: LEAVE_TIMEOUT_MS }])
    expect(h.stoppedListening).toBe(1)
    expect(h.actor.getSnapshot().context.lastFailure).toEqual({ member: OTHERS[0], reason: 'noReply' })
    // The second member's own deadline starts with its request.
    h.clock.increment(LEAVE_TIMEOUT_MS - 1)
    expect(h.asked).toHaveLength(2)
  })

  it('moves on after a refusal or a failed send; fails with the last reason once every member was asked', () => {
    const h = start()
    h.reply({ type: 'leave.replied', removed: false, reason: 'not now' })
    expect(h.asked.map(a => a.member)).toEqual(OTHERS.slice(0, 2))
    expect(h.announced).toBe(1)
    const error = new Error('no route')
    h.reply({ type: 'leave.unsent', error })
    expect(h.asked.map(a => a.member)).toEqual(OTHERS)
    h.reply({ type: 'leave.replied', removed: false, reason: 'policy' })
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.lastFailure).toEqual({ member: OTHERS[2], reason: 'refused', detail: 'policy' })
    expect(h.stoppedListening).toBe(3)
    expect(h.states).toEqual(['asking', 'failed'])
  })

  it('fails after every member timed out, asking each once', () => {
    const h = start()
    for (let i = 0; i < OTHERS.length; i++) h.clock.increment(LEAVE_TIMEOUT_MS)
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.asked.map(a => a.at)).toEqual([0, LEAVE_TIMEOUT_MS, 2 * LEAVE_TIMEOUT_MS])
  })

  it('honours a timeout given as input', () => {
    const h = start({ timeoutMs: 500 })
    h.clock.increment(500)
    expect(h.asked).toHaveLength(2)
  })

  it('has left as soon as the channel ends, in whichever phase (a removal that came before the reply)', () => {
    const h = start()
    h.clock.increment(LEAVE_TIMEOUT_MS)
    h.actor.send({ type: 'channel.ended', state: 'left' })
    expect(h.actor.getSnapshot().value).toBe('left')
    expect(h.stoppedListening).toBe(2)
    h.clock.increment(LEAVE_TIMEOUT_MS * 5)
    expect(h.asked).toHaveLength(2)
  })

  it('the last member forgets the channel instead of asking anyone; left once the forgetting is done', async () => {
    const h = start({ others: [] })
    expect(h.asked).toEqual([])
    expect(h.announced).toBe(0)
    expect(h.actor.getSnapshot().value).toBe('forgetting')
    await waitFor(h.actor, () => h.forgets === 1, WAIT)
    // The channel ends while its state is being forgotten: not done yet.
    h.actor.send({ type: 'channel.ended', state: 'left' })
    expect(h.actor.getSnapshot().value).toBe('forgetting')
    h.forgetDone()
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('left')
  })

  it('fails at once, asking nobody and forgetting nothing, when other members remain but none may remove this one (no owner or admin)', () => {
    const h = start({ others: [], alone: false })
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.asked).toEqual([])
    expect(h.forgets).toBe(0)
    expect(h.announced).toBe(0)
  })

  it('fails when forgetting fails', async () => {
    const h = start({ others: [] })
    await waitFor(h.actor, () => h.forgets === 1, WAIT)
    const error = new Error('disk full')
    h.forgetFailed(error)
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.error).toBe(error)
  })

  it('gives up at once on leave.cancel, and asks nobody else', () => {
    const h = start()
    h.actor.send({ type: 'leave.cancel' })
    expect(h.actor.getSnapshot().value).toBe('cancelled')
    expect(h.stoppedListening).toBe(1)
    h.clock.increment(LEAVE_TIMEOUT_MS * 5)
    expect(h.asked).toHaveLength(1)
  })
})
