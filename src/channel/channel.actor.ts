/**
 * Runs the channel machine (src/machines/channel.machine.ts) with real effects:
 * `submitCommit` builds the commit on the current epoch and sends it to the sequencer,
 * `catchUp` waits until the member has applied the commits the sequencer named.
 *
 * The machine owns the commit queue: `commit()` sends it a `commit.request` with the
 * data to commit and a fresh id, and settles when the machine reports that id committed
 * or failed. Nothing else serialises commits.
 */
import { createActor, fromPromise } from 'xstate'
import type { Actor } from 'xstate'
import { channelMachine } from '../machines/channel.machine.js'
import type { ChannelEvent, ChannelInput, CommitKind, CommitRequest, SubmitCommitInput, SubmitCommitOutput } from '../machines/channel.machine.js'
import { ChannelClosedError, CommitFailedError } from './errors.js'

export interface ChannelActorEffects {
  /** Builds and sends the commit; resolves when acked and applied; rejects with `{ stale: true, epoch }` on a stale-epoch nack. */
  submitCommit: (input: SubmitCommitInput, signal: AbortSignal) => Promise<SubmitCommitOutput>
  /** Resolves when this member has applied the commits up to `epoch`. */
  catchUp: (epoch: number, signal: AbortSignal) => Promise<void>
  onCommitted?: (kind: CommitKind, epoch: number, attempt: number) => void
  onCommitRejected?: (kind: CommitKind, epoch: number, attempt: number) => void
  onEnded?: (state: 'closed' | 'removed' | 'left') => void
}

interface Waiter { resolve: (r: SubmitCommitOutput) => void, reject: (e: Error) => void }

type Ended = 'closed' | 'removed' | 'left'

export class ChannelActor {
  private readonly actor: Actor<typeof channelMachine>
  private readonly name: string
  /** Callers of commit(), by the id their commit has in the machine's queue. */
  private readonly waiters = new Map<number, Waiter>()
  private lastId = 0

  constructor (input: ChannelInput, fx: ChannelActorEffects) {
    this.name = input.name
    const machine = channelMachine.provide({
      actors: {
        submitCommit: fromPromise(async ({ input, signal }) => await fx.submitCommit(input, signal)),
        catchUp: fromPromise(async ({ input, signal }) => { await fx.catchUp(input.epoch, signal) })
      },
      actions: {
        reportCommitted: (_, params) => {
          fx.onCommitted?.(params.kind, params.epoch, params.attempt)
          this.settle(params.id, w => { w.resolve({ epoch: params.epoch, members: params.members, welcome: params.welcome }) })
        },
        reportCommitFailed: (_, params) => {
          const e = params.error
          const err = e === 'removed' || e === 'closed' || e === 'left'
            ? new ChannelClosedError(`channel ${input.name} was ${e} while a ${params.kind} commit was under way`, e)
            : e === 'withdrawn'
              ? new CommitFailedError(`the ${params.kind} commit to ${input.name} was withdrawn before it was sent`)
              : e instanceof Error ? e : new CommitFailedError(`${params.kind} commit failed: ${JSON.stringify(e)}`)
          this.settle(params.id, w => { w.reject(err) })
        },
        reportCommitRejected: (_, params) => { fx.onCommitRejected?.(params.kind, params.epoch, params.attempt) },
        reportEnded: (_, params) => { fx.onEnded?.(params.state) }
      }
    })
    this.actor = createActor(machine, { input })
    this.actor.start()
  }

  private settle (id: number, f: (w: Waiter) => void): void {
    const w = this.waiters.get(id)
    this.waiters.delete(id)
    if (w != null) f(w)
  }

  send (event: ChannelEvent): void { this.actor.send(event) }

  /** The machine's state: creating, joining, active, committing, catchingUp, closed, left, removed. */
  get state (): string { return String(this.actor.getSnapshot().value) }

  get ended (): boolean { return this.actor.getSnapshot().status !== 'active' }

  /** An id for a commit not yet asked for (so that its asker can withdraw it later). */
  newCommitId (): number { return ++this.lastId }

  /** Queues one commit on the machine: resolves once acked and applied, retrying on stale epochs. */
  async commit (request: CommitRequest, id = this.newCommitId()): Promise<SubmitCommitOutput> {
    if (this.ended) {
      const s = this.state
      const reason: Ended = s === 'removed' ? 'removed' : s === 'left' ? 'left' : 'closed'
      throw new ChannelClosedError(`channel ${this.name} is ${s}`, reason)
    }
    const done = new Promise<SubmitCommitOutput>((resolve, reject) => { this.waiters.set(id, { resolve, reject }) })
    this.actor.send({ type: 'commit.request', id, request })
    return await done
  }

  /** Withdraws a queued commit (it fails with CommitFailedError); one already under way goes on. */
  withdraw (id: number): void { this.actor.send({ type: 'commit.withdraw', id }) }

  stop (): void {
    for (const id of [...this.waiters.keys()]) this.settle(id, w => { w.reject(new ChannelClosedError(`channel ${this.name} handle closed`, 'closed')) })
    this.actor.stop()
  }
}
