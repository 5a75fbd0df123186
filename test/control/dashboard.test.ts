import { describe, it, expect, afterEach } from 'vitest'
import { accessSync, constants } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Page } from 'playwright-core'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { operatorClient } from '../../src/control/operator-client.js'
import type { Relay } from '../../src/node/relay-node.js'
import { connectAgent } from '../../src/agent/agent.js'
import { collect, stopAll, text, waitFor } from '../helpers.js'
import { joinRelay } from './control-helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

const SCREENSHOT = fileURLToPath(new URL('../../test-results/dashboard.png', import.meta.url))

/** Debian's chromium (playwright's own browser download cannot work here). Missing is a failure, not a skip. */
function chromiumPath (): string {
  const candidates = [process.env.CHROMIUM_PATH, ...(process.env.PATH ?? '').split(delimiter).map(d => join(d, 'chromium')), '/usr/bin/chromium']
  for (const c of candidates) {
    if (c == null || c === '') continue
    try { accessSync(c, constants.X_OK); return c } catch {}
  }
  throw new Error('chromium is not installed, and the dashboard test needs it: install Debian\'s package with `apt-get update && apt-get install -y chromium` (.ci/run does this on a fresh machine), or set CHROMIUM_PATH')
}

const controlledRelay = async (controller: Controller): Promise<Relay> => await joinRelay(controller, cleanup)

const pair = (a: string, b: string): string => a < b ? `${a} ${b}` : `${b} ${a}`
const count = async (page: Page, selector: string): Promise<number> => await page.locator(selector).count()

describe('dashboard', () => {
  it('shows three relays up on a line with their links, channel and actors; when the middle relay stops, it shows it down, the relay-silent alert naming it and the new link', async () => {
    const executablePath = chromiumPath()
    const controller = await createController({ listen: '127.0.0.1:0', topology: { kind: 'line' }, timings: { heartbeatMs: 300, downAfterMs: 3000 } })
    cleanup.push(controller)
    const [r0, r1, r2] = [await controlledRelay(controller), await controlledRelay(controller), await controlledRelay(controller)] as [Relay, Relay, Relay]
    await waitFor(() => [r0, r1, r2].every(r => controller.relayState(r.peerId) === 'live.inSync'), 'every relay to report the state applied')

    // Sessions on both ends, and a multicast name (a channel with a sequencer) between them.
    const creds = controller.issuerCredentials!
    const alice = await connectAgent({ relay: r0.multiaddrs[0]!, name: 'acme/demo/alice', credentials: creds, keepaliveMs: 500 })
    const bob = await connectAgent({ relay: r2.multiaddrs[0]!, name: 'acme/demo/bob', credentials: creds, keepaliveMs: 500 })
    cleanup.push(alice, bob)
    const got = collect(await bob.subscribe('acme/demo/news'))
    await waitFor(async () => { await alice.publish('acme/demo/news', text('hello'), { mode: 'multicast' }); return got.length > 0 }, 'multicast across the line', 15_000)

    const ctl = await operatorClient(controller.url, controller.adminCredentials)
    const session = await ctl.request<{ token: string, expiresAt: number, url: string }>('POST', '/v1/dashboard')
    expect(session.url).toBe(`${controller.url}/#session=${session.token}`)

    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
    cleanup.push(browser)
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const pageErrors: string[] = []
    page.on('pageerror', err => { pageErrors.push(err.message) })
    const offsite: string[] = []
    page.on('request', req => { if (!req.url().startsWith(controller.url)) offsite.push(req.url()) })
    await page.goto(session.url)

    // Three relays up, the two links of the line up, in the tables and in the graph.
    await page.waitForFunction(() =>
      document.querySelectorAll('[data-relay][data-state="up"]').length === 3 &&
      document.querySelectorAll('[data-link][data-up="true"]').length === 2 &&
      document.querySelector('#topology')?.getAttribute('data-edges-up') === '2' &&
      document.querySelector('#topology')?.getAttribute('data-nodes') === '3', undefined, { timeout: 15_000 })
    for (const r of [r0, r1, r2]) expect(await count(page, `[data-relay="${r.peerId}"][data-state="up"]`)).toBe(1)
    expect(await count(page, `[data-link="${pair(r0.peerId, r1.peerId)}"][data-up="true"]`)).toBe(1)
    expect(await count(page, `[data-link="${pair(r1.peerId, r2.peerId)}"][data-up="true"]`)).toBe(1)
    await page.waitForFunction((g) => document.querySelector('#status')?.getAttribute('data-generation') === String(g), controller.state().state.generation, { timeout: 5_000 })
    await page.waitForSelector('[data-channel="acme/demo/news"]', { timeout: 10_000 })

    // A live actor, shown on its machine's chart at its current state.
    const actor = page.locator(`[data-actor-relay="${r0.peerId}"][data-actor^="session:acme/demo/alice/"]`)
    await actor.waitFor({ timeout: 10_000 })
    const state = await actor.getAttribute('data-actor-state')
    expect(state).toMatch(/^active/)
    await actor.click()
    await page.waitForFunction((s) => {
      const c = document.querySelector('#chart')
      return c?.getAttribute('data-machine') === 'relaySession' && c.getAttribute('data-current') === s
    }, state, { timeout: 5_000 })

    // The middle relay stops: down, an alert naming it, and the line re-planned as r0 - r2.
    await r1.stop()
    await page.waitForSelector(`[data-relay="${r1.peerId}"][data-state="down"]`, { timeout: 20_000 })
    await page.waitForSelector(`[data-alert-kind="relay-silent"][data-alert-subject="relay:${r1.peerId}"][data-alert-active="true"]`, { timeout: 10_000 })
    await page.waitForSelector(`[data-link="${pair(r0.peerId, r2.peerId)}"][data-up="true"]`, { timeout: 20_000 })
    await page.waitForFunction(() => document.querySelectorAll('[data-relay][data-state="up"]').length === 2, undefined, { timeout: 5_000 })

    await mkdir(fileURLToPath(new URL('../../test-results/', import.meta.url)), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(pageErrors).toEqual([])
    expect(offsite).toEqual([])
  }, 120_000)

  it('serves only its listed assets, unauthenticated, and the charts only with a session', async () => {
    const controller = await createController({ listen: '127.0.0.1:0' })
    cleanup.push(controller)
    const page = await fetch(`${controller.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await page.text()
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const res = await fetch(controller.url + src[1]!)
      expect(res.status, src[1]).toBe(200)
    }
    expect((await fetch(`${controller.url}/assets/cytoscape.min.js`)).headers.get('content-type')).toMatch(/javascript/)
    for (const bad of ['/assets/package.json', '/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e%2fcontroller.ts', '/assets/__proto__', '/assets/../../package.json']) {
      expect((await fetch(controller.url + bad)).status, bad).toBe(404)
    }
    expect((await fetch(`${controller.url}/v1/charts`)).status).toBe(401)
    expect((await fetch(`${controller.url}/v1/charts`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
    const ctl = await operatorClient(controller.url, controller.adminCredentials)
    const { token } = await ctl.request<{ token: string }>('POST', '/v1/dashboard')
    const charts = await (await fetch(`${controller.url}/v1/charts`, { headers: { authorization: `Bearer ${token}` } })).json() as { machines: Array<{ name: string, chart: { states: Array<{ id: string }> } }>, actorPrefixes: Record<string, string> }
    const session = charts.machines.find(m => m.name === 'relaySession')
    expect(session?.chart.states.map(s => s.id)).toContain('active.live')
    expect(charts.actorPrefixes.session).toBe('relaySession')
  })
})
