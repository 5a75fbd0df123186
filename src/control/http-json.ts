/**
 * The little HTTP the controller needs, on node:http: JSON bodies with a size limit,
 * routes by method and path pattern, typed errors as JSON (`{ error, rule, message }`
 * with the status they carry), and server-sent events for notices.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ControllerError, ControlRequestError, DesiredStateError } from './errors.js'

/** Request bodies larger than this are refused (a heartbeat is a few KiB). */
export const MAX_BODY_BYTES = 1024 * 1024

export interface RouteContext {
  req: IncomingMessage
  res: ServerResponse
  params: Record<string, string>
  url: URL
  body: () => Promise<unknown>
}

export type Handler = (ctx: RouteContext) => Promise<unknown>

interface Route { method: string, parts: string[], handler: Handler }

export class Router {
  private readonly routes: Route[] = []

  on (method: string, path: string, handler: Handler): this {
    this.routes.push({ method, parts: path.split('/'), handler })
    return this
  }

  private match (method: string, path: string): { route: Route, params: Record<string, string> } | 'method' | undefined {
    const parts = path.split('/')
    let wrongMethod = false
    for (const route of this.routes) {
      if (route.parts.length !== parts.length) continue
      const params: Record<string, string> = {}
      const ok = route.parts.every((p, i) => {
        if (p.startsWith(':')) { params[p.slice(1)] = decodeURIComponent(parts[i] as string); return true }
        return p === parts[i]
      })
      if (!ok) continue
      if (route.method !== method) { wrongMethod = true; continue }
      return { route, params }
    }
    return wrongMethod ? 'method' : undefined
  }

  async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://controller')
    try {
      const m = this.match(req.method ?? 'GET', url.pathname)
      if (m == null) throw new ControllerError(404, 'route.unknown', `no ${url.pathname} here`)
      if (m === 'method') throw new ControllerError(405, 'route.method', `${req.method ?? ''} is not allowed on ${url.pathname}`)
      const out = await m.route.handler({ req, res, params: m.params, url, body: async () => await readJson(req) })
      if (res.headersSent || res.writableEnded) return
      if (typeof out === 'string') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(out); return }
      sendJson(res, 200, out ?? { ok: true })
    } catch (err) {
      if (res.headersSent) { res.end(); return }
      const e = err as Error
      if (e instanceof ControllerError) sendJson(res, e.status, { error: e.name, rule: e.rule, message: e.message })
      else if (e instanceof ControlRequestError || e instanceof DesiredStateError || e.name === 'InvalidPatternError' || e.name === 'CredentialError' || e.name === 'InvalidNameError') sendJson(res, 400, { error: e.name, rule: (e as { check?: string }).check ?? 'request.invalid', message: e.message })
      else sendJson(res, 500, { error: 'InternalError', rule: 'internal', message: e.message })
    }
  }
}

export function sendJson (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text)
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > MAX_BODY_BYTES) throw new ControllerError(413, 'request.too-large', `request bodies are at most ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch (err) { throw new ControllerError(400, 'request.not-json', `the body is not JSON: ${(err as Error).message}`) }
}

/** Starts a server-sent event stream; returns a writer for events. */
export function eventStream (res: ServerResponse): (event: string, data: unknown) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
  res.write(': slim-mesh controller\n\n')
  return (event, data) => { res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) }
}
