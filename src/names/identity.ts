/**
 * An agent's instance id is derived from its identity public key, so it is stable across
 * restarts and cannot be claimed by another key: the first 16 bytes of SHA-256 over the
 * key's protobuf encoding, in lower-case base32 (26 characters, a valid name component).
 */
import { createHash } from 'node:crypto'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { toString } from 'uint8arrays/to-string'
import type { PublicKey } from '@libp2p/interface'
import { agentName, instanceOf, parseAgentName, parseServiceName } from './names.js'
import type { AgentName } from './names.js'
import { InvalidNameError } from './errors.js'

export function instanceIdFromPublicKey (key: PublicKey): string {
  const digest = createHash('sha256').update(publicKeyToProtobuf(key)).digest()
  return toString(digest.subarray(0, 16), 'base32')
}

/**
 * The full agent name for `base` and `key`. `base` is `org/namespace/service`, or a full
 * agent name whose instance must then be the one the key gives.
 */
export function agentNameForKey (base: string, key: PublicKey): AgentName {
  const instance = instanceIdFromPublicKey(key)
  if (typeof base === 'string' && base.split('/').length === 4) {
    const full = parseAgentName(base)
    if (instanceOf(full) !== instance) {
      throw new InvalidNameError(`name "${base}" has instance "${instanceOf(full)}", but this identity key gives "${instance}"; leave the instance out or use the matching key`)
    }
    return full
  }
  return agentName(parseServiceName(base), instance)
}

/** Whether `name`'s instance is the one `key` gives. */
export function nameMatchesKey (name: AgentName, key: PublicKey): boolean {
  return instanceOf(name) === instanceIdFromPublicKey(key)
}
