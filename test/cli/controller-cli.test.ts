/**
 * The README's control-plane walkthrough, as processes: `slim-mesh controller`, relays
 * joined with `slim-mesh node --controller URL --join-token $(slim-mesh ctl tokens create)`,
 * an echo service and a request across them, and a policy set through `ctl`.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { join } from 'node:path'
import { freePort, killChildren, run, startWith } from './spawn.js'
import type { Running } from './spawn.js'
import { tempDir, waitFor } from '../helpers.js'

afterAll(() => { killChildren() })

const NO_TRUST_ENV = { SLIM_MESH_AUTHORITY: '', SLIM_MESH_CREDENTIALS: '' }
const line = (p: Running, prefix: string): string | undefined => p.out.find(l => l.startsWith(prefix))

describe('slim-mesh controller (processes)', () => {
  it('runs the README walkthrough: a controller, two relays joined by token, an echo across them, a policy set by ctl', async () => {
    await using dir = await tempDir()
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const ctlDir = join(dir.path, 'ctl')
    const controller = startWith(['controller', '--data-dir', ctlDir, '--listen', `127.0.0.1:${port}`, '--topology', 'line', '--heartbeat', '300'], NO_TRUST_ENV)
    await waitFor(() => line(controller, 'controller on ') != null, 'the controller banner', 30_000)
    expect(line(controller, 'controller on ')).toBe(`controller on ${url}`)
    expect(line(controller, 'admin credential ')).toBe(`admin credential ${join(ctlDir, 'admin.creds')}`)
    const ctl = async (...a: string[]): Promise<string> => {
      const r = await run(['ctl', '--controller', url, '--credentials', join(ctlDir, 'admin.creds'), ...a], { timeoutMs: 30_000 })
      expect(r.code, r.stderr).toBe(0)
      return r.stdout
    }
    const relayPorts = [await freePort(), await freePort()]
    const relays: Running[] = []
    for (const [i, p] of relayPorts.entries()) {
      const token = (await ctl('tokens', 'create')).trim()
      relays.push(startWith(['node', '--controller', url, '--join-token', token, '--data-dir', join(dir.path, `r${i}`), '--listen', `127.0.0.1:${p}`], NO_TRUST_ENV))
    }
    for (const r of relays) await waitFor(() => line(r, 'run by the controller at ') != null, 'a relay banner', 30_000)
    await waitFor(async () => {
      const nodes = JSON.parse(await ctl('nodes', '--json')) as Array<{ state: string }>
      return nodes.length === 2 && nodes.every(n => n.state === 'live.inSync')
    }, 'both relays in sync', 30_000)
    const creds = join(ctlDir, 'dev.creds')
    const echo = startWith(['sub', '--relay', `127.0.0.1:${relayPorts[1]!}`, '--credentials', creds, 'acme/demo/echo', '--echo', '--as', 'acme/demo/echo'], NO_TRUST_ENV)
    await waitFor(() => echo.err.some(l => l.startsWith('subscribed to ')), 'the echo service', 30_000)
    let answer = ''
    await waitFor(async () => {
      const r = await run(['request', '--relay', `127.0.0.1:${relayPorts[0]!}`, '--credentials', creds, 'acme/demo/echo', 'hello', '--timeout', '3000'], { timeoutMs: 30_000 })
      answer = r.stdout.trim()
      return r.code === 0
    }, 'a request across the two relays', 60_000)
    expect(answer).toBe('hello')
    expect(await ctl('policy', 'set', 'no-secrets', '--names', 'acme/secret/**', '--deny', 'subscribe', '--reason', 'secrets stay home')).toMatch(/^policy set; generation \d+/)
    await waitFor(async () => {
      const nodes = JSON.parse(await ctl('nodes', '--json')) as Array<{ state: string, generation: number, desired: number }>
      return nodes.every(n => n.state === 'live.inSync' && n.generation === n.desired)
    }, 'both relays on the new generation', 30_000)
    const denied = await run(['sub', '--relay', `127.0.0.1:${relayPorts[0]!}`, '--credentials', creds, 'acme/secret/plans', '--count', '1'], { timeoutMs: 30_000 })
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(/refused by policy no-secrets/)
    expect(await ctl('dashboard')).toMatch(new RegExp(`^${url}/#session=`))
  }, 180_000)
})
