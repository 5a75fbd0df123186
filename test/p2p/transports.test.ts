/**
 * A relay's transports come from its options (TCP by default, WebSockets on request), and
 * the session and link actors do not care which one carries them: agents over WebSockets
 * and over TCP meet at one relay, relays link over WebSockets, and a listen address whose
 * transport is not enabled is one typed line before anything listens.
 */
import { describe, it, expect, afterEach } from 'vitest'
import type { Relay } from '../../src/node/relay-node.js'
import { transportOf } from '../../src/p2p/libp2p-node.js'
import { agent, collect, relay, routed, stopAll, str, text, waitFor } from '../helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

/** The relay's address over WebSockets (`.../tcp/PORT/ws/p2p/ID`), or over plain TCP. */
const wsAddr = (r: Relay): string => {
  const a = r.multiaddrs.find(m => transportOf(m) === 'websockets')
  if (a == null) throw new Error(`no /ws address among ${r.multiaddrs.join(' ')}`)
  return a
}
const tcpAddr = (r: Relay): string => {
  const a = r.multiaddrs.find(m => transportOf(m) === 'tcp')
  if (a == null) throw new Error(`no TCP address among ${r.multiaddrs.join(' ')}`)
  return a
}
const failure = async (p: Promise<Relay>): Promise<Error> => await p.then(async r => { cleanup.push(r); throw new Error('the relay started') }, (e: Error) => e)

describe('relay transports', () => {
  it('a relay on TCP and WebSockets at once: an agent on each exchanges a request/reply and multicast through it', async () => {
    const r = await relay({ transports: ['tcp', 'websockets'], listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'] })
    cleanup.push(r)
    // Two listeners on two ports: an agent that reached the /ws port spoke WebSockets
    // (TCP's dial filter does not take /ws addresses, and the ports differ).
    expect(wsAddr(r)).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3KooW/)
    expect(tcpAddr(r).split('/')[4]).not.toBe(wsAddr(r).split('/')[4])

    const web = await agent(r, 'acme/tx/web', { relay: wsAddr(r) })
    cleanup.push(web)
    const plain = await agent(r, 'acme/tx/plain', { relay: tcpAddr(r) })
    cleanup.push(plain)

    // Request/reply both ways: the TCP agent serves the WebSockets one, and back.
    const serve = async (a: typeof web, service: string): Promise<void> => {
      const sub = await a.subscribe(service)
      cleanup.push(sub)
      void (async () => { try { for await (const m of sub) if (m.mode !== 'multicast') await m.respond?.(`${service} got ${str(m.data)}`) } catch {} })()
    }
    await serve(plain, 'acme/tx/tcp-svc')
    await serve(web, 'acme/tx/ws-svc')
    await routed([r], 'acme/tx/tcp-svc')
    await routed([r], 'acme/tx/ws-svc')
    expect(str((await web.request('acme/tx/tcp-svc', text('q1'))).data)).toBe('acme/tx/tcp-svc got q1')
    expect(str((await plain.request('acme/tx/ws-svc', text('q2'))).data)).toBe('acme/tx/ws-svc got q2')

    // Multicast both ways on one channel.
    const webRoom = await web.subscribe('acme/tx/room')
    const plainRoom = await plain.subscribe('acme/tx/room')
    cleanup.push(webRoom, plainRoom)
    const webGot = collect(webRoom)
    const plainGot = collect(plainRoom)
    await routed([r], 'acme/tx/room', 2)
    await web.publish('acme/tx/room', text('from ws'), { mode: 'multicast' })
    await plain.publish('acme/tx/room', text('from tcp'), { mode: 'multicast' })
    await waitFor(() => webGot.some(m => str(m.data) === 'from tcp') && plainGot.some(m => str(m.data) === 'from ws'), 'multicast across the two transports')
    expect(plainGot.find(m => str(m.data) === 'from ws')).toMatchObject({ mode: 'multicast', source: web.name })
    expect(webGot.find(m => str(m.data) === 'from tcp')).toMatchObject({ mode: 'multicast', source: plain.name })
  })

  it('two relays linked over WebSockets only carry an anycast across', async () => {
    const only = { transports: ['websockets' as const], listen: ['/ip4/127.0.0.1/tcp/0/ws'] }
    const r0 = await relay(only)
    cleanup.push(r0)
    const r1 = await relay({ ...only, bootstrap: [wsAddr(r0)] })
    cleanup.push(r1)
    // Neither relay has TCP at all, so the link can only be WebSockets.
    expect(r0.multiaddrs.every(m => transportOf(m) === 'websockets')).toBe(true)
    await waitFor(() => r0.neighbours().includes(r1.peerId) && r1.neighbours().includes(r0.peerId), 'the link over WebSockets')

    const worker = await agent(r1, 'acme/tx/worker', { relay: wsAddr(r1) })
    cleanup.push(worker)
    const client = await agent(r0, 'acme/tx/client', { relay: wsAddr(r0) })
    cleanup.push(client)
    const sub = await worker.subscribe('acme/tx/summarizer')
    cleanup.push(sub)
    const got = collect(sub)
    await routed([r0, r1], 'acme/tx/summarizer')
    await client.publish('acme/tx/summarizer', text('across'))
    await waitFor(() => got.length === 1, 'the anycast at the worker on the other relay')
    expect(got[0]).toMatchObject({ mode: 'anycast', source: client.name })
    expect(str(got[0]!.data)).toBe('across')
  })

  it('a /ws listen address without websockets in transports: one ListenError line that names the fix', async () => {
    const err = await failure(relay({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] }))
    expect(err.name).toBe('ListenError')
    expect(err.message).toBe("cannot listen on /ip4/127.0.0.1/tcp/0/ws: it is a WebSockets address and the relay's transports are tcp only; add websockets to them (createRelay({ transports: ['tcp', 'websockets'] }); for slim-mesh node, transports in the config file, SLIM_MESH_TRANSPORTS=tcp,websockets or --transport websockets)")
    // And the other way round: a TCP address on a WebSockets-only relay.
    const tcpOnWs = await failure(relay({ transports: ['websockets'], listen: ['127.0.0.1:0'] }))
    expect(tcpOnWs.name).toBe('ListenError')
    expect(tcpOnWs.message).toMatch(/^cannot listen on \/ip4\/127\.0\.0\.1\/tcp\/0: it is a TCP address and the relay's transports are websockets only; add tcp to them/)
    expect(tcpOnWs.message).not.toMatch(/\n/)
  })

  it('refuses wss (no certificate to serve it with) and transports that name nothing known', async () => {
    const wss = await failure(relay({ transports: ['websockets'], listen: ['/ip4/127.0.0.1/tcp/0/wss'] }))
    expect(wss.name).toBe('ListenError')
    expect(wss.message).toMatch(/^cannot listen on \/ip4\/127\.0\.0\.1\/tcp\/0\/wss: secure WebSockets \(wss\) needs a TLS certificate/)
    const none = await failure(relay({ transports: [] }))
    expect(none).toMatchObject({ name: 'InvalidTransportsError', message: "the relay's transports name none; give one or more of tcp, websockets (default tcp)" })
    const quic = await failure(relay({ transports: ['quic' as never] }))
    expect(quic).toMatchObject({ name: 'InvalidTransportsError', message: 'the relay\'s transports name "quic", which slim-mesh does not have; use tcp, websockets' })
  })

  it('tells the transport of an address', () => {
    expect(transportOf('/ip4/127.0.0.1/tcp/7450')).toBe('tcp')
    expect(transportOf('/ip4/127.0.0.1/tcp/7450/p2p/12D3KooWD92JrdkRv3DVNd2TVY8KACQ3ygK6ARWvkYjWgA938Qfd')).toBe('tcp')
    expect(transportOf('/ip4/127.0.0.1/tcp/7451/ws')).toBe('websockets')
    expect(transportOf('/dns4/relay.example/tcp/443/tls/ws')).toBe('wss')
    expect(transportOf('/ip4/127.0.0.1/udp/5')).toBeUndefined()
  })
})
