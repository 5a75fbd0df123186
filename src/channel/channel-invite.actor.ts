/**
 * Runs the invite machine (src/machines/channel-invite.machine.ts) with real effects:
 * the `JoinRequest` / `JoinReply` exchange with the invitee, the key package check, the
 * add commit through the channel's commit queue, and the `GroupWelcome`. Its outcome
 * becomes the typed errors of src/channel/errors.ts.
 */
import { createActor, fromCallback, fromPromise } from 'xstate'
import { channelInviteMachine } from '../machines/channel-invite.machine.js'
import type { ChannelInviteContext, ChannelInviteEvent, RequestKeyPackageInput, CheckKeyPackageInput, CommitAddInput, SendWelcomeInput } from '../machines/channel-invite.machine.js'
import type { CommitRequest, PendingWelcome, SubmitCommitOutput } from '../machines/channel.machine.js'
import { MessageType } from '../wire/envelope.pb.js'
import type { ChannelAgent } from './agent-port.js'
import type { ControlReplies } from './control-replies.js'
import { ChannelClosedError, CommitFailedError, CredentialMismatchError, InviteFailedError, messageOf } from './errors.js'
import { decodeKeyPackage } from './mls-codec.js'
import { runProtocol } from './run-protocol.js'
import type { ChannelStatus } from './status.js'

/** What an invitation needs of its channel (src/channel/channel.ts has it). */
export interface InviteChannel {
  readonly name: string
  readonly suite: string
  commit: (request: CommitRequest, id?: number) => Promise<SubmitCommitOutput>
  newCommitId: () => number
  withdrawCommit: (id: number) => void
  onStatus: (listener: (s: ChannelStatus) => void) => () => void
}

export interface InviteComponents {
  agent: ChannelAgent
  channel: InviteChannel
  replies: ControlReplies
}

export interface InviteRequest {
  /** Invite by name: ask this agent for a key package. */
  invitee?: string
  /** Or add the holder of this key package. */
  keyPackage?: Uint8Array
  timeoutMs?: number
  signal?: AbortSignal
}

const enc = new TextEncoder()

/** Adds a member: resolves once the add commit is acked and applied and the Welcome is sent. */
export async function runInvite ({ agent, channel, replies }: InviteComponents, request: InviteRequest): Promise<void> {
  const machine = channelInviteMachine.provide({
    actors: {
      requestKeyPackage: fromCallback<ChannelInviteEvent, RequestKeyPackageInput>(({ input, sendBack }) => {
        const req = agent.envelope(input.invitee, enc.encode(JSON.stringify({ suite: input.suite })), { mode: 'unicast' })
        req.type = MessageType.JOIN_REQUEST
        req.channelId = input.channel
        const off = replies.expect(req.messageId, reply => {
          sendBack({ type: 'invite.replied', accepted: reply.metadata.get('status') === 'accepted', keyPackage: reply.payload, reason: reply.metadata.get('reason') })
        })
        const stop = new AbortController()
        // Once the machine has moved on (a reply came, or it timed out), the send is stopped and its outcome no longer matters.
        agent.send(req, stop.signal).catch((error: unknown) => { if (!stop.signal.aborted) sendBack({ type: 'invite.unsent', error }) })
        return () => { off(); stop.abort() }
      }),
      checkKeyPackage: fromPromise<void, CheckKeyPackageInput>(async ({ input }) => {
        const { name } = decodeKeyPackage(input.keyPackage)
        if (input.invitee != null && name !== input.invitee) throw new CredentialMismatchError(`invited ${input.invitee}, but the key package that came back is for ${name}`)
      }),
      commitAdd: fromPromise<{ welcome?: PendingWelcome }, CommitAddInput>(async ({ input }) => {
        const { welcome } = await channel.commit({ kind: 'add', keyPackage: input.keyPackage }, input.commitId)
        return { welcome }
      }),
      sendWelcome: fromPromise<void, SendWelcomeInput>(async ({ input, signal }) => {
        const { welcome } = input
        const env = agent.envelope(welcome.joiner, welcome.bytes, { mode: 'unicast' })
        env.type = MessageType.GROUP_WELCOME
        env.channelId = input.channel
        env.epoch = welcome.wireEpoch
        env.metadata.set('seq', String(welcome.seq))
        env.metadata.set('suite', input.suite)
        await agent.send(env, signal)
      })
    },
    actions: {
      withdrawCommit: (_, params) => { channel.withdrawCommit(params.commitId) }
    }
  })
  const actor = createActor(machine, {
    input: { channel: channel.name, suite: channel.suite, invitee: request.invitee, keyPackage: request.keyPackage, commitId: channel.newCommitId(), timeoutMs: request.timeoutMs }
  })
  const signal = request.signal
  await runProtocol(actor, channel, 'invite.cancel', signal)
  const { value, context } = actor.getSnapshot()
  if (value === 'done') return
  if (value === 'cancelled') {
    throw request.invitee != null
      ? new InviteFailedError(`the invitation of ${request.invitee} to ${channel.name} was given up`, { cause: signal?.reason })
      : new CommitFailedError(`the add to ${channel.name} was given up before its commit was sent`, { cause: signal?.reason })
  }
  throw inviteError(context)
}

function inviteError ({ failure, invitee, channel }: ChannelInviteContext): Error {
  const unanswered = `${invitee ?? 'the invitee'} did not answer the invitation to ${channel}`
  switch (failure?.reason) {
    case 'noReply': return new InviteFailedError(unanswered)
    case 'unsent': return new InviteFailedError(`${unanswered}: ${messageOf(failure.error)}`, { cause: failure.error })
    case 'declined': return new InviteFailedError(`${invitee ?? 'the invitee'} declined the invitation to ${channel}: ${failure.detail}`)
    case 'channelEnded': return new ChannelClosedError(`channel ${channel} is ${failure.state}`, failure.state)
    case 'error': return failure.error instanceof Error ? failure.error : new InviteFailedError(`adding to ${channel} failed: ${messageOf(failure.error)}`, { cause: failure.error })
    case undefined: return new InviteFailedError(`adding to ${channel} failed for no recorded reason`)
  }
}
