import { describe, it, expect } from 'vitest'
import { createActor, fromCallback, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { registrationMachine } from '../../src/machines/registration.machine.js'
import type { RegistrationEvent } from '../../src/machines/registration.machine.js'
import { relayMembershipMachine } from '../../src/machines/relay-membership.machine.js'
import { stateName } from '../../src/machines/inspection.js'

const WAIT = { timeout: 2_000 }
const HEARTBEAT = 2_000

function harness (opts: { registered: boolean, generation?: number, joinFails?: boolean, reachable?: boolean, fetched?: number }) {
  const clock = new SimulatedClock()
  const h = {
    clock,
    joins: 0, heartbeats: 0, fetches: 0, applied: [] as number[], watches: 0, lost: 0,
    joinFails: opts.joinFails ?? false, reachable: opts.reachable ?? true, controllerGeneration: 3, fetched: opts.fetched ?? 3,
    send: undefined as undefined | ((e: RegistrationEvent) => void)
  }
  const machine = registrationMachine.provide({
    delays: { HEARTBEAT, BACKOFF: 1_000 },
    actors: {
      register: fromPromise(async () => { h.joins++; if (h.joinFails) throw new Error('refused'); return { generation: 0 } }),
      apply: fromPromise(async () => { h.applied.push(h.fetched); return { generation: h.fetched } }),
      heartbeat: fromPromise(async () => { h.heartbeats++; if (!h.reachable) throw new Error('unreachable'); return { generation: h.controllerGeneration } }),
      fetch: fromPromise(async () => { h.fetches++; if (!h.reachable) throw new Error('unreachable'); h.fetched = h.controllerGeneration; return { generation: h.fetched } }),
      watch: fromCallback<RegistrationEvent>(({ sendBack }) => { h.watches++; h.send = sendBack; return () => { h.send = undefined } })
    },
    actions: { controllerLost: () => { h.lost++ } }
  })
  const actor = createActor(machine, { clock, input: { registered: opts.registered, generation: opts.generation } })
  actor.start()
  const state = (): string => stateName(actor.getSnapshot().value)
  return { h, actor, state }
}

describe('registrationMachine', () => {
  it('joins, applies what it was given, then heartbeats in sync on one notice stream', async () => {
    const { h, actor, state } = harness({ registered: false })
    await waitFor(actor, s => s.matches({ online: 'inSync' }), WAIT)
    expect(h.joins).toBe(1)
    expect(h.applied).toEqual([3])
    expect(actor.getSnapshot().context.generation).toBe(3)
    for (let i = 0; i < 3; i++) {
      h.clock.increment(HEARTBEAT)
      await waitFor(actor, s => s.matches({ online: 'inSync' }), WAIT)
    }
    expect(h.heartbeats).toBe(3)
    // The stream stays open across heartbeats.
    expect(h.watches).toBe(1)
    expect(state()).toBe('online.inSync')
  })

  it('retries a join that fails, after a backoff', async () => {
    const { h, actor } = harness({ registered: false, joinFails: true })
    await waitFor(actor, s => s.matches('joinBackoff'), WAIT)
    h.joinFails = false
    h.clock.increment(1_000)
    await waitFor(actor, s => s.matches({ online: 'inSync' }), WAIT)
    expect(h.joins).toBe(2)
  })

  it('a registered relay applies its kept state before the controller answers anything', async () => {
    const { h, actor } = harness({ registered: true, generation: 0, reachable: false, fetched: 2 })
    await waitFor(actor, s => s.matches({ online: 'inSync' }), WAIT)
    expect(h.joins).toBe(0)
    expect(h.applied).toEqual([2])
    expect(h.heartbeats).toBe(0)
  })

  it('fetches a newer generation on notice, ignores an older one', async () => {
    const { h, actor } = harness({ registered: true })
    await waitFor(actor, s => s.matches({ online: 'inSync' }), WAIT)
    h.send?.({ type: 'state.changed', generation: 2 })
    expect(h.fetches).toBe(0)
    h.controllerGeneration = 4
    h.send?.({ type: 'state.changed', generation: 4 })
    await waitFor(actor, s => s.matches({ online: 'inSync' }) && s.context.generation === 4, WAIT)
    expect(h.fetches).toBe(1)
    expect(h.applied).toEqual([3, 4])
  })

  it('goes degraded when the controller stops answering, keeps trying forever, and comes back', async () => {
    const { h, actor } = harness({ registered: true })
    await waitFor(actor, s => s.matches({ online: 'inSync' }), WAIT)
    h.reachable = false
    h.clock.increment(HEARTBEAT)
    await waitFor(actor, s => s.matches('degraded'), WAIT)
    for (let i = 0; i < 20; i++) {
      h.clock.increment(1_000)
      await waitFor(actor, s => s.matches('degraded'), WAIT)
    }
    expect(h.heartbeats).toBe(21)
    expect(actor.getSnapshot().context.failures).toBeGreaterThanOrEqual(21)
    h.reachable = true
    h.controllerGeneration = 5
    h.clock.increment(1_000)
    await waitFor(actor, s => s.matches({ online: 'inSync' }) && s.context.generation === 5, WAIT)
    expect(actor.getSnapshot().context.failures).toBe(0)
  })

  it('a notice stream that ends is a lost controller', async () => {
    const { h, actor } = harness({ registered: true })
    await waitFor(actor, s => s.matches({ online: 'inSync' }), WAIT)
    h.send?.({ type: 'controller.lost' })
    await waitFor(actor, s => s.matches('degraded'), WAIT)
    expect(h.lost).toBe(1)
  })
})

describe('relayMembershipMachine', () => {
  function membership () {
    const clock = new SimulatedClock()
    const events: string[] = []
    const machine = relayMembershipMachine.provide({
      delays: { DOWN_AFTER: 6_000 },
      actions: { relayDown: () => { events.push('down') }, relayUp: () => { events.push('up') } }
    })
    const actor = createActor(machine, { clock, input: { peerId: 'r1', desired: 2 } })
    actor.start()
    return { actor, clock, events }
  }

  it('is in sync when it reports the desired generation with everything applied, behind otherwise', () => {
    const { actor } = membership()
    actor.send({ type: 'heartbeat.received', generation: 1, unapplied: 0 })
    expect(actor.getSnapshot().matches({ live: 'behind' })).toBe(true)
    actor.send({ type: 'heartbeat.received', generation: 2, unapplied: 1 })
    expect(actor.getSnapshot().matches({ live: 'behind' })).toBe(true)
    actor.send({ type: 'heartbeat.received', generation: 2, unapplied: 0 })
    expect(actor.getSnapshot().matches({ live: 'inSync' })).toBe(true)
    actor.send({ type: 'state.published', generation: 3 })
    expect(actor.getSnapshot().matches({ live: 'behind' })).toBe(true)
  })

  it('goes down without a heartbeat for the interval, and back up with one; every heartbeat restarts the timer', () => {
    const { actor, clock, events } = membership()
    actor.send({ type: 'heartbeat.received', generation: 2, unapplied: 0 })
    for (let i = 0; i < 5; i++) { clock.increment(5_000); actor.send({ type: 'heartbeat.received', generation: 2, unapplied: 0 }) }
    expect(actor.getSnapshot().matches('live')).toBe(true)
    clock.increment(6_000)
    expect(actor.getSnapshot().matches('down')).toBe(true)
    expect(events).toEqual(['down'])
    actor.send({ type: 'heartbeat.received', generation: 2, unapplied: 0 })
    expect(actor.getSnapshot().matches({ live: 'inSync' })).toBe(true)
    expect(events).toEqual(['down', 'up'])
  })

  it('a relay known from the store (the controller restarted) has longer for its first heartbeat', () => {
    const clock = new SimulatedClock()
    const machine = relayMembershipMachine.provide({ delays: { DOWN_AFTER: 6_000, FIRST_HEARTBEAT: ({ context }) => context.restored ? 16_000 : 6_000 } })
    const restored = createActor(machine, { clock, input: { peerId: 'r1', desired: 2, restored: true } })
    const joined = createActor(machine, { clock, input: { peerId: 'r2', desired: 2 } })
    restored.start()
    joined.start()
    clock.increment(6_000)
    expect(joined.getSnapshot().matches('down')).toBe(true)
    expect(restored.getSnapshot().matches('registered')).toBe(true)
    clock.increment(10_000)
    expect(restored.getSnapshot().matches('down')).toBe(true)
  })

  it('a relay that never heartbeats after registering goes down too; a removed one is final', () => {
    const { actor, clock } = membership()
    clock.increment(6_000)
    expect(actor.getSnapshot().matches('down')).toBe(true)
    actor.send({ type: 'relay.remove' })
    expect(actor.getSnapshot().status).toBe('done')
  })
})
