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
    actor.send({ type: 'commit.start', kind: 'add' })
    await waitFor(actor, s => s.matches('active') && s.context.epoch === 6)
    expect(calls).toBe(2)
    expect(log).toEqual(['rejected 5', 'catchUp 5', 'committed 6'])
    expect(states).toEqual(['creating', 'active', 'committing', 'catchingUp', 'committing', 'active'])
  })

  it('gives up after maxAttempts stale refusals', async () => {
    const { actor, log } = run(async () => { throw { stale: true, epoch: 9 } }, 2) // eslint-disable-line @typescript-eslint/only-throw-error
    actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    actor.send({ type: 'commit.start', kind: 'update' })
    await waitFor(actor, s => s.matches('active') && log.some(l => l.startsWith('failed')))
    expect(log.filter(l => l.startsWith('rejected'))).toHaveLength(1)
    expect(log.at(-1)).toMatch(/^failed/)
  })

  it('a failure that is not a stale epoch is reported at once, without retry', async () => {
    const { actor, log } = run(async () => { throw new Error('no route') })
    actor.send({ type: 'channel.created', epoch: 0, members: ['a'] })
    actor.send({ type: 'commit.start', kind: 'remove' })
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
    actor.send({ type: 'commit.start', kind: 'update' })
    expect(actor.getSnapshot().value).toBe('committing')
    actor.send({ type: 'member.removed' })
    expect(log).toEqual(['failed "removed"', 'ended removed'])
  })
})
