/**
 * What an agent keeps of its channels in its store (with a data directory):
 *   channel/<name>     the MLS group state with the stream position it reflects, one record
 *                      so a restart never pairs a state with the wrong position
 *   channel-kp/<ref>   the private part of a key package this agent handed out, until a
 *                      Welcome uses it (the signature key is the identity key, not stored)
 */
import { CorruptChannelStateError } from './errors.js'
import type { KeyRetention } from './group-config.js'

export interface ChannelRecord {
  suite: string
  position: number
  wireEpoch: number
  retention: KeyRetention
  state: Uint8Array
}

export const recordKey = (name: string): string => `channel/${name}`
export const keyPackageKey = (refHex: string): string => `channel-kp/${refHex}`

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Layout: 4-byte big-endian length of a JSON header, the header, then the encoded group state. */
export function encodeRecord (r: ChannelRecord): Uint8Array {
  const head = enc.encode(JSON.stringify({ v: 1, suite: r.suite, position: r.position, wireEpoch: r.wireEpoch, retention: r.retention }))
  const out = new Uint8Array(4 + head.byteLength + r.state.byteLength)
  new DataView(out.buffer).setUint32(0, head.byteLength)
  out.set(head, 4)
  out.set(r.state, 4 + head.byteLength)
  return out
}

export function decodeRecord (bytes: Uint8Array, what: string): ChannelRecord {
  try {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
    const h = JSON.parse(dec.decode(bytes.subarray(4, 4 + n))) as Partial<ChannelRecord> & { v?: number }
    if (h.v !== 1 || typeof h.suite !== 'string' || typeof h.position !== 'number' || typeof h.wireEpoch !== 'number' || h.retention == null) throw new CorruptChannelStateError('bad header')
    return { suite: h.suite, position: h.position, wireEpoch: h.wireEpoch, retention: h.retention, state: bytes.slice(4 + n) }
  } catch (cause) {
    throw new CorruptChannelStateError(`saved state of ${what} does not decode; delete the record ${recordKey(what)} to join afresh`, { cause })
  }
}
