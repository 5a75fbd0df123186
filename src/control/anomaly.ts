/**
 * Explainable anomaly detection over the relays' heartbeats. Pure: the caller passes the
 * time in. Each `RelaySummary` is turned into series, each series has its own `Baseline`
 * (EWMA, EW variance, z-score, warm-up, floor, hysteresis: see baseline.ts), and an
 * alert says in words what is off, with the figures.
 *
 * | kind | subject | value | default floor |
 * | --- | --- | --- | --- |
 * | `publish-rate` | `agent:<name>` | messages/s from `publishesByAgent` | 20/s |
 * | `denials` | `relay:<id>` | policy refusals/s (all rules; the reason names the top one) | 5/s |
 * | `auth-failures` | `relay:<id>` | refused handshakes/s | 2/s |
 * | `sequencer-lag` | `name:<name>` (per relay) | messages behind the head (a gauge) | 100 |
 * | `event-loop-delay` | `relay:<id>` | ms, p99 (a gauge) | 100 ms |
 * | `link-flaps` | `link:<a>-<b>` (per reporting relay) | times down per minute, over ≥ 30 s | 5/min |
 * | `relay-silent` | `relay:<id>` | ms since its last report (`checkSilence`) | the timeout |
 *
 * Rates come from the deltas of a relay's counters between its summaries, over the
 * relay's own clock (`summary.at`). A new `startedAt` (or a counter going backwards)
 * means the relay restarted: its previous counters are forgotten and nothing alerts.
 */
import { Baseline } from './baseline.js'
import type { BaselineOptions } from './baseline.js'
import type { Alert, RelaySummary } from './types.js'

export type AlertChange = { type: 'alert.raised' | 'alert.ended', alert: Alert }

export type SeriesKind = 'publish-rate' | 'denials' | 'auth-failures' | 'sequencer-lag' | 'event-loop-delay' | 'link-flaps'

export interface AnomalyDetectorOptions {
  /** Per kind: baseline options over the defaults below. */
  series?: Partial<Record<SeriesKind, BaselineOptions>>
  /** Link flap rates are taken over at least this long, so one flap is not a storm (default 30 s). */
  flapWindowMs?: number
  /** Ended alerts kept for `history` (default 1000). */
  historyLimit?: number
}

const DEFAULTS: Record<SeriesKind, BaselineOptions> = {
  'publish-rate': { floor: 20, minStd: 1 },
  denials: { floor: 5, minStd: 0.5 },
  'auth-failures': { floor: 2, minStd: 0.5 },
  'sequencer-lag': { floor: 100, minStd: 5 },
  'event-loop-delay': { floor: 100, minStd: 5 },
  'link-flaps': { floor: 5, minStd: 1 }
}

interface Series { kind: SeriesKind, subject: string, relay?: string, baseline: Baseline }
interface Counter { value: number, at: number }
interface RelayState { startedAt: number, counters: Map<string, Counter>, rules: Record<string, number> }

const f1 = (x: number): string => x.toFixed(1)
const f0 = (x: number): string => x.toFixed(0)

export class AnomalyDetector {
  private readonly series = new Map<string, Series>()
  private readonly relays = new Map<string, RelayState>()
  private readonly on = new Map<string, Alert>()
  private readonly past: Alert[] = []
  private readonly options: AnomalyDetectorOptions

  constructor (options: AnomalyDetectorOptions = {}) {
    this.options = options
  }

  /** Takes in one heartbeat's summary of `relay`, received at `at`; returns the alerts it raised or ended. */
  observeSummary (relay: string, summary: RelaySummary, at: number): AlertChange[] {
    const changes: AlertChange[] = []
    const silent = this.on.get(`relay-silent|relay:${relay}`)
    if (silent != null) changes.push(this.end(`relay-silent|relay:${relay}`, silent, at))

    let state = this.relays.get(relay)
    if (state == null || state.startedAt !== summary.startedAt) {
      state = { startedAt: summary.startedAt, counters: new Map(), rules: { ...summary.denials } }
      this.relays.set(relay, state)
    }
    const st = state
    const rate = (key: string, value: number, perMs: number, minWindowMs = 0): number | undefined => {
      const prev = st.counters.get(key)
      if (prev == null || value < prev.value) { st.counters.set(key, { value, at: summary.at }); return undefined }
      const dt = summary.at - prev.at
      if (dt <= 0 || dt < minWindowMs) return undefined
      st.counters.set(key, { value, at: summary.at })
      return (value - prev.value) / dt * perMs
    }

    for (const [agent, total] of Object.entries(summary.publishesByAgent)) {
      const r = rate(`agent:${agent}`, total, 1000)
      if (r != null) {
        this.feed(changes, 'publish-rate', `agent:${agent}`, undefined, r, at, relay,
          (v, b, z) => `publish rate ${f1(v)}/s from ${agent} against a baseline of ${f1(b)}/s (z ${f1(z)})`)
      }
    }

    const denialTotal = Object.values(summary.denials).reduce((s, x) => s + x, 0)
    const denials = rate('denials', denialTotal, 1000)
    if (denials != null) {
      const top = topRule(st.rules, summary.denials)
      st.rules = { ...summary.denials }
      this.feed(changes, 'denials', `relay:${relay}`, undefined, denials, at, relay,
        (v, b, z) => `policy denials ${f1(v)}/s at relay ${relay}${top != null ? `, mostly ${top}` : ''}, against a baseline of ${f1(b)}/s (z ${f1(z)})`)
    }

    const auth = rate('auth', summary.authFailures, 1000)
    if (auth != null) {
      this.feed(changes, 'auth-failures', `relay:${relay}`, undefined, auth, at, relay,
        (v, b, z) => `handshake failures ${f1(v)}/s at relay ${relay} against a baseline of ${f1(b)}/s (z ${f1(z)})`)
    }

    for (const s of summary.sequencers) {
      this.feed(changes, 'sequencer-lag', `name:${s.name}`, relay, s.lag, at, relay,
        (v, b, z) => `delivery of ${s.name} at relay ${relay} is ${f0(v)} messages behind the head ${s.head}, against a baseline of ${f0(b)} (z ${f1(z)})`)
    }

    this.feed(changes, 'event-loop-delay', `relay:${relay}`, undefined, summary.eventLoopDelayMs, at, relay,
      (v, b, z) => `event-loop delay ${f0(v)} ms at relay ${relay} against a baseline of ${f0(b)} ms (z ${f1(z)})`)

    for (const l of summary.links) {
      const r = rate(`flaps:${l.peer}`, l.flaps, 60_000, this.options.flapWindowMs ?? 30_000)
      if (r != null) {
        const [a, b] = relay < l.peer ? [relay, l.peer] : [l.peer, relay]
        this.feed(changes, 'link-flaps', `link:${a}-${b}`, relay, r, at, relay,
          (v, base, z) => `link ${a}-${b} went down ${f1(v)} times/min (reported by ${relay}) against a baseline of ${f1(base)}/min (z ${f1(z)})`)
      }
    }
    return changes
  }

  /**
   * Raises `relay-silent` for each relay whose last report (`lastSeen`, ms) is more than
   * `timeoutMs` before `at`, and ends it for one that reported since.
   */
  checkSilence (at: number, lastSeen: Map<string, number>, timeoutMs: number): AlertChange[] {
    const changes: AlertChange[] = []
    for (const [relay, seen] of lastSeen) {
      const key = `relay-silent|relay:${relay}`
      const alert = this.on.get(key)
      const silentFor = at - seen
      if (silentFor > timeoutMs && alert == null) {
        const raised: Alert = {
          id: `relay-silent:relay:${relay}:${at}`,
          kind: 'relay-silent',
          subject: `relay:${relay}`,
          relay,
          reason: `relay ${relay} has not reported for ${f1(silentFor / 1000)} s (timeout ${f1(timeoutMs / 1000)} s)`,
          value: silentFor,
          baseline: timeoutMs,
          startedAt: at
        }
        this.on.set(key, raised)
        changes.push({ type: 'alert.raised', alert: raised })
      } else if (silentFor <= timeoutMs && alert != null) {
        changes.push(this.end(key, alert, at))
      }
    }
    return changes
  }

  /** Alerts on now, oldest first. */
  active (): Alert[] {
    return [...this.on.values()].sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1))
  }

  /** The latest alerts, on or ended, newest first. */
  history (limit = 100): Alert[] {
    const all = [...this.past, ...this.on.values()].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? -1 : 1))
    return all.slice(0, limit)
  }

  /** Feeds one value to the series `kind|subject` (or `kind|subject|perRelay`: one series per reporting relay). */
  private feed (changes: AlertChange[], kind: SeriesKind, subject: string, perRelay: string | undefined, value: number, at: number, reporter: string,
    reason: (value: number, baseline: number, z: number) => string): void {
    const key = perRelay != null ? `${kind}|${subject}|${perRelay}` : `${kind}|${subject}`
    let s = this.series.get(key)
    if (s == null) {
      s = { kind, subject, relay: perRelay, baseline: new Baseline({ ...DEFAULTS[kind], ...this.options.series?.[kind] }) }
      this.series.set(key, s)
    }
    const step = s.baseline.observe(value)
    if (step.raised) {
      const alert: Alert = {
        id: `${kind}:${subject}${perRelay != null ? `@${perRelay}` : ''}:${at}`,
        kind,
        subject,
        relay: reporter,
        reason: reason(value, step.baseline, step.z),
        value,
        baseline: step.baseline,
        startedAt: at
      }
      this.on.set(key, alert)
      changes.push({ type: 'alert.raised', alert })
    } else if (step.ended) {
      const alert = this.on.get(key)
      if (alert != null) changes.push(this.end(key, alert, at))
    }
  }

  private end (key: string, alert: Alert, at: number): AlertChange {
    this.on.delete(key)
    const ended: Alert = { ...alert, endedAt: at }
    this.past.push(ended)
    const limit = this.options.historyLimit ?? 1000
    if (this.past.length > limit) this.past.splice(0, this.past.length - limit)
    return { type: 'alert.ended', alert: ended }
  }
}

/** The rule whose count grew most between two snapshots. */
function topRule (before: Record<string, number>, now: Record<string, number>): string | undefined {
  let best: string | undefined
  let most = 0
  for (const [rule, n] of Object.entries(now)) {
    const d = n - (before[rule] ?? 0)
    if (d > most) { most = d; best = rule }
  }
  return best
}
