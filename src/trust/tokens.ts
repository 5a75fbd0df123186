/**
 * The credentials of the trust model, as JWTs signed with EdDSA (`jose`). Each kind has
 * its own `typ`, so one can never be taken for another:
 * - `slim-issuer+jwt`: the authority delegates a name prefix to an issuer's key
 *   (claims `prefix`, `jwk`; `sub` is the issuer's key id);
 * - `slim-agent+jwt`: binds an agent's key (`cnf.jwk`, RFC 7800) to the service name
 *   it may take (`sub`) and its `grants`; an issuer's credentials carry its delegation
 *   in the protected header (`chain`), so a relay checks the whole chain offline;
 * - `slim-relay+jwt`: binds a relay's peer id (`sub`) to the mesh (`aud`) and a `role`;
 * - `slim-revocation+jwt`: revokes one credential (`revokes.credential`, its `jti`) or
 *   every credential of a key issued before a time (`revokes.key`, `revokes.before`).
 * Every credential has an id (`jti`), an issue time and an expiry.
 */
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import type { JWTPayload } from 'jose'
import { ALG, ed25519Jwk, freshSigningKey, keyIdOf } from './keys.js'
import type { Authority, SigningKey } from './keys.js'
import { checkGrantsWithin } from './grants.js'
import type { Grants } from './grants.js'
import { matchName, parsePattern, patternWithin } from './patterns.js'
import { CredentialError } from './errors.js'
import { parseServiceName } from '../names/names.js'

export const TYP = {
  issuer: 'slim-issuer+jwt',
  agent: 'slim-agent+jwt',
  relay: 'slim-relay+jwt',
  revocation: 'slim-revocation+jwt'
} as const

export type RelayRole = 'member' | 'border'

/** How long a credential lives: seconds, or a `jose` time span such as `'30d'`, `'12h'`. */
export type Lifetime = number | string

function newId (): string { return randomBytes(16).toString('base64url') }

async function sign (signer: SigningKey, typ: string, claims: JWTPayload, lifetime?: Lifetime): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, typ, kid: signer.kid, ...(signer.delegation != null ? { chain: [signer.delegation] } : {}) })
    .setIssuer(signer.kid)
    .setIssuedAt()
    .setJti(newId())
  if (lifetime != null) jwt.setExpirationTime(typeof lifetime === 'number' ? Math.floor(Date.now() / 1000) + lifetime : lifetime)
  return await jwt.sign(signer.privateKey)
}

/** Makes an issuer for `prefix` (a new key, and the authority's delegation to it). */
export async function delegateIssuer (authority: Authority, options: { prefix: string, lifetime?: Lifetime }): Promise<SigningKey> {
  if (authority.delegation != null) throw new CredentialError('untrusted-issuer', 'only the mesh authority delegates issuers; an issuer cannot delegate further')
  const prefix = parsePattern(options.prefix)
  const key = await freshSigningKey()
  const delegation = await sign(authority, TYP.issuer, { sub: key.kid, prefix, jwk: key.jwk }, options.lifetime ?? '365d')
  return { ...key, prefix, delegation, authority: authority.authority }
}

export interface AgentCredentialRequest {
  /** The service name the agent takes: `org/namespace/service` (its instance comes from its key). */
  name: string
  /** The agent's Ed25519 public key, raw (32 bytes). */
  publicKey: Uint8Array
  grants: Grants
  /** An admin may inspect relays (`slim-mesh inspect`); only the authority grants it. */
  admin?: boolean
  /** Default 30 days. */
  lifetime?: Lifetime
}

/** Signs an agent credential; an issuer may sign only within its prefix (`CredentialError('outside-prefix')`). */
export async function issueAgentCredential (signer: SigningKey, req: AgentCredentialRequest): Promise<string> {
  const name = parseServiceName(req.name)
  if (!matchName(signer.prefix, name)) throw new CredentialError('outside-prefix', `the issuer for "${signer.prefix}" cannot issue a credential for ${name}`)
  checkGrantsWithin(req.grants, signer.prefix)
  if (req.admin === true && signer.delegation != null) throw new CredentialError('outside-prefix', 'only the mesh authority issues admin credentials')
  if (req.publicKey.byteLength !== 32) throw new CredentialError('malformed', `an agent key is a 32-byte Ed25519 public key, not ${req.publicKey.byteLength} bytes`)
  return await sign(signer, TYP.agent, {
    sub: name,
    aud: signer.authority.mesh,
    cnf: { jwk: ed25519Jwk(req.publicKey) },
    grants: req.grants,
    ...(req.admin === true ? { admin: true } : {})
  }, req.lifetime ?? '30d')
}

/** Signs a relay credential for `peerId` (the authority only). */
export async function issueRelayCredential (authority: Authority, req: { peerId: string, role?: RelayRole, lifetime?: Lifetime }): Promise<string> {
  if (authority.delegation != null) throw new CredentialError('untrusted-issuer', 'only the mesh authority issues relay credentials')
  return await sign(authority, TYP.relay, { sub: req.peerId, aud: authority.authority.mesh, role: req.role ?? 'member' }, req.lifetime ?? '365d')
}

export type RevocationTarget =
  | { credential: string }
  | { key: string, before?: number }

/**
 * Signs a revocation: of one credential by its id, or of every credential of a key
 * (its key id, or a relay's peer id) issued before `before` (seconds; default now).
 * An issuer's revocation applies only to what that issuer signed.
 */
export async function issueRevocation (signer: SigningKey, target: RevocationTarget): Promise<string> {
  const revokes = 'credential' in target
    ? { credential: target.credential }
    : { key: target.key, before: target.before ?? Math.floor(Date.now() / 1000) }
  return await sign(signer, TYP.revocation, { revokes })
}

/** The key id that key revocations name, for an agent's raw public key. */
export { keyIdOf }

/** Whether an issuer for `prefix` could grant `pattern` (for tools that explain a refusal). */
export { patternWithin }
