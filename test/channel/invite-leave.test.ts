/**
 * Inviting and leaving through the real channel layer, where they end other than well:
 * the paths of src/machines/channel-invite.machine.ts and channel-leave.machine.ts that
 * test/channel/channel.test.ts does not take.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { agent, relay, stopAll, text, waitFor } from '../helpers.js'
import type { Agent } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import { agentNameForKey } from '../../src/names/identity.js'
import { statuses } from './channel-helpers.js'

const CH = 'acme/research/invites'

describe('invite and leave, when they do not simply succeed', () => {
  let relays: Relay[] = []
  let agents: Agent[] = []
  afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

  async function two (): Promise<[Agent, Agent]> {
    relays = [await relay()]
    const a = await agent(relays[0] as Relay, 'acme/research/alice')
    const b = await agent(relays[0] as Relay, 'acme/research/bob')
    agents = [a, b]
    return [a, b]
  }

  it('an invitation nobody answers fails with InviteFailedError after its timeout, and the channel goes on', async () => {
    const [a, b] = await two()
    const ach = await a.createChannel(CH)
    // Bob is connected but not joining: he keeps the JoinRequest and does not answer it.
    await expect(ach.invite(b.name, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'InviteFailedError', message: `${b.name} did not answer the invitation to ${CH}` })
    expect(ach.members).toEqual([a.name])
    expect(ach.state).toBe('active')
    // He answers the held request once he joins, and a new invitation adds him.
    const bj = b.joinChannel(CH, { timeoutMs: 20_000 })
    await ach.invite(b.name)
    await bj
    expect(ach.members).toEqual([a.name, b.name])
  })

  it('an invitation to an agent that is not there fails with InviteFailedError', async () => {
    const [a] = await two()
    const ach = await a.createChannel(CH)
    const nobody = agentNameForKey('acme/research/nobody', (await generateKeyPair('Ed25519')).publicKey)
    await expect(ach.invite(nobody, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'InviteFailedError' })
    expect(ach.epoch).toBe(0)
  })

  it('an invitation given up by its signal fails with InviteFailedError and commits nothing', async () => {
    const [a, b] = await two()
    const ach = await a.createChannel(CH)
    const ac = new AbortController()
    const invited = ach.invite(b.name, { signal: ac.signal })
    ac.abort()
    await expect(invited).rejects.toMatchObject({ name: 'InviteFailedError', message: `the invitation of ${b.name} to ${CH} was given up` })
    expect(ach.epoch).toBe(0)
    expect((await ach.send(text('still here'))).seq).toBeGreaterThan(0)
  })

  it('the last member leaving ends its channel as left, telling nobody', async () => {
    const [a] = await two()
    const ach = await a.createChannel(CH)
    const seen = statuses(ach)
    await ach.leave()
    expect(ach.state).toBe('left')
    expect(seen.map(s => s.type)).toContain('channel.left')
    await expect(ach.send(text('x'))).rejects.toMatchObject({ name: 'ChannelClosedError' })
  })

  it('a leave that no member grants fails with ChannelClosedError (left), its last refusal as cause', async () => {
    const [a, b] = await two()
    const ach = await a.createChannel(CH)
    const bj = b.joinChannel(CH, { timeoutMs: 20_000 })
    await ach.addMember(await b.keyPackage())
    const bch = await bj
    await waitFor(() => bch.members.length === 2, 'bob to see both members')
    // Alice goes away: Bob's LeaveRequest finds nobody to answer it.
    await a.close()
    const err = await bch.leave({ timeoutMs: 500 }).then(() => undefined, (e: unknown) => e as Error & { reason?: string, cause?: Error })
    expect(err).toMatchObject({ name: 'ChannelClosedError', reason: 'left' })
    expect(err?.message).toMatch(new RegExp(`^could not leave ${CH}: no member removed ${b.name}`))
    expect(err?.cause).toMatchObject({ name: 'InviteFailedError' })
  })
})
