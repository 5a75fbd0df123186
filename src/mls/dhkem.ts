import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { KemAlgorithm } from 'ts-mls'
import { MalformedKeyError } from './errors.js'
import { ecFieldLength, ecGenerateKeyPair, ecKeyPairFromPrivate, ecUncompressed, okpKeyLength, okpPrivateKey, okpPublicKey, okpRawPrivate, okpRawPublic } from './node-keys.js'
import type { EcCurve, EcKeyPair } from './node-keys.js'
import type { NodeDigest } from './node-hash.js'

/**
 * The Diffie-Hellman groups of DHKEM (RFC 9180 section 4.1 and 7.1) on node:crypto:
 * X25519 and X448 through KeyObjects, the NIST curves through node's ECDH class (which
 * validates peer points and returns the fixed-length x-coordinate RFC 9180 asks for).
 */

/** The KEMs node:crypto can run; the post-quantum ones (ML-KEM, X-Wing) are delegated. */
export type NodeKem = Extract<KemAlgorithm, `DHKEM-${string}`>

export function isNodeKem (k: KemAlgorithm): k is NodeKem {
  return k.startsWith('DHKEM-')
}

/** A private key ready for DH, with its serialised forms (RFC 9180 section 7.1.2). */
export interface DhPrivate {
  readonly raw: Uint8Array
  readonly publicRaw: Uint8Array
  /** DH(sk, pk) with a serialised peer public key; throws MalformedKeyError on a bad point. */
  dh: (peerPublic: Uint8Array) => Uint8Array
}

export interface DhGroup {
  readonly kem: NodeKem
  /** KEM id, part of the KEM suite_id (RFC 9180 section 7.1). */
  readonly id: number
  /** The KEM's own KDF hash (it may differ from the HPKE KDF in general, not in MLS suites). */
  readonly digest: NodeDigest
  readonly nSecret: number
  readonly nPk: number
  readonly nSk: number
  /** Bit mask for the first candidate byte in DeriveKeyPair, NIST curves only (RFC 9180 section 7.1.3). */
  readonly bitmask: number | undefined
  generate: () => DhPrivate
  /** Imports a serialised private key; throws MalformedKeyError if it is not one. */
  privateKey: (raw: Uint8Array) => DhPrivate
  /** Checks a serialised public key (RFC 9180 DeserializePublicKey); throws MalformedKeyError if invalid. */
  checkPublic: (raw: Uint8Array) => void
}

function okpPrivate (curve: 'X25519' | 'X448', key: KeyObject): DhPrivate {
  const publicRaw = okpRawPublic(createPublicKey(key))
  return {
    raw: okpRawPrivate(key),
    publicRaw,
    dh (peerPublic) {
      const peer = okpPublicKey(curve, peerPublic)
      let shared: Buffer
      try {
        shared = diffieHellman({ privateKey: key, publicKey: peer })
      } catch (cause) {
        // OpenSSL refuses an all-zero output (a small-order peer point), as RFC 9180 section 7.1.4 requires.
        throw new MalformedKeyError(`${curve} peer public key gives a degenerate shared secret`, { cause })
      }
      if (shared.every(b => b === 0)) {
        throw new MalformedKeyError(`${curve} peer public key gives an all-zero shared secret`)
      }
      return new Uint8Array(shared)
    }
  }
}

function okpGroup (kem: NodeKem, curve: 'X25519' | 'X448', id: number, digest: NodeDigest, nSecret: number): DhGroup {
  const n = okpKeyLength[curve]
  return {
    kem,
    id,
    digest,
    nSecret,
    nPk: n,
    nSk: n,
    bitmask: undefined,
    generate () {
      const pair = curve === 'X25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('x448')
      return okpPrivate(curve, pair.privateKey)
    },
    privateKey (raw) {
      return okpPrivate(curve, okpPrivateKey(curve, raw))
    },
    checkPublic (raw) {
      okpPublicKey(curve, raw)
    }
  }
}

function ecPrivate (curve: EcCurve, pair: EcKeyPair): DhPrivate {
  const nPk = 1 + 2 * ecFieldLength[curve]
  return {
    raw: pair.privateKey,
    publicRaw: pair.publicKey,
    dh (peerPublic) {
      // Only the uncompressed encoding is a valid HPKE public key (RFC 9180 section 7.1.1).
      if (peerPublic.byteLength !== nPk || peerPublic[0] !== 0x04) {
        throw new MalformedKeyError(`${curve} HPKE public key has ${peerPublic.byteLength} bytes; it needs an uncompressed point of ${nPk} bytes`)
      }
      try {
        return new Uint8Array(pair.ecdh.computeSecret(peerPublic))
      } catch (cause) {
        throw new MalformedKeyError(`${curve} HPKE public key is not a point on the curve`, { cause })
      }
    }
  }
}

function ecGroup (kem: NodeKem, curve: EcCurve, id: number, digest: NodeDigest, nSecret: number, bitmask: number): DhGroup {
  const n = ecFieldLength[curve]
  return {
    kem,
    id,
    digest,
    nSecret,
    nPk: 1 + 2 * n,
    nSk: n,
    bitmask,
    generate () {
      return ecPrivate(curve, ecGenerateKeyPair(curve))
    },
    privateKey (raw) {
      return ecPrivate(curve, ecKeyPairFromPrivate(curve, raw))
    },
    checkPublic (raw) {
      if (raw.byteLength !== 1 + 2 * n || raw[0] !== 0x04) {
        throw new MalformedKeyError(`${curve} HPKE public key has ${raw.byteLength} bytes; it needs an uncompressed point of ${1 + 2 * n} bytes`)
      }
      // Decoding the point rejects one that is not on the curve.
      ecUncompressed(curve, raw)
    }
  }
}

// KEM ids, KDFs and Nsecret from RFC 9180 section 7.1 (table 2).
const groups: Record<NodeKem, () => DhGroup> = {
  'DHKEM-P256-HKDF-SHA256': () => ecGroup('DHKEM-P256-HKDF-SHA256', 'P-256', 0x0010, 'sha256', 32, 0xff),
  'DHKEM-P384-HKDF-SHA384': () => ecGroup('DHKEM-P384-HKDF-SHA384', 'P-384', 0x0011, 'sha384', 48, 0xff),
  'DHKEM-P521-HKDF-SHA512': () => ecGroup('DHKEM-P521-HKDF-SHA512', 'P-521', 0x0012, 'sha512', 64, 0x01),
  'DHKEM-X25519-HKDF-SHA256': () => okpGroup('DHKEM-X25519-HKDF-SHA256', 'X25519', 0x0020, 'sha256', 32),
  'DHKEM-X448-HKDF-SHA512': () => okpGroup('DHKEM-X448-HKDF-SHA512', 'X448', 0x0021, 'sha512', 64)
}

export function dhGroup (kem: NodeKem): DhGroup {
  return groups[kem]()
}
