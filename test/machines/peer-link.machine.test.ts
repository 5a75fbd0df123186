import { describe, it, expect } from 'vitest'
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { peerLinkMachine } from '../../src/machines/peer-link.machine.js'

const PROBE_INTERVAL = 5_000
/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }

interface Harness {
  actor: ReturnType<typeof createActor<typeof peerLinkMachine>>
  clock: SimulatedClock
  dials: number[]
  probes: number[]
  linkUp: number
  linkDown: number
  closeLink: number
  /** Outcomes: reject the next dials / probes while these are set. */
  dialFails: boolean
  probeFails: boolean
  /** Why admission failed, each time it did. */
  admissionFailures: string[]
}

function start (opts: { dialable?: boolean, dialFails?: boolean, needsAdmission?: boolean } = {}): Harness {
  const clock = new SimulatedClock()
  const h = { clock, dials: [], probes: [], linkUp: 0, linkDown: 0, closeLink: 0, dialFails: opts.dialFails ?? false, probeFails: false, admissionFailures: [] } as unknown as Harness
  const machine = peerLinkMachine.provide({
    actors: {
      openLink: fromPromise<void, { peer: string }>(async ({ input }) => {
        expect(input.peer).toBe('peerB')
        h.dials.push(clock.now())
        if (h.dialFails) throw new Error('dial failed')
      }),
      probe: fromPromise<void, { peer: string }>(async () => {
        h.probes.push(clock.now())
        if (h.probeFails) throw new Error('ping timed out')
      })
    },
    actions: {
      linkUp: () => { h.linkUp++ },
      linkDown: () => { h.linkDown++ },
      closeLink: () => { h.closeLink++ },
      admissionFailed: (_, params) => { h.admissionFailures.push(params.reason) }
    }
  })
  h.actor = createActor(machine, { input: { peer: 'peerB', dialable: opts.dialable ?? true, needsAdmission: opts.needsAdmission }, clock })
  h.actor.start()
  return h
}

async function connected (): Promise<Harness> {
  const h = start()
  await waitFor(h.actor, s => s.matches({ connected: 'healthy' }), WAIT)
  return h
}

/** Lets the probe due now run and settle. */
async function probeRound (h: Harness, state: 'healthy' | 'degraded'): Promise<void> {
  h.clock.increment(PROBE_INTERVAL)
  await waitFor(h.actor, s => s.matches({ connected: state }) || s.matches('backoff'), WAIT)
}

describe('peerLinkMachine', () => {
  it('dials, then reports the link up when the dial succeeds', async () => {
    const h = await connected()
    expect(h.dials).toEqual([0])
    expect(h.linkUp).toBe(1)
    expect(h.linkDown).toBe(0)
  })

  it('backs off after a failed dial and redials after the backoff, doubling it each time up to 10 s', async () => {
    const h = start({ dialFails: true })
    await waitFor(h.actor, s => s.matches('backoff'), WAIT)
    expect(h.linkUp).toBe(0)
    // There was no link, so none is reported down.
    expect(h.linkDown).toBe(0)
    const delays = [200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000]
    for (const [i, delay] of delays.entries()) {
      const before = h.dials.length
      h.clock.increment(delay - 1)
      expect(h.dials.length, `redial ${i + 1} came before its ${delay} ms backoff`).toBe(before)
      h.clock.increment(1)
      expect(h.dials.length, `redial ${i + 1} did not come after ${delay} ms`).toBe(before + 1)
      await waitFor(h.actor, s => s.matches('backoff') && s.context.attempt === i + 2, WAIT)
    }
  })

  it('resets the backoff once a redial succeeds', async () => {
    const h = start({ dialFails: true })
    await waitFor(h.actor, s => s.matches('backoff'), WAIT)
    h.clock.increment(200)
    await waitFor(h.actor, s => s.matches('backoff') && s.context.attempt === 2, WAIT)
    h.dialFails = false
    h.clock.increment(400)
    await waitFor(h.actor, s => s.matches('connected'), WAIT)
    expect(h.actor.getSnapshot().context.attempt).toBe(0)
    expect(h.linkUp).toBe(1)
    h.actor.send({ type: 'link.lost' })
    const at = h.clock.now()
    h.clock.increment(200)
    expect(h.dials.at(-1)).toBe(at + 200)
  })

  it('probes a connected peer every probe interval', async () => {
    const h = await connected()
    h.clock.increment(PROBE_INTERVAL - 1)
    expect(h.probes).toEqual([])
    h.clock.increment(1)
    expect(h.probes).toEqual([PROBE_INTERVAL])
    await waitFor(h.actor, s => s.matches({ connected: 'healthy' }), WAIT)
    await probeRound(h, 'healthy')
    expect(h.probes).toEqual([PROBE_INTERVAL, 2 * PROBE_INTERVAL])
  })

  it('marks the link degraded after one failed probe and keeps its routes', async () => {
    const h = await connected()
    h.probeFails = true
    await probeRound(h, 'degraded')
    expect(h.actor.getSnapshot().matches({ connected: 'degraded' })).toBe(true)
    expect(h.actor.getSnapshot().context.failures).toBe(1)
    expect(h.linkDown).toBe(0)
  })

  it('returns to healthy and clears the failures when a probe succeeds again', async () => {
    const h = await connected()
    h.probeFails = true
    await probeRound(h, 'degraded')
    await probeRound(h, 'degraded')
    h.probeFails = false
    await probeRound(h, 'healthy')
    expect(h.actor.getSnapshot().context.failures).toBe(0)
    h.probeFails = true
    await probeRound(h, 'degraded')
    expect(h.actor.getSnapshot().matches('connected')).toBe(true)
  })

  it('drops the link after three failed probes in a row: backoff, with linkDown and closeLink called once', async () => {
    const h = await connected()
    h.probeFails = true
    await probeRound(h, 'degraded')
    await probeRound(h, 'degraded')
    expect(h.actor.getSnapshot().matches('connected')).toBe(true)
    await probeRound(h, 'degraded')
    expect(h.actor.getSnapshot().value).toBe('backoff')
    expect(h.linkDown).toBe(1)
    expect(h.closeLink).toBe(1)
    // And redials after the first backoff step.
    h.clock.increment(200)
    expect(h.dials).toEqual([0, 3 * PROBE_INTERVAL + 200])
  })

  it('goes to backoff on link.lost, reporting the link down', async () => {
    const h = await connected()
    h.actor.send({ type: 'link.lost' })
    expect(h.actor.getSnapshot().value).toBe('backoff')
    expect(h.linkDown).toBe(1)
  })

  it('does not redial a peer without an address, but dials when it dials in', async () => {
    const h = start({ dialable: false, dialFails: true })
    await waitFor(h.actor, s => s.matches('backoff'), WAIT)
    h.clock.increment(60_000)
    expect(h.dials).toEqual([0])
    expect(h.actor.getSnapshot().value).toBe('backoff')
    h.dialFails = false
    h.actor.send({ type: 'link.inbound' })
    expect(h.dials).toEqual([0, 60_000])
    await waitFor(h.actor, s => s.matches('connected'), WAIT)
    expect(h.actor.getSnapshot().context.dialable).toBe(true)
  })

  it('leaves backoff for dialing at once on link.inbound, before the backoff ends', async () => {
    const h = start({ dialFails: true })
    await waitFor(h.actor, s => s.matches('backoff'), WAIT)
    h.clock.increment(50)
    h.actor.send({ type: 'link.inbound' })
    expect(h.actor.getSnapshot().value).toBe('dialing')
    expect(h.dials).toEqual([0, 50])
  })

  it('closes for good on link.close, taking the link down if it was up', async () => {
    const h = await connected()
    h.actor.send({ type: 'link.close' })
    expect(h.actor.getSnapshot().value).toBe('closed')
    expect(h.actor.getSnapshot().status).toBe('done')
    expect(h.linkDown).toBe(1)
    expect(h.closeLink).toBe(1)
    h.clock.increment(60_000)
    expect(h.probes).toEqual([])

    const b = start({ dialFails: true })
    await waitFor(b.actor, s => s.matches('backoff'), WAIT)
    b.actor.send({ type: 'link.close' })
    expect(b.actor.getSnapshot().status).toBe('done')
    b.clock.increment(60_000)
    expect(b.dials).toEqual([0])
  })

  describe('admission (trust on)', () => {
    it('waits in admitting after the dial until the peer\'s hello passes; only then is the link up', async () => {
      const h = start({ needsAdmission: true })
      await waitFor(h.actor, s => s.matches('admitting'), WAIT)
      h.clock.increment(PROBE_INTERVAL)
      expect(h.linkUp, 'no route or announcement may flow before the peer is admitted').toBe(0)
      expect(h.probes).toEqual([])
      h.actor.send({ type: 'link.admitted' })
      expect(h.actor.getSnapshot().matches({ connected: 'healthy' })).toBe(true)
      expect(h.linkUp).toBe(1)
    })

    it('goes straight to connected when the peer was admitted while we were still dialing', async () => {
      const h = start({ needsAdmission: true })
      h.actor.send({ type: 'link.admitted' })
      await waitFor(h.actor, s => s.matches('connected'), WAIT)
      expect(h.linkUp).toBe(1)
    })

    it('a new stream from the peer must show its own hello: link.inbound clears the admission', async () => {
      const h = start({ needsAdmission: true, dialFails: true })
      h.actor.send({ type: 'link.admitted' })
      await waitFor(h.actor, s => s.matches('backoff'), WAIT)
      h.dialFails = false
      h.actor.send({ type: 'link.inbound' })
      await waitFor(h.actor, s => s.matches('admitting'), WAIT)
      expect(h.actor.getSnapshot().context.admitted).toBe(false)
      expect(h.linkUp).toBe(0)
    })

    it('backs off on a refusal, closing our stream, and backs off longer on each refusal', async () => {
      const h = start({ needsAdmission: true })
      await waitFor(h.actor, s => s.matches('admitting'), WAIT)
      h.actor.send({ type: 'link.refused' })
      expect(h.actor.getSnapshot().value).toBe('backoff')
      expect(h.closeLink).toBe(1)
      expect(h.linkUp).toBe(0)
      expect(h.linkDown, 'a link that never came up is not reported down').toBe(0)
      expect(h.admissionFailures).toEqual(['refused'])
      h.clock.increment(200)
      await waitFor(h.actor, s => s.matches('admitting'), WAIT)
      h.actor.send({ type: 'link.refused' })
      const before = h.dials.length
      h.clock.increment(399)
      expect(h.dials.length, 'the second redial waits the doubled backoff').toBe(before)
      h.clock.increment(1)
      expect(h.dials.length).toBe(before + 1)
    })

    it('backs off when the peer closes our stream before admitting it, or shows no hello in time', async () => {
      const h = start({ needsAdmission: true })
      await waitFor(h.actor, s => s.matches('admitting'), WAIT)
      h.actor.send({ type: 'link.lost' })
      expect(h.actor.getSnapshot().value).toBe('backoff')
      h.clock.increment(200)
      await waitFor(h.actor, s => s.matches('admitting'), WAIT)
      h.clock.increment(10_000)
      expect(h.actor.getSnapshot().value).toBe('backoff')
      expect(h.admissionFailures).toEqual(['lost', 'timeout'])
      expect(h.linkUp).toBe(0)
    })

    it('drops a connected link whose peer is refused later (a revoked or expired credential)', async () => {
      const h = start({ needsAdmission: true })
      h.actor.send({ type: 'link.admitted' })
      await waitFor(h.actor, s => s.matches('connected'), WAIT)
      h.actor.send({ type: 'link.refused' })
      expect(h.actor.getSnapshot().value).toBe('backoff')
      expect(h.linkDown).toBe(1)
      expect(h.closeLink).toBe(1)
      expect(h.actor.getSnapshot().context.admitted).toBe(false)
    })

    it('needs no admission in open mode: connected as soon as our stream is open', async () => {
      const h = start({ needsAdmission: false })
      await waitFor(h.actor, s => s.matches('connected'), WAIT)
      expect(h.linkUp).toBe(1)
    })
  })
})
