/**
 * Errors of the channel area. One class per condition; `this.name` equals the class name
 * so callers branch on `err.name`, and the underlying failure travels as `cause`.
 */

import type { CredentialCheck } from '../trust/errors.js'

export { PermissionDeniedError, QuotaExceededError } from '../relay/errors.js'

function named<T extends Error> (err: T, name: string): T {
  err.name = name
  return err
}

/**
 * Which check a member's credential failed (`CredentialMismatchError.check`):
 * - `name-key`: the name's instance is not the one its signature key gives, the key is
 *   not Ed25519, or the identity is not an agent name / agent credential at all;
 * - `plain-name`: a bare agent name (open mode) where the channel's mesh has trust on;
 * - `credential-type`: not a basic credential;
 * - the trust checks of the agent credential it carries (src/trust/errors.ts):
 *   `untrusted-issuer`, `signature`, `expired`, `revoked`, `key-mismatch`, `malformed`, ...
 */
export type MemberCredentialCheck = CredentialCheck | 'name-key' | 'plain-name' | 'credential-type'

/**
 * A member credential that does not pass: its agent name does not match its signature
 * key (the name's instance must be the one the key gives, src/names/identity.ts), or,
 * with trust on, the agent credential it carries does not check out. `check` names the
 * check it failed.
 */
export class CredentialMismatchError extends Error {
  readonly check: MemberCredentialCheck
  constructor (message: string, options?: ErrorOptions & { check?: MemberCredentialCheck }) {
    super(message, options)
    named(this, 'CredentialMismatchError')
    this.check = options?.check ?? 'name-key'
  }
}

/**
 * A commit (or GroupClose) from the channel that this member refused to apply: its
 * committer lacks the role for what it does, or its `slim.*` metadata does not match its
 * proposals (src/channel/roles.ts). The member stays at its epoch.
 */
export class CommitRefusedError extends Error {
  readonly committer: string
  constructor (message: string, committer: string, options?: ErrorOptions) { super(message, options); named(this, 'CommitRefusedError'); this.committer = committer }
}

/** Bytes handed to the channel that are not a valid MLS message, key package or Welcome for it. */
export class InvalidChannelMessageError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'InvalidChannelMessageError') }
}

/** A message that decodes but cannot be opened: wrong group, forged, replayed, or from an epoch whose keys are gone. */
export class MessageRejectedError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'MessageRejectedError') }
}

/** An operation on a channel this agent is no longer a member of (removed, left or closed). */
export class ChannelClosedError extends Error {
  readonly reason: 'closed' | 'removed' | 'left'
  constructor (message: string, reason: 'closed' | 'removed' | 'left', options?: ErrorOptions) { super(message, options); named(this, 'ChannelClosedError'); this.reason = reason }
}

/** A cipher suite name that channels do not offer. */
export class UnsupportedChannelSuiteError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'UnsupportedChannelSuiteError') }
}

/** A member named in an operation is not in the channel (or already is, for an add). */
export class MemberNotFoundError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'MemberNotFoundError') }
}

/** An agent already in the channel was added again. */
export class AlreadyMemberError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'AlreadyMemberError') }
}

/** A commit that the sequencer kept refusing (stale epoch) after every retry, or that could not be built. */
export class CommitFailedError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'CommitFailedError') }
}

/** An invited agent that declined, or did not answer the JoinRequest in time. */
export class InviteFailedError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'InviteFailedError') }
}

/** joinChannel found no saved state and no Welcome came in time (or it was aborted). */
export class JoinFailedError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'JoinFailedError') }
}

/** A Welcome for which this agent holds no matching key package (used already, or never made here). */
export class NoMatchingKeyPackageError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'NoMatchingKeyPackageError') }
}

/** This agent already has the channel open. */
export class ChannelExistsError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'ChannelExistsError') }
}

/** A saved channel state that does not decode (corrupt store). */
export class CorruptChannelStateError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'CorruptChannelStateError') }
}

/** The names of every error this area throws, for callers (and tests) that check an error is a typed one. */
export const CHANNEL_ERROR_NAMES = new Set([
  'CredentialMismatchError', 'InvalidChannelMessageError', 'MessageRejectedError', 'ChannelClosedError',
  'UnsupportedChannelSuiteError', 'MemberNotFoundError', 'AlreadyMemberError', 'CommitFailedError', 'InviteFailedError',
  'JoinFailedError', 'NoMatchingKeyPackageError', 'ChannelExistsError', 'CorruptChannelStateError', 'CommitRefusedError',
  'PermissionDeniedError', 'QuotaExceededError'
])

/** The message of a caught value that may not be an Error. */
export function messageOf (e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

// ---- asking to join (./channel-join-request.actor.ts, ./join-requests.ts) ----

/** A member with the right to add (owner or admin) declined this agent's request to join; `by` is that member, as the relay stamped it. */
export class JoinDeclinedError extends Error {
  readonly by: string
  readonly reason: string
  constructor (message: string, by: string, reason: string, options?: ErrorOptions) { super(message, options); named(this, 'JoinDeclinedError'); this.by = by; this.reason = reason }
}

/** Nobody approved or declined this agent's request to join within `timeoutMs`. */
export class JoinRequestTimeoutError extends Error {
  readonly timeoutMs: number
  constructor (message: string, timeoutMs: number, options?: ErrorOptions) { super(message, options); named(this, 'JoinRequestTimeoutError'); this.timeoutMs = timeoutMs }
}

/**
 * approveJoin / declineJoin of a join request this member does not hold pending: never
 * seen here (`settled` undefined), or settled already: `approved` (the requester became a
 * member), `declined`, `expired` (past the requester's deadline, or dropped from the window).
 */
export class JoinRequestNotFoundError extends Error {
  readonly id: string
  readonly settled?: 'approved' | 'declined' | 'expired'
  constructor (message: string, id: string, settled?: 'approved' | 'declined' | 'expired', options?: ErrorOptions) { super(message, options); named(this, 'JoinRequestNotFoundError'); this.id = id; this.settled = settled }
}

for (const name of ['JoinDeclinedError', 'JoinRequestTimeoutError', 'JoinRequestNotFoundError']) CHANNEL_ERROR_NAMES.add(name)
// ---- discovery and closed names (./discovery.ts; the sequencer's `channel.closed`) ----

export { NameClosedError } from '../relay/errors.js'

/**
 * The channel answered a discovery request with a refusal: the asker is not a member and
 * the channel's discovery policy (`policy`, kept with its roles) lets outsiders learn
 * nothing. `rule` is `channel.discovery`.
 */
export class DiscoveryRefusedError extends Error {
  readonly rule = 'channel.discovery'
  readonly policy: string
  /** The member that answered. */
  readonly answeredBy: string
  constructor (message: string, policy: string, answeredBy: string, options?: ErrorOptions) { super(message, options); named(this, 'DiscoveryRefusedError'); this.policy = policy; this.answeredBy = answeredBy }
}

/** No member of the channel answered a discovery request in time (nobody has it open, or the name is no channel). */
export class DiscoveryTimeoutError extends Error {
  readonly timeoutMs: number
  constructor (message: string, timeoutMs: number, options?: ErrorOptions) { super(message, options); named(this, 'DiscoveryTimeoutError'); this.timeoutMs = timeoutMs }
}

/** A discovery policy that is not `members`, `count` or `none`. */
export class InvalidDiscoveryPolicyError extends Error {
  constructor (message: string, options?: ErrorOptions) { super(message, options); named(this, 'InvalidDiscoveryPolicyError') }
}

for (const n of ['NameClosedError', 'DiscoveryRefusedError', 'DiscoveryTimeoutError', 'InvalidDiscoveryPolicyError']) CHANNEL_ERROR_NAMES.add(n)
