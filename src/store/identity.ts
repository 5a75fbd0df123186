/**
 * A node's identity key, kept in its store: the relay's peer id and an agent's instance
 * id come from it, so both survive restarts on the same data directory.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { Store } from './store.js'

export async function loadOrCreateIdentity (store: Store): Promise<PrivateKey> {
  const saved = await store.get('identity')
  if (saved != null) return privateKeyFromProtobuf(saved)
  const key = await generateKeyPair('Ed25519')
  await store.put('identity', privateKeyToProtobuf(key))
  return key
}
