/** An envelope with every field at its default, then `fields`: one place that knows them all. */
import { DeliveryMode, MessageType } from './envelope.pb.js'
import type { Envelope } from './envelope.pb.js'

export function newEnvelope (fields: Partial<Envelope>): Envelope {
  return {
    type: MessageType.MSG,
    channelId: '',
    messageId: new Uint8Array(0),
    payload: new Uint8Array(0),
    metadata: new Map(),
    source: '',
    destination: '',
    seq: 0,
    epoch: 0,
    hopLimit: 0,
    mode: DeliveryMode.DELIVERY_MODE_UNSPECIFIED,
    correlationId: new Uint8Array(0),
    expectsReply: false,
    noAck: false,
    ...fields
  }
}
