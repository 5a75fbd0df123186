import { describe, it, expect, afterEach } from 'vitest'
import { loadCases } from '../mls/vectors-dir.js'
import { agent, line, stopAll, text, waitFor } from '../helpers.js'
import type { Agent } from '../../src/agent/agent.js'
import { agentInternals } from '../../src/agent/agent.js'
import type { Relay } from '../../src/node/relay-node.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import { decodeKeyPackage, decodeWelcome, makeKeyPackage, MlsGroup } from '../../src/channel/group.js'
import { CHANNEL_ERROR_NAMES } from '../../src/channel/errors.js'
import { DEFAULT_SUITE } from '../../src/channel/suites.js'
import { localMember, read, statuses, addAndJoin } from './channel-helpers.js'
import { createRng } from '../../sims/prng.js'

/** A seeded PRNG (the simulations' mulberry32), so a failure can be replayed from its seed. */
const prng = (seed: number): (() => number) => createRng(seed).next

function mutate (src: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n)
  const b = src.slice()
  switch (int(7)) {
    case 0: { if (b.length > 0) { const i = int(b.length); b[i] = (b[i] as number) ^ (1 << int(8)) } return b } // one bit
    case 1: { for (let k = 0; k < 1 + int(8); k++) if (b.length > 0) b[int(b.length)] = int(256); return b } // some bytes
    case 2: return b.subarray(0, int(b.length)) // truncated
    case 3: { const extra = new Uint8Array(1 + int(64)).map(() => int(256)); const o = new Uint8Array(b.length + extra.length); o.set(b); o.set(extra, b.length); return o } // trailing bytes
    case 4: { const i = int(b.length + 1); return new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)]) } // a byte dropped
    case 5: { if (b.length > 4) { const i = int(b.length - 4); b.set([0xff, 0xff, 0xff, 0xff], i) } return b } // a huge length
    default: { const i = int(b.length + 1); const j = int(b.length + 1); return new Uint8Array([...b.subarray(0, i), ...b.subarray(j)]) } // a slice moved
  }
}

const hexBytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

function vectorCorpus (): Uint8Array[] {
  const cases = loadCases('messages.json') as Array<Record<string, string>>
  const out: Uint8Array[] = []
  for (const c of cases.slice(0, 20)) for (const v of Object.values(c)) if (typeof v === 'string' && v.length > 0) out.push(hexBytes(v))
  return out
}

describe('malformed MLS input', () => {
  it('mutated vector messages and real channel messages give only typed errors, and the channel goes on', async () => {
    const a = await localMember('acme/test/alice')
    const b = await localMember('acme/test/bob')
    const c = await localMember('acme/test/carol')
    const alice = await MlsGroup.create('acme/test/chan', a, DEFAULT_SUITE)
    const kpB = await makeKeyPackage(b, DEFAULT_SUITE)
    const addB = await alice.buildAdd(kpB.bytes)
    alice.applyOwn(addB)
    const bob = await MlsGroup.join(decodeWelcome(addB.welcome!), kpB.publicPackage, kpB.privatePackage, b.name)
    const kpC = await makeKeyPackage(c, DEFAULT_SUITE)
    const addC = await alice.buildAdd(kpC.bytes)
    const app = await alice.seal(text('a real message'))
    const real = [addB.welcome!, kpB.bytes, kpC.bytes, addC.bytes, addC.welcome!, app]
    const corpus = [...vectorCorpus(), ...real]
    expect(corpus.length).toBeGreaterThan(100)

    const rnd = prng(0x5eed)
    const untyped: string[] = []
    let typed = 0
    const attempt = async (f: () => Promise<unknown>): Promise<void> => {
      try { await f() } catch (err) {
        if (err instanceof Error && CHANNEL_ERROR_NAMES.has(err.name)) typed++
        else untyped.push(`${(err as Error)?.name}: ${(err as Error)?.message}`)
      }
    }
    for (let i = 0; i < 1500; i++) {
      const src = corpus[Math.floor(rnd() * corpus.length)] as Uint8Array
      const bytes = mutate(src, rnd)
      await attempt(async () => await bob.open(bytes, { keep: false }))
      await attempt(async () => await bob.applyCommit(bytes))
      await attempt(async () => decodeKeyPackage(bytes))
      await attempt(async () => decodeWelcome(bytes))
      await attempt(async () => await bob.buildAdd(bytes))
      if (i % 10 === 0) await attempt(async () => await MlsGroup.join(decodeWelcome(bytes), kpC.publicPackage, kpC.privatePackage, c.name))
    }
    expect(untyped).toEqual([])
    expect(typed).toBeGreaterThan(5000)
    // Bob is unharmed: same epoch, and he opens what Alice sends next.
    expect(bob.epoch).toBe(1)
    expect(new TextDecoder().decode((await bob.open(app)).data)).toBe('a real message')
    alice.applyOwn(addC)
    await bob.applyCommit(addC.bytes)
    expect(new TextDecoder().decode((await bob.open(await alice.seal(text('and on')))).data)).toBe('and on')
  })

  describe('on the mesh', () => {
    let relays: Relay[] = []
    let agents: Agent[] = []
    afterEach(async () => { await stopAll(...relays, ...agents); relays = []; agents = [] })

    it('garbage and forged commits from a non-member are refused by every member; the channel goes on', async () => {
      const CH = 'acme/research/summarizer'
      relays = await line(3)
      const al = await agent(relays[0]!, 'acme/research/alice')
      const bo = await agent(relays[2]!, 'acme/research/bob')
      const eve = await agent(relays[1]!, 'acme/research/eve')
      agents = [al, bo, eve]
      const ach = await al.createChannel(CH)
      const bch = await addAndJoin(ach, bo, CH)
      const bobStatus = statuses(bch)
      const bobRead = read(bch)

      // Real traffic to mutate: Eve records the channel's ciphertexts.
      const raw = await eve.subscribe(CH, { fromSeq: 1 })
      await ach.send(text('seed'))
      const seeds: Uint8Array[] = []
      for await (const m of raw) { seeds.push(m.data); if (new TextDecoder().decode(m.data).length > 0 && m.type === MessageType.MSG) break }
      const rnd = prng(42)
      let injected = 0
      let sequencerEpoch = 1
      // An add from a non-member (so neither owner nor admin) is refused by the sequencer: never numbered.
      const add = agentInternals(eve).envelope(CH, mutate(seeds[0] as Uint8Array, rnd), { mode: 'multicast' })
      add.type = MessageType.GROUP_ADD
      add.epoch = sequencerEpoch
      await expect(agentInternals(eve).send(add)).rejects.toMatchObject({ name: 'PermissionDeniedError', rule: 'channel.add' })
      // A key update anyone may send: garbage ones are numbered, and refused by every member.
      for (let i = 0; i < 30; i++) {
        const type = i % 3 === 0 ? MessageType.GROUP_PROPOSAL : MessageType.MSG
        const env = agentInternals(eve).envelope(CH, mutate(seeds[i % seeds.length] as Uint8Array, rnd), { mode: 'multicast' })
        env.type = type
        env.epoch = sequencerEpoch
        await agentInternals(eve).send(env)
        if (type === MessageType.GROUP_PROPOSAL) sequencerEpoch++ // the sequencer cannot tell garbage from a commit
        injected++
      }
      await waitFor(() => bobStatus.filter(s => s.type === 'channel.message.rejected').length >= injected, 'bob to refuse every injected message')
      for (const s of bobStatus) if (s.type === 'channel.message.rejected') expect(CHANNEL_ERROR_NAMES.has(s.error.name)).toBe(true)
      // A real commit and a real message still go through, at the sequencer's epoch count.
      await ach.update()
      await waitFor(() => bch.epoch === ach.epoch, 'bob to apply the real commit')
      expect(Buffer.from(bch.epochAuthenticator).equals(Buffer.from(ach.epochAuthenticator))).toBe(true)
      await ach.send(text('still here'))
      await waitFor(() => bobRead.texts().includes('still here'), 'bob to read after the garbage')
      expect(bobRead.texts()).toEqual(['seed', 'still here'])
    })
  })
})
