/**
 * Channel identity: an MLS basic credential (RFC 9420 section 5.3) whose identity is the
 * agent's name, and whose leaf signature key is the agent's identity key (Ed25519, the
 * key it proved to its relay). A credential is valid only if the name's instance is the
 * one that key gives (src/names/identity.ts), so no key can speak for another agent.
 *
 * This is our AuthenticationService for ts-mls (RFC 9420 section 5.3.1): ts-mls calls it
 * on every leaf it meets (key packages in Add proposals, update paths in commits, the
 * tree in a Welcome). ts-mls's own default service accepts everything and is never used.
 */
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { AuthenticationService, Credential, KeyPackage } from 'ts-mls'
import { instanceIdFromPublicKey } from '../names/identity.js'
import { parseAgentName } from '../names/names.js'
import { CredentialMismatchError } from './errors.js'

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

/** The basic credential for `agentName`. */
export function credentialFor (agentName: string): Credential {
  return { credentialType: 'basic', identity: enc.encode(agentName) }
}

/** The MLS signature key pair of an agent: its Ed25519 identity key (seed and public key, raw). */
export function signatureKeyPair (identity: PrivateKey): { signKey: Uint8Array, publicKey: Uint8Array } {
  if (identity.type !== 'Ed25519') throw new CredentialMismatchError(`channels need an Ed25519 identity key, this agent has ${identity.type}`)
  // libp2p keeps Ed25519 private keys as seed || public key; MLS signs with the 32-byte seed.
  return { signKey: identity.raw.slice(0, 32), publicKey: identity.publicKey.raw.slice() }
}

/**
 * Checks `credential` against `signaturePublicKey`; returns the agent name, or throws
 * CredentialMismatchError saying what is wrong.
 */
export function checkCredential (credential: Credential, signaturePublicKey: Uint8Array): string {
  if (credential.credentialType !== 'basic') throw new CredentialMismatchError(`credential type ${credential.credentialType} is not accepted; channel members use basic credentials naming the agent`)
  let name: string
  try {
    name = dec.decode(credential.identity)
  } catch (cause) {
    throw new CredentialMismatchError('credential identity is not UTF-8; it must be an agent name org/namespace/service/instance', { cause })
  }
  try {
    parseAgentName(name)
  } catch (cause) {
    throw new CredentialMismatchError(`credential identity "${name.slice(0, 300)}" is not an agent name: ${(cause as Error).message}`, { cause })
  }
  if (signaturePublicKey.byteLength !== 32) throw new CredentialMismatchError(`credential of ${name} has a ${signaturePublicKey.byteLength}-byte signature key; an Ed25519 key (32 bytes) is required`)
  let instance: string
  try {
    instance = instanceIdFromPublicKey(publicKeyFromRaw(signaturePublicKey))
  } catch (cause) {
    throw new CredentialMismatchError(`credential of ${name} carries a signature key that is not an Ed25519 public key`, { cause })
  }
  const claimed = name.split('/')[3]
  if (claimed !== instance) throw new CredentialMismatchError(`credential names "${name}", but its signature key gives instance "${instance}"; the name's instance must be the one its key gives`)
  return name
}

/** The agent name a credential carries, or undefined if it is not a valid one (no key check). */
export function credentialName (credential: Credential): string | undefined {
  if (credential.credentialType !== 'basic') return undefined
  try { return dec.decode(credential.identity) } catch { return undefined }
}

/**
 * Our AuthenticationService. Remembers the last refusal so that the channel can turn
 * ts-mls's generic ValidationError into a CredentialMismatchError that says why.
 */
export class NameKeyAuthenticationService implements AuthenticationService {
  lastRefusal?: CredentialMismatchError

  async validateCredential (credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
    try {
      checkCredential(credential, signaturePublicKey)
      return true
    } catch (err) {
      this.lastRefusal = err as CredentialMismatchError
      return false
    }
  }
}

/** Checks a key package's leaf credential; returns the agent name it is for. */
export function checkKeyPackageCredential (kp: KeyPackage): string {
  return checkCredential(kp.leafNode.credential, kp.leafNode.signaturePublicKey)
}
