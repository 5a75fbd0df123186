/**
 * A history of multicast publishes and deliveries, and a checker in the style of
 * Jepsen's: the test records what every client tried and what it was told (invoke, then
 * ok with a sequence number, fail, or unknown), and every message each subscriber got;
 * `checkHistory` then looks for what a mesh must never do to an acknowledged message.
 *
 * Only `ok` is a promise: a publish that failed or timed out may or may not have been
 * sequenced (a typed error after the sequencer archived it, a timeout whose ack was on
 * its way), so its message may be delivered, or not, but must not be delivered twice or
 * out of order either.
 */

export type PublishStatus = 'invoke' | 'ok' | 'fail' | 'unknown'

export interface PublishOp {
  name: string
  client: string
  /** Unique per name: what deliveries are matched by. */
  payload: string
  status: PublishStatus
  seq?: number
  error?: string
  invokedAt: number
  completedAt?: number
}

export interface Delivery { name: string, subscriber: string, payload: string, seq: number, at: number }

/** Which names a subscriber reads, and from which sequence number on it must see every acknowledged message. */
export interface SubscriberEntry { name: string, subscriber: string, fromSeq: number }

export interface History {
  publishes: PublishOp[]
  deliveries: Delivery[]
  subscribers: SubscriberEntry[]
}

export interface Anomalies {
  /** Acknowledged at `seq`, and missing at a subscriber that reads the name from before `seq`. */
  lost: Array<{ name: string, subscriber: string, payload: string, seq: number }>
  /** Delivered more than once to one subscriber. */
  duplicated: Array<{ name: string, subscriber: string, payload: string, count: number }>
  /**
   * Out of order: a subscriber's sequence numbers not strictly increasing, two payloads
   * at one sequence number (across subscribers or acknowledgements), or a payload
   * delivered at another number than it was acknowledged with.
   */
  reordered: Array<{ name: string, subscriber?: string, seq: number, detail: string }>
  /** Delivered, and never published to that name. */
  unexpected: Array<{ name: string, subscriber: string, payload: string, seq: number }>
}

export class HistoryRecorder implements History {
  readonly publishes: PublishOp[] = []
  readonly deliveries: Delivery[] = []
  readonly subscribers: SubscriberEntry[] = []

  invoke (name: string, client: string, payload: string): PublishOp {
    const op: PublishOp = { name, client, payload, status: 'invoke', invokedAt: Date.now() }
    this.publishes.push(op)
    return op
  }

  ok (op: PublishOp, seq: number): void { this.complete(op, 'ok', { seq }) }
  fail (op: PublishOp, error: string): void { this.complete(op, 'fail', { error }) }
  unknown (op: PublishOp, error?: string): void { this.complete(op, 'unknown', error != null ? { error } : {}) }

  private complete (op: PublishOp, status: PublishStatus, fields: Partial<PublishOp>): void {
    Object.assign(op, { status, completedAt: Date.now() }, fields)
  }

  /**
   * Records one publish: `ok` with the seq it resolves with; an error whose name says the
   * outcome is not known (a timeout, an abort) is `unknown`, any other `fail`.
   */
  async publish (name: string, client: string, payload: string, run: () => Promise<{ seq?: number }>): Promise<PublishOp> {
    const op = this.invoke(name, client, payload)
    try {
      const r = await run()
      if (r.seq == null) this.unknown(op, 'acknowledged without a sequence number')
      else this.ok(op, r.seq)
    } catch (err) {
      const e = err as Error
      if (/timeout|abort/i.test(e.name)) this.unknown(op, `${e.name}: ${e.message}`)
      else this.fail(op, `${e.name}: ${e.message}`)
    }
    return op
  }

  subscribe (name: string, subscriber: string, fromSeq = 1): void {
    this.subscribers.push({ name, subscriber, fromSeq })
  }

  deliver (name: string, subscriber: string, payload: string, seq: number): void {
    this.deliveries.push({ name, subscriber, payload, seq, at: Date.now() })
  }
}

export function checkHistory (history: History): Anomalies {
  const out: Anomalies = { lost: [], duplicated: [], reordered: [], unexpected: [] }
  const published = new Map<string, Map<string, PublishOp>>()
  /** name -> seq -> the payload first seen at it (acknowledged or delivered). */
  const atSeq = new Map<string, Map<number, { payload: string, by: string }>>()
  const claim = (name: string, seq: number, payload: string, by: string, subscriber?: string): void => {
    let m = atSeq.get(name)
    if (m == null) atSeq.set(name, m = new Map())
    const first = m.get(seq)
    if (first == null) m.set(seq, { payload, by })
    else if (first.payload !== payload) out.reordered.push({ name, ...(subscriber != null ? { subscriber } : {}), seq, detail: `${by} has ${payload} at seq ${seq}, ${first.by} has ${first.payload}` })
  }

  for (const op of history.publishes) {
    let m = published.get(op.name)
    if (m == null) published.set(op.name, m = new Map())
    m.set(op.payload, op)
    if (op.status === 'ok' && op.seq != null) claim(op.name, op.seq, op.payload, `the ack to ${op.client}`)
  }

  const bySubscriber = new Map<string, Delivery[]>()
  for (const d of history.deliveries) {
    const key = JSON.stringify([d.name, d.subscriber])
    let list = bySubscriber.get(key)
    if (list == null) bySubscriber.set(key, list = [])
    list.push(d)
  }

  for (const [key, list] of bySubscriber) {
    const [name, subscriber] = JSON.parse(key) as [string, string]
    const counts = new Map<string, number>()
    let last = -Infinity
    for (const d of list) {
      counts.set(d.payload, (counts.get(d.payload) ?? 0) + 1)
      if (d.seq <= last) out.reordered.push({ name, subscriber, seq: d.seq, detail: `seq ${d.seq} (${d.payload}) after seq ${last}` })
      last = Math.max(last, d.seq)
      const op = published.get(name)?.get(d.payload)
      if (op == null) out.unexpected.push({ name, subscriber, payload: d.payload, seq: d.seq })
      else if (op.status === 'ok' && op.seq !== d.seq) out.reordered.push({ name, subscriber, seq: d.seq, detail: `${d.payload} delivered at seq ${d.seq}, acknowledged at seq ${String(op.seq)}` })
      claim(name, d.seq, d.payload, subscriber, subscriber)
    }
    for (const [payload, count] of counts) if (count > 1) out.duplicated.push({ name, subscriber, payload, count })
  }

  for (const s of history.subscribers) {
    const got = new Set((bySubscriber.get(JSON.stringify([s.name, s.subscriber])) ?? []).map(d => d.payload))
    for (const op of published.get(s.name)?.values() ?? []) {
      if (op.status !== 'ok' || op.seq == null || op.seq < s.fromSeq || got.has(op.payload)) continue
      out.lost.push({ name: s.name, subscriber: s.subscriber, payload: op.payload, seq: op.seq })
    }
  }
  return out
}

/** No anomaly of any kind. */
export function isClean (a: Anomalies): boolean {
  return a.lost.length === 0 && a.duplicated.length === 0 && a.reordered.length === 0 && a.unexpected.length === 0
}

/** A short account of a history: publishes by outcome, deliveries per subscriber, anomalies by kind (for failure messages). */
export function summarize (history: History, a: Anomalies = checkHistory(history)): string {
  const by = (s: PublishStatus): number => history.publishes.filter(p => p.status === s).length
  const subs = history.subscribers.map(s => `${s.subscriber}@${s.name}: ${history.deliveries.filter(d => d.name === s.name && d.subscriber === s.subscriber).length}`)
  const show = <T>(xs: T[]): string => `${xs.length}${xs.length > 0 ? ' ' + JSON.stringify(xs.slice(0, 5)) : ''}`
  return `publishes ok ${by('ok')} fail ${by('fail')} unknown ${by('unknown')} pending ${by('invoke')}; deliveries ${subs.join(', ')}; ` +
    `lost ${show(a.lost)} duplicated ${show(a.duplicated)} reordered ${show(a.reordered)} unexpected ${show(a.unexpected)}`
}
