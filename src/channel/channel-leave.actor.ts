/**
 * Runs the leave machine (src/machines/channel-leave.machine.ts) with real effects: the
 * `LeaveRequest` / `LeaveReply` exchange with the owner and the admins in turn (only
 * they may commit a removal, src/channel/roles.ts), and, for the
 * last member, ending the channel and forgetting its saved state. A leave that no member
 * granted fails with ChannelClosedError (reason `left`), its last refusal as `cause`.
 */
import { createActor, fromCallback, fromPromise } from 'xstate'
import { channelLeaveMachine } from '../machines/channel-leave.machine.js'
import type { ChannelLeaveEvent, LeaveFailure, RequestRemovalInput } from '../machines/channel-leave.machine.js'
import { MessageType } from '../wire/envelope.pb.js'
import type { ChannelAgent } from './agent-port.js'
import type { ControlReplies } from './control-replies.js'
import { ChannelClosedError, InviteFailedError, messageOf, PermissionDeniedError } from './errors.js'
import { runProtocol } from './run-protocol.js'
import type { ChannelStatus } from './status.js'

/** What leaving needs of its channel (src/channel/channel.ts has it). */
export interface LeaveChannel {
  readonly name: string
  readonly ended: boolean
  /** The other members, in tree order. */
  otherMembers: () => string[]
  /** The members who may remove this one (owner, then admins): the ones to ask. */
  removers: () => string[]
  /** Tells the channel machine the removal that follows is asked for. */
  markLeaving: () => void
  /** Ends the channel here with nobody told, and forgets its saved state. */
  forget: () => Promise<void>
  onStatus: (listener: (s: ChannelStatus) => void) => () => void
}

export interface LeaveComponents {
  agent: ChannelAgent
  channel: LeaveChannel
  replies: ControlReplies
}

/** Leaves the channel: resolves once this member's removal is applied here (or it was the last member). */
export async function runLeave ({ agent, channel, replies }: LeaveComponents, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<void> {
  if (channel.ended) return
  const machine = channelLeaveMachine.provide({
    actors: {
      requestRemoval: fromCallback<ChannelLeaveEvent, RequestRemovalInput>(({ input, sendBack }) => {
        const req = agent.envelope(input.member, new Uint8Array(0), { mode: 'unicast' })
        req.type = MessageType.LEAVE_REQUEST
        req.channelId = input.channel
        const off = replies.expect(req.messageId, reply => {
          sendBack({ type: 'leave.replied', removed: reply.metadata.get('status') === 'removed', reason: reply.metadata.get('reason') })
        })
        const stop = new AbortController()
        // Once the machine has moved on (a reply came, or it timed out), the send is stopped and its outcome no longer matters.
        agent.send(req, stop.signal).catch((error: unknown) => { if (!stop.signal.aborted) sendBack({ type: 'leave.unsent', error }) })
        return () => { off(); stop.abort() }
      }),
      forget: fromPromise(async () => { await channel.forget() })
    },
    actions: {
      announceLeaving: () => { channel.markLeaving() }
    }
  })
  const actor = createActor(machine, { input: { channel: channel.name, others: channel.removers(), alone: channel.otherMembers().length === 0, timeoutMs: options.timeoutMs } })
  const signal = options.signal
  await runProtocol(actor, channel, 'leave.cancel', signal)
  const { value, context } = actor.getSnapshot()
  if (value === 'left') return
  if (value === 'cancelled') throw signal?.reason as Error
  const last = context.lastFailure != null
    ? refusal(context.lastFailure, agent.name)
    : context.error ?? (context.others.length === 0 ? new PermissionDeniedError(`no owner or admin of ${channel.name} is left to remove ${agent.name} (channel.remove)`, 'channel.remove') : undefined)
  throw new ChannelClosedError(`could not leave ${channel.name}: no member removed ${agent.name} (${last != null ? messageOf(last) : ''})`, 'left', { cause: last })
}

function refusal (f: LeaveFailure, self: string): Error {
  const unanswered = `${f.member} did not answer the LeaveRequest`
  switch (f.reason) {
    case 'noReply': return new InviteFailedError(unanswered)
    case 'unsent': return new InviteFailedError(`${unanswered}: ${messageOf(f.error)}`, { cause: f.error })
    case 'refused': return new InviteFailedError(`${f.member} refused to remove ${self}: ${f.detail}`)
  }
}
