/**
 * Delivery modes with real relays on 127.0.0.1, on a 3-relay line and a 4-relay star.
 * In both, `near` is the publisher's relay and `far` are relays two hops away.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { line, star, agent, collect, routed, waitFor, stopAll, text, str } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { agentInternals } from '../../src/agent/agent.js'
import { relayInternals } from '../../src/node/relay-node.js'

interface Topology { name: string, build: () => Promise<Relay[]>, near: number, mid: number, far: number[] }

const topologies: Topology[] = [
  { name: '3-relay line', build: async () => await line(3), near: 0, mid: 1, far: [2, 2] },
  { name: '4-relay star', build: async () => await star(4), near: 1, mid: 0, far: [2, 3] }
]

describe.each(topologies)('delivery on a $name', (topo) => {
  let relays: Relay[] = []
  const agents: Agent[] = []
  const r = (i: number): Relay => relays[i] as Relay
  const make = async (i: number, name: string): Promise<Agent> => { const a = await agent(r(i), name); agents.push(a); return a }

  beforeAll(async () => { relays = await topo.build() })
  afterAll(async () => { await stopAll(...agents, ...relays) })

  it('anycast reaches exactly one instance per message, spread evenly across the nearest instances', async () => {
    const svc = 'acme/anycast/worker'
    const workers = [await make(topo.far[0] as number, svc), await make(topo.far[1] as number, svc), await make(topo.far[1] as number, svc)]
    const inboxes = await Promise.all(workers.map(async w => collect(await w.subscribe(svc))))
    const client = await make(topo.near, 'acme/anycast/client')
    await routed(relays, svc, 3)
    for (let i = 0; i < 30; i++) await client.publish(svc, text(`job ${i}`))
    await waitFor(() => inboxes.reduce((n, b) => n + b.length, 0) === 30, 'all 30 jobs delivered')
    const all = inboxes.flatMap(b => b.map(m => str(m.data))).sort()
    expect(new Set(all).size).toBe(30) // each exactly once
    expect(inboxes.map(b => b.length)).toEqual([10, 10, 10])
  })

  it('anycast goes to the nearest instance first', async () => {
    const svc = 'acme/anycast/nearest'
    const nearWorker = await make(topo.mid, svc)
    const farWorker = await make(topo.far[0] as number, svc)
    const nearBox = collect(await nearWorker.subscribe(svc))
    const farBox = collect(await farWorker.subscribe(svc))
    const client = await make(topo.near, 'acme/anycast/client2')
    await routed(relays, svc, 2)
    for (let i = 0; i < 10; i++) await client.publish(svc, text(`n${i}`))
    await waitFor(() => nearBox.length === 10, 'delivery to the nearest instance')
    expect(farBox).toHaveLength(0)
  })

  it('unicast reaches the named instance only', async () => {
    const svc = 'acme/unicast/worker'
    const ws = [await make(topo.far[0] as number, svc), await make(topo.far[1] as number, svc), await make(topo.mid, svc)]
    const boxes = await Promise.all(ws.map(async w => collect(await w.subscribe(svc))))
    const client = await make(topo.near, 'acme/unicast/client')
    await routed(relays, svc, 3)
    const target = ws[1] as Agent
    for (let i = 0; i < 5; i++) await client.publish(target.name, text(`for you ${i}`))
    await waitFor(() => (boxes[1]?.length ?? 0) === 5, 'unicast delivery')
    expect(boxes[0]).toHaveLength(0)
    expect(boxes[2]).toHaveLength(0)
    expect(boxes[1]?.every(m => m.mode === 'unicast' && m.destination === target.name)).toBe(true)
  })

  it('multicast reaches every subscriber on every relay, in the same order at each', async () => {
    const channel = 'acme/multicast/news'
    const subscribers: Agent[] = []
    for (let i = 0; i < relays.length; i++) subscribers.push(await make(i, `acme/multicast/reader${i}`))
    const boxes = await Promise.all(subscribers.map(async s => collect(await s.subscribe(channel))))
    const p1 = await make(topo.near, 'acme/multicast/pub1')
    const p2 = await make(topo.far[0] as number, 'acme/multicast/pub2')
    await routed(relays, channel, relays.length)
    const N = 40
    // Two publishers at once, on different relays: the sequencer decides one order.
    const acks = await Promise.all([
      Promise.all(Array.from({ length: N }, async (_, i) => await p1.publish(channel, text(`a${i}`), { mode: 'multicast' }))),
      Promise.all(Array.from({ length: N }, async (_, i) => await p2.publish(channel, text(`b${i}`), { mode: 'multicast' })))
    ])
    const seqs = acks.flat().map(a => a.seq as number).sort((x, y) => x - y)
    expect(seqs).toEqual(Array.from({ length: 2 * N }, (_, i) => i + 1))
    await waitFor(() => boxes.every(b => b.length === 2 * N), 'every subscriber to get every message').catch(e => { throw new Error(`${(e as Error).message}: got ${boxes.map(b => b.length).join(' ')}; seqs ${boxes.map(b => b.map(m => m.seq).join('.')).join(' | ')}`) })
    const orders = boxes.map(b => b.map(m => `${m.seq}:${str(m.data)}`).join(','))
    for (const o of orders) expect(o).toBe(orders[0])
    expect(boxes[0]?.map(m => m.seq)).toEqual(seqs)
    // Each publisher's own messages keep the order it sent them in.
    const aOrder = boxes[0]?.map(m => str(m.data)).filter(d => d.startsWith('a'))
    expect(aOrder).toEqual(Array.from({ length: N }, (_, i) => `a${i}`))
  })

  it('request gets its reply across two relay hops', async () => {
    const svc = 'acme/rpc/upper'
    const server = await make(topo.far[0] as number, svc)
    const sub = await server.subscribe(svc)
    void (async () => { for await (const m of sub) await m.respond?.(text(str(m.data).toUpperCase())).catch(() => {}) })()
    const client = await make(topo.near, 'acme/rpc/client')
    await routed(relays, svc, 1)
    expect(relayInternals(r(topo.near)).table.distance(r(topo.far[0] as number).peerId)).toBe(2)
    const reply = await client.request(svc, text('hello'))
    expect(str(reply.data)).toBe('HELLO')
    expect(reply.source).toBe(server.name)
  })

  it('a publish to a name nobody serves fails with NoRouteError', async () => {
    const client = await make(topo.near, 'acme/rpc/lonely')
    await expect(client.publish('acme/nobody/home', text('x'))).rejects.toMatchObject({ name: 'NoRouteError' })
    await expect(client.request('acme/nobody/home', text('x'))).rejects.toMatchObject({ name: 'NoRouteError' })
  })

  it('a relay answers Ping with Pong and stamps the source: an agent cannot spoof it', async () => {
    const svc = 'acme/spoof/inbox'
    const victim = await make(topo.far[0] as number, svc)
    const box = collect(await victim.subscribe(svc))
    const liar = await make(topo.near, 'acme/spoof/liar')
    await routed(relays, svc, 1)
    const env = agentInternals(liar).envelope(svc, text('trust me'), {})
    env.source = 'acme/bank/teller/aaaaaaaaaaaaaaaaaaaaaaaaaa'
    await agentInternals(liar).send(env)
    await waitFor(() => box.length === 1, 'delivery')
    expect(box[0]?.source).toBe(liar.name)
  })

  it('fire and forget (ack: false) delivers unicast and multicast in order without acknowledgements', async () => {
    const svc = 'acme/fire/sink'
    const sink = await make(topo.far[0] as number, svc)
    const direct = collect(await sink.subscribe(svc))
    const news = collect(await sink.subscribe('acme/fire/news'))
    const source = await make(topo.near, 'acme/fire/source')
    await routed(relays, svc, 1)
    await routed(relays, 'acme/fire/news', 1)
    for (let i = 0; i < 50; i++) expect(await source.publish(sink.name, text(`u${i}`), { ack: false })).toEqual({})
    for (let i = 0; i < 50; i++) expect(await source.publish('acme/fire/news', text(`m${i}`), { mode: 'multicast', ack: false })).toEqual({})
    await waitFor(() => direct.length === 50 && news.length === 50, 'every fire-and-forget message')
    expect(direct.map(m => str(m.data))).toEqual(Array.from({ length: 50 }, (_, i) => `u${i}`))
    expect(news.map(m => str(m.data))).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`))
    expect(news.map(m => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
  })
})
