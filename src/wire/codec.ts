/**
 * Decoding with limits. Every byte that arrives from a peer goes through one of the
 * `decode*` functions here; each turns any malformed input (protons' own errors, a
 * `TypeError` from a truncated varint, an unknown enum value) into a typed `WireError`
 * and checks what protobuf cannot say: sizes of bytes fields and which parts of a frame
 * may appear together.
 */
import { Envelope, GossipBatch, LinkFrame, SessionFrame } from './envelope.pb.js'
import type { Uint8ArrayList } from 'uint8arraylist'
import {
  MAX_FRAME_BYTES, MAX_MESSAGE_ID_BYTES, MAX_METADATA_FIELD_BYTES, MAX_NAME_BYTES, MAX_PAYLOAD_BYTES, MAX_ROUTE_PIECES
} from './constants.js'
import { FrameTooLargeError, MalformedFrameError, PayloadTooLargeError, UnknownMessageTypeError } from './errors.js'
import type { WireError } from './errors.js'

type Bytes = Uint8Array | Uint8ArrayList

function wrap<T> (what: string, bytes: Bytes, decode: (b: Bytes) => T): T {
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    throw new FrameTooLargeError(`${what} of ${bytes.byteLength} bytes is over the limit of ${MAX_FRAME_BYTES}`)
  }
  try {
    return decode(bytes)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (/enum/i.test(message)) {
      throw new UnknownMessageTypeError(`${what} has an unknown message type or delivery mode (${message})`, { cause: err })
    }
    throw new MalformedFrameError(`${what} is not valid protobuf: ${message}`, { cause: err })
  }
}

function checkString (what: string, value: string, max: number): void {
  if (value.length > max) throw new MalformedFrameError(`${what} is ${value.length} characters; at most ${max}`)
}

/** Checks what the protobuf schema cannot: byte sizes of an envelope's fields. */
export function checkEnvelope (env: Envelope, where = 'envelope'): void {
  if (env.payload.byteLength > MAX_PAYLOAD_BYTES) {
    throw new PayloadTooLargeError(`${where} payload is ${env.payload.byteLength} bytes; at most ${MAX_PAYLOAD_BYTES}`)
  }
  if (env.messageId.byteLength === 0 || env.messageId.byteLength > MAX_MESSAGE_ID_BYTES) {
    throw new MalformedFrameError(`${where} message_id is ${env.messageId.byteLength} bytes; 1 to ${MAX_MESSAGE_ID_BYTES} expected`)
  }
  if (env.correlationId.byteLength > MAX_MESSAGE_ID_BYTES) {
    throw new MalformedFrameError(`${where} correlation_id is ${env.correlationId.byteLength} bytes; at most ${MAX_MESSAGE_ID_BYTES}`)
  }
  checkString(`${where} source`, env.source, MAX_NAME_BYTES)
  checkString(`${where} destination`, env.destination, MAX_NAME_BYTES)
  checkString(`${where} channel_id`, env.channelId, MAX_NAME_BYTES)
  for (const [k, v] of env.metadata) {
    if (utf8Length(k) > MAX_METADATA_FIELD_BYTES || utf8Length(v) > MAX_METADATA_FIELD_BYTES) {
      throw new MalformedFrameError(`${where} metadata entry "${k.slice(0, 32)}" is over ${MAX_METADATA_FIELD_BYTES} characters`)
    }
  }
  if (env.type === 'MESSAGE_TYPE_UNSPECIFIED') {
    throw new UnknownMessageTypeError(`${where} has no message type`)
  }
}

const utf8 = new TextEncoder()
/** Bytes in UTF-8; a string of n code units is at most 3n bytes, so short ones skip the encode. */
function utf8Length (s: string): number {
  return s.length * 3 <= MAX_METADATA_FIELD_BYTES ? s.length : utf8.encode(s).byteLength
}

const SINGULAR = ['hello', 'challenge', 'auth', 'ready', 'subscribe', 'subscribed', 'unsubscribe', 'fault', 'close'] as const

/**
 * A session frame. With `checkMessages: false` its envelopes are left for the caller to
 * check one by one (a relay refuses the one bad message by its id before cutting the
 * session, so the agent fails that publish once instead of resending it).
 */
export function decodeSessionFrame (bytes: Bytes, options: { checkMessages?: boolean } = {}): SessionFrame {
  const frame = wrap('session frame', bytes, b => SessionFrame.decode(b))
  let parts = 0
  for (const key of SINGULAR) if (frame[key] != null) parts++
  const batch = frame.messages.length + frame.acks.length
  if (parts > 1 || (parts === 1 && batch > 0) || (frame.revocations.length > 0 && parts + batch > 0)) {
    throw new MalformedFrameError('session frame mixes parts; a frame carries one control part, a batch of messages and acks, or revocations')
  }
  if (parts === 0 && batch === 0 && frame.revocations.length === 0) throw new MalformedFrameError('session frame is empty')
  if (options.checkMessages !== false) frame.messages.forEach((m, i) => { checkEnvelope(m, `message ${i}`) })
  return frame
}

export function encodeSessionFrame (frame: Partial<SessionFrame>): Uint8Array {
  return SessionFrame.encode(frame)
}

export function decodeLinkFrame (bytes: Bytes): LinkFrame {
  const frame = wrap('link frame', bytes, b => LinkFrame.decode(b))
  for (const r of frame.routed) {
    const parts = (r.envelope != null ? 1 : 0) + (r.ack != null ? 1 : 0) + (r.fetch != null ? 1 : 0) + (r.fetched != null ? 1 : 0) + (r.replicate != null ? 1 : 0) + (r.replicaAck != null ? 1 : 0)
    if (parts !== 1) throw new MalformedFrameError(`routed frame carries ${parts} parts; exactly one expected`)
    if (r.envelope != null) checkEnvelope(r.envelope, 'routed envelope')
    r.fetched?.messages.forEach(m => { checkEnvelope(m, 'fetched message') })
    // A replica keeps copies as bytes; each must be an envelope it could serve.
    r.replicate?.entries.forEach(e => { checkEnvelope(wrap('replicated entry', e, b => Envelope.decode(b)), 'replicated entry') })
  }
  for (const a of frame.announcements) {
    // Pieces of one version (src/relay/route-pieces.ts): a bounded count, an index within
    // it, and a withdrawal is never split.
    if (a.pieces > MAX_ROUTE_PIECES) throw new MalformedFrameError(`route announcement of ${a.origin.slice(0, 64)} claims ${a.pieces} pieces; at most ${MAX_ROUTE_PIECES}`)
    if (a.pieces > 1 ? a.piece >= a.pieces : a.piece !== 0) throw new MalformedFrameError(`route announcement piece ${a.piece} of ${a.pieces}; a piece's index is below the count (0 of 0 or 1 for a whole one)`)
    if (a.withdrawn && a.pieces > 1) throw new MalformedFrameError('a withdrawn route announcement comes in one piece')
  }
  return frame
}

export function encodeLinkFrame (frame: Partial<LinkFrame>): Uint8Array {
  return LinkFrame.encode(frame)
}

export function decodeGossipBatch (bytes: Bytes): GossipBatch {
  const batch = wrap('multicast batch', bytes, b => GossipBatch.decode(b))
  batch.messages.forEach(m => { checkEnvelope(m, 'multicast message') })
  return batch
}

export function encodeGossipBatch (batch: Partial<GossipBatch>): Uint8Array {
  return GossipBatch.encode(batch)
}

export function encodeEnvelope (env: Partial<Envelope>): Uint8Array {
  return Envelope.encode(env)
}

export function decodeEnvelope (bytes: Bytes): Envelope {
  const env = wrap('envelope', bytes, b => Envelope.decode(b))
  checkEnvelope(env)
  return env
}

export function isWireError (err: unknown): err is WireError {
  return err instanceof Error && typeof (err as WireError).code === 'number' && (err as WireError).code > 0
}
