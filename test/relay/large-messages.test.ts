/**
 * Large messages with the relay in its own process: a publisher with many 1 MiB
 * messages in flight is held back by its own stream (no cut, no resend storm), a message
 * the relay refuses fails once, and a backlog of tens of MiB reaches a fresh subscriber
 * paced by bytes, also across a reconnect.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { agentInternals, connectAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import type { AgentStatus } from '../../src/actors/agent-session.actor.js'
import { collect, stopAll, waitFor, tempDir, testMesh } from '../helpers.js'
import { startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'

const MiB = 1024 * 1024
const relays: ProcessRelay[] = []
afterAll(async () => { for (const r of relays) await stopRelayProcess(r) })

async function start (opts: Parameters<typeof startRelayProcess>[0] = {}): Promise<ProcessRelay> {
  const r = await startRelayProcess(opts)
  relays.push(r)
  return r
}

async function connect (r: ProcessRelay, name: string, statuses: AgentStatus[] = []): Promise<Agent> {
  return await connectAgent({ relay: r.addr, name, keepaliveMs: 1000, onStatus: s => statuses.push(s), credentials: (await testMesh()).credentials })
}

function payload (i: number, size: number): Uint8Array {
  const b = new Uint8Array(size)
  new DataView(b.buffer).setUint32(0, i)
  return b
}
const indexOf = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0)

describe('large messages, relay in its own process', () => {
  it('16 publishes of 1 MiB in flight at once are all acknowledged and delivered once, without a reconnect', async () => {
    const r = await start()
    const pubStatus: AgentStatus[] = []
    const subStatus: AgentStatus[] = []
    const pub = await connect(r, 'acme/big/pub', pubStatus)
    const sub = await connect(r, 'acme/big/sub', subStatus)
    try {
      const box = collect(await sub.subscribe('acme/big/blobs'))
      const acks = await Promise.all(Array.from({ length: 16 }, async (_, i) => await pub.publish('acme/big/blobs', payload(i, MiB), { mode: 'multicast' })))
      expect(acks.map(a => a.seq).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 16 }, (_, i) => i + 1))
      await waitFor(() => box.length >= 16, 'all 16 at the subscriber', 30_000)
      expect(box.map(m => m.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1))
      expect(new Set(box.map(m => indexOf(m.data))).size).toBe(16)
      // Thirty more, one after another.
      for (let i = 16; i < 46; i++) await pub.publish('acme/big/blobs', payload(i, MiB), { mode: 'multicast' })
      await waitFor(() => box.length >= 46, 'all 46 at the subscriber', 30_000)
      expect(pubStatus.filter(s => s.type === 'session.reconnecting')).toEqual([])
      expect(subStatus.filter(s => s.type === 'session.reconnecting')).toEqual([])
    } finally {
      await stopAll(pub, sub)
    }
  }, 90_000)

  it('a message the relay refuses fails once with the relay\'s reason and is not sent again after the reconnect', async () => {
    const r = await start()
    const statuses: AgentStatus[] = []
    const a = await connect(r, 'acme/big/liar', statuses)
    try {
      // Past the agent's own checks, as a buggy or hostile client would send it.
      const env = agentInternals(a).envelope('acme/big/blobs', new Uint8Array(1), { mode: 'multicast' })
      env.payload = new Uint8Array(MiB + 1)
      await expect(agentInternals(a).send(env)).rejects.toMatchObject({ name: 'PayloadTooLargeError', message: expect.stringMatching(/at most 1048576/) })
      await waitFor(() => statuses.some(s => s.type === 'session.reconnected'), 'the agent to reconnect after the cut')
      // Had it been resent on resume, the relay would cut again before this is acknowledged.
      expect(await a.publish('acme/big/blobs', 'fine', { mode: 'multicast' })).toMatchObject({ seq: 1 })
      expect(statuses.filter(s => s.type === 'session.reconnecting')).toHaveLength(1)
    } finally {
      await stopAll(a)
    }
  }, 60_000)

  it('50 MiB of 64 KiB messages reach a fresh subscriber from sequence 1, on the sequencer\'s relay and on another, also across a reconnect', async () => {
    await using dir = await tempDir()
    const seqRelay = await start({ dataDir: dir.path })
    const other = await start({ bootstrap: [seqRelay.addr] })
    const pub = await connect(seqRelay, 'acme/big/pub')
    const count = 800 // 800 x 64 KiB = 50 MiB
    try {
      const inFlight: Array<Promise<unknown>> = []
      for (let i = 0; i < count; i++) {
        inFlight.push(pub.publish('acme/big/history', payload(i, 64 * 1024), { mode: 'multicast' }))
        if (inFlight.length >= 32) await inFlight.shift()
      }
      await Promise.all(inFlight)
      for (const [where, r] of [['the sequencer\'s relay', seqRelay], ['another relay', other]] as const) {
        const statuses: AgentStatus[] = []
        const reader = await connect(r, 'acme/big/reader', statuses)
        try {
          const box = collect(await reader.subscribe('acme/big/history', { fromSeq: 1 }))
          await waitFor(() => box.length >= 200, `a quarter of the backlog on ${where}`, 60_000)
          // Cut its connection mid-replay: it resumes from where it was.
          for (const c of reader.libp2p.getConnections()) c.abort(new Error('test: connection dropped'))
          await waitFor(() => box.length >= count, `the whole backlog on ${where} (got ${box.length})`, 90_000)
          expect(box.map(m => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1))
          expect(box.map(m => indexOf(m.data))).toEqual(Array.from({ length: count }, (_, i) => i))
          expect(statuses.filter(s => s.type === 'session.reconnecting')).toHaveLength(1)
        } finally {
          await stopAll(reader)
        }
      }
    } finally {
      await stopAll(pub)
    }
  }, 240_000)
})
