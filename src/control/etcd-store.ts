/**
 * The controller's records in etcd, so that several controllers share them and one that
 * dies loses nothing: the `KeyValueStore` part of a store (get, put, del, list by prefix,
 * close) over the etcd3 client, every key under a prefix (`slim-mesh/<mesh>/` by
 * default, so meshes and other users of the cluster do not mix).
 *
 * A leader writes through `fenced(...)`: each put and delete is a transaction that holds
 * only while the leader's election key is the one it won with (etcd's `Create` revision
 * compare, as etcd's own `concurrency.Mutex` fences), so a controller that lost its
 * leadership without noticing yet cannot overwrite what the new leader keeps.
 *
 * ```ts
 * const store = await openEtcdStore({ endpoints: ['http://127.0.0.1:2379'], prefix: 'slim-mesh/acme/' })
 * await store.put('ctl/intent', bytes)
 * const relays = await store.list('ctl/relay/')
 * await store.close()
 * ```
 */
import { Etcd3 } from 'etcd3'
import type { KeyValueStore } from '../store/store.js'
import { EtcdStoreError, NotLeaderError } from './errors.js'

/** A call to etcd that takes longer than this fails (a stream, a watch or a lease keep-alive, excepted). */
export const ETCD_CALL_TIMEOUT_MS = 5_000

export interface EtcdStoreInit {
  /** The etcd members' client URLs, `http://127.0.0.1:2379`. */
  endpoints: string[]
  /** Every key goes under it; default `slim-mesh/`. */
  prefix?: string
  /** A client to share (the election uses the same one); else the store makes and closes its own. */
  client?: Etcd3
}

/** The election key a leader holds, and the revision it was created at: writes hold only while it is the same key. */
export interface LeaderFence { key: string, createRevision: string }

/** The etcd client slim-mesh uses: a deadline on every unary call, retried on another member (the client's default policy). */
export function etcdClient (endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: ETCD_CALL_TIMEOUT_MS,
    defaultCallOptions: (ctx) => ctx.isStream ? {} : { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS }
  })
}

export class EtcdStore implements KeyValueStore {
  readonly client: Etcd3
  readonly prefix: string
  readonly endpoints: string[]
  private readonly owned: boolean
  private closed = false

  constructor (init: EtcdStoreInit) {
    if (init.endpoints.length === 0) throw new EtcdStoreError('open', init.prefix ?? '', [], { cause: new Error('no etcd endpoints given') })
    this.endpoints = init.endpoints
    this.prefix = init.prefix ?? 'slim-mesh/'
    this.owned = init.client == null
    this.client = init.client ?? etcdClient(init.endpoints)
  }

  private async run<T> (operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new EtcdStoreError(operation, key, this.endpoints, { cause: new Error('the store is closed') })
    try {
      return await fn()
    } catch (err) {
      if (err instanceof NotLeaderError) throw err
      throw new EtcdStoreError(operation, key, this.endpoints, { cause: err })
    }
  }

  async get (key: string): Promise<Uint8Array | undefined> {
    return await this.run('get', key, async () => {
      const v = await this.client.get(this.prefix + key).buffer()
      return v == null ? undefined : new Uint8Array(v)
    })
  }

  async put (key: string, value: Uint8Array): Promise<void> {
    await this.run('put', key, async () => { await this.client.put(this.prefix + key).value(Buffer.from(value)).exec() })
  }

  async del (key: string): Promise<void> {
    await this.run('del', key, async () => { await this.client.delete().key(this.prefix + key).exec() })
  }

  /** Every record whose key starts with `prefix`, in key order. */
  async list (prefix: string): Promise<Array<[string, Uint8Array]>> {
    return await this.run('list', prefix, async () => {
      const res = await this.client.getAll().prefix(this.prefix + prefix).sort('Key', 'Ascend').exec()
      return res.kvs.map(kv => [kv.key.toString('utf8').slice(this.prefix.length), new Uint8Array(kv.value)] as [string, Uint8Array])
    })
  }

  /**
   * The same records, written only while `fence` holds (this controller is still the
   * leader it was when it got the fence): a write after that is a `NotLeaderError`.
   * Closing the view closes nothing.
   */
  fenced (fence: LeaderFence): KeyValueStore {
    const write = async (operation: string, key: string, op: ReturnType<Etcd3['put']> | ReturnType<Etcd3['delete']>): Promise<void> => {
      await this.run(operation, key, async () => {
        const r = await this.client.if(fence.key, 'Create', '==', fence.createRevision).then(op).commit()
        if (!r.succeeded) throw new NotLeaderError(`this controller lost its leadership (its election key ${fence.key} is gone): ${operation} of "${key}" not done`)
      })
    }
    return {
      get: async (key) => await this.get(key),
      list: async (prefix) => await this.list(prefix),
      put: async (key, value) => { await write('put', key, this.client.put(this.prefix + key).value(Buffer.from(value))) },
      del: async (key) => { await write('del', key, this.client.delete().key(this.prefix + key)) },
      close: async () => {}
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.owned) this.client.close()
  }
}

/** An etcd store, checked: it answers one read before this resolves (an `EtcdStoreError` naming the endpoints if not). */
export async function openEtcdStore (init: EtcdStoreInit): Promise<EtcdStore> {
  const store = new EtcdStore(init)
  try {
    await store.get('ctl/.probe')
  } catch (err) {
    await store.close()
    throw err
  }
  return store
}
