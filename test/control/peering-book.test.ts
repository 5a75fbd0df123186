/**
 * The controllers' peering registry (src/control/peering-book.ts): two meshes' books
 * negotiate one agreement by hand-carried documents until both authorities signed it,
 * then both are trusted; steps out of turn are refused by rule; the registry survives a
 * restart from its store.
 */
import { describe, it, expect, beforeEach } from 'vitest'
import { createAuthority } from '../../src/trust/keys.js'
import type { Authority } from '../../src/trust/keys.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { PeeringBook } from '../../src/control/peering-book.js'
import type { PeeringDraft } from '../../src/control/peering-book.js'

let acme: Authority
let beta: Authority
let acmeStore: MemoryStore
let betaStore: MemoryStore
let changes: string[]

beforeEach(async () => {
  [acme, beta] = await Promise.all([createAuthority(), createAuthority()])
  acmeStore = new MemoryStore()
  betaStore = new MemoryStore()
  changes = []
})

const book = async (authority: Authority, store: MemoryStore, who: string): Promise<PeeringBook> =>
  await PeeringBook.load({ store, authority, onChange: (id, trusted) => { changes.push(`${who} ${id} ${trusted ? 'on' : 'off'}`) } })

function draft (limitNames = 10): PeeringDraft {
  return {
    v: 1,
    id: 'acme-beta',
    local: { owns: ['acme/**'], exports: [{ prefix: 'acme/public/**', kind: 'service' }], imports: [{ prefix: 'beta/api/**' }], borders: ['acme-b1', 'acme-b2'] },
    remote: { mesh: beta.authority.mesh, authority: beta.authority.jwk, owns: ['beta/**'], exports: [{ prefix: 'beta/api/**', kind: 'service' }], imports: [{ prefix: 'acme/public/**' }], borders: ['beta-b1', 'beta-b2'] },
    limits: { messagesPerSecond: 100, bytesPerSecond: 100_000, names: limitNames },
    expires: Math.floor(Date.now() / 1000) + 3600
  }
}

describe('peering registry', () => {
  it('propose, receive, counter, accept, receive the agreement: both sides trusted with one agreement', async () => {
    const a = await book(acme, acmeStore, 'acme')
    const b = await book(beta, betaStore, 'beta')
    const proposed = await a.propose(draft())
    expect(proposed).toMatchObject({ state: 'proposed.awaitingPeer', version: 1, signedBy: [acme.authority.mesh] })

    expect(await b.receive(proposed.document)).toMatchObject({ state: 'proposed.awaitingUs', peer: acme.authority.mesh })
    // Beta counters with a lower names limit: version 2, signed by beta alone.
    const got = b.view('acme-beta').agreement
    const counter = await b.propose({ ...draft(), id: got.id, local: { ...got.sides[1] }, remote: got.sides[0], limits: { ...got.limits, names: 5 } })
    expect(counter).toMatchObject({ state: 'negotiating.awaitingPeer', version: 2, signedBy: [beta.authority.mesh] })

    expect(await a.receive(counter.document)).toMatchObject({ state: 'negotiating.awaitingUs', version: 2 })
    const accepted = await a.accept('acme-beta')
    expect(accepted).toMatchObject({ state: 'trusted.carrying', signedBy: [beta.authority.mesh, acme.authority.mesh] })
    expect(await b.receive(accepted.document)).toMatchObject({ state: 'trusted.carrying', version: 2 })
    expect(a.trusted()[0]?.limits.names).toBe(5)
    expect(b.trusted()[0]).toEqual(a.trusted()[0])
    expect(changes).toEqual(['acme acme-beta on', 'beta acme-beta on'])
  })

  it('refuses steps out of turn, each naming its rule', async () => {
    const a = await book(acme, acmeStore, 'acme')
    const b = await book(beta, betaStore, 'beta')
    const proposed = await a.propose(draft())
    // Acme cannot accept its own proposal; nothing is suspended before it is trusted.
    await expect(a.accept('acme-beta')).rejects.toMatchObject({ name: 'PeeringError', rule: 'transition' })
    await expect(a.step('acme-beta', 'suspend')).rejects.toMatchObject({ rule: 'transition' })
    await expect(a.accept('nope')).rejects.toMatchObject({ rule: 'not-a-party' })
    // Acme receiving its own proposal back: not signed by the other side.
    await expect(a.receive(proposed.document)).rejects.toMatchObject({ rule: 'signature' })
    // A third mesh's book is no party to it.
    const gamma = await createAuthority()
    const c = await book(gamma, new MemoryStore(), 'gamma')
    await expect(c.receive(proposed.document)).rejects.toMatchObject({ rule: 'not-a-party' })
    // Declined: final; accepting afterwards is refused.
    await b.receive(proposed.document)
    expect(await b.step('acme-beta', 'decline', 'not this year')).toMatchObject({ state: 'declined', by: 'us', reason: 'not this year' })
    await expect(b.accept('acme-beta')).rejects.toMatchObject({ rule: 'transition' })
  })

  it('suspend, resume and revoke a trusted peering; the registry comes back from its store', async () => {
    const a = await book(acme, acmeStore, 'acme')
    const b = await book(beta, betaStore, 'beta')
    await b.receive((await a.propose(draft())).document)
    await a.receive((await b.accept('acme-beta')).document)
    expect(await a.step('acme-beta', 'suspend', 'maintenance')).toMatchObject({ state: 'suspended.holding', reason: 'maintenance' })
    expect(a.trusted()).toEqual([])
    a.stop()

    const again = await book(acme, acmeStore, 'acme')
    expect(again.view('acme-beta')).toMatchObject({ state: 'suspended.holding', version: 1, signedBy: [acme.authority.mesh, beta.authority.mesh] })
    expect((await again.step('acme-beta', 'resume')).state).toBe('trusted.carrying')
    expect((await again.step('acme-beta', 'revoke', 'contract over')).state).toBe('revoked')
    await expect(again.step('acme-beta', 'resume')).rejects.toMatchObject({ rule: 'transition' })
    expect(changes).toEqual(['beta acme-beta on', 'acme acme-beta on', 'acme acme-beta off', 'acme acme-beta on', 'acme acme-beta off'])
  })
})
