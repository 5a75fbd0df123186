/**
 * A relay's trust: the anchors it checks credentials against, its own relay credential,
 * and the revocations it holds (kept in its store, so they survive restarts, and passed
 * on to every relay it links with).
 *
 * How a relay is told whom to trust (`TrustOptions`):
 * - `authority`: the mesh authority's public key; or the authority itself (with its
 *   private key), and then the relay signs its own relay credential (development, tests);
 * - `credential`: this relay's credential (`slim-mesh credential issue --relay`);
 * - `external`: issuers outside the mesh trusted for a prefix each (a JWKS).
 */
import { TrustAnchors } from './verifier.js'
import type { ExternalIssuer } from './verifier.js'
import { RevocationList } from './revocations.js'
import type { Revocation } from './revocations.js'
import { issueRelayCredential } from './tokens.js'
import type { Authority, AuthorityPublic } from './keys.js'
import { publicOf } from './credentials-file.js'
import { TrustConfigError } from './errors.js'
import type { Store } from '../store/store.js'

export interface TrustOptions {
  authority: Authority | AuthorityPublic
  credential?: string
  external?: ExternalIssuer[]
}

export class RelayTrust {
  readonly anchors: TrustAnchors
  /** This relay's credential, shown to every relay it links with. */
  readonly credential: string
  private readonly store: Store
  private readonly listeners: Array<(r: Revocation) => void> = []

  private constructor (anchors: TrustAnchors, credential: string, store: Store) {
    this.anchors = anchors
    this.credential = credential
    this.store = store
  }

  static async create (options: TrustOptions, peerId: string, store: Store): Promise<RelayTrust> {
    if (options?.authority == null) throw new TrustConfigError('trust needs the mesh authority (its public key, or the authority itself)')
    const anchors = new TrustAnchors({ authority: publicOf(options.authority), external: options.external, revocations: new RevocationList() })
    let credential = options.credential
    if (credential == null) {
      if (!('privateKey' in options.authority)) throw new TrustConfigError('this relay has no relay credential: give trust.credential (slim-mesh credential issue --relay ' + peerId + '), or the authority with its private key')
      credential = await issueRelayCredential(options.authority, { peerId })
    }
    await anchors.verifyRelay(credential, peerId).catch((err: Error) => {
      throw new TrustConfigError(`this relay's own credential does not pass: ${err.message}`, { cause: err })
    })
    const trust = new RelayTrust(anchors, credential, store)
    for (const [, value] of await store.list('revocation/')) {
      try { anchors.revocations.add(await anchors.verifyRevocation(new TextDecoder().decode(value))) } catch {} // a revocation that no longer verifies is not kept
    }
    return trust
  }

  get mesh (): string { return this.anchors.mesh }

  /** Called with every new revocation (after it is stored). */
  onRevoked (fn: (r: Revocation) => void): void { this.listeners.push(fn) }

  /** Takes a signed revocation: checks it, keeps it; undefined if it was known already. */
  async revoke (jwt: string): Promise<Revocation | undefined> {
    const r = await this.anchors.verifyRevocation(jwt)
    if (!this.anchors.revocations.add(r)) return undefined
    await this.store.put(`revocation/${r.id}`, new TextEncoder().encode(jwt))
    for (const fn of this.listeners) fn(r)
    return r
  }

  /** Every revocation held, as signed JWTs. */
  revocations (): string[] { return this.anchors.revocations.list().map(r => r.jwt) }
}
