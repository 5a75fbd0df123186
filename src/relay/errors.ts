/** Errors of the relay and the agent API. Callers branch on `err.name`. */
import { ErrorCode, errorCodeName, PayloadTooLargeError } from '../wire/errors.js'
import { InvalidNameError } from '../names/errors.js'

export class NoRouteError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'NoRouteError' }
}
export class TimeoutError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'TimeoutError' }
}
/**
 * A session (or link) that did not prove who it is. `check` names the credential check
 * that failed (`missing`, `expired`, `signature`, `key-mismatch`, `untrusted-issuer`,
 * `outside-prefix`, `revoked`, ...; src/trust/errors.ts), when a credential was the cause.
 */
export class AuthenticationError extends Error {
  readonly check?: string
  constructor (message: string, options?: ErrorOptions & { check?: string }) {
    super(message, options)
    this.name = 'AuthenticationError'
    this.check = options?.check ?? /credential refused \(([\w-]+)\)/.exec(message)?.[1]
  }
}
export class StaleEpochError extends Error {
  /** The channel's current epoch, as the sequencer has it. */
  readonly epoch: number
  constructor (message: string, epoch: number, options?: ErrorOptions) { super(message, options); this.name = 'StaleEpochError'; this.epoch = epoch }
}
export class UnavailableError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'UnavailableError' }
}
/**
 * A subscription asked for messages older than the name's archive keeps (its retention
 * trimmed them): `oldest` is the first sequence number still kept, where a subscription
 * may start instead.
 */
export class HistoryTrimmedError extends Error {
  readonly oldest: number
  constructor (message: string, oldest: number, options?: ErrorOptions) { super(message, options); this.name = 'HistoryTrimmedError'; this.oldest = oldest }

  /** `from` of `name` was asked for; the archive starts at `oldest`. */
  static at (name: string, from: number, oldest: number): HistoryTrimmedError {
    return new HistoryTrimmedError(`messages of ${name} before ${oldest} are no longer kept (its retention trimmed them); ${from} was asked for, the oldest kept is ${oldest}`, oldest)
  }
}
export class SessionClosedError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'SessionClosedError' }
}
/** The relay ended the session for a reason a reconnect may fix (slowness, a timeout). */
export class SessionFaultError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'SessionFaultError' }
}
/**
 * A relay's policy refused what the agent asked (a subscribe, a publish, serving a
 * name): the message says which name and which rule; the session goes on.
 */
export class PermissionDeniedError extends Error {
  /** The policy rule that refused (`allowSubscribe`, `allowPublish`, ...), when known. */
  readonly rule?: string
  constructor (message: string, rule?: string, options?: ErrorOptions) { super(message, options); this.name = 'PermissionDeniedError'; this.rule = rule }
}
/** The quotas a relay keeps per agent (src/relay/agent-quotas.ts). */
export type QuotaName = 'subscriptions' | 'names' | 'bytesInFlight'

/**
 * The agent is past one of its quotas at its relay: `quota` says which, `limit` is the
 * relay's limit for it. Only that request is refused; the session and the agent's other
 * requests within quota go on. Freed as the agent unsubscribes (`subscriptions`), as
 * names go unused for the window (`names`) and as its publishes are answered
 * (`bytesInFlight`).
 */
export class QuotaExceededError extends Error {
  readonly quota: QuotaName
  readonly limit: number
  constructor (message: string, quota: QuotaName, limit: number, options?: ErrorOptions) { super(message, options); this.name = 'QuotaExceededError'; this.quota = quota; this.limit = limit }

  /** `what` is refused: the agent is past its `quota` (`limit`); `fix` says what frees it. */
  static of (quota: QuotaName, limit: number, what: string, fix: string): QuotaExceededError {
    return new QuotaExceededError(`${what}: over its ${quota} quota (limit ${limit}); ${fix}, or have the relay's operator raise quotas.${quota}`, quota, limit)
  }

  /** The error for a `QUOTA_EXCEEDED` reason as `of` words it (the quota and limit read back from it). */
  static fromReason (reason: string): QuotaExceededError {
    const m = /over its (subscriptions|names|bytesInFlight) quota \(limit (\d+)\)/.exec(reason)
    return new QuotaExceededError(reason, (m?.[1] ?? 'subscriptions') as QuotaName, Number(m?.[2] ?? 0))
  }
}
/** A `quotas` setting a relay cannot run with (not a whole number, 0 or more). */
export class InvalidQuotaError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'InvalidQuotaError' }
}
/** Metadata the relay would refuse: too many entries, or an entry over the size limit. */
export class InvalidMetadataError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'InvalidMetadataError' }
}
/** A second subscription to a name this agent already subscribes to. */
export class AlreadySubscribedError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'AlreadySubscribedError' }
}
/**
 * A submission to a channel name that a `GroupClose` closed (rule `channel.closed`): its
 * sequencer takes nothing more until the closed channel's owner reopens the name with a
 * new channel's first commit.
 */
export class NameClosedError extends Error {
  readonly rule = 'channel.closed'
  constructor (message: string, options?: ErrorOptions) { super(message, options); this.name = 'NameClosedError' }
}
export class RemoteError extends Error {
  readonly code: number
  constructor (message: string, code: number, options?: ErrorOptions) { super(message, options); this.name = 'RemoteError'; this.code = code }
}

/**
 * The typed error for a code the relay sent back; `detail` is the epoch of a
 * `STALE_EPOCH` and the oldest sequence number kept of a `HISTORY_TRIMMED`.
 */
export function errorFromCode (code: number, reason: string, detail = 0): Error {
  const epoch = detail
  switch (code) {
    case ErrorCode.NO_ROUTE:
    case ErrorCode.HOP_LIMIT: return new NoRouteError(reason)
    case ErrorCode.TIMEOUT: return new TimeoutError(reason)
    case ErrorCode.AUTH_FAILED: return new AuthenticationError(reason)
    case ErrorCode.STALE_EPOCH: return new StaleEpochError(reason, epoch)
    case ErrorCode.UNAVAILABLE:
    case ErrorCode.NOT_SEQUENCER:
    case ErrorCode.SHUTTING_DOWN: return new UnavailableError(reason)
    case ErrorCode.PAYLOAD_TOO_LARGE: return new PayloadTooLargeError(reason)
    case ErrorCode.PERMISSION_DENIED: return new PermissionDeniedError(reason, /\(([\w.]+)\)/.exec(reason)?.[1])
    case ErrorCode.INVALID_NAME: return new InvalidNameError(reason)
    case ErrorCode.HISTORY_TRIMMED: return new HistoryTrimmedError(reason, detail)
    case ErrorCode.QUOTA_EXCEEDED: return QuotaExceededError.fromReason(reason)
    case ErrorCode.CHANNEL_CLOSED: return new NameClosedError(reason)
    default: {
      const e = new RemoteError(`${errorCodeName(code)}: ${reason}`, code)
      return e
    }
  }
}
