import type { CiphersuiteImpl } from 'ts-mls'
import { refhash } from 'ts-mls/crypto/hash.js'
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js'
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js'
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js'
import { expectBytes, expectTrue, hex, num, obj, str } from './check.js'
import type { VectorCase } from './check.js'

/**
 * crypto-basics.json: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret,
 * SignWithLabel and EncryptWithLabel (RFC 9420 sections 5.1-5.3 and 9) for one suite.
 */
export async function checkCryptoBasics (v: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const rh = obj(v, 'ref_hash')
  expectBytes('ref_hash.out', await refhash(str(rh, 'label'), hex(rh, 'value'), cs.hash), hex(rh, 'out'))

  const ewl = obj(v, 'expand_with_label')
  expectBytes('expand_with_label.out',
    await expandWithLabel(hex(ewl, 'secret'), str(ewl, 'label'), hex(ewl, 'context'), num(ewl, 'length'), cs.kdf),
    hex(ewl, 'out'))

  const ds = obj(v, 'derive_secret')
  expectBytes('derive_secret.out', await deriveSecret(hex(ds, 'secret'), str(ds, 'label'), cs.kdf), hex(ds, 'out'))

  const dts = obj(v, 'derive_tree_secret')
  expectBytes('derive_tree_secret.out',
    await deriveTreeSecret(hex(dts, 'secret'), str(dts, 'label'), num(dts, 'generation'), num(dts, 'length'), cs.kdf),
    hex(dts, 'out'))

  const s = obj(v, 'sign_with_label')
  const label = str(s, 'label')
  const content = hex(s, 'content')
  const pub = hex(s, 'pub')
  expectTrue('sign_with_label: VerifyWithLabel(pub, signature)',
    await verifyWithLabel(pub, label, content, hex(s, 'signature'), cs.signature))
  const mine = await signWithLabel(hex(s, 'priv'), label, content, cs.signature)
  expectTrue('sign_with_label: VerifyWithLabel(pub, SignWithLabel(priv))',
    await verifyWithLabel(pub, label, content, mine, cs.signature))

  const e = obj(v, 'encrypt_with_label')
  const priv = await cs.hpke.importPrivateKey(hex(e, 'priv'))
  const publicKey = await cs.hpke.importPublicKey(hex(e, 'pub'))
  const eLabel = str(e, 'label')
  const context = hex(e, 'context')
  const plaintext = hex(e, 'plaintext')
  expectBytes('encrypt_with_label: DecryptWithLabel(kem_output, ciphertext)',
    await decryptWithLabel(priv, eLabel, context, hex(e, 'kem_output'), hex(e, 'ciphertext'), cs.hpke), plaintext)
  const sealed = await encryptWithLabel(publicKey, eLabel, context, plaintext, cs.hpke)
  expectBytes('encrypt_with_label: DecryptWithLabel(EncryptWithLabel(plaintext))',
    await decryptWithLabel(priv, eLabel, context, sealed.enc, sealed.ct, cs.hpke), plaintext)
}
