/**
 * Which credentials a home relay has sent along to each sequencer relay: a multicast
 * submission carries its publisher's credential (`Routed.credential`) only the first time
 * it goes to that relay, again when the credential changed, and whenever the sequencer
 * relay asks for it (`CREDENTIAL_REQUIRED`: it restarted, or forgot it). Tracked per
 * relay, so a name whose sequencer moves sends it to the new relay; forgotten when the
 * route to a relay goes, so a relay that comes back is sent it again. The hot path then
 * carries no credential bytes (src/relay/sequencer-credentials.ts is the other end).
 */
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

  /** Routes changed: relays no longer reachable are sent the credentials again once they are back. */
  forgetUnreachable (reachable: (relay: string) => boolean): void {
    for (const relay of this.sent.keys()) if (!reachable(relay)) this.sent.delete(relay)
  }
}
