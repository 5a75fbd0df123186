import { ECDH, createECDH, createPrivateKey, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { MalformedKeyError } from './errors.js'

/**
 * Raw key bytes <-> node:crypto KeyObjects, in the encodings MLS uses on the wire
 * (RFC 9420 section 5.1.1, test-vector conventions): EdDSA and X25519/X448 keys as their
 * native byte strings (RFC 8032, RFC 7748), ECDSA / ECDH private keys as big-endian
 * scalars, public keys as uncompressed SEC1 points.
 *
 * Everything goes through JWK: in Node 20 importing a JWK costs 10-80 us where the same
 * key as PKCS#8 / SPKI DER costs 100-650 us (OpenSSL 3's generic decoder).
 */

export type OkpCurve = 'Ed25519' | 'Ed448' | 'X25519' | 'X448'
export type EcCurve = 'P-256' | 'P-384' | 'P-521'

/** Length in bytes of private and public keys of each Edwards / Montgomery curve. */
export const okpKeyLength: Record<OkpCurve, number> = { Ed25519: 32, Ed448: 57, X25519: 32, X448: 56 }

/** Field element length in bytes (Nsk, and half of an uncompressed point less one). */
export const ecFieldLength: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }

const opensslCurve: Record<EcCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }

function b64u (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')
}

function fromB64u (s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'))
}

/** Left-pads a big-endian integer to `length` bytes; rejects one that does not fit. */
export function leftPad (b: Uint8Array, length: number, what: string): Uint8Array {
  if (b.byteLength === length) return b
  if (b.byteLength > length) {
    throw new MalformedKeyError(`${what} has ${b.byteLength} bytes; it needs at most ${length}`)
  }
  const out = new Uint8Array(length)
  out.set(b, length - b.byteLength)
  return out
}

// PKCS#8 prefixes of the two EdDSA keys, so a private key exported by WebCrypto (which is
// what ts-mls's default provider stores for Ed25519) can be reduced to its raw seed.
const pkcs8Prefix: Partial<Record<OkpCurve, Uint8Array>> = {
  Ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  Ed448: Buffer.from('3047020100300506032b6571043b0439', 'hex')
}

function stripPkcs8 (curve: OkpCurve, raw: Uint8Array): Uint8Array {
  const prefix = pkcs8Prefix[curve]
  if (prefix === undefined || raw.byteLength !== prefix.byteLength + okpKeyLength[curve]) return raw
  for (let i = 0; i < prefix.byteLength; i++) {
    if (raw[i] !== prefix[i]) return raw
  }
  return raw.subarray(prefix.byteLength)
}

export function okpPrivateKey (curve: OkpCurve, raw: Uint8Array): KeyObject {
  const seed = stripPkcs8(curve, raw)
  const want = okpKeyLength[curve]
  if (seed.byteLength !== want) {
    throw new MalformedKeyError(`${curve} private key has ${raw.byteLength} bytes; it needs ${want} (raw) or a PKCS#8 wrapping of that`)
  }
  // Node derives the public half from `d` and only checks that `x` is a string.
  return createPrivateKey({ key: { kty: 'OKP', crv: curve, d: b64u(seed), x: '' }, format: 'jwk' })
}

export function okpPublicKey (curve: OkpCurve, raw: Uint8Array): KeyObject {
  const want = okpKeyLength[curve]
  if (raw.byteLength !== want) {
    throw new MalformedKeyError(`${curve} public key has ${raw.byteLength} bytes; it needs ${want}`)
  }
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: curve, x: b64u(raw) }, format: 'jwk' })
  } catch (cause) {
    throw new MalformedKeyError(`${curve} public key is not a valid encoding`, { cause })
  }
}

export function okpRawPrivate (key: KeyObject): Uint8Array {
  return fromB64u(key.export({ format: 'jwk' }).d)
}

export function okpRawPublic (key: KeyObject): Uint8Array {
  return fromB64u(key.export({ format: 'jwk' }).x)
}

/** A validated EC key pair held by node's ECDH class (for HPKE DH) plus its encodings. */
export interface EcKeyPair {
  ecdh: ECDH
  /** Big-endian scalar, exactly Nsk bytes. */
  privateKey: Uint8Array
  /** Uncompressed SEC1 point 0x04 || X || Y. */
  publicKey: Uint8Array
}

export function ecKeyPairFromPrivate (curve: EcCurve, scalar: Uint8Array): EcKeyPair {
  // RFC 9420 test vectors sometimes drop a leading zero byte of a P-521 scalar; pad it back
  // (see mlswg/mls-implementations issue 176).
  const d = leftPad(scalar, ecFieldLength[curve], `${curve} private key`)
  const ecdh = createECDH(opensslCurve[curve])
  try {
    ecdh.setPrivateKey(d)
  } catch (cause) {
    throw new MalformedKeyError(`${curve} private key is zero or not below the group order`, { cause })
  }
  // A copy, so a caller zeroing its array afterwards (ts-mls does) cannot change ours.
  return { ecdh, privateKey: d === scalar ? scalar.slice() : d, publicKey: new Uint8Array(ecdh.getPublicKey()) }
}

export function ecGenerateKeyPair (curve: EcCurve): EcKeyPair {
  const ecdh = createECDH(opensslCurve[curve])
  ecdh.generateKeys()
  // ECDH.getPrivateKey drops leading zero bytes; the serialised form is fixed-length (RFC 9180 section 7.1.2).
  const d = leftPad(ecdh.getPrivateKey(), ecFieldLength[curve], `${curve} private key`)
  return { ecdh, privateKey: d, publicKey: new Uint8Array(ecdh.getPublicKey()) }
}

/**
 * Checks a public point and returns it uncompressed. Compressed points are accepted for
 * signature keys made by other libraries; RFC 9420 section 5.1.1 asks for uncompressed.
 */
export function ecUncompressed (curve: EcCurve, point: Uint8Array): Uint8Array {
  const n = ecFieldLength[curve]
  const tag = point[0]
  const ok = (tag === 0x04 && point.byteLength === 1 + 2 * n) ||
    ((tag === 0x02 || tag === 0x03) && point.byteLength === 1 + n)
  if (!ok) {
    throw new MalformedKeyError(`${curve} public key has ${point.byteLength} bytes starting ${tag ?? 'nothing'}; it needs an uncompressed point of ${1 + 2 * n} bytes starting 0x04`)
  }
  try {
    return new Uint8Array(ECDH.convertKey(point, opensslCurve[curve], undefined, undefined, 'uncompressed') as Buffer)
  } catch (cause) {
    throw new MalformedKeyError(`${curve} public key is not a point on the curve`, { cause })
  }
}

function ecJwk (curve: EcCurve, uncompressed: Uint8Array): { kty: 'EC', crv: EcCurve, x: string, y: string } {
  const n = ecFieldLength[curve]
  return { kty: 'EC', crv: curve, x: b64u(uncompressed.subarray(1, 1 + n)), y: b64u(uncompressed.subarray(1 + n)) }
}

export function ecPublicKey (curve: EcCurve, point: Uint8Array): KeyObject {
  const jwk = ecJwk(curve, ecUncompressed(curve, point))
  try {
    return createPublicKey({ key: jwk, format: 'jwk' })
  } catch (cause) {
    throw new MalformedKeyError(`${curve} public key is not a point on the curve`, { cause })
  }
}

export function ecPrivateKey (curve: EcCurve, scalar: Uint8Array): KeyObject {
  const pair = ecKeyPairFromPrivate(curve, scalar)
  return createPrivateKey({ key: { ...ecJwk(curve, pair.publicKey), d: b64u(pair.privateKey) }, format: 'jwk' })
}
