import { describe, it, expect, afterEach } from 'vitest'
import { agent, line, stopAll, tempDir, text, waitFor } from '../helpers.js'
import type { Agent } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import { read, addAndJoin } from './channel-helpers.js'

const CH = 'acme/research/summarizer'

describe('a channel member restarted on its data directory', () => {
  let relays: Relay[] = []
  let agents: Agent[] = []
  afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

  it('is still a member without a new Welcome, and reads what came while it was away and after', async () => {
    await using dir = await tempDir()
    relays = await line(3)
    const a = await agent(relays[0]!, 'acme/research/alice')
    const c = await agent(relays[2]!, 'acme/research/carol')
    let b = await agent(relays[1]!, 'acme/research/bob', { dataDir: dir.path })
    agents = [a, c, b]
    const ach = await a.createChannel(CH)
    const bch = await addAndJoin(ach, b, CH)
    const first = read(bch)
    await ach.send(text('before restart'))
    await bch.send(text('bob before restart'))
    await waitFor(() => first.messages.length === 2, 'bob to read before the restart')
    const bobName = b.name
    await b.close()

    // While Bob is away: messages and a commit (Carol joins).
    await ach.send(text('while away 1'))
    const cch = await addAndJoin(ach, c, CH)
    await cch.send(text('while away 2'))

    b = await agent(relays[1]!, 'acme/research/bob', { dataDir: dir.path })
    agents.push(b)
    expect(b.name).toBe(bobName)
    const again = await b.joinChannel(CH, { timeoutMs: 5_000 })
    const r = read(again)
    await waitFor(() => r.messages.length === 2, 'bob to read what came while away')
    expect(r.texts()).toEqual(['while away 1', 'while away 2'])
    expect(r.messages[1]!.sender).toBe(c.name)
    expect(again.epoch).toBe(ach.epoch)
    expect(again.members).toEqual(ach.members)

    await ach.send(text('after restart'))
    await again.send(text('bob after restart'))
    const ar = read(ach)
    await waitFor(() => r.texts().includes('after restart') && ar.texts().includes('bob after restart'), 'both ways after the restart')
  })
})
