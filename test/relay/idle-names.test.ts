/**
 * A name costs a relay nothing once it is idle: a sequencer claimed by a subscription
 * that never got a message is retired when its last subscriber leaves (gone from the
 * table, the announcements and the store, so not restored on restart either), and the
 * name works as before when it is used again. A sequencer with an archive is kept.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { relay, agent, collect, waitFor, stopAll, tempDir, text, str } from '../helpers.js'
import { relayInternals } from '../../src/node/relay-node.js'
import type { Relay } from '../../src/node/relay-node.js'

const cleanup: Array<{ close?: () => unknown, stop?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

const sequences = (r: Relay, name: string): boolean => relayInternals(r).table.sequencerOf(name)?.relay === r.peerId
const announced = (r: Relay, name: string): boolean => relayInternals(r).table.ownRoutes().some(n => n.name === name)

describe('idle names', () => {
  it('a sequencer with nothing to keep is retired when its last subscriber leaves, and the name works again after', async () => {
    await using dir = await tempDir()
    let r = await relay({ dataDir: dir.path })
    cleanup.push(r)
    const a = await agent(r, 'acme/idle/a')
    cleanup.push(a)
    const names = Array.from({ length: 50 }, (_, i) => `acme/idle/n${i}`)
    const subs = await Promise.all(names.map(async n => await a.subscribe(n)))
    expect(names.every(n => sequences(r, n))).toBe(true)
    for (const s of subs) await s.close()
    await waitFor(() => names.every(n => !sequences(r, n) && !announced(r, n)), 'every idle claim retired')

    // Restarted, the relay does not bring them back.
    await stopAll(a, r)
    cleanup.splice(0)
    r = await relay({ dataDir: dir.path })
    cleanup.push(r)
    expect(names.some(n => sequences(r, n))).toBe(false)

    // Used again, a name is claimed afresh and carries messages.
    const b = await agent(r, 'acme/idle/b')
    cleanup.push(b)
    const box = collect(await b.subscribe(names[0] as string))
    expect((await b.publish(names[0] as string, text('again'), { mode: 'multicast' })).seq).toBe(1)
    await waitFor(() => box.length === 1, 'the message')
    expect(str(box[0]?.data ?? new Uint8Array())).toBe('again')
  })

  it('idle claims a relay had when it stopped are retired when it restarts', async () => {
    await using dir = await tempDir()
    let r = await relay({ dataDir: dir.path })
    const a = await agent(r, 'acme/idle/sleeper')
    const names = Array.from({ length: 20 }, (_, i) => `acme/idle/s${i}`)
    await Promise.all(names.map(async n => await a.subscribe(n)))
    await a.publish('acme/idle/s0', text('kept'), { mode: 'multicast' })
    await waitFor(() => names.every(n => sequences(r, n)), 'every claim')
    await r.stop() // still subscribed: nothing was retired
    await a.close()
    r = await relay({ dataDir: dir.path })
    cleanup.push(r)
    expect(sequences(r, 'acme/idle/s0')).toBe(true) // it has an archive
    expect(names.slice(1).some(n => sequences(r, n))).toBe(false)
  })

  it('a relay still taken for the sequencer of a name it retired takes the name back when another relay publishes to it', async () => {
    const a = await relay()
    const b = await relay({ bootstrap: [a.multiaddrs[0] as string] })
    cleanup.push(b, a)
    const onA = await agent(a, 'acme/idle/first')
    cleanup.push(onA)
    const sub = await onA.subscribe('acme/idle/shared')
    await waitFor(() => relayInternals(b).table.sequencerOf('acme/idle/shared')?.relay === a.peerId, 'b to learn the claim')
    await sub.close()
    await waitFor(() => !sequences(a, 'acme/idle/shared'), 'the idle claim retired')
    expect(relayInternals(b).table.sequencerOf('acme/idle/shared')?.relay).toBe(a.peerId) // remembered
    const onB = await agent(b, 'acme/idle/second')
    cleanup.push(onB)
    const box = collect(await onB.subscribe('acme/idle/shared'))
    const ack = await onB.publish('acme/idle/shared', text('back'), { mode: 'multicast' })
    expect(ack.seq).toBe(1)
    expect(sequences(a, 'acme/idle/shared')).toBe(true)
    await waitFor(() => box.length === 1, 'the message on b')
  })

  it('a sequencer that numbered messages is kept when its subscribers leave: its archive is the name\'s history', async () => {
    const r = await relay()
    cleanup.push(r)
    const a = await agent(r, 'acme/idle/keeper')
    cleanup.push(a)
    const sub = await a.subscribe('acme/idle/history')
    await a.publish('acme/idle/history', text('m1'), { mode: 'multicast' })
    await sub.close()
    // Another name retired after it shows the release has run.
    const other = await a.subscribe('acme/idle/other')
    await other.close()
    await waitFor(() => !sequences(r, 'acme/idle/other'), 'the idle one retired')
    expect(sequences(r, 'acme/idle/history')).toBe(true)
    const again = collect(await a.subscribe('acme/idle/history', { fromSeq: 1 }))
    await waitFor(() => again.length === 1, 'the history replayed')
  })
})
