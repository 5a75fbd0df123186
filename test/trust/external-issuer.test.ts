/**
 * External issuers (src/trust/verifier.ts `ExternalIssuer`): a JWKS (an OIDC provider's,
 * made here with jose) trusted for one prefix. Its plain JWTs (`sub` the service name,
 * `cnf.jwk` the agent's key) admit agents within that prefix with its grants, and nothing
 * outside it. A real relay on 127.0.0.1.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest'
import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair as joseKeyPair, SignJWT } from 'jose'
import type { CryptoKey, JWK, JWTPayload } from 'jose'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { agent, collect, relay, stopAll, str, testMesh, waitFor } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { relayInternals } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { ed25519Jwk } from '../../src/trust/keys.js'
import type { Grants } from '../../src/trust/grants.js'
import type { AgentCredentials } from '../../src/trust/credentials-file.js'
import type { AuthenticationError } from '../../src/relay/errors.js'

const ISS = 'https://idp.partner.example'
const KID = 'partner-key-1'
const PARTNER_GRANTS: Grants = { publish: { anycast: ['partner/**'], multicast: ['partner/**'], unicast: ['partner/**'] }, subscribe: ['partner/**'], serve: ['partner/**'] }

interface Idp { privateKey: CryptoKey, kid: string }
let idp: Idp
let r: Relay
const cleanup: Agent[] = []

async function idpKey (kid: string): Promise<Idp & { publicJwk: JWK }> {
  const { privateKey, publicKey } = await joseKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return { privateKey, kid, publicJwk: { ...await exportJWK(publicKey), kid, alg: 'EdDSA', use: 'sig' } }
}

beforeAll(async () => {
  const k = await idpKey(KID)
  idp = k
  const jwks = { keys: [k.publicJwk] }
  r = await relay({ trust: { authority: (await testMesh()).authority, external: [{ prefix: 'partner/**', jwks, issuer: ISS, grants: PARTNER_GRANTS }] } })
})
afterEach(async () => { await stopAll(...cleanup.splice(0)) })
afterAll(async () => { await stopAll(r) })

/** A token as the provider issues one: `sub` the service name, `cnf.jwk` the agent's key. */
async function token (by: Idp, key: PrivateKey, claims: JWTPayload & { sub: string }, options: { iss?: string } = {}): Promise<string> {
  return await new SignJWT({ cnf: { jwk: ed25519Jwk(key.publicKey.raw) }, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: by.kid })
    .setIssuer(options.iss ?? ISS)
    .setIssuedAt()
    .setJti(randomBytes(12).toString('base64url'))
    .setExpirationTime('10m')
    .sign(by.privateKey)
}

async function credentials (key: PrivateKey, credential: string): Promise<AgentCredentials> {
  return { kind: 'slim-mesh/agent', authority: (await testMesh()).authority.authority, credential, key }
}

async function connect (name: string, creds: AgentCredentials): Promise<Agent> {
  const a = await agent(r, name, { credentials: creds })
  cleanup.push(a)
  return a
}

async function refusal (name: string, creds: AgentCredentials): Promise<string | undefined> {
  const err = await agent(r, name, { credentials: creds }).then(async a => { await a.close(); return undefined }, (e: unknown) => e)
  expect(err, 'the relay admitted it').toBeDefined()
  expect((err as Error).name).toBe('AuthenticationError')
  return (err as AuthenticationError).check
}

describe('an external issuer\'s JWKS is trusted for its prefix only', () => {
  it('an agent with a token from it connects and uses the issuer\'s grants, within its prefix only', async () => {
    const key = await generateKeyPair('Ed25519')
    const ext = await connect('partner/ns/svc', await credentials(key, await token(idp, key, { sub: 'partner/ns/svc' })))
    expect(ext.state).toBe('active')
    expect(ext.name.startsWith('partner/ns/svc/')).toBe(true)

    // It serves its name to the mesh's agents, and multicasts on its prefix.
    void (async () => { for await (const m of await ext.subscribe('partner/ns/svc')) await m.respond?.(`partner says ${str(m.data)}`) })()
    await waitFor(() => relayInternals(r).table.localInstances('partner/ns/svc').length === 1, 'the partner service')
    const meshAgent = await agent(r, 'acme/x/client')
    cleanup.push(meshAgent)
    expect(str((await meshAgent.request('partner/ns/svc', 'hello')).data)).toBe('partner says hello')
    const feed = collect(await ext.subscribe('partner/ns/feed'))
    await ext.publish('partner/ns/feed', 'news', { mode: 'multicast' })
    await waitFor(() => feed.length === 1, 'its own multicast')

    // The issuer's grants stop at its prefix.
    await expect(ext.subscribe('acme/x/feed')).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.subscribe' })
    await expect(ext.publish('acme/x/feed', 'x', { mode: 'multicast' })).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.publish.multicast' })
    expect(ext.state).toBe('active')
  })

  it('a token\'s own grants (within the prefix) replace the issuer\'s defaults', async () => {
    const key = await generateKeyPair('Ed25519')
    const ext = await connect('partner/ns/reader', await credentials(key, await token(idp, key, { sub: 'partner/ns/reader', grants: { subscribe: ['partner/ns/feed'] } })))
    await ext.subscribe('partner/ns/feed')
    await expect(ext.subscribe('partner/ns/other')).rejects.toMatchObject({ rule: 'grant.subscribe' })
    await expect(ext.publish('partner/ns/feed', 'x', { mode: 'multicast' })).rejects.toMatchObject({ rule: 'grant.publish.multicast' })
  })

  it('a token from it for a name outside its prefix: outside-prefix', async () => {
    const key = await generateKeyPair('Ed25519')
    expect(await refusal('acme/x/y', await credentials(key, await token(idp, key, { sub: 'acme/x/y' })))).toBe('outside-prefix')
  })

  it('a token from it granting outside its prefix: outside-prefix', async () => {
    const key = await generateKeyPair('Ed25519')
    const grants: Grants = { subscribe: ['partner/**'], publish: { anycast: ['acme/**'] } }
    expect(await refusal('partner/ns/greedy', await credentials(key, await token(idp, key, { sub: 'partner/ns/greedy', grants })))).toBe('outside-prefix')
    // An admin claim is the authority's alone.
    expect(await refusal('partner/ns/admin', await credentials(key, await token(idp, key, { sub: 'partner/ns/admin', admin: true })))).toBe('outside-prefix')
  })

  it('a token signed by a key not in the JWKS: untrusted-issuer; by another key under the JWKS key\'s kid: signature', async () => {
    const key = await generateKeyPair('Ed25519')
    const stranger = await idpKey('partner-key-2')
    expect(await refusal('partner/ns/svc', await credentials(key, await token(stranger, key, { sub: 'partner/ns/svc' })))).toBe('untrusted-issuer')
    const impostor = await idpKey(KID)
    expect(await refusal('partner/ns/svc', await credentials(key, await token(impostor, key, { sub: 'partner/ns/svc' })))).toBe('signature')
  })

  it('a token from the JWKS key but with another iss: untrusted-issuer', async () => {
    const key = await generateKeyPair('Ed25519')
    expect(await refusal('partner/ns/svc', await credentials(key, await token(idp, key, { sub: 'partner/ns/svc' }, { iss: 'https://idp.evil.example' })))).toBe('untrusted-issuer')
  })
})
