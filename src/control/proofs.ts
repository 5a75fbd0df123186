/**
 * Proof of possession for HTTP requests to the controller, after DPoP (RFC 9449): each
 * request carries a fresh JWT (`typ: dpop+jwt`) signed by the caller's own Ed25519 key,
 * with the key in its header, the method (`htm`), the URL (`htu`), an issue time and a
 * one-time id. A relay signs with its libp2p identity key (so the proof names its peer
 * id); an operator with the key its admin credential binds (`cnf.jwk`). A stolen
 * credential is of no use without the key, and a captured proof cannot be replayed.
 */
import { randomBytes } from 'node:crypto'
import { EmbeddedJWK, SignJWT, importJWK, jwtVerify } from 'jose'
import type { CryptoKey, JWK } from 'jose'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { ALG, ed25519Jwk, rawOfJwk } from '../trust/keys.js'
import { ControllerError } from './errors.js'

export const PROOF_TYP = 'dpop+jwt'
/** How far a proof's issue time may be from the controller's clock. */
const PROOF_WINDOW_SECONDS = 60
/** Proof ids remembered (against replay) for the window above; more than this many at once are refused. */
const MAX_REMEMBERED = 100_000

export interface ProofSigner {
  jwk: JWK
  /** The raw 32-byte public key. */
  publicKey: Uint8Array
  sign: (method: string, url: string) => Promise<string>
}

/** A signer for an Ed25519 libp2p key (a relay's identity, an agent's key). */
export async function proofSigner (key: PrivateKey): Promise<ProofSigner> {
  if (key.type !== 'Ed25519') throw new TypeError(`proofs are signed with Ed25519 keys, not ${key.type}`)
  const publicKey = key.publicKey.raw
  const jwk = ed25519Jwk(publicKey)
  const privateKey = await importJWK({ ...jwk, d: Buffer.from(key.raw.subarray(0, 32)).toString('base64url') }, ALG) as CryptoKey
  return {
    jwk,
    publicKey,
    sign: async (method, url) => await new SignJWT({ htm: method.toUpperCase(), htu: url.split('?')[0] })
      .setProtectedHeader({ alg: ALG, typ: PROOF_TYP, jwk })
      .setIssuedAt()
      .setJti(randomBytes(16).toString('base64url'))
      .sign(privateKey)
  }
}

export interface VerifiedProof {
  publicKey: Uint8Array
  /** The peer id the key gives (for relays). */
  peerId: string
}

/** Checks proofs for one server: each id is taken once. */
export class ProofChecker {
  private readonly seen = new Map<string, number>()
  private readonly now: () => number

  constructor (now: () => number = () => Math.floor(Date.now() / 1000)) { this.now = now }

  async verify (proof: string | undefined, method: string, path: string): Promise<VerifiedProof> {
    if (proof == null || proof === '') throw new ControllerError(401, 'proof.missing', 'the request has no DPoP proof; sign each request with your key (the slim-mesh client does)')
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
    let jwk: JWK
    try {
      const r = await jwtVerify(proof, EmbeddedJWK, { typ: PROOF_TYP, algorithms: [ALG] })
      payload = r.payload
      jwk = r.protectedHeader.jwk as JWK
    } catch (err) {
      throw new ControllerError(401, 'proof.invalid', `the DPoP proof does not verify: ${(err as Error).message}`, { cause: err })
    }
    if (payload.htm !== method.toUpperCase()) throw new ControllerError(401, 'proof.method', `the proof is for ${String(payload.htm)}, not ${method}`)
    let proofPath: string
    try { proofPath = new URL(String(payload.htu)).pathname } catch { throw new ControllerError(401, 'proof.url', 'the proof\'s htu is not a URL') }
    if (proofPath !== path) throw new ControllerError(401, 'proof.url', `the proof is for ${proofPath}, not ${path}`)
    const now = this.now()
    if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > PROOF_WINDOW_SECONDS) throw new ControllerError(401, 'proof.stale', `the proof was made at ${String(payload.iat)}, more than ${PROOF_WINDOW_SECONDS} s from the controller's clock (${now})`)
    const jti = payload.jti
    if (typeof jti !== 'string') throw new ControllerError(401, 'proof.invalid', 'the proof has no jti')
    this.forgetOld(now)
    if (this.seen.has(jti)) throw new ControllerError(401, 'proof.replayed', 'this proof was used already; sign a fresh one for each request')
    if (this.seen.size >= MAX_REMEMBERED) throw new ControllerError(429, 'proof.busy', 'too many requests in the last minute')
    this.seen.set(jti, payload.iat)
    const publicKey = rawOfJwk(jwk)
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || publicKey.byteLength !== 32) throw new ControllerError(401, 'proof.invalid', 'the proof key is not an Ed25519 key')
    return { publicKey, peerId: peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString() }
  }

  private forgetOld (now: number): void {
    for (const [jti, iat] of this.seen) {
      if (iat >= now - PROOF_WINDOW_SECONDS * 2) break // insertion order is (nearly) time order
      this.seen.delete(jti)
    }
  }
}
