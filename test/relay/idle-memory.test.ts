/**
 * Names cost nothing once idle: agents that subscribe to 50,000 names nobody publishes to
 * and then leave bring the relay (in its own process) back to within 1.2x of its idle
 * resident memory (and 1.5x of its idle heap). Memory is read after a garbage collection
 * in the relay process.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { connectAgent } from '../../src/agent/agent.js'
import { testMesh, waitFor } from '../helpers.js'
import { relayMemory, startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'

const MiB = 1024 * 1024
let r: ProcessRelay | undefined
afterAll(async () => { await stopRelayProcess(r) })

describe('idle names cost nothing', () => {
  it('50,000 names subscribed and dropped leave the relay within 1.2x of its idle memory', async () => {
    r = await startRelayProcess({})
    const relay = r
    const credentials = (await testMesh()).credentials
    const reconnects: string[] = []
    const connect = async (name: string): Promise<Awaited<ReturnType<typeof connectAgent>>> => await connectAgent({ relay: relay.addr, name, credentials, requestTimeoutMs: 300_000, onStatus: s => { if (s.type === 'session.reconnecting') reconnects.push(`${name}: ${JSON.stringify(s)}`) } })
    // Warm up what every relay loads on first use (sessions, streams, claims), then measure idle.
    const warm = await connect('acme/memory/warm')
    await Promise.all(Array.from({ length: 200 }, async (_, i) => await warm.subscribe(`acme/memory/warm${i}`)))
    await warm.close()
    await new Promise(resolve => setTimeout(resolve, 1000))
    const idle = await relayMemory(relay)

    const agents = await Promise.all(Array.from({ length: 5 }, async (_, i) => await connect(`acme/memory/a${i}`)))
    const perAgent = 10_000
    await Promise.all(agents.map(async (a, k) => {
      for (let i = 0; i < perAgent; i += 50) {
        await Promise.all(Array.from({ length: 50 }, async (_, j) => await a.subscribe(`acme/memory/n${k * perAgent + i + j}`)))
      }
    }))
    const busy = await relayMemory(relay)
    // Busy is not hung: no agent gave the relay up while it worked through the names.
    expect(reconnects).toEqual([])
    expect(busy.heapUsed).toBeGreaterThan(idle.heapUsed * 2) // the names did cost something while used
    for (const a of agents) await a.close()

    let after = idle
    // The resident set, as an operator sees it, back within 1.2x; the heap within 1.5x (a few bounded caches stay warm).
    await waitFor(async () => { after = await relayMemory(relay); return after.rss <= idle.rss * 1.2 && after.heapUsed <= idle.heapUsed * 1.5 }, 'the relay back within 1.2x of its idle memory', 60_000)
    console.log(`relay heap: idle ${(idle.heapUsed / MiB).toFixed(1)} MiB, 50,000 names subscribed ${(busy.heapUsed / MiB).toFixed(1)} MiB, dropped ${(after.heapUsed / MiB).toFixed(1)} MiB (rss ${(idle.rss / MiB).toFixed(0)} / ${(busy.rss / MiB).toFixed(0)} / ${(after.rss / MiB).toFixed(0)} MiB); longest event-loop stall while subscribing ${busy.loopMaxMs} ms`)
    // The relay still serves.
    const late = await connect('acme/memory/late')
    expect((await late.publish('acme/memory/n0', 'still here', { mode: 'multicast' })).seq).toBe(1)
    await late.close()
  }, 900_000)
})
