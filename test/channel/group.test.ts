import { describe, it, expect } from 'vitest'
import { localMember } from './channel-helpers.js'
import { decodeWelcome, makeKeyPackage, MlsGroup } from '../../src/channel/group.js'
import type { LocalMember } from '../../src/channel/group.js'
import { DEFAULT_SUITE } from '../../src/channel/suites.js'

const enc = new TextEncoder()
const dec = new TextDecoder()


/** Alice's group with Bob added through a Welcome. */
async function pair (retention?: { epochs: number, generations: number, maxForwardSteps: number }): Promise<{ alice: MlsGroup, bob: MlsGroup, a: LocalMember, b: LocalMember }> {
  const a = await localMember('acme/test/alice')
  const b = await localMember('acme/test/bob')
  const alice = await MlsGroup.create('acme/test/chan', a, DEFAULT_SUITE, retention)
  const kp = await makeKeyPackage(b, DEFAULT_SUITE)
  const add = await alice.buildAdd(kp.bytes)
  alice.applyOwn(add)
  const bob = await MlsGroup.join(decodeWelcome(add.welcome as Uint8Array), kp.publicPackage, kp.privatePackage, b.name, retention)
  return { alice, bob, a, b }
}

describe('MlsGroup', () => {
  it('adds a member by key package; both agree on epoch, members and epoch authenticator', async () => {
    const { alice, bob, a, b } = await pair()
    expect(alice.epoch).toBe(1)
    expect(bob.epoch).toBe(1)
    expect(bob.members).toEqual([a.name, b.name])
    expect(bob.epochAuthenticator).toEqual(alice.epochAuthenticator)
  })

  it('carries messages both ways and names the sender from its credential', async () => {
    const { alice, bob, a, b } = await pair()
    const m1 = await bob.open(await alice.seal(enc.encode('hi bob')))
    expect({ text: dec.decode(m1.data), sender: m1.sender, epoch: m1.epoch }).toEqual({ text: 'hi bob', sender: a.name, epoch: 1 })
    const m2 = await alice.open(await bob.seal(enc.encode('hi alice')))
    expect(m2.sender).toBe(b.name)
  })

  it('refuses a replayed application message', async () => {
    const { alice, bob } = await pair()
    const sealed = await alice.seal(enc.encode('once'))
    await bob.open(sealed)
    await expect(bob.open(sealed)).rejects.toMatchObject({ name: 'MessageRejectedError' })
  })

  it('a trial open leaves the keys in place', async () => {
    const { alice, bob } = await pair()
    const sealed = await alice.seal(enc.encode('twice'))
    await bob.open(sealed, { keep: false })
    expect(dec.decode((await bob.open(sealed)).data)).toBe('twice')
  })

  it('removes a member: it sees its removal and cannot open what follows', async () => {
    const { alice, bob, b } = await pair()
    const rm = await alice.buildRemove(b.name)
    alice.applyOwn(rm)
    const applied = await bob.applyCommit(rm.bytes)
    expect(applied.selfRemoved).toBe(true)
    expect(alice.members).not.toContain(b.name)
    await expect(bob.open(await alice.seal(enc.encode('after')))).rejects.toMatchObject({ name: 'MessageRejectedError' })
  })

  it('self-update moves the epoch and changes the epoch authenticator, and both agree', async () => {
    const { alice, bob } = await pair()
    const before = alice.epochAuthenticator
    const up = await bob.buildUpdate()
    bob.applyOwn(up)
    await alice.applyCommit(up.bytes)
    expect(alice.epoch).toBe(2)
    expect(alice.epochAuthenticator).toEqual(bob.epochAuthenticator)
    expect(alice.epochAuthenticator).not.toEqual(before)
  })

  it('refuses a commit applied twice (replayed commit)', async () => {
    const { alice, bob } = await pair()
    const up = await alice.buildUpdate()
    alice.applyOwn(up)
    await bob.applyCommit(up.bytes)
    await expect(bob.applyCommit(up.bytes)).rejects.toMatchObject({ name: 'MessageRejectedError' })
  })

  it('saves and restores its state; the restored member goes on reading', async () => {
    const { alice, bob, b } = await pair()
    const restored = await MlsGroup.decode(bob.encode(), DEFAULT_SUITE, b.name)
    expect(restored.epochAuthenticator).toEqual(bob.epochAuthenticator)
    expect(dec.decode((await restored.open(await alice.seal(enc.encode('still here')))).data)).toBe('still here')
  })

  it('keeps the previous epoch keys with the default retention of 1, and none with 0', async () => {
    for (const epochs of [1, 0]) {
      const { alice, bob } = await pair({ epochs, generations: 10, maxForwardSteps: 200 })
      const late = await bob.seal(enc.encode('sealed before the commit'))
      const up = await alice.buildUpdate()
      alice.applyOwn(up)
      expect(alice.retainedEpochs).toEqual(epochs === 1 ? [1] : [])
      if (epochs === 1) expect(dec.decode((await alice.open(late)).data)).toBe('sealed before the commit')
      else await expect(alice.open(late)).rejects.toMatchObject({ name: 'MessageRejectedError' })
    }
  })

  it('drops keys older than the retention window after several commits', async () => {
    const { alice, bob } = await pair({ epochs: 2, generations: 10, maxForwardSteps: 200 })
    const old = await bob.seal(enc.encode('epoch 1'))
    for (let i = 0; i < 3; i++) { const up = await alice.buildUpdate(); alice.applyOwn(up); await bob.applyCommit(up.bytes) }
    expect(alice.retainedEpochs).toEqual([2, 3])
    await expect(alice.open(old)).rejects.toMatchObject({ name: 'MessageRejectedError' })
  })
})
