import { decodeMessage, encodeMessage, enumeration, MaxLengthError, MaxSizeError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum MessageType {
  MESSAGE_TYPE_UNSPECIFIED = 'MESSAGE_TYPE_UNSPECIFIED',
  MSG = 'MSG',
  GROUP_PROPOSAL = 'GROUP_PROPOSAL',
  GROUP_ADD = 'GROUP_ADD',
  GROUP_REMOVE = 'GROUP_REMOVE',
  GROUP_WELCOME = 'GROUP_WELCOME',
  GROUP_ACK = 'GROUP_ACK',
  GROUP_NACK = 'GROUP_NACK',
  PING = 'PING',
  PONG = 'PONG',
  JOIN_REQUEST = 'JOIN_REQUEST',
  JOIN_REPLY = 'JOIN_REPLY',
  LEAVE_REQUEST = 'LEAVE_REQUEST',
  LEAVE_REPLY = 'LEAVE_REPLY',
  DISCOVERY_REQUEST = 'DISCOVERY_REQUEST',
  DISCOVERY_REPLY = 'DISCOVERY_REPLY',
  GROUP_CLOSE = 'GROUP_CLOSE',
  MSG_ACK = 'MSG_ACK',
  RTX_REQUEST = 'RTX_REQUEST',
  RTX_REPLY = 'RTX_REPLY'
}

enum __MessageTypeValues {
  MESSAGE_TYPE_UNSPECIFIED = 0,
  MSG = 1,
  GROUP_PROPOSAL = 2,
  GROUP_ADD = 3,
  GROUP_REMOVE = 4,
  GROUP_WELCOME = 5,
  GROUP_ACK = 6,
  GROUP_NACK = 7,
  PING = 8,
  PONG = 9,
  JOIN_REQUEST = 10,
  JOIN_REPLY = 11,
  LEAVE_REQUEST = 12,
  LEAVE_REPLY = 13,
  DISCOVERY_REQUEST = 14,
  DISCOVERY_REPLY = 15,
  GROUP_CLOSE = 16,
  MSG_ACK = 17,
  RTX_REQUEST = 18,
  RTX_REPLY = 19
}

export namespace MessageType {
  export const codec = (): Codec<MessageType> => {
    return enumeration<MessageType>(__MessageTypeValues)
  }
}

export enum DeliveryMode {
  DELIVERY_MODE_UNSPECIFIED = 'DELIVERY_MODE_UNSPECIFIED',
  ANYCAST = 'ANYCAST',
  MULTICAST = 'MULTICAST',
  UNICAST = 'UNICAST'
}

enum __DeliveryModeValues {
  DELIVERY_MODE_UNSPECIFIED = 0,
  ANYCAST = 1,
  MULTICAST = 2,
  UNICAST = 3
}

export namespace DeliveryMode {
  export const codec = (): Codec<DeliveryMode> => {
    return enumeration<DeliveryMode>(__DeliveryModeValues)
  }
}

export interface Envelope {
  type: MessageType
  channelId: string
  messageId: Uint8Array<ArrayBuffer>
  payload: Uint8Array<ArrayBuffer>
  metadata: Map<string, string>
  source: string
  destination: string
  seq: number
  epoch: number
  hopLimit: number
  mode: DeliveryMode
  correlationId: Uint8Array<ArrayBuffer>
  expectsReply: boolean
  noAck: boolean
}

export namespace Envelope {
  export interface Envelope$metadataEntry {
    key: string
    value: string
  }

  export namespace Envelope$metadataEntry {
    let _codec: Codec<Envelope$metadataEntry>

    export const codec = (): Codec<Envelope$metadataEntry> => {
      if (_codec == null) {
        _codec = message<Envelope$metadataEntry>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.key != null && obj.key !== '')) {
            w.uint32(10)
            w.string(obj.key)
          }

          if ((obj.value != null && obj.value !== '')) {
            w.uint32(18)
            w.string(obj.value)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            key: '',
            value: ''
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.key = reader.string()
                break
              }
              case 2: {
                obj.value = reader.string()
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }

          return obj
        }, function * (reader, length, prefix, opts = {}) {
          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                yield {
                  field: `${prefix}.key`,
                  value: reader.string()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.value`,
                  value: reader.string()
                }
                break
              }
              default: {
                reader.skipType(tag & 7)
                break
              }
            }
          }
        })
      }

      return _codec
    }

    export interface Envelope$metadataEntryKeyFieldEvent {
      field: '$.key'
      value: string
    }

    export interface Envelope$metadataEntryValueFieldEvent {
      field: '$.value'
      value: string
    }

    export function encode (obj: Partial<Envelope$metadataEntry>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, Envelope$metadataEntry.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope$metadataEntry>): Envelope$metadataEntry {
      return decodeMessage(buf, Envelope$metadataEntry.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope$metadataEntry>): Generator<Envelope$metadataEntryKeyFieldEvent | Envelope$metadataEntryValueFieldEvent> {
      return streamMessage(buf, Envelope$metadataEntry.codec(), opts)
    }
  }

  let _codec: Codec<Envelope>

  export const codec = (): Codec<Envelope> => {
    if (_codec == null) {
      _codec = message<Envelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __MessageTypeValues[obj.type] !== 0) {
          w.uint32(8)
          MessageType.codec().encode(obj.type, w)
        }

        if ((obj.channelId != null && obj.channelId !== '')) {
          w.uint32(18)
          w.string(obj.channelId)
        }

        if ((obj.messageId != null && obj.messageId.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.messageId)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.payload)
        }

        if (obj.metadata != null && obj.metadata.size > 0) {
          for (const [key, value] of obj.metadata.entries()) {
            w.uint32(42)
            Envelope.Envelope$metadataEntry.codec().encode({ key, value }, w)
          }
        }

        if ((obj.source != null && obj.source !== '')) {
          w.uint32(50)
          w.string(obj.source)
        }

        if ((obj.destination != null && obj.destination !== '')) {
          w.uint32(58)
          w.string(obj.destination)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(64)
          w.uint64Number(obj.seq)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(72)
          w.uint64Number(obj.epoch)
        }

        if ((obj.hopLimit != null && obj.hopLimit !== 0)) {
          w.uint32(80)
          w.uint32(obj.hopLimit)
        }

        if (obj.mode != null && __DeliveryModeValues[obj.mode] !== 0) {
          w.uint32(88)
          DeliveryMode.codec().encode(obj.mode, w)
        }

        if ((obj.correlationId != null && obj.correlationId.byteLength > 0)) {
          w.uint32(98)
          w.bytes(obj.correlationId)
        }

        if ((obj.expectsReply != null && obj.expectsReply !== false)) {
          w.uint32(104)
          w.bool(obj.expectsReply)
        }

        if ((obj.noAck != null && obj.noAck !== false)) {
          w.uint32(112)
          w.bool(obj.noAck)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: MessageType.MESSAGE_TYPE_UNSPECIFIED,
          channelId: '',
          messageId: uint8ArrayAlloc(0),
          payload: uint8ArrayAlloc(0),
          metadata: new Map<string, string>(),
          source: '',
          destination: '',
          seq: 0,
          epoch: 0,
          hopLimit: 0,
          mode: DeliveryMode.DELIVERY_MODE_UNSPECIFIED,
          correlationId: uint8ArrayAlloc(0),
          expectsReply: false,
          noAck: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = MessageType.codec().decode(reader)
              break
            }
            case 2: {
              obj.channelId = reader.string()
              break
            }
            case 3: {
              obj.messageId = reader.bytes()
              break
            }
            case 4: {
              obj.payload = reader.bytes()
              break
            }
            case 5: {
              if (opts.limits?.metadata != null && obj.metadata.size === opts.limits.metadata) {
                throw new MaxSizeError('Decode error - map field "metadata" had too many elements')
              }

              if (obj.metadata.size === 32) {
                throw new MaxSizeError('Decode error - map field "metadata" had too many elements')
              }

              const entry = Envelope.Envelope$metadataEntry.codec().decode(reader, reader.uint32(), {
                limits: {
                  value: opts.limits?.metadata$value
                }
              })
              obj.metadata.set(entry.key, entry.value)
              break
            }
            case 6: {
              obj.source = reader.string()
              break
            }
            case 7: {
              obj.destination = reader.string()
              break
            }
            case 8: {
              obj.seq = reader.uint64Number()
              break
            }
            case 9: {
              obj.epoch = reader.uint64Number()
              break
            }
            case 10: {
              obj.hopLimit = reader.uint32()
              break
            }
            case 11: {
              obj.mode = DeliveryMode.codec().decode(reader)
              break
            }
            case 12: {
              obj.correlationId = reader.bytes()
              break
            }
            case 13: {
              obj.expectsReply = reader.bool()
              break
            }
            case 14: {
              obj.noAck = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          metadata: 32
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: MessageType.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.messageId`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              if (opts.limits?.metadata != null && obj.metadata === opts.limits.metadata) {
                throw new MaxLengthError('Decode error - map field "metadata" had too many elements')
              }

              if (obj.metadata === 32) {
                throw new MaxLengthError('Decode error - repeated field "metadata" had too many elements')
              }

              yield * Envelope.Envelope$metadataEntry.codec().stream(reader, reader.uint32(), `${prefix}.metadata{}`, {
                limits: {
                  value: opts.limits?.metadata$value
                }
              })

              obj.metadata++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.source`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.destination`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64Number()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.hopLimit`,
                value: reader.uint32()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.mode`,
                value: DeliveryMode.codec().decode(reader)
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.correlationId`,
                value: reader.bytes()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.expectsReply`,
                value: reader.bool()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.noAck`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface EnvelopeTypeFieldEvent {
    field: '$.type'
    value: MessageType
  }

  export interface EnvelopeChannelIdFieldEvent {
    field: '$.channelId'
    value: string
  }

  export interface EnvelopeMessageIdFieldEvent {
    field: '$.messageId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopePayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeMetadataFieldEvent {
    field: '$.metadata{}'
    key: string
    value: string
  }

  export interface EnvelopeSourceFieldEvent {
    field: '$.source'
    value: string
  }

  export interface EnvelopeDestinationFieldEvent {
    field: '$.destination'
    value: string
  }

  export interface EnvelopeSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface EnvelopeEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface EnvelopeHopLimitFieldEvent {
    field: '$.hopLimit'
    value: number
  }

  export interface EnvelopeModeFieldEvent {
    field: '$.mode'
    value: DeliveryMode
  }

  export interface EnvelopeCorrelationIdFieldEvent {
    field: '$.correlationId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeExpectsReplyFieldEvent {
    field: '$.expectsReply'
    value: boolean
  }

  export interface EnvelopeNoAckFieldEvent {
    field: '$.noAck'
    value: boolean
  }

  export function encode (obj: Partial<Envelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Envelope {
    return decodeMessage(buf, Envelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Generator<EnvelopeTypeFieldEvent | EnvelopeChannelIdFieldEvent | EnvelopeMessageIdFieldEvent | EnvelopePayloadFieldEvent | EnvelopeMetadataFieldEvent | EnvelopeSourceFieldEvent | EnvelopeDestinationFieldEvent | EnvelopeSeqFieldEvent | EnvelopeEpochFieldEvent | EnvelopeHopLimitFieldEvent | EnvelopeModeFieldEvent | EnvelopeCorrelationIdFieldEvent | EnvelopeExpectsReplyFieldEvent | EnvelopeNoAckFieldEvent> {
    return streamMessage(buf, Envelope.codec(), opts)
  }
}

export interface Hello {
  name: string
  publicKey: Uint8Array<ArrayBuffer>
  version: number
  resumeToken: Uint8Array<ArrayBuffer>
  credential?: string
}

export namespace Hello {
  let _codec: Codec<Hello>

  export const codec = (): Codec<Hello> => {
    if (_codec == null) {
      _codec = message<Hello>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.publicKey != null && obj.publicKey.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.publicKey)
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(24)
          w.uint32(obj.version)
        }

        if ((obj.resumeToken != null && obj.resumeToken.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.resumeToken)
        }

        if (obj.credential != null) {
          w.uint32(42)
          w.string(obj.credential)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          publicKey: uint8ArrayAlloc(0),
          version: 0,
          resumeToken: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.publicKey = reader.bytes()
              break
            }
            case 3: {
              obj.version = reader.uint32()
              break
            }
            case 4: {
              obj.resumeToken = reader.bytes()
              break
            }
            case 5: {
              obj.credential = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.publicKey`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.resumeToken`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.credential`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface HelloNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface HelloPublicKeyFieldEvent {
    field: '$.publicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HelloVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface HelloResumeTokenFieldEvent {
    field: '$.resumeToken'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HelloCredentialFieldEvent {
    field: '$.credential'
    value: string
  }

  export function encode (obj: Partial<Hello>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Hello.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Hello {
    return decodeMessage(buf, Hello.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Generator<HelloNameFieldEvent | HelloPublicKeyFieldEvent | HelloVersionFieldEvent | HelloResumeTokenFieldEvent | HelloCredentialFieldEvent> {
    return streamMessage(buf, Hello.codec(), opts)
  }
}

export interface Challenge {
  nonce: Uint8Array<ArrayBuffer>
  relay: string
}

export namespace Challenge {
  let _codec: Codec<Challenge>

  export const codec = (): Codec<Challenge> => {
    if (_codec == null) {
      _codec = message<Challenge>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.nonce)
        }

        if ((obj.relay != null && obj.relay !== '')) {
          w.uint32(18)
          w.string(obj.relay)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nonce: uint8ArrayAlloc(0),
          relay: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nonce = reader.bytes()
              break
            }
            case 2: {
              obj.relay = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.relay`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChallengeNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChallengeRelayFieldEvent {
    field: '$.relay'
    value: string
  }

  export function encode (obj: Partial<Challenge>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Challenge.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Challenge>): Challenge {
    return decodeMessage(buf, Challenge.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Challenge>): Generator<ChallengeNonceFieldEvent | ChallengeRelayFieldEvent> {
    return streamMessage(buf, Challenge.codec(), opts)
  }
}

export interface Auth {
  signature: Uint8Array<ArrayBuffer>
}

export namespace Auth {
  let _codec: Codec<Auth>

  export const codec = (): Codec<Auth> => {
    if (_codec == null) {
      _codec = message<Auth>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AuthSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Auth>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Auth.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Auth>): Auth {
    return decodeMessage(buf, Auth.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Auth>): Generator<AuthSignatureFieldEvent> {
    return streamMessage(buf, Auth.codec(), opts)
  }
}

export interface Ready {
  name: string
  sessionId: Uint8Array<ArrayBuffer>
  keepaliveMs: number
  resumed: boolean
}

export namespace Ready {
  let _codec: Codec<Ready>

  export const codec = (): Codec<Ready> => {
    if (_codec == null) {
      _codec = message<Ready>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.sessionId != null && obj.sessionId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.sessionId)
        }

        if ((obj.keepaliveMs != null && obj.keepaliveMs !== 0)) {
          w.uint32(24)
          w.uint32(obj.keepaliveMs)
        }

        if ((obj.resumed != null && obj.resumed !== false)) {
          w.uint32(32)
          w.bool(obj.resumed)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          sessionId: uint8ArrayAlloc(0),
          keepaliveMs: 0,
          resumed: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.sessionId = reader.bytes()
              break
            }
            case 3: {
              obj.keepaliveMs = reader.uint32()
              break
            }
            case 4: {
              obj.resumed = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sessionId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.keepaliveMs`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.resumed`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReadyNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ReadySessionIdFieldEvent {
    field: '$.sessionId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadyKeepaliveMsFieldEvent {
    field: '$.keepaliveMs'
    value: number
  }

  export interface ReadyResumedFieldEvent {
    field: '$.resumed'
    value: boolean
  }

  export function encode (obj: Partial<Ready>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ready.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ready>): Ready {
    return decodeMessage(buf, Ready.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ready>): Generator<ReadyNameFieldEvent | ReadySessionIdFieldEvent | ReadyKeepaliveMsFieldEvent | ReadyResumedFieldEvent> {
    return streamMessage(buf, Ready.codec(), opts)
  }
}

export interface Subscribe {
  requestId: number
  name: string
  fromSeq?: number
}

export namespace Subscribe {
  let _codec: Codec<Subscribe>

  export const codec = (): Codec<Subscribe> => {
    if (_codec == null) {
      _codec = message<Subscribe>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== 0)) {
          w.uint32(8)
          w.uint32(obj.requestId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if (obj.fromSeq != null) {
          w.uint32(24)
          w.uint64Number(obj.fromSeq)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: 0,
          name: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.uint32()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.fromSeq = reader.uint64Number()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.fromSeq`,
                value: reader.uint64Number()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SubscribeRequestIdFieldEvent {
    field: '$.requestId'
    value: number
  }

  export interface SubscribeNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface SubscribeFromSeqFieldEvent {
    field: '$.fromSeq'
    value: number
  }

  export function encode (obj: Partial<Subscribe>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Subscribe.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Subscribe>): Subscribe {
    return decodeMessage(buf, Subscribe.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Subscribe>): Generator<SubscribeRequestIdFieldEvent | SubscribeNameFieldEvent | SubscribeFromSeqFieldEvent> {
    return streamMessage(buf, Subscribe.codec(), opts)
  }
}

export interface Subscribed {
  requestId: number
  name: string
  nextSeq: number
  code: number
  reason: string
}

export namespace Subscribed {
  let _codec: Codec<Subscribed>

  export const codec = (): Codec<Subscribed> => {
    if (_codec == null) {
      _codec = message<Subscribed>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== 0)) {
          w.uint32(8)
          w.uint32(obj.requestId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if ((obj.nextSeq != null && obj.nextSeq !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.nextSeq)
        }

        if ((obj.code != null && obj.code !== 0)) {
          w.uint32(32)
          w.uint32(obj.code)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(42)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: 0,
          name: '',
          nextSeq: 0,
          code: 0,
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.uint32()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.nextSeq = reader.uint64Number()
              break
            }
            case 4: {
              obj.code = reader.uint32()
              break
            }
            case 5: {
              obj.reason = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.nextSeq`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.code`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SubscribedRequestIdFieldEvent {
    field: '$.requestId'
    value: number
  }

  export interface SubscribedNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface SubscribedNextSeqFieldEvent {
    field: '$.nextSeq'
    value: number
  }

  export interface SubscribedCodeFieldEvent {
    field: '$.code'
    value: number
  }

  export interface SubscribedReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<Subscribed>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Subscribed.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Subscribed>): Subscribed {
    return decodeMessage(buf, Subscribed.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Subscribed>): Generator<SubscribedRequestIdFieldEvent | SubscribedNameFieldEvent | SubscribedNextSeqFieldEvent | SubscribedCodeFieldEvent | SubscribedReasonFieldEvent> {
    return streamMessage(buf, Subscribed.codec(), opts)
  }
}

export interface Unsubscribe {
  requestId: number
  name: string
}

export namespace Unsubscribe {
  let _codec: Codec<Unsubscribe>

  export const codec = (): Codec<Unsubscribe> => {
    if (_codec == null) {
      _codec = message<Unsubscribe>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== 0)) {
          w.uint32(8)
          w.uint32(obj.requestId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: 0,
          name: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.uint32()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface UnsubscribeRequestIdFieldEvent {
    field: '$.requestId'
    value: number
  }

  export interface UnsubscribeNameFieldEvent {
    field: '$.name'
    value: string
  }

  export function encode (obj: Partial<Unsubscribe>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Unsubscribe.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Unsubscribe>): Unsubscribe {
    return decodeMessage(buf, Unsubscribe.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Unsubscribe>): Generator<UnsubscribeRequestIdFieldEvent | UnsubscribeNameFieldEvent> {
    return streamMessage(buf, Unsubscribe.codec(), opts)
  }
}

export interface Ack {
  messageId: Uint8Array<ArrayBuffer>
  seq: number
  code: number
  reason: string
  epoch: number
}

export namespace Ack {
  let _codec: Codec<Ack>

  export const codec = (): Codec<Ack> => {
    if (_codec == null) {
      _codec = message<Ack>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.messageId != null && obj.messageId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.messageId)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.seq)
        }

        if ((obj.code != null && obj.code !== 0)) {
          w.uint32(24)
          w.uint32(obj.code)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(34)
          w.string(obj.reason)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.epoch)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          messageId: uint8ArrayAlloc(0),
          seq: 0,
          code: 0,
          reason: '',
          epoch: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.messageId = reader.bytes()
              break
            }
            case 2: {
              obj.seq = reader.uint64Number()
              break
            }
            case 3: {
              obj.code = reader.uint32()
              break
            }
            case 4: {
              obj.reason = reader.string()
              break
            }
            case 5: {
              obj.epoch = reader.uint64Number()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.messageId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.code`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AckMessageIdFieldEvent {
    field: '$.messageId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AckSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface AckCodeFieldEvent {
    field: '$.code'
    value: number
  }

  export interface AckReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface AckEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export function encode (obj: Partial<Ack>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ack.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Ack {
    return decodeMessage(buf, Ack.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Generator<AckMessageIdFieldEvent | AckSeqFieldEvent | AckCodeFieldEvent | AckReasonFieldEvent | AckEpochFieldEvent> {
    return streamMessage(buf, Ack.codec(), opts)
  }
}

export interface Fault {
  code: number
  reason: string
  fatal: boolean
}

export namespace Fault {
  let _codec: Codec<Fault>

  export const codec = (): Codec<Fault> => {
    if (_codec == null) {
      _codec = message<Fault>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.code != null && obj.code !== 0)) {
          w.uint32(8)
          w.uint32(obj.code)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(18)
          w.string(obj.reason)
        }

        if ((obj.fatal != null && obj.fatal !== false)) {
          w.uint32(24)
          w.bool(obj.fatal)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          code: 0,
          reason: '',
          fatal: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.code = reader.uint32()
              break
            }
            case 2: {
              obj.reason = reader.string()
              break
            }
            case 3: {
              obj.fatal = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.code`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.fatal`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FaultCodeFieldEvent {
    field: '$.code'
    value: number
  }

  export interface FaultReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface FaultFatalFieldEvent {
    field: '$.fatal'
    value: boolean
  }

  export function encode (obj: Partial<Fault>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Fault.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Fault>): Fault {
    return decodeMessage(buf, Fault.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Fault>): Generator<FaultCodeFieldEvent | FaultReasonFieldEvent | FaultFatalFieldEvent> {
    return streamMessage(buf, Fault.codec(), opts)
  }
}

export interface Close {
  reason: string
}

export namespace Close {
  let _codec: Codec<Close>

  export const codec = (): Codec<Close> => {
    if (_codec == null) {
      _codec = message<Close>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(10)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.reason = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CloseReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<Close>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Close.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Close>): Close {
    return decodeMessage(buf, Close.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Close>): Generator<CloseReasonFieldEvent> {
    return streamMessage(buf, Close.codec(), opts)
  }
}

export interface SessionFrame {
  hello?: Hello
  challenge?: Challenge
  auth?: Auth
  ready?: Ready
  messages: Envelope[]
  subscribe?: Subscribe
  subscribed?: Subscribed
  unsubscribe?: Unsubscribe
  acks: Ack[]
  fault?: Fault
  close?: Close
  revocations: string[]
}

export namespace SessionFrame {
  let _codec: Codec<SessionFrame>

  export const codec = (): Codec<SessionFrame> => {
    if (_codec == null) {
      _codec = message<SessionFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.hello != null) {
          w.uint32(10)
          Hello.codec().encode(obj.hello, w)
        }

        if (obj.challenge != null) {
          w.uint32(18)
          Challenge.codec().encode(obj.challenge, w)
        }

        if (obj.auth != null) {
          w.uint32(26)
          Auth.codec().encode(obj.auth, w)
        }

        if (obj.ready != null) {
          w.uint32(34)
          Ready.codec().encode(obj.ready, w)
        }

        if (obj.messages != null && obj.messages.length > 0) {
          for (const value of obj.messages) {
            w.uint32(42)
            Envelope.codec().encode(value, w)
          }
        }

        if (obj.subscribe != null) {
          w.uint32(50)
          Subscribe.codec().encode(obj.subscribe, w)
        }

        if (obj.subscribed != null) {
          w.uint32(58)
          Subscribed.codec().encode(obj.subscribed, w)
        }

        if (obj.unsubscribe != null) {
          w.uint32(66)
          Unsubscribe.codec().encode(obj.unsubscribe, w)
        }

        if (obj.acks != null && obj.acks.length > 0) {
          for (const value of obj.acks) {
            w.uint32(74)
            Ack.codec().encode(value, w)
          }
        }

        if (obj.fault != null) {
          w.uint32(82)
          Fault.codec().encode(obj.fault, w)
        }

        if (obj.close != null) {
          w.uint32(90)
          Close.codec().encode(obj.close, w)
        }

        if (obj.revocations != null && obj.revocations.length > 0) {
          for (const value of obj.revocations) {
            w.uint32(98)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          messages: [],
          acks: [],
          revocations: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.hello = Hello.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.hello
              })
              break
            }
            case 2: {
              obj.challenge = Challenge.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.challenge
              })
              break
            }
            case 3: {
              obj.auth = Auth.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.auth
              })
              break
            }
            case 4: {
              obj.ready = Ready.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ready
              })
              break
            }
            case 5: {
              if (opts.limits?.messages != null && obj.messages.length === opts.limits.messages) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              if (obj.messages.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              obj.messages.push(Envelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.messages$
              }))
              break
            }
            case 6: {
              obj.subscribe = Subscribe.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.subscribe
              })
              break
            }
            case 7: {
              obj.subscribed = Subscribed.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.subscribed
              })
              break
            }
            case 8: {
              obj.unsubscribe = Unsubscribe.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.unsubscribe
              })
              break
            }
            case 9: {
              if (opts.limits?.acks != null && obj.acks.length === opts.limits.acks) {
                throw new MaxLengthError('Decode error - repeated field "acks" had too many elements')
              }

              if (obj.acks.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "acks" had too many elements')
              }

              obj.acks.push(Ack.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.acks$
              }))
              break
            }
            case 10: {
              obj.fault = Fault.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.fault
              })
              break
            }
            case 11: {
              obj.close = Close.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.close
              })
              break
            }
            case 12: {
              if (opts.limits?.revocations != null && obj.revocations.length === opts.limits.revocations) {
                throw new MaxLengthError('Decode error - repeated field "revocations" had too many elements')
              }

              if (obj.revocations.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "revocations" had too many elements')
              }

              obj.revocations.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          messages: 4096,
          acks: 4096,
          revocations: 4096
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Hello.codec().stream(reader, reader.uint32(), `${prefix}.hello`, {
                limits: opts.limits?.hello
              })

              break
            }
            case 2: {
              yield * Challenge.codec().stream(reader, reader.uint32(), `${prefix}.challenge`, {
                limits: opts.limits?.challenge
              })

              break
            }
            case 3: {
              yield * Auth.codec().stream(reader, reader.uint32(), `${prefix}.auth`, {
                limits: opts.limits?.auth
              })

              break
            }
            case 4: {
              yield * Ready.codec().stream(reader, reader.uint32(), `${prefix}.ready`, {
                limits: opts.limits?.ready
              })

              break
            }
            case 5: {
              if (opts.limits?.messages != null && obj.messages === opts.limits.messages) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              if (obj.messages === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              for (const evt of Envelope.codec().stream(reader, reader.uint32(), `${prefix}.messages[]`, {
                limits: opts.limits?.messages$
              })) {
                yield {
                  ...evt,
                  index: obj.messages
                }
              }

              obj.messages++

              break
            }
            case 6: {
              yield * Subscribe.codec().stream(reader, reader.uint32(), `${prefix}.subscribe`, {
                limits: opts.limits?.subscribe
              })

              break
            }
            case 7: {
              yield * Subscribed.codec().stream(reader, reader.uint32(), `${prefix}.subscribed`, {
                limits: opts.limits?.subscribed
              })

              break
            }
            case 8: {
              yield * Unsubscribe.codec().stream(reader, reader.uint32(), `${prefix}.unsubscribe`, {
                limits: opts.limits?.unsubscribe
              })

              break
            }
            case 9: {
              if (opts.limits?.acks != null && obj.acks === opts.limits.acks) {
                throw new MaxLengthError('Streaming decode error - repeated field "acks" had too many elements')
              }

              if (obj.acks === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "acks" had too many elements')
              }

              for (const evt of Ack.codec().stream(reader, reader.uint32(), `${prefix}.acks[]`, {
                limits: opts.limits?.acks$
              })) {
                yield {
                  ...evt,
                  index: obj.acks
                }
              }

              obj.acks++

              break
            }
            case 10: {
              yield * Fault.codec().stream(reader, reader.uint32(), `${prefix}.fault`, {
                limits: opts.limits?.fault
              })

              break
            }
            case 11: {
              yield * Close.codec().stream(reader, reader.uint32(), `${prefix}.close`, {
                limits: opts.limits?.close
              })

              break
            }
            case 12: {
              if (opts.limits?.revocations != null && obj.revocations === opts.limits.revocations) {
                throw new MaxLengthError('Streaming decode error - repeated field "revocations" had too many elements')
              }

              if (obj.revocations === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "revocations" had too many elements')
              }

              yield {
                field: `${prefix}.revocations[]`,
                index: obj.revocations,
                value: reader.string()
              }

              obj.revocations++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SessionFrameHelloNameFieldEvent {
    field: '$.hello.name'
    value: string
  }

  export interface SessionFrameHelloPublicKeyFieldEvent {
    field: '$.hello.publicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameHelloVersionFieldEvent {
    field: '$.hello.version'
    value: number
  }

  export interface SessionFrameHelloResumeTokenFieldEvent {
    field: '$.hello.resumeToken'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameHelloCredentialFieldEvent {
    field: '$.hello.credential'
    value: string
  }

  export interface SessionFrameChallengeNonceFieldEvent {
    field: '$.challenge.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameChallengeRelayFieldEvent {
    field: '$.challenge.relay'
    value: string
  }

  export interface SessionFrameAuthSignatureFieldEvent {
    field: '$.auth.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameReadyNameFieldEvent {
    field: '$.ready.name'
    value: string
  }

  export interface SessionFrameReadySessionIdFieldEvent {
    field: '$.ready.sessionId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SessionFrameReadyKeepaliveMsFieldEvent {
    field: '$.ready.keepaliveMs'
    value: number
  }

  export interface SessionFrameReadyResumedFieldEvent {
    field: '$.ready.resumed'
    value: boolean
  }

  export interface SessionFrameMessagesTypeFieldEvent {
    field: '$.messages[].type'
    value: MessageType
    index: number
  }

  export interface SessionFrameMessagesChannelIdFieldEvent {
    field: '$.messages[].channelId'
    value: string
    index: number
  }

  export interface SessionFrameMessagesMessageIdFieldEvent {
    field: '$.messages[].messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SessionFrameMessagesPayloadFieldEvent {
    field: '$.messages[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SessionFrameMessagesMetadataFieldEvent {
    field: '$.messages[].metadata{}'
    key: string
    value: string
    index: number
  }

  export interface SessionFrameMessagesSourceFieldEvent {
    field: '$.messages[].source'
    value: string
    index: number
  }

  export interface SessionFrameMessagesDestinationFieldEvent {
    field: '$.messages[].destination'
    value: string
    index: number
  }

  export interface SessionFrameMessagesSeqFieldEvent {
    field: '$.messages[].seq'
    value: number
    index: number
  }

  export interface SessionFrameMessagesEpochFieldEvent {
    field: '$.messages[].epoch'
    value: number
    index: number
  }

  export interface SessionFrameMessagesHopLimitFieldEvent {
    field: '$.messages[].hopLimit'
    value: number
    index: number
  }

  export interface SessionFrameMessagesModeFieldEvent {
    field: '$.messages[].mode'
    value: DeliveryMode
    index: number
  }

  export interface SessionFrameMessagesCorrelationIdFieldEvent {
    field: '$.messages[].correlationId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SessionFrameMessagesExpectsReplyFieldEvent {
    field: '$.messages[].expectsReply'
    value: boolean
    index: number
  }

  export interface SessionFrameMessagesNoAckFieldEvent {
    field: '$.messages[].noAck'
    value: boolean
    index: number
  }

  export interface SessionFrameSubscribeRequestIdFieldEvent {
    field: '$.subscribe.requestId'
    value: number
  }

  export interface SessionFrameSubscribeNameFieldEvent {
    field: '$.subscribe.name'
    value: string
  }

  export interface SessionFrameSubscribeFromSeqFieldEvent {
    field: '$.subscribe.fromSeq'
    value: number
  }

  export interface SessionFrameSubscribedRequestIdFieldEvent {
    field: '$.subscribed.requestId'
    value: number
  }

  export interface SessionFrameSubscribedNameFieldEvent {
    field: '$.subscribed.name'
    value: string
  }

  export interface SessionFrameSubscribedNextSeqFieldEvent {
    field: '$.subscribed.nextSeq'
    value: number
  }

  export interface SessionFrameSubscribedCodeFieldEvent {
    field: '$.subscribed.code'
    value: number
  }

  export interface SessionFrameSubscribedReasonFieldEvent {
    field: '$.subscribed.reason'
    value: string
  }

  export interface SessionFrameUnsubscribeRequestIdFieldEvent {
    field: '$.unsubscribe.requestId'
    value: number
  }

  export interface SessionFrameUnsubscribeNameFieldEvent {
    field: '$.unsubscribe.name'
    value: string
  }

  export interface SessionFrameAcksMessageIdFieldEvent {
    field: '$.acks[].messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SessionFrameAcksSeqFieldEvent {
    field: '$.acks[].seq'
    value: number
    index: number
  }

  export interface SessionFrameAcksCodeFieldEvent {
    field: '$.acks[].code'
    value: number
    index: number
  }

  export interface SessionFrameAcksReasonFieldEvent {
    field: '$.acks[].reason'
    value: string
    index: number
  }

  export interface SessionFrameAcksEpochFieldEvent {
    field: '$.acks[].epoch'
    value: number
    index: number
  }

  export interface SessionFrameFaultCodeFieldEvent {
    field: '$.fault.code'
    value: number
  }

  export interface SessionFrameFaultReasonFieldEvent {
    field: '$.fault.reason'
    value: string
  }

  export interface SessionFrameFaultFatalFieldEvent {
    field: '$.fault.fatal'
    value: boolean
  }

  export interface SessionFrameCloseReasonFieldEvent {
    field: '$.close.reason'
    value: string
  }

  export interface SessionFrameRevocationsFieldEvent {
    field: '$.revocations[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<SessionFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SessionFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SessionFrame>): SessionFrame {
    return decodeMessage(buf, SessionFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SessionFrame>): Generator<SessionFrameHelloNameFieldEvent | SessionFrameHelloPublicKeyFieldEvent | SessionFrameHelloVersionFieldEvent | SessionFrameHelloResumeTokenFieldEvent | SessionFrameHelloCredentialFieldEvent | SessionFrameChallengeNonceFieldEvent | SessionFrameChallengeRelayFieldEvent | SessionFrameAuthSignatureFieldEvent | SessionFrameReadyNameFieldEvent | SessionFrameReadySessionIdFieldEvent | SessionFrameReadyKeepaliveMsFieldEvent | SessionFrameReadyResumedFieldEvent | SessionFrameMessagesTypeFieldEvent | SessionFrameMessagesChannelIdFieldEvent | SessionFrameMessagesMessageIdFieldEvent | SessionFrameMessagesPayloadFieldEvent | SessionFrameMessagesMetadataFieldEvent | SessionFrameMessagesSourceFieldEvent | SessionFrameMessagesDestinationFieldEvent | SessionFrameMessagesSeqFieldEvent | SessionFrameMessagesEpochFieldEvent | SessionFrameMessagesHopLimitFieldEvent | SessionFrameMessagesModeFieldEvent | SessionFrameMessagesCorrelationIdFieldEvent | SessionFrameMessagesExpectsReplyFieldEvent | SessionFrameMessagesNoAckFieldEvent | SessionFrameSubscribeRequestIdFieldEvent | SessionFrameSubscribeNameFieldEvent | SessionFrameSubscribeFromSeqFieldEvent | SessionFrameSubscribedRequestIdFieldEvent | SessionFrameSubscribedNameFieldEvent | SessionFrameSubscribedNextSeqFieldEvent | SessionFrameSubscribedCodeFieldEvent | SessionFrameSubscribedReasonFieldEvent | SessionFrameUnsubscribeRequestIdFieldEvent | SessionFrameUnsubscribeNameFieldEvent | SessionFrameAcksMessageIdFieldEvent | SessionFrameAcksSeqFieldEvent | SessionFrameAcksCodeFieldEvent | SessionFrameAcksReasonFieldEvent | SessionFrameAcksEpochFieldEvent | SessionFrameFaultCodeFieldEvent | SessionFrameFaultReasonFieldEvent | SessionFrameFaultFatalFieldEvent | SessionFrameCloseReasonFieldEvent | SessionFrameRevocationsFieldEvent> {
    return streamMessage(buf, SessionFrame.codec(), opts)
  }
}

export interface NameRoute {
  name: string
  instances: string[]
  sequencerSince: number
  reachable: string[]
  sequencerTerm: number
  replicas: string[]
}

export namespace NameRoute {
  let _codec: Codec<NameRoute>

  export const codec = (): Codec<NameRoute> => {
    if (_codec == null) {
      _codec = message<NameRoute>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if (obj.instances != null && obj.instances.length > 0) {
          for (const value of obj.instances) {
            w.uint32(18)
            w.string(value)
          }
        }

        if ((obj.sequencerSince != null && obj.sequencerSince !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.sequencerSince)
        }

        if (obj.reachable != null && obj.reachable.length > 0) {
          for (const value of obj.reachable) {
            w.uint32(34)
            w.string(value)
          }
        }

        if ((obj.sequencerTerm != null && obj.sequencerTerm !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.sequencerTerm)
        }

        if (obj.replicas != null && obj.replicas.length > 0) {
          for (const value of obj.replicas) {
            w.uint32(50)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          instances: [],
          sequencerSince: 0,
          reachable: [],
          sequencerTerm: 0,
          replicas: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              if (opts.limits?.instances != null && obj.instances.length === opts.limits.instances) {
                throw new MaxLengthError('Decode error - repeated field "instances" had too many elements')
              }

              if (obj.instances.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "instances" had too many elements')
              }

              obj.instances.push(reader.string())
              break
            }
            case 3: {
              obj.sequencerSince = reader.uint64Number()
              break
            }
            case 4: {
              if (opts.limits?.reachable != null && obj.reachable.length === opts.limits.reachable) {
                throw new MaxLengthError('Decode error - repeated field "reachable" had too many elements')
              }

              if (obj.reachable.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "reachable" had too many elements')
              }

              obj.reachable.push(reader.string())
              break
            }
            case 5: {
              obj.sequencerTerm = reader.uint64Number()
              break
            }
            case 6: {
              if (opts.limits?.replicas != null && obj.replicas.length === opts.limits.replicas) {
                throw new MaxLengthError('Decode error - repeated field "replicas" had too many elements')
              }

              if (obj.replicas.length === 16) {
                throw new MaxLengthError('Decode error - repeated field "replicas" had too many elements')
              }

              obj.replicas.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          instances: 4096,
          reachable: 4096,
          replicas: 16
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              if (opts.limits?.instances != null && obj.instances === opts.limits.instances) {
                throw new MaxLengthError('Streaming decode error - repeated field "instances" had too many elements')
              }

              if (obj.instances === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "instances" had too many elements')
              }

              yield {
                field: `${prefix}.instances[]`,
                index: obj.instances,
                value: reader.string()
              }

              obj.instances++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.sequencerSince`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              if (opts.limits?.reachable != null && obj.reachable === opts.limits.reachable) {
                throw new MaxLengthError('Streaming decode error - repeated field "reachable" had too many elements')
              }

              if (obj.reachable === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "reachable" had too many elements')
              }

              yield {
                field: `${prefix}.reachable[]`,
                index: obj.reachable,
                value: reader.string()
              }

              obj.reachable++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.sequencerTerm`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              if (opts.limits?.replicas != null && obj.replicas === opts.limits.replicas) {
                throw new MaxLengthError('Streaming decode error - repeated field "replicas" had too many elements')
              }

              if (obj.replicas === 16) {
                throw new MaxLengthError('Streaming decode error - repeated field "replicas" had too many elements')
              }

              yield {
                field: `${prefix}.replicas[]`,
                index: obj.replicas,
                value: reader.string()
              }

              obj.replicas++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface NameRouteNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface NameRouteInstancesFieldEvent {
    field: '$.instances[]'
    index: number
    value: string
  }

  export interface NameRouteSequencerSinceFieldEvent {
    field: '$.sequencerSince'
    value: number
  }

  export interface NameRouteReachableFieldEvent {
    field: '$.reachable[]'
    index: number
    value: string
  }

  export interface NameRouteSequencerTermFieldEvent {
    field: '$.sequencerTerm'
    value: number
  }

  export interface NameRouteReplicasFieldEvent {
    field: '$.replicas[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<NameRoute>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NameRoute.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NameRoute>): NameRoute {
    return decodeMessage(buf, NameRoute.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NameRoute>): Generator<NameRouteNameFieldEvent | NameRouteInstancesFieldEvent | NameRouteSequencerSinceFieldEvent | NameRouteReachableFieldEvent | NameRouteSequencerTermFieldEvent | NameRouteReplicasFieldEvent> {
    return streamMessage(buf, NameRoute.codec(), opts)
  }
}

export interface RouteAnnouncement {
  origin: string
  version: number
  hops: number
  hopLimit: number
  ttlMs: number
  names: NameRoute[]
  addrs: string[]
  withdrawn: boolean
  piece: number
  pieces: number
}

export namespace RouteAnnouncement {
  let _codec: Codec<RouteAnnouncement>

  export const codec = (): Codec<RouteAnnouncement> => {
    if (_codec == null) {
      _codec = message<RouteAnnouncement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.origin != null && obj.origin !== '')) {
          w.uint32(10)
          w.string(obj.origin)
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.version)
        }

        if ((obj.hops != null && obj.hops !== 0)) {
          w.uint32(24)
          w.uint32(obj.hops)
        }

        if ((obj.hopLimit != null && obj.hopLimit !== 0)) {
          w.uint32(32)
          w.uint32(obj.hopLimit)
        }

        if ((obj.ttlMs != null && obj.ttlMs !== 0)) {
          w.uint32(40)
          w.uint32(obj.ttlMs)
        }

        if (obj.names != null && obj.names.length > 0) {
          for (const value of obj.names) {
            w.uint32(50)
            NameRoute.codec().encode(value, w)
          }
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(58)
            w.string(value)
          }
        }

        if ((obj.withdrawn != null && obj.withdrawn !== false)) {
          w.uint32(64)
          w.bool(obj.withdrawn)
        }

        if ((obj.piece != null && obj.piece !== 0)) {
          w.uint32(72)
          w.uint32(obj.piece)
        }

        if ((obj.pieces != null && obj.pieces !== 0)) {
          w.uint32(80)
          w.uint32(obj.pieces)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          origin: '',
          version: 0,
          hops: 0,
          hopLimit: 0,
          ttlMs: 0,
          names: [],
          addrs: [],
          withdrawn: false,
          piece: 0,
          pieces: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.origin = reader.string()
              break
            }
            case 2: {
              obj.version = reader.uint64Number()
              break
            }
            case 3: {
              obj.hops = reader.uint32()
              break
            }
            case 4: {
              obj.hopLimit = reader.uint32()
              break
            }
            case 5: {
              obj.ttlMs = reader.uint32()
              break
            }
            case 6: {
              if (opts.limits?.names != null && obj.names.length === opts.limits.names) {
                throw new MaxLengthError('Decode error - repeated field "names" had too many elements')
              }

              if (obj.names.length === 10000) {
                throw new MaxLengthError('Decode error - repeated field "names" had too many elements')
              }

              obj.names.push(NameRoute.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.names$
              }))
              break
            }
            case 7: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              if (obj.addrs.length === 32) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 8: {
              obj.withdrawn = reader.bool()
              break
            }
            case 9: {
              obj.piece = reader.uint32()
              break
            }
            case 10: {
              obj.pieces = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          names: 10000,
          addrs: 32
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.origin`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.hops`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.hopLimit`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.ttlMs`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              if (opts.limits?.names != null && obj.names === opts.limits.names) {
                throw new MaxLengthError('Streaming decode error - repeated field "names" had too many elements')
              }

              if (obj.names === 10000) {
                throw new MaxLengthError('Streaming decode error - repeated field "names" had too many elements')
              }

              for (const evt of NameRoute.codec().stream(reader, reader.uint32(), `${prefix}.names[]`, {
                limits: opts.limits?.names$
              })) {
                yield {
                  ...evt,
                  index: obj.names
                }
              }

              obj.names++

              break
            }
            case 7: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              if (obj.addrs === 32) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.string()
              }

              obj.addrs++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.withdrawn`,
                value: reader.bool()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.piece`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.pieces`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RouteAnnouncementOriginFieldEvent {
    field: '$.origin'
    value: string
  }

  export interface RouteAnnouncementVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface RouteAnnouncementHopsFieldEvent {
    field: '$.hops'
    value: number
  }

  export interface RouteAnnouncementHopLimitFieldEvent {
    field: '$.hopLimit'
    value: number
  }

  export interface RouteAnnouncementTtlMsFieldEvent {
    field: '$.ttlMs'
    value: number
  }

  export interface RouteAnnouncementNamesNameFieldEvent {
    field: '$.names[].name'
    value: string
    index: number
  }

  export interface RouteAnnouncementNamesInstancesFieldEvent {
    field: '$.names[].instances[]'
    index: number
    value: string
  }

  export interface RouteAnnouncementNamesSequencerSinceFieldEvent {
    field: '$.names[].sequencerSince'
    value: number
    index: number
  }

  export interface RouteAnnouncementNamesReachableFieldEvent {
    field: '$.names[].reachable[]'
    index: number
    value: string
  }

  export interface RouteAnnouncementNamesSequencerTermFieldEvent {
    field: '$.names[].sequencerTerm'
    value: number
    index: number
  }

  export interface RouteAnnouncementNamesReplicasFieldEvent {
    field: '$.names[].replicas[]'
    index: number
    value: string
  }

  export interface RouteAnnouncementAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface RouteAnnouncementWithdrawnFieldEvent {
    field: '$.withdrawn'
    value: boolean
  }

  export interface RouteAnnouncementPieceFieldEvent {
    field: '$.piece'
    value: number
  }

  export interface RouteAnnouncementPiecesFieldEvent {
    field: '$.pieces'
    value: number
  }

  export function encode (obj: Partial<RouteAnnouncement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RouteAnnouncement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RouteAnnouncement>): RouteAnnouncement {
    return decodeMessage(buf, RouteAnnouncement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RouteAnnouncement>): Generator<RouteAnnouncementOriginFieldEvent | RouteAnnouncementVersionFieldEvent | RouteAnnouncementHopsFieldEvent | RouteAnnouncementHopLimitFieldEvent | RouteAnnouncementTtlMsFieldEvent | RouteAnnouncementNamesNameFieldEvent | RouteAnnouncementNamesInstancesFieldEvent | RouteAnnouncementNamesSequencerSinceFieldEvent | RouteAnnouncementNamesReachableFieldEvent | RouteAnnouncementNamesSequencerTermFieldEvent | RouteAnnouncementNamesReplicasFieldEvent | RouteAnnouncementAddrsFieldEvent | RouteAnnouncementWithdrawnFieldEvent | RouteAnnouncementPieceFieldEvent | RouteAnnouncementPiecesFieldEvent> {
    return streamMessage(buf, RouteAnnouncement.codec(), opts)
  }
}

export interface RelayAck {
  messageId: Uint8Array<ArrayBuffer>
  seq: number
  code: number
  reason: string
  agent: string
  epoch: number
}

export namespace RelayAck {
  let _codec: Codec<RelayAck>

  export const codec = (): Codec<RelayAck> => {
    if (_codec == null) {
      _codec = message<RelayAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.messageId != null && obj.messageId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.messageId)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.seq)
        }

        if ((obj.code != null && obj.code !== 0)) {
          w.uint32(24)
          w.uint32(obj.code)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(34)
          w.string(obj.reason)
        }

        if ((obj.agent != null && obj.agent !== '')) {
          w.uint32(42)
          w.string(obj.agent)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.epoch)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          messageId: uint8ArrayAlloc(0),
          seq: 0,
          code: 0,
          reason: '',
          agent: '',
          epoch: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.messageId = reader.bytes()
              break
            }
            case 2: {
              obj.seq = reader.uint64Number()
              break
            }
            case 3: {
              obj.code = reader.uint32()
              break
            }
            case 4: {
              obj.reason = reader.string()
              break
            }
            case 5: {
              obj.agent = reader.string()
              break
            }
            case 6: {
              obj.epoch = reader.uint64Number()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.messageId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.code`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.agent`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RelayAckMessageIdFieldEvent {
    field: '$.messageId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RelayAckSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface RelayAckCodeFieldEvent {
    field: '$.code'
    value: number
  }

  export interface RelayAckReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface RelayAckAgentFieldEvent {
    field: '$.agent'
    value: string
  }

  export interface RelayAckEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export function encode (obj: Partial<RelayAck>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RelayAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayAck>): RelayAck {
    return decodeMessage(buf, RelayAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayAck>): Generator<RelayAckMessageIdFieldEvent | RelayAckSeqFieldEvent | RelayAckCodeFieldEvent | RelayAckReasonFieldEvent | RelayAckAgentFieldEvent | RelayAckEpochFieldEvent> {
    return streamMessage(buf, RelayAck.codec(), opts)
  }
}

export interface FetchRequest {
  requestId: number
  name: string
  fromSeq: number
  limit: number
}

export namespace FetchRequest {
  let _codec: Codec<FetchRequest>

  export const codec = (): Codec<FetchRequest> => {
    if (_codec == null) {
      _codec = message<FetchRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== 0)) {
          w.uint32(8)
          w.uint32(obj.requestId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if ((obj.fromSeq != null && obj.fromSeq !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.fromSeq)
        }

        if ((obj.limit != null && obj.limit !== 0)) {
          w.uint32(32)
          w.uint32(obj.limit)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: 0,
          name: '',
          fromSeq: 0,
          limit: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.uint32()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.fromSeq = reader.uint64Number()
              break
            }
            case 4: {
              obj.limit = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.fromSeq`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.limit`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FetchRequestRequestIdFieldEvent {
    field: '$.requestId'
    value: number
  }

  export interface FetchRequestNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface FetchRequestFromSeqFieldEvent {
    field: '$.fromSeq'
    value: number
  }

  export interface FetchRequestLimitFieldEvent {
    field: '$.limit'
    value: number
  }

  export function encode (obj: Partial<FetchRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): FetchRequest {
    return decodeMessage(buf, FetchRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): Generator<FetchRequestRequestIdFieldEvent | FetchRequestNameFieldEvent | FetchRequestFromSeqFieldEvent | FetchRequestLimitFieldEvent> {
    return streamMessage(buf, FetchRequest.codec(), opts)
  }
}

export interface FetchReply {
  requestId: number
  name: string
  head: number
  messages: Envelope[]
  code: number
  reason: string
  first: number
}

export namespace FetchReply {
  let _codec: Codec<FetchReply>

  export const codec = (): Codec<FetchReply> => {
    if (_codec == null) {
      _codec = message<FetchReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== 0)) {
          w.uint32(8)
          w.uint32(obj.requestId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if ((obj.head != null && obj.head !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.head)
        }

        if (obj.messages != null && obj.messages.length > 0) {
          for (const value of obj.messages) {
            w.uint32(34)
            Envelope.codec().encode(value, w)
          }
        }

        if ((obj.code != null && obj.code !== 0)) {
          w.uint32(40)
          w.uint32(obj.code)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(50)
          w.string(obj.reason)
        }

        if ((obj.first != null && obj.first !== 0)) {
          w.uint32(56)
          w.uint64Number(obj.first)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: 0,
          name: '',
          head: 0,
          messages: [],
          code: 0,
          reason: '',
          first: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.uint32()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.head = reader.uint64Number()
              break
            }
            case 4: {
              if (opts.limits?.messages != null && obj.messages.length === opts.limits.messages) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              if (obj.messages.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              obj.messages.push(Envelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.messages$
              }))
              break
            }
            case 5: {
              obj.code = reader.uint32()
              break
            }
            case 6: {
              obj.reason = reader.string()
              break
            }
            case 7: {
              obj.first = reader.uint64Number()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          messages: 4096
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.head`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              if (opts.limits?.messages != null && obj.messages === opts.limits.messages) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              if (obj.messages === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              for (const evt of Envelope.codec().stream(reader, reader.uint32(), `${prefix}.messages[]`, {
                limits: opts.limits?.messages$
              })) {
                yield {
                  ...evt,
                  index: obj.messages
                }
              }

              obj.messages++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.code`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.first`,
                value: reader.uint64Number()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FetchReplyRequestIdFieldEvent {
    field: '$.requestId'
    value: number
  }

  export interface FetchReplyNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface FetchReplyHeadFieldEvent {
    field: '$.head'
    value: number
  }

  export interface FetchReplyMessagesTypeFieldEvent {
    field: '$.messages[].type'
    value: MessageType
    index: number
  }

  export interface FetchReplyMessagesChannelIdFieldEvent {
    field: '$.messages[].channelId'
    value: string
    index: number
  }

  export interface FetchReplyMessagesMessageIdFieldEvent {
    field: '$.messages[].messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface FetchReplyMessagesPayloadFieldEvent {
    field: '$.messages[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface FetchReplyMessagesMetadataFieldEvent {
    field: '$.messages[].metadata{}'
    key: string
    value: string
    index: number
  }

  export interface FetchReplyMessagesSourceFieldEvent {
    field: '$.messages[].source'
    value: string
    index: number
  }

  export interface FetchReplyMessagesDestinationFieldEvent {
    field: '$.messages[].destination'
    value: string
    index: number
  }

  export interface FetchReplyMessagesSeqFieldEvent {
    field: '$.messages[].seq'
    value: number
    index: number
  }

  export interface FetchReplyMessagesEpochFieldEvent {
    field: '$.messages[].epoch'
    value: number
    index: number
  }

  export interface FetchReplyMessagesHopLimitFieldEvent {
    field: '$.messages[].hopLimit'
    value: number
    index: number
  }

  export interface FetchReplyMessagesModeFieldEvent {
    field: '$.messages[].mode'
    value: DeliveryMode
    index: number
  }

  export interface FetchReplyMessagesCorrelationIdFieldEvent {
    field: '$.messages[].correlationId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface FetchReplyMessagesExpectsReplyFieldEvent {
    field: '$.messages[].expectsReply'
    value: boolean
    index: number
  }

  export interface FetchReplyMessagesNoAckFieldEvent {
    field: '$.messages[].noAck'
    value: boolean
    index: number
  }

  export interface FetchReplyCodeFieldEvent {
    field: '$.code'
    value: number
  }

  export interface FetchReplyReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface FetchReplyFirstFieldEvent {
    field: '$.first'
    value: number
  }

  export function encode (obj: Partial<FetchReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchReply>): FetchReply {
    return decodeMessage(buf, FetchReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchReply>): Generator<FetchReplyRequestIdFieldEvent | FetchReplyNameFieldEvent | FetchReplyHeadFieldEvent | FetchReplyMessagesTypeFieldEvent | FetchReplyMessagesChannelIdFieldEvent | FetchReplyMessagesMessageIdFieldEvent | FetchReplyMessagesPayloadFieldEvent | FetchReplyMessagesMetadataFieldEvent | FetchReplyMessagesSourceFieldEvent | FetchReplyMessagesDestinationFieldEvent | FetchReplyMessagesSeqFieldEvent | FetchReplyMessagesEpochFieldEvent | FetchReplyMessagesHopLimitFieldEvent | FetchReplyMessagesModeFieldEvent | FetchReplyMessagesCorrelationIdFieldEvent | FetchReplyMessagesExpectsReplyFieldEvent | FetchReplyMessagesNoAckFieldEvent | FetchReplyCodeFieldEvent | FetchReplyReasonFieldEvent | FetchReplyFirstFieldEvent> {
    return streamMessage(buf, FetchReply.codec(), opts)
  }
}

export interface Routed {
  to: string
  from: string
  hopLimit: number
  envelope?: Envelope
  ack?: RelayAck
  fetch?: FetchRequest
  fetched?: FetchReply
  instance: string
  credential?: string
  replicate?: Replicate
  replicaAck?: ReplicaAck
}

export namespace Routed {
  let _codec: Codec<Routed>

  export const codec = (): Codec<Routed> => {
    if (_codec == null) {
      _codec = message<Routed>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.to != null && obj.to !== '')) {
          w.uint32(10)
          w.string(obj.to)
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(18)
          w.string(obj.from)
        }

        if ((obj.hopLimit != null && obj.hopLimit !== 0)) {
          w.uint32(24)
          w.uint32(obj.hopLimit)
        }

        if (obj.envelope != null) {
          w.uint32(34)
          Envelope.codec().encode(obj.envelope, w)
        }

        if (obj.ack != null) {
          w.uint32(42)
          RelayAck.codec().encode(obj.ack, w)
        }

        if (obj.fetch != null) {
          w.uint32(50)
          FetchRequest.codec().encode(obj.fetch, w)
        }

        if (obj.fetched != null) {
          w.uint32(58)
          FetchReply.codec().encode(obj.fetched, w)
        }

        if ((obj.instance != null && obj.instance !== '')) {
          w.uint32(66)
          w.string(obj.instance)
        }

        if (obj.credential != null) {
          w.uint32(74)
          w.string(obj.credential)
        }

        if (obj.replicate != null) {
          w.uint32(82)
          Replicate.codec().encode(obj.replicate, w)
        }

        if (obj.replicaAck != null) {
          w.uint32(90)
          ReplicaAck.codec().encode(obj.replicaAck, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          to: '',
          from: '',
          hopLimit: 0,
          instance: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.to = reader.string()
              break
            }
            case 2: {
              obj.from = reader.string()
              break
            }
            case 3: {
              obj.hopLimit = reader.uint32()
              break
            }
            case 4: {
              obj.envelope = Envelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.envelope
              })
              break
            }
            case 5: {
              obj.ack = RelayAck.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ack
              })
              break
            }
            case 6: {
              obj.fetch = FetchRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.fetch
              })
              break
            }
            case 7: {
              obj.fetched = FetchReply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.fetched
              })
              break
            }
            case 8: {
              obj.instance = reader.string()
              break
            }
            case 9: {
              obj.credential = reader.string()
              break
            }
            case 10: {
              obj.replicate = Replicate.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.replicate
              })
              break
            }
            case 11: {
              obj.replicaAck = ReplicaAck.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.replicaAck
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.to`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.hopLimit`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield * Envelope.codec().stream(reader, reader.uint32(), `${prefix}.envelope`, {
                limits: opts.limits?.envelope
              })

              break
            }
            case 5: {
              yield * RelayAck.codec().stream(reader, reader.uint32(), `${prefix}.ack`, {
                limits: opts.limits?.ack
              })

              break
            }
            case 6: {
              yield * FetchRequest.codec().stream(reader, reader.uint32(), `${prefix}.fetch`, {
                limits: opts.limits?.fetch
              })

              break
            }
            case 7: {
              yield * FetchReply.codec().stream(reader, reader.uint32(), `${prefix}.fetched`, {
                limits: opts.limits?.fetched
              })

              break
            }
            case 8: {
              yield {
                field: `${prefix}.instance`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.credential`,
                value: reader.string()
              }
              break
            }
            case 10: {
              yield * Replicate.codec().stream(reader, reader.uint32(), `${prefix}.replicate`, {
                limits: opts.limits?.replicate
              })

              break
            }
            case 11: {
              yield * ReplicaAck.codec().stream(reader, reader.uint32(), `${prefix}.replicaAck`, {
                limits: opts.limits?.replicaAck
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RoutedToFieldEvent {
    field: '$.to'
    value: string
  }

  export interface RoutedFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface RoutedHopLimitFieldEvent {
    field: '$.hopLimit'
    value: number
  }

  export interface RoutedEnvelopeTypeFieldEvent {
    field: '$.envelope.type'
    value: MessageType
  }

  export interface RoutedEnvelopeChannelIdFieldEvent {
    field: '$.envelope.channelId'
    value: string
  }

  export interface RoutedEnvelopeMessageIdFieldEvent {
    field: '$.envelope.messageId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoutedEnvelopePayloadFieldEvent {
    field: '$.envelope.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoutedEnvelopeMetadataFieldEvent {
    field: '$.envelope.metadata{}'
    key: string
    value: string
  }

  export interface RoutedEnvelopeSourceFieldEvent {
    field: '$.envelope.source'
    value: string
  }

  export interface RoutedEnvelopeDestinationFieldEvent {
    field: '$.envelope.destination'
    value: string
  }

  export interface RoutedEnvelopeSeqFieldEvent {
    field: '$.envelope.seq'
    value: number
  }

  export interface RoutedEnvelopeEpochFieldEvent {
    field: '$.envelope.epoch'
    value: number
  }

  export interface RoutedEnvelopeHopLimitFieldEvent {
    field: '$.envelope.hopLimit'
    value: number
  }

  export interface RoutedEnvelopeModeFieldEvent {
    field: '$.envelope.mode'
    value: DeliveryMode
  }

  export interface RoutedEnvelopeCorrelationIdFieldEvent {
    field: '$.envelope.correlationId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoutedEnvelopeExpectsReplyFieldEvent {
    field: '$.envelope.expectsReply'
    value: boolean
  }

  export interface RoutedEnvelopeNoAckFieldEvent {
    field: '$.envelope.noAck'
    value: boolean
  }

  export interface RoutedAckMessageIdFieldEvent {
    field: '$.ack.messageId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoutedAckSeqFieldEvent {
    field: '$.ack.seq'
    value: number
  }

  export interface RoutedAckCodeFieldEvent {
    field: '$.ack.code'
    value: number
  }

  export interface RoutedAckReasonFieldEvent {
    field: '$.ack.reason'
    value: string
  }

  export interface RoutedAckAgentFieldEvent {
    field: '$.ack.agent'
    value: string
  }

  export interface RoutedAckEpochFieldEvent {
    field: '$.ack.epoch'
    value: number
  }

  export interface RoutedFetchRequestIdFieldEvent {
    field: '$.fetch.requestId'
    value: number
  }

  export interface RoutedFetchNameFieldEvent {
    field: '$.fetch.name'
    value: string
  }

  export interface RoutedFetchFromSeqFieldEvent {
    field: '$.fetch.fromSeq'
    value: number
  }

  export interface RoutedFetchLimitFieldEvent {
    field: '$.fetch.limit'
    value: number
  }

  export interface RoutedFetchedRequestIdFieldEvent {
    field: '$.fetched.requestId'
    value: number
  }

  export interface RoutedFetchedNameFieldEvent {
    field: '$.fetched.name'
    value: string
  }

  export interface RoutedFetchedHeadFieldEvent {
    field: '$.fetched.head'
    value: number
  }

  export interface RoutedFetchedMessagesTypeFieldEvent {
    field: '$.fetched.messages[].type'
    value: MessageType
    index: number
  }

  export interface RoutedFetchedMessagesChannelIdFieldEvent {
    field: '$.fetched.messages[].channelId'
    value: string
    index: number
  }

  export interface RoutedFetchedMessagesMessageIdFieldEvent {
    field: '$.fetched.messages[].messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface RoutedFetchedMessagesPayloadFieldEvent {
    field: '$.fetched.messages[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface RoutedFetchedMessagesMetadataFieldEvent {
    field: '$.fetched.messages[].metadata{}'
    key: string
    value: string
    index: number
  }

  export interface RoutedFetchedMessagesSourceFieldEvent {
    field: '$.fetched.messages[].source'
    value: string
    index: number
  }

  export interface RoutedFetchedMessagesDestinationFieldEvent {
    field: '$.fetched.messages[].destination'
    value: string
    index: number
  }

  export interface RoutedFetchedMessagesSeqFieldEvent {
    field: '$.fetched.messages[].seq'
    value: number
    index: number
  }

  export interface RoutedFetchedMessagesEpochFieldEvent {
    field: '$.fetched.messages[].epoch'
    value: number
    index: number
  }

  export interface RoutedFetchedMessagesHopLimitFieldEvent {
    field: '$.fetched.messages[].hopLimit'
    value: number
    index: number
  }

  export interface RoutedFetchedMessagesModeFieldEvent {
    field: '$.fetched.messages[].mode'
    value: DeliveryMode
    index: number
  }

  export interface RoutedFetchedMessagesCorrelationIdFieldEvent {
    field: '$.fetched.messages[].correlationId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface RoutedFetchedMessagesExpectsReplyFieldEvent {
    field: '$.fetched.messages[].expectsReply'
    value: boolean
    index: number
  }

  export interface RoutedFetchedMessagesNoAckFieldEvent {
    field: '$.fetched.messages[].noAck'
    value: boolean
    index: number
  }

  export interface RoutedFetchedCodeFieldEvent {
    field: '$.fetched.code'
    value: number
  }

  export interface RoutedFetchedReasonFieldEvent {
    field: '$.fetched.reason'
    value: string
  }

  export interface RoutedFetchedFirstFieldEvent {
    field: '$.fetched.first'
    value: number
  }

  export interface RoutedInstanceFieldEvent {
    field: '$.instance'
    value: string
  }

  export interface RoutedCredentialFieldEvent {
    field: '$.credential'
    value: string
  }

  export interface RoutedReplicateNameFieldEvent {
    field: '$.replicate.name'
    value: string
  }

  export interface RoutedReplicateTermFieldEvent {
    field: '$.replicate.term'
    value: number
  }

  export interface RoutedReplicateFromFieldEvent {
    field: '$.replicate.from'
    value: number
  }

  export interface RoutedReplicateEntriesFieldEvent {
    field: '$.replicate.entries[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoutedReplicateCommitFieldEvent {
    field: '$.replicate.commit'
    value: number
  }

  export interface RoutedReplicateFirstFieldEvent {
    field: '$.replicate.first'
    value: number
  }

  export interface RoutedReplicateEpochFieldEvent {
    field: '$.replicate.epoch'
    value: number
  }

  export interface RoutedReplicateRolesFieldEvent {
    field: '$.replicate.roles'
    value: string
  }

  export interface RoutedReplicaAckNameFieldEvent {
    field: '$.replicaAck.name'
    value: string
  }

  export interface RoutedReplicaAckTermFieldEvent {
    field: '$.replicaAck.term'
    value: number
  }

  export interface RoutedReplicaAckHeadFieldEvent {
    field: '$.replicaAck.head'
    value: number
  }

  export interface RoutedReplicaAckCodeFieldEvent {
    field: '$.replicaAck.code'
    value: number
  }

  export interface RoutedReplicaAckReasonFieldEvent {
    field: '$.replicaAck.reason'
    value: string
  }

  export function encode (obj: Partial<Routed>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Routed.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Routed>): Routed {
    return decodeMessage(buf, Routed.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Routed>): Generator<RoutedToFieldEvent | RoutedFromFieldEvent | RoutedHopLimitFieldEvent | RoutedEnvelopeTypeFieldEvent | RoutedEnvelopeChannelIdFieldEvent | RoutedEnvelopeMessageIdFieldEvent | RoutedEnvelopePayloadFieldEvent | RoutedEnvelopeMetadataFieldEvent | RoutedEnvelopeSourceFieldEvent | RoutedEnvelopeDestinationFieldEvent | RoutedEnvelopeSeqFieldEvent | RoutedEnvelopeEpochFieldEvent | RoutedEnvelopeHopLimitFieldEvent | RoutedEnvelopeModeFieldEvent | RoutedEnvelopeCorrelationIdFieldEvent | RoutedEnvelopeExpectsReplyFieldEvent | RoutedEnvelopeNoAckFieldEvent | RoutedAckMessageIdFieldEvent | RoutedAckSeqFieldEvent | RoutedAckCodeFieldEvent | RoutedAckReasonFieldEvent | RoutedAckAgentFieldEvent | RoutedAckEpochFieldEvent | RoutedFetchRequestIdFieldEvent | RoutedFetchNameFieldEvent | RoutedFetchFromSeqFieldEvent | RoutedFetchLimitFieldEvent | RoutedFetchedRequestIdFieldEvent | RoutedFetchedNameFieldEvent | RoutedFetchedHeadFieldEvent | RoutedFetchedMessagesTypeFieldEvent | RoutedFetchedMessagesChannelIdFieldEvent | RoutedFetchedMessagesMessageIdFieldEvent | RoutedFetchedMessagesPayloadFieldEvent | RoutedFetchedMessagesMetadataFieldEvent | RoutedFetchedMessagesSourceFieldEvent | RoutedFetchedMessagesDestinationFieldEvent | RoutedFetchedMessagesSeqFieldEvent | RoutedFetchedMessagesEpochFieldEvent | RoutedFetchedMessagesHopLimitFieldEvent | RoutedFetchedMessagesModeFieldEvent | RoutedFetchedMessagesCorrelationIdFieldEvent | RoutedFetchedMessagesExpectsReplyFieldEvent | RoutedFetchedMessagesNoAckFieldEvent | RoutedFetchedCodeFieldEvent | RoutedFetchedReasonFieldEvent | RoutedFetchedFirstFieldEvent | RoutedInstanceFieldEvent | RoutedCredentialFieldEvent | RoutedReplicateNameFieldEvent | RoutedReplicateTermFieldEvent | RoutedReplicateFromFieldEvent | RoutedReplicateEntriesFieldEvent | RoutedReplicateCommitFieldEvent | RoutedReplicateFirstFieldEvent | RoutedReplicateEpochFieldEvent | RoutedReplicateRolesFieldEvent | RoutedReplicaAckNameFieldEvent | RoutedReplicaAckTermFieldEvent | RoutedReplicaAckHeadFieldEvent | RoutedReplicaAckCodeFieldEvent | RoutedReplicaAckReasonFieldEvent> {
    return streamMessage(buf, Routed.codec(), opts)
  }
}

export interface Replicate {
  name: string
  term: number
  from: number
  entries: Uint8Array<ArrayBuffer>[]
  commit: number
  first: number
  epoch: number
  roles?: string
}

export namespace Replicate {
  let _codec: Codec<Replicate>

  export const codec = (): Codec<Replicate> => {
    if (_codec == null) {
      _codec = message<Replicate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.term != null && obj.term !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.term)
        }

        if ((obj.from != null && obj.from !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.from)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if ((obj.commit != null && obj.commit !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.commit)
        }

        if ((obj.first != null && obj.first !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.first)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(56)
          w.uint64Number(obj.epoch)
        }

        if (obj.roles != null) {
          w.uint32(66)
          w.string(obj.roles)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          term: 0,
          from: 0,
          entries: [],
          commit: 0,
          first: 0,
          epoch: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.term = reader.uint64Number()
              break
            }
            case 3: {
              obj.from = reader.uint64Number()
              break
            }
            case 4: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              if (obj.entries.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(reader.bytes())
              break
            }
            case 5: {
              obj.commit = reader.uint64Number()
              break
            }
            case 6: {
              obj.first = reader.uint64Number()
              break
            }
            case 7: {
              obj.epoch = reader.uint64Number()
              break
            }
            case 8: {
              obj.roles = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          entries: 4096
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.from`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              if (obj.entries === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              yield {
                field: `${prefix}.entries[]`,
                index: obj.entries,
                value: reader.bytes()
              }

              obj.entries++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.commit`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.first`,
                value: reader.uint64Number()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.roles`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReplicateNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ReplicateTermFieldEvent {
    field: '$.term'
    value: number
  }

  export interface ReplicateFromFieldEvent {
    field: '$.from'
    value: number
  }

  export interface ReplicateEntriesFieldEvent {
    field: '$.entries[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateCommitFieldEvent {
    field: '$.commit'
    value: number
  }

  export interface ReplicateFirstFieldEvent {
    field: '$.first'
    value: number
  }

  export interface ReplicateEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface ReplicateRolesFieldEvent {
    field: '$.roles'
    value: string
  }

  export function encode (obj: Partial<Replicate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Replicate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Replicate>): Replicate {
    return decodeMessage(buf, Replicate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Replicate>): Generator<ReplicateNameFieldEvent | ReplicateTermFieldEvent | ReplicateFromFieldEvent | ReplicateEntriesFieldEvent | ReplicateCommitFieldEvent | ReplicateFirstFieldEvent | ReplicateEpochFieldEvent | ReplicateRolesFieldEvent> {
    return streamMessage(buf, Replicate.codec(), opts)
  }
}

export interface ReplicaAck {
  name: string
  term: number
  head: number
  code: number
  reason: string
}

export namespace ReplicaAck {
  let _codec: Codec<ReplicaAck>

  export const codec = (): Codec<ReplicaAck> => {
    if (_codec == null) {
      _codec = message<ReplicaAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.term != null && obj.term !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.term)
        }

        if ((obj.head != null && obj.head !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.head)
        }

        if ((obj.code != null && obj.code !== 0)) {
          w.uint32(32)
          w.uint32(obj.code)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(42)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          term: 0,
          head: 0,
          code: 0,
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.term = reader.uint64Number()
              break
            }
            case 3: {
              obj.head = reader.uint64Number()
              break
            }
            case 4: {
              obj.code = reader.uint32()
              break
            }
            case 5: {
              obj.reason = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.head`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.code`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReplicaAckNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ReplicaAckTermFieldEvent {
    field: '$.term'
    value: number
  }

  export interface ReplicaAckHeadFieldEvent {
    field: '$.head'
    value: number
  }

  export interface ReplicaAckCodeFieldEvent {
    field: '$.code'
    value: number
  }

  export interface ReplicaAckReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<ReplicaAck>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReplicaAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicaAck>): ReplicaAck {
    return decodeMessage(buf, ReplicaAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicaAck>): Generator<ReplicaAckNameFieldEvent | ReplicaAckTermFieldEvent | ReplicaAckHeadFieldEvent | ReplicaAckCodeFieldEvent | ReplicaAckReasonFieldEvent> {
    return streamMessage(buf, ReplicaAck.codec(), opts)
  }
}

export interface LinkHello {
  credential: string
  mesh: string
}

export namespace LinkHello {
  let _codec: Codec<LinkHello>

  export const codec = (): Codec<LinkHello> => {
    if (_codec == null) {
      _codec = message<LinkHello>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.credential != null && obj.credential !== '')) {
          w.uint32(10)
          w.string(obj.credential)
        }

        if ((obj.mesh != null && obj.mesh !== '')) {
          w.uint32(18)
          w.string(obj.mesh)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          credential: '',
          mesh: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.credential = reader.string()
              break
            }
            case 2: {
              obj.mesh = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.credential`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.mesh`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface LinkHelloCredentialFieldEvent {
    field: '$.credential'
    value: string
  }

  export interface LinkHelloMeshFieldEvent {
    field: '$.mesh'
    value: string
  }

  export function encode (obj: Partial<LinkHello>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LinkHello.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkHello>): LinkHello {
    return decodeMessage(buf, LinkHello.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkHello>): Generator<LinkHelloCredentialFieldEvent | LinkHelloMeshFieldEvent> {
    return streamMessage(buf, LinkHello.codec(), opts)
  }
}

export interface LinkFrame {
  announcements: RouteAnnouncement[]
  routed: Routed[]
  fault?: Fault
  hello?: LinkHello
  revocations: string[]
}

export namespace LinkFrame {
  let _codec: Codec<LinkFrame>

  export const codec = (): Codec<LinkFrame> => {
    if (_codec == null) {
      _codec = message<LinkFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.announcements != null && obj.announcements.length > 0) {
          for (const value of obj.announcements) {
            w.uint32(10)
            RouteAnnouncement.codec().encode(value, w)
          }
        }

        if (obj.routed != null && obj.routed.length > 0) {
          for (const value of obj.routed) {
            w.uint32(18)
            Routed.codec().encode(value, w)
          }
        }

        if (obj.fault != null) {
          w.uint32(26)
          Fault.codec().encode(obj.fault, w)
        }

        if (obj.hello != null) {
          w.uint32(34)
          LinkHello.codec().encode(obj.hello, w)
        }

        if (obj.revocations != null && obj.revocations.length > 0) {
          for (const value of obj.revocations) {
            w.uint32(42)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          announcements: [],
          routed: [],
          revocations: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.announcements != null && obj.announcements.length === opts.limits.announcements) {
                throw new MaxLengthError('Decode error - repeated field "announcements" had too many elements')
              }

              if (obj.announcements.length === 1024) {
                throw new MaxLengthError('Decode error - repeated field "announcements" had too many elements')
              }

              obj.announcements.push(RouteAnnouncement.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.announcements$
              }))
              break
            }
            case 2: {
              if (opts.limits?.routed != null && obj.routed.length === opts.limits.routed) {
                throw new MaxLengthError('Decode error - repeated field "routed" had too many elements')
              }

              if (obj.routed.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "routed" had too many elements')
              }

              obj.routed.push(Routed.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.routed$
              }))
              break
            }
            case 3: {
              obj.fault = Fault.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.fault
              })
              break
            }
            case 4: {
              obj.hello = LinkHello.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.hello
              })
              break
            }
            case 5: {
              if (opts.limits?.revocations != null && obj.revocations.length === opts.limits.revocations) {
                throw new MaxLengthError('Decode error - repeated field "revocations" had too many elements')
              }

              if (obj.revocations.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "revocations" had too many elements')
              }

              obj.revocations.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          announcements: 1024,
          routed: 4096,
          revocations: 4096
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.announcements != null && obj.announcements === opts.limits.announcements) {
                throw new MaxLengthError('Streaming decode error - repeated field "announcements" had too many elements')
              }

              if (obj.announcements === 1024) {
                throw new MaxLengthError('Streaming decode error - repeated field "announcements" had too many elements')
              }

              for (const evt of RouteAnnouncement.codec().stream(reader, reader.uint32(), `${prefix}.announcements[]`, {
                limits: opts.limits?.announcements$
              })) {
                yield {
                  ...evt,
                  index: obj.announcements
                }
              }

              obj.announcements++

              break
            }
            case 2: {
              if (opts.limits?.routed != null && obj.routed === opts.limits.routed) {
                throw new MaxLengthError('Streaming decode error - repeated field "routed" had too many elements')
              }

              if (obj.routed === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "routed" had too many elements')
              }

              for (const evt of Routed.codec().stream(reader, reader.uint32(), `${prefix}.routed[]`, {
                limits: opts.limits?.routed$
              })) {
                yield {
                  ...evt,
                  index: obj.routed
                }
              }

              obj.routed++

              break
            }
            case 3: {
              yield * Fault.codec().stream(reader, reader.uint32(), `${prefix}.fault`, {
                limits: opts.limits?.fault
              })

              break
            }
            case 4: {
              yield * LinkHello.codec().stream(reader, reader.uint32(), `${prefix}.hello`, {
                limits: opts.limits?.hello
              })

              break
            }
            case 5: {
              if (opts.limits?.revocations != null && obj.revocations === opts.limits.revocations) {
                throw new MaxLengthError('Streaming decode error - repeated field "revocations" had too many elements')
              }

              if (obj.revocations === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "revocations" had too many elements')
              }

              yield {
                field: `${prefix}.revocations[]`,
                index: obj.revocations,
                value: reader.string()
              }

              obj.revocations++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface LinkFrameAnnouncementsOriginFieldEvent {
    field: '$.announcements[].origin'
    value: string
    index: number
  }

  export interface LinkFrameAnnouncementsVersionFieldEvent {
    field: '$.announcements[].version'
    value: number
    index: number
  }

  export interface LinkFrameAnnouncementsHopsFieldEvent {
    field: '$.announcements[].hops'
    value: number
    index: number
  }

  export interface LinkFrameAnnouncementsHopLimitFieldEvent {
    field: '$.announcements[].hopLimit'
    value: number
    index: number
  }

  export interface LinkFrameAnnouncementsTtlMsFieldEvent {
    field: '$.announcements[].ttlMs'
    value: number
    index: number
  }

  export interface LinkFrameAnnouncementsNamesNameFieldEvent {
    field: '$.announcements[].names[].name'
    value: string
    index: number
  }

  export interface LinkFrameAnnouncementsNamesInstancesFieldEvent {
    field: '$.announcements[].names[].instances[]'
    index: number
    value: string
  }

  export interface LinkFrameAnnouncementsNamesSequencerSinceFieldEvent {
    field: '$.announcements[].names[].sequencerSince'
    value: number
    index: number
  }

  export interface LinkFrameAnnouncementsNamesReachableFieldEvent {
    field: '$.announcements[].names[].reachable[]'
    index: number
    value: string
  }

  export interface LinkFrameAnnouncementsNamesSequencerTermFieldEvent {
    field: '$.announcements[].names[].sequencerTerm'
    value: number
    index: number
  }

  export interface LinkFrameAnnouncementsNamesReplicasFieldEvent {
    field: '$.announcements[].names[].replicas[]'
    index: number
    value: string
  }

  export interface LinkFrameAnnouncementsAddrsFieldEvent {
    field: '$.announcements[].addrs[]'
    index: number
    value: string
  }

  export interface LinkFrameAnnouncementsWithdrawnFieldEvent {
    field: '$.announcements[].withdrawn'
    value: boolean
    index: number
  }

  export interface LinkFrameAnnouncementsPieceFieldEvent {
    field: '$.announcements[].piece'
    value: number
    index: number
  }

  export interface LinkFrameAnnouncementsPiecesFieldEvent {
    field: '$.announcements[].pieces'
    value: number
    index: number
  }

  export interface LinkFrameRoutedToFieldEvent {
    field: '$.routed[].to'
    value: string
    index: number
  }

  export interface LinkFrameRoutedFromFieldEvent {
    field: '$.routed[].from'
    value: string
    index: number
  }

  export interface LinkFrameRoutedHopLimitFieldEvent {
    field: '$.routed[].hopLimit'
    value: number
    index: number
  }

  export interface LinkFrameRoutedEnvelopeTypeFieldEvent {
    field: '$.routed[].envelope.type'
    value: MessageType
    index: number
  }

  export interface LinkFrameRoutedEnvelopeChannelIdFieldEvent {
    field: '$.routed[].envelope.channelId'
    value: string
    index: number
  }

  export interface LinkFrameRoutedEnvelopeMessageIdFieldEvent {
    field: '$.routed[].envelope.messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameRoutedEnvelopePayloadFieldEvent {
    field: '$.routed[].envelope.payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameRoutedEnvelopeMetadataFieldEvent {
    field: '$.routed[].envelope.metadata{}'
    key: string
    value: string
    index: number
  }

  export interface LinkFrameRoutedEnvelopeSourceFieldEvent {
    field: '$.routed[].envelope.source'
    value: string
    index: number
  }

  export interface LinkFrameRoutedEnvelopeDestinationFieldEvent {
    field: '$.routed[].envelope.destination'
    value: string
    index: number
  }

  export interface LinkFrameRoutedEnvelopeSeqFieldEvent {
    field: '$.routed[].envelope.seq'
    value: number
    index: number
  }

  export interface LinkFrameRoutedEnvelopeEpochFieldEvent {
    field: '$.routed[].envelope.epoch'
    value: number
    index: number
  }

  export interface LinkFrameRoutedEnvelopeHopLimitFieldEvent {
    field: '$.routed[].envelope.hopLimit'
    value: number
    index: number
  }

  export interface LinkFrameRoutedEnvelopeModeFieldEvent {
    field: '$.routed[].envelope.mode'
    value: DeliveryMode
    index: number
  }

  export interface LinkFrameRoutedEnvelopeCorrelationIdFieldEvent {
    field: '$.routed[].envelope.correlationId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameRoutedEnvelopeExpectsReplyFieldEvent {
    field: '$.routed[].envelope.expectsReply'
    value: boolean
    index: number
  }

  export interface LinkFrameRoutedEnvelopeNoAckFieldEvent {
    field: '$.routed[].envelope.noAck'
    value: boolean
    index: number
  }

  export interface LinkFrameRoutedAckMessageIdFieldEvent {
    field: '$.routed[].ack.messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameRoutedAckSeqFieldEvent {
    field: '$.routed[].ack.seq'
    value: number
    index: number
  }

  export interface LinkFrameRoutedAckCodeFieldEvent {
    field: '$.routed[].ack.code'
    value: number
    index: number
  }

  export interface LinkFrameRoutedAckReasonFieldEvent {
    field: '$.routed[].ack.reason'
    value: string
    index: number
  }

  export interface LinkFrameRoutedAckAgentFieldEvent {
    field: '$.routed[].ack.agent'
    value: string
    index: number
  }

  export interface LinkFrameRoutedAckEpochFieldEvent {
    field: '$.routed[].ack.epoch'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchRequestIdFieldEvent {
    field: '$.routed[].fetch.requestId'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchNameFieldEvent {
    field: '$.routed[].fetch.name'
    value: string
    index: number
  }

  export interface LinkFrameRoutedFetchFromSeqFieldEvent {
    field: '$.routed[].fetch.fromSeq'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchLimitFieldEvent {
    field: '$.routed[].fetch.limit'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchedRequestIdFieldEvent {
    field: '$.routed[].fetched.requestId'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchedNameFieldEvent {
    field: '$.routed[].fetched.name'
    value: string
    index: number
  }

  export interface LinkFrameRoutedFetchedHeadFieldEvent {
    field: '$.routed[].fetched.head'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesTypeFieldEvent {
    field: '$.routed[].fetched.messages[].type'
    value: MessageType
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesChannelIdFieldEvent {
    field: '$.routed[].fetched.messages[].channelId'
    value: string
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesMessageIdFieldEvent {
    field: '$.routed[].fetched.messages[].messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesPayloadFieldEvent {
    field: '$.routed[].fetched.messages[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesMetadataFieldEvent {
    field: '$.routed[].fetched.messages[].metadata{}'
    key: string
    value: string
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesSourceFieldEvent {
    field: '$.routed[].fetched.messages[].source'
    value: string
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesDestinationFieldEvent {
    field: '$.routed[].fetched.messages[].destination'
    value: string
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesSeqFieldEvent {
    field: '$.routed[].fetched.messages[].seq'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesEpochFieldEvent {
    field: '$.routed[].fetched.messages[].epoch'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesHopLimitFieldEvent {
    field: '$.routed[].fetched.messages[].hopLimit'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesModeFieldEvent {
    field: '$.routed[].fetched.messages[].mode'
    value: DeliveryMode
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesCorrelationIdFieldEvent {
    field: '$.routed[].fetched.messages[].correlationId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesExpectsReplyFieldEvent {
    field: '$.routed[].fetched.messages[].expectsReply'
    value: boolean
    index: number
  }

  export interface LinkFrameRoutedFetchedMessagesNoAckFieldEvent {
    field: '$.routed[].fetched.messages[].noAck'
    value: boolean
    index: number
  }

  export interface LinkFrameRoutedFetchedCodeFieldEvent {
    field: '$.routed[].fetched.code'
    value: number
    index: number
  }

  export interface LinkFrameRoutedFetchedReasonFieldEvent {
    field: '$.routed[].fetched.reason'
    value: string
    index: number
  }

  export interface LinkFrameRoutedFetchedFirstFieldEvent {
    field: '$.routed[].fetched.first'
    value: number
    index: number
  }

  export interface LinkFrameRoutedInstanceFieldEvent {
    field: '$.routed[].instance'
    value: string
    index: number
  }

  export interface LinkFrameRoutedCredentialFieldEvent {
    field: '$.routed[].credential'
    value: string
    index: number
  }

  export interface LinkFrameRoutedReplicateNameFieldEvent {
    field: '$.routed[].replicate.name'
    value: string
    index: number
  }

  export interface LinkFrameRoutedReplicateTermFieldEvent {
    field: '$.routed[].replicate.term'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicateFromFieldEvent {
    field: '$.routed[].replicate.from'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicateEntriesFieldEvent {
    field: '$.routed[].replicate.entries[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface LinkFrameRoutedReplicateCommitFieldEvent {
    field: '$.routed[].replicate.commit'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicateFirstFieldEvent {
    field: '$.routed[].replicate.first'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicateEpochFieldEvent {
    field: '$.routed[].replicate.epoch'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicateRolesFieldEvent {
    field: '$.routed[].replicate.roles'
    value: string
    index: number
  }

  export interface LinkFrameRoutedReplicaAckNameFieldEvent {
    field: '$.routed[].replicaAck.name'
    value: string
    index: number
  }

  export interface LinkFrameRoutedReplicaAckTermFieldEvent {
    field: '$.routed[].replicaAck.term'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicaAckHeadFieldEvent {
    field: '$.routed[].replicaAck.head'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicaAckCodeFieldEvent {
    field: '$.routed[].replicaAck.code'
    value: number
    index: number
  }

  export interface LinkFrameRoutedReplicaAckReasonFieldEvent {
    field: '$.routed[].replicaAck.reason'
    value: string
    index: number
  }

  export interface LinkFrameFaultCodeFieldEvent {
    field: '$.fault.code'
    value: number
  }

  export interface LinkFrameFaultReasonFieldEvent {
    field: '$.fault.reason'
    value: string
  }

  export interface LinkFrameFaultFatalFieldEvent {
    field: '$.fault.fatal'
    value: boolean
  }

  export interface LinkFrameHelloCredentialFieldEvent {
    field: '$.hello.credential'
    value: string
  }

  export interface LinkFrameHelloMeshFieldEvent {
    field: '$.hello.mesh'
    value: string
  }

  export interface LinkFrameRevocationsFieldEvent {
    field: '$.revocations[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<LinkFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LinkFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkFrame>): LinkFrame {
    return decodeMessage(buf, LinkFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkFrame>): Generator<LinkFrameAnnouncementsOriginFieldEvent | LinkFrameAnnouncementsVersionFieldEvent | LinkFrameAnnouncementsHopsFieldEvent | LinkFrameAnnouncementsHopLimitFieldEvent | LinkFrameAnnouncementsTtlMsFieldEvent | LinkFrameAnnouncementsNamesNameFieldEvent | LinkFrameAnnouncementsNamesInstancesFieldEvent | LinkFrameAnnouncementsNamesSequencerSinceFieldEvent | LinkFrameAnnouncementsNamesReachableFieldEvent | LinkFrameAnnouncementsNamesSequencerTermFieldEvent | LinkFrameAnnouncementsNamesReplicasFieldEvent | LinkFrameAnnouncementsAddrsFieldEvent | LinkFrameAnnouncementsWithdrawnFieldEvent | LinkFrameAnnouncementsPieceFieldEvent | LinkFrameAnnouncementsPiecesFieldEvent | LinkFrameRoutedToFieldEvent | LinkFrameRoutedFromFieldEvent | LinkFrameRoutedHopLimitFieldEvent | LinkFrameRoutedEnvelopeTypeFieldEvent | LinkFrameRoutedEnvelopeChannelIdFieldEvent | LinkFrameRoutedEnvelopeMessageIdFieldEvent | LinkFrameRoutedEnvelopePayloadFieldEvent | LinkFrameRoutedEnvelopeMetadataFieldEvent | LinkFrameRoutedEnvelopeSourceFieldEvent | LinkFrameRoutedEnvelopeDestinationFieldEvent | LinkFrameRoutedEnvelopeSeqFieldEvent | LinkFrameRoutedEnvelopeEpochFieldEvent | LinkFrameRoutedEnvelopeHopLimitFieldEvent | LinkFrameRoutedEnvelopeModeFieldEvent | LinkFrameRoutedEnvelopeCorrelationIdFieldEvent | LinkFrameRoutedEnvelopeExpectsReplyFieldEvent | LinkFrameRoutedEnvelopeNoAckFieldEvent | LinkFrameRoutedAckMessageIdFieldEvent | LinkFrameRoutedAckSeqFieldEvent | LinkFrameRoutedAckCodeFieldEvent | LinkFrameRoutedAckReasonFieldEvent | LinkFrameRoutedAckAgentFieldEvent | LinkFrameRoutedAckEpochFieldEvent | LinkFrameRoutedFetchRequestIdFieldEvent | LinkFrameRoutedFetchNameFieldEvent | LinkFrameRoutedFetchFromSeqFieldEvent | LinkFrameRoutedFetchLimitFieldEvent | LinkFrameRoutedFetchedRequestIdFieldEvent | LinkFrameRoutedFetchedNameFieldEvent | LinkFrameRoutedFetchedHeadFieldEvent | LinkFrameRoutedFetchedMessagesTypeFieldEvent | LinkFrameRoutedFetchedMessagesChannelIdFieldEvent | LinkFrameRoutedFetchedMessagesMessageIdFieldEvent | LinkFrameRoutedFetchedMessagesPayloadFieldEvent | LinkFrameRoutedFetchedMessagesMetadataFieldEvent | LinkFrameRoutedFetchedMessagesSourceFieldEvent | LinkFrameRoutedFetchedMessagesDestinationFieldEvent | LinkFrameRoutedFetchedMessagesSeqFieldEvent | LinkFrameRoutedFetchedMessagesEpochFieldEvent | LinkFrameRoutedFetchedMessagesHopLimitFieldEvent | LinkFrameRoutedFetchedMessagesModeFieldEvent | LinkFrameRoutedFetchedMessagesCorrelationIdFieldEvent | LinkFrameRoutedFetchedMessagesExpectsReplyFieldEvent | LinkFrameRoutedFetchedMessagesNoAckFieldEvent | LinkFrameRoutedFetchedCodeFieldEvent | LinkFrameRoutedFetchedReasonFieldEvent | LinkFrameRoutedFetchedFirstFieldEvent | LinkFrameRoutedInstanceFieldEvent | LinkFrameRoutedCredentialFieldEvent | LinkFrameRoutedReplicateNameFieldEvent | LinkFrameRoutedReplicateTermFieldEvent | LinkFrameRoutedReplicateFromFieldEvent | LinkFrameRoutedReplicateEntriesFieldEvent | LinkFrameRoutedReplicateCommitFieldEvent | LinkFrameRoutedReplicateFirstFieldEvent | LinkFrameRoutedReplicateEpochFieldEvent | LinkFrameRoutedReplicateRolesFieldEvent | LinkFrameRoutedReplicaAckNameFieldEvent | LinkFrameRoutedReplicaAckTermFieldEvent | LinkFrameRoutedReplicaAckHeadFieldEvent | LinkFrameRoutedReplicaAckCodeFieldEvent | LinkFrameRoutedReplicaAckReasonFieldEvent | LinkFrameFaultCodeFieldEvent | LinkFrameFaultReasonFieldEvent | LinkFrameFaultFatalFieldEvent | LinkFrameHelloCredentialFieldEvent | LinkFrameHelloMeshFieldEvent | LinkFrameRevocationsFieldEvent> {
    return streamMessage(buf, LinkFrame.codec(), opts)
  }
}

export interface GossipBatch {
  name: string
  messages: Envelope[]
}

export namespace GossipBatch {
  let _codec: Codec<GossipBatch>

  export const codec = (): Codec<GossipBatch> => {
    if (_codec == null) {
      _codec = message<GossipBatch>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if (obj.messages != null && obj.messages.length > 0) {
          for (const value of obj.messages) {
            w.uint32(18)
            Envelope.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          messages: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              if (opts.limits?.messages != null && obj.messages.length === opts.limits.messages) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              if (obj.messages.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              obj.messages.push(Envelope.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.messages$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          messages: 4096
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              if (opts.limits?.messages != null && obj.messages === opts.limits.messages) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              if (obj.messages === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              for (const evt of Envelope.codec().stream(reader, reader.uint32(), `${prefix}.messages[]`, {
                limits: opts.limits?.messages$
              })) {
                yield {
                  ...evt,
                  index: obj.messages
                }
              }

              obj.messages++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface GossipBatchNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface GossipBatchMessagesTypeFieldEvent {
    field: '$.messages[].type'
    value: MessageType
    index: number
  }

  export interface GossipBatchMessagesChannelIdFieldEvent {
    field: '$.messages[].channelId'
    value: string
    index: number
  }

  export interface GossipBatchMessagesMessageIdFieldEvent {
    field: '$.messages[].messageId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipBatchMessagesPayloadFieldEvent {
    field: '$.messages[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipBatchMessagesMetadataFieldEvent {
    field: '$.messages[].metadata{}'
    key: string
    value: string
    index: number
  }

  export interface GossipBatchMessagesSourceFieldEvent {
    field: '$.messages[].source'
    value: string
    index: number
  }

  export interface GossipBatchMessagesDestinationFieldEvent {
    field: '$.messages[].destination'
    value: string
    index: number
  }

  export interface GossipBatchMessagesSeqFieldEvent {
    field: '$.messages[].seq'
    value: number
    index: number
  }

  export interface GossipBatchMessagesEpochFieldEvent {
    field: '$.messages[].epoch'
    value: number
    index: number
  }

  export interface GossipBatchMessagesHopLimitFieldEvent {
    field: '$.messages[].hopLimit'
    value: number
    index: number
  }

  export interface GossipBatchMessagesModeFieldEvent {
    field: '$.messages[].mode'
    value: DeliveryMode
    index: number
  }

  export interface GossipBatchMessagesCorrelationIdFieldEvent {
    field: '$.messages[].correlationId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipBatchMessagesExpectsReplyFieldEvent {
    field: '$.messages[].expectsReply'
    value: boolean
    index: number
  }

  export interface GossipBatchMessagesNoAckFieldEvent {
    field: '$.messages[].noAck'
    value: boolean
    index: number
  }

  export function encode (obj: Partial<GossipBatch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GossipBatch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipBatch>): GossipBatch {
    return decodeMessage(buf, GossipBatch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipBatch>): Generator<GossipBatchNameFieldEvent | GossipBatchMessagesTypeFieldEvent | GossipBatchMessagesChannelIdFieldEvent | GossipBatchMessagesMessageIdFieldEvent | GossipBatchMessagesPayloadFieldEvent | GossipBatchMessagesMetadataFieldEvent | GossipBatchMessagesSourceFieldEvent | GossipBatchMessagesDestinationFieldEvent | GossipBatchMessagesSeqFieldEvent | GossipBatchMessagesEpochFieldEvent | GossipBatchMessagesHopLimitFieldEvent | GossipBatchMessagesModeFieldEvent | GossipBatchMessagesCorrelationIdFieldEvent | GossipBatchMessagesExpectsReplyFieldEvent | GossipBatchMessagesNoAckFieldEvent> {
    return streamMessage(buf, GossipBatch.codec(), opts)
  }
}
