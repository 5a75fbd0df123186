/**
 * The store without a data directory: everything in memory, gone with the process. Each
 * name's archive keeps its latest `maxPerName` messages (default 65,536); older ones are
 * dropped, so a long-running relay without a data directory does not grow without bound.
 */
import type { AppendEntry, ArchivedMessage, ChannelMeta, Store } from './store.js'

export class MemoryStore implements Store {
  private readonly archives = new Map<string, Map<number, Uint8Array>>()
  private readonly heads = new Map<string, number>()
  private readonly metas = new Map<string, ChannelMeta>()
  private readonly records = new Map<string, Uint8Array>()
  /** The lowest sequence number still held, per name. */
  private readonly lows = new Map<string, number>()
  readonly maxPerName: number

  constructor (options: { maxPerName?: number } = {}) {
    this.maxPerName = options.maxPerName ?? 65_536
  }

  async append (name: string, entries: AppendEntry[], meta?: ChannelMeta): Promise<void> {
    let a = this.archives.get(name)
    if (a == null) { a = new Map(); this.archives.set(name, a) }
    let head = this.heads.get(name) ?? 0
    for (const e of entries) {
      a.set(e.seq, e.bytes)
      if (e.seq > head) head = e.seq
    }
    this.heads.set(name, head)
    if (meta != null) this.metas.set(name, { ...meta })
    if (a.size > this.maxPerName) {
      let low = this.lows.get(name) ?? 1
      while (a.size > this.maxPerName && low <= head) { a.delete(low); low++ }
      this.lows.set(name, low)
    }
  }

  async range (name: string, from: number, limit: number, maxBytes = Infinity): Promise<ArchivedMessage[]> {
    const a = this.archives.get(name)
    const out: ArchivedMessage[] = []
    if (a == null) return out
    const head = this.heads.get(name) ?? 0
    let total = 0
    for (let seq = Math.max(from, this.lows.get(name) ?? 1); seq <= head && out.length < limit && total < maxBytes; seq++) {
      const bytes = a.get(seq)
      if (bytes != null) { out.push({ seq, bytes }); total += bytes.byteLength }
    }
    return out
  }

  async head (name: string): Promise<number> { return this.heads.get(name) ?? 0 }
  async first (name: string): Promise<number> {
    const a = this.archives.get(name)
    if (a == null || a.size === 0) return 1
    let low = this.lows.get(name) ?? 1
    while (!a.has(low) && low <= (this.heads.get(name) ?? 0)) low++
    return low
  }

  async trim (name: string, before: number): Promise<void> {
    const a = this.archives.get(name)
    if (a == null) return
    let low = this.lows.get(name) ?? 1
    for (; low < before; low++) a.delete(low)
    this.lows.set(name, Math.max(low, this.lows.get(name) ?? 1))
  }
  async truncate (name: string, after: number): Promise<void> {
    const a = this.archives.get(name)
    const head = this.heads.get(name) ?? 0
    if (a == null || head <= after) return
    for (let seq = after + 1; seq <= head; seq++) a.delete(seq)
    this.heads.set(name, Math.max(0, after))
  }

  async dropArchive (name: string): Promise<void> {
    this.archives.delete(name)
    this.lows.delete(name)
    this.heads.delete(name)
    this.metas.delete(name)
  }

  async getMeta (name: string): Promise<ChannelMeta | undefined> {
    const m = this.metas.get(name)
    return m == null ? undefined : { ...m }
  }

  async putMeta (name: string, meta: ChannelMeta): Promise<void> { this.metas.set(name, { ...meta }) }
  async listMeta (): Promise<Array<[string, ChannelMeta]>> { return [...this.metas].map(([k, v]) => [k, { ...v }]) }
  async get (key: string): Promise<Uint8Array | undefined> { return this.records.get(key) }
  async put (key: string, value: Uint8Array): Promise<void> { this.records.set(key, value) }
  async del (key: string): Promise<void> { this.records.delete(key) }
  async list (prefix: string): Promise<Array<[string, Uint8Array]>> {
    return [...this.records].filter(([k]) => k.startsWith(prefix))
  }

  async close (): Promise<void> {}
}
