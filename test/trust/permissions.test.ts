/**
 * Per-name policy from credentials' grants (src/relay/relay-gate.ts, relay-core.ts): two
 * organisations on one mesh, each agent's credential from its organisation's issuer
 * with explicit, narrow grants. What a grant does not cover is refused with
 * `PermissionDeniedError` naming the grant (serving is refused silently: the agent is
 * just no instance); a reply to a request the agent was delivered is always allowed;
 * refusals are counted per agent and name. A 2-relay line on 127.0.0.1.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { agent, collect, line, routed, stopAll, str, testMesh, waitFor } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { relayInternals } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { agentInternals } from '../../src/agent/agent.js'
import type { Message } from '../../src/agent/message.js'
import { delegateIssuer, issueAgentCredential } from '../../src/trust/tokens.js'
import type { SigningKey } from '../../src/trust/keys.js'
import type { Grants } from '../../src/trust/grants.js'
import type { AgentCredentials } from '../../src/trust/credentials-file.js'

const SUMMARIZER = 'acme/research/summarizer'

let relays: Relay[]
let r0: Relay
let r1: Relay
let acme: SigningKey
let globex: SigningKey
const cleanup: Agent[] = []

beforeAll(async () => {
  relays = await line(2)
  ;[r0, r1] = relays as [Relay, Relay]
  const { authority } = await testMesh()
  acme = await delegateIssuer(authority, { prefix: 'acme/**' })
  globex = await delegateIssuer(authority, { prefix: 'globex/**' })
})
afterEach(async () => { await stopAll(...cleanup.splice(0)) })
afterAll(async () => { await stopAll(...relays) })

/** An agent on `r` with a credential from `issuer` for `name` with exactly `grants`. */
async function member (r: Relay, issuer: SigningKey, name: string, grants: Grants): Promise<Agent> {
  const key = await generateKeyPair('Ed25519')
  const credential = await issueAgentCredential(issuer, { name, publicKey: key.publicKey.raw, grants })
  const credentials: AgentCredentials = { kind: 'slim-mesh/agent', authority: issuer.authority, credential, key }
  const a = await agent(r, name, { credentials })
  cleanup.push(a)
  return a
}

async function plain (r: Relay, name: string): Promise<Agent> {
  const a = await agent(r, name)
  cleanup.push(a)
  return a
}

/** Every grant, on `prefix` only. */
const narrow = (prefix: string): Grants => ({ publish: { anycast: [prefix], multicast: [prefix], unicast: [prefix] }, subscribe: [prefix], serve: [prefix] })

const denials = (r: Relay, agentName: string, name: string): number => r.denials().get(agentName)?.get(name) ?? 0

/** Serves `name` on `a`, answering `tag`; returns what it was sent. */
async function serve (a: Agent, name: string, tag: string): Promise<Message[]> {
  const got: Message[] = []
  const sub = await a.subscribe(name)
  void (async () => { try { for await (const m of sub) { got.push(m); await m.respond?.(tag) } } catch {} })()
  return got
}

describe('per-name policy from grants, two organisations', () => {
  it('a globex agent with grants for globex/** only: refused subscribe, multicast and requests on acme names, with the grant named', async () => {
    const g = await member(r1, globex, 'globex/ops/agent', narrow('globex/**'))
    const real = await member(r0, acme, SUMMARIZER, { subscribe: [SUMMARIZER], serve: [SUMMARIZER] })
    await serve(real, SUMMARIZER, 'real')
    await routed(relays, SUMMARIZER)

    const before = denials(r1, g.name, SUMMARIZER)
    await expect(g.subscribe(SUMMARIZER)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.subscribe' })
    await expect(g.publish('acme/research/news', 'hi', { mode: 'multicast' })).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.publish.multicast' })
    await expect(g.request(SUMMARIZER, 'summarize this')).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.publish.anycast' })
    await expect(g.publish(real.name, 'direct', { mode: 'unicast' })).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.publish.unicast' })
    expect(denials(r1, g.name, SUMMARIZER)).toBe(before + 2)
    expect(denials(r1, g.name, 'acme/research/news')).toBe(1)

    // Its own organisation's names work, and the session went on through the refusals.
    expect(g.state).toBe('active')
    const own = collect(await g.subscribe('globex/ops/feed'))
    await g.publish('globex/ops/feed', 'own news', { mode: 'multicast' })
    await waitFor(() => own.length === 1, 'its own multicast')
    const gServer = await member(r0, globex, 'globex/ops/echo', narrow('globex/**'))
    await serve(gServer, 'globex/ops/echo', 'globex-echo')
    await routed(relays, 'globex/ops/echo')
    expect(str((await g.request('globex/ops/echo', 'q')).data)).toBe('globex-echo')
  })

  it('an acme agent granted subscribe but not serve on a name subscribes and gets its multicast, but no anycast', async () => {
    const real = await member(r0, acme, SUMMARIZER, { subscribe: [SUMMARIZER], serve: [SUMMARIZER] })
    const served = await serve(real, SUMMARIZER, 'real')
    const listener = await member(r0, acme, 'acme/research/listener', { subscribe: [SUMMARIZER] })
    const heard = await serve(listener, SUMMARIZER, 'listener')
    const client = await plain(r1, 'acme/research/client')
    await routed(relays, SUMMARIZER)
    expect(relayInternals(r0).table.localInstances(SUMMARIZER)).toHaveLength(1)

    for (let i = 0; i < 20; i++) expect(str((await client.request(SUMMARIZER, `q${i}`)).data)).toBe('real')
    expect(served).toHaveLength(20)
    await client.publish(SUMMARIZER, 'to every subscriber', { mode: 'multicast' })
    await waitFor(() => heard.some(m => m.mode === 'multicast') && served.some(m => m.mode === 'multicast'), 'the multicast at both subscribers')
    expect(heard.filter(m => m.mode !== 'multicast')).toEqual([])
    // Serving is refused silently: not counted as a denial (it only subscribes).
    expect(denials(r0, listener.name, SUMMARIZER)).toBe(0)
  })

  it('a serve grant alone lets an agent subscribe to that name as one of its instances, and to nothing else', async () => {
    const server = await member(r0, acme, 'acme/research/indexer', { serve: ['acme/research/indexer'] })
    const served = await serve(server, 'acme/research/indexer', 'indexed')
    await expect(server.subscribe('acme/research/other')).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.subscribe' })
    const client = await plain(r1, 'acme/research/client2')
    await routed(relays, 'acme/research/indexer')
    expect(str((await client.request('acme/research/indexer', 'q')).data)).toBe('indexed')
    expect(served).toHaveLength(1)
  })

  it('100 requests to a service all reach the real instances while an agent of another organisation tries to serve the same name', async () => {
    const serveIt: Grants = { subscribe: [SUMMARIZER], serve: [SUMMARIZER] }
    const realA = await member(r0, acme, SUMMARIZER, serveIt)
    const realB = await member(r1, acme, SUMMARIZER, serveIt)
    const servedA = await serve(realA, SUMMARIZER, 'real-a')
    const servedB = await serve(realB, SUMMARIZER, 'real-b')
    // The intruder's credential is genuine, for its own organisation, and grants everything there.
    const intruder = await member(r1, globex, 'globex/evil/summarizer', narrow('globex/**'))
    const before = denials(r1, intruder.name, SUMMARIZER)
    await expect(serve(intruder, SUMMARIZER, 'stolen')).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.subscribe' })
    expect(denials(r1, intruder.name, SUMMARIZER)).toBe(before + 1)
    const client = await plain(r0, 'acme/research/client')
    await routed(relays, SUMMARIZER, 2)

    const answers: string[] = []
    for (let batch = 0; batch < 10; batch++) {
      const replies = await Promise.all(Array.from({ length: 10 }, async (_, i) => await client.request(SUMMARIZER, `q${batch * 10 + i}`)))
      answers.push(...replies.map(m => str(m.data)))
    }
    expect(answers).toHaveLength(100)
    expect(answers.filter(a => a !== 'real-a' && a !== 'real-b')).toEqual([])
    expect(servedA.length + servedB.length).toBe(100)
    for (const r of relays) expect(relayInternals(r).table.localInstances(SUMMARIZER).every(i => !intruder.name.endsWith(i))).toBe(true)
    expect(intruder.state).toBe('active')
  })

  it('allow-responses: an agent with no publish grant replies to a request it was sent, but cannot send an unsolicited "reply"', async () => {
    const quiet = await member(r1, acme, 'acme/research/quiet', { subscribe: ['acme/research/quiet'], serve: ['acme/research/quiet'] })
    await serve(quiet, 'acme/research/quiet', 'answer')
    const client = await plain(r0, 'acme/research/asker')
    const inbox = collect(await client.subscribe('acme/research/asker'))
    await routed(relays, 'acme/research/quiet')

    for (let i = 0; i < 3; i++) expect(str((await client.request('acme/research/quiet', `q${i}`)).data)).toBe('answer')

    const before = denials(r1, quiet.name, client.name)
    await expect(quiet.publish(client.name, 'unasked', { mode: 'unicast' })).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.publish.unicast' })
    // A made-up correlation id does not make it a reply.
    const port = agentInternals(quiet)
    const env = port.envelope(client.name, new TextEncoder().encode('forged reply'), { mode: 'unicast' })
    env.correlationId = new Uint8Array(randomBytes(16))
    await expect(port.send(env)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.publish.unicast' })
    expect(denials(r1, quiet.name, client.name)).toBe(before + 2)
    await expect(quiet.publish('acme/research/news', 'x', { mode: 'multicast' })).rejects.toMatchObject({ rule: 'grant.publish.multicast' })
    expect(denials(r1, quiet.name, 'acme/research/news')).toBe(1)

    // Still answering afterwards; nothing unsolicited reached the asker.
    expect(str((await client.request('acme/research/quiet', 'again')).data)).toBe('answer')
    expect(inbox.filter(m => str(m.data) !== 'answer')).toEqual([])
    expect(quiet.state).toBe('active')
  })

  it('allow-responses for a request delivered to a channel: a member with no grant to reach the asker answers its discovery', async () => {
    const room = 'acme/research/room'
    const owner = await member(r0, acme, 'acme/research/owner', { publish: { multicast: [room] }, subscribe: [room, 'acme/research/owner'], channels: [room] })
    const ch = await owner.createChannel(room, { discovery: 'count' })
    const outsider = await member(r1, acme, 'acme/partners/visitor', { publish: { multicast: [room] }, subscribe: ['acme/partners/visitor'] })
    // The owner may not send to the visitor unasked ...
    await expect(owner.publish(outsider.name, 'unasked', { mode: 'unicast' })).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'grant.publish.unicast' })
    // ... but answers the request the channel delivered to it.
    await expect(outsider.discoverChannel(room, { timeoutMs: 8000 })).resolves.toMatchObject({ name: room, epoch: ch.epoch, memberCount: 1, answeredBy: owner.name })
  }, 30_000)
})
