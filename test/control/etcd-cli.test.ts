/**
 * "Running several controllers" from the README, as processes: two `slim-mesh controller
 * --etcd` of one authority on a real etcd cluster, one leads; `ctl` and `node` given both
 * URLs (the follower first) reach the leader; the flags that cannot go together are
 * named. The settings a relay takes several controller URLs from are checked here too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { TEST_ADMIN, TEST_AUTHORITY, freePort, killChildren, run, start, startWith } from '../cli/spawn.js'
import type { Running } from '../cli/spawn.js'
import { parseConfigText, settingsFromEnv } from '../../src/cli/node-config.js'
import { controllerUrls } from '../../src/control/control-client.js'
import { tempDir, waitFor } from '../helpers.js'
import { leads } from '../process-controllers.js'
import { startEtcdCluster } from '../fixtures/etcd-cluster.js'
import type { EtcdCluster } from '../fixtures/etcd-cluster.js'

let cluster: EtcdCluster
beforeAll(async () => { cluster = await startEtcdCluster() }, 60_000)
afterAll(async () => { killChildren(); await cluster?.stop() })

const line = (p: Running, prefix: string): string | undefined => p.out.find(l => l.startsWith(prefix))

describe('slim-mesh controller --etcd (processes)', () => {
  it('two controllers of one authority: one leads; ctl and a relay given both URLs, the follower first, reach the leader', async () => {
    await using dir = await tempDir()
    const ports = [await freePort(), await freePort()]
    const urls = ports.map(p => `http://127.0.0.1:${p}`)
    const etcd = cluster.endpoints.join(',')
    const controllers = ports.map((p, i) => start('controller', '--etcd', etcd, '--etcd-prefix', `cli-${process.pid}/`, '--lease-ttl', '2', '--authority', TEST_AUTHORITY, '--data-dir', join(dir.path, `ctl${i}`), '--listen', `127.0.0.1:${p}`, '--heartbeat', '300'))
    for (const c of controllers) await waitFor(() => line(c, 'controller on ') != null, 'a controller banner', 60_000)
    expect(line(controllers[0] as Running, 'mesh ')).toContain(`state in etcd at ${etcd}`)
    await waitFor(async () => (await leads(urls[0] as string)) !== (await leads(urls[1] as string)), 'exactly one controller to lead', 20_000)
    const follower = await leads(urls[0] as string) ? urls[1] as string : urls[0] as string
    const leader = follower === urls[0] ? urls[1] as string : urls[0] as string
    const both = [follower, leader].join(',')
    const ctl = async (...a: string[]): Promise<string> => {
      const r = await run(['ctl', '--controller', both, '--credentials', TEST_ADMIN, ...a], { timeoutMs: 60_000 })
      expect(r.code, r.stderr).toBe(0)
      return r.stdout
    }
    const token = (await ctl('tokens', 'create')).trim()
    // A relay run by a controller takes its trust from it: none of the test mesh's files.
    const relay = startWith(['node', '--controller', both, '--join-token', token, '--data-dir', join(dir.path, 'r1'), '--listen', `127.0.0.1:${await freePort()}`], { SLIM_MESH_AUTHORITY: '', SLIM_MESH_CREDENTIALS: '' })
    await waitFor(() => line(relay, 'run by the controller at ') != null, 'the relay banner', 60_000)
    await waitFor(async () => {
      const nodes = JSON.parse(await ctl('nodes', '--json')) as Array<{ state: string }>
      return nodes.length === 1 && nodes[0]?.state.startsWith('live') === true
    }, 'the relay live at the leader', 30_000)
    // Only the follower's answer: a 503 naming the leader.
    const r = await run(['ctl', '--controller', follower, '--credentials', TEST_ADMIN, 'nodes'], { timeoutMs: 60_000 })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(leader)
  }, 240_000)

  it('names the flags that cannot go together: --etcd without --authority, --etcd-prefix without --etcd', async () => {
    const noAuthority = await run(['controller', '--etcd', 'http://127.0.0.1:1', '--in-memory', '--listen', '127.0.0.1:0'], { timeoutMs: 60_000 })
    expect(noAuthority.code).not.toBe(0)
    expect(noAuthority.stderr).toContain('same --authority')
    const noEtcd = await run(['controller', '--etcd-prefix', 'x/', '--in-memory', '--listen', '127.0.0.1:0'], { timeoutMs: 60_000 })
    expect(noEtcd.code).not.toBe(0)
    expect(noEtcd.stderr).toContain('go with --etcd')
  }, 120_000)
})

describe('a relay\'s controller URLs', () => {
  it('come from controller.urls in a file, or comma-separated in controller.url and SLIM_MESH_CONTROLLER', () => {
    const file = parseConfigText('controller:\n  urls: [http://127.0.0.1:7460, http://127.0.0.1:7461/]\n', 'relay.yaml')
    expect(controllerUrls(file.controller ?? {})).toEqual(['http://127.0.0.1:7460', 'http://127.0.0.1:7461'])
    const env = settingsFromEnv({ SLIM_MESH_CONTROLLER: 'http://127.0.0.1:7460, http://127.0.0.1:7461' })
    expect(controllerUrls(env.controller ?? {})).toEqual(['http://127.0.0.1:7460', 'http://127.0.0.1:7461'])
    expect(controllerUrls({ url: 'http://a:1', urls: ['http://b:2', 'http://a:1'] })).toEqual(['http://a:1', 'http://b:2'])
  })

  it('names a wrong one, and none at all', () => {
    expect(() => settingsFromEnv({ SLIM_MESH_CONTROLLER: 'http://127.0.0.1:7460,not a url' })).toThrow(/SLIM_MESH_CONTROLLER must be the controller's URL.*comma-separated/)
    expect(() => parseConfigText('controller:\n  urls: []\n', 'relay.yaml')).toThrow(/relay.yaml: controller.urls must name at least one controller/)
    expect(() => controllerUrls({})).toThrow(/no controller URL given/)
  })
})
