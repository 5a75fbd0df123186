/**
 * What an agent connects with, from its credentials (./credentials-file.ts): the key it
 * proves, the service name it takes, and the credential it presents at every session
 * handshake. With an issuer's credentials the agent signs itself a credential (12 hours,
 * every grant of the issuer's prefix) and signs a new one when that one runs low.
 */
import { decodeJwt } from 'jose'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { issueAgentCredential } from './tokens.js'
import { allGrants } from './grants.js'
import { ed25519Jwk } from './keys.js'
import type { AuthorityPublic } from './keys.js'
import type { AgentCredentials } from './credentials-file.js'
import { TrustConfigError } from './errors.js'
import { parseName, serviceOf } from '../names/names.js'

export interface AgentTrust {
  key: PrivateKey
  /** `org/namespace/service`. */
  name: string
  authority: AuthorityPublic
  /** The credential to present now (signed afresh when the last one runs low). */
  credential: () => Promise<string>
  /** Whether `credential` signs new ones (an issuer's credentials): an expired one is replaced. */
  renewable: boolean
}

const SELF_ISSUED_SECONDS = 12 * 3600
const RENEW_BEFORE_SECONDS = 600

/** `lifetimeSeconds`: how long each credential an issuer's credentials sign lives (default 12 h). */
export async function agentTrust (creds: AgentCredentials, options: { name?: string, key?: PrivateKey, lifetimeSeconds?: number }): Promise<AgentTrust> {
  if (creds.kind === 'slim-mesh/agent') {
    let claims
    try { claims = decodeJwt(creds.credential) } catch (err) { throw new TrustConfigError(`the agent credential is not a JWT: ${(err as Error).message}`) }
    const granted = String(claims.sub)
    if (options.name != null && serviceOf(parseName(options.name)) !== granted) throw new TrustConfigError(`the credential is for ${granted}, not ${options.name}; connect as ${granted} or use a credential for ${options.name}`)
    const key = creds.key ?? options.key
    if (key == null) throw new TrustConfigError('the agent credential file has no key and none was given (identity or dataDir): a credential is bound to one key')
    const bound = (claims.cnf as { jwk?: { x?: string } } | undefined)?.jwk?.x
    if (key.type !== 'Ed25519' || bound !== ed25519Jwk(key.publicKey.raw).x) throw new TrustConfigError(`the credential for ${granted} is bound to another key than this agent's`)
    const jwt = creds.credential
    return { key, name: granted, authority: creds.authority, credential: async () => jwt, renewable: false }
  }
  if (options.name == null) throw new TrustConfigError('an issuer\'s credentials need the agent\'s name (org/namespace/service) to sign a credential for')
  const name = serviceOf(parseName(options.name))
  const key = options.key ?? await generateKeyPair('Ed25519')
  let current: { jwt: string, exp: number } | undefined
  const issuer = creds.issuer
  const lifetime = options.lifetimeSeconds ?? SELF_ISSUED_SECONDS
  if (!Number.isSafeInteger(lifetime) || lifetime < 1) throw new TrustConfigError(`a credential lifetime is a whole number of seconds >= 1, not ${lifetime}`)
  // Signed afresh once it has less than a quarter of its life (at most 10 minutes) left.
  const renewBefore = Math.min(RENEW_BEFORE_SECONDS, Math.floor(lifetime / 4))
  return {
    key,
    name,
    authority: creds.authority,
    renewable: true,
    credential: async () => {
      const now = Math.floor(Date.now() / 1000)
      if (current == null || current.exp - now <= renewBefore) {
        const jwt = await issueAgentCredential(issuer, { name, publicKey: key.publicKey.raw, grants: allGrants(issuer.prefix), lifetime })
        current = { jwt, exp: now + lifetime }
      }
      return current.jwt
    }
  }
}
