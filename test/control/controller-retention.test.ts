/**
 * A per-name retention policy set at the controller is enforced by the relays it runs:
 * names it covers are trimmed to it, names it does not cover keep the relay's own limits.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createController } from '../../src/control/controller.js'
import { operatorClient } from '../../src/control/operator-client.js'
import { connectAgent } from '../../src/agent/agent.js'
import { stopAll, waitFor } from '../helpers.js'
import { inSync, joinRelay } from './control-helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

describe('retention by controller policy', () => {
  it('trims the names a policy covers to its limits, on the relay that sequences them', async () => {
    const controller = await createController({ listen: '127.0.0.1:0', timings: { heartbeatMs: 300, downAfterMs: 3000 } })
    cleanup.push(controller)
    const r = await joinRelay(controller, cleanup)
    await waitFor(() => inSync(controller, [r]), 'the relay to apply the state')
    const ctl = await operatorClient(controller.url, controller.adminCredentials)
    await ctl.request('PUT', '/v1/policy/rules/short-logs', { names: 'acme/logs/**', retention: { messages: 64 } })
    const generation = controller.state().state.generation
    await waitFor(() => r.control?.generation === generation, 'the policy on the relay')

    const pub = await connectAgent({ relay: r.multiaddrs[0]!, name: 'acme/demo/pub', credentials: controller.issuerCredentials!, keepaliveMs: 500 })
    cleanup.push(pub)
    for (let i = 0; i < 300; i++) {
      await Promise.all([
        pub.publish('acme/logs/app', new Uint8Array(10), { mode: 'multicast' }),
        pub.publish('acme/demo/kept', new Uint8Array(10), { mode: 'multicast' })
      ])
    }
    const logs = await r.archive('acme/logs/app')
    expect(logs.head).toBe(300)
    expect(logs.messages).toBeLessThanOrEqual(64)
    expect(logs.first).toBeGreaterThan(300 - 64)
    const kept = await r.archive('acme/demo/kept')
    expect(kept).toMatchObject({ first: 1, head: 300, messages: 300 })
  }, 60_000)
})
