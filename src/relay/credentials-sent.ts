/**
 * Which credentials a home relay has sent along to each sequencer relay: a multicast
 * submission carries its publisher's credential (`Routed.credential`) only the first time
 * it goes to that relay, again when the credential changed, and whenever the sequencer
 * relay asks for it (`CREDENTIAL_REQUIRED`: it restarted, or forgot it). Tracked per
 * relay, so a name whose sequencer moves sends it to the new relay; forgotten when the
 * route to a relay goes, so a relay that comes back is sent it again. The hot path then
 * carries no credential bytes (src/relay/sequencer-credentials.ts is the other end).
 */
import { ErrorCode } from '../wire/errors.js'
import type { SubmissionsInFlight } from './submissions-in-flight.js'
import type { SequencerAck } from './sequencer.actor.js'
export class CredentialsSent {
  private readonly sent = new Map<string, Map<string, string>>()
  /** The credential (JWT) to send for an agent, if this relay holds one. */
  private readonly lookup: (agent: string) => string | undefined

  constructor (lookup: (agent: string) => string | undefined) {
    this.lookup = lookup
  }

  /** The credential to send with a submission of `agent` to `relay`, or undefined (already sent). */
  for (relay: string, agent: string, always = false): string | undefined {
    const jwt = this.lookup(agent)
    if (jwt == null) return undefined
    let sent = this.sent.get(relay)
    if (sent == null) { sent = new Map(); this.sent.set(relay, sent) }
    if (!always && sent.get(agent) === jwt) return undefined
    sent.set(agent, jwt)
    return jwt
  }

  /** `relay` asked for `agent`'s credential: it goes with the next submission. */
  asked (relay: string, agent: string): void { this.sent.get(relay)?.delete(agent) }

  /** The agent left: nothing of it is remembered. */
  forgetAgent (agent: string): void {
    for (const sent of this.sent.values()) sent.delete(agent)
  }

  /** Whether this relay holds a credential of `agent` to send. */
  holds (agent: string): boolean { return this.lookup(agent) != null }

  /** Routes changed: relays no longer reachable are sent the credentials again once they are back. */
  forgetUnreachable (reachable: (relay: string) => boolean): void {
    for (const relay of this.sent.keys()) if (!reachable(relay)) this.sent.delete(relay)
  }
}

/**
 * The sequencer relay `from` holds no credential for `agent` (it restarted, or forgot
 * it): the submission goes again at once with the credential (`resend`), the publisher
 * not told; refused (`refuse`) when this relay holds none or the sequencer keeps asking.
 * A submission nobody waits for is not resent (neither), but the next one carries it.
 */
export function credentialRequested (sent: CredentialsSent, inflight: SubmissionsInFlight, agent: string, ack: SequencerAck, from: string | undefined, self: string): { resend?: Exclude<ReturnType<SubmissionsInFlight['credentialAsked']>, 'untracked' | 'exhausted'>, refuse?: SequencerAck } {
  if (from != null) sent.asked(from, agent)
  const asked = inflight.credentialAsked(ack)
  if (asked === 'untracked') return {}
  const holds = sent.holds(agent)
  if (asked !== 'exhausted' && holds) return { resend: asked }
  const why = holds ? `the sequencer relay ${from ?? '?'} keeps asking for its credential` : `the sequencer relay ${from ?? '?'} asks for its credential, which relay ${self} does not hold`
  return { refuse: { ...ack, code: ErrorCode.PERMISSION_DENIED, reason: `${agent} may not publish (credential): ${why} (${ack.reason})` } }
}
