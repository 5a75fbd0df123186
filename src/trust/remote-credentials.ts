/**
 * The credentials of agents attached to other relays, as a sequencer relay learns them:
 * a submission routed from another relay carries its publisher's credential
 * (`Routed.credential`) the first time that relay sends one of that agent's submissions
 * here. It is verified once (the chain, validity, revocation, that it binds the key the
 * agent's instance id is derived from, and that it grants the agent's service name) and
 * kept by agent name, so the submissions after it cost one map lookup.
 *
 * Bounded: past `capacity` agents the oldest is forgotten; its next submission is
 * answered `CREDENTIAL_REQUIRED` and its home relay sends the credential again.
 */
import { decodeJwt } from 'jose'
import type { JWK } from 'jose'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { rawOfJwk } from './keys.js'
import { CredentialError } from './errors.js'
import type { AgentCredential, TrustAnchors } from './verifier.js'
import { instanceIdFromPublicKey } from '../names/identity.js'
import { instanceOf, parseAgentName } from '../names/names.js'

interface Known { cred: AgentCredential, checkedAt: number }

export interface RemoteCredentialsInit {
  trust: TrustAnchors
  /** Milliseconds (the relay's clock). */
  now: () => number
  /** Agents remembered at most (default 65,536). */
  capacity?: number
  /** How often a remembered credential's expiry and revocation are looked at again (default 1 s). */
  recheckMs?: number
}

export class RemoteCredentials {
  private readonly init: RemoteCredentialsInit
  private readonly known = new Map<string, Known>()
  private readonly capacity: number
  private readonly recheckMs: number

  constructor (init: RemoteCredentialsInit) {
    this.init = init
    this.capacity = init.capacity ?? 65_536
    this.recheckMs = init.recheckMs ?? 1000
  }

  get size (): number { return this.known.size }

  /**
   * The credential known for `agent`, still valid; undefined if none is known (or the
   * one known has expired or was revoked since: then it is forgotten).
   */
  get (agent: string): AgentCredential | undefined {
    const k = this.known.get(agent)
    if (k == null) return undefined
    const now = this.init.now()
    if (now - k.checkedAt >= this.recheckMs) {
      try {
        this.init.trust.recheck(k.cred)
      } catch {
        this.known.delete(agent)
        return undefined
      }
      k.checkedAt = now
    }
    return k.cred
  }

  /** The JWT known for `agent`, as it was learnt (no recheck). */
  jwtOf (agent: string): string | undefined { return this.known.get(agent)?.cred.jwt }

  /**
   * Verifies `jwt` as the credential of the agent `agent` (a full agent name) and keeps it.
   * Throws `CredentialError` when it does not pass.
   */
  async learn (agent: string, jwt: string): Promise<AgentCredential> {
    const had = this.known.get(agent)
    if (had?.cred.jwt === jwt) {
      const cred = this.get(agent)
      if (cred != null) return cred
    }
    let name
    try { name = parseAgentName(agent) } catch (err) { throw new CredentialError('malformed', `the submission's source "${agent}" is not an agent name: ${(err as Error).message}`) }
    let cnf: JWK | undefined
    try {
      cnf = (decodeJwt(jwt).cnf as { jwk?: JWK } | undefined)?.jwk
    } catch (err) {
      throw new CredentialError('malformed', `it is not a JWT: ${(err as Error).message}`)
    }
    if (cnf?.kty !== 'OKP' || cnf.crv !== 'Ed25519' || typeof cnf.x !== 'string') throw new CredentialError('malformed', 'it binds no Ed25519 key (cnf.jwk)')
    const publicKey = rawOfJwk(cnf)
    const cred = await this.init.trust.verifyAgent(jwt, { publicKey, name })
    let instance: string
    try { instance = instanceIdFromPublicKey(publicKeyFromRaw(cred.publicKey)) } catch (err) { throw new CredentialError('malformed', `its key is not an Ed25519 public key: ${(err as Error).message}`) }
    if (instance !== instanceOf(name)) throw new CredentialError('key-mismatch', `it binds the key of instance ${instance}, but the submission comes from ${agent}`)
    this.known.delete(agent)
    if (this.known.size >= this.capacity) this.known.delete(this.known.keys().next().value as string)
    this.known.set(agent, { cred, checkedAt: this.init.now() })
    return cred
  }

  forget (agent: string): void { this.known.delete(agent) }
}
