import { describe, it, expect, afterEach, afterAll } from 'vitest'
import { join } from 'node:path'
import { createController } from '../../src/control/controller.js'
import type { Controller } from '../../src/control/controller.js'
import { createRelay } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'
import { connectAgent } from '../../src/agent/agent.js'
import { FAST, stopAll, tempDir, waitFor } from '../helpers.js'
import { killChildren, run } from '../cli/spawn.js'
import { createProgram } from '../../src/cli/main.js'
import type { Command } from 'commander'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })
afterAll(() => { killChildren() })

describe('slim-mesh ctl', () => {
  it('joins relays with tokens it creates; a policy set through it reaches every relay within 2 s and is enforced; nodes and links show the mesh', async () => {
    await using dir = await tempDir()
    const controller: Controller = await createController({ dataDir: dir.path, listen: '127.0.0.1:0', topology: { kind: 'line' }, timings: { heartbeatMs: 300, downAfterMs: 3000 } })
    cleanup.push(controller)
    const admin = join(dir.path, 'admin.creds')
    expect(controller.adminCredentialsPath).toBe(admin)
    const ctl = async (...a: string[]): Promise<string> => {
      const r = await run(['ctl', '--controller', controller.url, '--credentials', admin, ...a], { timeoutMs: 20_000 })
      expect(r.code, r.stderr).toBe(0)
      return r.stdout
    }
    const relays: Relay[] = []
    for (let i = 0; i < 3; i++) {
      const token = (await ctl('tokens', 'create', '--note', `relay ${i}`)).trim()
      const r = await createRelay({ ...FAST, control: { url: controller.url, joinToken: token } })
      cleanup.push(r)
      relays.push(r)
    }
    await waitFor(() => relays.every(r => r.control?.generation === controller.state().state.generation && r.control.items().every(i => i.status === 'applied')), 'the line applied everywhere')
    const nodes = JSON.parse(await ctl('nodes', '--json')) as Array<{ peerId: string, up: boolean }>
    expect(nodes.map(n => n.peerId)).toEqual(relays.map(r => r.peerId))
    expect(nodes.every(n => n.up)).toBe(true)
    const links = JSON.parse(await ctl('links', '--json')) as Array<{ a: string, b: string, planned: boolean, up: boolean }>
    expect(links.filter(l => l.planned && l.up)).toHaveLength(2)
    const tokens = JSON.parse(await ctl('tokens', 'list', '--json')) as Array<{ usedBy?: string }>
    expect(tokens.map(t => t.usedBy).sort()).toEqual(relays.map(r => r.peerId).sort())

    const bob = await connectAgent({ relay: relays[2]!.multiaddrs[0]!, name: 'acme/demo/bob', credentials: controller.issuerCredentials!, keepaliveMs: 500 })
    cleanup.push(bob)
    await expect(bob.subscribe('acme/secret/plans')).resolves.toBeDefined()

    const before = controller.state().state.generation
    const setting = ctl('policy', 'set', 'no-secrets', '--names', 'acme/secret/**', '--deny', 'subscribe', '--reason', 'secrets stay home')
    // From the moment the controller holds the change to every relay reporting it runs it:
    await waitFor(() => controller.state().state.generation > before, 'the controller to take the change', 20_000)
    const t0 = Date.now()
    const generation = controller.state().state.generation
    await waitFor(() => relays.every(r => controller.relayState(r.peerId) === 'live.inSync' && r.control?.generation === generation), 'every relay to report the new generation', 2_000)
    expect(Date.now() - t0).toBeLessThan(2_000)
    await setting
    await expect(bob.subscribe('acme/secret/other')).rejects.toThrow(/refused by policy no-secrets/)
    const shown = JSON.parse(await ctl('policy', 'show', '--json')) as { policies: Array<{ id: string }> }
    expect(shown.policies.map(p => p.id)).toEqual(['no-secrets'])
  }, 120_000)

  it('refuses a credential that is not an admin one, saying so', async () => {
    await using dir = await tempDir()
    const controller = await createController({ dataDir: dir.path, listen: '127.0.0.1:0' })
    cleanup.push(controller)
    const r = await run(['ctl', '--controller', controller.url, '--credentials', join(dir.path, 'dev.creds'), 'nodes'], { timeoutMs: 20_000 })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/admin credential/)
  }, 60_000)

  it('every ctl command has --help and --json', async () => {
    const ctl = createProgram().commands.find(c => c.name() === 'ctl')!
    const leaves = (c: Command): Command[] => c.commands.length === 0 ? [c] : c.commands.flatMap(leaves)
    const all = leaves(ctl)
    expect(all.map(c => c.name())).toEqual(expect.arrayContaining(['nodes', 'links', 'routes', 'channels', 'alerts', 'set', 'topology', 'create', 'issue', 'revoke', 'dashboard']))
    for (const c of all) expect(c.options.map(o => o.long), c.name()).toContain('--json')
    const r = await run(['ctl', 'policy', 'set', '--help'], { timeoutMs: 20_000 })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/--deny <action>/)
  }, 60_000)
})
