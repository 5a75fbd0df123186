/**
 * Runs the join request machine (src/machines/channel-join-request.machine.ts) with real
 * effects, for an agent asking to join a channel it is not a member of
 * (`agent.requestToJoin`): a fresh key package of its own goes in a `JoinRequest`
 * multicast to the channel (`slim.join: ask`, the requester's deadline as
 * `slim.join.expires`, an optional `slim.join.note`), which the channel's sequencer
 * archives and every member reads in the stream (./join-requests.ts). An owner or admin
 * approves (the add commit, then the Welcome, as for an invitation) or declines (a
 * `JoinReply` with status `declined`). Its outcome: the open channel, or
 * JoinDeclinedError, JoinRequestTimeoutError, or the error that stopped it.
 *
 * A decline is taken from whoever answers the request by its id: only the channel's
 * subscribers read the request, and the relay stamps who answered (`by`). A key package
 * of a request that ended without a join stays held: a Welcome that still comes for it
 * (an approval after the deadline) is joined by a later `joinChannel`.
 */
import { createActor, fromCallback, fromPromise, toPromise } from 'xstate'
import { channelJoinRequestMachine, MAX_JOIN_REQUEST_WAIT_MS } from '../machines/channel-join-request.machine.js'
import type { ChannelJoinRequestContext, ChannelJoinRequestEvent, JoinFromWelcomeInput, ListenInput, SendRequestInput } from '../machines/channel-join-request.machine.js'
import { InvalidMetadataError } from '../relay/errors.js'
import { MessageType } from '../wire/envelope.pb.js'
import type { ChannelAgent } from './agent-port.js'
import type { ControlReplies } from './control-replies.js'
import { JoinDeclinedError, JoinFailedError, JoinRequestTimeoutError, messageOf } from './errors.js'
import { JOIN_ASK, MAX_NOTE_BYTES, META_JOIN, META_JOIN_EXPIRES, META_JOIN_NOTE } from './join-requests.js'
import type { Channel } from './open-channel.js'

/** What asking to join needs of the agent's channels (src/channel/agent-channels.ts gives it). */
export interface JoinRequestComponents {
  agent: ChannelAgent
  replies: ControlReplies
  /** A fresh key package of this agent (held until a Welcome uses it). */
  keyPackage: (suite?: string) => Promise<Uint8Array>
  /** Calls `wake` whenever a Welcome to `channel` arrives; returns the unsubscribe. */
  onWelcome: (channel: string, wake: () => void) => () => void
  /** Whether a Welcome to `channel` is waiting to be joined from. */
  hasWelcome: (channel: string) => boolean
  /** Joins from the Welcomes to `channel` received so far; undefined if none is for a key package held here. */
  joinFromWelcomes: (channel: string) => Promise<Channel | undefined>
}

export interface RequestToJoinOptions {
  /** Give up after this long without an answer (default JOIN_REQUEST_TIMEOUT_MS, 60 s; at most MAX_JOIN_REQUEST_WAIT_MS, 1 hour). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Shown to the members who decide (at most MAX_NOTE_BYTES of UTF-8). */
  note?: string
  /** The suite of the key package sent (default DEFAULT_SUITE); it must be the channel's. */
  cipherSuite?: string
}

const enc = new TextEncoder()

/** Asks to join `channel`; resolves with the open channel once a member approved and its Welcome was joined. */
export async function runJoinRequest (c: JoinRequestComponents, channel: string, options: RequestToJoinOptions = {}): Promise<Channel> {
  const { note, timeoutMs, signal } = options
  if (note != null && enc.encode(note).byteLength > MAX_NOTE_BYTES) throw new InvalidMetadataError(`the note of a request to join ${channel} is ${enc.encode(note).byteLength} bytes of UTF-8; at most ${MAX_NOTE_BYTES}`)
  if (timeoutMs != null && !(timeoutMs > 0 && timeoutMs <= MAX_JOIN_REQUEST_WAIT_MS)) throw new RangeError(`timeoutMs of a request to join ${channel} is ${timeoutMs}; it must be above 0 and at most ${MAX_JOIN_REQUEST_WAIT_MS} (1 hour)`)
  signal?.throwIfAborted()
  const req = c.agent.envelope(channel, await c.keyPackage(options.cipherSuite), { mode: 'multicast' })
  req.type = MessageType.JOIN_REQUEST
  req.channelId = channel
  req.metadata.set(META_JOIN, JOIN_ASK)
  if (note != null && note !== '') req.metadata.set(META_JOIN_NOTE, note)
  let joined: Channel | undefined
  const machine = channelJoinRequestMachine.provide({
    actors: {
      listen: fromCallback<ChannelJoinRequestEvent, ListenInput>(({ input, sendBack }) => {
        const offReply = c.replies.expect(req.messageId, reply => {
          if (reply.metadata.get('status') === 'declined') sendBack({ type: 'join.declined', by: reply.source, reason: reply.metadata.get('reason') })
        })
        const offWelcome = c.onWelcome(input.channel, () => { sendBack({ type: 'join.welcomed' }) })
        // A Welcome that came before (an earlier invitation) is tried too: it is as good as an approval.
        if (c.hasWelcome(input.channel)) queueMicrotask(() => { sendBack({ type: 'join.welcomed' }) })
        return () => { offReply(); offWelcome() }
      }),
      sendRequest: fromPromise<{ seq: number }, SendRequestInput>(async ({ input, signal }) => {
        // The requester's deadline: members stop offering the request then (./join-requests.ts).
        req.metadata.set(META_JOIN_EXPIRES, String(Date.now() + input.timeoutMs))
        const ack = await c.agent.send(req, signal)
        return { seq: ack.seq }
      }),
      joinFromWelcome: fromPromise<{ joined: boolean }, JoinFromWelcomeInput>(async () => {
        // No signal: once a Welcome is here the join runs to its end (see the machine).
        joined = await c.joinFromWelcomes(channel)
        return { joined: joined != null }
      })
    }
  })
  const actor = createActor(machine, { input: { channel, timeoutMs } })
  const cancel = (): void => { actor.send({ type: 'join.cancel' }) }
  signal?.addEventListener('abort', cancel, { once: true })
  try {
    actor.start()
    if (signal?.aborted === true) cancel()
    await toPromise(actor)
  } finally {
    signal?.removeEventListener('abort', cancel)
    actor.stop()
  }
  const { value, context } = actor.getSnapshot()
  if (value === 'joined' && joined != null) return joined
  if (value === 'cancelled') throw new JoinFailedError(`the request of ${c.agent.name} to join ${channel} was given up`, { cause: signal?.reason })
  throw joinRequestError(context, c.agent.name)
}

function joinRequestError ({ failure, channel, timeoutMs }: ChannelJoinRequestContext, self: string): Error {
  switch (failure?.reason) {
    case 'timeout': return new JoinRequestTimeoutError(`nobody with the right to add (owner or admin) answered the request of ${self} to join ${channel} within ${timeoutMs} ms`, timeoutMs)
    case 'declined': return new JoinDeclinedError(`${failure.by} declined the request of ${self} to join ${channel}: ${failure.detail}`, failure.by, failure.detail)
    case 'unsent':
      return failure.error instanceof Error && failure.error.name !== 'Error'
        ? failure.error
        : new JoinFailedError(`the request to join ${channel} could not be sent: ${messageOf(failure.error)}`, { cause: failure.error })
    case 'error': return failure.error instanceof Error ? failure.error : new JoinFailedError(`joining ${channel} from its Welcome failed: ${messageOf(failure.error)}`, { cause: failure.error })
    case undefined: return new JoinFailedError(`the request to join ${channel} ended for no recorded reason`)
  }
}
