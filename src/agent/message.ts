/** A message as an agent receives it. */
export interface Message {
  /** The payload. */
  data: Uint8Array
  /** The sender's full agent name, stamped by its home relay. */
  source: string
  /** What it was sent to: a service or channel name, or this agent's name. */
  destination: string
  /** The name of the subscription it arrived on. */
  subject: string
  /** The per-name sequence number: multicast only. */
  seq?: number
  mode: 'anycast' | 'multicast' | 'unicast'
  metadata: Map<string, string>
  /** SLIM's message type: `MSG` for data; `GROUP_*`, `JOIN_*`, ... for channel control. */
  type: string
  /** The MLS epoch the sender built it on (channel traffic). */
  epoch: number
  /** The channel a control message is about. */
  channelId: string
  /** The message id the sender chose. */
  id: Uint8Array
  /** Present on requests: sends one reply to the requester. */
  respond?: (data: Uint8Array | string) => Promise<void>
}
