/**
 * The border's route filter: only exported routes cross, only into imported prefixes
 * (renamed), a prefix the peer does not own is refused by rule, and the path stops loops
 * (a triangle of peerings carries each route once, never back).
 */
import { describe, it, expect, beforeAll } from 'vitest'
import { createAuthority } from '../../src/trust/keys.js'
import type { Authority } from '../../src/trust/keys.js'
import type { PeeringAgreement } from '../../src/federation/agreement.js'
import { incomingRoute, outgoingRoute, remoteNameOf } from '../../src/federation/border-filter.js'

let acme: Authority
let beta: Authority
let gamma: Authority
beforeAll(async () => { [acme, beta, gamma] = await Promise.all([createAuthority(), createAuthority(), createAuthority()]) })

const expires = (): number => Math.floor(Date.now() / 1000) + 3600
function between (x: Authority, xo: string, y: Authority, yo: string): PeeringAgreement {
  return {
    v: 1,
    id: `${xo}-${yo}`,
    version: 1,
    sides: [
      { mesh: x.authority.mesh, authority: x.authority.jwk, owns: [`${xo}/**`], exports: [{ prefix: `${xo}/public/**`, kind: 'service' }], imports: [{ prefix: `${yo}/public/**` }], borders: [`${xo}-b1`, `${xo}-b2`] },
      { mesh: y.authority.mesh, authority: y.authority.jwk, owns: [`${yo}/**`], exports: [{ prefix: `${yo}/public/**`, kind: 'service' }], imports: [{ prefix: `${xo}/public/**` }], borders: [`${yo}-b1`, `${yo}-b2`] }
    ],
    limits: { messagesPerSecond: 100, bytesPerSecond: 100_000, names: 10 },
    expires: expires()
  }
}

describe('border route filter', () => {
  it('sends only exported names that the peer imports, with this mesh on the path', () => {
    const a = between(acme, 'acme', beta, 'beta')
    expect(outgoingRoute(a, acme.authority.mesh, 'acme/public/echo')).toEqual({ name: 'acme/public/echo', path: [acme.authority.mesh] })
    expect(outgoingRoute(a, acme.authority.mesh, 'acme/internal/db')).toBeUndefined()
    // A name of beta's, known in acme, never goes back to beta.
    expect(outgoingRoute(a, acme.authority.mesh, 'beta/public/search', [beta.authority.mesh])).toBeUndefined()
  })

  it('takes only what the peer owns, exports and this mesh imports; each refusal names its rule', () => {
    const a = between(acme, 'acme', beta, 'beta')
    const from = [beta.authority.mesh]
    expect(incomingRoute(a, acme.authority.mesh, 'beta/public/search', from)).toMatchObject({ accepted: true, localName: 'beta/public/search', kind: 'service' })
    expect(incomingRoute(a, acme.authority.mesh, 'acme/public/echo', from)).toMatchObject({ accepted: false, refusal: 'not-owned' })
    expect(incomingRoute(a, acme.authority.mesh, 'gamma/public/x', from)).toMatchObject({ accepted: false, refusal: 'not-owned' })
    expect(incomingRoute(a, acme.authority.mesh, 'beta/internal/db', from)).toMatchObject({ accepted: false, refusal: 'not-exported' })
    expect(incomingRoute(a, acme.authority.mesh, 'beta/public/search', [])).toMatchObject({ accepted: false, refusal: 'bad-path' })
    expect(incomingRoute(a, acme.authority.mesh, 'beta/public/search', [acme.authority.mesh, beta.authority.mesh])).toMatchObject({ accepted: false, refusal: 'loop' })
  })

  it('an import narrower than the export refuses the rest as not imported; a renamed import maps both ways', () => {
    const a = between(acme, 'acme', beta, 'beta')
    a.sides[0].owns.push('partners/**')
    a.sides[0].imports = [{ prefix: 'beta/public/**', as: 'partners/beta/**' }]
    a.sides[1].exports.push({ prefix: 'beta/news/**', kind: 'stream' })
    const from = [beta.authority.mesh]
    expect(incomingRoute(a, acme.authority.mesh, 'beta/public/search', from)).toMatchObject({ accepted: true, localName: 'partners/beta/search' })
    expect(incomingRoute(a, acme.authority.mesh, 'beta/news/feed', from)).toMatchObject({ accepted: false, refusal: 'not-imported' })
    expect(remoteNameOf(a, acme.authority.mesh, 'partners/beta/search')).toBe('beta/public/search')
    expect(remoteNameOf(a, acme.authority.mesh, 'acme/public/echo')).toBeUndefined()
  })

  it('three meshes in a triangle: each route reaches each other mesh once and never comes back', () => {
    const meshes = { acme, beta, gamma }
    const names = { acme: 'acme', beta: 'beta', gamma: 'gamma' } as const
    type M = keyof typeof names
    // Each pair peers; a mesh exports its own public names and imports the others' (not transit).
    const pairs: Array<[M, M]> = [['acme', 'beta'], ['beta', 'gamma'], ['acme', 'gamma']]
    const agreements = pairs.map(([x, y]) => ({ x, y, a: between(meshes[x], x, meshes[y], y) }))
    // Flood acme/public/echo from acme, hop by hop, as borders would.
    const heard = new Map<M, number>()
    let frontier: Array<{ at: M, path: string[] }> = [{ at: 'acme', path: [] }]
    while (frontier.length > 0) {
      const next: typeof frontier = []
      for (const { at, path } of frontier) {
        for (const { x, y, a } of agreements) {
          if (x !== at && y !== at) continue
          const to = x === at ? y : x
          const out = outgoingRoute(a, meshes[at].authority.mesh, 'acme/public/echo', path)
          if (out == null) continue
          const v = incomingRoute(a, meshes[to].authority.mesh, out.name, out.path)
          if (!v.accepted) continue
          heard.set(to, (heard.get(to) ?? 0) + 1)
          next.push({ at: to, path: v.path })
        }
      }
      frontier = next
    }
    // beta and gamma hear it straight from acme; neither passes it on (not theirs to export), acme never hears it back.
    expect(Object.fromEntries(heard)).toEqual({ beta: 1, gamma: 1 })
  })
})
