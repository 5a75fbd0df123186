/**
 * A loopback TCP proxy that injects network faults between relays, or between an agent
 * and its relay: latency with jitter, loss, partitions and half-open links. Commands take
 * effect at once, on the connections already open and on new ones.
 *
 * What a fault means on TCP. The proxy sits above TCP, so it sees a byte stream, not
 * packets; dropping or reordering bytes of one stream would not simulate a lossy network,
 * it would corrupt the Noise-encrypted stream and kill the connection at once (which a
 * real network never does: TCP retransmits). So, as the network looks to the
 * application:
 * - latency: each chunk is delayed by `ms` ± `jitterMs`, but never overtakes the chunk
 *   before it in the same direction of the same connection (a chunk whose delay is
 *   shorter waits for its predecessor). Jitter thus varies the spacing of chunks and the
 *   scheduling across connections and directions, never the order within a stream.
 * - loss: a "lost" chunk is held back for a retransmission delay (`holdMs`, 200 ms by
 *   default, plus up to as much again of jitter) and so is everything behind it in that
 *   direction (head-of-line blocking, what TCP does after a lost segment).
 * - partition: both directions stall. The proxy stops reading both sockets (so the
 *   kernel buffers fill and the senders block, as with a cable pulled) and holds what it
 *   has read; the connections stay open and time out on their own keepalives, or carry
 *   on after `heal()` as TCP would after a short outage. New connections are accepted
 *   and stall too. `partition({ reset: true })` instead destroys every connection with
 *   a reset and resets each new one at once (a relay whose host is gone).
 * - half-open: one direction stalls as in a partition (its bytes are black-holed for the
 *   receiver; the sender's data piles up unacknowledged), the other flows; no socket is
 *   closed.
 * A half-close (FIN) or a socket error travels as the last item of its direction, so it
 * is held behind the data before it and cannot pass a partition either.
 */
import { createConnection, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'

export interface FaultProxyInit {
  target: { host: string, port: number }
  /** Where to listen; default 127.0.0.1 on a free port. */
  listen?: { host?: string, port?: number }
}

export type Direction = 'toTarget' | 'fromTarget'

export interface FaultProxyCounters {
  /** Connections accepted so far (refused ones included). */
  connections: number
  /** Connections open now. */
  open: number
  /** Bytes forwarded from clients to the target, and back. */
  bytesToTarget: number
  bytesFromTarget: number
  /** Chunks held back by `drop`. */
  held: number
}

export interface FaultProxy {
  readonly host: string
  readonly port: number
  /** Delays every chunk by `ms` ± `jitterMs` per direction, keeping each stream's order. */
  latency: (ms: number, jitterMs?: number) => void
  /** Holds a chunk (and what follows it) back for a retransmission delay with `probability`. */
  drop: (probability: number, holdMs?: number) => void
  /** Stalls both directions; with `reset`, destroys the connections and refuses new ones. */
  partition: (options?: { reset?: boolean }) => void
  /** Ends a partition (held data flows again, new connections are let through). */
  heal: () => void
  /** Stalls one direction only (default: the target's answers are black-holed). */
  halfOpen: (stalled?: Direction) => void
  /** Back to a clean link: no latency, loss, partition or half-open. */
  reset: () => void
  readonly counters: FaultProxyCounters
  stop: () => Promise<void>
}

type Item = { data: Buffer, due: number } | { end: true, due: number } | { error: true, due: number }

/** One direction of one connection: a queue released in order, each item at its due time. */
class Pipe {
  private readonly queue: Item[] = []
  private queued = 0
  private lastDue = 0
  private timer?: NodeJS.Timeout
  private waitingDrain = false
  stalled = false
  closed = false

  constructor (
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly faults: () => { delay: () => number, hold: () => number },
    private readonly count: (bytes: number) => void
  ) {
    from.on('data', (data: Buffer) => { this.push({ data, due: 0 }) })
    from.on('end', () => { this.push({ end: true, due: 0 }) })
    from.on('error', () => {})
    from.on('close', (hadError) => { if (hadError) this.push({ error: true, due: 0 }) })
    to.on('drain', () => { this.waitingDrain = false; this.pump() })
  }

  private push (item: Item): void {
    if (this.closed) return
    const f = this.faults()
    item.due = Math.max(Date.now() + f.delay() + f.hold(), this.lastDue)
    this.lastDue = item.due
    this.queue.push(item)
    if ('data' in item) {
      this.queued += item.data.length
      // Back-pressure: a slow link does not buffer without bound in the proxy.
      if (this.queued > 4 * 1024 * 1024) this.from.pause()
    }
    this.pump()
  }

  setStalled (stalled: boolean): void {
    this.stalled = stalled
    if (stalled) {
      this.from.pause()
    } else {
      // Held items keep their order; those overdue go at once.
      this.lastDue = Math.min(this.lastDue, Date.now())
      if (this.queued <= 4 * 1024 * 1024 && !this.from.destroyed) this.from.resume()
      this.pump()
    }
  }

  private pump (): void {
    if (this.timer != null) { clearTimeout(this.timer); this.timer = undefined }
    while (!this.stalled && !this.waitingDrain && !this.closed) {
      const head = this.queue[0]
      if (head == null) return
      const wait = head.due - Date.now()
      if (wait > 0) { this.timer = setTimeout(() => { this.timer = undefined; this.pump() }, wait); return }
      this.queue.shift()
      if ('data' in head) {
        this.queued -= head.data.length
        if (this.queued <= 4 * 1024 * 1024 && !this.stalled) this.from.resume()
        this.count(head.data.length)
        if (!this.to.destroyed && !this.to.write(head.data)) this.waitingDrain = true
      } else if ('end' in head) {
        if (!this.to.destroyed) this.to.end()
      } else {
        this.to.resetAndDestroy()
        this.close()
      }
    }
  }

  close (): void {
    this.closed = true
    if (this.timer != null) clearTimeout(this.timer)
    this.queue.length = 0
  }
}

interface Conn { client: Socket, upstream: Socket, pipes: Record<Direction, Pipe> }

export async function startFaultProxy (init: FaultProxyInit): Promise<FaultProxy> {
  let latencyMs = 0
  let jitterMs = 0
  let dropP = 0
  let holdMs = 200
  let partitioned: false | 'stall' | 'reset' = false
  let halfOpenDir: Direction | undefined
  const counters: FaultProxyCounters = { connections: 0, open: 0, bytesToTarget: 0, bytesFromTarget: 0, held: 0 }
  const conns = new Set<Conn>()

  const faults = (): { delay: () => number, hold: () => number } => ({
    delay: () => Math.max(0, latencyMs + (Math.random() * 2 - 1) * jitterMs),
    hold: () => {
      if (dropP <= 0 || Math.random() >= dropP) return 0
      counters.held++
      return holdMs + Math.random() * holdMs
    }
  })
  const stalled = (d: Direction): boolean => partitioned === 'stall' || halfOpenDir === d
  const apply = (): void => {
    for (const c of conns) for (const d of ['toTarget', 'fromTarget'] as const) c.pipes[d].setStalled(stalled(d))
  }

  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    counters.connections++
    if (partitioned === 'reset') { client.on('error', () => {}); client.resetAndDestroy(); return }
    // Both sides stay paused until the target answers; a FIN travels on its own (half-close).
    client.pause()
    const upstream = createConnection({ host: init.target.host, port: init.target.port, allowHalfOpen: true })
    upstream.pause()
    const conn: Conn = {
      client,
      upstream,
      pipes: {
        toTarget: new Pipe(client, upstream, faults, n => { counters.bytesToTarget += n }),
        fromTarget: new Pipe(upstream, client, faults, n => { counters.bytesFromTarget += n })
      }
    }
    conns.add(conn)
    counters.open++
    let gone = false
    const done = (): void => {
      if (gone) return
      if (!client.destroyed || !upstream.destroyed) return
      gone = true
      conns.delete(conn)
      counters.open--
      conn.pipes.toTarget.close()
      conn.pipes.fromTarget.close()
    }
    client.on('close', done)
    upstream.on('close', done)
    upstream.on('connect', () => {
      conn.pipes.toTarget.setStalled(stalled('toTarget'))
      conn.pipes.fromTarget.setStalled(stalled('fromTarget'))
    })
  })
  server.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.listen?.port ?? 0, init.listen?.host ?? '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const address = server.address() as { address: string, port: number }

  const destroyAll = (): void => {
    for (const c of conns) {
      c.pipes.toTarget.close()
      c.pipes.fromTarget.close()
      if (!c.client.destroyed) c.client.resetAndDestroy()
      if (!c.upstream.destroyed) c.upstream.resetAndDestroy()
    }
  }

  return {
    host: address.address,
    port: address.port,
    counters,
    latency (ms, jitter = 0) { latencyMs = ms; jitterMs = jitter },
    drop (probability, hold = 200) { dropP = probability; holdMs = hold },
    partition (options = {}) {
      partitioned = options.reset === true ? 'reset' : 'stall'
      if (partitioned === 'reset') destroyAll()
      else apply()
    },
    heal () { partitioned = false; apply() },
    halfOpen (dir = 'fromTarget') { halfOpenDir = dir; apply() },
    reset () {
      latencyMs = 0; jitterMs = 0; dropP = 0; partitioned = false; halfOpenDir = undefined
      apply()
    },
    async stop () {
      destroyAll()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
