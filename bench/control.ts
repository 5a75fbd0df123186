/**
 * How fast a policy change reaches every relay: a controller and relays (in this
 * process, on 127.0.0.1) joined by token, then repeated `PUT /v1/policy/rules/...` and the
 * time until every relay runs the new generation (it is pushed as a notice, pulled,
 * verified and applied). Beside it: one authenticated `GET /v1/state` round trip (the
 * floor of a pull), measured in the same run.
 */
import { createController } from '../src/control/controller.js'
import { operatorClient } from '../src/control/operator-client.js'
import { createRelay } from '../src/node/relay-node.js'
import type { Relay } from '../src/node/relay-node.js'
import { p50 } from './stats.js'

async function until (cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

export async function controlPropagation (relayCount = 5, changes = 30): Promise<{ propagationMs: number, p99Ms: number, pullMs: number }> {
  const controller = await createController({ listen: '127.0.0.1:0', topology: { kind: 'line' } })
  const relays: Relay[] = []
  try {
    for (let i = 0; i < relayCount; i++) relays.push(await createRelay({ control: { url: controller.url, joinToken: (await controller.createJoinToken()).token } }))
    await until(() => relays.every(r => r.control?.generation === controller.state().state.generation), 'the relays in sync')
    const ctl = await operatorClient(controller.url, controller.adminCredentials)
    const times: number[] = []
    for (let i = 0; i < changes; i++) {
      const t0 = performance.now()
      await ctl.request('PUT', `/v1/policy/rules/bench-${i % 3}`, { names: `bench/n${i}/**`, deny: ['subscribe'] })
      const g = controller.state().state.generation
      await until(() => relays.every(r => r.control != null && r.control.generation >= g), `generation ${g} everywhere`)
      times.push(performance.now() - t0)
    }
    const pulls: number[] = []
    for (let i = 0; i < changes; i++) {
      const t0 = performance.now()
      await ctl.request('GET', '/v1/state')
      pulls.push(performance.now() - t0)
    }
    const sorted = [...times].sort((a, b) => a - b)
    return { propagationMs: p50(times), p99Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number, pullMs: p50(pulls) }
  } finally {
    for (const r of relays) await r.stop()
    await controller.stop()
  }
}
