import { describe, it, expect } from 'vitest'
import { createActor, fromCallback, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { controllerElectionMachine } from '../../src/machines/controller-election.machine.js'
import type { ControllerElectionEvent } from '../../src/machines/controller-election.machine.js'
import { stateName } from '../../src/machines/inspection.js'

const WAIT = { timeout: 2_000 }
const FENCE = { key: 'slim-mesh/m/election/controller/7', createRevision: '42' }

/** The machine with fake effects: the test wins and loses elections by sending what the campaign would. */
function harness (opts: { startFails?: boolean } = {}) {
  const clock = new SimulatedClock()
  const h = {
    clock,
    campaigns: 0, resigned: 0, starts: [] as string[], stops: 0, observing: 0,
    startFails: opts.startFails ?? false,
    campaign: undefined as undefined | ((e: ControllerElectionEvent) => void),
    observe: undefined as undefined | ((e: ControllerElectionEvent) => void)
  }
  const machine = controllerElectionMachine.provide({
    delays: { RETRY: 1_000 },
    actors: {
      campaign: fromCallback<ControllerElectionEvent>(({ sendBack }) => { h.campaigns++; h.campaign = sendBack; return () => { h.resigned++; h.campaign = undefined } }),
      observe: fromCallback<ControllerElectionEvent>(({ sendBack }) => { h.observing++; h.observe = sendBack; return () => { h.observe = undefined } }),
      startLeadership: fromPromise<void, { fence: typeof FENCE }>(async ({ input }) => { h.starts.push(input.fence.key); if (h.startFails) throw new Error('the store does not answer') }),
      stopLeadership: fromPromise<void>(async () => { h.stops++ })
    }
  })
  const actor = createActor(machine, { clock })
  actor.start()
  const state = (): string => stateName(actor.getSnapshot().value)
  return { h, actor, state }
}

describe('controllerElectionMachine', () => {
  it('campaigns as a follower, knows the leader it observes, and leads once it wins, with the fence it won', async () => {
    const { h, actor, state } = harness()
    expect(state()).toBe('candidate.follower')
    expect(h.campaigns).toBe(1)
    h.observe?.({ type: 'leader.observed', leader: 'http://127.0.0.1:7461' })
    expect(actor.getSnapshot().context.leader).toBe('http://127.0.0.1:7461')
    h.campaign?.({ type: 'election.won', fence: FENCE })
    await waitFor(actor, s => s.matches({ candidate: { leader: 'leading' } }), WAIT)
    expect(h.starts).toEqual([FENCE.key])
    expect(actor.getSnapshot().context.fence).toEqual(FENCE)
    // One campaign for the whole candidacy: winning does not start another.
    expect(h.campaigns).toBe(1)
    expect(h.resigned).toBe(0)
  })

  it('a lost election stops the core before campaigning again, after a backoff', async () => {
    const { h, actor } = harness()
    h.campaign?.({ type: 'election.won', fence: FENCE })
    await waitFor(actor, s => s.matches({ candidate: { leader: 'leading' } }), WAIT)
    h.campaign?.({ type: 'election.lost', reason: 'lease expired' })
    await waitFor(actor, s => s.matches('retrying'), WAIT)
    expect(h.stops).toBe(1)
    expect(h.resigned).toBe(1)
    expect(actor.getSnapshot().context).toMatchObject({ fence: undefined, failures: 1, reason: 'lease expired' })
    h.clock.increment(1_000)
    await waitFor(actor, s => s.matches({ candidate: 'follower' }), WAIT)
    expect(h.campaigns).toBe(2)
  })

  it('steps down when the core cannot start from the store, and campaigns again', async () => {
    const { h, actor } = harness({ startFails: true })
    h.campaign?.({ type: 'election.won', fence: FENCE })
    await waitFor(actor, s => s.matches('retrying'), WAIT)
    expect(h.stops).toBe(1)
    expect(actor.getSnapshot().context.reason).toContain('the store does not answer')
    h.startFails = false
    h.clock.increment(1_000)
    await waitFor(actor, s => s.matches({ candidate: 'follower' }), WAIT)
    h.campaign?.({ type: 'election.won', fence: FENCE })
    await waitFor(actor, s => s.matches({ candidate: { leader: 'leading' } }), WAIT)
    expect(actor.getSnapshot().context.failures).toBe(0)
  })

  it('a follower whose campaign fails stays out of leadership and retries', async () => {
    const { h, actor } = harness()
    h.campaign?.({ type: 'election.lost', reason: 'etcd unreachable' })
    await waitFor(actor, s => s.matches('retrying'), WAIT)
    expect(h.starts).toEqual([])
    h.clock.increment(1_000)
    await waitFor(actor, s => s.matches({ candidate: 'follower' }), WAIT)
  })

  it('stopping resigns, stops the core and ends; the observation of the leader ends with it', async () => {
    const { h, actor } = harness()
    h.campaign?.({ type: 'election.won', fence: FENCE })
    await waitFor(actor, s => s.matches({ candidate: { leader: 'leading' } }), WAIT)
    actor.send({ type: 'controller.stop' })
    await waitFor(actor, s => s.status === 'done', WAIT)
    expect(h.resigned).toBe(1)
    expect(h.stops).toBe(1)
    expect(h.observe).toBeUndefined()
  })
})
