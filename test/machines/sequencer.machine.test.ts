import { describe, it, expect } from 'vitest'
import { createActor, SimulatedClock } from 'xstate'
import { sequencerMachine, isCommitType, checkRoles } from '../../src/machines/sequencer.machine.js'
import type { ChannelRoles } from '../../src/machines/sequencer.machine.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import type { Envelope } from '../../src/wire/envelope.pb.js'

const origin = { relay: 'relayA', agent: 'acme/research/alice/i1' }

function env (type: MessageType, epoch = 0): Envelope {
  return { type, epoch, messageId: new Uint8Array(16) } as unknown as Envelope
}

/** A commit (or close) from `source`, with `slim.roles` when `roles` is given. */
function from (source: string, type: MessageType, epoch: number, roles?: ChannelRoles): Envelope {
  const metadata = new Map<string, string>()
  if (roles != null) metadata.set('slim.roles', JSON.stringify(roles))
  return { type, epoch, messageId: new Uint8Array(16), source, metadata } as unknown as Envelope
}

function start (head = 0, epoch = 0, roles?: ChannelRoles): {
  actor: ReturnType<typeof createActor<typeof sequencerMachine>>
  appended: Array<{ seq: number, epoch: number, roles?: ChannelRoles }>
  rejected: Array<{ epoch: number }>
  forbidden: Array<{ rule: string, reason: string }>
  notSequencer: number[]
} {
  const appended: Array<{ seq: number, epoch: number, roles?: ChannelRoles }> = []
  const rejected: Array<{ epoch: number }> = []
  const forbidden: Array<{ rule: string, reason: string }> = []
  const notSequencer: number[] = []
  const machine = sequencerMachine.provide({
    actions: {
      appendToArchive: (_, params) => { appended.push(params) },
      rejectStaleCommit: (_, params) => { rejected.push(params) },
      rejectForbidden: (_, params) => { forbidden.push(params) },
      rejectNotSequencer: () => { notSequencer.push(1) }
    }
  })
  const actor = createActor(machine, { input: { name: 'acme/research/chan', head, epoch, roles }, clock: new SimulatedClock() })
  actor.start()
  return { actor, appended, rejected, forbidden, notSequencer }
}

const OWNER = 'acme/research/owner/i0'
const ADMIN = 'acme/research/admin/i1'
const MEMBER = 'acme/research/member/i2'

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

  describe('channel roles', () => {
    it('the first commit with slim.roles records them; its owner must be its sender', () => {
      const { actor, appended, forbidden } = start()
      actor.send({ type: 'message.submit', envelope: from(MEMBER, MessageType.GROUP_ADD, 0, { owner: OWNER, admins: [] }), origin })
      expect(forbidden.map(f => f.rule)).toEqual(['channel.roles'])
      expect(appended).toEqual([])
      actor.send({ type: 'message.submit', envelope: from(OWNER, MessageType.GROUP_ADD, 0, { owner: OWNER, admins: [ADMIN] }), origin })
      expect(appended).toEqual([{ seq: 1, epoch: 1, roles: { owner: OWNER, admins: [ADMIN] } }])
      expect(actor.getSnapshot().context.roles).toEqual({ owner: OWNER, admins: [ADMIN] })
    })

    it('add, remove and close need the owner or an admin; an update anyone; refused ones are not numbered', () => {
      const { actor, appended, forbidden } = start(10, 3, { owner: OWNER, admins: [ADMIN] })
      actor.send({ type: 'message.submit', envelope: from(MEMBER, MessageType.GROUP_REMOVE, 3), origin })
      actor.send({ type: 'message.submit', envelope: from(MEMBER, MessageType.GROUP_ADD, 3), origin })
      actor.send({ type: 'message.submit', envelope: from(MEMBER, MessageType.GROUP_CLOSE, 3), origin })
      expect(forbidden.map(f => f.rule)).toEqual(['channel.remove', 'channel.add', 'channel.close'])
      expect(forbidden[0]?.reason).toBe(`(channel.remove) ${MEMBER} is a member of acme/research/chan, not its owner or an admin: only they remove members from it`)
      expect(actor.getSnapshot().context).toMatchObject({ head: 10, epoch: 3 })
      actor.send({ type: 'message.submit', envelope: from(MEMBER, MessageType.GROUP_PROPOSAL, 3), origin })
      actor.send({ type: 'message.submit', envelope: from(ADMIN, MessageType.GROUP_REMOVE, 4), origin })
      actor.send({ type: 'message.submit', envelope: from(OWNER, MessageType.GROUP_ADD, 5), origin })
      expect(appended.map(a => a.seq)).toEqual([11, 12, 13])
    })

    it('a role change needs the owner', () => {
      const { actor, appended, forbidden } = start(0, 1, { owner: OWNER, admins: [] })
      actor.send({ type: 'message.submit', envelope: from(ADMIN, MessageType.GROUP_PROPOSAL, 1, { owner: OWNER, admins: [ADMIN] }), origin })
      expect(forbidden.map(f => f.rule)).toEqual(['channel.roles'])
      // The same roles again are no change.
      actor.send({ type: 'message.submit', envelope: from(MEMBER, MessageType.GROUP_PROPOSAL, 1, { owner: OWNER, admins: [] }), origin })
      actor.send({ type: 'message.submit', envelope: from(OWNER, MessageType.GROUP_PROPOSAL, 2, { owner: OWNER, admins: [ADMIN] }), origin })
      expect(appended).toEqual([{ seq: 1, epoch: 2, roles: { owner: OWNER, admins: [] } }, { seq: 2, epoch: 3, roles: { owner: OWNER, admins: [ADMIN] } }])
      actor.send({ type: 'message.submit', envelope: from(ADMIN, MessageType.GROUP_REMOVE, 3), origin })
      expect(appended).toHaveLength(3)
    })

    it('a channel whose first commit named no roles enforces none, and takes none later', () => {
      const { actor, appended, forbidden } = start()
      actor.send({ type: 'message.submit', envelope: from(OWNER, MessageType.GROUP_ADD, 0), origin })
      actor.send({ type: 'message.submit', envelope: from(MEMBER, MessageType.GROUP_PROPOSAL, 1, { owner: MEMBER, admins: [] }), origin })
      actor.send({ type: 'message.submit', envelope: from(OWNER, MessageType.GROUP_REMOVE, 2), origin })
      expect(forbidden).toEqual([])
      expect(appended.map(a => a.seq)).toEqual([1, 2, 3])
      expect(actor.getSnapshot().context.roles).toBeUndefined()
    })

    it('application messages pass without a look at the roles; malformed roles are refused', () => {
      expect(checkRoles('c', { owner: OWNER, admins: [] }, 4, from(MEMBER, MessageType.MSG, 0))).toEqual({})
      expect(checkRoles('c', undefined, 0, { ...from(OWNER, MessageType.GROUP_ADD, 0), metadata: new Map([['slim.roles', '{"admins": 3}']]) } as unknown as Envelope).refused?.rule).toBe('channel.roles')
    })
  })
})
