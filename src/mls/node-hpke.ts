import type { HpkeAlgorithm, Hpke, PrivateKey, PublicKey } from 'ts-mls'
import { dhGroup } from './dhkem.js'
import type { DhGroup, DhPrivate, NodeKem } from './dhkem.js'
import { CryptoParameterError, DecryptionFailedError, MalformedKeyError } from './errors.js'
import type { NodeAead } from './node-aead.js'
import { hkdfExpand, hkdfExtract, nodeDigestOfKdf, digestSize } from './node-hash.js'
import type { NodeDigest } from './node-hash.js'

/**
 * HPKE base mode (RFC 9180) over DHKEM on node:crypto, shaped as ts-mls's `Hpke`. MLS uses
 * it for EncryptWithLabel (path secrets, Welcome group secrets; RFC 9420 section 5.1.3)
 * and for the external-init export (section 8.3). Single-shot only: each context seals or
 * exports once, so the sequence number is always 0 and the nonce is base_nonce.
 *
 * ts-mls types HPKE keys as WebCrypto `CryptoKey`s but never looks inside them. The keys
 * made here are plain objects of that shape; their key material lives in module-private
 * WeakMaps, so it is neither enumerable nor serialisable by accident.
 */

const privates = new WeakMap<object, { kem: NodeKem, key: DhPrivate }>()
const publics = new WeakMap<object, { kem: NodeKem, raw: Uint8Array }>()

const encoder = new TextEncoder()
const HPKE_V1 = encoder.encode('HPKE-v1')

function concat (...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.byteLength
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

function i2osp (value: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = length - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff
  return out
}

/** LabeledExtract / LabeledExpand (RFC 9180 section 4) bound to one suite_id and hash. */
class Labeled {
  constructor (readonly digest: NodeDigest, readonly suiteId: Uint8Array) {}

  extract (salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
    return hkdfExtract(this.digest, salt, concat(HPKE_V1, this.suiteId, encoder.encode(label), ikm))
  }

  expand (prk: Uint8Array, label: string, info: Uint8Array, length: number): Uint8Array {
    const labeledInfo = concat(i2osp(length, 2), HPKE_V1, this.suiteId, encoder.encode(label), info)
    return hkdfExpand(this.digest, prk, labeledInfo, length)
  }
}

const EMPTY = new Uint8Array(0)
const MODE_BASE = 0x00

function wrapPrivate (kem: NodeKem, key: DhPrivate): PrivateKey {
  const k = { type: 'private' as const, extractable: true, algorithm: { name: kem }, usages: ['deriveBits' as const] }
  privates.set(k, { kem, key })
  return k
}

function wrapPublic (kem: NodeKem, raw: Uint8Array): PublicKey {
  const k = { type: 'public' as const, extractable: true, algorithm: { name: kem }, usages: [] }
  publics.set(k, { kem, raw })
  return k
}

export function makeNodeHpke (alg: HpkeAlgorithm & { kem: NodeKem }, aead: NodeAead): Hpke {
  const group: DhGroup = dhGroup(alg.kem)
  const kemLabels = new Labeled(group.digest, concat(encoder.encode('KEM'), i2osp(group.id, 2)))
  const kdfDigest = nodeDigestOfKdf(alg.kdf)
  const kdfId = { sha256: 0x0001, sha384: 0x0002, sha512: 0x0003 }[kdfDigest]
  const hpkeLabels = new Labeled(kdfDigest, concat(encoder.encode('HPKE'), i2osp(group.id, 2), i2osp(kdfId, 2), i2osp(aead.id, 2)))

  function privateOf (k: PrivateKey): DhPrivate {
    const entry = privates.get(k)
    if (entry === undefined || entry.kem !== alg.kem) {
      throw new MalformedKeyError(`HPKE private key was not made by this ${alg.kem} provider; import it with importPrivateKey`)
    }
    return entry.key
  }

  function publicOf (k: PublicKey): Uint8Array {
    const entry = publics.get(k)
    if (entry === undefined || entry.kem !== alg.kem) {
      throw new MalformedKeyError(`HPKE public key was not made by this ${alg.kem} provider; import it with importPublicKey`)
    }
    return entry.raw
  }

  // ExtractAndExpand (RFC 9180 section 4.1).
  function sharedSecret (dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
    const eaePrk = kemLabels.extract(EMPTY, 'eae_prk', dh)
    return kemLabels.expand(eaePrk, 'shared_secret', kemContext, group.nSecret)
  }

  function encap (pkR: Uint8Array): { shared: Uint8Array, enc: Uint8Array } {
    const ephemeral = group.generate()
    const dh = ephemeral.dh(pkR)
    const enc = ephemeral.publicRaw
    return { shared: sharedSecret(dh, concat(enc, pkR)), enc }
  }

  function decap (enc: Uint8Array, skR: DhPrivate): Uint8Array {
    const dh = skR.dh(enc)
    return sharedSecret(dh, concat(enc, skR.publicRaw))
  }

  // KeySchedule for mode_base (RFC 9180 section 5.1): no PSK, empty psk_id.
  function keySchedule (shared: Uint8Array, info: Uint8Array): { key: Uint8Array, baseNonce: Uint8Array, exporterSecret: Uint8Array } {
    const pskIdHash = hpkeLabels.extract(EMPTY, 'psk_id_hash', EMPTY)
    const infoHash = hpkeLabels.extract(EMPTY, 'info_hash', info)
    const context = concat(new Uint8Array([MODE_BASE]), pskIdHash, infoHash)
    const secret = hpkeLabels.extract(shared, 'secret', EMPTY)
    return {
      key: hpkeLabels.expand(secret, 'key', context, aead.keyLength),
      baseNonce: hpkeLabels.expand(secret, 'base_nonce', context, aead.nonceLength),
      exporterSecret: hpkeLabels.expand(secret, 'exp', context, digestSize(kdfDigest))
    }
  }

  function exportFrom (exporterSecret: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array {
    return hpkeLabels.expand(exporterSecret, 'sec', exporterContext, length)
  }

  return {
    async seal (publicKey, plaintext, info, aad) {
      const { shared, enc } = encap(publicOf(publicKey))
      const { key, baseNonce } = keySchedule(shared, info)
      return { ct: aead.seal(key, baseNonce, aad ?? EMPTY, plaintext), enc }
    },
    async open (privateKey, kemOutput, ciphertext, info, aad) {
      const skR = privateOf(privateKey)
      let shared: Uint8Array
      try {
        shared = decap(kemOutput, skR)
      } catch (cause) {
        throw new DecryptionFailedError(`HPKE open failed: kem_output is not a valid ${alg.kem} public key`, { cause })
      }
      const { key, baseNonce } = keySchedule(shared, info)
      return aead.open(key, baseNonce, aad ?? EMPTY, ciphertext)
    },
    async exportSecret (publicKey, exporterContext, length, info) {
      const { shared, enc } = encap(publicOf(publicKey))
      return { enc, secret: exportFrom(keySchedule(shared, info).exporterSecret, exporterContext, length) }
    },
    async importSecret (privateKey, exporterContext, kemOutput, length, info) {
      const shared = decap(kemOutput, privateOf(privateKey))
      return exportFrom(keySchedule(shared, info).exporterSecret, exporterContext, length)
    },
    async importPrivateKey (k) {
      return wrapPrivate(alg.kem, group.privateKey(k))
    },
    async importPublicKey (k) {
      group.checkPublic(k)
      return wrapPublic(alg.kem, new Uint8Array(k))
    },
    async exportPublicKey (k) {
      return new Uint8Array(publicOf(k))
    },
    async exportPrivateKey (k) {
      return new Uint8Array(privateOf(k).raw)
    },
    async encryptAead (key, nonce, aad, plaintext) {
      return aead.seal(key, nonce, aad ?? EMPTY, plaintext)
    },
    async decryptAead (key, nonce, aad, ciphertext) {
      return aead.open(key, nonce, aad ?? EMPTY, ciphertext)
    },
    async deriveKeyPair (ikm) {
      const key = deriveKeyPair(group, kemLabels, ikm)
      return { privateKey: wrapPrivate(alg.kem, key), publicKey: wrapPublic(alg.kem, key.publicRaw) }
    },
    async generateKeyPair () {
      const key = group.generate()
      return { privateKey: wrapPrivate(alg.kem, key), publicKey: wrapPublic(alg.kem, key.publicRaw) }
    },
    keyLength: aead.keyLength,
    nonceLength: aead.nonceLength
  }
}

/** DeriveKeyPair (RFC 9180 section 7.1.3), the one MLS uses on path and external secrets (RFC 9420 sections 7.4, 8). */
function deriveKeyPair (group: DhGroup, labels: Labeled, ikm: Uint8Array): DhPrivate {
  const dkpPrk = labels.extract(EMPTY, 'dkp_prk', ikm)
  if (group.bitmask === undefined) {
    // X25519 / X448: any Nsk bytes are a valid (clamped-on-use) private key.
    return group.privateKey(labels.expand(dkpPrk, 'sk', EMPTY, group.nSk))
  }
  // NIST curves: rejection sampling until the candidate is a scalar in [1, order).
  for (let counter = 0; counter < 256; counter++) {
    const bytes = labels.expand(dkpPrk, 'candidate', new Uint8Array([counter]), group.nSk)
    bytes[0] = (bytes[0] ?? 0) & group.bitmask
    try {
      // node's ECDH.setPrivateKey accepts exactly the scalars in [1, order).
      return group.privateKey(bytes)
    } catch (err) {
      if (!(err instanceof MalformedKeyError)) throw err
    }
  }
  throw new CryptoParameterError(`DeriveKeyPair found no valid ${group.kem} scalar in 256 candidates`)
}
