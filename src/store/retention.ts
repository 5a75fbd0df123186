/**
 * Archive retention: a `Store` around another that keeps each name's archive within its
 * retention policy (by age, by bytes, by message count) and trims the oldest messages past
 * it. It keeps a small ledger per name: the archive in segments of consecutive sequence
 * numbers, each with its byte count and the time of its last message, so a policy is
 * checked without reading the archive. Trimming drops whole segments, oldest first, and
 * never the newest one, so the head (where numbering goes on) is always kept and what is
 * kept stays within the policy: a segment holds at most a sixteenth of a byte or count
 * limit, and spans at most a sixteenth of an age limit.
 *
 * The ledger is saved with the archive (record `retention/<name>`) when a segment closes
 * and after a trim; after a crash its last segment is rebuilt from the archive's tail.
 * Messages without a saved time (an archive from before retention) count as written at
 * the time the ledger was rebuilt: retention keeps them longer, never shorter.
 */
import type { AppendEntry, ArchivedMessage, ChannelMeta, Store } from './store.js'

export interface RetentionPolicy {
  /** Messages older than this are trimmed. */
  maxAgeMs?: number
  /** Past this many bytes of messages, the oldest are trimmed. */
  maxBytes?: number
  /** Past this many messages, the oldest are trimmed. */
  maxMessages?: number
}

export interface RetentionInit {
  /** The policy for `name` now (undefined or empty: keep everything). */
  policyOf: (name: string) => RetentionPolicy | undefined
  now?: () => number
}

/** What the ledger says of one name's archive. */
export interface ArchiveExtent {
  /** The oldest sequence number kept (1 if nothing was ever trimmed). */
  first: number
  head: number
  bytes: number
  messages: number
}

interface Segment { from: number, to: number, bytes: number, at: number, start: number }
interface Ledger { segments: Segment[], bytes: number, messages: number, dirty: boolean }

/** A segment closes past these even without a policy, so a policy set later trims finely enough. */
const SEGMENT_BYTES = 4 * 1024 * 1024
const SEGMENT_MESSAGES = 4096
const SEGMENT_MS = 60_000
/** Past this many segments, the two oldest merge. */
const MAX_SEGMENTS = 512
const LEDGER_PREFIX = 'retention/'
const enc = new TextEncoder()
const dec = new TextDecoder()

export class RetainedStore implements Store {
  readonly inner: Store
  private readonly policyOf: (name: string) => RetentionPolicy | undefined
  private readonly now: () => number
  private readonly ledgers = new Map<string, Promise<Ledger>>()
  /** Trims run one at a time per name. */
  private readonly trimming = new Map<string, Promise<void>>()
  /** Messages trimmed since the start, for the metrics. */
  trimmed = 0

  constructor (inner: Store, init: RetentionInit) {
    this.inner = inner
    this.policyOf = init.policyOf
    this.now = init.now ?? Date.now
  }

  async append (name: string, entries: AppendEntry[], meta?: ChannelMeta): Promise<void> {
    await this.inner.append(name, entries, meta)
    if (entries.length === 0) return
    const ledger = await this.ledger(name)
    const policy = this.policyOf(name)
    const closed = add(ledger, entries, this.now(), policy)
    if (over(ledger, policy, this.now())) await this.enforce(name)
    else if (closed) await this.save(name, ledger)
  }

  /** The ledger's view of `name`'s archive. */
  async extent (name: string): Promise<ArchiveExtent> {
    const l = await this.ledger(name)
    const head = l.segments[l.segments.length - 1]?.to ?? 0
    return { first: l.segments[0]?.from ?? await this.inner.first(name), head, bytes: l.bytes, messages: l.messages }
  }

  /**
   * Trims every name whose archive is past its policy now (age limits pass with time
   * alone); returns how many messages were trimmed.
   */
  async sweep (): Promise<number> {
    const before = this.trimmed
    for (const name of [...this.ledgers.keys()]) {
      const l = await this.ledgers.get(name)
      if (l != null && over(l, this.policyOf(name), this.now())) await this.enforce(name)
    }
    return this.trimmed - before
  }

  /** Forgets the messages of `name` below `before`, as `Store.trim` does (the ledger follows). */
  async trim (name: string, before: number): Promise<void> {
    await this.serially(name, async () => {
      await this.inner.trim(name, before)
      const l = await this.ledger(name)
      while (l.segments.length > 0 && (l.segments[0] as Segment).from < before) {
        const s = l.segments[0] as Segment
        const count = s.to - s.from + 1
        const dropped = Math.min(count, before - s.from)
        // A segment cut through keeps its share of the bytes (the ledger does not read the archive).
        const bytes = dropped === count ? s.bytes : Math.round(s.bytes * dropped / count)
        l.bytes -= bytes
        l.messages -= dropped
        this.trimmed += dropped
        if (dropped === count) l.segments.shift()
        else { s.from = before; s.bytes -= bytes }
      }
      await this.save(name, l)
    })
  }

  /** Forgets the messages of `name` above `after`, as `Store.truncate` does (the ledger follows). */
  async truncate (name: string, after: number): Promise<void> {
    await this.serially(name, async () => {
      await this.inner.truncate(name, after)
      const l = await this.ledger(name)
      while (l.segments.length > 0 && (l.segments[l.segments.length - 1] as Segment).to > after) {
        const s = l.segments[l.segments.length - 1] as Segment
        const count = s.to - s.from + 1
        const dropped = Math.min(count, s.to - after)
        const bytes = dropped === count ? s.bytes : Math.round(s.bytes * dropped / count)
        l.bytes -= bytes
        l.messages -= dropped
        if (dropped === count) l.segments.pop()
        else { s.to = after; s.bytes -= bytes }
      }
      await this.save(name, l)
    })
  }

  /** Trims `name` to its policy: whole segments, oldest first, never the newest. */
  private async enforce (name: string): Promise<void> {
    await this.serially(name, async () => {
      const l = await this.ledger(name)
      const policy = this.policyOf(name) ?? {}
      const now = this.now()
      let cut = 0
      while (l.segments.length > 1) {
        const oldest = l.segments[0] as Segment
        const expired = policy.maxAgeMs != null && oldest.at < now - policy.maxAgeMs
        const tooBig = policy.maxBytes != null && l.bytes > policy.maxBytes
        const tooMany = policy.maxMessages != null && l.messages > policy.maxMessages
        if (!(expired || tooBig || tooMany)) break
        l.segments.shift()
        l.bytes -= oldest.bytes
        l.messages -= oldest.to - oldest.from + 1
        cut = oldest.to + 1
        this.trimmed += oldest.to - oldest.from + 1
      }
      if (cut === 0) return
      await this.inner.trim(name, cut)
      await this.save(name, l)
    })
  }

  /** Trims of one name run one at a time. */
  private async serially (name: string, f: () => Promise<void>): Promise<void> {
    const previous = this.trimming.get(name) ?? Promise.resolve()
    const run = previous.then(f)
    // The next trim waits for this one, failed or not.
    const settled = run.catch(() => {})
    this.trimming.set(name, settled)
    try { await run } finally { if (this.trimming.get(name) === settled) this.trimming.delete(name) }
  }

  async range (name: string, from: number, limit: number, maxBytes?: number): Promise<ArchivedMessage[]> {
    return await this.inner.range(name, from, limit, maxBytes)
  }

  async head (name: string): Promise<number> { return await this.inner.head(name) }
  async first (name: string): Promise<number> { return await this.inner.first(name) }

  async dropArchive (name: string): Promise<void> {
    this.ledgers.delete(name)
    await this.inner.dropArchive(name)
    await this.inner.del(LEDGER_PREFIX + name)
  }

  async getMeta (name: string): Promise<ChannelMeta | undefined> { return await this.inner.getMeta(name) }
  async putMeta (name: string, meta: ChannelMeta): Promise<void> { await this.inner.putMeta(name, meta) }
  async listMeta (): Promise<Array<[string, ChannelMeta]>> { return await this.inner.listMeta() }
  async get (key: string): Promise<Uint8Array | undefined> { return await this.inner.get(key) }
  async put (key: string, value: Uint8Array): Promise<void> { await this.inner.put(key, value) }
  async del (key: string): Promise<void> { await this.inner.del(key) }
  async list (prefix: string): Promise<Array<[string, Uint8Array]>> { return await this.inner.list(prefix) }

  /** Saves every ledger with unsaved changes, then closes the store under it. */
  async close (): Promise<void> {
    for (const [name, p] of this.ledgers) {
      const l = await p.catch(() => undefined)
      if (l?.dirty === true) await this.save(name, l).catch(() => {})
    }
    await this.inner.close()
  }

  /** Forgets the in-memory ledger of a name nobody uses now (it is saved first; it loads again on use). */
  async forget (name: string): Promise<void> {
    const l = await this.ledgers.get(name)
    if (l == null) return
    if (l.dirty) await this.save(name, l)
    this.ledgers.delete(name)
  }

  private async save (name: string, l: Ledger): Promise<void> {
    l.dirty = false
    await this.inner.put(LEDGER_PREFIX + name, enc.encode(JSON.stringify(l.segments)))
  }

  private async ledger (name: string): Promise<Ledger> {
    let p = this.ledgers.get(name)
    if (p == null) {
      p = this.load(name)
      this.ledgers.set(name, p)
      p.catch(() => { if (this.ledgers.get(name) === p) this.ledgers.delete(name) })
    }
    return await p
  }

  /** The saved ledger, checked against the archive: what it lacks at the tail is read back. */
  private async load (name: string): Promise<Ledger> {
    const saved = await this.inner.get(LEDGER_PREFIX + name)
    const first = await this.inner.first(name)
    const head = await this.inner.head(name)
    let segments: Segment[] = []
    if (saved != null) {
      try { segments = JSON.parse(dec.decode(saved)) as Segment[] } catch { segments = [] }
    }
    segments = segments.filter(s => s.to >= first && s.to <= head).map(s => s.from < first ? { ...s, from: first } : s)
    const l: Ledger = { segments, bytes: 0, messages: 0, dirty: false }
    for (const s of segments) { l.bytes += s.bytes; l.messages += s.to - s.from + 1 }
    const known = segments[segments.length - 1]?.to ?? first - 1
    if (head > known) {
      // Written since the ledger was last saved (or before there was one): count it now.
      const now = this.now()
      for (let seq = known + 1; seq <= head;) {
        const batch = await this.inner.range(name, seq, 1024)
        if (batch.length === 0) break
        add(l, batch, now, this.policyOf(name))
        seq = (batch[batch.length - 1]?.seq ?? seq) + 1
      }
      l.dirty = true
    }
    return l
  }
}

/** Counts new entries into the ledger; true if a segment closed. */
function add (l: Ledger, entries: Array<{ seq: number, bytes: Uint8Array }>, now: number, policy: RetentionPolicy | undefined): boolean {
  const limit = granule(policy)
  let closed = false
  for (const e of entries) {
    let last = l.segments[l.segments.length - 1]
    if (last != null && e.seq <= last.to) continue // counted already
    if (last == null || last.to + 1 !== e.seq || last.bytes >= limit.bytes || last.to - last.from + 1 >= limit.messages || now - last.start >= limit.ms) {
      if (last != null) closed = true
      last = { from: e.seq, to: e.seq - 1, bytes: 0, at: now, start: now }
      l.segments.push(last)
      if (l.segments.length > MAX_SEGMENTS) merge(l.segments)
    }
    last.to = e.seq
    last.bytes += e.bytes.byteLength
    last.at = now
    l.bytes += e.bytes.byteLength
    l.messages++
  }
  l.dirty = true
  return closed
}

/** The two oldest segments become one (the older history is held more coarsely). */
function merge (segments: Segment[]): void {
  const [a, b] = segments
  if (a == null || b == null) return
  segments.splice(0, 2, { from: a.from, to: b.to, bytes: a.bytes + b.bytes, at: b.at, start: a.start })
}

function granule (policy: RetentionPolicy | undefined): { bytes: number, messages: number, ms: number } {
  return {
    bytes: Math.min(SEGMENT_BYTES, policy?.maxBytes != null ? Math.max(1, Math.floor(policy.maxBytes / 16)) : Infinity),
    messages: Math.min(SEGMENT_MESSAGES, policy?.maxMessages != null ? Math.max(1, Math.floor(policy.maxMessages / 16)) : Infinity),
    ms: Math.min(SEGMENT_MS, policy?.maxAgeMs != null ? Math.max(1, Math.floor(policy.maxAgeMs / 16)) : Infinity)
  }
}

function over (l: Ledger, policy: RetentionPolicy | undefined, now: number): boolean {
  if (policy == null || l.segments.length < 2) return false
  const oldest = l.segments[0] as Segment
  return (policy.maxBytes != null && l.bytes > policy.maxBytes) ||
    (policy.maxMessages != null && l.messages > policy.maxMessages) ||
    (policy.maxAgeMs != null && oldest.at < now - policy.maxAgeMs)
}
