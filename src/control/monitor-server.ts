/**
 * A small HTTP server for monitoring: `GET /metrics` (Prometheus text format, from the
 * registry given), `GET /healthz` (200 while the process serves) and `GET /readyz` (200
 * when ready, 503 with the reasons otherwise). Generic: a relay serves its registry with
 * it, and the controller can serve its own.
 *
 * It listens on loopback unless told otherwise: metrics name agents, names and peers,
 * so exposing them on another interface is the operator's explicit choice.
 *
 * ```ts
 * const monitor = await startMonitorServer({ listen: '127.0.0.1:9464', registry, ready: () => ({ ready: true, reasons: [] }) })
 * monitor.url // http://127.0.0.1:9464
 * await monitor.close()
 * ```
 */
import { timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { InvalidAddressError } from '../names/errors.js'
import { silentLogger } from '../logger.js'
import type { Logger } from '../logger.js'

export interface Readiness {
  ready: boolean
  /** Why not (or notes while ready); said in the 503's body. */
  reasons: string[]
}

export interface MonitorServerInit {
  /** `host:port` (`[::1]:port` for IPv6); port 0 picks a free one. Default `127.0.0.1:0`. */
  listen?: string
  registry: Registry
  /** Extra fields for `/healthz` (it answers 200 `{"status":"ok"}` while the process serves). */
  health?: () => Record<string, unknown>
  /** Whether the component is ready for traffic; none: always ready. */
  ready?: () => Readiness
  /**
   * A bearer token `/metrics` requires (Prometheus: `authorization: { credentials: ... }`);
   * `/healthz` and `/readyz` stay open for probes and say nothing about the mesh. Needed
   * for any address off loopback: the series name agents, channels and peers.
   */
  token?: string
  log?: Logger
}

export interface MonitorServer {
  /** Where it listens, `http://host:port` (the port it got, if 0 was asked). */
  readonly url: string
  close: () => Promise<void>
}

export const DEFAULT_MONITOR_HOST = '127.0.0.1'

/** `host:port` parsed; an IPv6 host goes in brackets. */
export function parseListen (listen: string): { host: string, port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim())
  const port = m == null ? NaN : Number(m[3])
  if (m == null || port > 65535) throw new InvalidAddressError(`monitoring address "${listen}" is not host:port; write it like 127.0.0.1:9464 (port 0 picks a free one)`)
  return { host: (m[1] ?? m[2]) as string, port }
}

export async function startMonitorServer (init: MonitorServerInit): Promise<MonitorServer> {
  const { host, port } = parseListen(init.listen ?? `${DEFAULT_MONITOR_HOST}:0`)
  if (init.token == null && !isLoopback(host)) throw new InvalidAddressError(`monitoring on ${host} (off loopback) needs a bearer token for /metrics: give one (SLIM_MESH_METRICS_TOKEN, or metrics.token), or listen on 127.0.0.1`)
  if (init.token != null && init.token.length < 16) throw new InvalidAddressError('a metrics bearer token is at least 16 characters')
  const log = init.log ?? silentLogger
  const server = createServer((req, res) => {
    handle(init, req, res).catch(err => {
      log('monitor request %s failed: %s', req.url, (err as Error).message)
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`)
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const addr = server.address() as AddressInfo
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
  log('monitoring on %s', url)
  let closing: Promise<void> | undefined
  return {
    url,
    close: async () => {
      closing ??= new Promise<void>(resolve => {
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
      await closing
    }
  }
}

async function handle (init: MonitorServerInit, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD')
    send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n')
    return
  }
  switch (path) {
    case '/metrics':
      if (init.token != null && !sameToken(req.headers.authorization, `Bearer ${init.token}`)) {
        res.setHeader('www-authenticate', 'Bearer realm="slim-mesh metrics"')
        send(res, 401, 'text/plain; charset=utf-8', 'this endpoint needs its bearer token (Authorization: Bearer ...)\n')
        return
      }
      send(res, 200, init.registry.contentType, await init.registry.metrics())
      return
    case '/healthz':
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok', ...init.health?.() }))
      return
    case '/readyz': {
      const r = init.ready?.() ?? { ready: true, reasons: [] }
      send(res, r.ready ? 200 : 503, 'application/json', JSON.stringify({ ready: r.ready, reasons: r.reasons }))
      return
    }
    default:
      send(res, 404, 'text/plain; charset=utf-8', `no ${path} here; try /metrics, /healthz or /readyz\n`)
  }
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** Compares in constant time (a token is a secret). */
function sameToken (given: string | undefined, want: string): boolean {
  const a = Buffer.from(given ?? '')
  const b = Buffer.from(want)
  return a.length === b.length && timingSafeEqual(a, b)
}

function send (res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
