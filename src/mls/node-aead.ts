import { createCipheriv, createDecipheriv } from 'node:crypto'
import type { CipherChaCha20Poly1305, CipherChaCha20Poly1305Types, CipherGCM, CipherGCMTypes, DecipherChaCha20Poly1305, DecipherGCM } from 'node:crypto'
import type { AeadAlgorithm } from 'ts-mls'
import { CryptoParameterError, DecryptionFailedError } from './errors.js'

/**
 * AEAD on node:crypto for the three algorithms MLS cipher suites name (RFC 9420 section
 * 17.1; identifiers from RFC 9180 section 7.3). Node takes the raw key on each call, so
 * there is no import to cache: every MLS message key is used once anyway (RFC 9420
 * section 9.1 ratchets a fresh key per generation).
 */
export interface NodeAead {
  readonly algorithm: AeadAlgorithm
  /** HPKE AEAD id (RFC 9180 section 7.3), used in the HPKE suite_id. */
  readonly id: number
  readonly keyLength: number
  readonly nonceLength: number
  seal: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => Uint8Array
  open: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array) => Uint8Array
}

const TAG_LENGTH = 16
const NONCE_LENGTH = 12

type CipherName = CipherGCMTypes | CipherChaCha20Poly1305Types

// Two calls so each picks its typed overload (both results have setAAD and the tag methods).
function cipherFor (name: CipherName, key: Uint8Array, nonce: Uint8Array): CipherGCM | CipherChaCha20Poly1305 {
  return name === 'chacha20-poly1305'
    ? createCipheriv(name, key, nonce, { authTagLength: TAG_LENGTH })
    : createCipheriv(name, key, nonce, { authTagLength: TAG_LENGTH })
}

function decipherFor (name: CipherName, key: Uint8Array, nonce: Uint8Array): DecipherGCM | DecipherChaCha20Poly1305 {
  return name === 'chacha20-poly1305'
    ? createDecipheriv(name, key, nonce, { authTagLength: TAG_LENGTH })
    : createDecipheriv(name, key, nonce, { authTagLength: TAG_LENGTH })
}

const table: Record<AeadAlgorithm, { cipher: CipherName, id: number, keyLength: number }> = {
  AES128GCM: { cipher: 'aes-128-gcm', id: 0x0001, keyLength: 16 },
  AES256GCM: { cipher: 'aes-256-gcm', id: 0x0002, keyLength: 32 },
  CHACHA20POLY1305: { cipher: 'chacha20-poly1305', id: 0x0003, keyLength: 32 }
}

export function makeNodeAead (algorithm: AeadAlgorithm): NodeAead {
  const { cipher, id, keyLength } = table[algorithm]

  function check (key: Uint8Array, nonce: Uint8Array): void {
    if (key.byteLength !== keyLength) {
      throw new CryptoParameterError(`${algorithm} key has ${key.byteLength} bytes; it needs ${keyLength}`)
    }
    if (nonce.byteLength !== NONCE_LENGTH) {
      throw new CryptoParameterError(`${algorithm} nonce has ${nonce.byteLength} bytes; it needs ${NONCE_LENGTH}`)
    }
  }

  return {
    algorithm,
    id,
    keyLength,
    nonceLength: NONCE_LENGTH,
    seal (key, nonce, aad, plaintext) {
      check(key, nonce)
      const c = cipherFor(cipher, key, nonce)
      if (aad.byteLength > 0) c.setAAD(aad, { plaintextLength: plaintext.byteLength })
      // Write ciphertext || tag straight into one array the caller owns (RFC 5116 section 2.1 output).
      const out = new Uint8Array(plaintext.byteLength + TAG_LENGTH)
      const body = c.update(plaintext)
      out.set(body, 0)
      const rest = c.final()
      out.set(rest, body.byteLength)
      out.set(c.getAuthTag(), body.byteLength + rest.byteLength)
      return out
    },
    open (key, nonce, aad, ciphertext) {
      check(key, nonce)
      if (ciphertext.byteLength < TAG_LENGTH) {
        throw new DecryptionFailedError(`${algorithm} ciphertext has ${ciphertext.byteLength} bytes, shorter than its ${TAG_LENGTH}-byte tag`)
      }
      const split = ciphertext.byteLength - TAG_LENGTH
      try {
        const d = decipherFor(cipher, key, nonce)
        d.setAuthTag(ciphertext.subarray(split))
        if (aad.byteLength > 0) d.setAAD(aad, { plaintextLength: split })
        const out = new Uint8Array(split)
        const body = d.update(ciphertext.subarray(0, split))
        out.set(body, 0)
        out.set(d.final(), body.byteLength)
        return out
      } catch (cause) {
        throw new DecryptionFailedError(`${algorithm} open failed: the tag does not authenticate this key, nonce, AAD and ciphertext`, { cause })
      }
    }
  }
}
