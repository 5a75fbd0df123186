import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EtcdStore, openEtcdStore } from '../../src/control/etcd-store.js'
import { startEtcdCluster } from '../fixtures/etcd-cluster.js'
import type { EtcdCluster } from '../fixtures/etcd-cluster.js'
import { str, text } from '../helpers.js'

let cluster: EtcdCluster
const stores: EtcdStore[] = []

beforeAll(async () => { cluster = await startEtcdCluster() }, 60_000)
afterAll(async () => {
  for (const s of stores) await s.close()
  await cluster?.stop()
})

async function store (prefix: string, endpoints = cluster.endpoints): Promise<EtcdStore> {
  const s = await openEtcdStore({ endpoints, prefix })
  stores.push(s)
  return s
}

describe('EtcdStore', () => {
  it('gets what was put, undefined for what was not, and nothing once deleted', async () => {
    const s = await store('t1/')
    expect(await s.get('ctl/intent')).toBeUndefined()
    await s.put('ctl/intent', text('{"a":1}'))
    expect(str(await s.get('ctl/intent') as Uint8Array)).toBe('{"a":1}')
    await s.put('ctl/intent', text('{"a":2}'))
    expect(str(await s.get('ctl/intent') as Uint8Array)).toBe('{"a":2}')
    await s.del('ctl/intent')
    expect(await s.get('ctl/intent')).toBeUndefined()
    await s.del('ctl/never') // deleting what is not there is no error
  })

  it('lists the records under a prefix, in key order, with the keys as they were put', async () => {
    const s = await store('t2/')
    await s.put('ctl/relay/b', text('B'))
    await s.put('ctl/relay/a', text('A'))
    await s.put('ctl/relayx', text('X'))
    await s.put('ctl/token/1', text('T'))
    const relays = await s.list('ctl/relay/')
    expect(relays.map(([k, v]) => [k, str(v)])).toEqual([['ctl/relay/a', 'A'], ['ctl/relay/b', 'B']])
    expect((await s.list('ctl/')).map(([k]) => k)).toEqual(['ctl/relay/a', 'ctl/relay/b', 'ctl/relayx', 'ctl/token/1'])
    expect(await s.list('ctl/lease/')).toEqual([])
  })

  it('keeps stores with different prefixes apart: one sees none of the other\'s records', async () => {
    const a = await store('mesh-a/')
    const b = await store('mesh-b/')
    await a.put('ctl/relay/x', text('from a'))
    expect(await b.get('ctl/relay/x')).toBeUndefined()
    expect(await b.list('ctl/')).toEqual([])
    await b.put('ctl/relay/x', text('from b'))
    expect(str(await a.get('ctl/relay/x') as Uint8Array)).toBe('from a')
    await b.del('ctl/relay/x')
    expect(str(await a.get('ctl/relay/x') as Uint8Array)).toBe('from a')
  })

  it('sees from one member what was written through another (one replicated store)', async () => {
    const w = await store('t4/', [cluster.endpoints[0] as string])
    const r = await store('t4/', [cluster.endpoints[2] as string])
    await w.put('ctl/state', text('jws'))
    expect(str(await r.get('ctl/state') as Uint8Array)).toBe('jws')
  })

  it('stores binary values byte for byte', async () => {
    const s = await store('t5/')
    const bytes = new Uint8Array(256).map((_, i) => i)
    await s.put('bin', bytes)
    expect(await s.get('bin')).toEqual(bytes)
  })

  it('refuses to open with no etcd answering, with a typed error that names the endpoints', async () => {
    const err = await openEtcdStore({ endpoints: ['http://127.0.0.1:1'], prefix: 'x/' }).catch((e: unknown) => e as Error)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe('EtcdStoreError')
    expect((err as Error).message).toContain('http://127.0.0.1:1')
    expect((err as { operation?: string }).operation).toBe('get')
  }, 20_000)

  it('writes through a fence only while its key is the one it names: after that, a NotLeaderError and nothing written', async () => {
    const s = await store('t6/')
    await s.client.put('t6-fence').value('leader').exec()
    const kv = (await s.client.get('t6-fence').exec()).kvs[0]
    const fenced = s.fenced({ key: 't6-fence', createRevision: kv?.create_revision as string })
    await fenced.put('ctl/intent', text('by the leader'))
    expect(str(await fenced.get('ctl/intent') as Uint8Array)).toBe('by the leader')
    // The key goes (its lease expired) and comes back as another's: the old fence no longer holds.
    await s.client.delete().key('t6-fence').exec()
    await s.client.put('t6-fence').value('another leader').exec()
    const err = await fenced.put('ctl/intent', text('by the old leader')).catch((e: unknown) => e as Error)
    expect(err).toMatchObject({ name: 'NotLeaderError', status: 503, rule: 'controller.not-leader' })
    await expect(fenced.del('ctl/intent')).rejects.toMatchObject({ name: 'NotLeaderError' })
    expect(str(await s.get('ctl/intent') as Uint8Array)).toBe('by the leader')
  })

  it('says a closed store is closed', async () => {
    const s = await openEtcdStore({ endpoints: cluster.endpoints, prefix: 't7/' })
    await s.close()
    const err = await s.get('k').catch((e: unknown) => e as Error)
    expect((err as Error).name).toBe('EtcdStoreError')
    expect((err as Error).message).toContain('closed')
  })
})

describe('EtcdStore with a member killed', () => {
  it('goes on reading and writing with one of three members dead, and the member catches up when back', async () => {
    const s = await store('t8/')
    await s.put('before', text('1'))
    await cluster.kill(1)
    // Every call still succeeds: the client retries on another member, raft has a majority.
    for (let i = 0; i < 20; i++) await s.put(`during/${i}`, text(String(i)))
    expect((await s.list('during/')).length).toBe(20)
    expect(str(await s.get('before') as Uint8Array)).toBe('1')
    await cluster.restart(1)
    const back = await store('t8/', [cluster.endpoints[1] as string])
    expect((await back.list('during/')).length).toBe(20)
  }, 60_000)
})
