import { describe, it, expect } from 'vitest'
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { sequencerLeaseMachine } from '../../src/machines/sequencer-lease.machine.js'
import type { SequencerLease } from '../../src/relay/sequencer-leases.js'
import { stateName } from '../../src/machines/inspection.js'

const WAIT = { timeout: 2_000 }
const NAME = 'acme/leases/feed'
const lease = (holder: string, term: number, replicas: string[] = []): SequencerLease => ({ name: NAME, term, holder, replicas, since: 1 })

function harness (answers: Array<SequencerLease | Error>) {
  const clock = new SimulatedClock()
  const h = { claims: 0, led: [] as number[], replicaSets: [] as string[][], followed: [] as string[], fences: 0, failures: 0 }
  const machine = sequencerLeaseMachine.provide({
    actors: {
      claimLease: fromPromise(async () => {
        const a = answers[Math.min(h.claims++, answers.length - 1)] as SequencerLease | Error
        if (a instanceof Error) throw a
        return a
      }),
      fence: fromPromise(async () => { h.fences++ })
    },
    actions: {
      startLeading: ({ context }) => { h.led.push(context.lease.term) },
      replicasChanged: ({ context }) => { h.replicaSets.push(context.lease.replicas) },
      follow: ({ context }) => { h.followed.push(context.lease.holder) },
      claimFailed: () => { h.failures++ }
    }
  })
  const actor = createActor(machine, { clock, input: { name: NAME, self: 'me' } })
  actor.start()
  return { h, actor, clock, state: () => stateName(actor.getSnapshot().value) }
}

describe('sequencerLeaseMachine', () => {
  it('leads once the controller grants it the lease, and takes a new replica set of the same term', async () => {
    const { h, actor } = harness([lease('me', 1, ['r1'])])
    await waitFor(actor, s => s.matches('leader'), WAIT)
    expect(h.led).toEqual([1])
    actor.send({ type: 'lease.changed', lease: lease('me', 1, ['r2']) })
    expect(h.replicaSets).toEqual([['r2']])
    expect(actor.getSnapshot().matches('leader')).toBe(true)
  })

  it('follows the holder the controller names, and leads when the lease moves to it (it was a replica)', async () => {
    const { h, actor } = harness([lease('other', 1, ['me'])])
    await waitFor(actor, s => s.matches('follower'), WAIT)
    expect(h.followed).toEqual(['other'])
    actor.send({ type: 'lease.changed', lease: lease('me', 2, ['r3']) })
    expect(actor.getSnapshot().matches('leader')).toBe(true)
    expect(h.led).toEqual([2])
  })

  it('asks again after a backoff while the controller does not answer, and numbers nothing meanwhile', async () => {
    const { h, actor, clock, state } = harness([new Error('unreachable'), new Error('unreachable'), lease('me', 1)])
    await waitFor(actor, s => s.matches({ candidate: 'waiting' }), WAIT)
    expect(h.led).toEqual([])
    clock.increment(100)
    await waitFor(actor, s => s.matches({ candidate: 'waiting' }) && h.claims === 2, WAIT)
    clock.increment(200)
    await waitFor(actor, s => s.matches('leader'), WAIT)
    expect(state()).toBe('leader')
    expect(h.failures).toBe(2)
  })

  it('is fenced by a newer term, whether the controller or a replica tells of it, then follows', async () => {
    const byController = harness([lease('me', 1)])
    await waitFor(byController.actor, s => s.matches('leader'), WAIT)
    byController.actor.send({ type: 'lease.changed', lease: lease('other', 2) })
    await waitFor(byController.actor, s => s.matches('follower'), WAIT)
    expect(byController.h.fences).toBe(1)
    expect(byController.h.followed).toEqual(['other'])

    const byReplica = harness([lease('me', 3)])
    await waitFor(byReplica.actor, s => s.matches('leader'), WAIT)
    byReplica.actor.send({ type: 'lease.superseded', term: 3 }) // not newer: nothing happens
    expect(byReplica.actor.getSnapshot().matches('leader')).toBe(true)
    byReplica.actor.send({ type: 'lease.superseded', term: 4, by: 'r1' })
    await waitFor(byReplica.actor, s => s.matches('follower'), WAIT)
    expect(byReplica.h.fences).toBe(1)
  })

  it('ignores a lease change older than the term it knows', async () => {
    const { h, actor } = harness([lease('me', 5)])
    await waitFor(actor, s => s.matches('leader'), WAIT)
    actor.send({ type: 'lease.changed', lease: lease('other', 4) })
    expect(actor.getSnapshot().matches('leader')).toBe(true)
    expect(h.fences).toBe(0)
  })

  it('stops for good when the relay stops', async () => {
    const { actor } = harness([lease('me', 1)])
    await waitFor(actor, s => s.matches('leader'), WAIT)
    actor.send({ type: 'relay.stop' })
    expect(actor.getSnapshot().status).toBe('done')
  })
})
