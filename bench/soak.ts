/**
 * The soak: two relays in their own processes (archives on disk), a steady load for a
 * while, and the relays' memory sampled every `--every` seconds, to show it reaching a
 * plateau rather than growing with the messages carried.
 *
 *   npm run build && node dist/bench/soak.js [--minutes 10] [--rate 400] [--every 30]
 *
 * Load: publishers on both relays multicast 1 KiB messages to 20 names at `--rate`
 * messages per second in all, read by a subscriber per name on each relay; and a
 * request every 20 ms to a service with an instance on each relay. At the end it prints
 * each relay's heap and resident set at every sample and the growth of the last third of
 * the run over the middle third, and exits non-zero if any acknowledged message failed to
 * arrive.
 */
import '../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAgent } from '../src/agent/agent.js'
import type { Agent } from '../src/agent/agent.js'
import { agentCredentials } from './mesh.js'
import { relayMemory, startLine, stopRelays } from './relays.js'
import type { RelayMemory } from './relays.js'

function arg (name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number (got ${process.argv[i + 1] ?? ''})`)
  return v
}

const minutes = arg('minutes', 10)
const rate = arg('rate', 400)
const every = arg('every', 30)
const NAMES = Array.from({ length: 20 }, (_, i) => `acme/soak/feed${i}`)
const MiB = 1024 * 1024

const root = await mkdtemp(join(tmpdir(), 'slim-soak-'))
process.env.SLIM_BENCH_DATA_DIR = root
process.env.SLIM_BENCH_RELAY_ARGS = `${process.env.SLIM_BENCH_RELAY_ARGS ?? ''} --expose-gc`
const relays = await startLine(2)
const credentials = await agentCredentials()
const agents: Agent[] = []
const connect = async (i: number, name: string): Promise<Agent> => {
  const a = await connectAgent({ relay: relays[i]?.addr as string, name, credentials })
  agents.push(a)
  return a
}

let acked = 0
let failed = 0
let delivered = 0
let replies = 0
try {
  for (const [i, r] of relays.entries()) {
    const sub = await connect(i, `acme/soak/reader${i}`)
    for (const name of NAMES) {
      const s = await sub.subscribe(name)
      void (async () => { for await (const _ of s) delivered++ })()
    }
    const server = await connect(i, `acme/soak/server${i}`)
    const echo = await server.subscribe('acme/soak/echo')
    void (async () => { for await (const m of echo) await m.respond?.('ok').catch(() => {}) })()
    void r
  }
  const pubs = [await connect(0, 'acme/soak/pub0'), await connect(1, 'acme/soak/pub1')]
  const client = await connect(0, 'acme/soak/client')
  const payload = new Uint8Array(1024)
  const start = Date.now()
  const end = start + minutes * 60_000
  const samples: Array<{ at: number, relays: RelayMemory[] }> = []
  const sample = async (): Promise<void> => {
    const at = Math.round((Date.now() - start) / 1000)
    const mem = await Promise.all(relays.map(async r => await relayMemory(r)))
    samples.push({ at, relays: mem })
    console.log(`${String(at).padStart(5)} s  ${mem.map((m, i) => `relay${i} heap ${(m.heapUsed / MiB).toFixed(1)}/${(m.heapTotal / MiB).toFixed(0)} ext ${(m.external / MiB).toFixed(1)} rss ${(m.rss / MiB).toFixed(0)} (anon ${((m.rssAnon ?? 0) / MiB).toFixed(0)} file ${((m.rssFile ?? 0) / MiB).toFixed(0)}) MiB`).join('  ')}  acked ${acked} delivered ${delivered} replies ${replies} failed ${failed}`)
  }
  await sample()
  let nextSample = Date.now() + every * 1000
  let sent = 0
  let k = 0
  const inFlight = new Set<Promise<unknown>>()
  const requests = setInterval(() => { void client.request('acme/soak/echo', 'ping', { timeoutMs: 5000 }).then(() => { replies++ }, () => { failed++ }) }, 20)
  while (Date.now() < end) {
    // Steady pace: as many as the rate owes by now, with at most 256 unacknowledged.
    const owed = Math.floor((Date.now() - start) / 1000 * rate) - sent
    for (let n = 0; n < owed && inFlight.size < 256; n++, sent++) {
      const name = NAMES[k++ % NAMES.length] as string
      const p = (pubs[k % 2] as Agent).publish(name, payload, { mode: 'multicast' }).then(() => { acked++ }, () => { failed++ })
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
    }
    if (Date.now() >= nextSample) { await sample(); nextSample += every * 1000 }
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  clearInterval(requests)
  await Promise.all(inFlight)
  const owedDeliveries = 2 * acked
  for (let t = 0; t < 300 && delivered < owedDeliveries; t++) await new Promise(resolve => setTimeout(resolve, 100))
  await sample()
  const third = Math.max(1, Math.floor(samples.length / 3))
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  for (const i of relays.keys()) {
    const heap = samples.map(s => s.relays[i]?.heapUsed ?? 0)
    const rss = samples.map(s => s.relays[i]?.rss ?? 0)
    const anon = samples.map(s => s.relays[i]?.rssAnon ?? 0)
    const mid = (xs: number[]): number => mean(xs.slice(third, 2 * third))
    const last = (xs: number[]): number => mean(xs.slice(2 * third))
    console.log(`relay${i}: heap middle third ${(mid(heap) / MiB).toFixed(1)} MiB, last third ${(last(heap) / MiB).toFixed(1)} MiB (${((last(heap) / mid(heap) - 1) * 100).toFixed(1)}%); rss ${(mid(rss) / MiB).toFixed(0)} -> ${(last(rss) / MiB).toFixed(0)} MiB (${((last(rss) / mid(rss) - 1) * 100).toFixed(1)}%), of which anonymous ${(mid(anon) / MiB).toFixed(0)} -> ${(last(anon) / MiB).toFixed(0)} MiB (${((last(anon) / Math.max(1, mid(anon)) - 1) * 100).toFixed(1)}%)`)
  }
  console.log(`${minutes} min at ${rate} msg/s: ${acked} multicast acknowledged, ${delivered} of ${owedDeliveries} deliveries, ${replies} request replies, ${failed} failed`)
  if (delivered < owedDeliveries) process.exitCode = 1
} finally {
  for (const a of agents) await a.close().catch(() => {})
  await stopRelays(relays)
  await rm(root, { recursive: true, force: true })
}
