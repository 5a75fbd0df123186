/**
 * What a scenario measures, and how it is summed up. The recorder is told of every
 * subscription, acknowledgement and delivery as the workload sees them (whatever the
 * engine), and checks as it goes:
 *
 * - a multicast subscriber must get every sequence number from the one its
 *   subscription started at up to the channel's last one, each once, in order; a
 *   sequence number seen again is a duplicate, one that skips ahead (or fills a hole
 *   late) is an order violation, and so is one that carries a different message than
 *   another subscriber got for that number;
 * - an anycast request must be answered (retries allowed); one run by two workers counts
 *   as re-executed.
 */
export interface LatencySummary { p50: number, p99: number, max: number, count: number }

export interface FaultReport {
  kind: string
  /** The relay crashed, or the relays cut off. */
  relays: number[]
  startMs: number
  endMs: number
  /** Every subscriber has every sequenced message, none twice, in order. */
  recovered: boolean
  /** From the end of the fault until every subscriber had every message sequenced before it. */
  recoveryMs: number | null
  /** Times a slow consumer was cut off by its relay (slow-consumer). */
  cutOffs?: number
}

export interface Metrics {
  engine: string
  topology: string
  relays: number
  agents: number
  seed: string
  /** Traffic time (ms). */
  durationMs: number
  deliveryRatio: number
  duplicates: number
  orderViolations: number
  /** Multicast: from the publish call to the subscriber reading it (ms). */
  latencyMs: LatencySummary
  multicast: {
    channels: number
    subscribers: number
    published: number
    sequenced: number
    publishRetries: number
    publishFailed: number
    expected: number
    delivered: number
    orderViolationsByName: Record<string, number>
    duplicatesByName: Record<string, number>
  }
  anycast: {
    requests: number
    answered: number
    retries: number
    failed: number
    reexecuted: number
    /** Request to reply, first attempt to answer (ms). */
    rttMs: LatencySummary
  }
  churn: { leaves: number, rejoins: number }
  /** Control messages (announcements, routed acks, fetches) per delivered message; null when not measured. */
  controlPerDelivered: number | null
  traffic: Record<string, number> | null
  /** Time for every relay to know a route to every relay it can reach (ms), after start and after the fault. */
  convergenceMs: { initial: number | null, afterFault: number | null }
  fault: FaultReport | null
  /** Heap growth per relay once built and converged, in KiB (not deterministic). */
  memoryPerRelayKiB: number
  run: { wallMs: number, heapUsedMiB: number, rssMiB: number, simulatedMs?: number, events?: number }
  /** Per time bucket, for the plot. */
  series: { bucketMs: number, t: number[], delivered: number[], p50: number[], p99: number[], cumulativeRatio: number[] }
}

interface SubState {
  channel: number
  start: number
  next: number
  holes?: Set<number>
  delivered: number
  caughtUpAt?: number
}

class Samples {
  values = new Float64Array(1024)
  buckets = new Uint32Array(1024)
  length = 0
  add (v: number, bucket: number): void {
    if (this.length === this.values.length) {
      const nv = new Float64Array(this.length * 2); nv.set(this.values); this.values = nv
      const nb = new Uint32Array(this.length * 2); nb.set(this.buckets); this.buckets = nb
    }
    this.values[this.length] = v
    this.buckets[this.length] = bucket
    this.length++
  }
}

export function summarize (values: Float64Array | number[]): LatencySummary {
  const a = Float64Array.from(values).sort()
  const n = a.length
  if (n === 0) return { p50: 0, p99: 0, max: 0, count: 0 }
  const at = (q: number): number => round(a[Math.min(n - 1, Math.floor(q * n))] as number)
  return { p50: at(0.5), p99: at(0.99), max: round(a[n - 1] as number), count: n }
}

export function round (v: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

export class Recorder {
  readonly channels: string[]
  readonly bucketMs: number
  private readonly subs = new Map<string, SubState>()
  private readonly seqMsg: Array<Map<number, number>>
  private readonly heads: number[]
  private readonly dupByChannel: number[]
  private readonly violByChannel: number[]
  private readonly mc = new Samples()
  private readonly rtt = new Samples()
  private readonly requestsFirstSent = new Map<number, number>()
  private readonly answered = new Set<number>()
  private readonly executions = new Map<number, number>()
  private recoverySnapshot?: { at: number, heads: number[] }
  /** Engine time at which traffic started: the series' time base. */
  origin = 0
  published = 0
  publishRetries = 0
  publishFailed = 0
  requestRetries = 0
  requestFailed = 0
  leaves = 0
  rejoins = 0

  constructor (channels: string[], bucketMs: number) {
    this.channels = channels
    this.bucketMs = bucketMs
    this.seqMsg = channels.map(() => new Map())
    this.heads = channels.map(() => 0)
    this.dupByChannel = channels.map(() => 0)
    this.violByChannel = channels.map(() => 0)
  }

  private bucket (at: number): number { return Math.max(0, Math.floor((at - this.origin) / this.bucketMs)) }

  /** A subscriber's first subscription: it is owed every sequence number from `start`. */
  subscribed (agent: number, channel: number, start: number): void {
    const key = `${agent}:${channel}`
    if (!this.subs.has(key)) this.subs.set(key, { channel, start, next: start, delivered: 0 })
  }

  private noteSeq (channel: number, seq: number, msg: number): boolean {
    const known = this.seqMsg[channel]?.get(seq)
    if (known == null) {
      this.seqMsg[channel]?.set(seq, msg)
      if (seq > (this.heads[channel] as number)) this.heads[channel] = seq
      return true
    }
    return known === msg
  }

  acked (channel: number, seq: number, msg: number): void {
    if (!this.noteSeq(channel, seq, msg)) this.violByChannel[channel] = (this.violByChannel[channel] as number) + 1
  }

  delivered (agent: number, channel: number, seq: number, msg: number, sentAt: number, at: number): void {
    const s = this.subs.get(`${agent}:${channel}`)
    if (s == null) return
    if (!this.noteSeq(channel, seq, msg)) this.violByChannel[channel] = (this.violByChannel[channel] as number) + 1
    if (seq === s.next) {
      s.next++
      s.delivered++
    } else if (seq > s.next) {
      this.violByChannel[channel] = (this.violByChannel[channel] as number) + 1
      s.holes ??= new Set()
      for (let k = s.next; k < seq && s.holes.size < 100_000; k++) s.holes.add(k)
      s.next = seq + 1
      s.delivered++
    } else if (seq >= s.start && s.holes?.delete(seq) === true) {
      this.violByChannel[channel] = (this.violByChannel[channel] as number) + 1
      s.delivered++
    } else {
      this.dupByChannel[channel] = (this.dupByChannel[channel] as number) + 1
      return
    }
    this.mc.add(at - sentAt, this.bucket(at))
    const snap = this.recoverySnapshot
    if (snap != null && s.caughtUpAt == null && s.next > (snap.heads[channel] as number) && (s.holes?.size ?? 0) === 0) s.caughtUpAt = at
  }

  requestSent (msg: number, at: number): void { this.requestsFirstSent.set(msg, at) }
  executed (msg: number): void { this.executions.set(msg, (this.executions.get(msg) ?? 0) + 1) }
  answeredRequest (msg: number, at: number): void {
    if (this.answered.has(msg)) return
    this.answered.add(msg)
    const sent = this.requestsFirstSent.get(msg)
    if (sent != null) this.rtt.add(at - sent, this.bucket(at))
  }

  /** From now on, track when every subscriber has everything sequenced so far. */
  markRecovery (at: number): void {
    this.recoverySnapshot = { at, heads: [...this.heads] }
    for (const s of this.subs.values()) {
      if (s.next > (this.heads[s.channel] as number) && (s.holes?.size ?? 0) === 0) s.caughtUpAt = at
      else s.caughtUpAt = undefined
    }
  }

  /** Every subscriber has every sequence number up to its channel's head, none missing. */
  allCaughtUp (): boolean {
    for (const s of this.subs.values()) {
      if (s.next <= (this.heads[s.channel] as number) || (s.holes?.size ?? 0) > 0) return false
    }
    return true
  }

  get pendingRequests (): number { return this.requestsFirstSent.size - this.answered.size - this.requestFailed }

  recoveryMs (): number | null {
    const snap = this.recoverySnapshot
    if (snap == null) return null
    let last = snap.at
    for (const s of this.subs.values()) {
      if (s.caughtUpAt == null) return null
      if (s.caughtUpAt > last) last = s.caughtUpAt
    }
    return round(last - snap.at)
  }

  /** Sums up what was recorded. */
  summary (): Pick<Metrics, 'deliveryRatio' | 'duplicates' | 'orderViolations' | 'latencyMs' | 'multicast' | 'anycast' | 'churn' | 'series'> {
    let expected = 0
    let delivered = 0
    for (const s of this.subs.values()) {
      const head = this.heads[s.channel] as number
      if (head >= s.start) expected += head - s.start + 1
      delivered += Math.min(s.delivered, Math.max(0, head - s.start + 1))
    }
    const sequenced = this.seqMsg.reduce((n, m) => n + m.size, 0)
    const requests = this.requestsFirstSent.size
    const answered = this.answered.size
    let reexecuted = 0
    for (const n of this.executions.values()) if (n > 1) reexecuted++
    const total = expected + requests
    const byName = (arr: number[]): Record<string, number> => Object.fromEntries(this.channels.map((c, i) => [c, arr[i] as number]))
    const duplicates = this.dupByChannel.reduce((a, b) => a + b, 0)
    const orderViolations = this.violByChannel.reduce((a, b) => a + b, 0)
    return {
      deliveryRatio: total === 0 ? 1 : round((delivered + answered) / total, 6),
      duplicates,
      orderViolations,
      latencyMs: summarize(this.mc.values.subarray(0, this.mc.length)),
      multicast: {
        channels: this.channels.length,
        subscribers: this.subs.size,
        published: this.published,
        sequenced,
        publishRetries: this.publishRetries,
        publishFailed: this.publishFailed,
        expected,
        delivered,
        orderViolationsByName: byName(this.violByChannel),
        duplicatesByName: byName(this.dupByChannel)
      },
      anycast: { requests, answered, retries: this.requestRetries, failed: this.requestFailed, reexecuted, rttMs: summarize(this.rtt.values.subarray(0, this.rtt.length)) },
      churn: { leaves: this.leaves, rejoins: this.rejoins },
      series: this.series(expected + requests)
    }
  }

  private series (total: number): Metrics['series'] {
    let nb = 1
    for (let i = 0; i < this.mc.length; i++) nb = Math.max(nb, (this.mc.buckets[i] as number) + 1)
    for (let i = 0; i < this.rtt.length; i++) nb = Math.max(nb, (this.rtt.buckets[i] as number) + 1)
    const per: number[][] = Array.from({ length: nb }, () => [])
    const counts = new Array<number>(nb).fill(0)
    for (let i = 0; i < this.mc.length; i++) {
      const b = this.mc.buckets[i] as number
      per[b]?.push(this.mc.values[i] as number)
      counts[b] = (counts[b] as number) + 1
    }
    for (let i = 0; i < this.rtt.length; i++) {
      const b = this.rtt.buckets[i] as number
      counts[b] = (counts[b] as number) + 1
    }
    let cum = 0
    const out: Metrics['series'] = { bucketMs: this.bucketMs, t: [], delivered: [], p50: [], p99: [], cumulativeRatio: [] }
    for (let b = 0; b < nb; b++) {
      const s = summarize(per[b] ?? [])
      cum += counts[b] as number
      out.t.push(b * this.bucketMs)
      out.delivered.push(counts[b] as number)
      out.p50.push(s.p50)
      out.p99.push(s.p99)
      out.cumulativeRatio.push(total === 0 ? 1 : round(cum / total, 4))
    }
    return out
  }
}

/** The metrics as an aligned two-column table. */
export function formatTable (m: Metrics): string {
  const f = (v: number | null | undefined, unit = ''): string => v == null ? 'n/a' : `${v}${unit}`
  const lat = (l: LatencySummary): string => `p50 ${l.p50} / p99 ${l.p99} / max ${l.max} ms (${l.count})`
  const rows: Array<[string, string]> = [
    ['engine', `${m.engine} (${m.topology}, seed ${m.seed})`],
    ['relays / agents', `${m.relays} / ${m.agents}`],
    ['traffic time', `${m.durationMs} ms`],
    ['delivery ratio', String(m.deliveryRatio)],
    ['duplicates', String(m.duplicates)],
    ['order violations', `${m.orderViolations} (${Object.entries(m.multicast.orderViolationsByName).map(([k, v]) => `${k}: ${v}`).join(', ')})`],
    ['multicast latency', lat(m.latencyMs)],
    ['multicast', `${m.multicast.sequenced} sequenced on ${m.multicast.channels} names, ${m.multicast.delivered}/${m.multicast.expected} deliveries to ${m.multicast.subscribers} subscribers; ${m.multicast.publishRetries} retries, ${m.multicast.publishFailed} failed`],
    ['anycast', `${m.anycast.answered}/${m.anycast.requests} answered, ${m.anycast.retries} retries, ${m.anycast.failed} failed, ${m.anycast.reexecuted} re-executed`],
    ['anycast round trip', lat(m.anycast.rttMs)],
    ['churn', `${m.churn.leaves} left, ${m.churn.rejoins} came back`],
    ['control per delivery', f(m.controlPerDelivered)],
    ['route convergence', `initial ${f(m.convergenceMs.initial, ' ms')}, after the fault ${f(m.convergenceMs.afterFault, ' ms')}`],
    ['fault', m.fault == null ? 'none' : `${m.fault.kind} of relay(s) ${m.fault.relays.join(',')} at ${m.fault.startMs}-${m.fault.endMs} ms: ${m.fault.recovered ? 'recovered' : 'NOT recovered'}${m.fault.recoveryMs != null ? ` in ${m.fault.recoveryMs} ms` : ''}${m.fault.cutOffs != null ? `, ${m.fault.cutOffs} cut-offs` : ''}`],
    ['memory per relay', `${m.memoryPerRelayKiB} KiB`],
    ['run', `${m.run.wallMs} ms wall, heap ${m.run.heapUsedMiB} MiB, rss ${m.run.rssMiB} MiB${m.run.simulatedMs != null ? `, ${m.run.simulatedMs} ms simulated, ${m.run.events ?? 0} events` : ''}`]
  ]
  const w = Math.max(...rows.map(r => r[0].length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}
