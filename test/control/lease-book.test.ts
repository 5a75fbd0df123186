/** The controller's sequencer leases: grants, failover to a replica that has caught up, replacement, persistence. */
import { describe, it, expect } from 'vitest'
import { LeaseBook } from '../../src/control/lease-book.js'
import { MemoryStore } from '../../src/store/memory-store.js'

const NAME = 'acme/leases/feed'

async function book (live: string[], replication = 2, store = new MemoryStore()): Promise<{ b: LeaseBook, live: Set<string>, store: MemoryStore }> {
  const set = new Set(live)
  const b = await LeaseBook.load({ store, live: () => [...set], replicationOf: () => replication, now: () => 1000 })
  return { b, live: set, store }
}

describe('LeaseBook', () => {
  it('grants term 1 to the first claimer with replicas among the live relays, and answers later claims with the same lease', async () => {
    const { b } = await book(['a', 'b', 'c'], 3)
    const lease = await b.claim(NAME, 'a')
    expect(lease).toMatchObject({ name: NAME, term: 1, holder: 'a' })
    expect([...lease.replicas].sort()).toEqual(['b', 'c'])
    expect(await b.claim(NAME, 'b')).toEqual(lease)
  })

  it('replication 1 names no replicas, and a holder down with none stays the holder', async () => {
    const { b, live } = await book(['a', 'b'], 1)
    expect((await b.claim(NAME, 'a')).replicas).toEqual([])
    live.delete('a')
    expect(await b.relayDown('a')).toEqual([])
    expect(b.get(NAME)?.holder).toBe('a')
  })

  it('moves a lease whose holder went down to its replica with the next term, and names a new replica that is catching up', async () => {
    const { b, live } = await book(['a', 'b', 'c'])
    const lease = await b.claim(NAME, 'a')
    const replica = lease.replicas[0] as string
    const third = ['b', 'c'].find(p => p !== replica) as string
    live.delete('a')
    const changed = await b.relayDown('a')
    expect(changed).toEqual([{ previous: 'a', lease: { name: NAME, term: 2, holder: replica, replicas: [third], catchingUp: [third], since: 1000 } }])
  })

  it('never moves a lease to a replica still catching up: the name waits for its holder', async () => {
    const { b, live } = await book(['a', 'b', 'c'])
    const lease = await b.claim(NAME, 'a')
    const replica = lease.replicas[0] as string
    const third = ['b', 'c'].find(p => p !== replica) as string
    // The replica goes down; the third relay replaces it and catches up.
    live.delete(replica)
    await b.relayDown(replica)
    expect(b.get(NAME)).toMatchObject({ holder: 'a', term: 1, replicas: [third], catchingUp: [third] })
    // The holder dies before the third relay caught up: the lease stays.
    live.delete('a')
    expect(await b.relayDown('a')).toEqual([])
    expect(b.get(NAME)).toMatchObject({ holder: 'a', term: 1 })
  })

  it('moves the lease to a replacement once its holder says it has caught up (and only the holder of that term may)', async () => {
    const { b, live } = await book(['a', 'b', 'c'])
    const lease = await b.claim(NAME, 'a')
    const replica = lease.replicas[0] as string
    const third = ['b', 'c'].find(p => p !== replica) as string
    live.delete(replica)
    await b.relayDown(replica)
    expect(await b.caughtUp(NAME, 1, third, third)).toBeUndefined() // not the holder
    expect(await b.caughtUp(NAME, 2, 'a', third)).toBeUndefined() // not its term
    expect(await b.caughtUp(NAME, 1, 'a', third)).toMatchObject({ catchingUp: [] })
    live.delete('a')
    const [moved] = await b.relayDown('a')
    expect(moved?.lease).toMatchObject({ holder: third, term: 2 })
  })

  it('gives a lease short of replicas to a relay that comes up, as catching up', async () => {
    const { b, live } = await book(['a'])
    expect((await b.claim(NAME, 'a')).replicas).toEqual([])
    live.add('b')
    expect(await b.relayUp('b')).toEqual([expect.objectContaining({ replicas: ['b'], catchingUp: ['b'] })])
    expect(await b.relayUp('b')).toEqual([])
  })

  it('keeps its leases in the store: a new book over it has them', async () => {
    const store = new MemoryStore()
    const { b } = await book(['a', 'b'], 2, store)
    const lease = await b.claim(NAME, 'a')
    const { b: again } = await book(['a', 'b'], 2, store)
    expect(again.get(NAME)).toEqual(lease)
  })
})

describe('LeaseBook, with nobody to replace a replica', () => {
  it('keeps a replica that went down when no live relay can take its place', async () => {
    const { b, live } = await book(['a', 'b'])
    await b.claim(NAME, 'a')
    live.delete('b')
    expect(await b.relayDown('b')).toEqual([])
    expect(b.get(NAME)).toMatchObject({ holder: 'a', replicas: ['b'] })
  })
})
