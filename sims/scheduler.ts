/**
 * A discrete-event scheduler on simulated time. It is the `Clock` the relay logic and
 * its XState actors run on in the simulated engine: `setTimeout` puts an event on a
 * heap, and `runUntil` pops events in time order (ties in the order they were set).
 *
 * The relay logic awaits its store, so between time steps the scheduler lets promise
 * continuations run (one macrotask turn per simulated instant, not per event); events
 * those continuations set for the same instant run in the same step.
 *
 * Timers belong to an owner (a relay incarnation, say); when the owner dies its timers
 * are dropped as they come up, which is how a crash loses everything in flight.
 */
import type { Clock } from '../src/relay/clock.js'

export interface TimerOwner { alive: boolean }

export interface SimEvent {
  at: number
  seq: number
  fn: () => void
  owner?: TimerOwner
  cancelled: boolean
}

const ALWAYS: TimerOwner = { alive: true }

export class EventScheduler {
  private heap: SimEvent[] = []
  private seq = 0
  private time: number
  /** Events run so far. */
  eventsRun = 0
  /** Simulated instants stepped through. */
  steps = 0

  /** Simulated time starts at `start` (ms since the epoch, so that claims and versions look real). */
  constructor (start = Date.UTC(2025, 0, 1)) {
    this.time = start
  }

  now (): number { return this.time }

  /** A clock whose timers die with `owner`. */
  clock (owner: TimerOwner = ALWAYS): Clock {
    return {
      now: () => this.time,
      setTimeout: (fn, ms) => this.at(this.time + Math.max(0, ms), fn, owner),
      clearTimeout: (handle) => { if (handle != null) (handle as SimEvent).cancelled = true }
    }
  }

  /** Runs `fn` at absolute simulated time `at`. */
  at (at: number, fn: () => void, owner?: TimerOwner): SimEvent {
    const ev: SimEvent = { at: Math.max(at, this.time), seq: this.seq++, fn, owner, cancelled: false }
    this.push(ev)
    return ev
  }

  get pending (): number { return this.heap.length }

  /** The time of the next event, if any. */
  peek (): number | undefined { return this.heap[0]?.at }

  /**
   * Runs every event up to and including `until`, then sets the time to `until`.
   * `onStep` is called after each simulated instant (for progress).
   */
  async runUntil (until: number, onStep?: (now: number) => void): Promise<void> {
    await drain()
    for (;;) {
      const top = this.heap[0]
      if (top == null || top.at > until) break
      this.time = top.at
      this.steps++
      // Every event at this instant, including ones set by continuations of this instant.
      for (;;) {
        while (this.heap[0] != null && (this.heap[0] as SimEvent).at <= this.time) {
          const ev = this.pop() as SimEvent
          if (ev.cancelled || ev.owner?.alive === false) continue
          this.eventsRun++
          ev.fn()
        }
        await drain()
        const next = this.heap[0]
        if (next == null || next.at > this.time) break
      }
      onStep?.(this.time)
    }
    if (until > this.time) this.time = until
  }

  private push (ev: SimEvent): void {
    const h = this.heap
    h.push(ev)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(ev, h[p] as SimEvent)) break
      h[i] = h[p] as SimEvent
      i = p
    }
    h[i] = ev
  }

  private pop (): SimEvent | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (top == null || last == null || h.length === 0) return top
    let i = 0
    const n = h.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && before(h[r] as SimEvent, h[l] as SimEvent) ? r : l
      if (!before(h[c] as SimEvent, last)) break
      h[i] = h[c] as SimEvent
      i = c
    }
    h[i] = last
    return top
  }
}

function before (a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/** Lets every pending promise continuation run (one macrotask turn). */
async function drain (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(resolve) })
}
