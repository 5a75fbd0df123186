/**
 * slim-mesh's side of each scenario: real relays in their own processes, agents in this
 * one, 1 KiB messages.
 */
import { connectAgent } from '../src/agent/agent.js'
import type { Agent } from '../src/agent/agent.js'
import { p50, payload, usSince, until } from './stats.js'
import { loopDelay, startLine, stopRelays } from './relays.js'
import { agentCredentials } from './mesh.js'
import type { LoopDelay, RelayProcess } from './relays.js'

async function agentOn (r: RelayProcess, name: string): Promise<Agent> {
  return await connectAgent({ relay: r.addr, name, credentials: await agentCredentials() })
}

/**
 * What a session costs to set up: p50 ms from `connectAgent` to attached, `n` agents one
 * after another on one relay (with credentials: the credential is signed by the agent
 * and checked by the relay; in open mode, neither).
 */
export async function oursSessionSetup (n = 200): Promise<number> {
  const relays = await startLine(1)
  try {
    const times: number[] = []
    for (let i = 0; i < n + 20; i++) {
      const start = process.hrtime.bigint()
      const a = await agentOn(relays[0] as RelayProcess, `bench/setup/a${i}`)
      if (i >= 20) times.push(Number(process.hrtime.bigint() - start) / 1e6)
      await a.close()
    }
    return p50(times)
  } finally {
    await stopRelays(relays)
  }
}

/** Waits until `name` is routable from `client` (anycast), by retrying a request. */
async function routable (client: Agent, name: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.request(name, payload(8), { timeoutMs: 2000 })
      return
    } catch (err) {
      if (i > 200) throw err
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
}

/** p50 request/reply latency (us) across `hops` relays (1 or 2). */
export async function oursRequestReply (relayCount: 1 | 2, n = 2000): Promise<number> {
  const relays = await startLine(relayCount)
  try {
    const server = await agentOn(relays[relays.length - 1] as RelayProcess, 'bench/rr/echo')
    const sub = await server.subscribe('bench/rr/echo')
    void (async () => { for await (const m of sub) await m.respond?.(m.data).catch(() => {}) })()
    const client = await agentOn(relays[0] as RelayProcess, 'bench/rr/client')
    await routable(client, 'bench/rr/echo')
    const msg = payload()
    const times: number[] = []
    for (let i = 0; i < n + 200; i++) {
      const start = process.hrtime.bigint()
      await client.request('bench/rr/echo', msg)
      if (i >= 200) times.push(usSince(start))
    }
    await client.close()
    await server.close()
    return p50(times)
  } finally {
    await stopRelays(relays)
  }
}

export interface Throughput { perSecond: number, loop: LoopDelay }

/**
 * One publisher to one subscriber through one relay, unicast. Acknowledged: pipelined
 * with `window` unacknowledged at most. Fire and forget (`ack: false`): as fast as the
 * stream to the relay drains, like a NATS core publish.
 */
export async function oursOneToOne (ack: boolean, n = 50_000, window = 2000): Promise<Throughput> {
  const relays = await startLine(1)
  const relay = relays[0] as RelayProcess
  try {
    const sink = await agentOn(relay, 'bench/tp/sink')
    const sub = await sink.subscribe('bench/tp/sink')
    let got = 0
    void (async () => { for await (const _ of sub) got++ })()
    const pub = await agentOn(relay, 'bench/tp/source')
    await pub.publish(sink.name, payload(8))
    await until(() => got === 1, 'the first message')
    got = 0
    const msg = payload()
    await loopDelay(relay)
    const start = process.hrtime.bigint()
    if (ack) await pipelined(n, window, async () => { await pub.publish(sink.name, msg) })
    else for (let i = 0; i < n; i++) await pub.publish(sink.name, msg, { ack: false })
    await until(() => got >= n, 'all deliveries')
    const perSecond = n / (usSince(start) / 1e6)
    const loop = await loopDelay(relay)
    await pub.close()
    await sink.close()
    return { perSecond, loop }
  } finally {
    await stopRelays(relays)
  }
}

/**
 * Multicast on one channel to `members` subscribers spread over 3 relays: deliveries per
 * second. Every message is sequenced and archived by the sequencer either way; `ack`
 * says whether the publisher waits for the sequencer's acknowledgement (pipelined).
 */
export async function oursFanOut (ack: boolean, members = 10, n = 5000, window = 1000): Promise<Throughput> {
  const relays = await startLine(3)
  try {
    const channel = 'bench/fan/news'
    const pub = await agentOn(relays[0] as RelayProcess, 'bench/fan/pub')
    await pub.publish(channel, payload(8), { mode: 'multicast' }) // the publisher's relay sequences
    const readers: Agent[] = []
    let got = 0
    for (let i = 0; i < members; i++) {
      const a = await agentOn(relays[i % relays.length] as RelayProcess, `bench/fan/reader${i}`)
      const sub = await a.subscribe(channel)
      void (async () => { for await (const _ of sub) got++ })()
      readers.push(a)
    }
    // Until every reader gets a probe, the multicast tree is still forming.
    for (let probe = 0; ; probe++) {
      const before = got
      await pub.publish(channel, payload(8), { mode: 'multicast' })
      try { await until(() => got - before >= members, 'probe', 2000); break } catch { if (probe > 20) throw new Error('fan-out never reached every reader') }
    }
    await new Promise(resolve => setTimeout(resolve, 300))
    got = 0
    const msg = payload()
    for (const r of relays) await loopDelay(r)
    const start = process.hrtime.bigint()
    if (ack) await pipelined(n, window, async () => { await pub.publish(channel, msg, { mode: 'multicast' }) })
    else for (let i = 0; i < n; i++) await pub.publish(channel, msg, { mode: 'multicast', ack: false })
    await until(() => got >= n * members, 'all fan-out deliveries', 120_000)
    const perSecond = (n * members) / (usSince(start) / 1e6)
    const delays = await Promise.all(relays.map(async r => await loopDelay(r)))
    const loop = delays.reduce((a, b) => (b.p99 > a.p99 ? b : a))
    for (const a of [pub, ...readers]) await a.close()
    return { perSecond, loop }
  } finally {
    await stopRelays(relays)
  }
}

/** Runs `n` calls of `f` with at most `window` in flight. */
async function pipelined (n: number, window: number, f: () => Promise<void>): Promise<void> {
  let started = 0
  const worker = async (): Promise<void> => {
    while (started < n) { started++; await f() }
  }
  await Promise.all(Array.from({ length: Math.min(window, n) }, worker))
}
