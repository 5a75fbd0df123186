/**
 * Archive retention on real relays: a name's archive under a byte limit stays within it
 * over a run that writes ten times its size, on the sequencer's relay and on another;
 * a subscription asking for trimmed history fails with `HistoryTrimmedError` naming the
 * oldest kept sequence number (on the sequencer's relay at once, elsewhere as the end of
 * the subscription), and one from that number gets everything from there, in order.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { relay, agent, collect, waitFor, stopAll, tempDir } from '../helpers.js'
import { LevelStore } from '../../src/store/level-store.js'
import { HistoryTrimmedError } from '../../src/relay/errors.js'
import type { Message } from '../../src/agent/message.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

const LIMIT = 256 * 1024
const NAME = 'acme/retention/feed'

describe('archive retention', () => {
  it('keeps a busy name within its byte limit, and says where the history starts to whoever asks for older', async () => {
    await using dirA = await tempDir()
    const a = await relay({ dataDir: dirA.path, retention: { maxBytes: LIMIT } })
    const b = await relay({ bootstrap: [a.multiaddrs[0] as string], retention: { maxBytes: LIMIT } })
    cleanup.push(b, a)
    const pub = await agent(a, 'acme/retention/pub')
    const live = await agent(b, 'acme/retention/live')
    cleanup.push(pub, live)
    await pub.publish(NAME, new Uint8Array(1), { mode: 'multicast' }) // the publisher's relay sequences it
    const liveBox = collect(await live.subscribe(NAME))
    // Ten times the limit, in 1 KiB messages.
    const count = 10 * LIMIT / 1024
    const inFlight: Array<Promise<unknown>> = []
    for (let i = 0; i < count; i++) {
      inFlight.push(pub.publish(NAME, new Uint8Array(1024), { mode: 'multicast' }))
      if (inFlight.length >= 64) await inFlight.shift()
    }
    await Promise.all(inFlight)
    const head = count + 1
    await waitFor(() => liveBox.length === count, 'every message at the live subscriber on the other relay')

    for (const r of [a, b]) {
      const ext = await r.archive(NAME)
      expect(ext.head).toBe(head)
      expect(ext.bytes).toBeGreaterThan(0)
    }
    const onA = await a.archive(NAME)
    expect(onA.first).toBeGreaterThan(1)
    // The archive itself, not only the ledger: the sequencer's store holds no more than the limit.
    const reader = await agent(a, 'acme/retention/reader')
    cleanup.push(reader)
    const err = await reader.subscribe(NAME, { fromSeq: 1 }).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(HistoryTrimmedError)
    expect((err as HistoryTrimmedError).oldest).toBe(onA.first)
    expect((err as Error).message).toMatch(/no longer kept .* the oldest kept is \d+/)
    const fromOldest = collect(await reader.subscribe(NAME, { fromSeq: onA.first }))
    await waitFor(() => fromOldest.length === head - onA.first + 1, 'the kept history from its oldest message')
    expect(fromOldest.map(m => m.seq)).toEqual(Array.from({ length: head - onA.first + 1 }, (_, i) => onA.first + i))

    // On another relay the subscription starts, then ends with the error from the sequencer.
    const far = await agent(b, 'acme/retention/far')
    cleanup.push(far)
    const sub = await far.subscribe(NAME, { fromSeq: 1 })
    const got: Message[] = []
    const ended = await (async () => { try { for await (const m of sub) got.push(m) } catch (e) { return e } })()
    expect(ended).toBeInstanceOf(HistoryTrimmedError)
    expect((ended as HistoryTrimmedError).oldest).toBeGreaterThan(1)
    expect(got).toEqual([])

    await stopAll(far, reader, live, pub, b, a)
    cleanup.splice(0)
    const store = await LevelStore.open(dirA.path)
    try {
      let bytes = 0
      let first = 0
      for (let seq = 1; ;) {
        const batch = await store.range(NAME, seq, 1000)
        if (batch.length === 0) break
        if (first === 0) first = batch[0]?.seq ?? 0
        for (const m of batch) bytes += m.bytes.byteLength
        seq = (batch[batch.length - 1]?.seq ?? seq) + 1
      }
      expect(bytes).toBeLessThanOrEqual(LIMIT)
      expect(first).toBe(onA.first)
      expect(await store.head(NAME)).toBe(head)
    } finally {
      await store.close()
    }
  }, 120_000)
})
