/**
 * Channel discovery with real relays (src/channel/discovery.ts): a member asking gets the
 * member list with roles and the epoch; a non-member gets what the channel's discovery
 * policy allows (`none` by default: a typed refusal, not a timeout; `count`; `members`),
 * only the owner changes the policy, and nobody answering is a typed timeout.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { agent, line, stopAll, waitFor } from '../helpers.js'
import type { Agent } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import { addAndJoin } from './channel-helpers.js'

const CH = 'acme/disc/room'

describe('channel discovery on a 3-relay line', () => {
  let relays: Relay[] = []
  let agents: Agent[] = []
  afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

  async function setup (): Promise<[Agent, Agent, Agent, Agent]> {
    relays = await line(3)
    const [r0, r1, r2] = relays as [Relay, Relay, Relay]
    const a = await agent(r0, 'acme/disc/owner')
    const b = await agent(r2, 'acme/disc/bob')
    const c = await agent(r1, 'acme/disc/carol')
    const outsider = await agent(r1, 'acme/disc/outsider')
    agents = [a, b, c, outsider]
    return [a, b, c, outsider]
  }

  it('a member gets the member list with roles and epoch; a non-member gets a typed refusal under the default policy', async () => {
    const [a, b, c, outsider] = await setup()
    const ach = await a.createChannel(CH)
    expect(ach.discovery).toBe('none')
    const bch = await addAndJoin(ach, b, CH)
    await addAndJoin(ach, c, CH)
    await waitFor(() => bch.epoch === 2, 'bob at epoch 2')

    const dir = await b.discoverChannel(CH)
    expect(dir).toMatchObject({ name: CH, epoch: 2, memberCount: 3, answeredBy: a.name })
    expect(dir.members).toEqual([{ name: a.name, role: 'owner' }, { name: b.name, role: 'member' }, { name: c.name, role: 'member' }])

    const started = Date.now()
    await expect(outsider.discoverChannel(CH, { timeoutMs: 8000 })).rejects.toMatchObject({ name: 'DiscoveryRefusedError', rule: 'channel.discovery', policy: 'none', answeredBy: a.name })
    // The refusal is an answer, not the timeout running out.
    expect(Date.now() - started).toBeLessThan(8000)
  })

  it('count tells a non-member the epoch and how many; members tells it the list; only the owner changes the policy; owner and admins answer', async () => {
    const [a, b, , outsider] = await setup()
    const ach = await a.createChannel(CH, { discovery: 'count' })
    const bch = await addAndJoin(ach, b, CH)
    expect(bch.discovery).toBe('count')

    const counted = await outsider.discoverChannel(CH)
    expect(counted).toMatchObject({ name: CH, epoch: 1, memberCount: 2, answeredBy: a.name })
    expect(counted.members).toBeUndefined()

    await ach.grantAdmin(b.name)
    await waitFor(() => bch.roles?.admins.includes(b.name) === true, 'bob to be an admin')
    await expect(bch.setDiscovery('members')).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.roles' })
    await ach.setDiscovery('members')
    await waitFor(() => bch.discovery === 'members', 'bob to see the new policy')
    expect(ach.roles).toMatchObject({ owner: a.name, admins: [b.name], discovery: 'members' })

    const listed = await outsider.discoverChannel(CH)
    expect(listed.epoch).toBe(3)
    expect(listed.members).toEqual([{ name: a.name, role: 'owner' }, { name: b.name, role: 'admin' }])
    expect([a.name, b.name]).toContain(listed.answeredBy)
    // A roles change keeps the policy.
    await ach.revokeAdmin(b.name)
    await waitFor(() => bch.roles?.admins.length === 0, 'bob no longer an admin')
    expect(bch.discovery).toBe('members')
  })

  it('nobody answering is DiscoveryTimeoutError; a policy that is none of the three is refused', async () => {
    const [a, , , outsider] = await setup()
    await expect(outsider.discoverChannel('acme/disc/nobody-here', { timeoutMs: 600 })).rejects.toMatchObject({ name: 'DiscoveryTimeoutError', timeoutMs: 600 })
    await expect(a.createChannel(CH, { discovery: 'everyone' as never })).rejects.toMatchObject({ name: 'InvalidDiscoveryPolicyError' })
    // The caller's own signal ends it with its reason, not as a timeout.
    const ac = new AbortController()
    const asking = outsider.discoverChannel('acme/disc/nobody-here', { timeoutMs: 10_000, signal: ac.signal })
    ac.abort(new Error('gave up'))
    await expect(asking).rejects.toThrow('gave up')
  })
})
