import { defaultKeyRetentionConfig } from 'ts-mls'
import type { CiphersuiteImpl } from 'ts-mls'
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js'
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from 'ts-mls/secretTree.js'
import type { GenerationSecret } from 'ts-mls/secretTree.js'
import { leafToNodeIndex, toLeafIndex } from 'ts-mls/treemath.js'
import { VectorMismatchError } from '../errors.js'
import { arr, expectBytes, expectEqual, hex, num, obj } from './check.js'
import type { VectorCase } from './check.js'

/**
 * secret-tree.json: sender-data key and nonce (RFC 9420 section 6.3.2) and the handshake /
 * application ratchets of every leaf at the listed generations (section 9).
 */
export async function checkSecretTree (v: VectorCase, cs: CiphersuiteImpl): Promise<void> {
  const sd = obj(v, 'sender_data')
  const senderDataSecret = hex(sd, 'sender_data_secret')
  const sample = hex(sd, 'ciphertext')
  expectBytes('sender_data.key', await expandSenderDataKey(cs, senderDataSecret, sample), hex(sd, 'key'))
  expectBytes('sender_data.nonce', await expandSenderDataNonce(cs, senderDataSecret, sample), hex(sd, 'nonce'))

  const leaves = arr(v, 'leaves')
  const tree = await createSecretTree(leaves.length, hex(v, 'encryption_secret'), cs.kdf)
  for (const [i, leaf] of leaves.entries()) {
    const node = tree[leafToNodeIndex(toLeafIndex(i))]
    if (node === undefined) throw new VectorMismatchError(`secret tree of ${leaves.length} leaves has no node for leaf ${i}`)
    if (!Array.isArray(leaf)) throw new VectorMismatchError(`leaves[${i}] is not an array`)
    for (const g of leaf) {
      const generation = num(g, 'generation')
      for (const [kind, start] of [['handshake', node.handshake], ['application', node.application]] as const) {
        const at = await ratchet(start, generation, cs)
        expectEqual(`leaf ${i} ${kind} generation`, at.generation, generation)
        expectBytes(`leaf ${i} generation ${generation} ${kind}_key`, await deriveKey(at.secret, at.generation, cs), hex(g, `${kind}_key`))
        expectBytes(`leaf ${i} generation ${generation} ${kind}_nonce`, await deriveNonce(at.secret, at.generation, cs), hex(g, `${kind}_nonce`))
      }
    }
  }
}

async function ratchet (start: GenerationSecret, generation: number, cs: CiphersuiteImpl): Promise<GenerationSecret> {
  const [at] = await ratchetUntil(start, generation, defaultKeyRetentionConfig, cs.kdf)
  return at
}
