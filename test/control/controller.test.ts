import { describe, it, expect, afterEach } from 'vitest'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { operatorClient } from '../../src/control/operator-client.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import { connectAgent } from '../../src/agent/agent.js'
import { FAST, collect, stopAll, text, waitFor } from '../helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

async function controlledRelay (controller: Controller, opts: { dataDir?: string } = {}): Promise<Relay> {
  const { token } = await controller.createJoinToken()
  const r = await createRelay({ ...FAST, ...opts, control: { url: controller.url, joinToken: token } })
  cleanup.push(r)
  return r
}

const inSync = (controller: Controller, relays: Relay[]): boolean =>
  relays.every(r => r.control?.generation === controller.state().state.generation && r.control.items().every(i => i.status === 'applied'))

describe('controller', () => {
  it('runs three relays from join tokens only: they link as the line says and carry traffic; a policy change reaches all within 2 s and is enforced', async () => {
    const controller = await createController({ listen: '127.0.0.1:0', topology: { kind: 'line' }, timings: { heartbeatMs: 300 } })
    cleanup.push(controller)
    const relays = [await controlledRelay(controller), await controlledRelay(controller), await controlledRelay(controller)]
    const [r0, r1, r2] = relays as [Relay, Relay, Relay]
    await waitFor(() => inSync(controller, relays), 'every relay to apply the state with its links up')
    // The line is r0 - r1 - r2, in registration order.
    expect(r0.neighbours()).toEqual([r1.peerId])
    expect(r1.neighbours().sort()).toEqual([r0.peerId, r2.peerId].sort())
    expect(r2.neighbours()).toEqual([r1.peerId])
    for (const r of relays) expect(r.mesh).toBe(controller.mesh)

    const creds = controller.issuerCredentials!
    const alice = await connectAgent({ relay: r0.multiaddrs[0]!, name: 'acme/demo/alice', credentials: creds, keepaliveMs: 500 })
    const bob = await connectAgent({ relay: r2.multiaddrs[0]!, name: 'acme/demo/bob', credentials: creds, keepaliveMs: 500 })
    cleanup.push(alice, bob)
    const got = collect(await bob.subscribe('acme/demo/news'))
    await waitFor(async () => { await alice.publish('acme/demo/news', text('hello'), { mode: 'multicast' }); return got.length > 0 }, 'multicast across the line', 15_000)

    // An operator forbids subscribing to acme/secret/**.
    const ctl = await operatorClient(controller.url, controller.adminCredentials)
    const before = controller.state().state.generation
    const t0 = Date.now()
    await ctl.request('PUT', '/v1/policy/rules/no-secrets', { names: 'acme/secret/**', deny: ['subscribe'], reason: 'secrets stay home' })
    const generation = controller.state().state.generation
    expect(generation).toBe(before + 1)
    await waitFor(() => relays.every(r => r.control?.generation === generation), 'the new generation on every relay', 2_000)
    const took = Date.now() - t0
    expect(took).toBeLessThan(2_000)
    // ... and reported back: the controller sees each relay run it.
    await waitFor(() => relays.every(r => controller.relayState(r.peerId) === 'live.inSync'), 'every relay reported in sync')
    await expect(bob.subscribe('acme/secret/plans')).rejects.toThrow(/no-secrets/)
    // What is not covered still works.
    await expect(bob.subscribe('acme/demo/other')).resolves.toBeDefined()
  })

  it('refuses a used join token, an unknown one and one of another mesh, naming the rule', async () => {
    const controller = await createController({ listen: '127.0.0.1:0', timings: { heartbeatMs: 300 } })
    const other = await createController({ listen: '127.0.0.1:0' })
    cleanup.push(controller, other)
    const { token } = await controller.createJoinToken()
    await controlledRelay(controller).then(async r => { await r.stop() }).catch(() => {})
    // A fresh relay (a new identity) with a token already taken by another:
    const { token: t2 } = await controller.createJoinToken()
    const first = await createRelay({ ...FAST, control: { url: controller.url, joinToken: t2 } })
    cleanup.push(first)
    await expect(createRelay({ ...FAST, control: { url: controller.url, joinToken: t2 } })).rejects.toMatchObject({ name: 'ControllerError', rule: 'join-token.used' })
    const forged = token.slice(0, token.lastIndexOf('.') + 1) + 'A'.repeat(43)
    await expect(createRelay({ ...FAST, control: { url: controller.url, joinToken: forged } })).rejects.toMatchObject({ rule: 'join-token.unknown' })
    const { token: foreign } = await other.createJoinToken()
    await expect(createRelay({ ...FAST, control: { url: controller.url, joinToken: foreign } })).rejects.toMatchObject({ rule: 'join-token.wrong-mesh' })
  })
})
