/**
 * Who is asking the controller. Every request but the dashboard page itself is
 * authenticated; there is no open endpoint (NATS's monitoring port is, ours is not):
 * - a relay: `Authorization: SlimMesh <its relay credential>` and a DPoP proof signed by
 *   its libp2p key (the proof's key gives the peer id the credential must name), and it
 *   must be on the roster;
 * - an operator: `Authorization: SlimMesh <an admin credential>` and a DPoP proof signed
 *   by the key that credential binds;
 * - a joining relay: a DPoP proof only; its join token is in the body;
 * - the dashboard: `Authorization: Bearer <session>` from `slim-mesh ctl dashboard`,
 *   read-only and expiring.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { TrustAnchors } from '../trust/verifier.js'
import { ProofChecker } from './proofs.js'
import type { VerifiedProof } from './proofs.js'
import { ControllerError } from './errors.js'

const SCHEME = 'SlimMesh '
const DASHBOARD_SESSION_MS = 12 * 3600_000

export type Caller =
  | { kind: 'relay', peerId: string }
  | { kind: 'operator', name: string }
  | { kind: 'dashboard' }

function header (req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export class ControllerAuth {
  private readonly anchors: TrustAnchors
  private readonly proofs = new ProofChecker()
  private readonly sessions = new Map<string, number>()
  private readonly onRoster: (peerId: string) => boolean
  /** Refusals so far, by rule (a counted event, as every denial is). */
  readonly refusals = new Map<string, number>()

  constructor (anchors: TrustAnchors, onRoster: (peerId: string) => boolean) {
    this.anchors = anchors
    this.onRoster = onRoster
  }

  private refuse (err: ControllerError): never {
    this.refusals.set(err.rule, (this.refusals.get(err.rule) ?? 0) + 1)
    throw err
  }

  async proof (req: IncomingMessage, path: string): Promise<VerifiedProof> {
    try {
      return await this.proofs.verify(header(req, 'dpop'), req.method ?? 'GET', path)
    } catch (err) {
      if (err instanceof ControllerError) this.refuse(err)
      throw err
    }
  }

  private credentialOf (req: IncomingMessage): string {
    const auth = header(req, 'authorization')
    if (auth == null || !auth.startsWith(SCHEME)) this.refuse(new ControllerError(401, 'credential.missing', 'the request carries no credential (Authorization: SlimMesh <credential>)'))
    return auth.slice(SCHEME.length).trim()
  }

  async relay (req: IncomingMessage, path: string): Promise<{ kind: 'relay', peerId: string }> {
    const cred = this.credentialOf(req)
    const p = await this.proof(req, path)
    try {
      await this.anchors.verifyRelay(cred, p.peerId)
    } catch (err) {
      this.refuse(new ControllerError(401, `credential.${(err as { check?: string }).check ?? 'invalid'}`, (err as Error).message, { cause: err }))
    }
    if (!this.onRoster(p.peerId)) this.refuse(new ControllerError(403, 'relay.unknown', `relay ${p.peerId} is not on this mesh's roster (it was removed, or never joined)`))
    return { kind: 'relay', peerId: p.peerId }
  }

  async operator (req: IncomingMessage, path: string): Promise<{ kind: 'operator', name: string }> {
    const cred = this.credentialOf(req)
    const p = await this.proof(req, path)
    let admin = false
    let name = ''
    try {
      const c = await this.anchors.verifyAgent(cred, { publicKey: p.publicKey })
      admin = c.admin
      name = c.name
    } catch (err) {
      this.refuse(new ControllerError(401, `credential.${(err as { check?: string }).check ?? 'invalid'}`, (err as Error).message, { cause: err }))
    }
    if (!admin) this.refuse(new ControllerError(403, 'credential.not-admin', `${name} holds no admin credential; the controller's API needs one signed by the mesh authority (slim-mesh credential issue --admin)`))
    return { kind: 'operator', name }
  }

  /** An operator, or (for reads) the dashboard. */
  async reader (req: IncomingMessage, path: string): Promise<Caller> {
    const auth = header(req, 'authorization')
    if (auth?.startsWith('Bearer ') === true) {
      const expires = this.sessions.get(auth.slice(7).trim())
      if (expires == null || expires < Date.now()) this.refuse(new ControllerError(401, 'dashboard.session', 'the dashboard session is unknown or expired; run slim-mesh ctl dashboard for a new link'))
      if (req.method !== 'GET') this.refuse(new ControllerError(403, 'dashboard.read-only', 'the dashboard reads only'))
      return { kind: 'dashboard' }
    }
    return await this.operator(req, path)
  }

  /** A new dashboard session (for an operator). */
  dashboardSession (): { token: string, expiresAt: number } {
    const now = Date.now()
    for (const [t, e] of this.sessions) if (e < now) this.sessions.delete(t)
    const token = randomBytes(24).toString('base64url')
    const expiresAt = now + DASHBOARD_SESSION_MS
    this.sessions.set(token, expiresAt)
    return { token, expiresAt }
  }
}
