/**
 * Channels with trust on: member credentials carry signed agent credentials checked
 * against the mesh authority, channel roles are enforced by every member, and a revoked
 * member is removed by one commit.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { agent, line, relay, stopAll, testMesh, text, waitFor } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { agentInternals } from '../../src/agent/agent.js'
import type { Channel } from '../../src/channel/agent-channels.js'
import type { MlsGroup } from '../../src/channel/group.js'
import { makeKeyPackage } from '../../src/channel/group.js'
import { DEFAULT_SUITE } from '../../src/channel/suites.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import { createAuthority } from '../../src/trust/keys.js'
import { delegateIssuer, issueRevocation } from '../../src/trust/tokens.js'
import type { Authority } from '../../src/trust/keys.js'
import type { AgentCredentials } from '../../src/trust/credentials-file.js'
import { addAndJoin, hex, localMember, read, statuses } from './channel-helpers.js'

const CH = 'acme/research/trusted'
let things: Array<Relay | Agent> = []
afterEach(async () => { await stopAll(...things); things = [] })

async function meshOf (n: number): Promise<{ r: Relay, agents: Agent[] }> {
  const r = await relay()
  things.push(r)
  const agents: Agent[] = []
  for (const name of ['alice', 'bob', 'carol', 'dave'].slice(0, n)) {
    const a = await agent(r, `acme/research/${name}`)
    things.push(a)
    agents.push(a)
  }
  return { r, agents }
}

/** Alice creates the channel and adds the others; resolves once everyone is at the same epoch. */
async function channelOf (agents: Agent[]): Promise<Channel[]> {
  const [owner, ...rest] = agents as [Agent, ...Agent[]]
  const first = await owner.createChannel(CH)
  const chs = [first]
  for (const a of rest) chs.push(await addAndJoin(first, a, CH))
  await waitFor(() => chs.every(ch => ch.epoch === rest.length), 'every member at the same epoch')
  return chs
}

/** Revokes a credential at the relay, which passes the revocation on to its agents. */
async function revoke (r: Relay, authority: Authority, credential: string): Promise<void> {
  expect(await r.revoke(await issueRevocation(authority, { credential }))).toBeDefined()
}

function sameAuthenticator (chs: Channel[]): void {
  for (const ch of chs) expect(hex(ch.epochAuthenticator)).toBe(hex((chs[0] as Channel).epochAuthenticator))
}

describe('channel trust and roles', () => {
  it('a member without the admin role cannot remove another: refused locally, and a crafted remove commit is applied by no member', async () => {
    const { agents } = await meshOf(3)
    const [a, b, c] = agents as [Agent, Agent, Agent]
    const [ach, bch, cch] = await channelOf(agents) as [Channel, Channel, Channel]
    const all = [ach, bch, cch]
    // Members learn the roles from the group context (the joiners from their Welcome).
    for (const ch of all) expect(ch.roles).toEqual({ owner: a.name, admins: [] })

    // The local check refuses before anything is sent.
    await expect(bch.removeMember(c.name)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.remove' })
    await expect(bch.close()).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.close' })
    await expect(bch.addMember(new Uint8Array(0))).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.add' })
    expect(bch.epoch).toBe(2)

    // Bypass the local check: build the remove at the MLS layer and send it through the agent port, metadata and all.
    const port = agentInternals(b)
    const group = (bch as unknown as { group: MlsGroup }).group
    const pending = await group.buildRemove(c.name)
    const env = port.envelope(CH, pending.bytes, { mode: 'multicast' })
    env.type = MessageType.GROUP_REMOVE
    env.channelId = CH
    env.epoch = (bch as unknown as { wireEpoch: number }).wireEpoch
    env.metadata.set('slim.removes', JSON.stringify([c.name]))
    const refusedAt = all.map(ch => statuses(ch))
    // The sequencer refuses it (its role check): it is never numbered.
    await expect(port.send(env)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.remove' })
    // The same removal hidden in a key update, which the sequencer lets any member make:
    // it is numbered, and every member refuses it (the member-side check reads the commit).
    const hidden = port.envelope(CH, pending.bytes, { mode: 'multicast' })
    hidden.type = MessageType.GROUP_PROPOSAL
    hidden.channelId = CH
    hidden.epoch = env.epoch
    const { seq } = await port.send(hidden)
    await waitFor(() => all.every(ch => ch.seq >= seq), 'every member past the crafted commit')
    for (const [i, ch] of [ach, cch].entries()) {
      expect(ch.refusedCommits).toBe(1)
      expect(refusedAt[i === 0 ? 0 : 2]?.find(s => s.type === 'channel.commit.refused')).toMatchObject({ seq, committer: b.name })
    }
    for (const ch of all) {
      expect(ch.epoch).toBe(2)
      expect(ch.members).toContain(c.name)
    }
    sameAuthenticator(all)

    // The channel goes on: the owner's next commit is applied by everyone, and messages flow.
    await ach.update()
    await waitFor(() => all.every(ch => ch.epoch === 3), 'everyone at epoch 3')
    sameAuthenticator(all)
    const readers = all.map(read)
    await cch.send(text('still here'))
    await waitFor(() => readers.every(r => r.texts().includes('still here')), 'everyone to read carol')
  })

  it('the owner makes a member an admin; that admin then removes another member, and all agree', async () => {
    const { agents } = await meshOf(4)
    const [a, b, c, d] = agents as [Agent, Agent, Agent, Agent]
    const [ach, bch, cch] = await channelOf([a, b, c]) as [Channel, Channel, Channel]

    // Only the owner changes roles.
    await expect(bch.grantAdmin(b.name)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.roles' })
    await ach.grantAdmin(b.name)
    await waitFor(() => [ach, bch, cch].every(ch => ch.epoch === 3), 'everyone at epoch 3')
    for (const ch of [ach, bch, cch]) expect(ch.roles).toEqual({ owner: a.name, admins: [b.name] })

    // The admin adds (a joiner learns the roles from its Welcome) and removes.
    const dch = await addAndJoin(bch, d, CH)
    expect(dch.roles).toEqual({ owner: a.name, admins: [b.name] })
    await bch.removeMember(c.name)
    await waitFor(() => cch.state === 'removed' && [ach, bch, dch].every(ch => ch.epoch === 5), 'carol removed, everyone at epoch 5')
    for (const ch of [ach, bch, dch]) expect([...ch.members].sort()).toEqual([a.name, b.name, d.name].sort())
    sameAuthenticator([ach, bch, dch])
    expect(ach.refusedCommits + bch.refusedCommits + dch.refusedCommits).toBe(0)

    // And the owner takes the role back: the former admin is refused locally again.
    await ach.revokeAdmin(b.name)
    await waitFor(() => bch.roles?.admins.length === 0, 'bob no longer an admin')
    await expect(bch.removeMember(d.name)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.remove' })
  })

  it('a credential from an untrusted issuer cannot be added (untrusted-issuer), nor a bare name (plain-name)', async () => {
    const { agents } = await meshOf(1)
    const [a] = agents as [Agent]
    const ach = await a.createChannel(CH)

    // Another mesh: its own authority, relay and issuer.
    const other = await createAuthority()
    const otherCreds: AgentCredentials = { kind: 'slim-mesh/issuer', authority: other.authority, issuer: await delegateIssuer(other, { prefix: '**' }) }
    const r2 = await relay({ trust: { authority: other } })
    things.push(r2)
    const mallory = await agent(r2, 'acme/research/mallory', { credentials: otherCreds })
    things.push(mallory)
    const kp = await mallory.keyPackage()
    await expect(ach.addMember(kp)).rejects.toMatchObject({ name: 'CredentialMismatchError', check: 'untrusted-issuer' })

    // A key package in the open-mode form (a bare name bound to its key) is refused too.
    const plain = await makeKeyPackage(await localMember('acme/research/plain'), DEFAULT_SUITE)
    await expect(ach.addMember(plain.bytes)).rejects.toMatchObject({ name: 'CredentialMismatchError', check: 'plain-name' })
    expect(ach.epoch).toBe(0)
    expect(ach.members).toEqual([a.name])
  })

  it('a revoked member is removed by one commit of the owner; the others do nothing and all agree', async () => {
    // Carol is on her own relay, where she is revoked (and her session cut); the others are on r0.
    const [r0, r1] = await line(2) as [Relay, Relay]
    things.push(r0, r1)
    const a = await agent(r0, 'acme/research/alice')
    const b = await agent(r0, 'acme/research/bob')
    const c = await agent(r1, 'acme/research/carol')
    const d = await agent(r0, 'acme/research/dave')
    things.push(a, b, c, d)
    const agents = [a, b, c, d]
    const chs = await channelOf(agents) as [Channel, Channel, Channel, Channel]
    const [ach, bch, cch, dch] = chs
    // Bob is an admin: he sees the revocation too, but it is the owner's duty.
    await ach.grantAdmin(b.name)
    await waitFor(() => chs.every(ch => ch.epoch === 4), 'everyone at epoch 4')
    const seen = chs.map(ch => statuses(ch))

    const credential = await (agentInternals(c).credential as () => Promise<string>)()
    const mesh = await testMesh()
    await revoke(r1, mesh.authority, String(decodeJwt(credential).jti))

    const rest = [ach, bch, dch]
    await waitFor(() => rest.every(ch => ch.epoch === 5 && !ch.members.includes(c.name)), 'carol removed everywhere')
    for (const ch of rest) expect([...ch.members].sort()).toEqual([a.name, b.name, d.name].sort())
    sameAuthenticator(rest)
    // One commit: one epoch change at each member, the owner's; nobody else committed or refused anything.
    for (const s of [seen[0], seen[1], seen[3]]) expect(s?.filter(x => x.type === 'channel.epoch.changed')).toHaveLength(1)
    expect(seen[0]?.filter(x => x.type === 'channel.commit.acked')).toMatchObject([{ kind: 'remove' }])
    expect(seen[1]?.filter(x => x.type === 'channel.commit.acked' || x.type === 'channel.commit.rejected')).toHaveLength(0)
    expect(seen[3]?.filter(x => x.type === 'channel.commit.acked' || x.type === 'channel.commit.rejected')).toHaveLength(0)
    expect(ach.refusedCommits + bch.refusedCommits + dch.refusedCommits).toBe(0)
    void cch
  })

  it('with the owner gone (it left: an admin removed it), the first admin still a member removes a revoked member', async () => {
    const [r0, r1] = await line(2) as [Relay, Relay]
    things.push(r0, r1)
    const a = await agent(r0, 'acme/research/alice')
    const b = await agent(r0, 'acme/research/bob')
    const c = await agent(r1, 'acme/research/carol')
    const d = await agent(r0, 'acme/research/dave')
    things.push(a, b, c, d)
    const [ach, bch, cch, dch] = await channelOf([a, b, c, d]) as [Channel, Channel, Channel, Channel]
    await ach.grantAdmin(b.name)
    await waitFor(() => [bch, cch, dch].every(ch => ch.epoch === 4), 'everyone at epoch 4')
    // The owner leaves: it asks the admin, who removes it.
    await ach.leave()
    await waitFor(() => [bch, cch, dch].every(ch => ch.epoch === 5 && !ch.members.includes(a.name)), 'alice gone')
    expect(dch.roles).toEqual({ owner: a.name, admins: [b.name] })
    const seen = [bch, dch].map(ch => statuses(ch))

    const credential = await (agentInternals(c).credential as () => Promise<string>)()
    await revoke(r1, (await testMesh()).authority, String(decodeJwt(credential).jti))
    await waitFor(() => [bch, dch].every(ch => ch.epoch === 6 && !ch.members.includes(c.name)), 'carol removed by the admin')
    expect([...bch.members].sort()).toEqual([b.name, d.name].sort())
    sameAuthenticator([bch, dch])
    expect(seen[0]?.filter(x => x.type === 'channel.commit.acked')).toMatchObject([{ kind: 'remove' }])
    expect(seen[1]?.filter(x => x.type === 'channel.commit.acked' || x.type === 'channel.commit.rejected')).toHaveLength(0)
  })

  it('in open mode members carry bare names, roles hold the same way, and an agent credential is refused', async () => {
    const r = await relay({ trust: 'open' })
    things.push(r)
    const a = await agent(r, 'acme/research/alice', { credentials: undefined })
    const b = await agent(r, 'acme/research/bob', { credentials: undefined })
    things.push(a, b)
    expect(agentInternals(a).authority).toBeUndefined()
    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    expect(bch.members).toEqual([a.name, b.name])
    expect(bch.roles).toEqual({ owner: a.name, admins: [] })
    await expect(bch.close()).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.close' })
    // A key package carrying an agent credential cannot be checked without an authority.
    const { agents } = await meshOf(1)
    await expect(ach.addMember(await (agents[0] as Agent).keyPackage())).rejects.toMatchObject({ name: 'CredentialMismatchError', check: 'untrusted-issuer' })
  })
})
