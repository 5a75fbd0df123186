/**
 * Stalled inbound connections, the relay in its own process: one host (127.0.0.2, still
 * loopback: Linux routes all of 127.0.0.0/8 to lo) opens 400 TCP connections and sends
 * nothing on them, or the first bytes of the multistream-select header, and stalls.
 * libp2p's global pending pool is 256; without a per-host cap those 400 fill it and lock
 * every new agent out until the upgrade timeout. With it, the host holds its share
 * (maxPendingPerHost, 32 by default), its excess connections are closed at once, the
 * ones it holds are closed at the upgrade timeout, and agents from 127.0.0.1 connect and
 * are served at once.
 */
import { describe, it, expect, afterAll, afterEach } from 'vitest'
import { connect as tcpConnect } from 'node:net'
import type { Socket } from 'node:net'
import { connectAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import { multiaddr } from '@multiformats/multiaddr'
import { relay, stopAll, testMesh, waitFor, collect } from '../helpers.js'
import { startRelayProcess, stopRelayProcess } from '../process-relays.js'
import type { ProcessRelay } from '../process-relays.js'

const relays: ProcessRelay[] = []
afterAll(async () => { for (const r of relays) await stopRelayProcess(r) })
let stallers: Socket[] = []
afterEach(() => { for (const s of stallers) s.destroy(); stallers = [] })

/** The first bytes of `/multistream/1.0.0\n`, length-prefixed, cut short. */
const PARTIAL_HEADER = Buffer.from([0x13, ...Buffer.from('/multistr')])

interface Staller { socket: Socket, closedAt?: number }

/** Opens `n` connections from `from` to the relay; every other one sends a partial header. Resolves once all are connected (or closed). */
async function stall (relay: ProcessRelay, n: number, from: string): Promise<Staller[]> {
  const port = Number(multiaddr(relay.addr).getComponents().find(c => c.name === 'tcp')?.value)
  const out: Staller[] = []
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    await new Promise<void>((resolve) => {
      const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: from })
      const s: Staller = { socket }
      out.push(s)
      stallers.push(socket)
      socket.on('error', () => {})
      socket.on('close', () => { s.closedAt ??= Date.now(); resolve() })
      socket.on('connect', () => {
        if (i % 2 === 1) socket.write(PARTIAL_HEADER)
        resolve()
      })
    })
  }))
  return out
}

async function agent (r: ProcessRelay, name: string): Promise<Agent> {
  return await connectAgent({ relay: r.addr, name, keepaliveMs: 1000, handshakeTimeoutMs: 5000, credentials: (await testMesh()).credentials })
}

/** Connects a serving agent and a client, and does a request and a multicast publish; the time it took. */
async function served (r: ProcessRelay, tag: string): Promise<{ ms: number, agents: Agent[] }> {
  const start = Date.now()
  const server = await agent(r, `acme/stall/server-${tag}`)
  const client = await agent(r, `acme/stall/client-${tag}`)
  const agents = [server, client]
  const requests = await server.subscribe(`acme/stall/svc-${tag}`)
  void (async () => { for await (const m of requests) await m.respond?.(`re: ${new TextDecoder().decode(m.data)}`) })()
  const box = collect(await client.subscribe(`acme/stall/feed-${tag}`))
  const reply = await client.request(`acme/stall/svc-${tag}`, 'ping', { timeoutMs: 5000 })
  expect(new TextDecoder().decode(reply.data)).toBe('re: ping')
  const { seq } = await server.publish(`acme/stall/feed-${tag}`, 'hello', { mode: 'multicast' })
  expect(seq).toBe(1)
  await waitFor(() => box.length === 1, 'the multicast at the subscriber', 5000)
  return { ms: Date.now() - start, agents }
}

describe('stalled connections from one host', () => {
  it('400 stalled connections from 127.0.0.2 lock no agent out: agents from 127.0.0.1 connect, request and publish at once', async () => {
    const r = await startRelayProcess()
    relays.push(r)
    const s = await stall(r, 400, '127.0.0.2')
    expect(s.length).toBe(400)
    const agents: Agent[] = []
    try {
      for (const tag of ['a', 'b', 'c']) {
        const got = await served(r, tag)
        agents.push(...got.agents)
        console.log(`with 400 stalled connections: two agents connected, a request answered and a multicast delivered in ${got.ms} ms`)
        // Loopback handshakes take milliseconds; 3 s leaves room for a loaded machine.
        expect(got.ms).toBeLessThan(3000)
      }
    } finally {
      await stopAll(...agents)
      await stopRelayProcess(r)
    }
  }, 60_000)

  it('the host\'s connections past maxPendingPerHost are closed at once; the rest at the upgrade timeout', async () => {
    const r = await startRelayProcess({ inbound: { maxPendingPerHost: 32, upgradeTimeoutMs: 6000 } })
    relays.push(r)
    try {
      const started = Date.now()
      const s = await stall(r, 400, '127.0.0.2')
      // The excess goes at once (each refused as its upgrade begins): well before the
      // upgrade timeout, even on a loaded machine.
      await waitFor(() => s.filter(x => x.closedAt != null).length >= 400 - 32, 'the excess to be closed', 4000)
      const early = s.filter(x => x.closedAt != null && x.closedAt - started < 4000).length
      expect(early).toBe(400 - 32)
      expect(s.filter(x => x.closedAt == null).length).toBe(32)
      // The 32 it held are closed at the upgrade timeout, not before.
      await waitFor(() => s.every(x => x.closedAt != null), 'the held ones to be closed', 10_000)
      const held = s.map(x => (x.closedAt as number) - started).sort((a, b) => a - b).slice(400 - 32)
      expect(Math.min(...held)).toBeGreaterThanOrEqual(5500)
      // And the host may connect again afterwards: the cap counts what is pending, not what was.
      const again = await stall(r, 32, '127.0.0.2')
      await new Promise(resolve => setTimeout(resolve, 500))
      expect(again.filter(x => x.closedAt == null).length).toBe(32)
    } finally {
      await stopRelayProcess(r)
    }
  }, 60_000)

  it('without the per-host cap (raised past the pool) the same 400 stallers do lock a new agent out: the check is what keeps it out', async () => {
    const r = await startRelayProcess({ inbound: { maxPendingPerHost: 10_000 } })
    relays.push(r)
    try {
      await stall(r, 400, '127.0.0.2')
      await expect(agent(r, 'acme/stall/locked-out')).rejects.toThrow()
    } finally {
      await stopRelayProcess(r)
    }
  }, 60_000)

  it('a limit that is no whole number of 1 or more is refused before the relay starts, naming the key and its default', async () => {
    await expect(relay({ inbound: { maxPendingPerHost: 0 } })).rejects.toMatchObject({ name: 'InvalidInboundLimitsError', message: expect.stringContaining('inbound.maxPendingPerHost is 0') })
    await expect(relay({ inbound: { upgradeTimeoutMs: 1.5 } })).rejects.toMatchObject({ name: 'InvalidInboundLimitsError', message: expect.stringContaining('default 5000') })
  })
})
