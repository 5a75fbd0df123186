/**
 * Status changes of a channel a caller can follow (`channel.status()`, or `onStatus`):
 * a union on `type`, reusing the channel machine's event names.
 */
import type { CommitKind } from '../machines/channel.machine.js'

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
  | { type: 'channel.closed' }
  | { type: 'channel.left' }
  | { type: 'channel.removed' }
