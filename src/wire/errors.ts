/**
 * Errors of the wire: one class per condition, `name` equal to the class name. A peer
 * that sends bytes raising any of these has broken the protocol and is cut off.
 */
export class WireError extends Error {
  /** The numeric code sent to the peer in a `Fault`. */
  readonly code: number = 0
}

export class FrameTooLargeError extends WireError {
  override readonly code = ErrorCode.FRAME_TOO_LARGE
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'FrameTooLargeError' }
}

export class MalformedFrameError extends WireError {
  override readonly code = ErrorCode.MALFORMED
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'MalformedFrameError' }
}

export class UnknownMessageTypeError extends WireError {
  override readonly code = ErrorCode.UNKNOWN_TYPE
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'UnknownMessageTypeError' }
}

export class PayloadTooLargeError extends WireError {
  override readonly code = ErrorCode.PAYLOAD_TOO_LARGE
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'PayloadTooLargeError' }
}

export class ProtocolViolationError extends WireError {
  override readonly code = ErrorCode.PROTOCOL
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'ProtocolViolationError' }
}

export class SlowConsumerError extends WireError {
  override readonly code = ErrorCode.SLOW_CONSUMER
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'SlowConsumerError' }
}

/** Codes carried in `Ack.code`, `Subscribed.code` and `Fault.code`. 0 is success. */
export const ErrorCode = {
  OK: 0,
  NO_ROUTE: 1,
  MALFORMED: 2,
  FRAME_TOO_LARGE: 3,
  UNKNOWN_TYPE: 4,
  INVALID_NAME: 5,
  AUTH_FAILED: 6,
  PROTOCOL: 7,
  STALE_EPOCH: 8,
  NOT_SEQUENCER: 9,
  TIMEOUT: 10,
  UNAVAILABLE: 11,
  PAYLOAD_TOO_LARGE: 12,
  SLOW_CONSUMER: 13,
  SHUTTING_DOWN: 14,
  HOP_LIMIT: 15,
  PERMISSION_DENIED: 16,
  /**
   * Relay to relay only: the sequencer relay holds no credential for the submission's
   * publisher; its home relay sends the submission again with the credential attached
   * (`Routed.credential`). Never passed on to an agent.
   */
  CREDENTIAL_REQUIRED: 17,
  /**
   * The history asked for is older than the archive keeps (its retention trimmed it):
   * `Subscribed.next_seq` and `FetchReply.first` carry the oldest sequence number kept.
   */
  HISTORY_TRIMMED: 18,
  /**
   * The agent is past one of its quotas at the relay it is attached to (subscriptions,
   * names, bytes in flight; src/relay/agent-quotas.ts): the reason names the quota and its
   * limit. Only that request is refused; the session goes on.
   */
  QUOTA_EXCEEDED: 19,
  /**
   * Relay to relay only: a sequencer's lease term is older than one the receiver knows
   * (`ReplicaAck.term`): the sender is fenced and numbers nothing more.
   */
  STALE_TERM: 20,
  /**
   * The channel name was closed by a `GroupClose` its sequencer accepted: every later
   * submission to it is refused (rule `channel.closed`) until its owner reopens it with a
   * new channel's first commit (docs/ARCHITECTURE.md, "Relay-through types").
   */
  CHANNEL_CLOSED: 21
} as const
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode]

/** The name of a code, for messages and for the error classes callers branch on. */
export function errorCodeName (code: number): string {
  for (const [k, v] of Object.entries(ErrorCode)) if (v === code) return k
  return `CODE_${code}`
}

export function isWireErrorCode (code: unknown): code is number {
  return typeof code === 'number' && code > 0 && Object.values(ErrorCode).includes(code as ErrorCodeValue)
}
