import { describe, it, expect } from 'vitest'
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { relaySessionMachine } from '../../src/machines/relay-session.machine.js'

const HANDSHAKE_TIMEOUT = 10_000
const SILENCE_TIMEOUT = 30_000
const GRACE_PERIOD = 30_000
/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }

interface Calls {
  sendChallenge: number
  attachAgent: number
  markAway: number
  detachAgent: number
  releaseStream: number
  faultAndCut: Array<{ code: number, reason: string }>
}

function start (verify: () => Promise<{ name: string }> = async () => ({ name: 'acme/research/alice/i1' })): {
  actor: ReturnType<typeof createActor<typeof relaySessionMachine>>
  clock: SimulatedClock
  calls: Calls
} {
  const calls: Calls = { sendChallenge: 0, attachAgent: 0, markAway: 0, detachAgent: 0, releaseStream: 0, faultAndCut: [] }
  const machine = relaySessionMachine.provide({
    actors: { verifyAuth: fromPromise(verify) },
    actions: {
      sendChallenge: () => { calls.sendChallenge++ },
      attachAgent: () => { calls.attachAgent++ },
      markAway: () => { calls.markAway++ },
      detachAgent: () => { calls.detachAgent++ },
      releaseStream: () => { calls.releaseStream++ },
      faultAndCut: (_, p) => { calls.faultAndCut.push(p) }
    }
  })
  const clock = new SimulatedClock()
  const actor = createActor(machine, { clock })
  actor.start()
  return { actor, clock, calls }
}

async function activate (s: ReturnType<typeof start>): Promise<void> {
  s.actor.send({ type: 'hello.received', name: 'acme/research/alice/i1' })
  s.actor.send({ type: 'auth.received' })
  await waitFor(s.actor, snap => snap.matches('active'), WAIT)
}

describe('relaySessionMachine', () => {
  it('cuts a session whose handshake is not finished within the handshake timeout', () => {
    const { actor, clock, calls } = start()
    actor.send({ type: 'hello.received', name: 'acme/research/alice/i1' })
    clock.increment(HANDSHAKE_TIMEOUT - 1)
    expect(actor.getSnapshot().value).toBe('handshaking')
    clock.increment(1)
    expect(actor.getSnapshot().value).toBe('closed')
    expect(calls.faultAndCut).toEqual([{ code: 10, reason: 'handshake not finished in time' }])
    expect(actor.getSnapshot().context.reason).toBe('handshake timeout')
    expect(calls.releaseStream).toBe(1)
  })

  it('goes hello -> challenge, auth -> authenticating -> active when the auth check passes', async () => {
    let release!: (v: { name: string }) => void
    const s = start(async () => await new Promise(resolve => { release = resolve }))
    s.actor.send({ type: 'hello.received', name: 'acme/research/alice/i1' })
    expect(s.calls.sendChallenge).toBe(1)
    expect(s.actor.getSnapshot().context.name).toBe('acme/research/alice/i1')
    s.actor.send({ type: 'auth.received' })
    expect(s.actor.getSnapshot().value).toBe('authenticating')
    expect(s.calls.attachAgent).toBe(0)
    release({ name: 'acme/research/alice/i1' })
    await waitFor(s.actor, snap => snap.matches('active'), WAIT)
    expect(s.calls.attachAgent).toBe(1)
    expect(s.calls.faultAndCut).toEqual([])
  })

  it('no longer applies the handshake timeout once the session is active', async () => {
    const s = start()
    await activate(s)
    s.clock.increment(HANDSHAKE_TIMEOUT)
    expect(s.actor.getSnapshot().matches('active')).toBe(true)
    expect(s.calls.faultAndCut).toEqual([])
  })

  it('closes and cuts with code 6 and the reason when the auth check fails', async () => {
    const s = start(async () => { throw new Error('the signature does not prove the key') })
    s.actor.send({ type: 'hello.received', name: 'acme/research/alice/i1' })
    s.actor.send({ type: 'auth.received' })
    await waitFor(s.actor, snap => snap.status === 'done', WAIT)
    expect(s.actor.getSnapshot().value).toBe('closed')
    expect(s.calls.faultAndCut).toEqual([{ code: 6, reason: 'the signature does not prove the key' }])
    expect(s.actor.getSnapshot().context.reason).toBe('the signature does not prove the key')
    expect(s.calls.attachAgent).toBe(0)
  })

  it('closes and cuts with code 7 on Auth before Hello', () => {
    const { actor, calls } = start()
    actor.send({ type: 'auth.received' })
    expect(actor.getSnapshot().value).toBe('closed')
    expect(calls.faultAndCut.map(f => f.code)).toEqual([7])
  })

  it('counts silence past the silence timeout without a ping as a drop: active -> draining', async () => {
    const s = start()
    await activate(s)
    s.clock.increment(SILENCE_TIMEOUT - 1)
    expect(s.actor.getSnapshot().matches('active')).toBe(true)
    s.clock.increment(1)
    expect(s.actor.getSnapshot().value).toBe('draining')
    expect(s.calls.markAway).toBe(1)
    expect(s.calls.detachAgent).toBe(0)
  })

  it('restarts the silence timer on every ping', async () => {
    const s = start()
    await activate(s)
    s.clock.increment(20_000)
    s.actor.send({ type: 'ping.received' })
    s.clock.increment(20_000)
    s.actor.send({ type: 'ping.received' })
    s.clock.increment(SILENCE_TIMEOUT - 1)
    expect(s.actor.getSnapshot().matches('active')).toBe(true)
    s.clock.increment(1)
    expect(s.actor.getSnapshot().value).toBe('draining')
  })

  it('holds a dropped session for the grace period, then closes and detaches the agent', async () => {
    const s = start()
    await activate(s)
    s.actor.send({ type: 'stream.closed' })
    expect(s.actor.getSnapshot().value).toBe('draining')
    s.clock.increment(GRACE_PERIOD - 1)
    expect(s.actor.getSnapshot().value).toBe('draining')
    s.clock.increment(1)
    expect(s.actor.getSnapshot().value).toBe('closed')
    expect(s.calls.detachAgent).toBe(1)
    expect(s.calls.releaseStream).toBe(1)
  })

  it('closes a draining session that a new session replaced, without detaching the agent', async () => {
    const s = start()
    await activate(s)
    s.actor.send({ type: 'stream.closed' })
    s.actor.send({ type: 'session.replaced' })
    expect(s.actor.getSnapshot().value).toBe('closed')
    expect(s.calls.detachAgent).toBe(0)
    // The grace timer is gone with the state.
    s.clock.increment(GRACE_PERIOD)
    expect(s.calls.detachAgent).toBe(0)
  })

  it('closes an active session that a new session replaced, without detaching the agent', async () => {
    const s = start()
    await activate(s)
    s.actor.send({ type: 'session.replaced' })
    expect(s.actor.getSnapshot().value).toBe('closed')
    expect(s.calls.detachAgent).toBe(0)
  })

  it('detaches the agent on a clean close and when the relay stops', async () => {
    const a = start()
    await activate(a)
    a.actor.send({ type: 'close.received' })
    expect(a.actor.getSnapshot().value).toBe('closed')
    expect(a.calls.detachAgent).toBe(1)

    const b = start()
    await activate(b)
    b.actor.send({ type: 'stream.closed' })
    b.actor.send({ type: 'relay.stopping' })
    expect(b.actor.getSnapshot().value).toBe('closed')
    expect(b.calls.detachAgent).toBe(1)
  })

  it('closes on an invalid frame in any state, cutting with its code and reason', async () => {
    const s = start()
    await activate(s)
    s.actor.send({ type: 'frame.invalid', code: 2, reason: 'session frame is empty' })
    expect(s.actor.getSnapshot().value).toBe('closed')
    expect(s.calls.faultAndCut).toEqual([{ code: 2, reason: 'session frame is empty' }])
    expect(s.calls.detachAgent).toBe(1)
    expect(s.actor.getSnapshot().context.reason).toBe('session frame is empty')

    const h = start()
    h.actor.send({ type: 'frame.invalid', code: 4, reason: 'unknown type' })
    expect(h.actor.getSnapshot().value).toBe('closed')
    expect(h.calls.faultAndCut).toEqual([{ code: 4, reason: 'unknown type' }])
  })

  it('closes a session whose stream goes away before it is active, without a fault', () => {
    const { actor, calls } = start()
    actor.send({ type: 'hello.received', name: 'acme/research/alice/i1' })
    actor.send({ type: 'stream.closed' })
    expect(actor.getSnapshot().value).toBe('closed')
    expect(calls.faultAndCut).toEqual([])
    expect(calls.releaseStream).toBe(1)
  })
})
