import { describe, it, expect } from 'vitest'
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { orderedStreamMachine } from '../../src/machines/ordered-stream.machine.js'
import type { FillDone, FillRequest, HeadRequest, HeadSeen, LoadRequest, StreamLoaded } from '../../src/machines/ordered-stream.machine.js'
import { stateName } from '../../src/machines/inspection.js'

const GAP_WAIT = 50
const TAIL_CHECK = 250
/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }

class FetchFailedError extends Error {
  constructor (message: string) { super(message); this.name = 'FetchFailedError' }
}

interface Deferred<T> { resolve: (v: T) => void, reject: (e: Error) => void }

interface Harness {
  actor: ReturnType<typeof createActor<typeof orderedStreamMachine>>
  clock: SimulatedClock
  /** Each head request: from which sequencer, and when on the simulated clock. */
  heads: Array<HeadRequest & { at: number }>
  /** Each fill: from which sequencer, up to where, when; and whether it was cancelled since. */
  fills: Array<FillRequest & { at: number, signal: AbortSignal }>
  /** What each head request answers, first in first out; `next` is where the stream stands. */
  headReplies: Array<HeadSeen | Error>
  /** The pending fills, settled by the test. */
  pendingFills: Array<Deferred<FillDone>>
  /** Each watch of the traffic: how long a quiet it waits for, when it started, whether it still runs. */
  watches: Array<{ quietMs: number, at: number, on: boolean }>
  /** The running watch says the traffic has gone quiet. */
  quiet: () => void
  /** Each tail check: which sequencer, when. */
  tailChecks: Array<{ sequencer: string, at: number }>
  opened: StreamLoaded[]
  failures: string[]
  adopted: Array<{ from: string, to: string }>
  ahead: number
}

function start (loaded: StreamLoaded | Error = { sequencer: 'r1', next: 1, localFrom: 1, remoteHead: 0 }): Harness {
  const clock = new SimulatedClock()
  const h = { clock, heads: [], fills: [], headReplies: [], pendingFills: [], watches: [], quiet: () => {}, tailChecks: [], opened: [], failures: [], adopted: [], ahead: 0 } as unknown as Harness
  const machine = orderedStreamMachine.provide({
    actors: {
      loadStream: fromPromise<StreamLoaded, LoadRequest>(async () => {
        if (loaded instanceof Error) throw loaded
        return loaded
      }),
      fetchHead: fromPromise<HeadSeen, HeadRequest>(async ({ input }) => {
        h.heads.push({ ...input, at: clock.now() })
        const reply = h.headReplies.shift() ?? new FetchFailedError('no head reply arranged')
        if (reply instanceof Error) throw reply
        return reply
      }),
      fillRange: fromPromise<FillDone, FillRequest>(async ({ input, signal }) => {
        h.fills.push({ ...input, at: clock.now(), signal })
        return await new Promise<FillDone>((resolve, reject) => { h.pendingFills.push({ resolve, reject }) })
      })
    },
    actions: {
      openStream: (_, p) => { h.opened.push(p) },
      openFailed: (_, p) => { h.failures.push(`open: ${(p.error as Error).message}`) },
      adoptSequencer: (_, p) => { h.adopted.push(p) },
      checkTail: (_, p) => { h.tailChecks.push({ sequencer: p.sequencer, at: clock.now() }) },
      watchTraffic: (_, p) => {
        const watch = { quietMs: p.quietMs, at: clock.now(), on: true }
        h.watches.push(watch)
        h.quiet = () => { if (watch.on) h.actor.send({ type: 'traffic.quiet' }) }
      },
      unwatchTraffic: () => { for (const w of h.watches) w.on = false },
      noteAhead: () => { h.ahead++ },
      noteFailure: (_, p) => { h.failures.push(`${p.what}: ${(p.error as Error).message}`) }
    }
  })
  h.actor = createActor(machine, { input: { name: 'acme/s', self: 'me', gapWaitMs: GAP_WAIT, tailCheckMs: TAIL_CHECK }, clock })
  h.actor.start()
  return h
}

function state (h: Harness): string { return stateName(h.actor.getSnapshot().value) }

async function inState (h: Harness, name: string): Promise<void> {
  await waitFor(h.actor, s => stateName(s.value) === name, WAIT)
}

async function live (loaded?: StreamLoaded): Promise<Harness> {
  const h = start(loaded)
  await inState(h, 'open.live')
  return h
}

/** Settles the oldest pending fill. */
function settleFill (h: Harness, outcome: FillDone | Error): void {
  const fill = h.pendingFills.shift()
  if (fill == null) throw new Error('no fill is pending')
  if (outcome instanceof Error) fill.reject(outcome)
  else fill.resolve(outcome)
}

describe('orderedStreamMachine', () => {
  it('loads, opens the stream with what loading found, and goes live', async () => {
    const h = await live({ sequencer: 'r1', next: 5, localFrom: 3, remoteHead: 4 })
    expect(h.opened).toEqual([{ sequencer: 'r1', next: 5, localFrom: 3, remoteHead: 4 }])
    expect(h.actor.getSnapshot().context.sequencer).toBe('r1')
    expect(h.fills).toHaveLength(0)
  })

  it('fills at once up to the sequencer head when loading finds it ahead of the local archive', async () => {
    const h = start({ sequencer: 'r1', next: 4, localFrom: 1, remoteHead: 9 })
    await inState(h, 'open.filling')
    expect(h.fills.map(f => ({ sequencer: f.sequencer, upTo: f.upTo, at: f.at }))).toEqual([{ sequencer: 'r1', upTo: 9, at: 0 }])
  })

  it('ends in failed, reporting the error, when loading fails', async () => {
    const h = start(new FetchFailedError('the sequencer did not answer'))
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(state(h)).toBe('failed')
    expect(h.failures).toEqual(['open: the sequencer did not answer'])
    expect(h.opened).toHaveLength(0)
  })

  it('waits gapWaitMs on a gap, then fills up to the highest message held', async () => {
    const h = await live()
    h.actor.send({ type: 'gap.detected', to: 7 })
    expect(state(h)).toBe('open.gapWait')
    h.clock.increment(GAP_WAIT - 1)
    expect(h.fills).toHaveLength(0)
    h.actor.send({ type: 'gap.detected', to: 9 })
    h.clock.increment(1)
    await inState(h, 'open.filling')
    expect(h.fills.map(f => ({ upTo: f.upTo, at: f.at }))).toEqual([{ upTo: 9, at: GAP_WAIT }])
    settleFill(h, { gapRemains: false })
    // What the fill brought is traffic too: its tail is checked once it is quiet.
    await inState(h, 'open.flowing')
  })

  it('cancels the fill when the gap fills itself within gapWaitMs', async () => {
    const h = await live()
    h.actor.send({ type: 'gap.detected', to: 3 })
    h.clock.increment(GAP_WAIT / 2)
    h.actor.send({ type: 'gap.closed' })
    expect(state(h)).toBe('open.flowing')
    h.clock.increment(GAP_WAIT * 2)
    expect(h.fills).toHaveLength(0)
  })

  it('tries a failed fill again after gapWaitMs, and a fill that leaves a gap too', async () => {
    const h = await live()
    h.actor.send({ type: 'gap.detected', to: 5 })
    h.clock.increment(GAP_WAIT)
    await inState(h, 'open.filling')
    settleFill(h, new FetchFailedError('timed out'))
    await inState(h, 'open.gapWait')
    expect(h.failures).toEqual(['gap fill: timed out'])
    h.clock.increment(GAP_WAIT - 1)
    expect(h.fills).toHaveLength(1)
    h.clock.increment(1)
    await inState(h, 'open.filling')
    settleFill(h, { gapRemains: true })
    await inState(h, 'open.gapWait')
    h.clock.increment(GAP_WAIT)
    await inState(h, 'open.filling')
    expect(h.fills.map(f => f.at)).toEqual([GAP_WAIT, 2 * GAP_WAIT, 3 * GAP_WAIT])
    expect(h.fills.every(f => f.upTo === 5)).toBe(true)
  })

  it('watches the traffic while it flows, and checks the tail once it has gone quiet', async () => {
    const h = await live()
    h.actor.send({ type: 'traffic.seen' })
    expect(state(h)).toBe('open.flowing')
    expect(h.watches).toEqual([{ quietMs: TAIL_CHECK, at: 0, on: true }])
    h.clock.increment(TAIL_CHECK * 4)
    expect(state(h)).toBe('open.flowing') // flowing until the watch says otherwise
    expect(h.tailChecks).toEqual([]) // a loss while flowing shows as a gap
    h.quiet()
    expect(state(h)).toBe('open.live')
    expect(h.tailChecks).toEqual([{ sequencer: 'r1', at: 4 * TAIL_CHECK }])
    expect(h.watches[0]?.on).toBe(false)
    h.actor.send({ type: 'traffic.seen' })
    expect(h.watches.map(w => w.on)).toEqual([false, true])
    expect(h.fills).toHaveLength(0)
  })

  it('fills up to the head when the tail check finds the sequencer past the stream', async () => {
    const h = await live()
    h.actor.send({ type: 'traffic.seen' })
    h.clock.increment(TAIL_CHECK)
    h.quiet()
    h.actor.send({ type: 'head.behind', sequencer: 'r1', head: 12 })
    await inState(h, 'open.filling')
    expect(h.fills.map(f => ({ sequencer: f.sequencer, upTo: f.upTo, at: f.at }))).toEqual([{ sequencer: 'r1', upTo: 12, at: TAIL_CHECK }])
  })

  it('ignores a tail check answer from a sequencer it no longer follows', async () => {
    const h = await live()
    h.headReplies.push({ head: 5, next: 6 })
    h.actor.send({ type: 'sequencer.changed', sequencer: 'r2' })
    await inState(h, 'open.live')
    h.actor.send({ type: 'head.behind', sequencer: 'r1', head: 40 })
    expect(state(h)).toBe('open.live')
    expect(h.fills).toHaveLength(0)
  })

  it('a gap seen while flowing stops watching the traffic and waits gapWaitMs', async () => {
    const h = await live()
    h.actor.send({ type: 'traffic.seen' })
    h.actor.send({ type: 'gap.detected', to: 4 })
    expect(h.watches.map(w => w.on)).toEqual([false])
    h.clock.increment(GAP_WAIT)
    await inState(h, 'open.filling')
    expect(h.fills.map(f => f.at)).toEqual([GAP_WAIT])
  })

  it('follows a new sequencer: asks it for its head and fills from it', async () => {
    const h = await live()
    h.headReplies.push({ head: 20, next: 10 })
    h.actor.send({ type: 'sequencer.changed', sequencer: 'r2' })
    await inState(h, 'open.filling')
    expect(h.adopted).toEqual([{ from: 'r1', to: 'r2' }])
    expect(h.heads.map(q => q.sequencer)).toEqual(['r2'])
    expect(h.fills.map(f => ({ sequencer: f.sequencer, upTo: f.upTo }))).toEqual([{ sequencer: 'r2', upTo: 20 }])
  })

  it('a sequencer change during a fill cancels it and follows the new one', async () => {
    const h = await live()
    h.actor.send({ type: 'gap.detected', to: 8 })
    h.clock.increment(GAP_WAIT)
    await inState(h, 'open.filling')
    h.headReplies.push({ head: 3, next: 10 })
    h.actor.send({ type: 'sequencer.changed', sequencer: 'r2' })
    await inState(h, 'open.live')
    expect(h.fills[0]?.signal.aborted).toBe(true)
    expect(h.ahead).toBe(1) // the new sequencer is behind this stream: said, not fetched
    expect(h.fills).toHaveLength(1)
  })

  it('taking the name over itself stops fetching: no gap waits, no tail checks', async () => {
    const h = await live()
    h.actor.send({ type: 'sequencer.changed', sequencer: 'me' })
    expect(state(h)).toBe('open.live')
    h.actor.send({ type: 'gap.detected', to: 30 })
    h.actor.send({ type: 'traffic.seen' })
    h.clock.increment(TAIL_CHECK * 4)
    expect(state(h)).toBe('open.live')
    expect(h.watches).toHaveLength(0)
    expect(h.heads).toHaveLength(0)
    expect(h.fills).toHaveLength(0)
  })

  it('a sequencer change to the one it already follows is no change', async () => {
    const h = await live()
    h.actor.send({ type: 'sequencer.changed', sequencer: 'r1' })
    expect(state(h)).toBe('open.live')
    expect(h.adopted).toHaveLength(0)
    expect(h.heads).toHaveLength(0)
  })

  it('released during a fill: the fill is cancelled and nothing is fetched again', async () => {
    const h = await live()
    h.actor.send({ type: 'gap.detected', to: 8 })
    h.clock.increment(GAP_WAIT)
    await inState(h, 'open.filling')
    h.actor.send({ type: 'stream.release' })
    expect(h.actor.getSnapshot().status).toBe('done')
    expect(state(h)).toBe('released')
    expect(h.fills[0]?.signal.aborted).toBe(true)
    h.clock.increment(TAIL_CHECK * 4)
    expect(h.fills).toHaveLength(1)
    expect(h.heads).toHaveLength(0)
    expect(h.watches).toHaveLength(0)
  })
})
