/**
 * The fault proxy on a plain TCP echo server: it forwards and counts, keeps each stream's
 * byte order under jitter and loss, stalls on a partition and delivers what it held on
 * heal, stalls one direction when half-open, and refuses connections on a reset partition.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createConnection, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { startFaultProxy } from './fault-proxy.js'
import type { FaultProxy } from './fault-proxy.js'
import { waitFor } from '../helpers.js'

const open: Array<{ stop?: () => Promise<void>, close?: () => void }> = []
afterEach(async () => { for (const o of open.splice(0).reverse()) { try { await o.stop?.(); o.close?.() } catch {} } })

async function echoServer (): Promise<{ port: number }> {
  const sockets = new Set<Socket>()
  const srv: Server = createServer(s => { sockets.add(s); s.on('error', () => {}); s.pipe(s) })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  open.push({ close: () => { for (const s of sockets) s.destroy(); srv.close() } })
  return { port: (srv.address() as { port: number }).port }
}

async function proxied (): Promise<FaultProxy> {
  const target = await echoServer()
  const p = await startFaultProxy({ target: { host: '127.0.0.1', port: target.port } })
  open.push(p)
  return p
}

async function client (p: FaultProxy): Promise<{ socket: Socket, received: () => string }> {
  const socket = createConnection({ host: p.host, port: p.port })
  socket.on('error', () => {})
  let got = ''
  socket.on('data', (d: Buffer) => { got += d.toString() })
  await new Promise<void>(resolve => socket.once('connect', () => { resolve() }))
  open.push({ close: () => socket.destroy() })
  return { socket, received: () => got }
}

/** Writes `n` numbered lines, one write each, a few ms apart so that they are separate chunks. */
async function writeLines (s: Socket, n: number, prefix = ''): Promise<string> {
  let all = ''
  for (let i = 0; i < n; i++) {
    const line = `${prefix}${i}\n`
    all += line
    s.write(line)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  return all
}

describe('startFaultProxy', () => {
  it('forwards both ways and counts bytes and connections', async () => {
    const p = await proxied()
    const c = await client(p)
    c.socket.write('hello')
    await waitFor(() => c.received() === 'hello', 'the echo')
    expect(p.counters).toMatchObject({ connections: 1, open: 1, bytesToTarget: 5, bytesFromTarget: 5 })
  })

  it('keeps the byte order of each stream under latency with jitter and under loss', async () => {
    const p = await proxied()
    p.latency(20, 19)
    p.drop(0.2, 50)
    const a = await client(p)
    const b = await client(p)
    const [sentA, sentB] = await Promise.all([writeLines(a.socket, 60, 'a'), writeLines(b.socket, 60, 'b')])
    await waitFor(() => a.received() === sentA && b.received() === sentB, 'both echoes, in order')
    expect(p.counters.held).toBeGreaterThan(0)
  })

  it('stalls both ways on a partition, keeps the connection, and delivers what it held on heal', async () => {
    const p = await proxied()
    const c = await client(p)
    p.partition()
    c.socket.write('held')
    await new Promise(resolve => setTimeout(resolve, 200)) // a stall can only be seen by waiting
    expect(c.received()).toBe('')
    expect(p.counters.bytesToTarget).toBe(0)
    p.heal()
    await waitFor(() => c.received() === 'held', 'the held bytes after heal')
    expect(p.counters.open).toBe(1)
  })

  it('half-open: the target gets the client\'s bytes, the answers are held until reset', async () => {
    const p = await proxied()
    const c = await client(p)
    p.halfOpen('fromTarget')
    c.socket.write('one way')
    await waitFor(() => p.counters.bytesToTarget === 7, 'the bytes to reach the target')
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(c.received()).toBe('')
    p.reset()
    await waitFor(() => c.received() === 'one way', 'the answer after reset')
  })

  it('a reset partition destroys connections and refuses new ones until heal', async () => {
    const p = await proxied()
    const c = await client(p)
    const closed = new Promise<void>(resolve => c.socket.once('close', () => { resolve() }))
    p.partition({ reset: true })
    await closed
    const refused = createConnection({ host: p.host, port: p.port })
    const err = await new Promise<boolean>(resolve => { refused.once('error', () => { resolve(true) }); refused.once('close', () => { resolve(false) }) })
    expect(err).toBe(true)
    p.heal()
    const again = await client(p)
    again.socket.write('back')
    await waitFor(() => again.received() === 'back', 'an echo after heal')
  })
})
