/**
 * The envelopes an agent sends: a message id (8 random bytes per agent process, then a
 * counter: unique and cheap), the delivery mode from the name when none is given, and
 * every check the relay makes, made first: a name, mode, payload or metadata the relay
 * would refuse fails here, once, and is never sent.
 */
import { randomBytes } from 'node:crypto'
import { isAgentName, parseName } from '../names/names.js'
import { InvalidNameError } from '../names/errors.js'
import { DeliveryMode } from '../wire/envelope.pb.js'
import type { Envelope } from '../wire/envelope.pb.js'
import { newEnvelope } from '../wire/new-envelope.js'
import { MAX_METADATA_ENTRIES, MAX_PAYLOAD_BYTES } from '../wire/constants.js'
import { PayloadTooLargeError } from '../wire/errors.js'
import { checkEnvelope } from '../wire/codec.js'
import { InvalidMetadataError } from '../relay/errors.js'

export type DeliveryModeName = 'anycast' | 'multicast' | 'unicast'

/** What a message carries: bytes, or a string sent as UTF-8. */
export type Payload = Uint8Array | string

export interface EnvelopeOptions {
  mode?: DeliveryModeName
  metadata?: Record<string, string>
}

const MODES: Record<DeliveryModeName, DeliveryMode> = { anycast: DeliveryMode.ANYCAST, multicast: DeliveryMode.MULTICAST, unicast: DeliveryMode.UNICAST }
export const MODE_NAMES: Record<string, DeliveryModeName> = { ANYCAST: 'anycast', MULTICAST: 'multicast', UNICAST: 'unicast' }

const enc = new TextEncoder()

export class EnvelopeFactory {
  private readonly source: string
  private readonly idPrefix = randomBytes(8)
  private idCounter = 0

  constructor (source: string) {
    this.source = source
  }

  private nextMessageId (): Uint8Array<ArrayBuffer> {
    const id = new Uint8Array(16)
    id.set(this.idPrefix, 0)
    const n = this.idCounter++
    new DataView(id.buffer).setUint32(8, Math.floor(n / 2 ** 32))
    new DataView(id.buffer).setUint32(12, n >>> 0)
    return id
  }

  /** An envelope to `name`, checked against the relay's limits. */
  build (name: string, payload: Payload, options: EnvelopeOptions = {}): Envelope {
    const dest = parseName(name)
    const data = toBytes(payload, name)
    if (data.byteLength > MAX_PAYLOAD_BYTES) throw new PayloadTooLargeError(`payload of ${data.byteLength} bytes to ${name} is over the limit of ${MAX_PAYLOAD_BYTES}`)
    const mode = options.mode != null ? MODES[options.mode] : (isAgentName(dest) ? DeliveryMode.UNICAST : DeliveryMode.ANYCAST)
    if (mode == null) throw new TypeError(`unknown mode "${String(options.mode)}"; use anycast, multicast or unicast`)
    if (mode === DeliveryMode.UNICAST && !isAgentName(dest)) throw new InvalidNameError(`unicast goes to one agent, org/namespace/service/instance; "${name}" names a service`)
    if (mode === DeliveryMode.MULTICAST && isAgentName(dest)) throw new InvalidNameError(`multicast goes to a service or channel, org/namespace/service; "${name}" names an agent`)
    const metadata = options.metadata != null ? new Map(Object.entries(options.metadata)) : new Map<string, string>()
    if (metadata.size > MAX_METADATA_ENTRIES) throw new InvalidMetadataError(`metadata of a message to ${name} has ${metadata.size} entries; at most ${MAX_METADATA_ENTRIES}`)
    for (const [k, v] of metadata) {
      if (typeof v !== 'string') throw new TypeError(`metadata "${k}" of a message to ${name} is ${typeof v}; metadata values are strings`)
    }
    const env = newEnvelope({
      messageId: this.nextMessageId(),
      payload: data as Uint8Array<ArrayBuffer>,
      metadata,
      source: this.source,
      destination: name,
      mode
    })
    try {
      checkEnvelope(env, 'message')
    } catch (err) {
      // The name was parsed and the payload measured: what is left is the metadata.
      throw new InvalidMetadataError(`${(err as Error).message} (to ${name})`, { cause: err })
    }
    return env
  }
}

/** Bytes as they are; a string as UTF-8; anything else is a TypeError. */
export function toBytes (data: unknown, name: string): Uint8Array {
  if (data instanceof Uint8Array) return data
  if (typeof data === 'string') return enc.encode(data)
  const what = data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data
  throw new TypeError(`a message to ${name} carries ${what}; send a Uint8Array or a string (strings go as UTF-8)`)
}
