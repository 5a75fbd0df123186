/**
 * What a relay tells its operator at info level (and warn): agents coming and going,
 * links up and down, relays it cannot reach, slow consumers cut, sequencers claimed,
 * sessions cut for breaking the protocol. Captured as pino's JSON lines.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest'
import { configureLogging } from '../../src/logger.js'
import type { Relay } from '../../src/node/relay-node.js'
import { agent, line, relay, stopAll, text, waitFor } from '../helpers.js'
import { rawSession } from '../relay/raw-session.js'

interface Line { level: string, component: string, msg: string, [k: string]: unknown }
const lines: Line[] = []
const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []

beforeAll(() => { configureLogging({ level: 'info', format: 'json', destination: { write: (l) => { lines.push(JSON.parse(l) as Line) } } }) })
afterAll(() => { configureLogging({ level: 'silent' }) })
afterEach(async () => { await stopAll(...cleanup.splice(0)); lines.length = 0 })

/** The lines logged by relay `r`. */
const of = (r: Relay): Line[] => lines.filter(l => l.component === `slim:relay:${r.peerId.slice(-6)}`)
const find = (r: Relay, msg: string, fields: Record<string, unknown> = {}): Line | undefined =>
  of(r).find(l => l.msg.startsWith(msg) && Object.entries(fields).every(([k, v]) => l[k] === v))

describe('relay logging', () => {
  it('an agent attaching and closing: its name, the session id, and why it closed', async () => {
    const r = await relay()
    cleanup.push(r)
    const a = await agent(r, 'acme/logs/visitor')
    await waitFor(() => find(r, 'agent attached', { agent: a.name }) != null, 'the attach line')
    const attached = find(r, 'agent attached', { agent: a.name }) as Line
    expect(attached).toMatchObject({ level: 'info', resumed: false })
    expect(attached.session).toMatch(/^[0-9a-f]{16}$/)
    await a.close()
    await waitFor(() => find(r, 'agent session closed', { agent: a.name }) != null, 'the close line')
    expect(find(r, 'agent session closed', { agent: a.name })).toMatchObject({ level: 'info', session: attached.session, reason: 'closed by the agent' })
  })

  it('a link up on both sides, and down with a reason when a relay stops', async () => {
    const [r0, r1] = await line(2) as [Relay, Relay]
    cleanup.push(r0, r1)
    await waitFor(() => find(r0, 'link up', { peer: r1.peerId }) != null && find(r1, 'link up', { peer: r0.peerId }) != null, 'link up on both relays')
    await r1.stop()
    await waitFor(() => find(r0, 'link down', { peer: r1.peerId }) != null, 'link down at r0')
    expect(find(r0, 'link down', { peer: r1.peerId })?.level).toBe('info')
    expect(find(r1, 'link down', { peer: r0.peerId })).toMatchObject({ reason: 'relay stopping' })
  })

  it('a bootstrap relay that does not answer: a warning with its address and error, once, and that it keeps trying', async () => {
    const missing = '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWD92JrdkRv3DVNd2TVY8KACQ3ygK6ARWvkYjWgA938Qfd'
    const r = await relay({ bootstrap: [missing] })
    cleanup.push(r)
    await waitFor(() => find(r, 'relay unreachable') != null, 'the unreachable line')
    expect(find(r, 'relay unreachable')).toMatchObject({
      level: 'warn',
      peer: '12D3KooWD92JrdkRv3DVNd2TVY8KACQ3ygK6ARWvkYjWgA938Qfd',
      addrs: [missing],
      attempt: 1,
      msg: expect.stringMatching(/retrying with backoff/)
    })
    expect(find(r, 'relay unreachable')?.error).toMatch(/ECONNREFUSED/)
  })

  it('a sequencer claimed by this relay for a name', async () => {
    const r = await relay()
    cleanup.push(r)
    const a = await agent(r, 'acme/logs/pub')
    cleanup.push(a)
    await a.publish('acme/logs/topic', text('x'), { mode: 'multicast' })
    expect(find(r, 'sequencer claimed', { name: 'acme/logs/topic' })?.level).toBe('info')
  })

  it('a slow consumer cut: its name and the reason', async () => {
    const r = await relay({ config: { writeDeadlineMs: 300 } })
    cleanup.push(r)
    const s = await rawSession(r.multiaddrs[0] as string)
    cleanup.push(s)
    const name = await s.handshake('acme/logs/sloth')
    s.send({ subscribe: { requestId: 1, name: 'acme/logs/sloth', fromSeq: undefined } })
    await s.next()
    s.stream.pause() // stops reading; the relay's writes back up
    const pub = await agent(r, 'acme/logs/firehose')
    cleanup.push(pub)
    const chunk = new Uint8Array(256 * 1024)
    for (let i = 0; i < 120 && find(r, 'slow consumer cut') == null; i++) await pub.publish(name, chunk).catch(() => {})
    await waitFor(() => find(r, 'slow consumer cut') != null, 'the slow consumer line')
    expect(find(r, 'slow consumer cut')).toMatchObject({ level: 'info', agent: name })
    expect(find(r, 'slow consumer cut')?.reason).toEqual(expect.any(String))
  })

  it('a session cut for breaking the protocol: a warning with the reason', async () => {
    const r = await relay()
    cleanup.push(r)
    const s = await rawSession(r.multiaddrs[0] as string)
    cleanup.push(s)
    s.send({ subscribe: { requestId: 1, name: 'acme/logs/early', fromSeq: undefined } }) // before Hello
    await s.closed
    await waitFor(() => find(r, 'session cut') != null, 'the cut line')
    expect(find(r, 'session cut')).toMatchObject({ level: 'warn', reason: 'unexpected Subscribe during the handshake' })
  })
})
