/**
 * Checks credentials locally, with no call to any server: the chain (authority, or an
 * issuer it delegated, or an external issuer's JWKS), the signature, validity, the
 * issuer's prefix, revocation, and that the credential names the key and name asked
 * for. Signatures are checked once per credential (results are cached); what depends
 * on the session (its key, the name, expiry, revocation) is checked each time.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify } from 'jose'
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload, JWTVerifyGetKey } from 'jose'
import { ALG, rawOfJwk, thumbprint } from './keys.js'
import type { AuthorityPublic } from './keys.js'
import { TYP } from './tokens.js'
import type { RelayRole } from './tokens.js'
import { checkGrantsWithin, GrantSet, parseGrants } from './grants.js'
import type { Grants } from './grants.js'
import { matchName, parsePattern } from './patterns.js'
import { CredentialError, TrustConfigError } from './errors.js'
import type { CredentialCheck } from './errors.js'
import { RevocationList } from './revocations.js'
import type { Revocable, Revocation } from './revocations.js'
import { parseServiceName, serviceOf } from '../names/names.js'
import type { Name } from '../names/names.js'

/** An issuer outside the mesh (an OIDC provider, SPIFFE/SPIRE JWT-SVIDs), trusted for a prefix. */
export interface ExternalIssuer {
  /** The names its tokens may take: `partner/**`. */
  prefix: string
  /** Its public keys (the provider's JWKS document). */
  jwks: JSONWebKeySet
  /** Its tokens' `iss`, checked when given. */
  issuer?: string
  /** Grants for its tokens that carry no `grants` claim (default: none). */
  grants?: Grants
  /** The claim that holds the service name (default `sub`). */
  nameClaim?: string
}

export interface IssuerInfo {
  kind: 'authority' | 'issuer' | 'external'
  /** Key id (authority, issuer) or `iss` (external). */
  id: string
  prefix: string
}

export interface AgentCredential extends Revocable {
  /** The service name it grants: `org/namespace/service`. */
  name: string
  /** The agent's raw Ed25519 public key. */
  publicKey: Uint8Array
  grants: GrantSet
  admin: boolean
  issuerInfo: IssuerInfo
  /** Seconds since the epoch. */
  expiresAt: number
  /** The delegation of the issuer that signed it (checked again at every use: an issuer can be revoked). */
  delegation?: Revocable & { expiresAt: number }
  jwt: string
}

export interface RelayCredential extends Revocable {
  peerId: string
  role: RelayRole
  expiresAt: number
  jwt: string
}

export interface TrustAnchorsInit {
  authority: AuthorityPublic
  external?: ExternalIssuer[]
  revocations?: RevocationList
  /** Seconds since the epoch (tests move it). */
  now?: () => number
}

const CACHE = 10_000
/** How far ahead of this clock a token's issue time may be (the issuer's clock may run a little fast). */
const CLOCK_SKEW_SECONDS = 300

export class TrustAnchors {
  readonly authority: AuthorityPublic
  readonly revocations: RevocationList
  private external: Array<ExternalIssuer & { keys: JWTVerifyGetKey }>
  private readonly now: () => number
  private authorityKey?: Promise<CryptoKey>
  private readonly agents = new Map<string, Promise<AgentCredential>>()
  private readonly issuers = new Map<string, Promise<{ key: CryptoKey, info: IssuerInfo, delegation: Revocable & { expiresAt: number } }>>()

  constructor (init: TrustAnchorsInit) {
    this.authority = init.authority
    this.revocations = init.revocations ?? new RevocationList()
    this.now = init.now ?? (() => Math.floor(Date.now() / 1000))
    this.external = TrustAnchors.externalOf(init.external ?? [])
  }

  private static externalOf (list: ExternalIssuer[]): Array<ExternalIssuer & { keys: JWTVerifyGetKey }> {
    return list.map(e => {
      parsePattern(e.prefix)
      if (!Array.isArray(e.jwks?.keys)) throw new TrustConfigError(`the JWKS of the external issuer for "${e.prefix}" has no keys array`)
      return { ...e, keys: createLocalJWKSet(e.jwks) }
    })
  }

  /**
   * Trusts these external issuers from now on (the controller's desired state): a
   * credential already checked is checked again at its next use.
   */
  setExternal (list: ExternalIssuer[]): void {
    this.external = TrustAnchors.externalOf(list)
    this.agents.clear()
  }

  get mesh (): string { return this.authority.mesh }

  private async authorityCryptoKey (): Promise<CryptoKey> {
    this.authorityKey ??= importJWK(this.authority.jwk, ALG) as Promise<CryptoKey>
    return await this.authorityKey
  }

  /**
   * Checks an agent credential for a session: signed by a trusted chain, valid now, not
   * revoked, for `publicKey` and (when given) the name asked for.
   */
  async verifyAgent (jwt: string | undefined, expect: { publicKey: Uint8Array, name?: Name }): Promise<AgentCredential> {
    if (jwt == null || jwt === '') throw new CredentialError('missing', 'no credential was presented; this relay admits only agents with a credential of its mesh (slim-mesh credential issue)')
    let pending = this.agents.get(jwt)
    if (pending == null) {
      pending = this.checkAgent(jwt)
      if (this.agents.size >= CACHE) this.agents.delete(this.agents.keys().next().value as string)
      this.agents.set(jwt, pending)
      pending.catch(() => { this.agents.delete(jwt) })
    }
    const cred = await pending
    this.recheck(cred)
    if (!sameBytes(cred.publicKey, expect.publicKey)) throw new CredentialError('key-mismatch', `it is for another key than the one that signs this session (credential ${cred.id} of ${cred.name})`)
    if (expect.name != null && serviceOf(expect.name) !== cred.name) throw new CredentialError('name-not-granted', `the session asks for ${expect.name}, but the credential grants ${cred.name} only`)
    return cred
  }

  /** Whether a credential checked earlier is still good now (expiry, revocation, its issuer's too); throws if not. */
  recheck (cred: Revocable & { expiresAt: number, delegation?: Revocable & { expiresAt: number } }): void {
    if (cred.delegation != null) this.checkValidity(cred.delegation.expiresAt, cred.delegation, 'its issuer\'s delegation')
    this.checkValidity(cred.expiresAt, cred)
  }

  private checkValidity (expiresAt: number, c: Revocable, what = 'credential'): void {
    if (expiresAt <= this.now()) throw new CredentialError('expired', `${what} ${c.id} expired at ${new Date(expiresAt * 1000).toISOString()}`)
    const r = this.revocations.revoking(c)
    if (r != null) throw new CredentialError('revoked', `${what} ${c.id} was revoked (revocation ${r.id})`)
  }

  private async checkAgent (jwt: string): Promise<AgentCredential> {
    const header = protectedHeader(jwt)
    const { key, info, delegation } = await this.signerOf(header)
    const typ = info.kind === 'external' ? undefined : TYP.agent
    const claims = await verifyJwt(jwt, key, typ, info.kind === 'external' ? this.externalFor(info.id)?.issuer : info.id, this.now)
    const ext = info.kind === 'external' ? this.externalFor(info.id) : undefined
    const rawName = claims[ext?.nameClaim ?? 'sub']
    let name: string
    try { name = parseServiceName(rawName) } catch (err) { throw new CredentialError('malformed', `its ${ext?.nameClaim ?? 'sub'} is not a service name: ${(err as Error).message}`) }
    if (!matchName(info.prefix, name)) throw new CredentialError('outside-prefix', `it is for ${name}, outside its issuer's prefix "${info.prefix}"`)
    const grants = parseGrants(claims.grants ?? ext?.grants ?? {})
    checkGrantsWithin(grants, info.prefix)
    if (info.kind !== 'external' && claims.aud !== this.mesh) throw new CredentialError('wrong-mesh', `it is for mesh ${String(claims.aud)}, not this mesh (${this.mesh})`)
    const cnf = (claims.cnf as { jwk?: JWK } | undefined)?.jwk
    if (cnf?.kty !== 'OKP' || cnf.crv !== 'Ed25519' || typeof cnf.x !== 'string') throw new CredentialError('malformed', 'it binds no Ed25519 key (cnf.jwk)')
    const publicKey = rawOfJwk(cnf)
    if (claims.admin === true && info.kind !== 'authority') throw new CredentialError('outside-prefix', 'an admin credential must be signed by the mesh authority itself')
    const cred: AgentCredential = {
      id: requireString(claims.jti, 'jti'),
      name,
      publicKey,
      keyId: await thumbprint(cnf),
      grants: new GrantSet(grants),
      admin: claims.admin === true,
      issuer: info.id,
      issuerInfo: info,
      issuedAt: requireNumber(claims.iat, 'iat'),
      expiresAt: Math.min(requireNumber(claims.exp, 'exp'), delegation?.expiresAt ?? Infinity),
      delegation,
      jwt
    }
    if (delegation != null) this.checkValidity(delegation.expiresAt, delegation, 'its issuer\'s delegation')
    return cred
  }

  /** The key that signed a token, from its header: the authority, a delegated issuer, or an external one. */
  private async signerOf (header: Record<string, unknown>): Promise<{ key: CryptoKey | JWTVerifyGetKey, info: IssuerInfo, delegation?: Revocable & { expiresAt: number } }> {
    const kid = header.kid
    if (kid === this.mesh) return { key: await this.authorityCryptoKey(), info: { kind: 'authority', id: this.mesh, prefix: '**' } }
    const chain = header.chain
    if (Array.isArray(chain) && typeof chain[0] === 'string') {
      const d = await this.delegation(chain[0])
      if (d.info.id !== kid) throw new CredentialError('untrusted-issuer', `it is signed by key ${String(kid)}, but its delegation is for key ${d.info.id}`)
      this.checkValidity(d.delegation.expiresAt, d.delegation)
      return d
    }
    for (const e of this.external) {
      if (typeof kid === 'string' && e.jwks.keys.some(k => k.kid === kid)) return { key: e.keys, info: { kind: 'external', id: e.issuer ?? kid, prefix: e.prefix } }
    }
    throw new CredentialError('untrusted-issuer', `it is signed by key ${String(kid ?? '(none named)')}, which is neither this mesh's authority (${this.mesh}), an issuer it delegated, nor a trusted external issuer`)
  }

  private externalFor (id: string): (ExternalIssuer & { keys: JWTVerifyGetKey }) | undefined {
    return this.external.find(e => (e.issuer ?? '') === id || e.jwks.keys.some(k => k.kid === id))
  }

  private async delegation (jwt: string): Promise<{ key: CryptoKey, info: IssuerInfo, delegation: Revocable & { expiresAt: number } }> {
    let pending = this.issuers.get(jwt)
    if (pending == null) {
      pending = (async () => {
        if (protectedHeader(jwt).kid !== this.mesh) throw new CredentialError('untrusted-issuer', 'its issuer was delegated by another authority than this mesh\'s')
        const claims = await verifyJwt(jwt, await this.authorityCryptoKey(), TYP.issuer, this.mesh, this.now)
        let prefix: string
        try { prefix = parsePattern(claims.prefix) } catch (err) { throw new CredentialError('malformed', `its issuer's delegation has no valid prefix: ${(err as Error).message}`) }
        const jwk = claims.jwk as JWK
        let key: CryptoKey
        try { key = await importJWK(jwk, ALG) as CryptoKey } catch (err) { throw new CredentialError('malformed', `its issuer's delegation carries no valid key: ${(err as Error).message}`) }
        const id = await thumbprint(jwk)
        if (id !== claims.sub) throw new CredentialError('malformed', 'its issuer\'s delegation names another key than it carries')
        const delegation = { id: requireString(claims.jti, 'jti'), keyId: id, issuedAt: requireNumber(claims.iat, 'iat'), issuer: this.mesh, expiresAt: requireNumber(claims.exp, 'exp') }
        return { key, info: { kind: 'issuer' as const, id, prefix }, delegation }
      })()
      if (this.issuers.size >= CACHE) this.issuers.delete(this.issuers.keys().next().value as string)
      this.issuers.set(jwt, pending)
      pending.catch(() => { this.issuers.delete(jwt) })
    }
    return await pending
  }

  /** Checks a relay credential for `peerId` (authenticated by the connection's Noise handshake). */
  async verifyRelay (jwt: string | undefined, peerId: string): Promise<RelayCredential> {
    if (jwt == null || jwt === '') throw new CredentialError('missing', 'the relay presented no relay credential of this mesh')
    const header = protectedHeader(jwt)
    if (header.kid !== this.mesh) throw new CredentialError(header.chain != null ? 'untrusted-issuer' : 'wrong-mesh', `relay credentials are signed by the mesh authority (${this.mesh}), this one by ${String(header.kid)}`)
    const claims = await verifyJwt(jwt, await this.authorityCryptoKey(), TYP.relay, this.mesh, this.now)
    if (claims.aud !== this.mesh) throw new CredentialError('wrong-mesh', `it is for mesh ${String(claims.aud)}`)
    if (claims.sub !== peerId) throw new CredentialError('key-mismatch', `it is for relay ${String(claims.sub)}, not ${peerId}`)
    const role = claims.role === 'border' ? 'border' : 'member'
    const cred: RelayCredential = { id: requireString(claims.jti, 'jti'), keyId: peerId, issuedAt: requireNumber(claims.iat, 'iat'), issuer: this.mesh, expiresAt: requireNumber(claims.exp, 'exp'), peerId, role, jwt }
    this.checkValidity(cred.expiresAt, cred)
    return cred
  }

  /** Checks a revocation's signature (the authority, or an issuer it delegated). */
  async verifyRevocation (jwt: string): Promise<Revocation> {
    const header = protectedHeader(jwt)
    const { key, info } = await this.signerOf(header)
    if (info.kind === 'external') throw new CredentialError('untrusted-issuer', 'external issuers cannot revoke; revoke through the mesh authority')
    const claims = await verifyJwt(jwt, key, TYP.revocation, info.id, this.now)
    const revokes = claims.revokes as { credential?: unknown, key?: unknown, before?: unknown } | undefined
    const credential = typeof revokes?.credential === 'string' ? revokes.credential : undefined
    const keyId = typeof revokes?.key === 'string' ? revokes.key : undefined
    if ((credential == null) === (keyId == null)) throw new CredentialError('malformed', 'a revocation names exactly one credential or one key')
    return {
      id: requireString(claims.jti, 'jti'),
      by: info.id,
      byAuthority: info.kind === 'authority',
      credential,
      key: keyId,
      before: keyId != null ? (typeof revokes?.before === 'number' ? revokes.before : requireNumber(claims.iat, 'iat')) : undefined,
      issuedAt: requireNumber(claims.iat, 'iat'),
      jwt
    }
  }
}

function protectedHeader (jwt: string): Record<string, unknown> {
  if (typeof jwt !== 'string' || jwt.length > 16_384) throw new CredentialError('malformed', 'a credential is a JWT of at most 16 KiB')
  try {
    return decodeProtectedHeader(jwt) as Record<string, unknown>
  } catch (err) {
    throw new CredentialError('malformed', `it is not a JWT: ${(err as Error).message}`)
  }
}

/** Revocations do not expire (a revoked credential stays revoked); everything else must. */
async function verifyJwt (jwt: string, key: CryptoKey | JWTVerifyGetKey, typ: string | undefined, issuer: string | undefined, now: () => number): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(jwt, key as CryptoKey, {
      algorithms: typ == null ? ['EdDSA', 'ES256', 'RS256'] : [ALG],
      ...(typ != null ? { typ } : {}),
      ...(issuer != null ? { issuer } : {}),
      requiredClaims: typ === TYP.revocation ? ['iat', 'jti'] : ['exp', 'iat', 'jti'],
      currentDate: new Date(now() * 1000)
    })
    if (typeof payload.iat === 'number' && payload.iat > now() + CLOCK_SKEW_SECONDS) {
      throw new CredentialError('not-yet-valid', `it says it was issued at ${new Date(payload.iat * 1000).toISOString()}, more than ${CLOCK_SKEW_SECONDS} s ahead of this relay's clock`)
    }
    return payload
  } catch (err) {
    throw new CredentialError(checkOf(err), joseReason(err), { cause: err })
  }
}

function checkOf (err: unknown): CredentialCheck {
  if (err instanceof CredentialError) return err.check
  if (err instanceof joseErrors.JWTExpired) return 'expired'
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature'
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'untrusted-issuer'
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return 'not-yet-valid'
    if (err.claim === 'iss') return 'untrusted-issuer'
  }
  return 'malformed'
}

function joseReason (err: unknown): string {
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify with its issuer\'s key (forged or altered)'
  if (err instanceof joseErrors.JWTExpired) return `it expired (${err.message})`
  return (err as Error).message
}

function requireString (v: unknown, claim: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new CredentialError('malformed', `it has no ${claim}`)
  return v
}

function requireNumber (v: unknown, claim: string): number {
  if (typeof v !== 'number') throw new CredentialError('malformed', `it has no ${claim}`)
  return v
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a).equals(Buffer.from(b))
}
