/**
 * A name's sequencer relay killed with SIGKILL mid-traffic and restarted on its data
 * directory, every relay in its own process (a triangle, so the survivors hold stale
 * routes to the dead relay through each other): publishes in flight at the crash are
 * resent and acknowledged once it is back, or fail promptly with UnavailableError; none
 * fails with NoRouteError (no frame loops); every acknowledged message reaches the
 * subscriber once, in order.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { connectAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import { collect, stopAll, waitFor, tempDir, testMesh } from '../helpers.js'
import { killRelay, restartRelay, startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'

const relays: ProcessRelay[] = []
afterAll(async () => { for (const r of relays) await stopRelayProcess(r) })

interface Outcome { i: number, seq?: number, error?: string, ms: number, startedAt: number }

describe('a sequencer relay killed and restarted', () => {
  it('in-flight publishes are resent or fail promptly with UnavailableError, never NoRouteError; acknowledged ones all arrive once, in order', async () => {
    await using dir = await tempDir()
    const name = 'acme/crash/feed'
    const a = await startRelayProcess()
    relays.push(a)
    let b = await startRelayProcess({ dataDir: dir.path, bootstrap: [a.addr] })
    relays.push(b)
    const c = await startRelayProcess({ bootstrap: [a.addr, b.addr] })
    relays.push(c)
    const agents: Agent[] = []
    const connect = async (r: ProcessRelay, n: string): Promise<Agent> => {
      const ag = await connectAgent({ relay: r.addr, name: n, keepaliveMs: 1000, publishTimeoutMs: 30_000, credentials: (await testMesh()).credentials })
      agents.push(ag)
      return ag
    }
    try {
      // First used at b: b sequences the name.
      const owner = await connect(b, 'acme/crash/owner')
      await owner.subscribe(name)
      const sub = await connect(c, 'acme/crash/reader')
      const box = collect(await sub.subscribe(name))
      const pub = await connect(a, 'acme/crash/writer')
      await pub.publish(name, 'warm-up', { mode: 'multicast' })

      const outcomes: Outcome[] = []
      let killedAt = 0
      let back = false
      let i = 0
      const publishing = (async () => {
        const inFlight = new Set<Promise<void>>()
        while (!back || outcomes.filter(o => o.startedAt > killedAt && o.seq != null).length < 40) {
          const n = i++
          const startedAt = Date.now()
          const p = pub.publish(name, `m${n}`, { mode: 'multicast' }).then(
            r => { outcomes.push({ i: n, seq: r.seq, ms: Date.now() - startedAt, startedAt }) },
            (err: Error) => { outcomes.push({ i: n, error: err.name, ms: Date.now() - startedAt, startedAt }) }
          ).finally(() => { inFlight.delete(p) })
          inFlight.add(p)
          if (inFlight.size >= 8) await Promise.race(inFlight)
          if (killedAt > 0 && !back) await new Promise(resolve => setTimeout(resolve, 20)) // pace while it is down
        }
        await Promise.all(inFlight)
      })()

      await waitFor(() => outcomes.filter(o => o.seq != null).length >= 50, 'traffic before the crash', 30_000)
      killedAt = Date.now()
      await killRelay(b)
      b = await restartRelay(b)
      relays.push(b)
      back = true
      await publishing

      const failed = outcomes.filter(o => o.error != null)
      expect(failed.filter(o => o.error !== 'UnavailableError')).toEqual([])
      // Prompt: nothing waited anywhere near the 30 s publish timeout.
      expect(Math.max(...outcomes.map(o => o.ms))).toBeLessThan(25_000)
      expect(failed.every(o => o.ms < 5_000 || o.startedAt < killedAt)).toBe(true)
      // After the restart, numbering went on.
      const acked = outcomes.filter(o => o.seq != null)
      expect(acked.filter(o => o.startedAt > killedAt).length).toBeGreaterThanOrEqual(40)

      const ackedTexts = new Map(acked.map(o => [o.seq as number, `m${o.i}`]))
      const maxSeq = Math.max(...ackedTexts.keys())
      await waitFor(() => box.some(m => (m.seq ?? 0) >= maxSeq), `the subscriber to reach seq ${maxSeq}`, 30_000)
      const seqs = box.map(m => m.seq as number)
      expect(new Set(seqs).size).toBe(seqs.length) // none twice
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs) // in order
      const got = new Map(box.map(m => [m.seq as number, new TextDecoder().decode(m.data)]))
      for (const [seq, t] of ackedTexts) expect(got.get(seq), `acknowledged seq ${seq}`).toBe(t)
    } finally {
      await stopAll(...agents)
    }
  }, 120_000)
})
