import { describe, it, expect } from 'vitest'
import { createActor, SimulatedClock } from 'xstate'
import type { GeneralJWS } from 'jose'
import { peeringMachine, NEGOTIATION_TIMEOUT_MS } from '../../src/machines/peering.machine.js'
import type { PeeringInput } from '../../src/machines/peering.machine.js'

const doc = (n: number): GeneralJWS => ({ payload: `p${n}`, signatures: [{ signature: `s${n}` }] })
const DAY = 24 * 3600_000

function start (input: Partial<PeeringInput> = {}) {
  const clock = new SimulatedClock()
  const effects: string[] = []
  const machine = peeringMachine.provide({
    actions: {
      sendProposal: ({ context }) => { effects.push(`send v${context.version}`) },
      activate: () => { effects.push('activate') },
      deactivate: () => { effects.push('deactivate') },
      reconfigure: ({ context }) => { effects.push(`reconfigure v${context.version}`) },
      notifyPeer: ({ event }) => { if ('by' in event && event.by === 'us') effects.push(`notify ${event.type}`) }
    }
  })
  const actor = createActor(machine, { input: { id: 'acme-beta', peer: 'beta', proposer: 'us', proposal: doc(1), ...input }, clock })
  actor.start()
  const state = (): string => JSON.stringify(actor.getSnapshot().value)
  return { actor, clock, effects, state }
}

describe('peeringMachine', () => {
  it('our proposal goes out; the peer counters; we counter; both sign: trusted, and the borders carry it', () => {
    const h = start()
    expect(h.state()).toBe('{"proposed":"awaitingPeer"}')
    expect(h.effects).toEqual(['send v1'])
    h.actor.send({ type: 'peering.proposal', from: 'peer', proposal: doc(2), version: 2 })
    expect(h.state()).toBe('{"negotiating":"awaitingUs"}')
    h.actor.send({ type: 'peering.proposal', from: 'us', proposal: doc(3), version: 3 })
    expect(h.state()).toBe('{"negotiating":"awaitingPeer"}')
    // A stale proposal (an older version) changes nothing.
    h.actor.send({ type: 'peering.proposal', from: 'peer', proposal: doc(2), version: 2 })
    expect(h.state()).toBe('{"negotiating":"awaitingPeer"}')
    h.actor.send({ type: 'peering.agreed', agreement: doc(3), version: 3, validForMs: DAY })
    expect(h.state()).toBe('{"trusted":"carrying"}')
    expect(h.effects).toEqual(['send v1', 'send v3', 'activate'])
    expect(h.actor.getSnapshot().context.document).toEqual(doc(3))
  })

  it('a peer proposal waits for our operator; declining ends it and tells the peer', () => {
    const h = start({ proposer: 'peer' })
    expect(h.state()).toBe('{"proposed":"awaitingUs"}')
    expect(h.effects).toEqual([])
    h.actor.send({ type: 'peering.decline', by: 'us', reason: 'not now' })
    expect(h.state()).toBe('"declined"')
    expect(h.actor.getSnapshot().context).toMatchObject({ by: 'us', reason: 'not now' })
    expect(h.effects).toEqual(['notify peering.decline'])
  })

  it('a negotiation that goes quiet ends declined; each new proposal restarts the clock', () => {
    const h = start()
    h.clock.increment(NEGOTIATION_TIMEOUT_MS - 1)
    h.actor.send({ type: 'peering.proposal', from: 'peer', proposal: doc(2), version: 2 })
    h.clock.increment(NEGOTIATION_TIMEOUT_MS - 1)
    expect(h.state()).toBe('{"negotiating":"awaitingUs"}')
    h.clock.increment(1)
    expect(h.state()).toBe('"declined"')
    expect(h.actor.getSnapshot().context.reason).toBe('the negotiation timed out')
  })

  it('suspend stops the borders and resume starts them again; revoke ends it from any state', () => {
    const h = start()
    h.actor.send({ type: 'peering.agreed', agreement: doc(1), version: 1, validForMs: DAY })
    h.actor.send({ type: 'peering.suspend', by: 'peer', reason: 'abuse report' })
    expect(h.state()).toBe('{"suspended":"holding"}')
    h.actor.send({ type: 'peering.resume', by: 'us' })
    expect(h.state()).toBe('{"trusted":"carrying"}')
    h.actor.send({ type: 'peering.revoke', by: 'us', reason: 'contract over' })
    expect(h.state()).toBe('"revoked"')
    expect(h.effects).toEqual(['send v1', 'activate', 'deactivate', 'notify peering.resume', 'activate', 'deactivate', 'notify peering.revoke'])
    expect(h.actor.getSnapshot().status).toBe('done')
  })

  it('expires with its agreement, waiting in steps past setTimeout\'s limit, trusted or suspended', () => {
    const h = start()
    const long = 40 * DAY // past 2^31 ms
    h.actor.send({ type: 'peering.agreed', agreement: doc(1), version: 1, validForMs: long })
    h.clock.increment(2_147_483_647)
    expect(h.state()).toBe('{"trusted":"carrying"}')
    expect(h.effects.filter(e => e === 'activate')).toHaveLength(1) // counting down does not re-activate
    h.actor.send({ type: 'peering.suspend', by: 'us', reason: 'maintenance' })
    h.clock.increment(long - 2_147_483_647 - 1)
    expect(h.state()).toBe('{"suspended":"holding"}')
    h.clock.increment(1)
    expect(h.state()).toBe('"expired"')
  })

  it('a newer agreement while trusted is reconfigured in place, an older one ignored', () => {
    const h = start()
    h.actor.send({ type: 'peering.agreed', agreement: doc(2), version: 2, validForMs: DAY })
    h.actor.send({ type: 'peering.agreed', agreement: doc(3), version: 3, validForMs: DAY })
    h.actor.send({ type: 'peering.agreed', agreement: doc(1), version: 1, validForMs: DAY })
    expect(h.actor.getSnapshot().context.version).toBe(3)
    expect(h.effects).toEqual(['send v1', 'activate', 'reconfigure v3'])
  })
})

describe('peeringMachine expiry after a newer agreement', () => {
  it('counts the newer agreement\'s validity from when it came', () => {
    const clock = new SimulatedClock()
    const actor = createActor(peeringMachine, { input: { id: 'x', peer: 'beta', proposer: 'peer', proposal: doc(1) }, clock })
    actor.start()
    actor.send({ type: 'peering.agreed', agreement: doc(1), version: 1, validForMs: 1000 })
    clock.increment(900)
    actor.send({ type: 'peering.agreed', agreement: doc(2), version: 2, validForMs: 1000 })
    clock.increment(900)
    expect(JSON.stringify(actor.getSnapshot().value)).toBe('{"trusted":"carrying"}')
    clock.increment(100)
    expect(actor.getSnapshot().value).toBe('expired')
  })
})
