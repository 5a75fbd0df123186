/**
 * Live inspection: turns XState's inspection stream of one actor into transitions
 * (from, to, event), the form `slim-mesh inspect` and `connectAgent({ inspect })` show.
 * Only state changes of the actor's own machine are reported, not its invoked helpers.
 */
import type { InspectionEvent, StateValue } from 'xstate'

export type TransitionSink = (from: string, to: string, event: string) => void

/** `'active'`, or `'active.live'` for a nested state. */
export function stateName (value: StateValue): string {
  if (typeof value === 'string') return value
  const [k, v] = Object.entries(value)[0] ?? ['?', '']
  return v == null || v === '' ? k : `${k}.${stateName(v as StateValue)}`
}

/** An `inspect` option for `createActor`, or undefined when nobody listens. */
export function transitionInspector (sink?: TransitionSink): ((ev: InspectionEvent) => void) | undefined {
  if (sink == null) return undefined
  let last: string | undefined
  return (ev) => {
    // Only the root actor's own snapshots: invoked helpers have their own sessions.
    if (ev.type !== '@xstate.snapshot' || ev.actorRef.sessionId !== ev.rootId) return
    const snap = ev.snapshot as { value?: StateValue }
    if (snap.value == null) return
    const now = stateName(snap.value)
    if (last === undefined) { last = now; sink('', now, ev.event.type); return }
    if (now !== last) { sink(last, now, ev.event.type); last = now }
  }
}
