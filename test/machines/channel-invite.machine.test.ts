import { describe, it, expect } from 'vitest'
import { createActor, fromCallback, fromPromise, SimulatedClock, waitFor } from 'xstate'
import { channelInviteMachine, INVITE_TIMEOUT_MS, MAX_WELCOME_SENDS, WELCOME_RETRY_MS } from '../../src/machines/channel-invite.machine.js'
import type { ChannelInviteEvent, ChannelInviteInput, CommitAddInput, RequestKeyPackageInput, SendWelcomeInput } from '../../src/machines/channel-invite.machine.js'
import type { PendingWelcome } from '../../src/machines/channel.machine.js'

/** Safety net only: a machine that never gets there fails fast instead of hanging. */
const WAIT = { timeout: 2_000 }
const KP = new Uint8Array([1, 2, 3])
const WELCOME: PendingWelcome = { joiner: 'acme/x/bob/b1', bytes: new Uint8Array([9]), seq: 4, wireEpoch: 2 }

class NamedError extends Error {
  constructor (name: string, message: string) { super(message); this.name = name }
}

interface Harness {
  actor: ReturnType<typeof createActor<typeof channelInviteMachine>>
  clock: SimulatedClock
  states: string[]
  /** JoinRequests sent, and the callback to answer the last one. */
  requests: RequestKeyPackageInput[]
  reply: (e: ChannelInviteEvent) => void
  /** How many JoinReply listeners were stopped. */
  stoppedListening: number
  checks: Array<string | undefined>
  checkError?: Error
  commits: CommitAddInput[]
  /** Settles the add commit under way. */
  commitDone: (o: { welcome?: PendingWelcome }) => void
  commitFailed: (e: unknown) => void
  withdrawn: number[]
  /** Each Welcome send, and when on the simulated clock. */
  welcomes: Array<SendWelcomeInput & { at: number }>
  welcomeErrors: Error[]
}

function start (input: Partial<ChannelInviteInput> = {}): Harness {
  const clock = new SimulatedClock()
  const h = { clock, states: [], requests: [], reply: () => {}, stoppedListening: 0, checks: [], commits: [], commitDone: () => {}, commitFailed: () => {}, withdrawn: [], welcomes: [], welcomeErrors: [] } as unknown as Harness
  const machine = channelInviteMachine.provide({
    actors: {
      requestKeyPackage: fromCallback<ChannelInviteEvent, RequestKeyPackageInput>(({ input, sendBack }) => {
        h.requests.push(input)
        h.reply = sendBack
        return () => { h.stoppedListening++ }
      }),
      checkKeyPackage: fromPromise(async ({ input }) => {
        h.checks.push(input.invitee)
        if (h.checkError != null) throw h.checkError
      }),
      commitAdd: fromPromise<{ welcome?: PendingWelcome }, CommitAddInput>(async ({ input }) => {
        h.commits.push(input)
        return await new Promise((resolve, reject) => { h.commitDone = resolve; h.commitFailed = reject })
      }),
      sendWelcome: fromPromise<void, SendWelcomeInput>(async ({ input }) => {
        h.welcomes.push({ ...input, at: clock.now() })
        const err = h.welcomeErrors.shift()
        if (err != null) throw err
      })
    },
    actions: {
      withdrawCommit: (_, p) => { h.withdrawn.push(p.commitId) }
    }
  })
  h.actor = createActor(machine, { input: { channel: 'acme/x/chan', suite: 'S1', invitee: 'acme/x/bob/b1', commitId: 5, ...input }, clock })
  h.actor.subscribe(s => { const v = String(s.value); if (h.states.at(-1) !== v) h.states.push(v) })
  h.actor.start()
  return h
}

const accepted: ChannelInviteEvent = { type: 'invite.replied', accepted: true, keyPackage: KP }

/** Up to the add commit under way. */
async function committing (input: Partial<ChannelInviteInput> = {}): Promise<Harness> {
  const h = start(input)
  if (input.keyPackage == null) h.reply(accepted)
  await waitFor(h.actor, s => s.matches('committing') && h.commits.length === 1, WAIT)
  return h
}

describe('channelInviteMachine', () => {
  it('invites by name: JoinRequest, accepted reply, key package check, add commit, Welcome, done', async () => {
    const h = start()
    expect(h.actor.getSnapshot().value).toBe('requesting')
    expect(h.requests).toEqual([{ channel: 'acme/x/chan', invitee: 'acme/x/bob/b1', suite: 'S1' }])
    h.reply(accepted)
    expect(h.stoppedListening).toBe(1)
    await waitFor(h.actor, s => s.matches('committing'), WAIT)
    expect(h.checks).toEqual(['acme/x/bob/b1'])
    expect(h.commits).toEqual([{ commitId: 5, keyPackage: KP }])
    h.commitDone({ welcome: WELCOME })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.welcomes).toEqual([{ channel: 'acme/x/chan', suite: 'S1', welcome: WELCOME, attempt: 1, at: 0 }])
    expect(h.states).toEqual(['requesting', 'checking', 'committing', 'welcoming', 'done'])
  })

  it('adds by key package (addMember) without a JoinRequest or a name check', async () => {
    const h = await committing({ invitee: undefined, keyPackage: KP })
    expect(h.requests).toEqual([])
    expect(h.checks).toEqual([])
    h.commitDone({ welcome: WELCOME })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.states).toEqual(['committing', 'welcoming', 'done'])
  })

  it('fails with noReply once INVITE_TIMEOUT passes without a JoinReply, and not before', () => {
    const h = start({ timeoutMs: INVITE_TIMEOUT_MS })
    h.clock.increment(INVITE_TIMEOUT_MS - 1)
    expect(h.actor.getSnapshot().value).toBe('requesting')
    h.clock.increment(1)
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'noReply' })
    expect(h.stoppedListening).toBe(1)
    // A reply after the timeout changes nothing.
    h.reply(accepted)
    expect(h.commits).toEqual([])
  })

  it('honours a shorter timeout given as input', () => {
    const h = start({ timeoutMs: 1_000 })
    h.clock.increment(1_000)
    expect(h.actor.getSnapshot().value).toBe('failed')
  })

  it('fails when the invitee declines, with its reason', () => {
    const h = start()
    h.reply({ type: 'invite.replied', accepted: false, keyPackage: new Uint8Array(0), reason: 'busy' })
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'declined', detail: 'busy' })
    expect(h.checks).toEqual([])
  })

  it('fails when the JoinRequest cannot be sent', () => {
    const h = start()
    const error = new NamedError('NoRouteError', 'no route to acme/x/bob/b1')
    h.reply({ type: 'invite.unsent', error })
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'unsent', error })
  })

  it('fails in checking when the key package is for another name, and commits nothing', async () => {
    const h = start()
    h.checkError = new NamedError('CredentialMismatchError', 'key package is for acme/x/eve/e1')
    h.reply(accepted)
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'error', error: h.checkError })
    expect(h.commits).toEqual([])
  })

  it('fails with the commit\'s error when the add commit fails', async () => {
    const h = await committing()
    const error = new NamedError('CommitFailedError', 'refused 8 times')
    h.commitFailed(error)
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'error', error })
    expect(h.welcomes).toEqual([])
  })

  it('retries a Welcome that found no route every WELCOME_RETRY, then succeeds', async () => {
    const h = await committing()
    h.welcomeErrors.push(new NamedError('NoRouteError', 'no route'), new NamedError('NoRouteError', 'no route'))
    h.commitDone({ welcome: WELCOME })
    await waitFor(h.actor, s => s.matches('welcomeBackoff'), WAIT)
    h.clock.increment(WELCOME_RETRY_MS - 1)
    expect(h.welcomes).toHaveLength(1)
    h.clock.increment(1)
    await waitFor(h.actor, s => s.matches('welcomeBackoff') && h.welcomes.length === 2, WAIT)
    h.clock.increment(WELCOME_RETRY_MS)
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('done')
    expect(h.welcomes.map(w => `${w.attempt}@${w.at}`)).toEqual(['1@0', `2@${WELCOME_RETRY_MS}`, `3@${2 * WELCOME_RETRY_MS}`])
  })

  it('gives up on the Welcome after MAX_WELCOME_SENDS sends that found no route', async () => {
    const h = await committing()
    const noRoute = new NamedError('NoRouteError', 'no route')
    for (let i = 0; i < MAX_WELCOME_SENDS + 5; i++) h.welcomeErrors.push(noRoute)
    h.commitDone({ welcome: WELCOME })
    for (let sent = 1; sent < MAX_WELCOME_SENDS; sent++) {
      await waitFor(h.actor, s => s.matches('welcomeBackoff') && h.welcomes.length === sent, WAIT)
      h.clock.increment(WELCOME_RETRY_MS)
    }
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.welcomes).toHaveLength(MAX_WELCOME_SENDS)
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'error', error: noRoute })
  })

  it('fails at once on a Welcome error that is not a route miss', async () => {
    const h = await committing()
    const error = new NamedError('PayloadTooLargeError', 'too large')
    h.welcomeErrors.push(error)
    h.commitDone({ welcome: WELCOME })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.welcomes).toHaveLength(1)
  })

  it('ends done without a Welcome when the commit has none to send', async () => {
    const h = await committing()
    h.commitDone({})
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('done')
    expect(h.welcomes).toEqual([])
  })

  it('is cancelled while requesting: stops listening for the reply and commits nothing', () => {
    const h = start()
    h.actor.send({ type: 'invite.cancel' })
    expect(h.actor.getSnapshot().value).toBe('cancelled')
    expect(h.stoppedListening).toBe(1)
    h.clock.increment(INVITE_TIMEOUT_MS)
    expect(h.actor.getSnapshot().context.failure).toBeUndefined()
    expect(h.commits).toEqual([])
  })

  it('cancelled while its commit is queued: withdraws the commit and ends cancelled', async () => {
    const h = await committing()
    h.actor.send({ type: 'invite.cancel' })
    expect(h.withdrawn).toEqual([5])
    expect(h.actor.getSnapshot().value).toBe('committing')
    h.commitFailed(new NamedError('CommitFailedError', 'withdrawn before it was sent'))
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('cancelled')
    expect(h.welcomes).toEqual([])
  })

  it('cancelled after its commit was sent: still sends the Welcome, so the new member is not a dead leaf', async () => {
    const h = await committing()
    h.actor.send({ type: 'invite.cancel' })
    h.commitDone({ welcome: WELCOME })
    await waitFor(h.actor, s => s.status === 'done', WAIT)
    expect(h.actor.getSnapshot().value).toBe('done')
    expect(h.welcomes).toHaveLength(1)
  })

  it('fails when the channel ends while the invitee is being asked', () => {
    const h = start()
    h.actor.send({ type: 'channel.ended', state: 'removed' })
    expect(h.actor.getSnapshot().value).toBe('failed')
    expect(h.actor.getSnapshot().context.failure).toEqual({ reason: 'channelEnded', state: 'removed' })
    expect(h.stoppedListening).toBe(1)
  })
})
