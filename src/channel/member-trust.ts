/**
 * The trust a channel member checks other members against, when its agent has trust on
 * (`ChannelAgent.authority`): the mesh authority's anchors (src/trust/verifier.ts), and
 * the signed revocations the relay passed on, each verified before it counts. One per
 * agent, shared by all its channels.
 */
import { TrustAnchors } from '../trust/verifier.js'
import type { AgentCredential } from '../trust/verifier.js'
import type { AuthorityPublic } from '../trust/keys.js'

export class MemberTrust {
  readonly anchors: TrustAnchors
  private pending: Promise<void> = Promise.resolve()
  /** Revocations that did not verify (forged, or of another mesh): counted, never applied. */
  refusedRevocations = 0

  constructor (authority: AuthorityPublic, revocations: string[] = []) {
    this.anchors = new TrustAnchors({ authority })
    if (revocations.length > 0) void this.addRevocations(revocations)
  }

  /** Verifies and adds revocations; resolves with how many were new. */
  async addRevocations (jwts: string[]): Promise<number> {
    const run = this.pending.then(async () => {
      let fresh = 0
      for (const jwt of jwts) {
        try {
          if (this.anchors.revocations.add(await this.anchors.verifyRevocation(jwt))) fresh++
        } catch {
          this.refusedRevocations++
        }
      }
      return fresh
    })
    this.pending = run.then(() => {})
    return await run
  }

  /** Checks an agent credential JWT for a leaf signature key: chain, signature, validity, revocation, bound key. */
  async verify (jwt: string, publicKey: Uint8Array): Promise<AgentCredential> {
    await this.pending
    return await this.anchors.verifyAgent(jwt, { publicKey })
  }
}
