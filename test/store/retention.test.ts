/**
 * Archive retention (src/store/retention.ts) over both engines: limits by bytes, by
 * message count and by age keep what is kept within them, the head is never trimmed,
 * and the ledger survives a reopen (and a crash that lost its last save).
 */
import { describe, it, expect } from 'vitest'
import { RetainedStore } from '../../src/store/retention.js'
import type { RetentionPolicy } from '../../src/store/retention.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { LevelStore } from '../../src/store/level-store.js'
import type { Store } from '../../src/store/store.js'
import { tempDir } from '../helpers.js'

const NAME = 'acme/retention/news'

function msg (size: number): Uint8Array { return new Uint8Array(size) }

/** The bytes and sequence numbers the archive really holds, read back message by message. */
async function held (store: Store, name = NAME): Promise<{ bytes: number, seqs: number[] }> {
  const seqs: number[] = []
  let bytes = 0
  for (let seq = 1; ;) {
    const batch = await store.range(name, seq, 1000)
    if (batch.length === 0) break
    for (const m of batch) { seqs.push(m.seq); bytes += m.bytes.byteLength }
    seq = (batch[batch.length - 1]?.seq ?? seq) + 1
  }
  return { bytes, seqs }
}

async function write (store: Store, from: number, count: number, size: number, batch = 1): Promise<void> {
  for (let seq = from; seq < from + count; seq += batch) {
    const n = Math.min(batch, from + count - seq)
    await store.append(NAME, Array.from({ length: n }, (_, i) => ({ seq: seq + i, bytes: msg(size) })))
  }
}

const engines: Array<[string, () => Promise<{ inner: Store, done: () => Promise<void> }>]> = [
  ['memory', async () => ({ inner: new MemoryStore(), done: async () => {} })],
  ['LevelDB', async () => {
    const dir = await tempDir()
    const inner = await LevelStore.open(dir.path)
    return { inner, done: async () => { await dir[Symbol.asyncDispose]() } }
  }]
]

describe.each(engines)('RetainedStore over the %s store', (_, open) => {
  it('keeps an archive within its byte limit over a run that writes ten times the limit, and keeps the head', async () => {
    const { inner, done } = await open()
    const store = new RetainedStore(inner, { policyOf: () => ({ maxBytes: 64 * 1024 }) })
    try {
      await write(store, 1, 640, 1024, 4) // 640 KiB: ten times the limit
      const h = await held(store)
      expect(h.bytes).toBeLessThanOrEqual(64 * 1024)
      expect(h.bytes).toBeGreaterThan(48 * 1024) // trimmed in sixteenths, not all at once
      expect(h.seqs[h.seqs.length - 1]).toBe(640)
      expect(await store.first(NAME)).toBe(h.seqs[0])
      expect(h.seqs).toEqual(Array.from({ length: h.seqs.length }, (_, i) => (h.seqs[0] as number) + i))
      expect(await store.head(NAME)).toBe(640)
      expect((await store.extent(NAME)).bytes).toBe(h.bytes)
    } finally {
      await store.close()
      await done()
    }
  })

  it('truncate drops the newest messages and the ledger follows, so later appends count from there', async () => {
    const { inner, done } = await open()
    const store = new RetainedStore(inner, { policyOf: () => ({ maxMessages: 1000 }) })
    try {
      await write(store, 1, 100, 10, 7)
      await store.truncate(NAME, 60)
      expect(await store.extent(NAME)).toMatchObject({ first: 1, head: 60, messages: 60, bytes: 600 })
      await write(store, 61, 10, 10)
      expect(await store.extent(NAME)).toMatchObject({ head: 70, messages: 70, bytes: 700 })
      expect((await held(store)).seqs).toEqual(Array.from({ length: 70 }, (_, i) => i + 1))
    } finally {
      await store.close()
      await done()
    }
  })

  it('keeps at most maxMessages', async () => {
    const { inner, done } = await open()
    const store = new RetainedStore(inner, { policyOf: () => ({ maxMessages: 100 }) })
    try {
      await write(store, 1, 1000, 10)
      const h = await held(store)
      expect(h.seqs.length).toBeLessThanOrEqual(100)
      expect(h.seqs.length).toBeGreaterThan(90)
      expect(h.seqs[h.seqs.length - 1]).toBe(1000)
    } finally {
      await store.close()
      await done()
    }
  })

  it('trims by age when swept, never the newest segment, and nothing without a policy', async () => {
    const { inner, done } = await open()
    let now = 1_000_000
    const policies = new Map<string, RetentionPolicy>([[NAME, { maxAgeMs: 16_000 }]])
    const store = new RetainedStore(inner, { policyOf: (n) => policies.get(n), now: () => now })
    try {
      for (let i = 0; i < 40; i++) { await write(store, i * 10 + 1, 10, 100); now += 1000 }
      await store.append('acme/retention/kept', [{ seq: 1, bytes: msg(5) }])
      now += 100_000 // everything is older than the limit now
      expect(await store.sweep()).toBeGreaterThan(0)
      const h = await held(store)
      expect(h.seqs.length).toBeGreaterThan(0) // the newest segment stays: the head is kept
      expect(h.seqs[h.seqs.length - 1]).toBe(400)
      expect(h.seqs.length).toBeLessThanOrEqual(10)
      expect((await held(store, 'acme/retention/kept')).seqs).toEqual([1])
    } finally {
      await store.close()
      await done()
    }
  })
})

describe('RetainedStore ledger', () => {
  it('trim(name, before) forgets what is below `before`, as Store.trim does, and the ledger follows', async () => {
    const store = new RetainedStore(new MemoryStore(), { policyOf: () => undefined })
    await write(store, 1, 100, 10)
    await store.trim(NAME, 41)
    expect((await held(store)).seqs).toEqual(Array.from({ length: 60 }, (_, i) => 41 + i))
    expect(await store.extent(NAME)).toMatchObject({ first: 41, head: 100, messages: 60, bytes: 600 })
  })


  it('survives a reopen of the data directory, and a crash that lost its last save', async () => {
    await using dir = await tempDir()
    const policy = { maxBytes: 32 * 1024 }
    let store = new RetainedStore(await LevelStore.open(dir.path), { policyOf: () => policy })
    await write(store, 1, 100, 1024)
    await store.close()
    store = new RetainedStore(await LevelStore.open(dir.path), { policyOf: () => policy })
    await write(store, 101, 100, 1024)
    let h = await held(store)
    expect(h.bytes).toBeLessThanOrEqual(32 * 1024)
    expect(h.seqs[h.seqs.length - 1]).toBe(200)
    // A crash: the store under it closes without the ledger's last save.
    await store.inner.close()
    store = new RetainedStore(await LevelStore.open(dir.path), { policyOf: () => policy })
    expect((await store.extent(NAME)).bytes).toBe(h.bytes)
    await write(store, 201, 100, 1024)
    h = await held(store)
    expect(h.bytes).toBeLessThanOrEqual(32 * 1024)
    expect(h.seqs[h.seqs.length - 1]).toBe(300)
    await store.close()
  })

  it('an archive from before retention is counted on first use and trimmed to a policy set later', async () => {
    const inner = new MemoryStore()
    await write(inner, 1, 200, 1024)
    let policy: RetentionPolicy | undefined
    const store = new RetainedStore(inner, { policyOf: () => policy })
    await write(store, 201, 1, 1024)
    expect((await held(store)).seqs.length).toBe(201)
    policy = { maxBytes: 50 * 1024 }
    await write(store, 202, 40, 1024)
    const h = await held(store)
    expect(h.bytes).toBeLessThanOrEqual(50 * 1024)
    expect(h.seqs[h.seqs.length - 1]).toBe(241)
  })
})
