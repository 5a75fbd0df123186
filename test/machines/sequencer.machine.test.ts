import { describe, it, expect } from 'vitest'
import { createActor, SimulatedClock } from 'xstate'
import { sequencerMachine, isCommitType } from '../../src/machines/sequencer.machine.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import type { Envelope } from '../../src/wire/envelope.pb.js'

const origin = { relay: 'relayA', agent: 'acme/research/alice/i1' }

function env (type: MessageType, epoch = 0): Envelope {
  return { type, epoch, messageId: new Uint8Array(16) } as unknown as Envelope
}

function start (head = 0, epoch = 0): {
  actor: ReturnType<typeof createActor<typeof sequencerMachine>>
  appended: Array<{ seq: number, epoch: number }>
  rejected: Array<{ epoch: number }>
  notSequencer: number[]
} {
  const appended: Array<{ seq: number, epoch: number }> = []
  const rejected: Array<{ epoch: number }> = []
  const notSequencer: number[] = []
  const machine = sequencerMachine.provide({
    actions: {
      appendToArchive: (_, params) => { appended.push(params) },
      rejectStaleCommit: (_, params) => { rejected.push(params) },
      rejectNotSequencer: () => { notSequencer.push(1) }
    }
  })
  const actor = createActor(machine, { input: { name: 'acme/research/chan', head, epoch }, clock: new SimulatedClock() })
  actor.start()
  return { actor, appended, rejected, notSequencer }
}

describe('sequencerMachine', () => {
  it('assigns sequence numbers 1, 2, 3 to messages in arrival order', () => {
    const { actor, appended } = start()
    for (let i = 0; i < 3; i++) actor.send({ type: 'message.submit', envelope: env(MessageType.MSG), origin })
    expect(appended.map(a => a.seq)).toEqual([1, 2, 3])
    expect(actor.getSnapshot().context.head).toBe(3)
    expect(actor.getSnapshot().context.inflight).toBe(3)
  })

  it('continues from the head it was started with', () => {
    const { actor, appended } = start(41, 2)
    actor.send({ type: 'message.submit', envelope: env(MessageType.MSG), origin })
    expect(appended).toEqual([{ seq: 42, epoch: 2 }])
  })

  it('accepts a commit built on the current epoch and advances the epoch', () => {
    const { actor, appended, rejected } = start(0, 5)
    actor.send({ type: 'message.submit', envelope: env(MessageType.GROUP_ADD, 5), origin })
    expect(rejected).toEqual([])
    expect(appended).toEqual([{ seq: 1, epoch: 6 }])
    expect(actor.getSnapshot().context.epoch).toBe(6)
  })

  it('does not move the epoch for an application message, whatever epoch it carries', () => {
    const { actor } = start(0, 5)
    actor.send({ type: 'message.submit', envelope: env(MessageType.MSG, 2), origin })
    expect(actor.getSnapshot().context.epoch).toBe(5)
  })

  it('rejects a stale-epoch commit with the current epoch and assigns it no sequence number', () => {
    const { actor, appended, rejected } = start(10, 5)
    actor.send({ type: 'message.submit', envelope: env(MessageType.GROUP_REMOVE, 4), origin })
    expect(rejected).toEqual([{ epoch: 5 }])
    expect(appended).toEqual([])
    expect(actor.getSnapshot().context).toMatchObject({ head: 10, epoch: 5, inflight: 0 })
  })

  it('orders two commits built on the same epoch: first accepted, second rejected with the new epoch', () => {
    const { actor, appended, rejected } = start(0, 1)
    actor.send({ type: 'message.submit', envelope: env(MessageType.GROUP_PROPOSAL, 1), origin })
    actor.send({ type: 'message.submit', envelope: env(MessageType.GROUP_ADD, 1), origin: { relay: 'relayB', agent: 'acme/research/bob/i2' } })
    expect(appended).toEqual([{ seq: 1, epoch: 2 }])
    expect(rejected).toEqual([{ epoch: 2 }])
    // The loser catches up and retries on epoch 2: accepted.
    actor.send({ type: 'message.submit', envelope: env(MessageType.GROUP_ADD, 2), origin })
    expect(appended).toEqual([{ seq: 1, epoch: 2 }, { seq: 2, epoch: 3 }])
  })

  it('treats GroupProposal, GroupAdd and GroupRemove as commits and nothing else', () => {
    const commits = Object.values(MessageType).filter((t): t is MessageType => typeof t === 'string' && isCommitType(t as MessageType))
    expect(commits.sort()).toEqual([MessageType.GROUP_ADD, MessageType.GROUP_PROPOSAL, MessageType.GROUP_REMOVE].sort())
  })

  it('on stop drains: waits for in-flight archive completions, refusing new messages, then stops', () => {
    const { actor, appended, notSequencer } = start()
    actor.send({ type: 'message.submit', envelope: env(MessageType.MSG), origin })
    actor.send({ type: 'message.submit', envelope: env(MessageType.MSG), origin })
    actor.send({ type: 'message.archived', count: 1 })
    actor.send({ type: 'sequencer.stop' })
    expect(actor.getSnapshot().value).toBe('draining')
    actor.send({ type: 'message.submit', envelope: env(MessageType.MSG), origin })
    expect(notSequencer).toHaveLength(1)
    expect(appended).toHaveLength(2)
    actor.send({ type: 'message.archived', count: 1 })
    expect(actor.getSnapshot().value).toBe('stopped')
    expect(actor.getSnapshot().status).toBe('done')
  })

  it('stops at once on sequencer.stop when nothing is in flight', () => {
    const { actor } = start()
    actor.send({ type: 'message.submit', envelope: env(MessageType.MSG), origin })
    actor.send({ type: 'message.archived', count: 1 })
    actor.send({ type: 'sequencer.stop' })
    expect(actor.getSnapshot().status).toBe('done')
  })

  it('never counts in-flight below zero on an extra archived report', () => {
    const { actor } = start()
    actor.send({ type: 'message.submit', envelope: env(MessageType.MSG), origin })
    actor.send({ type: 'message.archived', count: 5 })
    expect(actor.getSnapshot().context.inflight).toBe(0)
  })
})
