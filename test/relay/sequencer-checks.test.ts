/**
 * What a name's sequencer checks: the publish grants of submissions that reach it from
 * other relays (whatever the home relay checked), with the publisher's credential sent
 * along once per sequencer relay (and again when the sequencer asks, CREDENTIAL_REQUIRED);
 * and the channel roles of commits (owner, admins): a commit without the right is refused
 * with PermissionDeniedError and never numbered.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { randomBytes } from 'node:crypto'
import { agent, relay, line, stopAll, waitFor, tempDir, testMesh, converged } from '../helpers.js'
import type { Relay } from '../../src/node/relay-node.js'
import { relayInternals } from '../../src/node/relay-node.js'
import type { Agent } from '../../src/agent/agent.js'
import { agentInternals } from '../../src/agent/agent.js'
import { issueAgentCredential } from '../../src/trust/tokens.js'
import type { Grants } from '../../src/trust/grants.js'
import { allGrants } from '../../src/trust/grants.js'
import type { AgentCredentials } from '../../src/trust/credentials-file.js'
import { TrustAnchors } from '../../src/trust/verifier.js'
import type { AgentCredential } from '../../src/trust/verifier.js'
import { agentNameForKey } from '../../src/names/identity.js'
import { MessageType, DeliveryMode } from '../../src/wire/envelope.pb.js'
import type { Envelope, LinkFrame } from '../../src/wire/envelope.pb.js'
import { ErrorCode } from '../../src/wire/errors.js'
import { newEnvelope } from '../../src/wire/new-envelope.js'
import { FakeMesh } from './fake-mesh.js'
import { SequencerActor } from '../../src/relay/sequencer.actor.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { systemClock } from '../../src/relay/clock.js'

/** Credentials for `service` with exactly `grants` (the test mesh's authority signs them). */
async function credentialsWith (service: string, grants: Grants): Promise<AgentCredentials> {
  const m = await testMesh()
  const key = await generateKeyPair('Ed25519')
  const credential = await issueAgentCredential(m.authority, { name: service, publicKey: key.publicKey.raw, grants })
  return { kind: 'slim-mesh/agent', authority: m.authority.authority, credential, key }
}

async function expectRefused (p: Promise<unknown>, rule: string): Promise<Error & { rule?: string }> {
  const err = await p.then(() => undefined, (e: Error & { rule?: string }) => e)
  expect(err?.name).toBe('PermissionDeniedError')
  expect(err?.rule).toBe(rule)
  return err as Error & { rule?: string }
}

describe('publish grants at the sequencer, for submissions from other relays (real relays)', () => {
  const open: Array<Relay | Agent> = []
  afterAll(async () => { await stopAll(...open) })

  it('refused at home; and, from a home relay that does not check, refused by the sequencer relay and never numbered', async () => {
    const [a, b] = await line(2) as [Relay, Relay]
    open.push(a, b)
    const name = 'acme/checks/news'
    // First used at b: b sequences the name.
    const owner = await agent(b, 'acme/checks/owner')
    open.push(owner)
    expect((await owner.publish(name, 'first', { mode: 'multicast' })).seq).toBe(1)
    await waitFor(() => relayInternals(a).table.sequencerOf(name)?.relay === b.peerId, 'a to know b sequences the name')

    const limited = await agent(a, 'acme/checks/limited', { credentials: await credentialsWith('acme/checks/limited', { publish: { multicast: ['acme/checks/other'] }, subscribe: ['**'] }) })
    open.push(limited)
    // Refused at its home relay.
    const home = await expectRefused(limited.publish(name, 'nope', { mode: 'multicast' }), 'grant.publish.multicast')
    expect(home.message).not.toContain('sequencer relay')

    // Relay a stops checking (a broken or subverted relay): b still refuses.
    const gate = relayInternals(a).gate
    gate.publish = () => true
    gate.createChannel = () => true
    const remote = await expectRefused(limited.publish(name, 'still nope', { mode: 'multicast' }), 'grant.publish.multicast')
    expect(remote.message).toContain(`checked at the sequencer relay ${b.peerId}`)
    expect(relayInternals(b).multicast.sequencer(name)?.head).toBe(1)
    expect(relayInternals(b).checks?.refusals.get('grant.publish.multicast')).toBe(1)

    // A commit creating a channel its credential may not create: refused at b too.
    const room = 'acme/checks/room'
    expect((await owner.publish(room, 'b sequences it', { mode: 'multicast' })).seq).toBe(1)
    await waitFor(() => relayInternals(a).table.sequencerOf(room)?.relay === b.peerId, 'a to know b sequences the room')
    const creator = await agent(a, 'acme/checks/creator', { credentials: await credentialsWith('acme/checks/creator', { publish: { multicast: ['acme/checks/*'] } }) })
    open.push(creator)
    const port = agentInternals(creator)
    const env = port.envelope(room, new Uint8Array(0), { mode: 'multicast' })
    env.type = MessageType.GROUP_ADD
    env.channelId = room
    await expectRefused(port.send(env), 'grant.channels')
    expect(relayInternals(b).multicast.sequencer(room)?.head).toBe(1)

    // Never numbered: the next accepted message gets the next sequence number.
    const writer = await agent(a, 'acme/checks/writer')
    open.push(writer)
    expect((await writer.publish(name, 'second', { mode: 'multicast' })).seq).toBe(2)
  })

  it('a remote publisher\'s credential goes along once; after the sequencer relay restarts, publishes still succeed', async () => {
    await using dir = await tempDir()
    const a = await relay()
    open.push(a)
    let b = await relay({ dataDir: dir.path, bootstrap: [a.multiaddrs[0] as string] })
    await converged([a, b])
    const name = 'acme/checks/feed'
    const owner = await agent(b, 'acme/checks/feed-owner')
    expect((await owner.publish(name, 'first', { mode: 'multicast' })).seq).toBe(1)
    await owner.close()
    await waitFor(() => relayInternals(a).table.sequencerOf(name)?.relay === b.peerId, 'a to know b sequences the name')

    // Count the credentials that reach b on its links.
    let credentials = 0
    const tap = (r: Relay): void => {
      const core = relayInternals(r)
      const onLinkFrame = core.onLinkFrame.bind(core)
      core.onLinkFrame = (peer: string, frame: LinkFrame) => {
        for (const routed of frame.routed) if (routed.credential != null && routed.credential !== '') credentials++
        onLinkFrame(peer, frame)
      }
    }
    tap(b)
    const pub = await agent(a, 'acme/checks/feed-writer')
    open.push(pub)
    expect((await pub.publish(name, 'one', { mode: 'multicast' })).seq).toBe(2)
    expect(credentials).toBe(1)
    expect((await pub.publish(name, 'two', { mode: 'multicast' })).seq).toBe(3)
    expect((await pub.publish(name, 'three', { mode: 'multicast' })).seq).toBe(4)
    expect(credentials).toBe(1)
    expect(relayInternals(b).checks?.known.size).toBe(1)

    // b restarts on its data directory: it remembers nothing of the credential.
    const peer = b.peerId
    await b.stop()
    b = await relay({ dataDir: dir.path, bootstrap: [a.multiaddrs[0] as string] })
    open.push(b)
    expect(b.peerId).toBe(peer)
    expect(relayInternals(b).checks?.known.size).toBe(0)
    credentials = 0
    tap(b)
    await converged([a, b])
    await waitFor(() => relayInternals(a).table.sequencerOf(name)?.relay === b.peerId, 'a to know b sequences the name again')
    expect((await pub.publish(name, 'four', { mode: 'multicast' })).seq).toBe(5)
    expect((await pub.publish(name, 'five', { mode: 'multicast' })).seq).toBe(6)
    expect(credentials).toBe(1)
  })
})

describe('publish grants at the sequencer (fake mesh)', () => {
  let trust: TrustAnchors
  const name = 'acme/fake/news'
  beforeAll(async () => { trust = new TrustAnchors({ authority: (await testMesh()).authority.authority }) })

  async function credential (service: string, grants: Grants): Promise<{ name: string, cred: AgentCredential }> {
    const key = await generateKeyPair('Ed25519')
    const jwt = await issueAgentCredential((await testMesh()).authority, { name: service, publicKey: key.publicKey.raw, grants })
    const full = agentNameForKey(service, key.publicKey)
    return { name: full, cred: await trust.verifyAgent(jwt, { publicKey: key.publicKey.raw, name: full }) }
  }

  it('the credential travels once per sequencer relay; a sequencer that forgot it asks (CREDENTIAL_REQUIRED) and the publish still succeeds', async () => {
    const sent: Array<{ from: string, to: string }> = []
    const mesh = new FakeMesh(['A', 'B'], {
      trust,
      tap: (from, to, frame) => { for (const r of frame.routed) if (r.credential != null && r.credential !== '') sent.push({ from, to }) }
    })
    await mesh.start()
    mesh.link('A', 'B')
    await mesh.run(100)
    const o = await credential('acme/fake/owner', allGrants())
    const owner = mesh.agent('B', o.name, o.cred)
    mesh.publish(owner, name, 'first')
    await mesh.run(1000)
    expect(mesh.answers(owner).get('first')?.seq).toBe(1)
    await mesh.until((async () => { while (mesh.relay('A').core.table.sequencerOf(name)?.relay !== 'B') await mesh.run(10) })())

    const w = await credential('acme/fake/writer', allGrants())
    const writer = mesh.agent('A', w.name, w.cred)
    for (const t of ['one', 'two', 'three']) mesh.publish(writer, name, t)
    await mesh.run(200)
    expect([...mesh.answers(writer).values()].map(a => a.seq)).toEqual([2, 3, 4])
    expect(sent).toEqual([{ from: 'A', to: 'B' }])

    // B forgets the credential (as a restart with the routes still up would): it asks, A sends it again.
    const checks = mesh.relay('B').core.checks
    checks?.known.forget(w.name)
    mesh.publish(writer, name, 'four')
    mesh.publish(writer, name, 'five')
    await mesh.run(200)
    expect(checks?.refusals.get('credential')).toBe(2)
    expect(mesh.answers(writer).get('four')).toEqual({ seq: 5, code: 0 })
    expect(mesh.answers(writer).get('five')).toEqual({ seq: 6, code: 0 })
    expect(writer.acks.some(a => a.code === ErrorCode.CREDENTIAL_REQUIRED)).toBe(false)
    expect(sent.length).toBe(3) // each asked-for submission went again with the credential
    mesh.publish(writer, name, 'six')
    await mesh.run(200)
    expect(mesh.answers(writer).get('six')).toEqual({ seq: 7, code: 0 })
    expect(sent.length).toBe(3)
    await mesh.stop()
  })

  it('a crafted submission from another relay: a lacking grant, a credential of another key, none at all; none is numbered', async () => {
    const mesh = new FakeMesh(['A', 'B'], { trust })
    await mesh.start()
    mesh.link('A', 'B')
    await mesh.run(100)
    const o = await credential('acme/fake/owner', allGrants())
    const owner = mesh.agent('B', o.name, o.cred)
    mesh.publish(owner, name, 'first')
    await mesh.run(1000)
    await mesh.until((async () => { while (mesh.relay('A').core.table.sequencerOf(name)?.relay !== 'B') await mesh.run(10) })())

    const acks: Array<{ agent: string, code: number, reason: string }> = []
    const a = mesh.relay('A').core
    const onLinkFrame = a.onLinkFrame.bind(a)
    a.onLinkFrame = (peer, frame) => {
      for (const r of frame.routed) if (r.ack != null) acks.push({ agent: r.ack.agent, code: r.ack.code, reason: r.ack.reason })
      onLinkFrame(peer, frame)
    }
    const submit = (source: string, text: string, credential?: string, type = MessageType.MSG): void => {
      const env: Envelope = newEnvelope({ messageId: randomBytes(16), destination: name, mode: DeliveryMode.MULTICAST, payload: new TextEncoder().encode(text) })
      env.source = source
      env.type = type
      // As relay A would route it, past any check of its own.
      mesh.relay('B').core.onLinkFrame('A', { announcements: [], revocations: [], routed: [{ to: 'B', from: 'A', hopLimit: 8, envelope: env, instance: '', credential }] })
    }
    const limited = await credential('acme/fake/limited', { publish: { multicast: ['acme/fake/other'] } })
    const other = await credential('acme/fake/mallory', allGrants())
    submit(limited.name, 'lacking', limited.cred.jwt)
    submit(limited.name, 'lacking again')
    submit(limited.name.replace(/[^/]+$/, 'aaaaaaaaaaaaaaaaaaaaaaaaaa'), 'another key', limited.cred.jwt)
    submit(other.name, 'no credential')
    await mesh.run(200)
    // Answered per agent in the order sent (the ones with a credential once it is checked).
    const of = (agent: string): Array<{ code: number, reason: string }> => acks.filter(x => x.agent === agent).map(x => ({ code: x.code, reason: x.reason }))
    expect(of(limited.name).map(x => x.code)).toEqual([ErrorCode.PERMISSION_DENIED, ErrorCode.PERMISSION_DENIED])
    expect(of(limited.name).every(x => x.reason.includes('(grant.publish.multicast)'))).toBe(true)
    const forged = of(limited.name.replace(/[^/]+$/, 'aaaaaaaaaaaaaaaaaaaaaaaaaa'))
    expect(forged.map(x => x.code)).toEqual([ErrorCode.PERMISSION_DENIED])
    expect(forged[0]?.reason).toContain('(credential)')
    expect(forged[0]?.reason).toContain('key-mismatch')
    expect(of(other.name).map(x => x.code)).toEqual([ErrorCode.CREDENTIAL_REQUIRED])
    expect((await mesh.archive('B', name)).map(m => m.text)).toEqual(['first'])
    await mesh.stop()
  })
})

describe('channel roles at the sequencer', () => {
  const open: Array<Relay | Agent> = []
  afterAll(async () => { await stopAll(...open) })

  /** A commit (or close) envelope from `ag`, built on `epoch`, with `meta` metadata. */
  async function commit (ag: Agent, channel: string, type: MessageType, epoch: number, meta: Record<string, string> = {}): Promise<number> {
    const port = agentInternals(ag)
    const env = port.envelope(channel, new TextEncoder().encode(`${type}@${epoch}`), { mode: 'multicast' })
    env.type = type
    env.epoch = epoch
    env.channelId = channel
    for (const [k, v] of Object.entries(meta)) env.metadata.set(k, v)
    return (await port.send(env)).seq
  }
  const roles = (owner: string, admins: string[] = []): Record<string, string> => ({ 'slim.roles': JSON.stringify({ owner, admins }) })

  it('remove, close and role changes need the right role; a refused commit is never numbered', async () => {
    const [a, b] = await line(2) as [Relay, Relay]
    open.push(a, b)
    const channel = 'acme/roles/room'
    const owner = await agent(a, 'acme/roles/owner')
    const bob = await agent(b, 'acme/roles/bob')
    const carol = await agent(b, 'acme/roles/carol')
    open.push(owner, bob, carol)

    // The first commit names the roles: its owner must be its sender.
    await expectRefused(commit(carol, channel, MessageType.GROUP_ADD, 0, roles(owner.name)), 'channel.roles')
    expect(await commit(owner, channel, MessageType.GROUP_ADD, 0, { ...roles(owner.name), 'slim.adds': JSON.stringify([bob.name, carol.name]) })).toBe(1)
    // A member removes nobody; the owner does.
    const refused = await expectRefused(commit(carol, channel, MessageType.GROUP_REMOVE, 1, { 'slim.removes': JSON.stringify([bob.name]) }), 'channel.remove')
    expect(refused.message).toContain(`${carol.name} is a member of ${channel}, not its owner or an admin`)
    expect(await commit(owner, channel, MessageType.GROUP_REMOVE, 1, { 'slim.removes': JSON.stringify([carol.name]) })).toBe(2)
    await expectRefused(commit(bob, channel, MessageType.GROUP_REMOVE, 2), 'channel.remove')
    // A member's update is fine; its role change is not.
    expect(await commit(carol, channel, MessageType.GROUP_PROPOSAL, 2)).toBe(3)
    await expectRefused(commit(bob, channel, MessageType.GROUP_PROPOSAL, 3, roles(bob.name, [bob.name])), 'channel.roles')
    // The owner makes bob an admin: then bob's remove is accepted.
    expect(await commit(owner, channel, MessageType.GROUP_PROPOSAL, 3, roles(owner.name, [bob.name]))).toBe(4)
    expect(await commit(bob, channel, MessageType.GROUP_REMOVE, 4, { 'slim.removes': JSON.stringify([carol.name]) })).toBe(5)
    // An admin changes no roles.
    await expectRefused(commit(bob, channel, MessageType.GROUP_PROPOSAL, 5, roles(owner.name, [bob.name, carol.name])), 'channel.roles')
    // Closing: not a member's, an admin's yes.
    await expectRefused(commit(carol, channel, MessageType.GROUP_CLOSE, 5), 'channel.close')
    expect(await commit(bob, channel, MessageType.GROUP_CLOSE, 5)).toBe(6)
    const seq = relayInternals(a).multicast.sequencer(channel) ?? relayInternals(b).multicast.sequencer(channel)
    expect(seq?.roles).toEqual({ owner: owner.name, admins: [bob.name] })
    expect(seq?.epoch).toBe(5)
  })

  it('a channel whose first commit named no roles enforces none', async () => {
    const [a] = await line(1) as [Relay]
    open.push(a)
    const channel = 'acme/roles/legacy'
    const x = await agent(a, 'acme/roles/x')
    const y = await agent(a, 'acme/roles/y')
    open.push(x, y)
    expect(await commit(x, channel, MessageType.GROUP_ADD, 0)).toBe(1)
    // Later roles are not taken: nobody claims a channel after the fact.
    expect(await commit(y, channel, MessageType.GROUP_PROPOSAL, 1, roles(y.name))).toBe(2)
    expect(await commit(x, channel, MessageType.GROUP_REMOVE, 2)).toBe(3)
  })

  it('roles survive a sequencer restart (kept with the channel\'s meta)', async () => {
    const store = new MemoryStore()
    const acks: Array<{ seq: number, code: number, reason: string }> = []
    const fx = { store, clock: systemClock, onSequenced: () => {}, onAck: (_: unknown, ack: { seq: number, code: number, reason: string }) => { acks.push(ack) } }
    const env = (source: string, type: MessageType, epoch: number, meta: Record<string, string> = {}): Envelope => {
      const e = newEnvelope({ messageId: randomBytes(16), destination: 'acme/roles/kept', mode: DeliveryMode.MULTICAST, payload: new Uint8Array(0) })
      e.source = source
      e.type = type
      e.epoch = epoch
      for (const [k, v] of Object.entries(meta)) e.metadata.set(k, v)
      return e
    }
    const owner = 'acme/roles/o/i1'
    const member = 'acme/roles/m/i2'
    let s = await SequencerActor.start('acme/roles/kept', 1, fx)
    s.submit(env(owner, MessageType.GROUP_ADD, 0, roles(owner)), { relay: 'r', agent: owner })
    await waitFor(() => acks.length === 1, 'the first commit')
    await s.stop()
    expect((await store.getMeta('acme/roles/kept'))?.roles).toEqual({ owner, admins: [] })
    s = await SequencerActor.start('acme/roles/kept', 1, fx)
    expect(s.roles).toEqual({ owner, admins: [] })
    s.submit(env(member, MessageType.GROUP_REMOVE, 1), { relay: 'r', agent: member })
    await waitFor(() => acks.length === 2, 'the refusal')
    expect(acks[1]).toMatchObject({ seq: 0, code: ErrorCode.PERMISSION_DENIED })
    expect(acks[1]?.reason).toContain('(channel.remove)')
    await s.stop()
  })
})
