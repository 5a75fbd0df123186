/**
 * GroupClose with real relays: it reaches every subscriber on every relay and every
 * member ends the channel; the name's sequencer then refuses every new submission
 * (messages, commits, discovery) with NameClosedError (rule `channel.closed`) until the
 * closed channel's owner reopens it with a new channel's first commit; and the closed
 * name stays closed across a restart of its sequencer relay.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { agent, collect, line, relay, stopAll, tempDir, text, waitFor } from '../helpers.js'
import { agentInternals } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import { addAndJoin } from './channel-helpers.js'

const CH = 'acme/close/room'
const closed = { name: 'NameClosedError', rule: 'channel.closed' }

/** A raw commit envelope (the sequencer reads its header and `slim.roles`, never the payload). */
function commit (from: Agent, epoch: number, owner?: string): ReturnType<ReturnType<typeof agentInternals>['envelope']> {
  const env = agentInternals(from).envelope(CH, text('not read by relays'), { mode: 'multicast' })
  env.type = MessageType.GROUP_PROPOSAL
  env.channelId = CH
  env.epoch = epoch
  if (owner != null) env.metadata.set('slim.roles', JSON.stringify({ owner, admins: [] }))
  return env
}

describe('GroupClose and closed names', () => {
  let relays: Relay[] = []
  let agents: Agent[] = []
  afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

  it('reaches every member and subscriber on a 3-relay line; then the name refuses messages, commits and discovery until its owner reopens it', async () => {
    relays = await line(3)
    const [r0, r1, r2] = relays as [Relay, Relay, Relay]
    const a = await agent(r0, 'acme/close/owner')
    const b = await agent(r1, 'acme/close/bob')
    const c = await agent(r2, 'acme/close/carol')
    const watcher = await agent(r2, 'acme/close/watcher') // subscribed, not a member
    agents = [a, b, c, watcher]
    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    const cch = await addAndJoin(ach, c, CH)
    const watched = collect(await watcher.subscribe(CH))

    await ach.close()
    await waitFor(() => bch.state === 'closed' && cch.state === 'closed', 'every member to end the channel')
    await waitFor(() => watched.some(m => m.type === MessageType.GROUP_CLOSE), 'the subscriber on the far relay to see the GroupClose')

    // Every submission is refused with the typed error, from members and non-members alike.
    await expect(b.publish(CH, 'too late', { mode: 'multicast' })).rejects.toMatchObject(closed)
    await expect(watcher.publish(CH, 'too late', { mode: 'multicast' })).rejects.toMatchObject(closed)
    await expect(c.discoverChannel(CH, { timeoutMs: 5000 })).rejects.toMatchObject(closed)
    const again = agentInternals(a).envelope(CH, new Uint8Array(0), { mode: 'multicast' })
    again.type = MessageType.GROUP_CLOSE
    await expect(agentInternals(a).send(again)).rejects.toMatchObject(closed)
    // A first commit from anyone but the closed channel's owner does not reopen it.
    await expect(agentInternals(b).send(commit(b, 0, b.name))).rejects.toMatchObject(closed)
    // Nor does one of the owner's that is no first commit.
    await expect(agentInternals(a).send(commit(a, 2))).rejects.toMatchObject(closed)

    // The owner's new first commit reopens it, and the epoch count starts again.
    const reopened = await agentInternals(a).send(commit(a, 0, a.name))
    expect(reopened.seq).toBeGreaterThan(0)
    expect((await b.publish(CH, 'open again', { mode: 'multicast' })).seq).toBe(reopened.seq + 1)
    await expect(agentInternals(a).send(commit(a, 5))).rejects.toMatchObject({ name: 'StaleEpochError', epoch: 1 })
    expect((await agentInternals(a).send(commit(a, 1))).seq).toBe(reopened.seq + 2)
  })

  it('its owner reopens it with createChannel: the new channel starts at the name\'s head, members join it and talk', async () => {
    relays = await line(2)
    const [r0, r1] = relays as [Relay, Relay]
    const a = await agent(r0, 'acme/close/owner')
    const b = await agent(r1, 'acme/close/bob')
    agents = [a, b]
    const first = await a.createChannel(CH)
    const bFirst = await addAndJoin(first, b, CH)
    await first.send(text('before the close'))
    await first.close()
    await waitFor(() => bFirst.state === 'closed', 'bob to see the close')
    await expect(b.publish(CH, 'too late', { mode: 'multicast' })).rejects.toMatchObject(closed)

    // The old history (commits, a message, the GroupClose) is not the new group's: it starts after it.
    const again = await a.createChannel(CH)
    expect(again.seq).toBe(3) // the add, the message and the GroupClose
    const bAgain = await addAndJoin(again, b, CH)
    expect([again.epoch, bAgain.epoch]).toEqual([1, 1])
    const read = (async () => { for await (const m of bAgain.messages()) if (new TextDecoder().decode(m.data) === 'reopened') return m })()
    await again.send(text('reopened'))
    expect((await read)?.sender).toBe(a.name)
    expect(again.state).toBe('active')
  })

  it('stays closed across a restart of its sequencer relay, and its owner can still reopen it', async () => {
    await using dir = await tempDir()
    await using ownerDir = await tempDir()
    let r = await relay({ dataDir: dir.path })
    relays = [r]
    let a = await agent(r, 'acme/close/owner', { dataDir: ownerDir.path })
    const b = await agent(r, 'acme/close/bob')
    agents = [a, b]
    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    await ach.close()
    await waitFor(() => bch.state === 'closed', 'bob to end the channel')
    await stopAll(r, a, b)

    r = await relay({ dataDir: dir.path })
    const later = await agent(r, 'acme/close/later')
    a = await agent(r, 'acme/close/owner', { dataDir: ownerDir.path })
    relays = [r]
    agents = [later, a]
    await expect(later.publish(CH, 'after the restart', { mode: 'multicast' })).rejects.toMatchObject(closed)
    await expect(agentInternals(later).send(commit(later, 0, later.name))).rejects.toMatchObject(closed)
    // The owner (same key, same name) reopens it: the roles survived the restart too.
    expect((await agentInternals(a).send(commit(a, 0, a.name))).seq).toBeGreaterThan(0)
    expect((await later.publish(CH, 'open again', { mode: 'multicast' })).seq).toBeGreaterThan(0)
    // Stopped before the data directories go.
    await stopAll(r, later, a)
    relays = []
    agents = []
  })
})
