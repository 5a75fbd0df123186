/**
 * Credentials run out: an agent that signs its own (an issuer's credentials) is cut by
 * the relay when one expires, reconnects with a fresh one and goes on; an agent with one
 * fixed credential is cut for good, and its subscriptions end saying why.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { agent, collect, relay, stopAll, testMesh, waitFor } from '../helpers.js'
import type { AgentStatus } from '../../src/actors/agent-session.actor.js'
import { issueAgentCredential } from '../../src/trust/tokens.js'
import { allGrants } from '../../src/trust/grants.js'

const cleanup: Array<{ stop?: () => unknown, close?: () => unknown }> = []
afterEach(async () => { await stopAll(...cleanup.splice(0)) })

describe('credential expiry', () => {
  it('an agent signing its own credentials reconnects with a fresh one when one expires, and keeps receiving', async () => {
    const r = await relay()
    cleanup.push(r)
    const statuses: AgentStatus[] = []
    const reader = await agent(r, 'acme/renew/reader', { credentialLifetime: 2, onStatus: s => statuses.push(s) })
    cleanup.push(reader)
    const got = collect(await reader.subscribe('acme/renew/news'))
    const writer = await agent(r, 'acme/renew/writer')
    cleanup.push(writer)
    await writer.publish('acme/renew/news', 'before', { mode: 'multicast' })
    await waitFor(() => statuses.some(s => s.type === 'session.reconnected'), 'the reader to be cut at expiry and reconnect', 15_000)
    await writer.publish('acme/renew/news', 'after', { mode: 'multicast' })
    await waitFor(() => got.length >= 2, 'both messages at the reader')
    expect(got.map(m => new TextDecoder().decode(m.data))).toEqual(['before', 'after'])
    expect(reader.state).toBe('active')
  })

  it('an agent with one fixed credential is cut when it expires; its subscription ends with AuthenticationError (expired)', async () => {
    const r = await relay()
    cleanup.push(r)
    const { credentials } = await testMesh()
    if (credentials.kind !== 'slim-mesh/issuer') throw new Error('the test mesh has an issuer')
    const key = await generateKeyPair('Ed25519')
    const credential = await issueAgentCredential(credentials.issuer, { name: 'acme/renew/fixed', publicKey: key.publicKey.raw, grants: allGrants(), lifetime: 2 })
    const fixed = await agent(r, 'acme/renew/fixed', { credentials: { kind: 'slim-mesh/agent', authority: credentials.authority, credential, key } })
    cleanup.push(fixed)
    const sub = await fixed.subscribe('acme/renew/news')
    const ended = (async () => { try { for await (const _ of sub) { /* nothing is published */ } return undefined } catch (err) { return err as Error } })()
    const err = await ended
    expect(err).toMatchObject({ name: 'AuthenticationError', check: 'expired' })
    expect(fixed.state).toBe('closed')
  }, 15_000)
})
