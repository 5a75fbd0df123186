import { describe, it, expect, afterEach } from 'vitest'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { operatorClient } from '../../src/control/operator-client.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import { connectAgent } from '../../src/agent/agent.js'
import { createAuthority } from '../../src/trust/keys.js'
import { issueAgentCredential } from '../../src/trust/tokens.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { FAST, collect, stopAll, text, waitFor } from '../helpers.js'
import { inSync, joinRelay } from './control-helpers.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

const controlledRelay = async (controller: Controller, opts: { dataDir?: string } = {}): Promise<Relay> => await joinRelay(controller, cleanup, opts)

describe('controller', () => {
  it('runs three relays from join tokens only: they link as the line says and carry traffic; a policy change reaches all within 2 s and is enforced', async () => {
    const controller = await createController({ listen: '127.0.0.1:0', topology: { kind: 'line' }, timings: { heartbeatMs: 300, downAfterMs: 3000 } })
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
    const controller = await createController({ listen: '127.0.0.1:0', timings: { heartbeatMs: 300, downAfterMs: 3000 } })
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

  it('killing the middle relay of a line re-plans the links so the other two stay connected, and raises an alert naming it', async () => {
    const controller = await createController({ listen: '127.0.0.1:0', topology: { kind: 'line' }, timings: { heartbeatMs: 300, downAfterMs: 3000 } })
    cleanup.push(controller)
    const relays = [await controlledRelay(controller), await controlledRelay(controller), await controlledRelay(controller)]
    const [r0, r1, r2] = relays as [Relay, Relay, Relay]
    await waitFor(() => inSync(controller, relays), 'the line applied')
    expect(r0.neighbours()).toEqual([r1.peerId])
    await r1.stop()
    await waitFor(() => controller.relayState(r1.peerId) === 'down', 'the controller to mark the middle relay down')
    const alert = controller.alerts().find(a => a.kind === 'relay-silent')
    expect(alert?.subject).toBe(`relay:${r1.peerId}`)
    const pair = [r0.peerId, r2.peerId].sort()
    await waitFor(() => JSON.stringify(controller.state().state.links) === JSON.stringify([pair]), 'the plan to link the two ends')
    await waitFor(() => r0.neighbours().includes(r2.peerId) && r2.neighbours().includes(r0.peerId), 'the two ends to link to each other')
    // And the links to the dead relay are dropped, not retried forever.
    await waitFor(() => !r0.peers().some(p => p.peerId === r1.peerId) && !r2.peers().some(p => p.peerId === r1.peerId), 'links to the dead relay dropped')
    const creds = controller.issuerCredentials!
    const a = await connectAgent({ relay: r0.multiaddrs[0]!, name: 'acme/demo/a', credentials: creds, keepaliveMs: 500 })
    const b = await connectAgent({ relay: r2.multiaddrs[0]!, name: 'acme/demo/b', credentials: creds, keepaliveMs: 500 })
    cleanup.push(a, b)
    const got = collect(await b.subscribe('acme/demo/after'))
    await waitFor(async () => { await a.publish('acme/demo/after', text('still connected'), { mode: 'multicast' }); return got.length > 0 }, 'traffic over the re-planned link', 15_000)
  })

  it('a publish-rate spike from one agent raises an alert naming it, and the attached rate-limit action takes effect on it alone', async () => {
    const controller = await createController({
      listen: '127.0.0.1:0',
      timings: { heartbeatMs: 250, downAfterMs: 3000 },
      intent: { alertActions: [{ kind: 'publish-rate', action: 'rate-limit', perSecond: 2, forSeconds: 60 }] }
    })
    cleanup.push(controller)
    const r = await controlledRelay(controller)
    await waitFor(() => inSync(controller, [r]), 'the relay in sync')
    const creds = controller.issuerCredentials!
    const noisy = await connectAgent({ relay: r.multiaddrs[0]!, name: 'acme/demo/noisy', credentials: creds, keepaliveMs: 500 })
    const quiet = await connectAgent({ relay: r.multiaddrs[0]!, name: 'acme/demo/quiet', credentials: creds, keepaliveMs: 500 })
    cleanup.push(noisy, quiet)
    // Both publish a few messages a second for a while: the baseline.
    let steady = true
    const tick = async (who: typeof noisy, name: string): Promise<void> => {
      while (steady) {
        await who.publish(name, text('tick'), { mode: 'multicast' }).catch(() => {})
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    }
    const ticking = [tick(noisy, 'acme/demo/noisy-feed'), tick(quiet, 'acme/demo/quiet-feed')]
    const heartbeats = async (n: number): Promise<void> => { const until = Date.now() + n * 250; await waitFor(() => Date.now() >= until, `${n} heartbeats`) }
    await heartbeats(10)
    expect(controller.alerts().filter(a => a.kind === 'publish-rate')).toEqual([])
    // Then one agent bursts.
    steady = false
    await Promise.all(ticking)
    const publishes: Array<Promise<unknown>> = []
    for (let i = 0; i < 400; i++) publishes.push(noisy.publish('acme/demo/noisy-feed', text(`burst ${i}`), { mode: 'multicast' }).catch(() => {}))
    await Promise.all(publishes)
    await waitFor(() => controller.alerts().some(a => a.kind === 'publish-rate'), 'a publish-rate alert')
    const alert = controller.alerts().find(a => a.kind === 'publish-rate')!
    expect(alert.subject).toBe(`agent:${noisy.name}`)
    expect(alert.reason).toMatch(/publish rate/)
    expect(alert.action).toMatch(new RegExp(`rate-limit ${noisy.name} to 2/s`))
    const policyId = /policy (alert-[a-z0-9-]+)/.exec(alert.action ?? '')?.[1]
    expect(policyId).toBeDefined()
    await waitFor(() => r.control?.generation === controller.state().state.generation && r.control.items().some(i => i.id === `policy:${policyId}` && i.status === 'applied'), 'the rate limit applied at the relay')
    // The noisy agent is held to 2 messages a second; the quiet one is not.
    const results = await Promise.allSettled(Array.from({ length: 10 }, async (_, i) => await noisy.publish('acme/demo/noisy-feed', text(`after ${i}`), { mode: 'multicast' })))
    const refused = results.filter(x => x.status === 'rejected') as PromiseRejectedResult[]
    expect(refused.length).toBeGreaterThanOrEqual(7)
    expect(String(refused[0]!.reason)).toMatch(new RegExp(`refused by policy ${policyId} \\(rate limit 2/s\\)`))
    for (let i = 0; i < 5; i++) await quiet.publish('acme/demo/quiet-feed', text(`fine ${i}`), { mode: 'multicast' })
  })

  it('runs a mesh of an authority it is given: relays join it, and its admin credential drives the API', async () => {
    const authority = await createAuthority()
    const controller = await createController({ listen: '127.0.0.1:0', authority, timings: { heartbeatMs: 300, downAfterMs: 3000 } })
    cleanup.push(controller)
    expect(controller.mesh).toBe(authority.authority.mesh)
    expect(controller.issuerCredentials).toBeUndefined()
    const r = await controlledRelay(controller)
    expect(r.mesh).toBe(authority.authority.mesh)
    const ctl = await operatorClient(controller.url, controller.adminCredentials)
    await waitFor(async () => (await ctl.request<Array<{ state: string }>>('GET', '/v1/nodes'))[0]?.state === 'live.inSync', 'the relay in sync')
    // An agent credential without admin is refused, naming the rule.
    const key = await generateKeyPair('Ed25519')
    const plain = await issueAgentCredential(authority, { name: 'acme/demo/op', publicKey: key.publicKey.raw, grants: {} })
    const notAdmin = await operatorClient(controller.url, { kind: 'slim-mesh/agent', authority: authority.authority, credential: plain, key })
    await expect(notAdmin.request('GET', '/v1/nodes')).rejects.toMatchObject({ name: 'ControllerError', status: 403, rule: 'credential.not-admin' })
    // A credential with another key than the one that signs the proof is refused too.
    const other = await generateKeyPair('Ed25519')
    const stolen = await operatorClient(controller.url, { ...controller.adminCredentials, key: other } as never)
    await expect(stolen.request('GET', '/v1/nodes')).rejects.toMatchObject({ status: 401, rule: 'credential.key-mismatch' })
  })

  it('a burst of refusals at a relay raises a denials alert, and the attached drain action stops new sessions there while its own stay', async () => {
    const controller = await createController({
      listen: '127.0.0.1:0',
      timings: { heartbeatMs: 250, downAfterMs: 3000 },
      intent: { alertActions: [{ kind: 'denials', action: 'drain', forSeconds: 60 }], policies: [{ id: 'no-x', names: 'acme/x/**', deny: ['subscribe'] }] }
    })
    cleanup.push(controller)
    const r = await controlledRelay(controller)
    await waitFor(() => inSync(controller, [r]), 'the relay in sync')
    const creds = controller.issuerCredentials!
    const prober = await connectAgent({ relay: r.multiaddrs[0]!, name: 'acme/demo/prober', credentials: creds, keepaliveMs: 500 })
    cleanup.push(prober)
    const until = Date.now() + 10 * 250
    await waitFor(() => Date.now() >= until, 'a quiet baseline of ten heartbeats')
    expect(controller.alerts().filter(a => a.kind === 'denials')).toEqual([])
    for (let i = 0; i < 100; i++) await prober.subscribe(`acme/x/s${i}`).catch(() => {})
    await waitFor(() => controller.alerts().some(a => a.kind === 'denials'), 'a denials alert')
    const alert = controller.alerts().find(a => a.kind === 'denials')!
    expect(alert.subject).toBe(`relay:${r.peerId}`)
    expect(alert.action).toMatch(/^drain relay /)
    await waitFor(() => r.control?.items().some(i => i.id === `drain:${r.peerId}` && i.status === 'applied') === true, 'the drain applied at the relay')
    await expect(connectAgent({ relay: r.multiaddrs[0]!, name: 'acme/demo/late', credentials: creds, keepaliveMs: 500 })).rejects.toMatchObject({ name: 'AuthenticationError', message: expect.stringMatching(/draining/) })
    // The session it had stays and works.
    await expect(prober.publish('acme/demo/feed', text('still here'), { mode: 'multicast' })).resolves.toMatchObject({ seq: 1 })
  })
})
