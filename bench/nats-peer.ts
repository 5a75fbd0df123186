/**
 * The peer: nats-server (Debian's package) with the NATS Node client, measured on the
 * same machine in the same run. The bench installs nats-server with apt-get where it can
 * and says plainly when it cannot.
 */
import { spawn, execFileSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { p50, payload, usSince, freePort, until } from './stats.js'

type NatsModule = typeof import('@nats-io/transport-node')
export interface NatsPeer { url: string, nats: NatsModule, stop: () => Promise<void>, version: string }

function findServer (): string | undefined {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p
  try { return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || undefined } catch { return undefined }
}

/** Finds or installs nats-server; returns why not when it cannot. */
export function ensureNatsServer (log: (s: string) => void): { path?: string, why?: string } {
  let path = findServer()
  if (path != null) return { path }
  if (process.getuid?.() !== 0) return { why: 'nats-server is not installed and this is not root; install the Debian package nats-server' }
  log('installing nats-server from Debian\'s packages (apt-get) ...')
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server'], { stdio: 'ignore', timeout: 300_000 })
  } catch (err) {
    return { why: `apt-get could not install nats-server: ${(err as Error).message.split('\n')[0] ?? ''}` }
  }
  path = findServer()
  return path != null ? { path } : { why: 'nats-server is still missing after apt-get install' }
}

export async function startNats (serverPath: string): Promise<NatsPeer> {
  let nats: NatsModule
  try {
    nats = await import('@nats-io/transport-node')
  } catch {
    throw new Error('the NATS client @nats-io/transport-node is not installed (it is a dev dependency: run npm install in the repo)')
  }
  const port = await freePort()
  const child: ChildProcess = spawn(serverPath, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  let ready = false
  child.stderr?.on('data', (d: Buffer) => { if (d.toString().includes('Server is ready')) ready = true })
  await until(() => ready, 'nats-server to start', 10_000)
  const version = execFileSync(serverPath, ['--version'], { encoding: 'utf8' }).trim()
  return {
    url: `nats://127.0.0.1:${port}`,
    nats,
    version,
    stop: async () => { child.kill('SIGTERM'); await new Promise(resolve => child.once('exit', resolve)) }
  }
}

export async function natsRequestReply (peer: NatsPeer, n = 2000): Promise<number> {
  const server = await peer.nats.connect({ servers: peer.url })
  const client = await peer.nats.connect({ servers: peer.url })
  const sub = server.subscribe('bench.echo')
  void (async () => { for await (const m of sub) m.respond(m.data) })()
  await server.flush()
  const msg = payload()
  const times: number[] = []
  for (let i = 0; i < n + 200; i++) {
    const start = process.hrtime.bigint()
    await client.request('bench.echo', msg, { timeout: 5000 })
    if (i >= 200) times.push(usSince(start))
  }
  await client.close()
  await server.close()
  return p50(times)
}

/** Deliveries per second from one publisher to `subscribers` subscribers of one subject. */
export async function natsFanOut (peer: NatsPeer, subscribers: number, n: number): Promise<number> {
  const subs = await Promise.all(Array.from({ length: subscribers }, async () => await peer.nats.connect({ servers: peer.url })))
  let got = 0
  for (const c of subs) {
    const s = c.subscribe('bench.fan')
    void (async () => { for await (const _ of s) got++ })()
    await c.flush()
  }
  const pub = await peer.nats.connect({ servers: peer.url })
  const msg = payload()
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    pub.publish('bench.fan', msg)
    if (i % 1000 === 999) await pub.flush()
  }
  await pub.flush()
  await until(() => got >= n * subscribers, 'NATS deliveries')
  const secs = usSince(start) / 1e6
  await pub.close()
  await Promise.all(subs.map(async c => { await c.close() }))
  return (n * subscribers) / secs
}
