/**
 * What an agent signs to prove, during the session handshake, that it holds the key
 * behind its name: a context string, the relay's fresh nonce, the relay's peer id and
 * the full agent name. Binding the relay's id stops a relay from replaying the proof to
 * another relay; the nonce stops replays to the same one.
 */
import { SESSION_SIGNATURE_CONTEXT } from '../wire/constants.js'

const enc = new TextEncoder()

export function sessionProofPayload (nonce: Uint8Array, relay: string, name: string): Uint8Array {
  const parts = [enc.encode(SESSION_SIGNATURE_CONTEXT), nonce, enc.encode(relay), enc.encode(name)]
  const total = parts.reduce((n, p) => n + p.length + 4, 0)
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let off = 0
  for (const p of parts) {
    view.setUint32(off, p.length)
    out.set(p, off + 4)
    off += p.length + 4
  }
  return out
}
