/**
 * How a member's MLS group is configured: the member itself (LocalMember, its name,
 * identity key and, with trust on, agent credential), the key retention window
 * (KeyRetention, the forward-secrecy trade-off, enforced by MlsGroup rather than left to
 * ts-mls), and the ts-mls ClientConfig built from them. No I/O and no group state.
 */
import { defaultKeyPackageEqualityConfig, defaultLifetimeConfig, defaultPaddingConfig } from 'ts-mls'
import type { ClientConfig } from 'ts-mls'
import type { PrivateKey } from '@libp2p/interface'
import type { MemberAuthenticationService } from './credentials.js'

/**
 * How long keys of the past are kept: the forward-secrecy trade-off (RFC 9420 section
 * 14, "the application can choose how long to keep old key material").
 *
 * - `epochs`: old epochs whose receiving keys are kept. A message sealed just before a
 *   commit is ordered after it by the sequencer and needs the previous epoch's keys, so
 *   the default is 1: exactly that race is tolerated, nothing older. 0 drops old keys
 *   at once (strict forward secrecy; such a message is then rejected).
 * - `generations`: skipped message keys kept per sender within an epoch (default 10).
 * - `maxForwardSteps`: the furthest a sender's ratchet is moved forward for one message
 *   (default 200), which bounds the work a forged generation can cause.
 */
export interface KeyRetention {
  epochs: number
  generations: number
  maxForwardSteps: number
}

export const DEFAULT_KEY_RETENTION: KeyRetention = { epochs: 1, generations: 10, maxForwardSteps: 200 }

export interface LocalMember {
  name: string
  identity: PrivateKey
  /** With trust on: the agent credential (JWT) its MLS credential carries instead of its bare name. */
  credential?: string
}

export function clientConfig (auth: MemberAuthenticationService, retention: KeyRetention): ClientConfig {
  return {
    keyRetentionConfig: {
      // ts-mls 1.6.4 keeps every epoch when asked for 0; MlsGroup trims the window instead.
      retainKeysForEpochs: Math.max(1, retention.epochs),
      retainKeysForGenerations: retention.generations,
      maximumForwardRatchetSteps: retention.maxForwardSteps
    },
    lifetimeConfig: defaultLifetimeConfig,
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    paddingConfig: defaultPaddingConfig,
    authService: auth
  }
}

/** Throws a RangeError unless every retention field is a whole number >= 0; returns `r`. */
export function checkRetention (r: KeyRetention): KeyRetention {
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`key retention ${k} must be a whole number >= 0, got ${String(v)}`)
  }
  return r
}
