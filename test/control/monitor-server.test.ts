/**
 * The monitoring HTTP server on its own (src/control/monitor-server.ts): generic over the
 * registry it serves (the controller will serve its own), loopback by default, with a
 * readiness that the component decides and a 503 that says why.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { Gauge, Registry } from 'prom-client'
import { parseListen, startMonitorServer } from '../../src/control/monitor-server.js'
import type { MonitorServer } from '../../src/control/monitor-server.js'
import { relay } from '../helpers.js'
import { scrape } from './prometheus.js'

const servers: MonitorServer[] = []
afterEach(async () => { for (const s of servers.splice(0)) await s.close() })

function registryWith (value: () => number): Registry {
  const registry = new Registry()
  void new Gauge({ name: 'test_widgets', help: 'Widgets now.', registers: [registry], collect () { this.set(value()) } })
  return registry
}

describe('startMonitorServer', () => {
  it('serves its registry at /metrics, read afresh on every scrape', async () => {
    let widgets = 1
    const s = await startMonitorServer({ registry: registryWith(() => widgets) })
    servers.push(s)
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/) // loopback, the port it got for 0
    expect((await scrape(`${s.url}/metrics`)).value('test_widgets')).toBe(1)
    widgets = 7
    expect((await scrape(`${s.url}/metrics`)).value('test_widgets')).toBe(7)
  })

  it('/readyz follows the readiness it is given: 200 when ready, 503 with the reasons otherwise', async () => {
    let ready = { ready: false, reasons: ['store not open'] }
    const s = await startMonitorServer({ registry: new Registry(), ready: () => ready, health: () => ({ role: 'test' }) })
    servers.push(s)
    const no = await fetch(`${s.url}/readyz`)
    expect(no.status).toBe(503)
    expect(await no.json()).toEqual({ ready: false, reasons: ['store not open'] })
    ready = { ready: true, reasons: [] }
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200)
    const health = await fetch(`${s.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', role: 'test' })
  })

  it('answers 404 for other paths, 405 for other methods, and HEAD without a body', async () => {
    const s = await startMonitorServer({ registry: new Registry() })
    servers.push(s)
    expect((await fetch(`${s.url}/`)).status).toBe(404)
    expect((await fetch(`${s.url}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405)
    const head = await fetch(`${s.url}/healthz`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('stops listening on close', async () => {
    const s = await startMonitorServer({ registry: new Registry() })
    await s.close()
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow()
  })

  it('refuses an address that is not host:port, and a port in use', async () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 })
    expect(() => parseListen('127.0.0.1')).toThrow(/not host:port; write it like 127\.0\.0\.1:9464/)
    expect(() => parseListen('127.0.0.1:70000')).toThrow(/not host:port/)
    const s = await startMonitorServer({ registry: new Registry() })
    servers.push(s)
    await expect(startMonitorServer({ registry: new Registry(), listen: s.url.slice('http://'.length) })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })

  it('a relay whose metrics address is taken fails to start, saying the address is in use', async () => {
    const s = await startMonitorServer({ registry: new Registry() })
    servers.push(s)
    await expect(relay({ metrics: { listen: s.url.slice('http://'.length) } })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})

describe('startMonitorServer with a token', () => {
  it('serves /metrics only with the bearer token; probes stay open; off loopback a token is required', async () => {
    const registry = new Registry()
    const token = 'a-secret-of-24-characters'
    const s = await startMonitorServer({ listen: '127.0.0.1:0', registry, token })
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401)
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401)
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200)
    } finally {
      await s.close()
    }
    await expect(startMonitorServer({ listen: '0.0.0.0:0', registry })).rejects.toThrow(/needs a bearer token/)
    await expect(startMonitorServer({ listen: '127.0.0.1:0', registry, token: 'short' })).rejects.toThrow(/at least 16/)
  })
})
