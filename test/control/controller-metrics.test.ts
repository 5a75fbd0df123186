import { describe, it, expect, afterEach } from 'vitest'
import { createController } from '../../src/control/controller.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import { connectAgent } from '../../src/agent/agent.js'
import { FAST, stopAll, text, waitFor } from '../helpers.js'
import { scrape } from './prometheus.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

describe('controller metrics', () => {
  it('serves valid Prometheus text with the roster, plan, heartbeats and the mesh-wide view; relays run by it serve theirs', async () => {
    const controller = await createController({ listen: '127.0.0.1:0', topology: { kind: 'full' }, timings: { heartbeatMs: 300, downAfterMs: 3000 }, metrics: { listen: '127.0.0.1:0' } })
    cleanup.push(controller)
    expect(controller.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const relays: Relay[] = []
    for (let i = 0; i < 2; i++) {
      const r = await createRelay({ ...FAST, metrics: { listen: '127.0.0.1:0' }, control: { url: controller.url, joinToken: (await controller.createJoinToken()).token } })
      cleanup.push(r)
      relays.push(r)
    }
    await waitFor(() => relays.every(r => controller.relayState(r.peerId) === 'live.inSync'), 'both relays in sync')
    const a = await connectAgent({ relay: relays[0]!.multiaddrs[0]!, name: 'acme/demo/a', credentials: controller.issuerCredentials!, keepaliveMs: 500 })
    cleanup.push(a)
    await a.publish('acme/demo/feed', text('one'), { mode: 'multicast' })
    await waitFor(async () => ((await scrape(controller.metricsUrl!)).value('slim_mesh_messages_in', { mode: 'multicast' }) ?? 0) >= 1, 'the mesh-wide count to include the message')
    const m = await scrape(controller.metricsUrl!)
    expect(m.value('slim_controller_relays', { state: 'live.inSync' })).toBe(2)
    expect(m.value('slim_controller_generation')).toBe(controller.state().state.generation)
    expect(m.value('slim_controller_links', { which: 'planned' })).toBe(1)
    expect(m.value('slim_controller_links', { which: 'up' })).toBe(1)
    expect(m.value('slim_controller_heartbeats_total')).toBeGreaterThan(0)
    expect(m.value('slim_mesh_sessions')).toBe(1)
    expect(m.series('slim_controller_relays')[0]?.labels.mesh).toBe(controller.mesh)
    // Each relay's own endpoint, as the relay metrics tests check in depth.
    const r0 = await scrape(relays[0]!.metricsUrl!)
    expect(r0.value('slim_messages_in_total', { mode: 'multicast' })).toBe(1)
    expect(r0.value('slim_links_up')).toBe(1)
    // The controller's health says what it serves.
    const health = await (await fetch(controller.metricsUrl!.replace('/metrics', '/healthz'))).json() as { status: string, mesh: string }
    expect(health).toMatchObject({ status: 'ok', mesh: controller.mesh })
  })
})
