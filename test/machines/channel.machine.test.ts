import { describe, it, expect } from 'vitest'
import { createActor, fromPromise, waitFor } from 'xstate'
import { channelMachine } from '../../src/machines/channel.machine.js'
import type { SubmitCommitInput, SubmitCommitOutput } from '../../src/machines/channel.machine.js'

function run (submit: (input: SubmitCommitInput) => Promise<SubmitCommitOutput>, maxAttempts = 3) {
  const log: string[] = []
  const machine = channelMachine.provide({
    actors: {
      submitCommit: fromPromise<SubmitCommitOutput, SubmitCommitInput>(async ({ input }) => await submit(input)),
      catchUp: fromPromise<void, { epoch: number }>(async ({ input }) => { log.push(`catchUp ${input.epoch}`) })
    },
    actions: {
      reportCommitted: (_, p) => { log.push(`committed ${p.epoch}`) },
      reportCommitRejected: (_, p) => { log.push(`rejected ${p.epoch}`) },
      reportCommitFailed: (_, p) => { log.push(`failed ${JSON.stringify(p.error)}`) },
      reportEnded: (_, p) => { log.push(`ended ${p.state}`) }
    }
  })
  const actor = createActor(machine, { input: { name: 'acme/x/chan', self: 'acme/x/a/i', maxAttempts } })
  const states: string[] = []
  actor.subscribe(s => { const v = String(s.value); if (states.at(-1) !== v) states.push(v) })
  actor.start()
  return { actor, log, states }
}

describe('channelMachine', () => {
  it('starts creating, then is active once created', () => {
    const { actor, states } = run(async () => ({ epoch: 1, members: [] }))
    expect(states).toEqual(['creating'])
    actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    expect(actor.getSnapshot().value).toBe('active')
    expect(actor.getSnapshot().context.members).toEqual(['a'])
  })

  it('starts joining when asked to', () => {
    const actor = createActor(channelMachine, { input: { name: 'n', self: 's', joining: true } }).start()
    expect(actor.getSnapshot().value).toBe('joining')
  })

  it('orders two concurrent commits: nacked, catches up to the named epoch, rebuilds and is acked', async () => {
    let calls = 0
    const { actor, log, states } = run(async (input) => {
      calls++
      if (input.attempt === 1) throw { stale: true, epoch: 5 } // eslint-disable-line @typescript-eslint/only-throw-error
      return { epoch: 6, members: ['a', 'b'] }
    })
    actor.send({ type: 'channel.created', epoch: 4, members: ['a'] })
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'add', keyPackage: new Uint8Array(0) } })
    await waitFor(actor, s => s.matches('active') && s.context.epoch === 6)
    expect(calls).toBe(2)
    expect(log).toEqual(['rejected 5', 'catchUp 5', 'committed 6'])
    expect(states).toEqual(['creating', 'active', 'committing', 'catchingUp', 'committing', 'active'])
  })

  it('gives up after maxAttempts stale refusals', async () => {
    const { actor, log } = run(async () => { throw { stale: true, epoch: 9 } }, 2) // eslint-disable-line @typescript-eslint/only-throw-error
    actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'update' } })
    await waitFor(actor, s => s.matches('active') && log.some(l => l.startsWith('failed')))
    expect(log.filter(l => l.startsWith('rejected'))).toHaveLength(1)
    expect(log.at(-1)).toMatch(/^failed/)
  })

  it('a failure that is not a stale epoch is reported at once, without retry', async () => {
    const { actor, log } = run(async () => { throw new Error('no route') })
    actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'remove', member: 'b' } })
    await waitFor(actor, s => s.matches('active') && log.length > 0)
    expect(log).toEqual(['failed {}'])
  })

  it('ends removed when this member is removed, and closed on GroupClose', () => {
    const one = run(async () => ({ epoch: 1, members: [] }))
    one.actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    one.actor.send({ type: 'member.removed' })
    expect(one.actor.getSnapshot().status).toBe('done')
    expect(one.log).toEqual(['ended removed'])
    const two = run(async () => ({ epoch: 1, members: [] }))
    two.actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    two.actor.send({ type: 'channel.closed' })
    expect(two.log).toEqual(['ended closed'])
  })

  it('a commit under way fails when the member is removed meanwhile', async () => {
    const { actor, log } = run(async () => await new Promise(() => {}))
    actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'update' } })
    expect(actor.getSnapshot().value).toBe('committing')
    actor.send({ type: 'member.removed' })
    expect(log).toEqual(['failed "removed"', 'ended removed'])
  })
})

describe('channelMachine commit queue', () => {
  interface Held { id: number, kind: string, resolve: (o: SubmitCommitOutput) => void }
  function queued () {
    const held: Held[] = []
    const log: string[] = []
    const machine = channelMachine.provide({
      actors: {
        submitCommit: fromPromise<SubmitCommitOutput, SubmitCommitInput>(async ({ input }) => await new Promise(resolve => { held.push({ id: input.id, kind: input.request.kind, resolve }) })),
        catchUp: fromPromise<void, { epoch: number }>(async () => {})
      },
      actions: {
        reportCommitted: (_, p) => { log.push(`committed ${p.id}`) },
        reportCommitFailed: (_, p) => { log.push(`failed ${p.id} ${String(p.error)}`) },
        reportEnded: (_, p) => { log.push(`ended ${p.state}`) }
      }
    })
    const actor = createActor(machine, { input: { name: 'acme/x/chan', self: 'acme/x/a/i' } }).start()
    actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    return { actor, held, log }
  }

  it('makes queued commits one at a time, in the order asked', async () => {
    const { actor, held, log } = queued()
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'update' } })
    actor.send({ type: 'commit.request', id: 2, request: { kind: 'remove', member: 'b' } })
    actor.send({ type: 'commit.request', id: 3, request: { kind: 'update' } })
    await waitFor(actor, () => held.length === 1)
    expect(actor.getSnapshot().context.queue.map(c => c.id)).toEqual([2, 3])
    held[0]?.resolve({ epoch: 1, members: ['a'] })
    await waitFor(actor, () => held.length === 2)
    expect(held.map(h => `${h.id} ${h.kind}`)).toEqual(['1 update', '2 remove'])
    held[1]?.resolve({ epoch: 2, members: ['a'] })
    await waitFor(actor, () => held.length === 3)
    held[2]?.resolve({ epoch: 3, members: ['a'] })
    await waitFor(actor, s => s.matches('active') && s.context.epoch === 3)
    expect(log).toEqual(['committed 1', 'committed 2', 'committed 3'])
  })

  it('withdraws a queued commit, but not the one under way', async () => {
    const { actor, held, log } = queued()
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'update' } })
    actor.send({ type: 'commit.request', id: 2, request: { kind: 'update' } })
    await waitFor(actor, () => held.length === 1)
    actor.send({ type: 'commit.withdraw', id: 1 })
    actor.send({ type: 'commit.withdraw', id: 2 })
    expect(log).toEqual(['failed 2 withdrawn'])
    held[0]?.resolve({ epoch: 1, members: ['a'] })
    await waitFor(actor, s => s.matches('active') && s.context.epoch === 1)
    expect(log).toEqual(['failed 2 withdrawn', 'committed 1'])
    expect(held).toHaveLength(1)
  })

  it('fails the commit under way and every queued one with the way the channel ended', async () => {
    const { actor, held, log } = queued()
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'update' } })
    actor.send({ type: 'commit.request', id: 2, request: { kind: 'update' } })
    await waitFor(actor, () => held.length === 1)
    actor.send({ type: 'channel.closed' })
    expect(actor.getSnapshot().value).toBe('closed')
    expect(log).toEqual(['failed 1 closed', 'ended closed', 'failed 2 closed'])
  })

  it('ends as left, not removed, when the removal was asked for (member.leaving)', async () => {
    const { actor, held, log } = queued()
    actor.send({ type: 'member.leaving' })
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'update' } })
    await waitFor(actor, () => held.length === 1)
    actor.send({ type: 'member.removed' })
    expect(actor.getSnapshot().value).toBe('left')
    expect(log).toEqual(['failed 1 left', 'ended left'])
  })

  it('ends as left when removed while active after member.leaving, and as removed without it', () => {
    const leaving = queued()
    leaving.actor.send({ type: 'member.leaving' })
    leaving.actor.send({ type: 'member.removed' })
    expect(leaving.actor.getSnapshot().value).toBe('left')
    expect(leaving.log).toEqual(['ended left'])
    const removed = queued()
    removed.actor.send({ type: 'member.removed' })
    expect(removed.actor.getSnapshot().value).toBe('removed')
  })

  it('ends as left at once when the last member leaves (channel.left)', () => {
    const { actor, log } = queued()
    actor.send({ type: 'channel.left' })
    expect(actor.getSnapshot().value).toBe('left')
    expect(log).toEqual(['ended left'])
  })

  it('the last member leaving while a commit is under way fails that commit with left', async () => {
    const { actor, held, log } = queued()
    actor.send({ type: 'commit.request', id: 1, request: { kind: 'update' } })
    await waitFor(actor, () => held.length === 1)
    actor.send({ type: 'channel.left' })
    expect(actor.getSnapshot().value).toBe('left')
    expect(log).toEqual(['failed 1 left', 'ended left'])
  })

  it('keeps commits asked before the channel is created until it is active', async () => {
    const held: number[] = []
    const machine = channelMachine.provide({
      actors: { submitCommit: fromPromise<SubmitCommitOutput, SubmitCommitInput>(async ({ input }) => { held.push(input.id); return { epoch: 1, members: ['a'] } }) }
    })
    const actor = createActor(machine, { input: { name: 'n', self: 's', joining: true } }).start()
    actor.send({ type: 'commit.request', id: 7, request: { kind: 'update' } })
    expect(actor.getSnapshot().value).toBe('joining')
    expect(held).toEqual([])
    actor.send({ type: 'channel.joined', epoch: 0, members: ['a'] })
    await waitFor(actor, s => s.matches('active') && s.context.epoch === 1)
    expect(held).toEqual([7])
  })
})
