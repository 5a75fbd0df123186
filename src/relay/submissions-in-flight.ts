/**
 * Multicast submissions this relay forwarded for its own agents toward another relay's
 * sequencer, until their acknowledgement comes back.
 *
 * A submission can vanish on the way: the sequencer relay crashes with it in a link's
 * buffer, or a transit relay drops its link. Nothing would ever answer it, and its
 * publisher would wait for its full deadline. So every `resendAfterMs` without an answer
 * it is sent again toward the name's current sequencer (the sequencer de-duplicates by
 * message id, also across its own restart, so a copy that did arrive is acknowledged
 * with its first sequence number, never numbered twice). While a resent submission
 * cannot get through (no route, the sequencer down), routing failures are not passed to
 * the publisher: the relay keeps trying until the sequencer is back, and only after
 * `sequencerWaitMs` fails it with `UNAVAILABLE`. A first attempt that fails to route is
 * reported at once, as before: a publish to a name whose sequencer is known to be down
 * fails promptly. A sequencer relay that holds no credential for the publisher answers
 * `CREDENTIAL_REQUIRED`: the relay sends the submission again at once with the
 * credential attached (`credentialAsked`), a few times at most, and the publisher is not
 * told.
 */
import type { Envelope } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { idKey } from './dedup-window.js'
import type { Clock } from './clock.js'
import type { RelayConfig } from './types.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { SequencerAck } from './sequencer.actor.js'

interface InFlight {
  env: Envelope
  origin: SequencerOrigin
  firstSent: number
  lastSent: number
  resent: number
  /** Routing failures are retried from the first attempt on (a handover has no publisher to tell). */
  persistent: boolean
  /** Times the sequencer asked for the publisher's credential (`CREDENTIAL_REQUIRED`). */
  credentialAsked: number
}

export interface SubmissionsInFlightInit {
  clock: Clock
  /** Read at each use, so a new configuration applies. */
  config: Pick<RelayConfig, 'resendAfterMs' | 'sequencerWaitMs'>
  /** Sends the submission again toward the name's current sequencer. */
  resend: (env: Envelope, origin: SequencerOrigin) => void
  /** Fails the submission at its publisher. */
  fail: (origin: SequencerOrigin, ack: SequencerAck) => void
}

/** Routing failures: the sequencer did not decide anything, the message did not get there. */
const ROUTING_FAILURES = new Set<number>([ErrorCode.NO_ROUTE, ErrorCode.HOP_LIMIT, ErrorCode.UNAVAILABLE, ErrorCode.NOT_SEQUENCER])

/** Times a submission is sent again with its credential before the sequencer's asking is taken as a refusal. */
const MAX_CREDENTIAL_RESENDS = 3

/** Submissions tracked at most; past this the oldest is left to its publisher's deadline. */
const MAX_TRACKED = 65_536

export class SubmissionsInFlight {
  private readonly init: SubmissionsInFlightInit
  private readonly entries = new Map<string, InFlight>()
  private timer?: unknown

  constructor (init: SubmissionsInFlightInit) {
    this.init = init
  }

  get size (): number { return this.entries.size }

  /**
   * A submission of a local agent just went toward another relay's sequencer.
   * `persistent`: retried through routing failures from the first attempt on (messages
   * handed over after a lost claim, which nobody else would send again).
   */
  sent (env: Envelope, origin: SequencerOrigin, persistent = false): void {
    if (env.noAck) return // fire and forget: nobody waits for it
    const now = this.init.clock.now()
    const key = idKey(env.messageId)
    const had = this.entries.get(key)
    if (had != null) { had.lastSent = now; return } // the agent resent it after a reconnect
    this.entries.set(key, { env, origin, firstSent: now, lastSent: now, resent: 0, persistent, credentialAsked: 0 })
    if (this.entries.size > MAX_TRACKED) this.entries.delete(this.entries.keys().next().value as string)
    this.schedule()
  }

  /**
   * An answer for one of this relay's agents. Returns false when it is a routing failure
   * of a resent submission still inside its wait: swallowed, the relay tries again.
   */
  answered (ack: SequencerAck): boolean {
    const key = idKey(ack.messageId)
    const entry = this.entries.get(key)
    if (entry == null) return true
    if (ack.code !== 0 && ROUTING_FAILURES.has(ack.code) && (entry.resent > 0 || entry.persistent) && this.init.clock.now() - entry.firstSent < this.init.config.sequencerWaitMs) return false
    this.entries.delete(key)
    return true
  }

  /**
   * The sequencer holds no credential for the submission's publisher
   * (`CREDENTIAL_REQUIRED`): the submission to send again at once, with the credential
   * attached; `untracked` if it is not tracked (fire and forget: nobody waits for it);
   * `exhausted` (and no longer tracked) if it was sent with its credential often enough.
   */
  credentialAsked (ack: SequencerAck): { env: Envelope, origin: SequencerOrigin } | 'untracked' | 'exhausted' {
    const key = idKey(ack.messageId)
    const entry = this.entries.get(key)
    if (entry == null) return 'untracked'
    if (++entry.credentialAsked > MAX_CREDENTIAL_RESENDS) { this.entries.delete(key); return 'exhausted' }
    entry.lastSent = this.init.clock.now()
    return entry
  }

  private schedule (): void {
    if (this.timer != null || this.entries.size === 0) return
    this.timer = this.init.clock.setTimeout(() => { this.timer = undefined; this.check() }, Math.max(50, this.init.config.resendAfterMs / 2))
  }

  private check (): void {
    const now = this.init.clock.now()
    for (const [key, e] of this.entries) {
      if (now - e.firstSent >= this.init.config.sequencerWaitMs) {
        this.entries.delete(key)
        this.init.fail(e.origin, {
          messageId: e.env.messageId,
          seq: 0,
          code: ErrorCode.UNAVAILABLE,
          reason: `the sequencer of ${e.env.destination} did not acknowledge within ${this.init.config.sequencerWaitMs} ms: it is down or unreachable (resent ${e.resent} times)`,
          epoch: 0
        })
      } else if (now - e.lastSent >= this.init.config.resendAfterMs) {
        e.lastSent = now
        e.resent++
        this.init.resend(e.env, e.origin)
      }
    }
    this.schedule()
  }

  stop (): void {
    if (this.timer != null) this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.entries.clear()
  }
}
