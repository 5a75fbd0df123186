/**
 * The floor: plain node:net over loopback, no framing library, no encryption. Whatever
 * a broker does, it cannot beat this on the same machine.
 */
import { createServer, connect } from 'node:net'
import type { Socket } from 'node:net'
import { p50, payload, usSince } from './stats.js'

async function echoServer (): Promise<{ port: number, close: () => Promise<void> }> {
  const server = createServer(sock => { sock.setNoDelay(true); sock.pipe(sock) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as { port: number }).port, close: async () => { await new Promise<void>(resolve => server.close(() => { resolve() })) } }
}

async function client (port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1')
  s.setNoDelay(true)
  await new Promise<void>(resolve => s.once('connect', resolve))
  return s
}

/** p50 round trip (us) of a 1 KiB echo. */
export async function netEchoRoundTrip (n = 2000): Promise<number> {
  const server = await echoServer()
  const sock = await client(server.port)
  const msg = payload()
  const times: number[] = []
  let got = 0
  let resolveOne: (() => void) | undefined
  sock.on('data', d => { got += d.length; if (got >= msg.length) { got -= msg.length; resolveOne?.() } })
  for (let i = 0; i < n + 200; i++) {
    const start = process.hrtime.bigint()
    await new Promise<void>(resolve => { resolveOne = resolve; sock.write(msg) })
    if (i >= 200) times.push(usSince(start))
  }
  sock.destroy()
  await server.close()
  return p50(times)
}

/** 1 KiB messages per second, pipelined through an echo (length known, no framing). */
export async function netEchoThroughput (n = 200_000): Promise<number> {
  const server = await echoServer()
  const sock = await client(server.port)
  const msg = payload()
  const total = n * msg.length
  let got = 0
  const start = process.hrtime.bigint()
  const done = new Promise<void>(resolve => { sock.on('data', d => { got += d.length; if (got >= total) resolve() }) })
  for (let i = 0; i < n; i++) {
    if (!sock.write(msg)) await new Promise<void>(resolve => sock.once('drain', resolve))
  }
  await done
  const secs = usSince(start) / 1e6
  sock.destroy()
  await server.close()
  return n / secs
}
