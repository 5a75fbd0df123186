/**
 * Status changes of a channel a caller can follow (`channel.status()`, or `onStatus`):
 * a union on `type`, reusing the channel machine's event names.
 */
import type { CommitKind } from '../machines/channel.machine.js'
import { AsyncQueue } from '../util/async-queue.js'
import { ChannelClosedError } from './errors.js'

export type ChannelStatus =
  /** Created, joined from a Welcome, or restored from the data directory. */
  | { type: 'channel.active', epoch: number, members: string[], restored: boolean }
  /** A commit (ours or another member's) moved the channel to `epoch`. */
  | { type: 'channel.epoch.changed', epoch: number, members: string[] }
  | { type: 'channel.member.added', member: string, epoch: number }
  | { type: 'channel.member.removed', member: string, epoch: number }
  /** The sequencer took our commit (GroupAck) and it is applied here. */
  | { type: 'channel.commit.acked', kind: CommitKind, epoch: number, attempt: number }
  /** The sequencer refused our commit as stale (GroupNack): another came first; we catch up and retry. */
  | { type: 'channel.commit.rejected', kind: CommitKind, epoch: number, attempt: number }
  | { type: 'channel.commit.failed', kind: CommitKind, error: Error }
  /** A message or commit from the channel that was refused (malformed, forged, replayed, keys gone); the channel goes on. */
  | { type: 'channel.message.rejected', seq: number, error: Error }
  /** Another member's commit or GroupClose refused here: its committer lacks the role, or its metadata does not match; the channel stays at its epoch. */
  | { type: 'channel.commit.refused', seq: number, committer: string, error: Error }
  | { type: 'channel.closed' }
  | { type: 'channel.left' }
  | { type: 'channel.removed' }

/** The way a status says the channel ended, if it does. */
export function endedBy (s: ChannelStatus): 'closed' | 'removed' | 'left' | undefined {
  return s.type === 'channel.closed' ? 'closed' : s.type === 'channel.removed' ? 'removed' : s.type === 'channel.left' ? 'left' : undefined
}

/** A channel's status listeners, and the status streams made from them. */
export class StatusFeed {
  private readonly listeners = new Set<(s: ChannelStatus) => void>()

  constructor (private readonly channel: string) {}

  on (listener: (s: ChannelStatus) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Status changes from now on, until the channel ends. */
  stream (): AsyncIterable<ChannelStatus> {
    let off = (): void => {}
    const q = new AsyncQueue<ChannelStatus>(1024, () => new ChannelClosedError(`status of ${this.channel} was not read; more than 1024 waiting`, 'closed'), () => { off() })
    off = this.on(s => {
      q.push(s)
      if (endedBy(s) != null) { q.end(); off() }
    })
    return q
  }

  emit (s: ChannelStatus): void {
    for (const l of this.listeners) {
      // A listener that throws is the caller's bug; it must not stop the channel or the other listeners.
      try { l(s) } catch {}
    }
  }
}
