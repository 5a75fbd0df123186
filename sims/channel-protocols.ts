/**
 * Joining and leaving in the channel simulation: the real protocol machines
 * (src/machines/channel-invite.machine.ts and src/machines/channel-leave.machine.ts) run
 * on the simulated clock with effects on a simulated member (./channel-member.ts), as
 * src/channel/channel-invite.actor.ts, src/channel/channel-leave.actor.ts and
 * src/channel/agent-channels.ts give them on a real agent:
 *
 * - invite (an owner or admin): a `JoinRequest` to the invitee, its `JoinReply` with a key
 *   package, the add commit through the channel machine's queue, the `GroupWelcome`
 *   (retried while the joiner has no route yet);
 * - the invitee answers a JoinRequest with a key package (costing `keyPackageMs`) while it
 *   is waiting to join, and joins from the Welcome (./channel-member.ts `joinFrom`);
 * - leave: a `LeaveRequest` to the owner, then each admin in turn, until one removes the
 *   leaver by commit and says so; the leave ends when the leaver applies its removal;
 * - an owner or admin answers a LeaveRequest by committing the removal.
 *
 * A modelled key package is `{ name }`; its size is the calibration's `keyPackageBytes`.
 */
import { createActor, fromCallback, fromPromise, toPromise } from 'xstate'
import { channelInviteMachine } from '../src/machines/channel-invite.machine.js'
import type { ChannelInviteEvent, RequestKeyPackageInput, CheckKeyPackageInput, CommitAddInput, SendWelcomeInput } from '../src/machines/channel-invite.machine.js'
import { channelLeaveMachine } from '../src/machines/channel-leave.machine.js'
import type { ChannelLeaveEvent, RequestRemovalInput } from '../src/machines/channel-leave.machine.js'
import type { PendingWelcome } from '../src/machines/channel.machine.js'
import { ChannelClosedError, CredentialMismatchError } from '../src/channel/errors.js'
import { idKey } from '../src/relay/dedup-window.js'
import { DeliveryMode, MessageType } from '../src/wire/envelope.pb.js'
import type { Envelope } from '../src/wire/envelope.pb.js'
import { decodeJson, encodeJson } from './channel-model.js'
import type { ChannelMember } from './channel-member.js'

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'

/** `member` (an owner or admin) adds `invitee`; resolves true once the Welcome is sent. */
export async function invite (member: ChannelMember, invitee: string): Promise<boolean> {
  const rec = member.host.recorder
  const actor = member.actor
  if (actor == null) return false
  const commitId = actor.newCommitId()
  const machine = channelInviteMachine.provide({
    actors: {
      requestKeyPackage: fromCallback<ChannelInviteEvent, RequestKeyPackageInput>(({ input, sendBack }) => {
        const req = member.envelope(input.invitee, encodeJson({ suite: input.suite }), MessageType.JOIN_REQUEST, DeliveryMode.UNICAST)
        req.channelId = input.channel
        const key = idKey(req.messageId)
        member.replies.set(key, reply => {
          sendBack({ type: 'invite.replied', accepted: reply.metadata.get('status') === 'accepted', keyPackage: reply.payload, reason: reply.metadata.get('reason') })
        })
        const stop = new AbortController()
        member.core.send(req, stop.signal).catch((error: unknown) => { if (!stop.signal.aborted) sendBack({ type: 'invite.unsent', error }) })
        return () => { member.replies.delete(key); stop.abort() }
      }),
      checkKeyPackage: fromPromise<void, CheckKeyPackageInput>(async ({ input }) => {
        const { name } = decodeJson<{ name: string }>(input.keyPackage)
        if (input.invitee != null && name !== input.invitee) throw new CredentialMismatchError(`invited ${input.invitee}, but the key package that came back is for ${name}`)
      }),
      commitAdd: fromPromise<{ welcome?: PendingWelcome }, CommitAddInput>(async ({ input }) => {
        // Counted from here: the add commit is asked of the channel machine.
        const ticket = rec.request(member.channel, 'add', member.name, member.host.agents.now())
        const { welcome } = await member.commit({ kind: 'add', keyPackage: input.keyPackage }, ticket, input.commitId)
        return { welcome }
      }),
      sendWelcome: fromPromise<void, SendWelcomeInput>(async ({ input, signal }) => {
        const { welcome } = input
        const env = member.envelope(welcome.joiner, welcome.bytes as Uint8Array<ArrayBuffer>, MessageType.GROUP_WELCOME, DeliveryMode.UNICAST)
        env.channelId = input.channel
        env.epoch = welcome.wireEpoch
        env.metadata.set('seq', String(welcome.seq))
        env.metadata.set('suite', input.suite)
        rec.welcomeSent(welcome.joiner, member.host.agents.now(), Math.round(member.cost('welcomeBytes', member.size - 1)))
        await member.core.send(env, signal)
      })
    },
    actions: {
      withdrawCommit: (_, params) => { actor.withdraw(params.commitId) }
    }
  })
  const a = createActor(machine, { input: { channel: member.channel, suite: SUITE, invitee, commitId }, clock: member.host.agents.clock as never })
  a.start()
  try {
    await toPromise(a)
  } catch {}
  const done = a.getSnapshot().value === 'done'
  a.stop()
  return done
}

/** The invitee's answer to a JoinRequest: a key package while it waits to join this channel. */
export async function answerJoinRequest (member: ChannelMember, req: Envelope): Promise<void> {
  const reply = member.envelope(req.source, new Uint8Array(0), MessageType.JOIN_REPLY, DeliveryMode.UNICAST)
  reply.channelId = req.channelId
  reply.correlationId = req.messageId
  if (member.state === 'invited' && req.channelId === member.channel) {
    await member.locked(async () => { await member.sleep(member.cost('keyPackageMs', 2)) })
    reply.payload = encodeJson({ name: member.name })
    reply.metadata.set('status', 'accepted')
  } else {
    reply.metadata.set('status', 'declined')
    reply.metadata.set('reason', `${member.name} is not waiting to join ${req.channelId}`)
  }
  await member.core.send(reply)
}

/** Leaves the channel; resolves true once this member applied its removal. */
export async function leave (member: ChannelMember): Promise<boolean> {
  if (member.state !== 'member') return false
  const roles = member.roster.roles
  const others = member.roster.members.filter(m => m !== member.name)
  const removers = [...new Set([roles.owner, ...roles.admins])].filter(m => others.includes(m))
  member.host.recorder.askedToLeave(member.name, member.host.agents.now())
  const machine = channelLeaveMachine.provide({
    actors: {
      requestRemoval: fromCallback<ChannelLeaveEvent, RequestRemovalInput>(({ input, sendBack }) => {
        const req = member.envelope(input.member, new Uint8Array(0), MessageType.LEAVE_REQUEST, DeliveryMode.UNICAST)
        req.channelId = input.channel
        const key = idKey(req.messageId)
        member.replies.set(key, reply => {
          sendBack({ type: 'leave.replied', removed: reply.metadata.get('status') === 'removed', reason: reply.metadata.get('reason') })
        })
        const stop = new AbortController()
        member.core.send(req, stop.signal).catch((error: unknown) => { if (!stop.signal.aborted) sendBack({ type: 'leave.unsent', error }) })
        return () => { member.replies.delete(key); stop.abort() }
      }),
      forget: fromPromise(async () => { member.actor?.send({ type: 'channel.left' }) })
    },
    actions: {
      announceLeaving: () => { member.actor?.send({ type: 'member.leaving' }) }
    }
  })
  const a = createActor(machine, { input: { channel: member.channel, others: removers, alone: others.length === 0 }, clock: member.host.agents.clock as never })
  member.leaving = { ended: () => { a.send({ type: 'channel.ended', state: 'left' }) } }
  a.start()
  if ((member.state as string) === 'left') a.send({ type: 'channel.ended', state: 'left' })
  try {
    await toPromise(a)
  } catch {}
  const left = a.getSnapshot().value === 'left'
  a.stop()
  member.leaving = undefined
  if (!left) member.host.recorder.leaveFailed(member.name)
  return left
}

/** An owner's or admin's answer to a LeaveRequest: the removal, by commit. */
export async function answerLeaveRequest (member: ChannelMember, req: Envelope): Promise<void> {
  const reply = member.envelope(req.source, new Uint8Array(0), MessageType.LEAVE_REPLY, DeliveryMode.UNICAST)
  reply.channelId = req.channelId
  reply.correlationId = req.messageId
  try {
    if (member.state !== 'member' || req.channelId !== member.channel) throw new ChannelClosedError(`${member.name} has no open channel ${req.channelId}`, 'closed')
    if (member.roster.set.has(req.source)) {
      const ticket = member.host.recorder.request(member.channel, 'remove', member.name, member.host.agents.now())
      await member.commit({ kind: 'remove', member: req.source }, ticket)
    }
    reply.metadata.set('status', 'removed')
  } catch (err) {
    if ((err as Error).name === 'MemberNotFoundError' && !member.roster.set.has(req.source)) reply.metadata.set('status', 'removed')
    else { reply.metadata.set('status', 'refused'); reply.metadata.set('reason', (err as Error).message) }
  }
  await member.core.send(reply)
}
