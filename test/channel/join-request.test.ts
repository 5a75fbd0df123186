/**
 * Asking to join a channel (agent.requestToJoin; the members' end: channel.joinRequests,
 * pendingJoinRequests, approveJoin, declineJoin), with real relays and trust on:
 * approved, declined, unanswered, refused to a plain member, seen by a member that
 * starts or restarts after the request, approved by two admins at once, and a key
 * package whose credential does not verify.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { agent, line, stopAll, tempDir, text, waitFor } from '../helpers.js'
import type { Agent } from '../../src/agent/agent.js'
import { agentInternals } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import type { Channel } from '../../src/channel/agent-channels.js'
import type { JoinRequestInfo } from '../../src/channel/join-requests.js'
import { JOIN_ASK, META_JOIN, META_JOIN_EXPIRES } from '../../src/channel/join-requests.js'
import { makeKeyPackage } from '../../src/channel/group.js'
import { DEFAULT_SUITE } from '../../src/channel/suites.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import { addAndJoin, read, statuses } from './channel-helpers.js'

const CH = 'acme/research/asking'

let things: Array<Relay | Agent> = []
afterEach(async () => { await stopAll(...things); things = [] })

/** Two relays; Alice (owner) and Bob (a plain member) on r0, Dave (who asks) on r1. */
async function setup (): Promise<{ relays: Relay[], a: Agent, b: Agent, d: Agent, ach: Channel, bch: Channel }> {
  const relays = await line(2)
  things.push(...relays)
  const [r0, r1] = relays as [Relay, Relay]
  const a = await agent(r0, 'acme/research/alice')
  const b = await agent(r0, 'acme/research/bob')
  const d = await agent(r1, 'acme/research/dave')
  things.push(a, b, d)
  const ach = await a.createChannel(CH)
  const bch = await addAndJoin(ach, b, CH)
  await waitFor(() => bch.epoch === 1 && ach.epoch === 1, 'both at epoch 1')
  return { relays, a, b, d, ach, bch }
}

/** The next request to join `ch` sees, read through joinRequests(). */
async function nextRequest (ch: Channel): Promise<JoinRequestInfo> {
  for await (const r of ch.joinRequests()) return r
  throw new Error('the join requests ended')
}

describe('asking to join a channel', () => {
  it('approved by the owner: the requester gets the channel, reads what follows, and is a member everywhere', async () => {
    const { a, b, d, ach, bch } = await setup()
    const seen = nextRequest(ach)
    const asking = d.requestToJoin(CH, { note: 'from the audit team', timeoutMs: 20_000 })
    const req = await seen
    expect(req).toMatchObject({ requester: d.name, note: 'from the audit team', suite: DEFAULT_SUITE })
    expect(req.id).toMatch(/^[0-9a-f]{32}$/)
    expect(req.seq).toBeGreaterThan(1)
    // The key package's credential, checked against the mesh authority as a member's is.
    expect(req.credential).toMatchObject({ verified: true, name: d.name, service: 'acme/research/dave' })
    expect(req.credential.issuer).toBeTypeOf('string')
    // Every member reads it in the stream; a plain member too.
    await waitFor(() => bch.pendingJoinRequests().some(r => r.id === req.id), 'bob to see the request')
    expect(ach.pendingJoinRequests().map(r => r.id)).toEqual([req.id])

    await ach.approveJoin(req.id)
    const dch = await asking
    expect(dch.name).toBe(CH)
    await waitFor(() => [ach, bch, dch].every(ch => ch.epoch === 2), 'everyone at epoch 2')
    for (const ch of [ach, bch, dch]) expect(ch.members).toEqual([a.name, b.name, d.name])
    expect(dch.roles).toEqual({ owner: a.name, admins: [] })
    // Settled everywhere by the add commit.
    await waitFor(() => bch.pendingJoinRequests().length === 0, 'bob to settle it')
    expect(ach.pendingJoinRequests()).toEqual([])
    await expect(ach.approveJoin(req.id)).rejects.toMatchObject({ name: 'JoinRequestNotFoundError', settled: 'approved' })

    const dr = read(dch)
    const br = read(bch)
    await ach.send(text('welcome, dave'))
    await waitFor(() => dr.texts().includes('welcome, dave') && br.texts().includes('welcome, dave'), 'dave and bob to read it')
    expect(dr.messages[0]?.sender).toBe(a.name)
    await dch.send(text('thanks'))
    const ar = read(ach)
    await waitFor(() => ar.texts().includes('thanks'), 'alice to read dave')
  })

  it('declined: JoinDeclinedError at the requester with who and why; not a member; settled at every member', async () => {
    const { a, d, ach, bch } = await setup()
    const seen = nextRequest(bch)
    const asking = d.requestToJoin(CH, { timeoutMs: 20_000 })
    const req = await seen
    await waitFor(() => ach.pendingJoinRequests().length === 1, 'alice to see the request')
    const declined = expect(asking).rejects.toMatchObject({ name: 'JoinDeclinedError', by: a.name, reason: 'not this week' })
    await ach.declineJoin(req.id, 'not this week')
    await declined
    await expect(asking).rejects.toThrow(`${a.name} declined the request of ${d.name} to join ${CH}: not this week`)
    // Bob settles it from the decline in the stream.
    await waitFor(() => bch.pendingJoinRequests().length === 0, 'bob to settle the decline')
    await expect(ach.approveJoin(req.id)).rejects.toMatchObject({ name: 'JoinRequestNotFoundError', settled: 'declined' })
    expect(ach.members).not.toContain(d.name)
    expect(ach.epoch).toBe(1)
    // Dave may ask again, and be let in.
    const again = d.requestToJoin(CH, { timeoutMs: 20_000 })
    await waitFor(() => ach.pendingJoinRequests().length === 1, 'the second request')
    await ach.approveJoin((ach.pendingJoinRequests()[0] as JoinRequestInfo).id)
    const dch = await again
    expect(dch.members).toContain(d.name)
  })

  it('unanswered: JoinRequestTimeoutError after timeoutMs; the members stop offering it at its deadline', async () => {
    const { d, ach } = await setup()
    const started = Date.now()
    const asking = d.requestToJoin(CH, { timeoutMs: 1_500 })
    await waitFor(() => ach.pendingJoinRequests().length === 1, 'alice to see the request')
    const id = (ach.pendingJoinRequests()[0] as JoinRequestInfo).id
    await expect(asking).rejects.toMatchObject({ name: 'JoinRequestTimeoutError', timeoutMs: 1_500 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400)
    await waitFor(() => ach.pendingJoinRequests().length === 0, 'the request to expire at alice')
    await expect(ach.approveJoin(id)).rejects.toMatchObject({ name: 'JoinRequestNotFoundError', settled: 'expired' })
    expect(ach.members).not.toContain(d.name)
  })

  it('a plain member may neither approve nor decline (PermissionDeniedError, channel.add); the owner then approves', async () => {
    const { d, ach, bch } = await setup()
    const asking = d.requestToJoin(CH, { timeoutMs: 20_000 })
    await waitFor(() => bch.pendingJoinRequests().length === 1, 'bob to see the request')
    const id = (bch.pendingJoinRequests()[0] as JoinRequestInfo).id
    await expect(bch.approveJoin(id)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.add' })
    await expect(bch.declineJoin(id, 'no')).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.add' })
    expect(bch.epoch).toBe(1)
    expect(bch.pendingJoinRequests().map(r => r.id)).toEqual([id])
    await waitFor(() => ach.pendingJoinRequests().length === 1, 'alice to see the request')
    await ach.approveJoin(id)
    await asking
    await waitFor(() => bch.members.includes(d.name), 'bob to see dave added')
  })

  it('a member that starts after the request, or restarts after reading it, still has it pending; approved, it is pending no more', async () => {
    await using dir = await tempDir()
    const relays = await line(2)
    things.push(...relays)
    const [r0, r1] = relays as [Relay, Relay]
    const a = await agent(r0, 'acme/research/alice')
    const d = await agent(r0, 'acme/research/dave')
    let b = await agent(r1, 'acme/research/bob', { dataDir: dir.path })
    things.push(a, d, b)
    const ach = await a.createChannel(CH)
    await addAndJoin(ach, b, CH)
    await ach.grantAdmin(b.name)
    await waitFor(() => ach.epoch === 2, 'bob an admin')
    await b.close()

    // Bob is away when Dave asks: he reads it when he comes back and replays the stream.
    const asking = d.requestToJoin(CH, { note: 'hello', timeoutMs: 30_000 })
    await waitFor(() => ach.pendingJoinRequests().length === 1, 'alice to see the request')
    const id = (ach.pendingJoinRequests()[0] as JoinRequestInfo).id
    b = await agent(r1, 'acme/research/bob', { dataDir: dir.path })
    things.push(b)
    let bch = await b.joinChannel(CH, { timeoutMs: 5_000 })
    await waitFor(() => bch.pendingJoinRequests().length === 1, 'bob to replay the request')
    expect(bch.pendingJoinRequests()[0]).toMatchObject({ id, requester: d.name, note: 'hello', credential: { verified: true } })

    // Bob restarts again, his stream position now past the request: it was kept in his data directory.
    await waitFor(() => bch.seq >= ach.seq, 'bob caught up')
    await b.close()
    b = await agent(r1, 'acme/research/bob', { dataDir: dir.path })
    things.push(b)
    bch = await b.joinChannel(CH, { timeoutMs: 5_000 })
    expect(bch.pendingJoinRequests().map(r => r.id)).toEqual([id])

    // The admin approves: pending nowhere any more, and Dave is in.
    await bch.approveJoin(id)
    const dch = await asking
    expect(bch.pendingJoinRequests()).toEqual([])
    await waitFor(() => ach.pendingJoinRequests().length === 0 && dch.epoch === ach.epoch, 'alice to settle it')
    expect(dch.members).toEqual(ach.members)

    // And after one more restart it is not offered again.
    await b.close()
    b = await agent(r1, 'acme/research/bob', { dataDir: dir.path })
    things.push(b)
    bch = await b.joinChannel(CH, { timeoutMs: 5_000 })
    await waitFor(() => bch.seq >= ach.seq, 'bob caught up again')
    expect(bch.pendingJoinRequests()).toEqual([])
  })

  it('two admins approving at once: both resolve, the requester is added once, and everyone agrees', async () => {
    const { a, b, d, ach, bch } = await setup()
    await ach.grantAdmin(b.name)
    await waitFor(() => bch.epoch === 2, 'bob an admin')
    const asking = d.requestToJoin(CH, { timeoutMs: 20_000 })
    await waitFor(() => ach.pendingJoinRequests().length === 1 && bch.pendingJoinRequests().length === 1, 'both to see the request')
    const id = (ach.pendingJoinRequests()[0] as JoinRequestInfo).id
    const seen = [statuses(ach), statuses(bch)]
    await Promise.all([ach.approveJoin(id), bch.approveJoin(id)])
    // One add commit was taken, whoever's it was.
    expect(seen.flat().filter(s => s.type === 'channel.commit.acked' && s.kind === 'add')).toHaveLength(1)
    const dch = await asking
    await waitFor(() => [ach, bch, dch].every(ch => ch.epoch === 3), 'everyone at epoch 3 (one add)')
    for (const ch of [ach, bch, dch]) expect(ch.members).toEqual([a.name, b.name, d.name])
    expect(Buffer.from(dch.epochAuthenticator).equals(Buffer.from(ach.epochAuthenticator))).toBe(true)
  })

  it('a key package whose credential does not verify is offered as unverified and cannot be approved (CredentialMismatchError)', async () => {
    const { d, ach } = await setup()
    // Dave asks by hand with a key package in the open-mode form (his bare name, bound to his key): trust on refuses it.
    const port = agentInternals(d)
    const plain = await makeKeyPackage({ name: d.name, identity: port.identity }, DEFAULT_SUITE)
    const env = port.envelope(CH, plain.bytes, { mode: 'multicast' })
    env.type = MessageType.JOIN_REQUEST
    env.channelId = CH
    env.metadata.set(META_JOIN, JOIN_ASK)
    env.metadata.set(META_JOIN_EXPIRES, String(Date.now() + 20_000))
    await port.send(env)
    await waitFor(() => ach.pendingJoinRequests().length === 1, 'alice to see the request')
    const req = ach.pendingJoinRequests()[0] as JoinRequestInfo
    expect(req.credential).toMatchObject({ verified: false, name: d.name, check: 'plain-name' })
    await expect(ach.approveJoin(req.id)).rejects.toMatchObject({ name: 'CredentialMismatchError', check: 'plain-name' })
    expect(ach.epoch).toBe(1)
    expect(ach.members).not.toContain(d.name)
  })
})
