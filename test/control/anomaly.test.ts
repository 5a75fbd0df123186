/**
 * Anomaly detection: steady series stay quiet, a spike raises an alert that names its
 * subject and figures and ends when the value returns, restarts and quiet series do not
 * alert, silence raises relay-silent until the relay reports again.
 */
import { describe, it, expect } from 'vitest'
import { AnomalyDetector } from '../../src/control/anomaly.js'
import type { AlertChange } from '../../src/control/anomaly.js'
import { Baseline } from '../../src/control/baseline.js'
import type { RelaySummary } from '../../src/control/types.js'
import { createRng } from '../../sims/prng.js'

const T0 = Date.UTC(2025, 0, 1)
const modes = { anycast: 0, multicast: 0, unicast: 0 }

function summary (at: number, o: Partial<RelaySummary> = {}): RelaySummary {
  return {
    at, startedAt: T0, sessions: 3, messagesIn: modes, messagesOut: modes, deliveries: 0, acks: 0,
    denials: {}, authFailures: 0, publishesByAgent: {}, sequencers: [], eventLoopDelayMs: 5,
    queuedBytes: 0, slowConsumersCut: 0, links: [], ...o
  }
}

/** A relay whose agents publish at the given rates (per second, per agent), one summary a second. */
class FakeRelay {
  totals: Record<string, number> = {}
  t = T0
  startedAt = T0
  denials: Record<string, number> = {}
  auth = 0
  flaps = 0
  constructor (readonly id: string, readonly detector: AnomalyDetector) {}

  tick (rates: Record<string, number>, o: Partial<RelaySummary> = {}): AlertChange[] {
    this.t += 1000
    for (const [agent, r] of Object.entries(rates)) this.totals[agent] = (this.totals[agent] ?? 0) + r
    return this.detector.observeSummary(this.id, summary(this.t, {
      startedAt: this.startedAt, publishesByAgent: { ...this.totals }, denials: { ...this.denials }, authFailures: this.auth, ...o
    }), this.t)
  }
}

const raised = (cs: AlertChange[]): AlertChange[] => cs.filter(c => c.type === 'alert.raised')

describe('Baseline', () => {
  it('waits for the warm-up, respects the floor, raises at z 4 and ends after 3 calm samples', () => {
    const b = new Baseline({ floor: 20 })
    expect(b.observe(10).raised).toBe(false)
    expect(b.observe(500).raised).toBe(false) // warm-up: second sample
    const c = new Baseline({ floor: 20 })
    for (let i = 0; i < 10; i++) c.observe(0)
    expect(c.observe(15).raised).toBe(false) // under the floor, though z is 15
    const e = new Baseline({ floor: 20 })
    for (let i = 0; i < 10; i++) expect(e.observe(20 + (i % 2)).raised).toBe(false)
    const up = e.observe(200)
    expect(up.raised).toBe(true)
    expect(up.z).toBeGreaterThanOrEqual(4)
    expect(e.observe(190).active).toBe(true)
    expect(e.observe(20).ended).toBe(false)
    expect(e.observe(20).ended).toBe(false)
    expect(e.observe(20).ended).toBe(true)
  })
})

describe('AnomalyDetector', () => {
  it('never alerts on steady noisy rates', () => {
    const d = new AnomalyDetector()
    const relay = new FakeRelay('relay-a', d)
    const rng = createRng(4)
    const changes: AlertChange[] = []
    for (let i = 0; i < 300; i++) changes.push(...relay.tick({ 'acme/x/y/a1': 50 + rng.int(11) - 5, 'acme/x/y/b2': 200 + rng.int(21) - 10 }, { eventLoopDelayMs: 10 + rng.int(5) }))
    expect(changes).toEqual([])
    expect(d.active()).toEqual([])
  })

  it('raises an alert naming the spiking agent only, keeps it while the spike lasts, and ends it after the rate returns', () => {
    const d = new AnomalyDetector()
    const relay = new FakeRelay('relay-a', d)
    for (let i = 0; i < 20; i++) relay.tick({ 'acme/x/y/a1': 20, 'acme/x/y/b2': 30 })
    const spike = raised(relay.tick({ 'acme/x/y/a1': 812, 'acme/x/y/b2': 30 }))
    expect(spike).toHaveLength(1)
    const alert = spike[0]!.alert
    expect(alert).toMatchObject({ kind: 'publish-rate', subject: 'agent:acme/x/y/a1', relay: 'relay-a', value: 812 })
    expect(alert.reason).toMatch(/^publish rate 812\.0\/s from acme\/x\/y\/a1 against a baseline of 20\.0\/s \(z \d+\.\d\)$/)
    // Sustained: it stays on.
    for (let i = 0; i < 30; i++) expect(relay.tick({ 'acme/x/y/a1': 800, 'acme/x/y/b2': 30 })).toEqual([])
    expect(d.active().map(a => a.subject)).toEqual(['agent:acme/x/y/a1'])
    // Back to normal: ends after 3 calm samples.
    const ends: AlertChange[] = []
    for (let i = 0; i < 3; i++) ends.push(...relay.tick({ 'acme/x/y/a1': 20, 'acme/x/y/b2': 30 }))
    expect(ends.map(c => c.type)).toEqual(['alert.ended'])
    expect(ends[0]!.alert.id).toBe(alert.id)
    expect(ends[0]!.alert.endedAt).toBe(relay.t)
    expect(d.active()).toEqual([])
    expect(d.history(10)[0]).toMatchObject({ id: alert.id, endedAt: relay.t })
  })

  it('raises nothing when a relay restarts and its counters start again from 0', () => {
    const d = new AnomalyDetector()
    const relay = new FakeRelay('relay-a', d)
    relay.auth = 0
    for (let i = 0; i < 20; i++) { relay.auth += 1; relay.denials = { 'publish-grant': i * 2 }; relay.tick({ 'acme/x/y/a1': 40 }) }
    relay.startedAt = relay.t + 500
    relay.totals = {}
    relay.auth = 0
    relay.denials = {}
    const changes: AlertChange[] = []
    for (let i = 0; i < 5; i++) changes.push(...relay.tick({ 'acme/x/y/a1': 40 }))
    // A restart that keeps counting from a large total under a new startedAt does not alert either.
    relay.startedAt += 10_000
    relay.totals = { 'acme/x/y/a1': 1_000_000 }
    changes.push(...relay.tick({ 'acme/x/y/a1': 40 }))
    expect(changes).toEqual([])
  })

  it('holds the floors: a quiet series going from 0 to 2 does not alert, nor does one flap', () => {
    const d = new AnomalyDetector()
    const relay = new FakeRelay('relay-a', d)
    for (let i = 0; i < 20; i++) relay.tick({ 'acme/x/y/a1': 0 })
    const changes: AlertChange[] = []
    for (let i = 0; i < 5; i++) changes.push(...relay.tick({ 'acme/x/y/a1': 2 }, { eventLoopDelayMs: 60 }))
    for (let i = 0; i < 60; i++) changes.push(...relay.tick({}, { links: [{ peer: 'relay-b', up: true, flaps: i === 40 ? 1 : i > 40 ? 1 : 0 }] }))
    expect(changes).toEqual([])
  })

  it('alerts on a denial storm naming the top rule, on handshake failures, on lag and event-loop delay', () => {
    const d = new AnomalyDetector()
    const relay = new FakeRelay('relay-a', d)
    const lag = (n: number): RelaySummary['sequencers'] => [{ name: 'acme/x/chat', head: 1000, lag: n, sequencer: false }]
    for (let i = 0; i < 10; i++) relay.tick({}, { sequencers: lag(2), eventLoopDelayMs: 8 })
    for (let i = 0; i < 3; i++) { relay.denials = { 'publish-grant': (relay.denials['publish-grant'] ?? 0) + 400 }; relay.auth += 50 }
    const cs = raised(relay.tick({}, { sequencers: lag(900), eventLoopDelayMs: 450 }))
    const kinds = Object.fromEntries(cs.map(c => [c.alert.kind, c.alert]))
    expect(Object.keys(kinds).sort()).toEqual(['auth-failures', 'denials', 'event-loop-delay', 'sequencer-lag'])
    expect(kinds.denials!.reason).toContain('mostly publish-grant')
    expect(kinds['sequencer-lag']!.subject).toBe('name:acme/x/chat')
    expect(kinds['event-loop-delay']!.reason).toMatch(/event-loop delay 450 ms at relay relay-a/)
  })

  it('alerts on a flapping link', () => {
    const d = new AnomalyDetector()
    const relay = new FakeRelay('relay-a', d)
    let flaps = 0
    const cs: AlertChange[] = []
    for (let i = 0; i < 400; i++) {
      if (i > 300 && i % 3 === 0) flaps++
      cs.push(...relay.tick({}, { links: [{ peer: 'relay-0', up: true, flaps }] }))
    }
    expect(raised(cs).map(c => c.alert.subject)).toEqual(['link:relay-0-relay-a'])
  })

  it('raises relay-silent for a relay that stopped reporting and ends it when it reports again', () => {
    const d = new AnomalyDetector()
    const seen = new Map([['relay-a', T0], ['relay-b', T0 + 2500]])
    expect(d.checkSilence(T0 + 2000, seen, 3000)).toEqual([])
    const up = d.checkSilence(T0 + 3500, seen, 3000)
    expect(up.map(c => [c.type, c.alert.subject])).toEqual([['alert.raised', 'relay:relay-a']])
    expect(up[0]!.alert.reason).toBe('relay relay-a has not reported for 3.5 s (timeout 3.0 s)')
    expect(d.checkSilence(T0 + 4000, seen, 3000)).toEqual([]) // raised once
    const back = d.observeSummary('relay-a', summary(T0 + 4100), T0 + 4100)
    expect(back.map(c => [c.type, c.alert.subject])).toEqual([['alert.ended', 'relay:relay-a']])
    expect(d.active()).toEqual([])
    // Or ended by the sweep once the map says it reported.
    d.checkSilence(T0 + 10_000, seen, 3000)
    seen.set('relay-b', T0 + 10_500)
    expect(d.checkSilence(T0 + 11_000, seen, 3000).map(c => [c.type, c.alert.subject])).toEqual([['alert.ended', 'relay:relay-b']])
  })
})
