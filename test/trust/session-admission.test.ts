/**
 * Session admission (src/actors/relay-session.actor.ts `verify()`): an agent whose
 * credential fails a check is refused at the handshake, with the check that failed as
 * the reason (`AuthenticationError.check`), and the agents already on the relay go on
 * undisturbed. Real relays on 127.0.0.1; a hand-driven session for what a real agent
 * would refuse to send (a credential for another key or another name).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { generateKeyPairSync, randomBytes, sign as edSign } from 'node:crypto'
import { decodeJwt, SignJWT } from 'jose'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { agent, relay, stopAll, str, testMesh, waitFor } from '../helpers.js'
import { rawSession } from '../relay/raw-session.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { createAuthority, ed25519Jwk } from '../../src/trust/keys.js'
import { delegateIssuer, issueAgentCredential, issueRevocation, TYP } from '../../src/trust/tokens.js'
import { allGrants } from '../../src/trust/grants.js'
import type { AgentCredentials } from '../../src/trust/credentials-file.js'
import { AuthenticationError } from '../../src/relay/errors.js'
import { ErrorCode } from '../../src/wire/errors.js'
import { sessionProofPayload } from '../../src/actors/session-proof.js'
import { agentNameForKey } from '../../src/names/identity.js'

let r: Relay
let server: Agent
let client: Agent
const ECHO = 'acme/adm/echo'

beforeAll(async () => {
  r = await relay()
  server = await agent(r, ECHO)
  void (async () => { for await (const m of await server.subscribe(ECHO)) await m.respond?.(m.data) })()
  client = await agent(r, 'acme/adm/client')
  await waitFor(async () => str((await client.request(ECHO, 'warm-up')).data) === 'warm-up', 'the echo service to answer')
})
afterAll(async () => { await stopAll(server, client, r) })

/** The agents connected before the attempt are still active, and a request/reply through them works. */
async function undisturbed (): Promise<void> {
  expect(server.state).toBe('active')
  expect(client.state).toBe('active')
  const q = `after-${randomBytes(4).toString('hex')}`
  expect(str((await client.request(ECHO, q)).data)).toBe(q)
  await client.publish(ECHO, 'a multicast still goes', { mode: 'multicast' })
}

/** Connects with these credentials and returns the error (or fails the test if it connected). */
async function refused (name: string, credentials: AgentCredentials | undefined): Promise<AuthenticationError> {
  const err = await agent(r, name, { credentials }).then(async a => { await a.close(); return undefined }, (e: unknown) => e)
  expect(err, 'the relay admitted it').toBeDefined()
  expect((err as Error).name).toBe('AuthenticationError')
  return err as AuthenticationError
}

/**
 * A handshake driven by hand, presenting `credential` for `service` with session key
 * `key` (what agent-credentials.ts would refuse to send): the relay's fault, if any.
 */
async function rawAttempt (service: string, key: PrivateKey, credential: string): Promise<AuthenticationError> {
  const addr = r.multiaddrs[0] as string
  const s = await rawSession(addr, key)
  try {
    const full = agentNameForKey(service, key.publicKey)
    s.send({ hello: { name: full, publicKey: new Uint8Array(publicKeyToProtobuf(key.publicKey)), version: 1, resumeToken: new Uint8Array(0), credential } })
    const ch = await s.next()
    if (ch.challenge == null) throw new Error(`no challenge: ${JSON.stringify(ch.fault)}`)
    const relayId = multiaddr(addr).getComponents().find(c => c.name === 'p2p')?.value ?? ''
    s.send({ auth: { signature: new Uint8Array(await key.sign(sessionProofPayload(ch.challenge.nonce, relayId, full))) } })
    const answer = await s.next()
    expect(answer.ready, 'the relay admitted the session').toBeUndefined()
    expect(answer.fault).toMatchObject({ code: ErrorCode.AUTH_FAILED, fatal: true })
    let closed = false
    void s.closed.then(() => { closed = true })
    await waitFor(() => closed, 'the relay to close the refused session')
    return new AuthenticationError(answer.fault?.reason ?? '')
  } finally {
    await s.stop()
  }
}

async function agentCredential (name: string, key: PrivateKey, lifetime?: number): Promise<AgentCredentials> {
  const { authority } = await testMesh()
  const credential = await issueAgentCredential(authority, { name, publicKey: key.publicKey.raw, grants: allGrants(), lifetime })
  return { kind: 'slim-mesh/agent', authority: authority.authority, credential, key }
}

describe('session admission: refused at the handshake with the reason; other sessions undisturbed', () => {
  it('no credential: missing', async () => {
    const err = await refused('acme/adm/nocred', undefined)
    expect(err.check).toBe('missing')
    await undisturbed()
  })

  it('an expired credential: expired', async () => {
    const key = await generateKeyPair('Ed25519')
    const creds = await agentCredential('acme/adm/old', key, 1)
    const exp = decodeJwt((creds as { credential: string }).credential).exp as number
    await waitFor(() => Date.now() / 1000 > exp, 'the credential to expire', 3000)
    const err = await refused('acme/adm/old', creds)
    expect(err.check).toBe('expired')
    await undisturbed()
  })

  it('a forged signature (the same header and payload signed by another key): signature', async () => {
    const key = await generateKeyPair('Ed25519')
    const good = await agentCredential('acme/adm/forged', key) as Extract<AgentCredentials, { kind: 'slim-mesh/agent' }>
    const [h, p] = good.credential.split('.') as [string, string, string]
    const other = generateKeyPairSync('ed25519')
    const forged = `${h}.${p}.${edSign(null, Buffer.from(`${h}.${p}`), other.privateKey).toString('base64url')}`
    expect(forged).not.toBe(good.credential)
    const err = await refused('acme/adm/forged', { ...good, credential: forged })
    expect(err.check).toBe('signature')
    // The genuine one is admitted: it is the signature that was refused.
    const ok = await agent(r, 'acme/adm/forged', { credentials: good })
    await ok.close()
    await undisturbed()
  })

  it('an altered payload (one claim changed, the signature kept): signature', async () => {
    const key = await generateKeyPair('Ed25519')
    const good = await agentCredential('acme/adm/altered', key) as Extract<AgentCredentials, { kind: 'slim-mesh/agent' }>
    const [h, p, sig] = good.credential.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
    claims.admin = true
    const altered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`
    const err = await refused('acme/adm/altered', { ...good, credential: altered })
    expect(err.check).toBe('signature')
    await undisturbed()
  })

  it('a credential for another key (issued for A, the session proved by B): key-mismatch', async () => {
    const keyA = await generateKeyPair('Ed25519')
    const keyB = await generateKeyPair('Ed25519')
    const forA = await agentCredential('acme/adm/thief', keyA) as Extract<AgentCredentials, { kind: 'slim-mesh/agent' }>
    // The agent itself refuses to present it (agent-credentials.ts): so by hand.
    await expect(agent(r, 'acme/adm/thief', { credentials: { ...forA, key: keyB } })).rejects.toMatchObject({ name: 'TrustConfigError' })
    const err = await rawAttempt('acme/adm/thief', keyB, forA.credential)
    expect(err.check).toBe('key-mismatch')
    // The same hand-driven handshake with the key it was issued for is admitted.
    const s = await rawSession(r.multiaddrs[0] as string, keyA)
    try { await s.handshake('acme/adm/thief') } finally { await s.stop() }
    await undisturbed()
  })

  it('a credential for another service name than the session asks for: name-not-granted', async () => {
    const key = await generateKeyPair('Ed25519')
    const forA = await agentCredential('acme/adm/alice', key) as Extract<AgentCredentials, { kind: 'slim-mesh/agent' }>
    await expect(agent(r, 'acme/adm/bob', { credentials: forA })).rejects.toMatchObject({ name: 'TrustConfigError' })
    const err = await rawAttempt('acme/adm/bob', key, forA.credential)
    expect(err.check).toBe('name-not-granted')
    await undisturbed()
  })

  it('a credential from another mesh\'s authority or its issuer: untrusted-issuer', async () => {
    const other = await createAuthority()
    const key = await generateKeyPair('Ed25519')
    const byAuthority = await issueAgentCredential(other, { name: 'acme/adm/stranger', publicKey: key.publicKey.raw, grants: allGrants() })
    const err = await refused('acme/adm/stranger', { kind: 'slim-mesh/agent', authority: other.authority, credential: byAuthority, key })
    expect(err.check).toBe('untrusted-issuer')
    const err2 = await refused('acme/adm/stranger', { kind: 'slim-mesh/issuer', authority: other.authority, issuer: await delegateIssuer(other, { prefix: 'acme/**' }) })
    expect(err2.check).toBe('untrusted-issuer')
    await undisturbed()
  })

  it('an issuer signing outside its prefix (the name, or a grant): outside-prefix', async () => {
    const { authority } = await testMesh()
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**' })
    const key = await generateKeyPair('Ed25519')
    // issueAgentCredential refuses both: signed here as tokens.ts signs, chain and all.
    await expect(issueAgentCredential(issuer, { name: 'other/x/y', publicKey: key.publicKey.raw, grants: {} })).rejects.toMatchObject({ check: 'outside-prefix' })
    const signed = async (name: string, grants: object): Promise<string> => await new SignJWT({ sub: name, aud: authority.authority.mesh, cnf: { jwk: ed25519Jwk(key.publicKey.raw) }, grants })
      .setProtectedHeader({ alg: 'EdDSA', typ: TYP.agent, kid: issuer.kid, chain: [issuer.delegation] })
      .setIssuer(issuer.kid).setIssuedAt().setJti(randomBytes(16).toString('base64url')).setExpirationTime('1h')
      .sign(issuer.privateKey)
    const creds = (credential: string): AgentCredentials => ({ kind: 'slim-mesh/agent', authority: authority.authority, credential, key })

    const err = await refused('other/x/y', creds(await signed('other/x/y', { subscribe: ['other/**'] })))
    expect(err.check).toBe('outside-prefix')
    const err2 = await refused('acme/x/y', creds(await signed('acme/x/y', { subscribe: ['acme/**'], publish: { multicast: ['other/**'] } })))
    expect(err2.check).toBe('outside-prefix')
    // Signed the same way within its prefix, it is admitted: the prefix is what was refused.
    const ok = await agent(r, 'acme/x/y', { credentials: creds(await signed('acme/x/y', { subscribe: ['acme/**'] })) })
    expect(ok.state).toBe('active')
    await ok.close()
    await undisturbed()
  })

  it('a credential the relay holds a revocation for: revoked', async () => {
    const { authority } = await testMesh()
    const key = await generateKeyPair('Ed25519')
    const creds = await agentCredential('acme/adm/revoked', key) as Extract<AgentCredentials, { kind: 'slim-mesh/agent' }>
    expect(await r.revoke(await issueRevocation(authority, { credential: decodeJwt(creds.credential).jti as string }))).toBeDefined()
    const err = await refused('acme/adm/revoked', creds)
    expect(err.check).toBe('revoked')
    await undisturbed()
  })

  it('an issuer\'s delegation revoked at the relay: its agent, admitted before, is cut and refused (revoked)', async () => {
    const { authority } = await testMesh()
    const issuer = await delegateIssuer(authority, { prefix: 'acme/**' })
    const key = await generateKeyPair('Ed25519')
    const credential = await issueAgentCredential(issuer, { name: 'acme/adm/delegated', publicKey: key.publicKey.raw, grants: allGrants('acme/**') })
    const creds: AgentCredentials = { kind: 'slim-mesh/agent', authority: authority.authority, credential, key }
    const admitted = await agent(r, 'acme/adm/delegated', { credentials: creds })
    try {
      expect(admitted.state).toBe('active')
      expect(await r.revoke(await issueRevocation(authority, { credential: decodeJwt(issuer.delegation as string).jti as string }))).toBeDefined()
      const cut = await waitFor(() => admitted.state !== 'active', 'the session of the revoked issuer\'s agent to be cut', 5000).then(() => true, () => false)
      expect.soft(cut, 'the attached agent of a revoked issuer is cut').toBe(true)
    } finally {
      await admitted.close()
    }
    const err = await refused('acme/adm/delegated', creds)
    expect(err.check).toBe('revoked')
    await undisturbed()
  })
})
