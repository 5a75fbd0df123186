import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStore } from '../../src/store/memory-store.js'
import { LevelStore, openStore } from '../../src/store/level-store.js'
import { seqKey } from '../../src/store/store.js'
import type { ChannelMeta, Store } from '../../src/store/store.js'

const NAME = 'acme/research/summarizer'
const enc = new TextEncoder()
const bytes = (s: string): Uint8Array => enc.encode(s)
const text = (b: Uint8Array | undefined): string | undefined => b == null ? undefined : new TextDecoder().decode(b)
const meta = (over: Partial<ChannelMeta> = {}): ChannelMeta => ({ sequencerSince: 1_700_000_000_000, epoch: 3, localFrom: 1, ...over })

const dirs: string[] = []
const opened: Store[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {})
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function tempDir (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'slim-mesh-store-'))
  dirs.push(d)
  return d
}

const engines: Array<[string, () => Promise<Store>]> = [
  ['MemoryStore', async () => new MemoryStore()],
  ['LevelStore', async () => await LevelStore.open(await tempDir())]
]

describe.each(engines)('%s (the Store contract)', (_engine, open) => {
  async function store (): Promise<Store> {
    const s = await open()
    opened.push(s)
    return s
  }

  it('starts empty: head 0, no messages, no meta, no records', async () => {
    const s = await store()
    expect(await s.head(NAME)).toBe(0)
    expect(await s.range(NAME, 1, 10)).toEqual([])
    expect(await s.getMeta(NAME)).toBeUndefined()
    expect(await s.listMeta()).toEqual([])
    expect(await s.get('identity')).toBeUndefined()
    expect(await s.list('')).toEqual([])
  })

  it('appends messages and returns them from range in sequence order with their bytes', async () => {
    const s = await store()
    await s.append(NAME, [{ seq: 1, bytes: bytes('m1') }, { seq: 2, bytes: bytes('m2') }])
    await s.append(NAME, [{ seq: 3, bytes: bytes('m3') }])
    expect(await s.head(NAME)).toBe(3)
    const all = await s.range(NAME, 1, 100)
    expect(all.map(m => m.seq)).toEqual([1, 2, 3])
    expect(all.map(m => text(m.bytes))).toEqual(['m1', 'm2', 'm3'])
  })

  it('dropArchive forgets one name\'s messages and metadata, and no other name\'s', async () => {
    const s = await store()
    await s.append(NAME, [{ seq: 1, bytes: bytes('m1') }], { sequencerSince: 5, epoch: 0, localFrom: 1 })
    await s.append(`${NAME}x`, [{ seq: 1, bytes: bytes('other') }])
    await s.dropArchive(NAME)
    expect(await s.head(NAME)).toBe(0)
    expect(await s.range(NAME, 1, 10)).toEqual([])
    expect(await s.getMeta(NAME)).toBeUndefined()
    expect((await s.range(`${NAME}x`, 1, 10)).map(m => text(m.bytes))).toEqual(['other'])
  })

  it('truncate forgets the messages above a number, keeps those at or below it and the metadata, and no other name\'s', async () => {
    const s = await store()
    await s.append(NAME, [1, 2, 3, 4, 5].map(seq => ({ seq, bytes: bytes(`m${seq}`) })), meta({ committed: 3 }))
    await s.append('acme/other/name', [{ seq: 5, bytes: bytes('o5') }])
    await s.truncate(NAME, 3)
    expect(await s.head(NAME)).toBe(3)
    expect((await s.range(NAME, 1, 10)).map(m => text(m.bytes))).toEqual(['m1', 'm2', 'm3'])
    expect((await s.getMeta(NAME))?.committed).toBe(3)
    expect(await s.head('acme/other/name')).toBe(5)
    await s.append(NAME, [{ seq: 4, bytes: bytes('n4') }])
    expect((await s.range(NAME, 1, 10)).map(m => text(m.bytes))).toEqual(['m1', 'm2', 'm3', 'n4'])
    await s.truncate(NAME, 0)
    expect(await s.head(NAME)).toBe(0)
    expect(await s.range(NAME, 1, 10)).toEqual([])
  })

  it('range starts at from and returns at most limit messages', async () => {
    const s = await store()
    await s.append(NAME, Array.from({ length: 10 }, (_, i) => ({ seq: i + 1, bytes: bytes(`m${i + 1}`) })))
    expect((await s.range(NAME, 4, 3)).map(m => m.seq)).toEqual([4, 5, 6])
    expect((await s.range(NAME, 9, 100)).map(m => m.seq)).toEqual([9, 10])
    expect(await s.range(NAME, 11, 100)).toEqual([])
  })

  it('orders sequence numbers numerically across 255 and 65535, not by string', async () => {
    const s = await store()
    const seqs = [1, 2, 15, 16, 255, 256, 4095, 4096, 65_535, 65_536, 1_048_576, 2 ** 40]
    // Appended out of order, in several writes.
    await s.append(NAME, [...seqs].reverse().slice(0, 6).map(seq => ({ seq, bytes: bytes(String(seq)) })))
    await s.append(NAME, [...seqs].reverse().slice(6).map(seq => ({ seq, bytes: bytes(String(seq)) })))
    expect(await s.head(NAME)).toBe(2 ** 40)
    expect((await s.range(NAME, 250, 4)).map(m => m.seq)).toEqual([255, 256, 4095, 4096])
    expect((await s.range(NAME, 65_535, 3)).map(m => m.seq)).toEqual([65_535, 65_536, 1_048_576])
    expect((await s.range(NAME, 2 ** 40, 3)).map(m => text(m.bytes))).toEqual([String(2 ** 40)])
  })

  it('keeps the archives of names that share a prefix apart', async () => {
    const s = await store()
    await s.append('a/b/c', [{ seq: 1, bytes: bytes('c1') }])
    await s.append('a/b/c-2', [{ seq: 1, bytes: bytes('c2-1') }, { seq: 7, bytes: bytes('c2-7') }])
    await s.append('a/b/c.d', [{ seq: 9, bytes: bytes('cd9') }])
    expect(await s.head('a/b/c')).toBe(1)
    expect((await s.range('a/b/c', 1, 100)).map(m => text(m.bytes))).toEqual(['c1'])
    expect(await s.head('a/b/c-2')).toBe(7)
    expect(await s.head('a/b/c.d')).toBe(9)
    expect(await s.head('a/b')).toBe(0)
  })

  it('writes the metadata together with an append and leaves it alone on an append without it', async () => {
    const s = await store()
    await s.append(NAME, [{ seq: 1, bytes: bytes('m1') }], meta({ epoch: 4 }))
    expect(await s.getMeta(NAME)).toEqual(meta({ epoch: 4 }))
    await s.append(NAME, [{ seq: 2, bytes: bytes('m2') }])
    expect(await s.getMeta(NAME)).toEqual(meta({ epoch: 4 }))
  })

  it('putMeta replaces the metadata and listMeta lists every name\'s', async () => {
    const s = await store()
    await s.putMeta('a/a/a', meta({ epoch: 1 }))
    await s.putMeta('b/b/b', meta({ epoch: 2, sequencerSince: 0, localFrom: 40 }))
    await s.putMeta('a/a/a', meta({ epoch: 5 }))
    expect(await s.getMeta('a/a/a')).toEqual(meta({ epoch: 5 }))
    const all = (await s.listMeta()).sort((x, y) => x[0] < y[0] ? -1 : 1)
    expect(all).toEqual([['a/a/a', meta({ epoch: 5 })], ['b/b/b', meta({ epoch: 2, sequencerSince: 0, localFrom: 40 })]])
  })

  it('returns metadata that a caller cannot change by mutating it', async () => {
    const s = await store()
    const m = meta()
    await s.putMeta(NAME, m)
    m.epoch = 99
    const got = await s.getMeta(NAME)
    expect(got?.epoch).toBe(3)
    if (got != null) got.epoch = 98
    expect((await s.getMeta(NAME))?.epoch).toBe(3)
  })

  it('put, get and del records, and get returns undefined once deleted', async () => {
    const s = await store()
    await s.put('identity', bytes('key'))
    expect(text(await s.get('identity'))).toBe('key')
    await s.put('identity', bytes('key2'))
    expect(text(await s.get('identity'))).toBe('key2')
    await s.del('identity')
    expect(await s.get('identity')).toBeUndefined()
    await s.del('never-there')
  })

  it('list returns exactly the records whose key starts with the prefix', async () => {
    const s = await store()
    await s.put('peer/a', bytes('1'))
    await s.put('peer/b', bytes('2'))
    await s.put('peers', bytes('x'))
    await s.put('sub/acme/x/y', bytes('7'))
    await s.put('peer/é', bytes('3'))
    const peers = (await s.list('peer/')).map(([k, v]) => [k, text(v)]).sort()
    expect(peers).toEqual([['peer/a', '1'], ['peer/b', '2'], ['peer/é', '3']].sort())
    expect((await s.list('sub/')).map(([k]) => k)).toEqual(['sub/acme/x/y'])
    expect(await s.list('nothing/')).toEqual([])
  })

  it('list includes a key whose next character lies beyond U+FFFF (an emoji)', async () => {
    const s = await store()
    await s.put('peer/😀', bytes('4'))
    await s.put('peer/\uffff', bytes('5'))
    expect((await s.list('peer/')).map(([k]) => k).sort()).toEqual(['peer/\uffff', 'peer/😀'].sort())
  })

  it('keeps records, metadata and archives in separate spaces', async () => {
    const s = await store()
    await s.put(NAME, bytes('record'))
    await s.append(NAME, [{ seq: 1, bytes: bytes('m1') }], meta())
    expect(text(await s.get(NAME))).toBe('record')
    expect((await s.list('')).map(([k]) => k)).toEqual([NAME])
    expect((await s.listMeta()).map(([k]) => k)).toEqual([NAME])
  })
})

describe('LevelStore on disk', () => {
  it('keeps archive, head, metadata and records across a close and reopen of the same directory', async () => {
    const dir = await tempDir()
    const first = await LevelStore.open(dir)
    await first.append(NAME, [{ seq: 1, bytes: bytes('m1') }, { seq: 300, bytes: bytes('m300') }], meta({ epoch: 7 }))
    await first.put('identity', bytes('secret'))
    await first.close()

    const again = await LevelStore.open(dir)
    opened.push(again)
    expect(await again.head(NAME)).toBe(300)
    expect((await again.range(NAME, 1, 10)).map(m => [m.seq, text(m.bytes)])).toEqual([[1, 'm1'], [300, 'm300']])
    expect(await again.getMeta(NAME)).toEqual(meta({ epoch: 7 }))
    expect(text(await again.get('identity'))).toBe('secret')
  })

  it('openStore gives a LevelStore under a directory (creating it) and a MemoryStore without one', async () => {
    const dir = join(await tempDir(), 'nested', 'data')
    const onDisk = await openStore(dir)
    opened.push(onDisk)
    expect(onDisk).toBeInstanceOf(LevelStore)
    await onDisk.put('k', bytes('v'))
    expect(text(await onDisk.get('k'))).toBe('v')
    const inMemory = await openStore()
    opened.push(inMemory)
    expect(inMemory).toBeInstanceOf(MemoryStore)
  })
})

describe('seqKey', () => {
  it('gives fixed-width hex whose string order is numeric order', () => {
    const seqs = [0, 1, 9, 10, 15, 16, 255, 256, 65_535, 65_536, 2 ** 32, 2 ** 53 - 1]
    const keys = seqs.map(seqKey)
    expect(new Set(keys.map(k => k.length))).toEqual(new Set([14]))
    expect([...keys].sort()).toEqual(keys)
    expect(keys.map(k => parseInt(k, 16))).toEqual(seqs)
  })
})

describe('MemoryStore retention', () => {
  it('keeps the latest maxPerName messages of each name and drops the oldest', async () => {
    const s = new MemoryStore({ maxPerName: 3 })
    for (let seq = 1; seq <= 5; seq++) await s.append('acme/a/b', [{ seq, bytes: new Uint8Array([seq]) }])
    await s.append('acme/a/c', [{ seq: 1, bytes: new Uint8Array([9]) }])
    expect((await s.range('acme/a/b', 1, 10)).map(m => m.seq)).toEqual([3, 4, 5])
    expect(await s.head('acme/a/b')).toBe(5)
    expect((await s.range('acme/a/c', 1, 10)).map(m => m.seq)).toEqual([1])
  })
})
