/**
 * The state charts the dashboard draws (`GET /v1/charts`): every machine slim-mesh runs,
 * with its states and transitions as src/charts reads them from the XState definition,
 * and the prefix of the actor names a relay reports for it (`session:alice` is a
 * relaySession, `link:<peer>` a peerLink), so a live actor can be shown on its chart.
 */
import { MACHINES } from '../charts/machines.js'
import { chartOf } from '../charts/chart.js'
import type { Chart } from '../charts/chart.js'

/**
 * Which machine an actor name is of, by its prefix: the labels the relay's actors give
 * their transitions (relay-session.actor.ts, peer-link.actor.ts, sequencer-claim.actor.ts,
 * ordered-stream.actor.ts).
 */
export const ACTOR_PREFIXES: Readonly<Record<string, string>> = {
  session: 'relaySession',
  link: 'peerLink',
  sequencer: 'sequencer',
  claim: 'sequencerClaim',
  stream: 'orderedStream',
  registration: 'registration'
}

export interface ChartView { name: string, summary: string, chart: Chart }

export interface ChartsView {
  machines: ChartView[]
  /** Actor name prefix (before the first `:`) to machine name. */
  actorPrefixes: Record<string, string>
}

let cached: ChartsView | undefined

/** Computed once: the machines do not change while the process runs. */
export function chartsView (): ChartsView {
  cached ??= {
    machines: MACHINES.map(m => ({ name: m.name, summary: m.summary, chart: chartOf(m.machine) })),
    actorPrefixes: { ...ACTOR_PREFIXES }
  }
  return cached
}
