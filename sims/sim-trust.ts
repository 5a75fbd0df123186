/**
 * The simulated mesh's trust, as a user's mesh runs: one authority, an issuer for every
 * name, and for each simulated agent an Ed25519 key (derived from the run's seed and the
 * agent's index, so names are the same for the same seed), the name its key gives, and a
 * credential the relays check. Credentials are checked once here, before the run, on the
 * trust anchors every simulated relay shares: in simulated time a relay's check (at its
 * session, and at a remote sequencer) then finds the verdict cached and waits on no
 * real-time crypto, so the run stays deterministic.
 */
import { createHash } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { createAuthority } from '../src/trust/keys.js'
import { delegateIssuer, issueAgentCredential } from '../src/trust/tokens.js'
import { allGrants } from '../src/trust/grants.js'
import { TrustAnchors } from '../src/trust/verifier.js'
import type { AgentCredential } from '../src/trust/verifier.js'
import { agentNameForKey } from '../src/names/identity.js'
import type { AgentSpec } from './engine.js'

export interface SimTrust {
  anchors: TrustAnchors
  /** Each agent's name and checked credential, by the agent's index. */
  agents: Map<number, { name: string, credential: AgentCredential }>
}

export async function simTrust (seed: string | number, specs: AgentSpec[]): Promise<SimTrust> {
  const authority = await createAuthority()
  const issuer = await delegateIssuer(authority, { prefix: '**' })
  const anchors = new TrustAnchors({ authority: authority.authority })
  const agents = new Map<number, { name: string, credential: AgentCredential }>()
  for (const spec of specs) {
    const key = await generateKeyPairFromSeed('Ed25519', createHash('sha256').update(`${String(seed)}:agent:${spec.index}`).digest())
    const name = agentNameForKey(spec.service, key.publicKey)
    const jwt = await issueAgentCredential(issuer, { name: spec.service, publicKey: key.publicKey.raw, grants: allGrants(), lifetime: '7d' })
    agents.set(spec.index, { name, credential: await anchors.verifyAgent(jwt, { publicKey: key.publicKey.raw, name }) })
  }
  return { anchors, agents }
}
