/**
 * Peering agreements: the rules of the document (each refusal names its rule), and the
 * two-signature JWS (one payload, a signature per authority) through jose.
 */
import { describe, it, expect, beforeAll } from 'vitest'
import { createAuthority } from '../../src/trust/keys.js'
import type { Authority } from '../../src/trust/keys.js'
import { GeneralSign } from 'jose'
import { checkAgreement, countersign, PEERING_TYP, proposeAgreement, sidesOf, verifyAgreement } from '../../src/federation/agreement.js'
import type { PeeringAgreement } from '../../src/federation/agreement.js'
import { exportedName, importedName } from '../../src/federation/name-mapping.js'

let acme: Authority
let beta: Authority
let mallory: Authority
beforeAll(async () => { [acme, beta, mallory] = await Promise.all([createAuthority(), createAuthority(), createAuthority()]) })

function agreement (over: (a: PeeringAgreement) => void = () => {}): PeeringAgreement {
  const a: PeeringAgreement = {
    v: 1,
    id: 'acme-beta-0001',
    version: 1,
    sides: [
      { mesh: acme.authority.mesh, authority: acme.authority.jwk, owns: ['acme/**'], exports: [{ prefix: 'acme/public/**', kind: 'service' }], imports: [{ prefix: 'beta/api/**', as: 'acme/beta/**' }], borders: ['12D3KooWacme1', '12D3KooWacme2'] },
      { mesh: beta.authority.mesh, authority: beta.authority.jwk, owns: ['beta/**'], exports: [{ prefix: 'beta/api/**', kind: 'service' }, { prefix: 'beta/news/**', kind: 'stream' }], imports: [{ prefix: 'acme/public/**' }], borders: ['12D3KooWbeta1', '12D3KooWbeta2'] }
    ],
    limits: { messagesPerSecond: 1000, bytesPerSecond: 1_000_000, names: 100 },
    expires: Math.floor(Date.now() / 1000) + 3600
  }
  over(a)
  return a
}

describe('peering agreement', () => {
  it('a valid agreement passes its rules', async () => {
    await expect(checkAgreement(agreement())).resolves.toBeUndefined()
    expect(sidesOf(agreement(), beta.authority.mesh).remote.mesh).toBe(acme.authority.mesh)
  })

  it.each([
    ['same-mesh', (a: PeeringAgreement) => { a.sides[1] = { ...a.sides[1], mesh: a.sides[0].mesh, authority: a.sides[0].authority } }],
    ['authority', (a: PeeringAgreement) => { a.sides[1].authority = mallory.authority.jwk }],
    ['borders', (a: PeeringAgreement) => { a.sides[0].borders = ['12D3KooWacme1', '12D3KooWacme1'] }],
    ['export-not-owned', (a: PeeringAgreement) => { a.sides[0].exports.push({ prefix: 'beta/api/**', kind: 'service' }) }],
    ['owners-overlap', (a: PeeringAgreement) => { a.sides[1].owns.push('acme/shared/**') }],
    ['import-not-exported', (a: PeeringAgreement) => { a.sides[0].imports.push({ prefix: 'beta/private/**' }) }],
    ['rename', (a: PeeringAgreement) => { a.sides[0].imports[0] = { prefix: 'beta/api/**', as: 'acme/**' } }],
    ['rename-not-owned', (a: PeeringAgreement) => { a.sides[0].imports[0] = { prefix: 'beta/api/**', as: 'gamma/beta/**' } }],
    ['limits', (a: PeeringAgreement) => { a.limits.names = 0 }],
    ['expired', (a: PeeringAgreement) => { a.expires = Math.floor(Date.now() / 1000) - 1 }]
  ])('refuses an agreement that breaks %s, naming the rule', async (rule, change) => {
    await expect(checkAgreement(agreement(change))).rejects.toMatchObject({ name: 'PeeringError', rule })
  })

  it('is in force once both authorities signed the same payload, and not before', async () => {
    const proposal = await proposeAgreement(agreement(), acme)
    const half = await verifyAgreement(proposal)
    expect(half).toMatchObject({ signedBy: [acme.authority.mesh], complete: false })
    const both = await countersign(proposal, beta)
    expect(both.payload).toBe(proposal.payload)
    const full = await verifyAgreement(both)
    expect(full).toMatchObject({ signedBy: [acme.authority.mesh, beta.authority.mesh], complete: true })
    expect(full.agreement.sides[0].imports[0]).toEqual({ prefix: 'beta/api/**', as: 'acme/beta/**' })
    await expect(countersign(both, beta)).rejects.toMatchObject({ rule: 'already-signed' })
    await expect(countersign(proposal, acme)).rejects.toMatchObject({ rule: 'already-signed' })
  })

  it('refuses a signature by a mesh that is not a party, a forged one, and a changed payload', async () => {
    await expect(proposeAgreement(agreement(), mallory)).rejects.toMatchObject({ rule: 'not-a-party' })
    const proposal = await proposeAgreement(agreement(), acme)
    // Mallory signs the same payload with its own key, naming beta's mesh as kid.
    const forger = new GeneralSign(new Uint8Array(Buffer.from(proposal.payload, 'base64url')))
    forger.addSignature(mallory.privateKey).setProtectedHeader({ alg: 'EdDSA', typ: PEERING_TYP, kid: beta.authority.mesh })
    const forged = await forger.sign()
    await expect(verifyAgreement({ payload: proposal.payload, signatures: [...proposal.signatures, ...forged.signatures] })).rejects.toMatchObject({ rule: 'signature' })
    // Beta's real signature, twice: one party signs once.
    const both = await countersign(proposal, beta)
    await expect(verifyAgreement({ payload: both.payload, signatures: [both.signatures[1]!, both.signatures[1]!] })).rejects.toMatchObject({ rule: 'signature' })
    // The payload changed after signing (a wider export slipped in).
    const changed = agreement(a => { a.sides[0].exports.push({ prefix: 'acme/internal/**', kind: 'service' }) })
    const edited = { payload: Buffer.from(JSON.stringify(changed)).toString('base64url'), signatures: proposal.signatures }
    await expect(verifyAgreement(edited)).rejects.toMatchObject({ rule: 'signature' })
  })

  it('renames imported names both ways and keeps other names out', () => {
    const imports = agreement().sides[0].imports
    expect(importedName(imports, 'beta/api/search')).toBe('acme/beta/search')
    expect(importedName(imports, 'beta/api/search/i1')).toBe('acme/beta/search/i1')
    expect(importedName(imports, 'beta/private/x')).toBeUndefined()
    expect(exportedName(imports, 'acme/beta/search')).toBe('beta/api/search')
    expect(exportedName(imports, 'acme/other/x')).toBeUndefined()
    const plain = agreement().sides[1].imports
    expect(importedName(plain, 'acme/public/echo')).toBe('acme/public/echo')
    expect(exportedName(plain, 'acme/public/echo')).toBe('acme/public/echo')
  })
})
