/**
 * Peers that flood or stall: bounded, cut off, nobody else disturbed.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { relay, agent, line, stopAll, text, str, waitFor, collect, routed } from '../helpers.js'
import { rawSession } from './raw-session.js'
import { createAgentLibp2p } from '../../src/p2p/libp2p-node.js'
import { LINK_PROTOCOL, SESSION_PROTOCOL } from '../../src/wire/constants.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

describe('abuse', () => {
  it('opening session streams in a loop: past the cap they are refused, the relay keeps serving', async () => {
    const r = await relay()
    cleanup.push(r)
    const node = await createAgentLibp2p(await generateKeyPair('Ed25519'))
    cleanup.push(node)
    const results = await Promise.allSettled(Array.from({ length: 40 }, async () => await node.dialProtocol(multiaddr(r.multiaddrs[0] as string), SESSION_PROTOCOL)))
    // Past the cap a stream is refused at negotiation or reset just after: at most 8 stay open.
    const opened = results.flatMap(x => x.status === 'fulfilled' ? [x.value] : [])
    await waitFor(() => opened.filter(s => s.status === 'open').length <= 8, 'the excess streams to be refused or reset')
    expect(results.length - opened.filter(s => s.status === 'open').length).toBeGreaterThanOrEqual(32)
    const a = await agent(r, 'acme/abuse/ok')
    cleanup.push(a)
    const sub = collect(await a.subscribe('acme/abuse/ok'))
    await a.publish(a.name, text('self'))
    await waitFor(() => sub.length === 1, 'a normal agent served')
  })

  it('a subscriber that stops reading is cut off with bounded memory; the publisher is not stalled', async () => {
    const r = await relay()
    cleanup.push(r)
    const s = await rawSession(r.multiaddrs[0] as string)
    cleanup.push(s)
    const name = await s.handshake('acme/abuse/sloth')
    s.send({ subscribe: { requestId: 1, name: 'acme/abuse/sloth', fromSeq: undefined } })
    await s.next()
    s.stream.pause() // stops reading; the relay's writes back up
    const pub = await agent(r, 'acme/abuse/firehose')
    cleanup.push(pub)
    const chunk = new Uint8Array(256 * 1024)
    let acked = 0
    for (let i = 0; i < 120 && r.agents().includes(name); i++) {
      await pub.publish(name, chunk).then(() => { acked++ }, () => {})
    }
    await waitFor(() => !r.agents().includes(name), 'the slow consumer to be cut off')
    expect(acked).toBeLessThan(120) // cut before the whole 30 MiB was queued for it
    // The publisher goes on at once: a further message is held for the agent's return or
    // refused, but the answer comes promptly, not after the 30 s publish timeout.
    const settled = await Promise.race([
      pub.publish(name, text('later')).then(() => 'acked', (e: Error) => e.name),
      new Promise<string>(resolve => setTimeout(() => { resolve('stalled') }, 2000))
    ])
    expect(settled).not.toBe('stalled')
    const other = await agent(r, 'acme/abuse/other')
    cleanup.push(other)
    const box = collect(await other.subscribe('acme/abuse/other'))
    await pub.publish(other.name, text('fine'))
    await waitFor(() => box.length === 1 && str(box[0]!.data) === 'fine', 'others served')
  })

  it('a peer writing garbage on the link protocol is cut off; the mesh goes on', async () => {
    const relays = await line(2)
    cleanup.push(...relays)
    const node = await createAgentLibp2p(await generateKeyPair('Ed25519'))
    cleanup.push(node)
    const stream = await node.dialProtocol(multiaddr(relays[0]!.multiaddrs[0] as string), LINK_PROTOCOL)
    const closed = new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve() }) })
    const junk = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])
    stream.send(new Uint8ArrayList(varint.encode(junk.byteLength), junk))
    await closed
    const svc = 'acme/abuse/echo'
    const server = await agent(relays[1]!, svc)
    cleanup.push(server)
    const sub = await server.subscribe(svc)
    void (async () => { for await (const m of sub) await m.respond?.(m.data).catch(() => {}) })()
    const client = await agent(relays[0]!, 'acme/abuse/client')
    cleanup.push(client)
    await routed(relays, svc)
    expect(str((await client.request(svc, text('ping'))).data)).toBe('ping')
  })

  it('a fire-and-forget sender faster than its receiver is slowed down, not dropped: all 20,000 arrive in order', async () => {
    const r = await relay()
    cleanup.push(r)
    const sink = await agent(r, 'acme/abuse/sink')
    cleanup.push(sink)
    const sub = await sink.subscribe('acme/abuse/sink')
    let got = 0
    let inOrder = true
    void (async () => {
      for await (const m of sub) {
        if (Number(str(m.data).slice(0, 8)) !== got) inOrder = false
        got++
        if (got % 500 === 0) await new Promise(resolve => setImmediate(resolve)) // a reader slower than the sender
      }
    })()
    const source = await agent(r, 'acme/abuse/source')
    cleanup.push(source)
    const pad = 'x'.repeat(1016)
    for (let i = 0; i < 20_000; i++) await source.publish(sink.name, text(String(i).padStart(8, '0') + pad), { ack: false })
    await waitFor(() => got === 20_000, 'every message', 60_000)
    expect(inOrder).toBe(true)
    expect(r.agents()).toContain(sink.name)
  }, 90_000)
})
