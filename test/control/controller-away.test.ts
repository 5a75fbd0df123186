import { describe, it, expect, afterEach } from 'vitest'
import { createServer } from 'node:net'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay, RelayOptions } from '../../src/node/relay-node.js'
import { connectAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import { FAST, stopAll, tempDir, text, waitFor } from '../helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => { resolve(p) }) })
  })
}

async function serveEcho (a: Agent): Promise<void> {
  const sub = await a.subscribe('acme/demo/echo')
  void (async () => { try { for await (const m of sub) await m.respond?.(m.data) } catch {} })()
}

/** Anycast round trip from `from` to the echo service: resolves when one answer came back. */
async function roundTrip (from: Agent): Promise<void> {
  await waitFor(async () => {
    try { await from.request('acme/demo/echo', text('ping'), { timeoutMs: 1000 }); return true } catch { return false }
  }, 'an echo round trip across the mesh', 15_000)
}

describe('controller away', () => {
  it('the mesh keeps carrying traffic for a minute without its controller; a relay restarted meanwhile runs its last applied state; all converge when it returns', async () => {
    await using ctlDir = await tempDir()
    await using d0 = await tempDir()
    await using d1 = await tempDir()
    await using d2 = await tempDir()
    const listen = `127.0.0.1:${await freePort()}`
    const start = async (): Promise<Controller> => await createController({ dataDir: ctlDir.path, listen, topology: { kind: 'line' }, timings: { heartbeatMs: 300, downAfterMs: 3000 } })
    let controller = await start()
    const join = async (dataDir: string): Promise<Relay> => await createRelay({ ...FAST, dataDir, control: { url: controller.url, joinToken: (await controller.createJoinToken()).token } })
    const r0 = await join(d0.path)
    const r1 = await join(d1.path)
    let r2 = await join(d2.path)
    cleanup.push(r0, r1, { stop: async () => { await r2.stop() } })
    const relays = (): Relay[] => [r0, r1, r2]
    await waitFor(() => relays().every(r => r.control?.generation === controller.state().state.generation && r.control.items().every(i => i.status === 'applied')), 'the line to be applied')
    const creds = controller.issuerCredentials!
    const echo = await connectAgent({ relay: r2.multiaddrs[0]!, name: 'acme/demo/echo', credentials: creds, keepaliveMs: 500 })
    const client = await connectAgent({ relay: r0.multiaddrs[0]!, name: 'acme/demo/client', credentials: creds, keepaliveMs: 500 })
    cleanup.push(echo, client)
    await serveEcho(echo)
    await roundTrip(client)
    const generation = controller.state().state.generation

    await controller.stop()
    const downAt = Date.now()
    await waitFor(() => relays().every(r => r.control?.status === 'degraded'), 'every relay to notice the controller is away')
    // A relay restarts while the controller is away: it comes back on the state it applied last.
    await r2.stop()
    r2 = await createRelay({ ...FAST, dataDir: d2.path, control: { url: `http://${listen}` } } satisfies RelayOptions)
    await waitFor(() => r2.control?.generation === generation, "the restarted relay to apply its last state with no controller to ask")
    await waitFor(() => r2.neighbours().includes(r1.peerId), 'the restarted relay to link again as its last state says', 15_000)
    // Its agent comes back to it; traffic flows again, controller or not.
    await echo.close()
    const echo2 = await connectAgent({ relay: r2.multiaddrs[0]!, name: 'acme/demo/echo', credentials: creds, keepaliveMs: 500 })
    cleanup.push(echo2)
    await serveEcho(echo2)
    await roundTrip(client)
    // The rest of the minute: traffic still flows at its end.
    await new Promise(resolve => setTimeout(resolve, Math.max(0, 60_000 - (Date.now() - downAt))))
    expect(relays().every(r => r.control?.status === 'degraded' || r.control?.status === 'online.heartbeating')).toBe(true)
    await roundTrip(client)

    // The controller returns on its data directory: every relay converges without being told to.
    controller = await start()
    cleanup.push(controller)
    expect(controller.state().state.generation).toBeGreaterThanOrEqual(generation)
    // It learns the restarted relay's new address from its heartbeat (a generation after the first it publishes).
    await waitFor(() => relays().every(r => controller.relayState(r.peerId) === 'live.inSync' && r.control?.generation === controller.state().state.generation) &&
      JSON.stringify(controller.state().state.relays.find(x => x.peerId === r2.peerId)?.addrs) === JSON.stringify(r2.multiaddrs), 'every relay in sync with the returned controller, which knows the new address', 30_000)
    await roundTrip(client)
  }, 120_000)
})
