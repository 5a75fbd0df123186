/**
 * Unit tests of the trust area (src/trust): name patterns, grants, the checks of
 * `TrustAnchors` with a clock the test moves (validity, revocation by id and by key,
 * issuers' revocations limited to what they signed), and credentials files.
 */
import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeJwt, SignJWT } from 'jose'
import type { JWTPayload } from 'jose'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { tempDir } from '../helpers.js'
import { matchName, matcher, parsePattern, patternWithin } from '../../src/trust/patterns.js'
import { allGrants, checkGrantsWithin, GrantSet, parseGrants } from '../../src/trust/grants.js'
import type { Grants } from '../../src/trust/grants.js'
import { createAuthority, ed25519Jwk, keyIdOf } from '../../src/trust/keys.js'
import type { Authority, SigningKey } from '../../src/trust/keys.js'
import { delegateIssuer, issueAgentCredential, issueRelayCredential, issueRevocation, TYP } from '../../src/trust/tokens.js'
import type { RevocationTarget } from '../../src/trust/tokens.js'
import { TrustAnchors } from '../../src/trust/verifier.js'
import { CredentialError, InvalidPatternError, TrustConfigError } from '../../src/trust/errors.js'
import { formatCredentials, parseCredentials, readCredentials, writeCredentials } from '../../src/trust/credentials-file.js'
import type { CredentialsFile } from '../../src/trust/credentials-file.js'
import { trustFromFiles } from '../../src/trust/trust-files.js'
import { connectAgent } from '../../src/agent/agent.js'

const nowS = (): number => Math.floor(Date.now() / 1000)

/** The check a promise fails with (CredentialError), or 'ok'. */
async function checkOf (p: Promise<unknown>): Promise<string> {
  return await p.then(() => 'ok', (err: unknown) => {
    if (!(err instanceof CredentialError)) throw err
    return err.check
  })
}

/** Anchors for `authority` whose clock is `clock.now` (seconds). */
function anchorsAt (authority: Authority, clock: { now: number }): TrustAnchors {
  return new TrustAnchors({ authority: authority.authority, now: () => clock.now })
}

async function revoke (anchors: TrustAnchors, by: SigningKey, target: RevocationTarget): Promise<void> {
  anchors.revocations.add(await anchors.verifyRevocation(await issueRevocation(by, target)))
}

/** An agent credential signed as tokens.ts signs one, with `claims` over the usual ones. */
async function signAgent (signer: SigningKey, key: PrivateKey, claims: JWTPayload, lifetime = '1h'): Promise<string> {
  return await new SignJWT({ sub: 'acme/x/y', aud: signer.authority.mesh, cnf: { jwk: ed25519Jwk(key.publicKey.raw) }, grants: {}, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: TYP.agent, kid: signer.kid, ...(signer.delegation != null ? { chain: [signer.delegation] } : {}) })
    .setIssuer(signer.kid).setIssuedAt().setJti(randomBytes(16).toString('base64url')).setExpirationTime(lifetime)
    .sign(signer.privateKey)
}

describe('name patterns', () => {
  it('matchName: * is one component, a final ** zero or more, ** alone everything', () => {
    expect(matchName('acme/x/y', 'acme/x/y')).toBe(true)
    expect(matchName('acme/x/y', 'acme/x/z')).toBe(false)
    expect(matchName('acme/x/y', 'acme/x/y/inst')).toBe(false)
    expect(matchName('acme/*/inbox', 'acme/ns/inbox')).toBe(true)
    expect(matchName('acme/*/inbox', 'acme/ns/inbox/inst')).toBe(false)
    expect(matchName('acme/*/inbox', 'acme/ns/outbox')).toBe(false)
    expect(matchName('acme/*', 'acme')).toBe(false)
    expect(matchName('acme/**', 'acme/x/y')).toBe(true)
    expect(matchName('acme/**', 'acme/x/y/inst')).toBe(true)
    expect(matchName('acme/**', 'acme')).toBe(true)
    expect(matchName('acme/**', 'acmecorp/x/y')).toBe(false)
    expect(matchName('acme/x/y/**', 'acme/x/y/inst')).toBe(true)
    expect(matchName('acme/x/y/**', 'acme/x/z/inst')).toBe(false)
    expect(matchName('**', 'anything/at/all/really')).toBe(true)
    expect(matchName('*/*/svc', 'globex/ns/svc')).toBe(true)
  })

  it('matcher: any of the patterns; none matches nothing', () => {
    expect(matcher([])('acme/x/y')).toBe(false)
    const m = matcher(['acme/a/*', 'globex/**'])
    expect(m('acme/a/b')).toBe(true)
    expect(m('globex/q/r/s')).toBe(true)
    expect(m('acme/b/b')).toBe(false)
    expect(matcher(['acme/x/y', '**'])('zzz/y/z')).toBe(true)
  })

  it('parsePattern refuses what is not a pattern', () => {
    for (const ok of ['**', 'acme/**', 'acme/*/inbox', 'acme/x/y', 'acme/x/y/inst', 'a/b/c/d/e/**', 'a-b.c_d/x/y']) expect(parsePattern(ok)).toBe(ok)
    for (const bad of ['', 'acme/**/y', 'acme/x y/z', 'acme/x*/y', 'acme//y', '/acme/x', 'acme/x/', 'a/b/c/d/e', '-acme/x/y', 'x'.repeat(513), 42, null, undefined, ['acme/**']]) {
      expect(() => parsePattern(bad), JSON.stringify(bad)).toThrow(InvalidPatternError)
    }
  })

  it('patternWithin: what an issuer of a prefix may grant', () => {
    const within: Array<[string, string]> = [
      ['acme/x/y', 'acme/**'], ['acme/**', 'acme/**'], ['acme/x/**', 'acme/**'], ['acme/*/y', 'acme/**'], ['acme/x/y', '**'], ['**', '**'],
      ['acme/x/y', 'acme/*/y'], ['acme/*/y', 'acme/*/y'], ['acme/x/y/inst', 'acme/x/y/*'], ['acme/x', 'acme/*/**']
    ]
    const outside: Array<[string, string]> = [
      ['**', 'acme/**'], ['acme/**', 'acme/x/**'], ['*/x/y', 'acme/**'], ['acme/*/y', 'acme/x/y'], ['acme/x/y/**', 'acme/*/y'],
      ['acme/x', 'acme/x/*'], ['globex/x/y', 'acme/**'], ['acme/*/**', 'acme/x/**'], ['acmecorp/x/y', 'acme/**'], ['acme/**', 'acme/*/y']
    ]
    for (const [inner, outer] of within) expect(patternWithin(inner, outer), `${inner} within ${outer}`).toBe(true)
    for (const [inner, outer] of outside) expect(patternWithin(inner, outer), `${inner} within ${outer}`).toBe(false)
  })

  it('patternWithin is sound: every name a pattern within a prefix matches, the prefix matches', () => {
    const pats: string[] = []
    const grow = (p: string[]): void => {
      if (p.length > 0) pats.push(p.join('/'))
      if (p.length >= 4 || p[p.length - 1] === '**') return
      for (const c of ['a', 'b', '*', '**']) grow([...p, c])
    }
    grow([])
    const names: string[] = []
    const growName = (p: string[]): void => {
      if (p.length > 0) names.push(p.join('/'))
      if (p.length >= 5) return
      for (const c of ['a', 'b', 'c']) growName([...p, c])
    }
    growName([])
    const unsound: string[] = []
    for (const inner of pats) {
      for (const outer of pats) {
        if (!patternWithin(inner, outer)) continue
        const escape = names.find(n => matchName(inner, n) && !matchName(outer, n))
        if (escape != null) unsound.push(`${inner} within ${outer}, but ${escape} escapes`)
      }
    }
    expect(unsound).toEqual([])
  })
})

describe('grants', () => {
  it('checkGrantsWithin refuses any grant outside the prefix, naming where it is', () => {
    expect(() => { checkGrantsWithin(allGrants('acme/**'), 'acme/**') }).not.toThrow()
    expect(() => { checkGrantsWithin({ subscribe: ['acme/x/*'], serve: ['acme/x/y'] }, 'acme/x/**') }).not.toThrow()
    const cases: Array<[Grants, string]> = [
      [{ subscribe: ['globex/**'] }, 'subscribe'],
      [{ serve: ['acme/x/y', '**'] }, 'serve'],
      [{ channels: ['*/x/y'] }, 'channels'],
      [{ publish: { anycast: ['acme/x/y'], unicast: ['globex/x/y'] } }, 'publish.unicast'],
      [{ publish: { multicast: ['acme/**'] } }, 'publish.multicast']
    ]
    for (const [grants, where] of cases) {
      let err: unknown
      try { checkGrantsWithin(grants, 'acme/x/**') } catch (e) { err = e }
      expect(err, where).toBeInstanceOf(CredentialError)
      expect((err as CredentialError).check).toBe('outside-prefix')
      expect((err as Error).message).toContain(where)
    }
  })

  it('parseGrants: unknown keys and bad patterns are malformed', () => {
    expect(parseGrants(undefined)).toEqual({})
    expect(parseGrants({ subscribe: ['acme/**'] })).toEqual({ subscribe: ['acme/**'] })
    for (const bad of [{ admin: ['**'] }, { subscribe: ['acme/**/x'] }, { publish: { broadcast: ['**'] } }, { serve: 'acme/**' }, { subscribe: Array.from({ length: 257 }, () => 'acme/**') }]) {
      expect(() => parseGrants(bad), JSON.stringify(bad).slice(0, 60)).toThrow(expect.objectContaining({ check: 'malformed' }) as Error)
    }
  })

  it('GrantSet: each mode and kind on its own; nothing granted, nothing allowed; verdicts stay right when asked again', () => {
    const g = new GrantSet({ publish: { anycast: ['acme/x/*'], multicast: ['acme/news/**'] }, subscribe: ['acme/news/feed'], serve: ['acme/x/svc'], channels: ['acme/ch/*'] })
    for (let round = 0; round < 2; round++) {
      expect(g.mayPublish('anycast', 'acme/x/svc')).toBe(true)
      expect(g.mayPublish('multicast', 'acme/x/svc')).toBe(false)
      expect(g.mayPublish('unicast', 'acme/x/svc')).toBe(false)
      expect(g.mayPublish('anycast', 'acme/x/svc/inst')).toBe(false)
      expect(g.mayPublish('multicast', 'acme/news/feed')).toBe(true)
      expect(g.mayPublish('anycast', 'acme/news/feed')).toBe(false)
    }
    expect(g.maySubscribe('acme/news/feed')).toBe(true)
    expect(g.maySubscribe('acme/x/svc')).toBe(false)
    expect(g.mayServe('acme/x/svc')).toBe(true)
    expect(g.mayServe('acme/news/feed')).toBe(false)
    expect(g.mayCreateChannel('acme/ch/room')).toBe(true)
    expect(g.mayCreateChannel('acme/x/svc')).toBe(false)
    const none = new GrantSet({})
    expect([none.mayPublish('anycast', 'a/b/c'), none.mayPublish('multicast', 'a/b/c'), none.mayPublish('unicast', 'a/b/c/d'), none.maySubscribe('a/b/c'), none.mayServe('a/b/c'), none.mayCreateChannel('a/b/c')]).toEqual([false, false, false, false, false, false])
    const all = new GrantSet(allGrants())
    expect([all.mayPublish('unicast', 'a/b/c/d'), all.maySubscribe('z/y/x'), all.mayServe('q/r/s')]).toEqual([true, true, true])
    // Many names (past the verdict cache's size) keep their verdicts.
    const many = new GrantSet({ publish: { unicast: ['acme/**'] } })
    for (let i = 0; i < 5000; i++) expect(many.mayPublish('unicast', `${i % 2 === 0 ? 'acme' : 'globex'}/n/s${i}`)).toBe(i % 2 === 0)
  })
})

describe('issuing', () => {
  it('an issuer signs only within its prefix, grants within it, no admin, and cannot delegate', async () => {
    const authority = await createAuthority()
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**' })
    const key = await generateKeyPair('Ed25519')
    const raw = key.publicKey.raw
    expect(await checkOf(issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: raw, grants: allGrants('acme/**') }))).toBe('ok')
    expect(await checkOf(issueAgentCredential(issuer, { name: 'globex/x/y', publicKey: raw, grants: {} }))).toBe('outside-prefix')
    expect(await checkOf(issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: raw, grants: { subscribe: ['**'] } }))).toBe('outside-prefix')
    expect(await checkOf(issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: raw, grants: {}, admin: true }))).toBe('outside-prefix')
    expect(await checkOf(issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: raw.subarray(0, 31), grants: {} }))).toBe('malformed')
    expect(await checkOf(delegateIssuer(issuer as Authority, { prefix: 'acme/x/**' }))).toBe('untrusted-issuer')
    expect(await checkOf(issueRelayCredential(issuer as Authority, { peerId: 'x' }))).toBe('untrusted-issuer')
    await expect(delegateIssuer(authority, { prefix: 'acme/**/x' })).rejects.toThrow(InvalidPatternError)
  })
})

describe('TrustAnchors', () => {
  it('checks expiry on each verification against its clock, and caps a credential at its issuer\'s delegation', async () => {
    const authority = await createAuthority()
    const key = await generateKeyPair('Ed25519')
    const t = nowS()
    const clock = { now: t }
    const anchors = anchorsAt(authority, clock)
    const jwt = await issueAgentCredential(authority, { name: 'acme/x/y', publicKey: key.publicKey.raw, grants: {}, lifetime: 60 })
    const exp = decodeJwt(jwt).exp as number
    const cred = await anchors.verifyAgent(jwt, { publicKey: key.publicKey.raw })
    expect(cred).toMatchObject({ name: 'acme/x/y', expiresAt: exp, admin: false, issuerInfo: { kind: 'authority', prefix: '**' } })
    clock.now = exp - 1
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('ok')
    clock.now = exp
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: key.publicKey.raw })), 'checked again, though its signature was cached').toBe('expired')
    expect(() => { anchors.recheck(cred) }).toThrow(expect.objectContaining({ check: 'expired' }) as Error)
    // A fresh set of anchors, already past it, refuses it too.
    expect(await checkOf(anchorsAt(authority, { now: exp + 10 }).verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('expired')

    // An issuer's credentials live no longer than its delegation.
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**', lifetime: 120 })
    const long = await issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: key.publicKey.raw, grants: {}, lifetime: '30d' })
    const clock2 = { now: t }
    const anchors2 = anchorsAt(authority, clock2)
    const c2 = await anchors2.verifyAgent(long, { publicKey: key.publicKey.raw })
    expect(c2.expiresAt).toBe(decodeJwt(issuer.delegation as string).exp)
    clock2.now = t + 600
    expect(await checkOf(anchors2.verifyAgent(long, { publicKey: key.publicKey.raw }))).toBe('expired')
    expect(await checkOf(anchorsAt(authority, { now: t + 600 }).verifyAgent(long, { publicKey: key.publicKey.raw }))).toBe('expired')
  })

  it('a credential not yet valid (nbf ahead of the clock) is refused until its time', async () => {
    const authority = await createAuthority()
    const key = await generateKeyPair('Ed25519')
    const t = nowS()
    const jwt = await signAgent(authority, key, { nbf: t + 300 })
    expect(await checkOf(anchorsAt(authority, { now: t }).verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('not-yet-valid')
    expect(await checkOf(anchorsAt(authority, { now: t + 301 }).verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('ok')
  })

  it('a credential issued ahead of the clock (past the allowed skew) is refused as not yet valid', async () => {
    const authority = await createAuthority()
    const key = await generateKeyPair('Ed25519')
    const t = nowS()
    const jwt = await new SignJWT({ sub: 'acme/x/y', aud: authority.authority.mesh, cnf: { jwk: ed25519Jwk(key.publicKey.raw) }, grants: {} })
      .setProtectedHeader({ alg: 'EdDSA', typ: TYP.agent, kid: authority.kid })
      .setIssuer(authority.kid).setIssuedAt(t + 3600).setJti(randomBytes(16).toString('base64url')).setExpirationTime(t + 7200)
      .sign(authority.privateKey)
    expect(await checkOf(anchorsAt(authority, { now: t }).verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('not-yet-valid')
    expect(await checkOf(anchorsAt(authority, { now: t + 3600 - 200 }).verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('ok')
  })

  it('refuses: no credential, not a JWT, another key, another name, another mesh, another authority, a forged signature', async () => {
    const authority = await createAuthority()
    const other = await createAuthority()
    const key = await generateKeyPair('Ed25519')
    const keyB = await generateKeyPair('Ed25519')
    const raw = key.publicKey.raw
    const anchors = new TrustAnchors({ authority: authority.authority })
    const jwt = await issueAgentCredential(authority, { name: 'acme/x/y', publicKey: raw, grants: {} })
    expect(await checkOf(anchors.verifyAgent(undefined, { publicKey: raw }))).toBe('missing')
    expect(await checkOf(anchors.verifyAgent('', { publicKey: raw }))).toBe('missing')
    expect(await checkOf(anchors.verifyAgent('not.a.jwt', { publicKey: raw }))).toBe('malformed')
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: keyB.publicKey.raw }))).toBe('key-mismatch')
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: raw, name: 'acme/x/z/inst' as never }))).toBe('name-not-granted')
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: raw, name: 'acme/x/y/inst' as never }))).toBe('ok')
    expect(await checkOf(anchors.verifyAgent(await signAgent(authority, key, { aud: other.authority.mesh }), { publicKey: raw }))).toBe('wrong-mesh')
    expect(await checkOf(anchors.verifyAgent(await issueAgentCredential(other, { name: 'acme/x/y', publicKey: raw, grants: {} }), { publicKey: raw }))).toBe('untrusted-issuer')
    const [h, p] = jwt.split('.') as [string, string]
    const forged = `${h}.${p}.${(await signAgent(other, key, {})).split('.')[2] as string}`
    expect(await checkOf(anchors.verifyAgent(forged, { publicKey: raw }))).toBe('signature')
    // An issuer's delegation from another authority, put in front of a credential it signed.
    const stranger = await delegateIssuer(other, { prefix: 'acme/**' })
    expect(await checkOf(anchors.verifyAgent(await issueAgentCredential(stranger, { name: 'acme/x/y', publicKey: raw, grants: {} }), { publicKey: raw }))).toBe('untrusted-issuer')
    // A genuine delegation of this mesh, in front of a credential signed by another key.
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**' })
    expect(await checkOf(anchors.verifyAgent(await signAgent({ ...stranger, delegation: issuer.delegation }, key, {}), { publicKey: raw }))).toBe('untrusted-issuer')
  })

  it('revocation by credential id: refused from then on, though it passed before', async () => {
    const authority = await createAuthority()
    const key = await generateKeyPair('Ed25519')
    const anchors = new TrustAnchors({ authority: authority.authority })
    const jwt = await issueAgentCredential(authority, { name: 'acme/x/y', publicKey: key.publicKey.raw, grants: {} })
    const other = await issueAgentCredential(authority, { name: 'acme/x/y', publicKey: key.publicKey.raw, grants: {} })
    const cred = await anchors.verifyAgent(jwt, { publicKey: key.publicKey.raw })
    await revoke(anchors, authority, { credential: decodeJwt(jwt).jti as string })
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('revoked')
    expect(() => { anchors.recheck(cred) }).toThrow(expect.objectContaining({ check: 'revoked' }) as Error)
    expect(await checkOf(anchors.verifyAgent(other, { publicKey: key.publicKey.raw })), 'another credential of the same key').toBe('ok')
  })

  it('revocation by key: every credential of that key issued before the time, none after', async () => {
    const authority = await createAuthority()
    const key = await generateKeyPair('Ed25519')
    const otherKey = await generateKeyPair('Ed25519')
    const jwt = await issueAgentCredential(authority, { name: 'acme/x/y', publicKey: key.publicKey.raw, grants: {} })
    const iat = decodeJwt(jwt).iat as number
    const kid = await keyIdOf(key.publicKey.raw)

    const notYet = new TrustAnchors({ authority: authority.authority })
    await revoke(notYet, authority, { key: kid, before: iat })
    expect(await checkOf(notYet.verifyAgent(jwt, { publicKey: key.publicKey.raw })), 'issued at the time itself, not before it').toBe('ok')

    const anchors = new TrustAnchors({ authority: authority.authority })
    await revoke(anchors, authority, { key: kid, before: iat + 1 })
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: key.publicKey.raw }))).toBe('revoked')
    const otherJwt = await issueAgentCredential(authority, { name: 'acme/x/y', publicKey: otherKey.publicKey.raw, grants: {} })
    expect(await checkOf(anchors.verifyAgent(otherJwt, { publicKey: otherKey.publicKey.raw })), 'another key').toBe('ok')
  })

  it('an issuer\'s revocations apply only to what that issuer signed; the authority\'s to everything', async () => {
    const authority = await createAuthority()
    const a = await delegateIssuer(authority, { prefix: 'acme/**' })
    const b = await delegateIssuer(authority, { prefix: 'acme/**' })
    const key = await generateKeyPair('Ed25519')
    const raw = key.publicKey.raw
    const byA = await issueAgentCredential(a, { name: 'acme/x/y', publicKey: raw, grants: {} })
    const byB = await issueAgentCredential(b, { name: 'acme/x/y', publicKey: raw, grants: {} })
    const before = (decodeJwt(byB).iat as number) + 1
    const kid = await keyIdOf(raw)

    const keyByA = new TrustAnchors({ authority: authority.authority })
    await revoke(keyByA, a, { key: kid, before })
    expect(await checkOf(keyByA.verifyAgent(byA, { publicKey: raw }))).toBe('revoked')
    expect(await checkOf(keyByA.verifyAgent(byB, { publicKey: raw })), 'b\'s credential, by a key revocation of a').toBe('ok')

    const idByA = new TrustAnchors({ authority: authority.authority })
    await revoke(idByA, a, { credential: decodeJwt(byB).jti as string })
    expect(await checkOf(idByA.verifyAgent(byB, { publicKey: raw })), 'b\'s credential, revoked by id by a').toBe('ok')

    const byAuthority = new TrustAnchors({ authority: authority.authority })
    await revoke(byAuthority, authority, { key: kid, before })
    expect(await checkOf(byAuthority.verifyAgent(byA, { publicKey: raw }))).toBe('revoked')
    expect(await checkOf(byAuthority.verifyAgent(byB, { publicKey: raw }))).toBe('revoked')
  })

  it('a revocation must be signed by the authority or an issuer it delegated', async () => {
    const authority = await createAuthority()
    const other = await createAuthority()
    const anchors = new TrustAnchors({ authority: authority.authority })
    expect(await checkOf(anchors.verifyRevocation(await issueRevocation(other, { credential: 'x' })))).toBe('untrusted-issuer')
    expect(await checkOf(anchors.verifyRevocation(await issueRevocation(await delegateIssuer(other, { prefix: '**' }), { credential: 'x' })))).toBe('untrusted-issuer')
    const r = await anchors.verifyRevocation(await issueRevocation(authority, { credential: 'x' }))
    expect(r).toMatchObject({ credential: 'x', byAuthority: true, by: authority.kid })
    expect(anchors.revocations.add(r)).toBe(true)
    expect(anchors.revocations.add(r), 'known already').toBe(false)
  })

  it('revoking an issuer\'s delegation refuses its credentials, also ones verified before', async () => {
    const authority = await createAuthority()
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**' })
    const key = await generateKeyPair('Ed25519')
    const raw = key.publicKey.raw
    const jwt = await issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: raw, grants: {} })
    const delegationId = decodeJwt(issuer.delegation as string).jti as string

    // Revoked before its first verification: refused.
    const fresh = new TrustAnchors({ authority: authority.authority })
    await revoke(fresh, authority, { credential: delegationId })
    expect(await checkOf(fresh.verifyAgent(jwt, { publicKey: raw }))).toBe('revoked')

    // Revoked after one (a relay that admitted the agent once, and sees it reconnect).
    const anchors = new TrustAnchors({ authority: authority.authority })
    const cred = await anchors.verifyAgent(jwt, { publicKey: raw })
    await revoke(anchors, authority, { credential: delegationId })
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: raw })), 'the cached verification must not outlive its issuer\'s revocation').toBe('revoked')
    expect(() => { anchors.recheck(cred) }, 'an attached session of a revoked issuer is cut').toThrow(expect.objectContaining({ check: 'revoked' }) as Error)
  })

  it('revoking an issuer\'s key (by the authority) refuses its credentials, also ones verified before', async () => {
    const authority = await createAuthority()
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**' })
    const key = await generateKeyPair('Ed25519')
    const raw = key.publicKey.raw
    const jwt = await issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: raw, grants: {} })
    // (before: one second on, as a delegation signed within this second is not "before" now.)
    const target = { key: issuer.kid, before: nowS() + 1 }

    const fresh = new TrustAnchors({ authority: authority.authority })
    await revoke(fresh, authority, target)
    expect(await checkOf(fresh.verifyAgent(jwt, { publicKey: raw }))).toBe('revoked')

    const anchors = new TrustAnchors({ authority: authority.authority })
    const cred = await anchors.verifyAgent(jwt, { publicKey: raw })
    await revoke(anchors, authority, target)
    expect(await checkOf(anchors.verifyAgent(jwt, { publicKey: raw })), 'the cached verification must not outlive its issuer\'s revocation').toBe('revoked')
    expect(() => { anchors.recheck(cred) }, 'an attached session of a revoked issuer is cut').toThrow(expect.objectContaining({ check: 'revoked' }) as Error)
  })
})

describe('credentials files', () => {
  it('every kind round-trips through its JSON text, keys and all', async () => {
    const authority = await createAuthority()
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**' })
    const key = await generateKeyPair('Ed25519')
    const credential = await issueAgentCredential(issuer, { name: 'acme/x/y', publicKey: key.publicKey.raw, grants: { subscribe: ['acme/**'] } })
    const relayCred = await issueRelayCredential(authority, { peerId: '12D3KooWtest' })
    const anchors = new TrustAnchors({ authority: authority.authority })

    const a = await parseCredentials(formatCredentials({ kind: 'slim-mesh/authority', authority }))
    if (a.kind !== 'slim-mesh/authority') throw new Error(a.kind)
    expect(a.authority.kid).toBe(authority.kid)
    expect(a.authority.authority).toEqual(authority.authority)
    // The parsed authority's private key signs what the original's anchors accept.
    const k2 = await generateKeyPair('Ed25519')
    expect(await checkOf(anchors.verifyAgent(await issueAgentCredential(a.authority, { name: 'acme/x/y', publicKey: k2.publicKey.raw, grants: {} }), { publicKey: k2.publicKey.raw }))).toBe('ok')

    const pub = await parseCredentials(formatCredentials({ kind: 'slim-mesh/authority-public', authority: authority.authority }))
    expect(pub).toEqual({ kind: 'slim-mesh/authority-public', authority: authority.authority })
    expect(formatCredentials({ kind: 'slim-mesh/authority-public', authority: authority.authority })).not.toContain('"d"')

    const i = await parseCredentials(formatCredentials({ kind: 'slim-mesh/issuer', authority: authority.authority, issuer }))
    if (i.kind !== 'slim-mesh/issuer') throw new Error(i.kind)
    expect(i.issuer).toMatchObject({ kid: issuer.kid, prefix: 'acme/**', delegation: issuer.delegation, authority: authority.authority })
    const viaParsed = await issueAgentCredential(i.issuer, { name: 'acme/q/r', publicKey: k2.publicKey.raw, grants: {} })
    expect(await checkOf(anchors.verifyAgent(viaParsed, { publicKey: k2.publicKey.raw }))).toBe('ok')

    const withKey = await parseCredentials(formatCredentials({ kind: 'slim-mesh/agent', authority: authority.authority, credential, key }))
    if (withKey.kind !== 'slim-mesh/agent') throw new Error(withKey.kind)
    expect(withKey.credential).toBe(credential)
    expect(Buffer.from(withKey.key?.publicKey.raw ?? []).equals(Buffer.from(key.publicKey.raw))).toBe(true)
    expect(Buffer.from(await withKey.key?.sign(new Uint8Array([1, 2, 3])) ?? []).equals(Buffer.from(await key.sign(new Uint8Array([1, 2, 3]))))).toBe(true)
    const noKey = await parseCredentials(formatCredentials({ kind: 'slim-mesh/agent', authority: authority.authority, credential }))
    expect(noKey).toEqual({ kind: 'slim-mesh/agent', authority: authority.authority, credential, key: undefined })

    expect(await parseCredentials(formatCredentials({ kind: 'slim-mesh/relay', authority: authority.authority, credential: relayCred }))).toEqual({ kind: 'slim-mesh/relay', authority: authority.authority, credential: relayCred })
  })

  it('written files: secrets readable by the owner only; read back the same', async () => {
    await using dir = await tempDir()
    const authority = await createAuthority()
    const files: Array<[string, CredentialsFile, number]> = [
      ['authority.json', { kind: 'slim-mesh/authority', authority }, 0o600],
      ['authority.pub.json', { kind: 'slim-mesh/authority-public', authority: authority.authority }, 0o644],
      ['issuer.creds', { kind: 'slim-mesh/issuer', authority: authority.authority, issuer: await delegateIssuer(authority, { prefix: 'acme/**' }) }, 0o600]
    ]
    for (const [name, c, mode] of files) {
      const path = join(dir.path, 'sub', name)
      await writeCredentials(path, c)
      expect((await stat(path)).mode & 0o777, name).toBe(mode & ~process.umask())
      expect(formatCredentials(await readCredentials(path))).toBe(formatCredentials(c))
    }
    await expect(readCredentials(join(dir.path, 'missing.json'))).rejects.toThrow(TrustConfigError)
  })

  it('what is not a credentials file, or a file of the wrong kind, is a TrustConfigError', async () => {
    const authority = await createAuthority()
    const pubText = formatCredentials({ kind: 'slim-mesh/authority-public', authority: authority.authority })
    for (const bad of ['not json', '{}', JSON.stringify({ kind: 'slim-mesh/operator', mesh: 'x', key: {} }), JSON.stringify({ kind: 'slim-mesh/agent', mesh: authority.kid, authority: authority.jwk })]) {
      await expect(parseCredentials(bad), bad).rejects.toThrow(TrustConfigError)
    }
    // Labelled with another mesh than its key's thumbprint.
    await expect(parseCredentials(pubText.replace(authority.kid, 'someothermesh'))).rejects.toThrow(TrustConfigError)
    // An issuer file whose key has no private part.
    const issuerDoc = JSON.parse(formatCredentials({ kind: 'slim-mesh/issuer', authority: authority.authority, issuer: await delegateIssuer(authority, { prefix: 'acme/**' }) })) as { key: Record<string, unknown> }
    delete issuerDoc.key.d
    await expect(parseCredentials(JSON.stringify(issuerDoc))).rejects.toThrow(TrustConfigError)
    // An agent key that is no libp2p key.
    const agentDoc = { ...JSON.parse(formatCredentials({ kind: 'slim-mesh/agent', authority: authority.authority, credential: 'x' })) as object, key: Buffer.from('nonsense').toString('base64') }
    await expect(parseCredentials(JSON.stringify(agentDoc))).rejects.toThrow(TrustConfigError)

    // Files of the wrong kind for what reads them.
    await using dir = await tempDir()
    const authorityFile = join(dir.path, 'authority.json')
    const agentFile = join(dir.path, 'agent.creds')
    const key = await generateKeyPair('Ed25519')
    await writeCredentials(authorityFile, { kind: 'slim-mesh/authority', authority })
    await writeCredentials(agentFile, { kind: 'slim-mesh/agent', authority: authority.authority, key, credential: await issueAgentCredential(authority, { name: 'acme/x/y', publicKey: key.publicKey.raw, grants: {} }) })
    await expect(trustFromFiles({ authority: agentFile })).rejects.toThrow(TrustConfigError)
    await expect(trustFromFiles({ authority: authorityFile, credentials: agentFile })).rejects.toThrow(TrustConfigError)
    await expect(connectAgent({ relay: '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK', credentials: authorityFile, dataDir: dir.path })).rejects.toThrow(TrustConfigError)
    expect((await trustFromFiles({ authority: authorityFile }))?.authority).toBeDefined()
  })
})
