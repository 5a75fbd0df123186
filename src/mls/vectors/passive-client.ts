import { bytesToBase64, joinGroup, makePskIndex, processPrivateMessage, processPublicMessage } from 'ts-mls'
import type { CiphersuiteImpl, ClientState, Hpke, PrivateKeyPackage, Signature } from 'ts-mls'
import { decodeRatchetTree } from 'ts-mls/ratchetTree.js'
import { decodeExactly, decodeMlsMessageAs, decodeProtocolMessage } from '../decode.js'
import { arr, expectBytes, expectTrue, hex, optionalHex } from './check.js'
import type { VectorCase } from './check.js'

/**
 * passive-client-welcome.json, passive-client-handling-commit.json and
 * passive-client-random.json: join with a Welcome (RFC 9420 section 12.4.3), then follow
 * every epoch's proposals and commit (section 12.4.2), comparing the epoch authenticator
 * (section 8.7) after each.
 */
export async function checkPassiveClient (v: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const keyPackage = decodeMlsMessageAs(hex(v, 'key_package'), 'mls_key_package').keyPackage
  const keys: PrivateKeyPackage = {
    initPrivateKey: hex(v, 'init_priv'),
    hpkePrivateKey: hex(v, 'encryption_priv'),
    signaturePrivateKey: hex(v, 'signature_priv')
  }
  expectTrue('init_priv matches the key package init_key', await hpkeKeysMatch(keyPackage.initKey, keys.initPrivateKey, cs.hpke))
  expectTrue('encryption_priv matches the leaf encryption_key', await hpkeKeysMatch(keyPackage.leafNode.hpkePublicKey, keys.hpkePrivateKey, cs.hpke))
  expectTrue('signature_priv matches the leaf signature_key', await signatureKeysMatch(keyPackage.leafNode.signaturePublicKey, keys.signaturePrivateKey, cs.signature))

  const psks: Record<string, Uint8Array> = {}
  for (const p of arr(v, 'external_psks')) psks[bytesToBase64(hex(p, 'psk_id'))] = hex(p, 'psk')

  const treeBytes = optionalHex(v, 'ratchet_tree')
  const tree = treeBytes === undefined ? undefined : decodeExactly(decodeRatchetTree, treeBytes, 'a ratchet tree')
  const welcome = decodeMlsMessageAs(hex(v, 'welcome'), 'mls_welcome').welcome
  let state = await joinGroup(welcome, keyPackage, keys, makePskIndex(undefined, psks), cs, tree)
  expectBytes('initial_epoch_authenticator', state.keySchedule.epochAuthenticator, hex(v, 'initial_epoch_authenticator'))

  for (const [i, epoch] of arr(v, 'epochs').entries()) {
    for (const p of arr(epoch, 'proposals')) {
      state = await apply(state, hexOf(p, `epochs[${i}].proposals`), psks, cs)
    }
    state = await apply(state, hex(epoch, 'commit'), psks, cs)
    expectBytes(`epochs[${i}].epoch_authenticator`, state.keySchedule.epochAuthenticator, hex(epoch, 'epoch_authenticator'))
  }
}

function hexOf (v: unknown, what: string): Uint8Array {
  return hex({ [what]: v }, what)
}

async function apply (state: ClientState, bytes: Uint8Array, psks: Record<string, Uint8Array>, cs: CiphersuiteImpl): Promise<ClientState> {
  const m = decodeProtocolMessage(bytes)
  const pskIndex = makePskIndex(state, psks)
  if (m.wireformat === 'mls_private_message') {
    return (await processPrivateMessage(state, m.privateMessage, pskIndex, cs)).newState
  }
  return (await processPublicMessage(state, m.publicMessage, pskIndex, cs)).newState
}

/** A private HPKE key matches a public one if what is sealed to one opens with the other. */
async function hpkeKeysMatch (publicKey: Uint8Array, privateKey: Uint8Array, hpke: Hpke): Promise<boolean> {
  const info = new TextEncoder().encode('slim-mesh key check')
  const plaintext = new TextEncoder().encode('test')
  const { ct, enc } = await hpke.seal(await hpke.importPublicKey(publicKey), plaintext, info)
  const opened = await hpke.open(await hpke.importPrivateKey(privateKey), enc, ct, info)
  return Buffer.from(opened).equals(Buffer.from(plaintext))
}

async function signatureKeysMatch (publicKey: Uint8Array, privateKey: Uint8Array, s: Signature): Promise<boolean> {
  const message = new TextEncoder().encode('slim-mesh key check')
  return await s.verify(publicKey, message, await s.sign(privateKey, message))
}
