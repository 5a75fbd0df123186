/**
 * The dashboard's static files, served by the controller at `/assets/<file>` without
 * authentication (they hold no mesh data: that comes from `GET /v1/mesh` with the
 * session). A fixed allow-list: a name not on it is a 404, so no request reaches a path
 * of its own choosing. The page itself loads nothing from anywhere else.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { ServerResponse } from 'node:http'
import { DASHBOARD_SCRIPT } from './dashboard-script.js'
import { DASHBOARD_GRAPHS_SCRIPT } from './dashboard-graphs.js'
import { DASHBOARD_STYLE } from './dashboard-style.js'

export interface DashboardAsset { type: string, body: () => Promise<string | Buffer> }

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

/** Read once, on first request: half a megabyte the controller need not hold until asked. */
function fromPackage (specifier: string): () => Promise<Buffer> {
  let body: Promise<Buffer> | undefined
  return async () => {
    body ??= readFile(createRequire(import.meta.url).resolve(specifier)).catch((err: unknown) => { body = undefined; throw err })
    return await body
  }
}

const ASSETS = new Map<string, DashboardAsset>([
  // Cytoscape.js (MIT): graph model, layouts and canvas rendering for the topology and the charts.
  ['cytoscape.min.js', { type: JS, body: fromPackage('cytoscape/dist/cytoscape.min.js') }],
  ['dashboard-graphs.js', { type: JS, body: async () => DASHBOARD_GRAPHS_SCRIPT }],
  ['dashboard.js', { type: JS, body: async () => DASHBOARD_SCRIPT }],
  ['dashboard.css', { type: CSS, body: async () => DASHBOARD_STYLE }]
])

/** The asset of that name, or undefined when it is not on the list. */
export function dashboardAsset (name: string): DashboardAsset | undefined {
  return ASSETS.get(name)
}

/**
 * What the page may do: scripts and data from the controller only (the session token is
 * in the page's address, so no third-party script may run beside it); styles inline too,
 * since the graph library sets them.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export async function sendAsset (res: ServerResponse, asset: DashboardAsset): Promise<void> {
  const body = await asset.body()
  res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).end(body)
}

export function sendPage (res: ServerResponse, html: string): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': DASHBOARD_CSP,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff'
  }).end(html)
}
