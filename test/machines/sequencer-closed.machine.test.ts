/** The sequencer machine's closed names: a GroupClose closes a name with roles; only the owner's new first commit reopens it. */
import { describe, it, expect } from 'vitest'
import { createActor, SimulatedClock } from 'xstate'
import { sequencerMachine } from '../../src/machines/sequencer.machine.js'
import type { ChannelRoles } from '../../src/machines/sequencer.machine.js'
import { MessageType } from '../../src/wire/envelope.pb.js'
import type { Envelope } from '../../src/wire/envelope.pb.js'

const origin = { relay: 'relayA', agent: 'x' }
const OWNER = 'acme/research/owner/i0'
const ADMIN = 'acme/research/admin/i1'
const MEMBER = 'acme/research/member/i2'

function from (source: string, type: MessageType, epoch: number, roles?: ChannelRoles): Envelope {
  const metadata = new Map<string, string>()
  if (roles != null) metadata.set('slim.roles', JSON.stringify(roles))
  return { type, epoch, messageId: new Uint8Array(16), source, metadata } as unknown as Envelope
}

function start (roles?: ChannelRoles, closed = false): { actor: ReturnType<typeof createActor<typeof sequencerMachine>>, appended: Array<{ seq: number, epoch: number, closed?: boolean }>, refused: string[] } {
  const appended: Array<{ seq: number, epoch: number, closed?: boolean }> = []
  const refused: string[] = []
  const machine = sequencerMachine.provide({
    actions: {
      appendToArchive: (_, p) => { appended.push({ seq: p.seq, epoch: p.epoch, ...(p.closed != null ? { closed: p.closed } : {}) }) },
      rejectClosed: (_, p) => { refused.push(p.reason) },
      rejectForbidden: (_, p) => { refused.push(p.rule) },
      rejectStaleCommit: () => { refused.push('stale') }
    }
  })
  const actor = createActor(machine, { input: { name: 'acme/research/chan', head: 10, epoch: 3, roles, closed }, clock: new SimulatedClock() })
  actor.start()
  return { actor, appended, refused }
}

const submit = (actor: ReturnType<typeof start>['actor'], env: Envelope): void => { actor.send({ type: 'message.submit', envelope: env, origin }) }

describe('sequencerMachine: closed names', () => {
  it('an admin\'s GroupClose is numbered and closes the name; everything after is refused as channel.closed', () => {
    const { actor, appended, refused } = start({ owner: OWNER, admins: [ADMIN] })
    submit(actor, from(ADMIN, MessageType.GROUP_CLOSE, 3))
    expect(appended).toEqual([{ seq: 11, epoch: 3, closed: true }])
    expect(actor.getSnapshot().context.closed).toBe(true)
    submit(actor, from(MEMBER, MessageType.MSG, 3))
    submit(actor, from(OWNER, MessageType.GROUP_PROPOSAL, 3))
    submit(actor, from(OWNER, MessageType.GROUP_CLOSE, 3))
    submit(actor, from(MEMBER, MessageType.DISCOVERY_REQUEST, 3))
    // A first commit from someone else than the owner, naming itself owner.
    submit(actor, from(ADMIN, MessageType.GROUP_ADD, 0, { owner: ADMIN, admins: [] }))
    // The owner's first commit naming another owner.
    submit(actor, from(OWNER, MessageType.GROUP_ADD, 0, { owner: ADMIN, admins: [] }))
    expect(refused).toHaveLength(6)
    for (const r of refused) expect(r).toMatch(/^\(channel\.closed\) acme\/research\/chan was closed/)
    expect(appended).toHaveLength(1)
  })

  it('the owner\'s new first commit reopens it: the epoch count starts again and its roles are taken', () => {
    const { actor, appended, refused } = start({ owner: OWNER, admins: [ADMIN] }, true)
    expect(actor.getSnapshot().context.closed).toBe(true)
    submit(actor, from(OWNER, MessageType.GROUP_ADD, 0, { owner: OWNER, admins: [MEMBER] }))
    expect(refused).toEqual([])
    expect(appended).toEqual([{ seq: 11, epoch: 1, closed: false }])
    expect(actor.getSnapshot().context).toMatchObject({ closed: false, epoch: 1, roles: { owner: OWNER, admins: [MEMBER] } })
    submit(actor, from(MEMBER, MessageType.MSG, 1))
    submit(actor, from(MEMBER, MessageType.GROUP_REMOVE, 1))
    expect(appended.map(a => a.seq)).toEqual([11, 12, 13])
  })

  it('a name without roles is never closed: nothing says who may close it', () => {
    const { actor, appended, refused } = start(undefined, true)
    expect(actor.getSnapshot().context.closed).toBe(false)
    submit(actor, from(MEMBER, MessageType.GROUP_CLOSE, 3))
    submit(actor, from(MEMBER, MessageType.MSG, 3))
    expect(refused).toEqual([])
    expect(appended.map(a => a.seq)).toEqual([11, 12])
  })

  it('a member\'s GroupClose is refused (channel.close) and closes nothing', () => {
    const { actor, refused } = start({ owner: OWNER, admins: [] })
    submit(actor, from(MEMBER, MessageType.GROUP_CLOSE, 3))
    expect(refused).toEqual(['channel.close'])
    expect(actor.getSnapshot().context.closed).toBe(false)
  })

  it('the discovery policy is part of the roles: changing it needs the owner', () => {
    const { actor, refused, appended } = start({ owner: OWNER, admins: [ADMIN] })
    submit(actor, from(ADMIN, MessageType.GROUP_PROPOSAL, 3, { owner: OWNER, admins: [ADMIN], discovery: 'members' }))
    expect(refused).toEqual(['channel.roles'])
    submit(actor, from(OWNER, MessageType.GROUP_PROPOSAL, 3, { owner: OWNER, admins: [ADMIN], discovery: 'members' }))
    expect(appended).toHaveLength(1)
    expect(actor.getSnapshot().context.roles).toEqual({ owner: OWNER, admins: [ADMIN], discovery: 'members' })
  })
})
