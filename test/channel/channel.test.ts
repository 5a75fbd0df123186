import { describe, it, expect, afterEach } from 'vitest'
import { agent, line, stopAll, text, waitFor } from '../helpers.js'
import type { Agent } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import { hex, read, statuses, addAndJoin } from './channel-helpers.js'

const CH = 'acme/research/summarizer'

describe('channels on a 3-relay line', () => {
  let relays: Relay[] = []
  let agents: Agent[] = []
  afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

  async function three (): Promise<[Agent, Agent, Agent]> {
    relays = await line(3)
    const a = await agent(relays[0] as Relay, 'acme/research/alice')
    const b = await agent(relays[1] as Relay, 'acme/research/bob')
    const c = await agent(relays[2] as Relay, 'acme/research/carol')
    agents = [a, b, c]
    return [a, b, c]
  }

  it('every member reads every message, in the same order, with credential-named senders', async () => {
    const [a, b, c] = await three()
    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    const cch = await addAndJoin(ach, c, CH)
    expect(ach.members).toEqual([a.name, b.name, c.name])
    await waitFor(() => bch.epoch === 2 && cch.epoch === 2, 'bob to apply the second add')
    expect(bch.members).toEqual(ach.members)

    const readers = [read(ach), read(bch), read(cch)]
    const sends: Array<Promise<{ seq: number }>> = []
    for (let i = 0; i < 5; i++) {
      sends.push(ach.send(text(`a${i}`)), bch.send(text(`b${i}`)), cch.send(text(`c${i}`)))
    }
    const seqs = (await Promise.all(sends)).map(r => r.seq)
    expect(new Set(seqs).size).toBe(15)
    await waitFor(() => readers.every(r => r.messages.length === 15), 'every member to read 15 messages', 15_000)
    const view = (r: typeof readers[number]): string[] => r.messages.map(m => `${m.seq}:${m.sender}:${new TextDecoder().decode(m.data)}`)
    expect(view(readers[1]!)).toEqual(view(readers[0]!))
    expect(view(readers[2]!)).toEqual(view(readers[0]!))
    // The sender is the one whose credential signed it.
    for (const m of readers[0]!.messages) {
      const t = new TextDecoder().decode(m.data)
      expect(m.sender).toBe(t.startsWith('a') ? a.name : t.startsWith('b') ? b.name : c.name)
      expect(m.epoch).toBe(2)
    }
    expect(hex(bch.epochAuthenticator)).toBe(hex(ach.epochAuthenticator))
    expect(hex(cch.epochAuthenticator)).toBe(hex(ach.epochAuthenticator))
  })

  it('a removed member reads nothing sent after its removal, and cannot open it', async () => {
    const [a, b, c] = await three()
    const eve = await agent(relays[1] as Relay, 'acme/research/eve') // not a member: sees the raw ciphertext
    agents.push(eve)
    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    const cch = await addAndJoin(ach, c, CH)
    const bobRead = read(bch)
    const carolRead = read(cch)
    const bobStatus = statuses(bch)
    await ach.send(text('before'))
    await waitFor(() => bobRead.texts().includes('before'), 'bob to read the message before removal')

    await ach.removeMember(b.name)
    expect(ach.members).toEqual([a.name, c.name])
    await waitFor(() => bch.state === 'removed', 'bob to see his removal')
    expect(bobStatus.some(s => s.type === 'channel.removed')).toBe(true)

    const raw = await eve.subscribe(CH, { fromSeq: 1 })
    const after = await ach.send(text('after removal'))
    await waitFor(() => carolRead.texts().includes('after removal'), 'carol to read the message after removal')
    expect(bobRead.texts()).toEqual(['before'])
    let ciphertext: Uint8Array | undefined
    for await (const m of raw) { if (m.seq === after.seq) { ciphertext = m.data; break } }
    expect(ciphertext).toBeDefined()
    expect(new TextDecoder().decode(ciphertext)).not.toContain('after removal')
    await expect(bch.open(ciphertext as Uint8Array)).rejects.toMatchObject({ name: 'MessageRejectedError' })
    await expect(bch.send(text('x'))).rejects.toMatchObject({ name: 'ChannelClosedError' })
  })

  it('two members commit at the same epoch: one acked, one nacked then retried; both changes applied; one epoch authenticator', async () => {
    const [a, b, c] = await three()
    const dave = await agent(relays[0] as Relay, 'acme/research/dave')
    const erin = await agent(relays[2] as Relay, 'acme/research/erin')
    agents.push(dave, erin)
    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    const cch = await addAndJoin(ach, c, CH)
    // Bob may add members once the owner makes him an admin (epoch 3).
    await ach.grantAdmin(b.name)
    await waitFor(() => bch.epoch === 3 && bch.roles?.admins.includes(b.name) === true, 'bob an admin at epoch 3')
    const aStatus = statuses(ach)
    const bStatus = statuses(bch)
    const [kpDave, kpErin] = [await dave.keyPackage(), await erin.keyPackage()]
    const dj = dave.joinChannel(CH, { timeoutMs: 20_000 })
    const ej = erin.joinChannel(CH, { timeoutMs: 20_000 })

    // Both built on epoch 3, sent at once.
    await Promise.all([ach.addMember(kpDave), bch.addMember(kpErin)])
    const [dch, ech] = await Promise.all([dj, ej])

    const acked = [...aStatus, ...bStatus].filter(s => s.type === 'channel.commit.acked')
    const rejected = [...aStatus, ...bStatus].filter(s => s.type === 'channel.commit.rejected')
    expect(acked).toHaveLength(2)
    expect(rejected).toHaveLength(1)
    expect(rejected[0]).toMatchObject({ epoch: 4 })
    const all = [ach, bch, cch, dch, ech]
    await waitFor(() => all.every(ch => ch.epoch === 5), 'every member at epoch 5', 15_000)
    for (const ch of all) {
      expect([...ch.members].sort()).toEqual([a.name, b.name, c.name, dave.name, erin.name].sort())
      expect(hex(ch.epochAuthenticator)).toBe(hex(ach.epochAuthenticator))
    }
    // And the channel still carries messages to everyone, the late joiners included.
    const readers = all.map(read)
    await ech.send(text('hello from erin'))
    await waitFor(() => readers.every(r => r.texts().includes('hello from erin')), 'everyone to read erin')
  })

  it('invite by name (JoinRequest / JoinReply), self-update, leave (LeaveRequest) and close (GroupClose)', async () => {
    const [a, b, c] = await three()
    const ach = await a.createChannel(CH)
    const followed = (async () => { const types: string[] = []; for await (const s of ach.status()) types.push(s.type); return types })()
    const bj = b.joinChannel(CH, { timeoutMs: 20_000 })
    await ach.invite(b.name)
    const bch = await bj
    const cj = c.joinChannel(CH, { timeoutMs: 20_000 })
    await ach.invite(c.name)
    const cch = await cj
    expect(ach.members).toEqual([a.name, b.name, c.name])

    const before = hex(ach.epochAuthenticator)
    await bch.update()
    await waitFor(() => ach.epoch === bch.epoch && cch.epoch === bch.epoch, 'everyone to apply the update')
    expect(hex(ach.epochAuthenticator)).not.toBe(before)
    expect(hex(cch.epochAuthenticator)).toBe(hex(bch.epochAuthenticator))

    await cch.leave()
    expect(cch.state).toBe('left')
    await waitFor(() => !ach.members.includes(c.name) && !bch.members.includes(c.name), 'carol gone from the others')

    const bobRead = read(bch)
    await ach.send(text('last words'))
    await waitFor(() => bobRead.texts().includes('last words'), 'bob to read')
    await ach.close()
    await waitFor(() => bch.state === 'closed', 'bob to see the GroupClose')
    expect(ach.state).toBe('closed')
    await expect(ach.send(text('x'))).rejects.toMatchObject({ name: 'ChannelClosedError' })
    // The status stream told the story, and ended with the channel.
    const types = await followed
    expect(types.filter(t => t === 'channel.member.added')).toHaveLength(2)
    expect(types).toContain('channel.member.removed')
    expect(types.filter(t => t === 'channel.commit.acked')).toHaveLength(3) // alice's two adds, and carol's removal at her request
    expect(types.at(-1)).toBe('channel.closed')
  })
})
