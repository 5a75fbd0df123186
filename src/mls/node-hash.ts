import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { Hash, HashAlgorithm, Kdf, KdfAlgorithm } from 'ts-mls'
import { CryptoParameterError } from './errors.js'

/** node:crypto digest names for the hashes MLS cipher suites use (RFC 9420 section 17.1). */
export type NodeDigest = 'sha256' | 'sha384' | 'sha512'

const digestOfHash: Record<HashAlgorithm, NodeDigest> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512'
}

const digestOfKdf: Record<KdfAlgorithm, NodeDigest> = {
  'HKDF-SHA256': 'sha256',
  'HKDF-SHA384': 'sha384',
  'HKDF-SHA512': 'sha512'
}

const digestLength: Record<NodeDigest, number> = { sha256: 32, sha384: 48, sha512: 64 }

export function nodeDigestOfKdf (k: KdfAlgorithm): NodeDigest {
  return digestOfKdf[k]
}

export function digestSize (d: NodeDigest): number {
  return digestLength[d]
}

/**
 * Copies a node Buffer into a plain Uint8Array with its own ArrayBuffer. Small Buffers can
 * be views into node's shared 8 KiB pool; handing those to code that reads `.buffer` (or
 * compares with `toStrictEqual`) would leak or mismatch.
 */
export function plain (b: Uint8Array): Uint8Array {
  return new Uint8Array(b)
}

export function hmac (d: NodeDigest, key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac(d, key).update(data).digest())
}

/** HKDF-Extract (RFC 5869 section 2.2). An empty salt is HMAC with a zero-length key, which equals HashLen zero bytes. */
export function hkdfExtract (d: NodeDigest, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(d, salt, ikm)
}

/**
 * HKDF-Expand (RFC 5869 section 2.3), written out because node's `hkdfSync` always runs
 * Extract first, while MLS (RFC 9420 section 8) and HPKE call Expand on their own.
 */
export function hkdfExpand (d: NodeDigest, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLen = digestLength[d]
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new CryptoParameterError(`HKDF-Expand length ${length} is outside 0..${255 * hashLen} for ${d}`)
  }
  const out = new Uint8Array(length)
  let previous: Uint8Array = new Uint8Array(0)
  const counter = new Uint8Array(1)
  for (let offset = 0, i = 1; offset < length; i++) {
    counter[0] = i
    previous = createHmac(d, prk).update(previous).update(info).update(counter).digest()
    out.set(previous.subarray(0, Math.min(hashLen, length - offset)), offset)
    offset += hashLen
  }
  return out
}

export function makeNodeHash (h: HashAlgorithm): Hash {
  const d = digestOfHash[h]
  return {
    async digest (data) {
      return plain(createHash(d).update(data).digest())
    },
    async mac (key, data) {
      return hmac(d, key, data)
    },
    async verifyMac (key, mac, data) {
      const expected = createHmac(d, key).update(data).digest()
      // Constant time, so a forger cannot learn the tag byte by byte (RFC 9420 section 6.2 membership_tag).
      return mac.byteLength === expected.byteLength && timingSafeEqual(mac, expected)
    }
  }
}

export function makeNodeKdf (k: KdfAlgorithm): Kdf {
  const d = digestOfKdf[k]
  return {
    async extract (salt, ikm) {
      return hkdfExtract(d, salt, ikm)
    },
    async expand (prk, info, len) {
      return hkdfExpand(d, prk, info, len)
    },
    size: digestLength[d]
  }
}
