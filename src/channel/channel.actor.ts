/**
 * Runs the channel machine with real effects: `submitCommit` builds the commit on the
 * current epoch and sends it to the sequencer, `catchUp` waits until the member has
 * applied the commits the sequencer named. Commits are made one at a time: callers queue
 * here, the machine sees one `commit.start` at a time.
 */
import { createActor, fromPromise } from 'xstate'
import type { Actor } from 'xstate'
import { channelMachine } from '../machines/channel.machine.js'
import type { ChannelEvent, ChannelInput, CommitKind, SubmitCommitOutput } from '../machines/channel.machine.js'
import { ChannelClosedError, CommitFailedError } from './errors.js'

export interface ChannelActorEffects {
  /** Builds and sends the current commit; resolves when acked and applied; rejects with `{ stale: true, epoch }` on a stale-epoch nack. */
  submitCommit: (kind: CommitKind, attempt: number, signal: AbortSignal) => Promise<SubmitCommitOutput>
  /** Resolves when this member has applied the commits up to `epoch`. */
  catchUp: (epoch: number, signal: AbortSignal) => Promise<void>
  onCommitRejected?: (kind: CommitKind, epoch: number, attempt: number) => void
  onEnded?: (state: 'closed' | 'removed' | 'left') => void
  onTransition?: (from: string, to: string, event: string) => void
}

interface Waiter { resolve: (r: SubmitCommitOutput) => void, reject: (e: Error) => void }

export class ChannelActor {
  private readonly actor: Actor<typeof channelMachine>
  private queue: Promise<unknown> = Promise.resolve()
  private waiter?: Waiter
  private kind: CommitKind = 'update'

  constructor (input: ChannelInput, fx: ChannelActorEffects) {
    const machine = channelMachine.provide({
      actors: {
        submitCommit: fromPromise(async ({ input, signal }) => await fx.submitCommit(input.kind, input.attempt, signal)),
        catchUp: fromPromise(async ({ input, signal }) => { await fx.catchUp(input.epoch, signal) })
      },
      actions: {
        reportCommitted: (_, params) => { this.settle(w => { w.resolve(params) }) },
        reportCommitFailed: (_, params) => {
          const e = params.error
          const err = e === 'removed' || e === 'closed'
            ? new ChannelClosedError(`channel ${input.name} was ${e} while a ${this.kind} commit was under way`, e)
            : e instanceof Error ? e : new CommitFailedError(`${this.kind} commit failed: ${JSON.stringify(e)}`)
          this.settle(w => { w.reject(err) })
        },
        reportCommitRejected: ({ context }, params) => { fx.onCommitRejected?.(this.kind, params.epoch, context.commit?.attempt ?? 1) },
        reportEnded: (_, params) => { fx.onEnded?.(params.state) }
      }
    })
    this.actor = createActor(machine, { input })
    if (fx.onTransition != null) {
      let last = ''
      this.actor.subscribe(s => {
        const now = JSON.stringify(s.value)
        if (now !== last) { fx.onTransition?.(last, now, ''); last = now }
      })
    }
    this.actor.start()
  }

  private settle (f: (w: Waiter) => void): void {
    const w = this.waiter
    this.waiter = undefined
    if (w != null) f(w)
  }

  send (event: ChannelEvent): void { this.actor.send(event) }

  /** The machine's state: creating, joining, active, committing, catchingUp, closed, left, removed. */
  get state (): string { return String(this.actor.getSnapshot().value) }

  get ended (): boolean { return this.actor.getSnapshot().status === 'done' }

  /** Makes one commit (queued behind any other): resolves once acked and applied, retrying on stale epochs. */
  async commit (kind: CommitKind): Promise<SubmitCommitOutput> {
    const run = async (): Promise<SubmitCommitOutput> => {
      if (this.ended) throw new ChannelClosedError(`channel is ${this.state}`, this.state === 'removed' ? 'removed' : this.state === 'left' ? 'left' : 'closed')
      this.kind = kind
      const done = new Promise<SubmitCommitOutput>((resolve, reject) => { this.waiter = { resolve, reject } })
      this.actor.send({ type: 'commit.start', kind })
      return await done
    }
    const p = this.queue.then(run, run)
    this.queue = p.catch(() => {})
    return await p
  }

  stop (): void {
    this.settle(w => { w.reject(new ChannelClosedError('channel handle closed', 'closed')) })
    this.actor.stop()
  }
}
