/**
 * Channel identity: an MLS basic credential (RFC 9420 section 5.3) whose leaf signature
 * key is the agent's identity key (Ed25519, the key it proved to its relay), and whose
 * identity is, in one of two forms:
 * - with trust on (the agent has a mesh authority): the agent's signed credential, its
 *   JWT as UTF-8. The member's name is `<credential's service name>/<instance its leaf
 *   key gives>`, and the credential is checked in full: the chain to the mesh authority,
 *   the signature, expiry, revocation, and that the key it binds is the leaf's key
 *   (`MemberTrust`). A bare name is refused (`plain-name`).
 * - in open mode: the agent's name, valid only if the name's instance is the one the
 *   leaf key gives (src/names/identity.ts), so no key can speak for another agent.
 *
 * This is our AuthenticationService for ts-mls (RFC 9420 section 5.3.1): ts-mls calls it
 * on every leaf it meets (key packages in Add proposals, update paths in commits, the
 * tree in a Welcome). ts-mls's own default service accepts everything and is never used.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { decodeJwt } from 'jose'
import type { AuthenticationService, Credential, KeyPackage } from 'ts-mls'
import { instanceIdFromPublicKey } from '../names/identity.js'
import { parseAgentName, parseServiceName } from '../names/names.js'
import { CredentialMismatchError } from './errors.js'
import type { MemberCredentialCheck } from './errors.js'
import type { MemberTrust } from './member-trust.js'

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

/** The basic credential for `agentName` (open mode). */
export function credentialFor (agentName: string): Credential {
  return { credentialType: 'basic', identity: enc.encode(agentName) }
}

/** The basic credential carrying an agent credential JWT (trust on). */
export function jwtCredential (jwt: string): Credential {
  return { credentialType: 'basic', identity: enc.encode(jwt) }
}

const JWT_FORM = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** Whether an identity is in the JWT form (an agent credential) rather than a bare name. */
export function isJwtIdentity (identity: string): boolean { return JWT_FORM.test(identity) }

function mismatch (message: string, check: MemberCredentialCheck, cause?: unknown): CredentialMismatchError {
  return new CredentialMismatchError(message, { cause, check })
}

function instanceOf (signaturePublicKey: Uint8Array, who: string): string {
  if (signaturePublicKey.byteLength !== 32) throw mismatch(`credential of ${who} has a ${signaturePublicKey.byteLength}-byte signature key; an Ed25519 key (32 bytes) is required`, 'name-key')
  try {
    return instanceIdFromPublicKey(publicKeyFromRaw(signaturePublicKey))
  } catch (cause) {
    throw mismatch(`credential of ${who} carries a signature key that is not an Ed25519 public key`, 'name-key', cause)
  }
}

/** The service name a credential JWT grants (its `sub`), read without verifying it. */
function jwtService (jwt: string): string {
  let sub: unknown
  try { sub = decodeJwt(jwt).sub } catch (cause) { throw mismatch('credential identity looks like a JWT but does not decode', 'malformed', cause) }
  try { return parseServiceName(sub) } catch (cause) { throw mismatch(`the agent credential's subject "${String(sub).slice(0, 300)}" is not a service name`, 'malformed', cause) }
}

/** The MLS signature key pair of an agent: its Ed25519 identity key (seed and public key, raw). */
export function signatureKeyPair (identity: PrivateKey): { signKey: Uint8Array, publicKey: Uint8Array } {
  if (identity.type !== 'Ed25519') throw new CredentialMismatchError(`channels need an Ed25519 identity key, this agent has ${identity.type}`)
  // libp2p keeps Ed25519 private keys as seed || public key; MLS signs with the 32-byte seed.
  return { signKey: identity.raw.slice(0, 32), publicKey: identity.publicKey.raw.slice() }
}

/**
 * Checks the form of `credential` against `signaturePublicKey`, without the trust checks
 * (those are `MemberAuthenticationService.check`): a bare name whose instance is the
 * one the key gives, or an agent credential JWT (its name: its service and the key's
 * instance). Returns the agent name, or throws CredentialMismatchError saying what is wrong.
 */
export function checkCredential (credential: Credential, signaturePublicKey: Uint8Array): string {
  if (credential.credentialType !== 'basic') throw mismatch(`credential type ${credential.credentialType} is not accepted; channel members use basic credentials naming the agent`, 'credential-type')
  let name: string
  try {
    name = dec.decode(credential.identity)
  } catch (cause) {
    throw mismatch('credential identity is not UTF-8; it must be an agent name org/namespace/service/instance or an agent credential', 'name-key', cause)
  }
  if (isJwtIdentity(name)) {
    const service = jwtService(name)
    return `${service}/${instanceOf(signaturePublicKey, service)}`
  }
  try {
    parseAgentName(name)
  } catch (cause) {
    throw mismatch(`credential identity "${name.slice(0, 300)}" is not an agent name: ${(cause as Error).message}`, 'name-key', cause)
  }
  const instance = instanceOf(signaturePublicKey, name)
  const claimed = name.split('/')[3]
  if (claimed !== instance) throw mismatch(`credential names "${name}", but its signature key gives instance "${instance}"; the name's instance must be the one its key gives`, 'name-key')
  return name
}

/** The agent name a leaf's credential carries (either form), or undefined if it has none (no trust check). */
export function credentialName (credential: Credential, signaturePublicKey: Uint8Array): string | undefined {
  try { return checkCredential(credential, signaturePublicKey) } catch { return undefined }
}

/** The agent credential JWT a credential carries (trust on), if any. */
export function credentialJwt (credential: Credential): string | undefined {
  if (credential.credentialType !== 'basic') return undefined
  try {
    const s = dec.decode(credential.identity)
    return isJwtIdentity(s) ? s : undefined
  } catch { return undefined }
}

/**
 * Our AuthenticationService. With `trust` (the agent's mesh authority) every credential
 * must carry an agent credential that checks out in full; without, a bare name bound to
 * its key. Remembers the last refusal so that the channel can turn ts-mls's generic
 * ValidationError into a CredentialMismatchError that says why.
 */
export class MemberAuthenticationService implements AuthenticationService {
  lastRefusal?: CredentialMismatchError

  constructor (readonly trust?: MemberTrust) {}

  async validateCredential (credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
    try {
      await this.check(credential, signaturePublicKey)
      return true
    } catch (err) {
      this.lastRefusal = err as CredentialMismatchError
      return false
    }
  }

  /** Checks a credential in full; returns the member's agent name or throws CredentialMismatchError naming the check. */
  async check (credential: Credential, signaturePublicKey: Uint8Array): Promise<string> {
    const name = checkCredential(credential, signaturePublicKey)
    const jwt = credentialJwt(credential)
    if (this.trust == null) {
      if (jwt != null) throw mismatch(`credential of ${name} carries an agent credential, but this member has no mesh authority to check it (open mode takes bare agent names)`, 'untrusted-issuer')
      return name
    }
    if (jwt == null) throw mismatch(`credential "${name}" is a bare agent name; with trust on a member's credential carries its signed agent credential`, 'plain-name')
    try {
      await this.trust.verify(jwt, signaturePublicKey)
    } catch (err) {
      const check = (err as { check?: MemberCredentialCheck }).check ?? 'malformed'
      throw mismatch(`the agent credential of ${name}: ${(err as Error).message}`, check, err)
    }
    return name
  }
}

/** The open-mode service under its earlier name. */
export { MemberAuthenticationService as NameKeyAuthenticationService }

/** Checks a key package's leaf credential; returns the agent name it is for. */
export function checkKeyPackageCredential (kp: KeyPackage): string {
  return checkCredential(kp.leafNode.credential, kp.leafNode.signaturePublicKey)
}
