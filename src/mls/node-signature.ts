import { generateKeyPairSync, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { Signature, SignatureAlgorithm } from 'ts-mls'
import { KeyObjectCache, privateKeyId, publicKeyId } from './key-cache.js'
import { ecGenerateKeyPair, ecPrivateKey, ecPublicKey, okpPrivateKey, okpPublicKey, okpRawPrivate, okpRawPublic } from './node-keys.js'
import type { EcCurve, OkpCurve } from './node-keys.js'
import type { NodeDigest } from './node-hash.js'

/** The signature algorithms node:crypto runs natively (ML-DSA-87 is not among them in Node 20). */
export type NodeSignatureAlgorithm = Exclude<SignatureAlgorithm, 'ML-DSA-87'>

export function isNodeSignatureAlgorithm (a: SignatureAlgorithm): a is NodeSignatureAlgorithm {
  return a !== 'ML-DSA-87'
}

/** The imported keys of one signature algorithm, shared by every suite that uses it. */
export interface SignatureKeyCaches {
  readonly privateKeys: KeyObjectCache<KeyObject>
  readonly publicKeys: KeyObjectCache<KeyObject>
}

export function makeSignatureKeyCaches (algorithm: NodeSignatureAlgorithm, size: number): SignatureKeyCaches {
  return {
    privateKeys: new KeyObjectCache(size, bytes => privateKeyId(algorithm, bytes)),
    publicKeys: new KeyObjectCache(size, bytes => publicKeyId(algorithm, bytes))
  }
}

type Scheme =
  | { kind: 'eddsa', curve: OkpCurve }
  // ECDSA hashes the message with the suite's hash and uses DER signatures (RFC 9420 section 5.1.2 and 17.1).
  | { kind: 'ecdsa', curve: EcCurve, digest: NodeDigest }

const schemes: Record<NodeSignatureAlgorithm, Scheme> = {
  Ed25519: { kind: 'eddsa', curve: 'Ed25519' },
  Ed448: { kind: 'eddsa', curve: 'Ed448' },
  P256: { kind: 'ecdsa', curve: 'P-256', digest: 'sha256' },
  P384: { kind: 'ecdsa', curve: 'P-384', digest: 'sha384' },
  P521: { kind: 'ecdsa', curve: 'P-521', digest: 'sha512' }
}

/**
 * MLS signatures (SignWithLabel / VerifyWithLabel, RFC 9420 section 5.1.2) on node:crypto.
 * Keys arrive as raw bytes on every call; each is imported once and its KeyObject kept in
 * a bounded cache, which is what makes this faster than WebCrypto's import-per-call.
 */
export function makeNodeSignature (algorithm: NodeSignatureAlgorithm, caches: SignatureKeyCaches): Signature {
  const scheme = schemes[algorithm]
  const digest = scheme.kind === 'ecdsa' ? scheme.digest : null

  const importPrivate = scheme.kind === 'eddsa'
    ? (raw: Uint8Array) => okpPrivateKey(scheme.curve, raw)
    : (raw: Uint8Array) => ecPrivateKey(scheme.curve, raw)
  const importPublic = scheme.kind === 'eddsa'
    ? (raw: Uint8Array) => okpPublicKey(scheme.curve, raw)
    : (raw: Uint8Array) => ecPublicKey(scheme.curve, raw)

  return {
    async sign (signKey, message) {
      const key = caches.privateKeys.get(signKey, importPrivate)
      return new Uint8Array(sign(digest, message, { key, dsaEncoding: 'der' }))
    },
    async verify (publicKey, message, signature) {
      // A key or signature that does not even parse cannot verify: report false, as a
      // failed check, rather than an exception the caller may not expect here.
      let key: KeyObject
      try {
        key = caches.publicKeys.get(publicKey, importPublic)
      } catch {
        return false
      }
      try {
        return verify(digest, message, { key, dsaEncoding: 'der' }, signature)
      } catch {
        return false
      }
    },
    async keygen () {
      if (scheme.kind === 'eddsa') {
        const pair = scheme.curve === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ed448')
        const signKey = okpRawPrivate(pair.privateKey)
        const publicKey = okpRawPublic(pair.publicKey)
        caches.privateKeys.set(signKey, pair.privateKey)
        caches.publicKeys.set(publicKey, pair.publicKey)
        return { signKey, publicKey }
      }
      const pair = ecGenerateKeyPair(scheme.curve)
      return { signKey: pair.privateKey, publicKey: pair.publicKey }
    }
  }
}
