/**
 * The store under a data directory: LevelDB through classic-level. Keys are strings,
 * values bytes. Layout:
 *   a!<name>!<seq as 14 hex digits>  archived message (encoded Envelope with its seq)
 *   m!<name>                         channel metadata (JSON)
 *   r!<key>                          records (identity key, peers, agent state)
 * `!` sorts before every name character, so one name's messages are one key range.
 */
import { ClassicLevel } from 'classic-level'
import { mkdir } from 'node:fs/promises'
import { seqKey } from './store.js'
import { DataDirInUseError, StoreOpenError } from './errors.js'
import type { AppendEntry, ArchivedMessage, ChannelMeta, Store } from './store.js'

type Db = ClassicLevel<string, Uint8Array>
const enc = new TextEncoder()
const dec = new TextDecoder()

export class LevelStore implements Store {
  private readonly db: Db

  private constructor (db: Db) { this.db = db }

  static async open (dir: string): Promise<LevelStore> {
    await mkdir(dir, { recursive: true })
    const db: Db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' })
    try {
      await db.open()
    } catch (err) {
      // classic-level says only "Database failed to open"; the reason is in its cause.
      const cause = (err as { cause?: { code?: unknown, message?: unknown } }).cause
      if (cause?.code === 'LEVEL_LOCKED') throw new DataDirInUseError(dir, { cause: err })
      throw new StoreOpenError(dir, typeof cause?.message === 'string' ? cause.message : (err as Error).message, { cause: err })
    }
    return new LevelStore(db)
  }

  async append (name: string, entries: AppendEntry[], meta?: ChannelMeta): Promise<void> {
    const batch = this.db.batch()
    for (const e of entries) batch.put(`a!${name}!${seqKey(e.seq)}`, e.bytes)
    if (meta != null) batch.put(`m!${name}`, enc.encode(JSON.stringify(meta)))
    await batch.write()
  }

  async range (name: string, from: number, limit: number, maxBytes = Infinity): Promise<ArchivedMessage[]> {
    const out: ArchivedMessage[] = []
    let bytes = 0
    for await (const [key, value] of this.db.iterator({ gte: `a!${name}!${seqKey(from)}`, lt: `a!${name}!~`, limit })) {
      out.push({ seq: parseInt(key.slice(key.lastIndexOf('!') + 1), 16), bytes: value })
      bytes += value.byteLength
      if (bytes >= maxBytes) break
    }
    return out
  }

  async head (name: string): Promise<number> {
    for await (const key of this.db.keys({ gte: `a!${name}!`, lt: `a!${name}!~`, reverse: true, limit: 1 })) {
      return parseInt(key.slice(key.lastIndexOf('!') + 1), 16)
    }
    return 0
  }

  async first (name: string): Promise<number> {
    for await (const key of this.db.keys({ gte: `a!${name}!`, lt: `a!${name}!~`, limit: 1 })) {
      return parseInt(key.slice(key.lastIndexOf('!') + 1), 16)
    }
    return 1
  }

  async trim (name: string, before: number): Promise<void> {
    if (before <= 1) return
    await this.db.clear({ gte: `a!${name}!`, lt: `a!${name}!${seqKey(before)}` })
  }

  async truncate (name: string, after: number): Promise<void> {
    await this.db.clear({ gt: `a!${name}!${seqKey(Math.max(0, after))}`, lt: `a!${name}!~` })
  }

  async dropArchive (name: string): Promise<void> {
    await this.db.clear({ gte: `a!${name}!`, lt: `a!${name}!~` })
    await this.db.del(`m!${name}`)
  }

  async getMeta (name: string): Promise<ChannelMeta | undefined> {
    const v = await this.db.get(`m!${name}`)
    return v == null ? undefined : JSON.parse(dec.decode(v)) as ChannelMeta
  }

  async putMeta (name: string, meta: ChannelMeta): Promise<void> {
    await this.db.put(`m!${name}`, enc.encode(JSON.stringify(meta)))
  }

  async listMeta (): Promise<Array<[string, ChannelMeta]>> {
    const out: Array<[string, ChannelMeta]> = []
    for await (const [k, v] of this.db.iterator({ gte: 'm!', lt: 'm!~' })) {
      out.push([k.slice(2), JSON.parse(dec.decode(v)) as ChannelMeta])
    }
    return out
  }

  async get (key: string): Promise<Uint8Array | undefined> {
    return await this.db.get(`r!${key}`)
  }

  async put (key: string, value: Uint8Array): Promise<void> { await this.db.put(`r!${key}`, value) }
  async del (key: string): Promise<void> { await this.db.del(`r!${key}`) }

  async list (prefix: string): Promise<Array<[string, Uint8Array]>> {
    const out: Array<[string, Uint8Array]> = []
    const start = `r!${prefix}`
    // No upper bound in key space: any character may follow the prefix; stop at the first key without it.
    for await (const [k, v] of this.db.iterator({ gte: start })) {
      if (!k.startsWith(start)) break
      out.push([k.slice(2), v])
    }
    return out
  }

  async close (): Promise<void> { await this.db.close() }
}

/** A LevelStore under `dir`, or a MemoryStore when there is none. */
export async function openStore (dir?: string): Promise<Store> {
  if (dir == null) {
    const { MemoryStore } = await import('./memory-store.js')
    return new MemoryStore()
  }
  return await LevelStore.open(dir)
}
