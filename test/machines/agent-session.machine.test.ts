import { describe, it, expect } from 'vitest'
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { agentSessionMachine } from '../../src/machines/agent-session.machine.js'

const KEEPALIVE_INTERVAL = 750
/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }

class AuthenticationError extends Error {
  constructor (message: string) { super(message); this.name = 'AuthenticationError' }
}

interface Harness {
  actor: ReturnType<typeof createActor<typeof agentSessionMachine>>
  clock: SimulatedClock
  /** Each connect: which relay, and when on the simulated clock. */
  connects: Array<{ relay: string, at: number }>
  handshakes: number
  pings: number
  drops: number
  abandoned: number
  statuses: string[]
  /** What the next connect or handshake does: resolve, or reject with this error. */
  connectError: Error | undefined
  handshakeError: Error | undefined
  closeSent: () => void
}

function start (relays = ['r0', 'r1', 'r2'], opts: { holdClose?: boolean, connectError?: Error } = {}): Harness {
  const clock = new SimulatedClock()
  const h = { clock, connects: [], handshakes: 0, pings: 0, drops: 0, abandoned: 0, statuses: [], connectError: opts.connectError, handshakeError: undefined, closeSent: () => {} } as unknown as Harness
  const machine = agentSessionMachine.provide({
    actors: {
      connect: fromPromise<void, { relay: string }>(async ({ input }) => {
        h.connects.push({ relay: input.relay, at: clock.now() })
        if (h.connectError != null) throw h.connectError
      }),
      handshake: fromPromise<void>(async () => {
        h.handshakes++
        if (h.handshakeError != null) throw h.handshakeError
      }),
      sendClose: fromPromise<void>(async () => {
        if (opts.holdClose === true) await new Promise<void>(resolve => { h.closeSent = resolve })
      })
    },
    actions: {
      sendPing: () => { h.pings++ },
      dropConnection: () => { h.drops++ },
      abandonConnection: () => { h.abandoned++ },
      notifyStatus: (_, p) => { h.statuses.push(p.type) }
    }
  })
  h.actor = createActor(machine, { input: { relays }, clock })
  h.actor.start()
  return h
}

async function established (relays?: string[]): Promise<Harness> {
  const h = start(relays)
  await waitFor(h.actor, s => s.matches('active'), WAIT)
  return h
}

describe('agentSessionMachine', () => {
  it('connects to the first relay, handshakes and becomes active, reporting session.connected', async () => {
    const h = await established()
    expect(h.connects).toEqual([{ relay: 'r0', at: 0 }])
    expect(h.handshakes).toBe(1)
    expect(h.statuses).toEqual(['session.connected'])
    expect(h.actor.getSnapshot().context.established).toBe(true)
  })

  it('ends in closed with the error when the first connection fails, without retrying', async () => {
    const h = start(['r0', 'r1'], { connectError: new Error('dial refused') })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('closed')
    expect(h.actor.getSnapshot().context.error).toEqual({ name: 'Error', message: 'dial refused' })
    h.clock.increment(60_000)
    expect(h.connects).toHaveLength(1)
    expect(h.statuses).toEqual(['session.closed'])
  })

  it('reconnects after the stream closes, with exponential backoff capped at 5 s, rotating relays after the first retry', async () => {
    const h = await established()
    h.connectError = new Error('unreachable')
    h.actor.send({ type: 'stream.closed' })
    expect(h.actor.getSnapshot().value).toBe('reconnecting')
    expect(h.drops).toBe(1)
    const expected = [
      { delay: 100, relay: 'r0' },
      { delay: 200, relay: 'r1' },
      { delay: 400, relay: 'r2' },
      { delay: 800, relay: 'r0' },
      { delay: 1600, relay: 'r1' },
      { delay: 3200, relay: 'r2' },
      { delay: 5000, relay: 'r0' },
      { delay: 5000, relay: 'r1' }
    ]
    for (const [i, step] of expected.entries()) {
      const before = h.connects.length
      h.clock.increment(step.delay - 1)
      expect(h.connects.length, `retry ${i + 1} came before its ${step.delay} ms backoff`).toBe(before)
      h.clock.increment(1)
      expect(h.connects.length, `retry ${i + 1} did not come after ${step.delay} ms`).toBe(before + 1)
      expect(h.connects.at(-1)?.relay).toBe(step.relay)
      await waitFor(h.actor, s => s.matches('reconnecting') && s.context.attempt === i + 2, WAIT)
    }
    expect(h.statuses.filter(s => s === 'session.reconnecting')).toHaveLength(expected.length + 1)
  })

  it('resets the backoff and reports session.reconnected once a reconnect succeeds', async () => {
    const h = await established(['r0', 'r1'])
    h.connectError = new Error('unreachable')
    h.actor.send({ type: 'stream.closed' })
    h.clock.increment(100)
    await waitFor(h.actor, s => s.matches('reconnecting') && s.context.attempt === 2, WAIT)
    h.connectError = undefined
    h.clock.increment(200)
    await waitFor(h.actor, s => s.matches('active'), WAIT)
    expect(h.connects.map(c => c.relay)).toEqual(['r0', 'r0', 'r1'])
    expect(h.statuses.at(-1)).toBe('session.reconnected')
    expect(h.actor.getSnapshot().context.attempt).toBe(0)
    // A second drop starts again at 100 ms, on the same relay.
    h.actor.send({ type: 'stream.closed' })
    const at = h.clock.now()
    h.clock.increment(100)
    expect(h.connects.at(-1)).toEqual({ relay: 'r1', at: at + 100 })
  })

  it('pings on each tick that heard nothing; four such ticks in a row give the relay up as hung and move on to the next relay at once', async () => {
    const h = await established()
    h.clock.increment(KEEPALIVE_INTERVAL)
    h.clock.increment(KEEPALIVE_INTERVAL)
    h.clock.increment(KEEPALIVE_INTERVAL)
    expect(h.pings).toBe(3)
    expect(h.actor.getSnapshot().matches('active')).toBe(true)
    h.clock.increment(KEEPALIVE_INTERVAL - 1)
    expect(h.actor.getSnapshot().matches('active')).toBe(true)
    h.clock.increment(1)
    expect(h.actor.getSnapshot().value).toBe('reconnecting')
    expect(h.abandoned).toBe(1)
    expect(h.drops).toBe(1)
    expect(h.pings).toBe(3)
    expect(h.actor.getSnapshot().context.error?.name).toBe('TimeoutError')
    // Not the same relay again: a hung one would not answer a redial either.
    h.clock.increment(100)
    expect(h.connects.at(-1)).toEqual({ relay: 'r1', at: 4 * KEEPALIVE_INTERVAL + 100 })
  })

  it('with no other relay to go to, a silent relay is given twelve ticks, not four (a busy one is not worth renewing every subscription on)', async () => {
    const h = await established(['r0'])
    for (let i = 0; i < 11; i++) h.clock.increment(KEEPALIVE_INTERVAL)
    expect(h.actor.getSnapshot().matches('active')).toBe(true)
    h.clock.increment(KEEPALIVE_INTERVAL)
    expect(h.actor.getSnapshot().value).toBe('reconnecting')
    expect(h.actor.getSnapshot().context.error?.message).toMatch(/in 12 keepalive intervals/)
  })

  it('any frame from the relay counts, not only a pong: a relay heard every tick is kept, and pinged every other tick', async () => {
    const h = await established()
    for (let i = 0; i < 10; i++) {
      h.clock.increment(KEEPALIVE_INTERVAL / 2)
      h.actor.send({ type: 'traffic.received' })
      h.clock.increment(KEEPALIVE_INTERVAL / 2)
    }
    expect(h.actor.getSnapshot().matches('active')).toBe(true)
    // The relay hears the agent at least every two ticks, even while the agent only receives.
    expect(h.pings).toBe(5)
    expect(h.abandoned).toBe(0)
  })

  it('a relay silent for three ticks and then heard is kept (busy, not hung)', async () => {
    const h = await established()
    h.clock.increment(KEEPALIVE_INTERVAL)
    h.clock.increment(KEEPALIVE_INTERVAL)
    h.clock.increment(KEEPALIVE_INTERVAL)
    expect(h.actor.getSnapshot().context.silentTicks).toBe(3)
    h.clock.increment(KEEPALIVE_INTERVAL / 2)
    h.actor.send({ type: 'traffic.received' })
    h.clock.increment(KEEPALIVE_INTERVAL / 2)
    expect(h.actor.getSnapshot().context.silentTicks).toBe(0)
    // Four silent ticks from here (ticks 5 to 8): given up at the eighth.
    h.clock.increment(KEEPALIVE_INTERVAL)
    h.clock.increment(KEEPALIVE_INTERVAL)
    h.clock.increment(KEEPALIVE_INTERVAL)
    h.clock.increment(KEEPALIVE_INTERVAL - 1)
    expect(h.actor.getSnapshot().matches('active')).toBe(true)
    h.clock.increment(1)
    expect(h.clock.now()).toBe(8 * KEEPALIVE_INTERVAL)
    expect(h.actor.getSnapshot().value).toBe('reconnecting')
  })

  it('closes without retrying when a reconnect\'s handshake fails with AuthenticationError', async () => {
    const h = await established()
    h.handshakeError = new AuthenticationError('the relay refused the signature')
    h.actor.send({ type: 'stream.closed' })
    h.clock.increment(100)
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('closed')
    expect(h.actor.getSnapshot().context.error).toEqual({ name: 'AuthenticationError', message: 'the relay refused the signature' })
    const connects = h.connects.length
    h.clock.increment(60_000)
    expect(h.connects).toHaveLength(connects)
    expect(h.statuses.at(-1)).toBe('session.closed')
  })

  it('retries when a reconnect\'s handshake fails with an ordinary error', async () => {
    const h = await established()
    h.handshakeError = new Error('stream reset')
    h.actor.send({ type: 'stream.closed' })
    h.clock.increment(100)
    await waitFor(h.actor, s => s.matches('reconnecting') && s.context.attempt === 2, WAIT)
    expect(h.actor.getSnapshot().context.error).toEqual({ name: 'Error', message: 'stream reset' })
  })

  it('closes on a fatal fault with a non-retryable error and reconnects on any other fault', async () => {
    const a = await established()
    a.actor.send({ type: 'session.faulted', fatal: true, error: { name: 'InvalidNameError', message: 'bad name' } })
    expect(a.actor.getSnapshot().value).toBe('closed')
    expect(a.actor.getSnapshot().context.error).toEqual({ name: 'InvalidNameError', message: 'bad name' })

    const b = await established()
    b.actor.send({ type: 'session.faulted', fatal: true, error: { name: 'SessionFaultError', message: 'relay shutting down' } })
    expect(b.actor.getSnapshot().value).toBe('reconnecting')
  })

  it('says goodbye on session.close: active -> closing -> closed once the close is sent', async () => {
    const h = start(['r0'], { holdClose: true })
    await waitFor(h.actor, s => s.matches('active'), WAIT)
    h.actor.send({ type: 'session.close' })
    expect(h.actor.getSnapshot().value).toBe('closing')
    h.closeSent()
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('closed')
    expect(h.actor.getSnapshot().context.error).toBeUndefined()
    expect(h.statuses.at(-1)).toBe('session.closed')
  })

  it('closes at once on session.close while reconnecting, and never dials again', async () => {
    const h = await established()
    h.actor.send({ type: 'stream.closed' })
    h.actor.send({ type: 'session.close' })
    expect(h.actor.getSnapshot().value).toBe('closed')
    h.clock.increment(10_000)
    expect(h.connects).toHaveLength(1)
  })
})
