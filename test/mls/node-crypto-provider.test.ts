import { describe, it, expect } from 'vitest'
import { defaultCryptoProvider, getCiphersuiteFromName } from 'ts-mls'
import type { CiphersuiteImpl, CiphersuiteName } from 'ts-mls'
import { createNodeCryptoProvider } from '../../src/mls/node-crypto-provider.js'

const enc = new TextEncoder()
const node = createNodeCryptoProvider()

async function pair (name: CiphersuiteName): Promise<{ n: CiphersuiteImpl, d: CiphersuiteImpl }> {
  const cs = getCiphersuiteFromName(name)
  return { n: await node.getCiphersuiteImpl(cs), d: await defaultCryptoProvider.getCiphersuiteImpl(cs) }
}

const classicSuites: CiphersuiteName[] = [
  'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
  'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
  'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448',
  'MLS_256_DHKEMP521_AES256GCM_SHA512_P521',
  'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448',
  'MLS_256_DHKEMP384_AES256GCM_SHA384_P384'
]

describe('node:crypto provider against ts-mls\'s default provider (RFC 9180 HPKE, RFC 9420 signatures)', () => {
  for (const name of classicSuites) {
    it(`HPKE on ${name}: each opens what the other seals, and both derive the same key pair`, async () => {
      const { n, d } = await pair(name)
      const info = enc.encode('info')
      const aad = enc.encode('aad')
      const plaintext = enc.encode(`secret for ${name}`)

      const dKeys = await d.hpke.generateKeyPair()
      const toDefault = await n.hpke.seal(await n.hpke.importPublicKey(await d.hpke.exportPublicKey(dKeys.publicKey)), plaintext, info, aad)
      expect(await d.hpke.open(dKeys.privateKey, toDefault.enc, toDefault.ct, info, aad)).toEqual(plaintext)

      const nKeys = await n.hpke.generateKeyPair()
      const toNode = await d.hpke.seal(await d.hpke.importPublicKey(await n.hpke.exportPublicKey(nKeys.publicKey)), plaintext, info, aad)
      expect(await n.hpke.open(nKeys.privateKey, toNode.enc, toNode.ct, info, aad)).toEqual(plaintext)
      // The private key survives export and re-import (it is what ts-mls stores in group state).
      const reimported = await n.hpke.importPrivateKey(await n.hpke.exportPrivateKey(nKeys.privateKey))
      expect(await n.hpke.open(reimported, toNode.enc, toNode.ct, info, aad)).toEqual(plaintext)

      const ikm = enc.encode(`input keying material for ${name}`)
      const nDerived = await n.hpke.deriveKeyPair(ikm)
      const dDerived = await d.hpke.deriveKeyPair(ikm)
      expect(await n.hpke.exportPublicKey(nDerived.publicKey)).toEqual(await d.hpke.exportPublicKey(dDerived.publicKey))
      expect(await n.hpke.exportPrivateKey(nDerived.privateKey)).toEqual(await d.hpke.exportPrivateKey(dDerived.privateKey))

      // The external-init export of RFC 9420 section 8.3 agrees across the two.
      const context = enc.encode('MLS 1.0 external init secret')
      const dPublic = await n.hpke.importPublicKey(await d.hpke.exportPublicKey(dDerived.publicKey))
      const exported = await n.hpke.exportSecret(dPublic, context, 32, new Uint8Array())
      expect(await d.hpke.importSecret(dDerived.privateKey, context, exported.enc, 32, new Uint8Array())).toEqual(exported.secret)
    })

    it(`signatures on ${name}: each verifies what the other signs, with keys from either keygen`, async () => {
      const { n, d } = await pair(name)
      const message = enc.encode(`signed on ${name}`)
      const nKeys = await n.signature.keygen()
      const dKeys = await d.signature.keygen()
      expect(await d.signature.verify(nKeys.publicKey, message, await n.signature.sign(nKeys.signKey, message))).toBe(true)
      expect(await n.signature.verify(dKeys.publicKey, message, await d.signature.sign(dKeys.signKey, message))).toBe(true)
      // Keys made by the default provider (PKCS#8 for Ed25519) sign on node, and the reverse.
      expect(await d.signature.verify(dKeys.publicKey, message, await n.signature.sign(dKeys.signKey, message))).toBe(true)
      expect(await n.signature.verify(nKeys.publicKey, message, await d.signature.sign(nKeys.signKey, message))).toBe(true)
      expect(await n.signature.verify(nKeys.publicKey, enc.encode('another message'), await n.signature.sign(nKeys.signKey, message))).toBe(false)
    })
  }

  it('hashes, MACs and expands exactly as the default provider on every hash', async () => {
    for (const name of ['MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384', 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521'] as const) {
      const { n, d } = await pair(name)
      const data = enc.encode('some data')
      const key = enc.encode('a key')
      expect(await n.hash.digest(data)).toEqual(await d.hash.digest(data))
      expect(await n.hash.mac(key, data)).toEqual(await d.hash.mac(key, data))
      expect(await n.hash.verifyMac(key, await d.hash.mac(key, data), data)).toBe(true)
      expect(await n.hash.verifyMac(key, await d.hash.mac(key, enc.encode('other')), data)).toBe(false)
      // @hpke/core insists on a salt of Nh bytes, which is what MLS passes anyway (RFC 9420 section 8).
      const salt = new Uint8Array(n.kdf.size).fill(7)
      const prk = await n.kdf.extract(salt, data)
      expect(prk).toEqual(await d.kdf.extract(salt, data))
      // 200 bytes spans several HMAC blocks of RFC 5869's T(i) chain.
      expect(await n.kdf.expand(prk, data, 200)).toEqual(await d.kdf.expand(prk, data, 200))
      expect(n.kdf.size).toBe(d.kdf.size)
    }
  })
})

describe('node:crypto provider key handling and errors', () => {
  it('notices a private key array changed in place and signs with the new key', async () => {
    const { n } = await pair('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519')
    const first = await n.signature.keygen()
    const second = await n.signature.keygen()
    const key = first.signKey.slice()
    const message = enc.encode('m')
    expect(await n.signature.verify(first.publicKey, message, await n.signature.sign(key, message))).toBe(true)
    key.set(second.signKey)
    const sig = await n.signature.sign(key, message)
    expect(await n.signature.verify(second.publicKey, message, sig)).toBe(true)
    expect(await n.signature.verify(first.publicKey, message, sig)).toBe(false)
  })

  it('reports malformed keys, ciphertexts and parameters with typed errors', async () => {
    const { n } = await pair('MLS_128_DHKEMP256_AES128GCM_SHA256_P256')
    await expect(n.hpke.importPublicKey(new Uint8Array(64))).rejects.toMatchObject({ name: 'MalformedKeyError' })
    await expect(n.hpke.importPrivateKey(new Uint8Array(32))).rejects.toMatchObject({ name: 'MalformedKeyError' })
    await expect(n.signature.sign(new Uint8Array(33).fill(1), enc.encode('m'))).rejects.toMatchObject({ name: 'MalformedKeyError' })
    expect(await n.signature.verify(new Uint8Array(65), enc.encode('m'), new Uint8Array(70))).toBe(false)
    await expect(n.hpke.encryptAead(new Uint8Array(15), new Uint8Array(12), undefined, new Uint8Array(1))).rejects.toMatchObject({ name: 'CryptoParameterError' })
    await expect(n.hpke.decryptAead(new Uint8Array(16), new Uint8Array(12), undefined, new Uint8Array(20))).rejects.toMatchObject({ name: 'DecryptionFailedError' })
    await expect(n.kdf.expand(new Uint8Array(32), new Uint8Array(), 255 * 32 + 1)).rejects.toMatchObject({ name: 'CryptoParameterError' })
    const other = await createNodeCryptoProvider().getCiphersuiteImpl(getCiphersuiteFromName('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'))
    const foreign = await other.hpke.generateKeyPair()
    await expect(n.hpke.seal(foreign.publicKey, new Uint8Array(1), new Uint8Array())).rejects.toMatchObject({ name: 'MalformedKeyError' })
  })

  it('says where each piece runs, and refuses post-quantum suites when it has no fallback', async () => {
    const xwing = getCiphersuiteFromName('MLS_256_XWING_AES256GCM_SHA512_Ed25519')
    expect(node.coverage(xwing)).toEqual({ hash: 'node:crypto', kdf: 'node:crypto', aead: 'node:crypto', signature: 'node:crypto', kem: 'fallback' })
    expect(node.coverage(getCiphersuiteFromName('MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448'))).toEqual({ hash: 'node:crypto', kdf: 'node:crypto', aead: 'node:crypto', signature: 'node:crypto', kem: 'node:crypto' })
    const strict = createNodeCryptoProvider({ fallback: null })
    expect(strict.coverage(xwing)).toBeUndefined()
    await expect(strict.getCiphersuiteImpl(xwing)).rejects.toMatchObject({ name: 'UnsupportedCipherSuiteError' })
  })
})
