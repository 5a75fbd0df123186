import { describe, it, expect } from 'vitest'
import { Uint8ArrayList } from 'uint8arraylist'
import {
  decodeSessionFrame, encodeSessionFrame, decodeLinkFrame, decodeGossipBatch, decodeEnvelope, encodeEnvelope
} from '../../src/wire/codec.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import type { Envelope } from '../../src/wire/envelope.pb.js'
import {
  MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES, MAX_MESSAGES_PER_FRAME, MAX_METADATA_ENTRIES,
  MAX_METADATA_FIELD_BYTES, MAX_MESSAGE_ID_BYTES, MAX_NAME_BYTES
} from '../../src/wire/constants.js'
import {
  ErrorCode, FrameTooLargeError, MalformedFrameError, PayloadTooLargeError
} from '../../src/wire/errors.js'

function envelope (over: Partial<Envelope> = {}): Partial<Envelope> {
  return { type: MessageType.MSG, messageId: new Uint8Array(16).fill(1), ...over }
}

function thrown (fn: () => unknown): unknown {
  try { fn() } catch (err) { return err }
  throw new Error('expected an error, but nothing was thrown')
}

describe('frame limits', () => {
  it('refuses a frame over MAX_FRAME_BYTES with FrameTooLargeError before decoding it', () => {
    const big = new Uint8Array(MAX_FRAME_BYTES + 1)
    for (const decode of [decodeSessionFrame, decodeLinkFrame, decodeGossipBatch, decodeEnvelope]) {
      const err = thrown(() => decode(big))
      expect(err).toBeInstanceOf(FrameTooLargeError)
      expect((err as FrameTooLargeError).code).toBe(ErrorCode.FRAME_TOO_LARGE)
    }
    const list = new Uint8ArrayList(new Uint8Array(MAX_FRAME_BYTES), new Uint8Array(1))
    expect(thrown(() => decodeSessionFrame(list))).toBeInstanceOf(FrameTooLargeError)
  })

  it('treats a frame of exactly MAX_FRAME_BYTES as within the size limit (decoded, not refused for size)', () => {
    // Field 0 varints: protobuf that decodes to an empty frame, so the error is about
    // content, not size.
    const err = thrown(() => decodeSessionFrame(new Uint8Array(MAX_FRAME_BYTES)))
    expect(err).not.toBeInstanceOf(FrameTooLargeError)
    expect(err).toBeInstanceOf(MalformedFrameError)
    const payload = new Uint8Array(MAX_PAYLOAD_BYTES)
    const frame = encodeSessionFrame({ messages: [0, 1, 2].map(i => envelope({ payload, messageId: new Uint8Array(16).fill(i + 1) }) as Envelope) })
    expect(frame.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES)
    expect(decodeSessionFrame(frame).messages).toHaveLength(3)
  })

  it('refuses a payload one byte over MAX_PAYLOAD_BYTES with PayloadTooLargeError and accepts one at the limit', () => {
    const over = encodeSessionFrame({ messages: [envelope({ payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }) as Envelope] })
    const err = thrown(() => decodeSessionFrame(over))
    expect(err).toBeInstanceOf(PayloadTooLargeError)
    expect((err as PayloadTooLargeError).code).toBe(ErrorCode.PAYLOAD_TOO_LARGE)
    const at = encodeSessionFrame({ messages: [envelope({ payload: new Uint8Array(MAX_PAYLOAD_BYTES) }) as Envelope] })
    expect(decodeSessionFrame(at).messages[0]?.payload.byteLength).toBe(MAX_PAYLOAD_BYTES)
  })

  it('refuses a session frame of MAX_MESSAGES_PER_FRAME + 1 messages with MalformedFrameError wrapping the protobuf limit error', () => {
    const messages = Array.from({ length: MAX_MESSAGES_PER_FRAME + 1 }, () => envelope() as Envelope)
    const err = thrown(() => decodeSessionFrame(encodeSessionFrame({ messages })))
    expect(err).toBeInstanceOf(MalformedFrameError)
    expect(((err as Error).cause as Error).name).toBe('MaxLengthError')
    expect(decodeSessionFrame(encodeSessionFrame({ messages: messages.slice(1) })).messages).toHaveLength(MAX_MESSAGES_PER_FRAME)
  })

  it('refuses a session frame of MAX_MESSAGES_PER_FRAME + 1 acks with MalformedFrameError', () => {
    const acks = Array.from({ length: MAX_MESSAGES_PER_FRAME + 1 }, () => ({ messageId: new Uint8Array(1), seq: 1, code: 0, reason: '', epoch: 0 }))
    expect(thrown(() => decodeSessionFrame(encodeSessionFrame({ acks })))).toBeInstanceOf(MalformedFrameError)
  })

  it('refuses an envelope with MAX_METADATA_ENTRIES + 1 metadata entries and accepts one at the limit', () => {
    const entries = (n: number): Map<string, string> => new Map(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))
    const over = encodeEnvelope(envelope({ metadata: entries(MAX_METADATA_ENTRIES + 1) }))
    expect(thrown(() => decodeEnvelope(over))).toBeInstanceOf(MalformedFrameError)
    const overInFrame = encodeSessionFrame({ messages: [envelope({ metadata: entries(MAX_METADATA_ENTRIES + 1) }) as Envelope] })
    expect(thrown(() => decodeSessionFrame(overInFrame))).toBeInstanceOf(MalformedFrameError)
    expect(decodeEnvelope(encodeEnvelope(envelope({ metadata: entries(MAX_METADATA_ENTRIES) }))).metadata.size).toBe(MAX_METADATA_ENTRIES)
  })

  it('refuses a metadata key or value over MAX_METADATA_FIELD_BYTES characters', () => {
    const long = 'x'.repeat(MAX_METADATA_FIELD_BYTES + 1)
    expect(thrown(() => decodeEnvelope(encodeEnvelope(envelope({ metadata: new Map([[long, 'v']]) }))))).toBeInstanceOf(MalformedFrameError)
    expect(thrown(() => decodeEnvelope(encodeEnvelope(envelope({ metadata: new Map([['k', long]]) }))))).toBeInstanceOf(MalformedFrameError)
    const atLimit = 'x'.repeat(MAX_METADATA_FIELD_BYTES)
    expect(decodeEnvelope(encodeEnvelope(envelope({ metadata: new Map([[atLimit, atLimit]]) }))).metadata.get(atLimit)).toBe(atLimit)
  })

  it('measures a metadata value in UTF-8 bytes, as MAX_METADATA_FIELD_BYTES says, not in UTF-16 code units', () => {
    // 400 x "€" is 400 code units but 1,200 bytes of UTF-8: over the 1,024-byte limit.
    const value = '€'.repeat(400)
    expect(new TextEncoder().encode(value).byteLength).toBeGreaterThan(MAX_METADATA_FIELD_BYTES)
    expect(thrown(() => decodeEnvelope(encodeEnvelope(envelope({ metadata: new Map([['k', value]]) }))))).toBeInstanceOf(MalformedFrameError)
  })

  it('refuses an empty message id and one over MAX_MESSAGE_ID_BYTES, accepts one at the limit', () => {
    expect((thrown(() => decodeEnvelope(encodeEnvelope(envelope({ messageId: new Uint8Array(0) })))) as Error).message).toMatch(/message_id/)
    expect(thrown(() => decodeEnvelope(encodeEnvelope(envelope({ messageId: new Uint8Array(MAX_MESSAGE_ID_BYTES + 1) }))))).toBeInstanceOf(MalformedFrameError)
    expect(decodeEnvelope(encodeEnvelope(envelope({ messageId: new Uint8Array(MAX_MESSAGE_ID_BYTES) }))).messageId.byteLength).toBe(MAX_MESSAGE_ID_BYTES)
  })

  it('refuses a correlation id over MAX_MESSAGE_ID_BYTES', () => {
    expect(thrown(() => decodeEnvelope(encodeEnvelope(envelope({ correlationId: new Uint8Array(MAX_MESSAGE_ID_BYTES + 1) }))))).toBeInstanceOf(MalformedFrameError)
  })

  it('refuses a source, destination or channel id over MAX_NAME_BYTES and names the field', () => {
    const long = 'a'.repeat(MAX_NAME_BYTES + 1)
    for (const field of ['source', 'destination', 'channelId'] as const) {
      const err = thrown(() => decodeEnvelope(encodeEnvelope(envelope({ [field]: long }))))
      expect(err).toBeInstanceOf(MalformedFrameError)
      expect((err as Error).message).toContain(field === 'channelId' ? 'channel_id' : field)
    }
    expect(decodeEnvelope(encodeEnvelope(envelope({ source: 'a'.repeat(MAX_NAME_BYTES) }))).source).toHaveLength(MAX_NAME_BYTES)
  })
})
