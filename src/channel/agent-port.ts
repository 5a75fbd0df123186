/**
 * The narrow port through which the channel layer reaches its agent: its name and key
 * (MLS credentials are bound to it), its store (group states), the envelopes it sends
 * and the subscriptions it reads. The agent hands the channel layer this object and
 * nothing else, so the channel area does not depend on the agent area (and the agent's
 * public API keeps its key and its wire envelopes to itself).
 */
import type { AuthorityPublic } from '../trust/keys.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Ack, Envelope } from '../wire/envelope.pb.js'
import type { Store } from '../store/store.js'

/** A message as the channel layer reads it from a subscription. */
export interface ChannelInbound {
  data: Uint8Array
  id: Uint8Array
  source: string
  seq?: number
  type: string
  epoch: number
  channelId: string
  metadata: Map<string, string>
}

export interface ChannelSubscription extends AsyncIterable<ChannelInbound> {
  close: () => Promise<void>
  /** The relay's first sequence number for it (its answer to the subscribe). */
  readonly startSeq: number
}

export interface ChannelAgent {
  readonly name: string
  /** The agent's identity key (MLS credentials are bound to it). */
  readonly identity: PrivateKey
  /** The mesh authority the agent's credentials come from: channel members are checked against it (undefined: open mode). */
  readonly authority?: AuthorityPublic
  /** The credential the agent presents (its MLS credential carries it). */
  readonly credential?: () => Promise<string>
  /** The mesh's signed revocations the relay has passed on so far. */
  readonly revocations: () => string[]
  /** Called with revocations as the relay passes them on; returns the unsubscribe. */
  readonly onRevocations: (listener: (revocations: string[]) => void) => () => void
  readonly storage: Store
  /** Builds an envelope from this agent (checked as the relay checks it). */
  envelope: (name: string, data: Uint8Array, options: { mode?: 'anycast' | 'multicast' | 'unicast' }) => Envelope
  /** Sends a prepared envelope and resolves with its acknowledgement. */
  send: (env: Envelope, signal?: AbortSignal) => Promise<Ack>
  subscribe: (name: string, options: { fromSeq?: number, signal?: AbortSignal }) => Promise<ChannelSubscription>
  /** Control messages sent to this agent (anything but `Msg` to its own name); returns the unsubscribe. */
  onControl: (listener: (env: Envelope) => void) => () => void
}
