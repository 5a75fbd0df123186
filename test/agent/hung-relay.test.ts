/**
 * A hung relay (its process stopped with SIGSTOP: TCP stays open, nothing answers),
 * relays in their own processes. An agent on relay A with `relays: [B]`, subscribed and
 * publishing, gives A up within the default keepalive (four silent ticks of 750 ms), moves
 * to B and is served there (a publish acknowledged, its subscription delivering) within
 * 5 s of the stop, with nothing acknowledged lost and no gap in its subscription. And the
 * other way round: a relay takes an agent that went silent as away after its silence
 * timeout, and keeps one that only receives (agents ping at least every two ticks).
 */
import { describe, it, expect, afterAll } from 'vitest'
import { connectAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import type { AgentStatus } from '../../src/actors/agent-session.actor.js'
import type { Message } from '../../src/agent/message.js'
import { agent as helperAgent, relay, stopAll, testMesh, waitFor } from '../helpers.js'
import { rawSession } from '../relay/raw-session.js'
import { pauseRelay, resumeRelay, startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'

const relays: ProcessRelay[] = []
afterAll(async () => { for (const r of relays) await stopRelayProcess(r) })

const NAME = 'acme/hung/feed'
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('a hung relay', () => {
  it('an agent on a relay stopped with SIGSTOP is on the next relay and served within 5 s of the stop, nothing acknowledged lost', async () => {
    const a = await startRelayProcess()
    relays.push(a)
    const b = await startRelayProcess({ bootstrap: [a.addr] })
    relays.push(b)
    const creds = (await testMesh()).credentials
    const agents: Agent[] = []
    try {
      // First used at B, so B sequences the name: what the agent is served by after the move does not hang with A.
      const feeder = await connectAgent({ relay: b.addr, name: 'acme/hung/feeder', credentials: creds })
      agents.push(feeder)
      await feeder.subscribe(NAME)
      const statuses: Array<AgentStatus & { at: number }> = []
      // Default keepalive: the defaults are what is measured.
      const agent = await connectAgent({ relay: a.addr, relays: [b.addr], name: 'acme/hung/agent', credentials: creds, publishTimeoutMs: 30_000, onStatus: s => statuses.push({ ...s, at: Date.now() }) })
      agents.push(agent)
      const box: Array<Message & { at: number }> = []
      const sub = await agent.subscribe(NAME)
      void (async () => { try { for await (const m of sub) box.push({ ...m, at: Date.now() }) } catch {} })()

      // Both publish all along: the feeder from B every 50 ms, the agent one after another.
      let running = true
      const feeding = (async () => {
        let i = 0
        while (running) {
          await feeder.publish(NAME, `f${i++}`, { mode: 'multicast' }).catch(() => {})
          await new Promise(resolve => setTimeout(resolve, 50))
        }
      })()
      const acks: Array<{ text: string, seq: number, at: number }> = []
      const publishing = (async () => {
        let i = 0
        while (running) {
          const t = `a${i++}`
          try {
            const { seq } = await agent.publish(NAME, t, { mode: 'multicast' })
            acks.push({ text: t, seq: seq as number, at: Date.now() })
          } catch {}
          await new Promise(resolve => setTimeout(resolve, 20))
        }
      })()
      await waitFor(() => acks.length >= 20 && box.length >= 40, 'traffic through A before the stop', 20_000)

      const stoppedAt = Date.now()
      pauseRelay(a)
      await waitFor(() => acks.some(x => x.at > stoppedAt) && box.some(m => m.at > stoppedAt), 'the agent served again after the stop', 15_000)
      const servedAt = Math.max(acks.find(x => x.at > stoppedAt)?.at ?? Infinity, box.find(m => m.at > stoppedAt)?.at ?? Infinity)
      const ms = servedAt - stoppedAt
      console.log(`hung relay: given up after ${(statuses.find(s => s.type === 'session.reconnecting' && s.at > stoppedAt)?.at ?? NaN) - stoppedAt} ms, on B after ${(statuses.find(s => s.type === 'session.reconnected' && s.at > stoppedAt)?.at ?? NaN) - stoppedAt} ms, served after ${ms} ms`)
      expect(ms).toBeLessThan(5000)
      const moved = statuses.filter(s => s.at > stoppedAt)
      expect(moved.map(s => s.type)).toEqual(['session.reconnecting', 'session.reconnected'])
      expect(moved[0]?.error?.name).toBe('TimeoutError')
      expect(moved[1]?.relay).toBe(b.addr)

      // A little more traffic on B, then nothing acknowledged is missing and nothing came twice or out of order.
      const more = acks.length + 10
      await waitFor(() => acks.length >= more, 'ten more acknowledged on B', 10_000)
      running = false
      await Promise.all([feeding, publishing])
      const maxSeq = Math.max(...acks.map(x => x.seq))
      await waitFor(() => box.some(m => (m.seq ?? 0) >= maxSeq), `the subscription to reach seq ${maxSeq}`, 10_000)
      const seqs = box.map(m => m.seq as number)
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] as number) + i))
      const got = new Map(box.map(m => [m.seq as number, text(m.data)]))
      for (const x of acks) expect(got.get(x.seq), `acknowledged seq ${x.seq}`).toBe(x.text)
    } finally {
      resumeRelay(a)
      await stopAll(...agents)
    }
  }, 90_000)
})

describe('a busy relay', () => {
  it('a relay that stops for 1.5 s (SIGSTOP, then SIGCONT) is kept: no reconnect, and the publishes made meanwhile are acknowledged', async () => {
    const a = await startRelayProcess()
    relays.push(a)
    const statuses: AgentStatus[] = []
    const agent = await connectAgent({ relay: a.addr, name: 'acme/busy/agent', credentials: (await testMesh()).credentials, onStatus: s => statuses.push(s) })
    try {
      await agent.subscribe('acme/busy/feed')
      await agent.publish('acme/busy/feed', 'before', { mode: 'multicast' })
      pauseRelay(a)
      const during = agent.publish('acme/busy/feed', 'during', { mode: 'multicast' })
      await new Promise(resolve => setTimeout(resolve, 1500)) // the stall being survived
      resumeRelay(a)
      expect((await during).seq).toBe(2)
      // Past the point where four silent ticks would have given it up, had the stall lasted.
      await new Promise(resolve => setTimeout(resolve, 1500))
      expect(statuses.map(s => s.type)).toEqual(['session.connected'])
    } finally {
      resumeRelay(a)
      await stopAll(agent)
      await stopRelayProcess(a)
    }
  }, 60_000)
})

describe('a hung agent, seen from its relay', () => {
  it('an agent that handshakes and then says nothing is taken as away after the silence timeout', async () => {
    const r = await relay({ timings: { silenceTimeoutMs: 1500 } })
    const raw = await rawSession(r.multiaddrs[0] as string)
    try {
      const name = await raw.handshake('acme/hung/mute')
      await waitFor(() => r.agents().includes(name), 'the agent attached')
      const attachedAt = Date.now()
      await waitFor(() => !r.agents().includes(name), 'the relay to take it as away', 5000)
      expect(Date.now() - attachedAt).toBeGreaterThanOrEqual(1400)
    } finally {
      await stopAll(r, raw)
    }
  })

  it('an agent that only receives still pings often enough: the relay keeps it through many silence timeouts', async () => {
    const r = await relay({ timings: { silenceTimeoutMs: 1500 } })
    const statuses: AgentStatus[] = []
    const reader = await helperAgent(r, 'acme/hung/reader', { keepaliveMs: 500, onStatus: s => statuses.push(s) })
    const writer = await helperAgent(r, 'acme/hung/writer')
    try {
      const box: Message[] = []
      const sub = await reader.subscribe('acme/hung/stream')
      void (async () => { try { for await (const m of sub) box.push(m) } catch {} })()
      const until = Date.now() + 5000
      while (Date.now() < until) {
        await writer.publish('acme/hung/stream', 'x', { mode: 'multicast' })
        await new Promise(resolve => setTimeout(resolve, 50))
      }
      expect(r.agents()).toContain(reader.name)
      expect(statuses.filter(s => s.type === 'session.reconnecting')).toEqual([])
      expect(box.length).toBeGreaterThan(50)
    } finally {
      await stopAll(reader, writer, r)
    }
  }, 30_000)
})
