import { describe, it, expect } from 'vitest'
import { Uint8ArrayList } from 'uint8arraylist'
import {
  decodeSessionFrame, encodeSessionFrame, decodeLinkFrame, encodeLinkFrame,
  decodeGossipBatch, encodeGossipBatch, decodeEnvelope, encodeEnvelope, isWireError
} from '../../src/wire/codec.js'
import { DeliveryMode, MessageType } from '../../src/wire/envelope.pb.js'
import type { Envelope, SessionFrame } from '../../src/wire/envelope.pb.js'
import { createRng } from '../../sims/prng.js'
import {
  ErrorCode, MalformedFrameError, UnknownMessageTypeError, WireError, errorCodeName, isWireErrorCode
} from '../../src/wire/errors.js'

const id = (n: number): Uint8Array<ArrayBuffer> => new Uint8Array(16).fill(n)

function envelope (over: Partial<Envelope> = {}): Envelope {
  return {
    type: MessageType.MSG,
    channelId: 'acme/research/summarizer',
    messageId: id(1),
    payload: new TextEncoder().encode('ciphertext'),
    metadata: new Map([['k', 'v'], ['trace', 'abc']]),
    source: 'acme/research/alice/i1',
    destination: 'acme/research/summarizer',
    seq: 7,
    epoch: 3,
    hopLimit: 16,
    mode: DeliveryMode.MULTICAST,
    correlationId: id(2),
    expectsReply: true,
    noAck: false,
    ...over
  }
}

/** Runs `fn` and returns what it threw. */
function thrown (fn: () => unknown): unknown {
  try { fn() } catch (err) { return err }
  throw new Error('expected an error, but nothing was thrown')
}

/** Protobuf varint of a non-negative number. */
function varint (n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

/** A length-delimited field: key, length, bytes. */
function ld (field: number, bytes: number[]): number[] {
  return [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]
}

describe('codec round trips', () => {
  it('round-trips a session frame carrying a batch of messages and acks', () => {
    const frame: Partial<SessionFrame> = {
      messages: [envelope(), envelope({ messageId: id(9), seq: 8, mode: DeliveryMode.ANYCAST, metadata: new Map() })],
      acks: [{ messageId: id(1), seq: 7, code: 0, reason: '', epoch: 3 }]
    }
    const back = decodeSessionFrame(encodeSessionFrame(frame))
    expect(back.messages).toEqual(frame.messages)
    expect(back.acks).toEqual(frame.acks)
    expect(back.hello).toBeUndefined()
  })

  it('round-trips each singular control part on its own', () => {
    const parts: Array<Partial<SessionFrame>> = [
      { hello: { name: 'acme/research/alice', publicKey: id(3), version: 1, resumeToken: id(4) } },
      { challenge: { nonce: id(5), relay: '12D3KooWRelay' } },
      { auth: { signature: id(6) } },
      { ready: { name: 'acme/research/alice/i1', sessionId: id(7), keepaliveMs: 500, resumed: true } },
      { subscribe: { requestId: 1, name: 'acme/research/summarizer', fromSeq: 42 } },
      { subscribed: { requestId: 1, name: 'acme/research/summarizer', nextSeq: 43, code: 0, reason: '' } },
      { unsubscribe: { requestId: 2, name: 'acme/research/summarizer' } },
      { fault: { code: ErrorCode.MALFORMED, reason: 'bad', fatal: true } },
      { close: { reason: 'bye' } }
    ]
    for (const part of parts) {
      const back = decodeSessionFrame(encodeSessionFrame(part))
      const [key, value] = Object.entries(part)[0] as [keyof SessionFrame, unknown]
      expect(back[key]).toEqual(value)
    }
  })

  it('round-trips an envelope with 64-bit sequence numbers above 2^32', () => {
    const env = envelope({ seq: 2 ** 40 + 5, epoch: 2 ** 33 })
    expect(decodeEnvelope(encodeEnvelope(env))).toEqual(env)
  })

  it('decodes from a Uint8ArrayList as from a Uint8Array', () => {
    const bytes = encodeSessionFrame({ messages: [envelope()] })
    const list = new Uint8ArrayList(bytes.subarray(0, 5), bytes.subarray(5))
    expect(decodeSessionFrame(list).messages).toEqual([envelope()])
  })

  it('round-trips a link frame with announcements and routed parts', () => {
    const frame = {
      announcements: [{
        origin: 'relayA', version: 1_700_000_000_000, hops: 2, hopLimit: 8, ttlMs: 15_000,
        names: [{ name: 'acme/research/summarizer', instances: ['i1', 'i2'], sequencerSince: 1234, reachable: ['i3'], sequencerTerm: 0, replicas: [] }],
        addrs: ['/ip4/127.0.0.1/tcp/1'], withdrawn: false, piece: 0, pieces: 0
      }],
      routed: [
        { to: 'relayB', from: 'relayA', hopLimit: 16, instance: 'i1', envelope: envelope() },
        { to: 'relayB', from: 'relayA', hopLimit: 16, instance: '', ack: { messageId: id(1), seq: 1, code: 0, reason: '', agent: 'a/b/c/d', epoch: 0 } },
        { to: 'relayB', from: 'relayA', hopLimit: 16, instance: '', fetch: { requestId: 3, name: 'a/b/c', fromSeq: 10, limit: 100 } },
        { to: 'relayB', from: 'relayA', hopLimit: 16, instance: '', fetched: { requestId: 3, name: 'a/b/c', head: 12, messages: [envelope()], code: 0, reason: '', first: 1 } }
      ]
    }
    const back = decodeLinkFrame(encodeLinkFrame(frame))
    expect(back.announcements).toEqual(frame.announcements)
    expect(back.routed).toEqual(frame.routed)
  })

  it('round-trips a multicast batch', () => {
    const batch = { name: 'acme/research/summarizer', messages: [envelope(), envelope({ messageId: id(2), seq: 8 })] }
    expect(decodeGossipBatch(encodeGossipBatch(batch))).toEqual(batch)
  })
})

describe('codec typed errors', () => {
  it('turns an unknown message type number inside a session frame into UnknownMessageTypeError', () => {
    // Envelope: field 1 (type) = varint 99, field 3 (message_id) = one byte.
    const env = [0x08, 99, ...ld(3, [1])]
    const bytes = new Uint8Array(ld(5, env))
    const err = thrown(() => decodeSessionFrame(bytes))
    expect(err).toBeInstanceOf(UnknownMessageTypeError)
    expect((err as WireError).name).toBe('UnknownMessageTypeError')
    expect((err as WireError).code).toBe(ErrorCode.UNKNOWN_TYPE)
  })

  it('turns an unknown delivery mode into UnknownMessageTypeError', () => {
    // Envelope: type MSG, message_id, field 11 (mode) = varint 42.
    const env = [0x08, 1, ...ld(3, [1]), 0x58, 42]
    expect(thrown(() => decodeEnvelope(new Uint8Array(env)))).toBeInstanceOf(UnknownMessageTypeError)
  })

  it('rejects an envelope with no message type with UnknownMessageTypeError', () => {
    const bytes = encodeSessionFrame({ messages: [envelope({ type: MessageType.MESSAGE_TYPE_UNSPECIFIED })] })
    expect(thrown(() => decodeSessionFrame(bytes))).toBeInstanceOf(UnknownMessageTypeError)
  })

  it('turns truncated bytes into MalformedFrameError with the protobuf error as cause', () => {
    const bytes = encodeSessionFrame({ messages: [envelope()] })
    for (const cut of [1, 2, 10, bytes.length - 1]) {
      const err = thrown(() => decodeSessionFrame(bytes.subarray(0, cut)))
      expect(err).toBeInstanceOf(MalformedFrameError)
      expect((err as Error).cause).toBeDefined()
    }
  })

  it('turns garbage bytes into MalformedFrameError', () => {
    // 0xff... is a varint that never ends; wire type 7 does not exist.
    for (const garbage of [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x0f, 0x01], [0x2a, 0x7f, 0x01]]) {
      const err = thrown(() => decodeSessionFrame(new Uint8Array(garbage)))
      expect(err).toBeInstanceOf(MalformedFrameError)
      expect((err as WireError).code).toBe(ErrorCode.MALFORMED)
    }
  })

  it('rejects a session frame that mixes two control parts with MalformedFrameError', () => {
    const bytes = encodeSessionFrame({ hello: { name: 'a/b/c', publicKey: id(1), version: 1, resumeToken: new Uint8Array(0) }, close: { reason: 'x' } })
    expect((thrown(() => decodeSessionFrame(bytes)) as Error).message).toMatch(/mixes parts/)
  })

  it('rejects a session frame that mixes a control part with a batch with MalformedFrameError', () => {
    const bytes = encodeSessionFrame({ auth: { signature: id(1) }, messages: [envelope()] })
    expect(thrown(() => decodeSessionFrame(bytes))).toBeInstanceOf(MalformedFrameError)
    const withAcks = encodeSessionFrame({ close: { reason: '' }, acks: [{ messageId: id(1), seq: 1, code: 0, reason: '', epoch: 0 }] })
    expect(thrown(() => decodeSessionFrame(withAcks))).toBeInstanceOf(MalformedFrameError)
  })

  it('rejects an empty session frame with MalformedFrameError', () => {
    const err = thrown(() => decodeSessionFrame(new Uint8Array(0)))
    expect(err).toBeInstanceOf(MalformedFrameError)
    expect((err as Error).message).toMatch(/empty/)
  })

  it('rejects a routed link part carrying no part or two parts with MalformedFrameError', () => {
    const none = encodeLinkFrame({ routed: [{ to: 'b', from: 'a', hopLimit: 1, instance: '' }] })
    expect((thrown(() => decodeLinkFrame(none)) as Error).message).toMatch(/0 parts/)
    const two = encodeLinkFrame({ routed: [{ to: 'b', from: 'a', hopLimit: 1, instance: '', envelope: envelope(), fetch: { requestId: 1, name: 'a/b/c', fromSeq: 1, limit: 1 } }] })
    const err = thrown(() => decodeLinkFrame(two))
    expect(err).toBeInstanceOf(MalformedFrameError)
    expect((err as Error).message).toMatch(/2 parts/)
  })

  it('checks the envelopes inside a routed frame and a fetch reply', () => {
    const badRouted = encodeLinkFrame({ routed: [{ to: 'b', from: 'a', hopLimit: 1, instance: '', envelope: envelope({ messageId: new Uint8Array(0) }) }] })
    expect(thrown(() => decodeLinkFrame(badRouted))).toBeInstanceOf(MalformedFrameError)
    const badFetched = encodeLinkFrame({ routed: [{ to: 'b', from: 'a', hopLimit: 1, instance: '', fetched: { requestId: 1, name: 'a/b/c', head: 1, messages: [envelope({ type: MessageType.MESSAGE_TYPE_UNSPECIFIED })], code: 0, reason: '', first: 0 } }] })
    expect(thrown(() => decodeLinkFrame(badFetched))).toBeInstanceOf(UnknownMessageTypeError)
  })

  it('checks the envelopes inside a multicast batch', () => {
    const bytes = encodeGossipBatch({ name: 'a/b/c', messages: [envelope(), envelope({ messageId: new Uint8Array(65) })] })
    expect(thrown(() => decodeGossipBatch(bytes))).toBeInstanceOf(MalformedFrameError)
  })
})

describe('error codes', () => {
  it('names every code and falls back to CODE_<n> for an unknown one', () => {
    expect(errorCodeName(ErrorCode.STALE_EPOCH)).toBe('STALE_EPOCH')
    expect(errorCodeName(999)).toBe('CODE_999')
    expect(isWireErrorCode(ErrorCode.MALFORMED)).toBe(true)
    expect(isWireErrorCode(0)).toBe(false)
    expect(isWireErrorCode(999)).toBe(false)
    expect(isWireErrorCode('2')).toBe(false)
  })

  it('isWireError accepts wire errors and refuses plain errors and a bare WireError with code 0', () => {
    expect(isWireError(new MalformedFrameError('x'))).toBe(true)
    expect(isWireError(new Error('x'))).toBe(false)
    expect(isWireError(new WireError('x'))).toBe(false)
    expect(isWireError({ code: 2 })).toBe(false)
  })
})

/** A seeded PRNG (the simulations' mulberry32), so a failure can be replayed from its seed. */
const prng = (seed: number): (() => number) => createRng(seed).next

function mutate (src: Uint8Array, rand: () => number): Uint8Array {
  const bytes = [...src]
  const edits = 1 + Math.floor(rand() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (bytes.length + 1))
    const what = rand()
    if (what < 0.4 && bytes.length > 0) {
      const i = Math.min(at, bytes.length - 1)
      bytes[i] = (bytes[i] as number) ^ (1 << Math.floor(rand() * 8))
    } else if (what < 0.6 && bytes.length > 0) {
      bytes[Math.min(at, bytes.length - 1)] = Math.floor(rand() * 256)
    } else if (what < 0.8) {
      bytes.splice(at, 0, Math.floor(rand() * 256))
    } else {
      bytes.splice(at, 1 + Math.floor(rand() * 3))
    }
  }
  return new Uint8Array(bytes)
}

describe('codec under random mutation', () => {
  it('turns 2,000 seeded mutations of a valid session frame into a decoded frame or a WireError, never another exception', () => {
    const rand = prng(0x5e55)
    const valid = encodeSessionFrame({
      messages: [envelope(), envelope({ messageId: id(5), type: MessageType.GROUP_ADD, mode: DeliveryMode.UNICAST })],
      acks: [{ messageId: id(1), seq: 1, code: 0, reason: 'ok', epoch: 1 }]
    })
    let decoded = 0
    let rejected = 0
    for (let i = 0; i < 2000; i++) {
      const bytes = mutate(valid, rand)
      try {
        decodeSessionFrame(bytes)
        decoded++
      } catch (err) {
        if (!isWireError(err)) {
          throw new Error(`mutation ${i} (${Buffer.from(bytes).toString('hex')}) threw ${String(err)}`)
        }
        expect(err.code).toBeGreaterThan(0)
        rejected++
      }
    }
    // Both outcomes must occur, or the mutations are not exercising the decoder.
    expect(decoded).toBeGreaterThan(0)
    expect(rejected).toBeGreaterThan(0)
  })
})
