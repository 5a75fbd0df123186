/**
 * What the command line says when a command fails: one line on stderr (`slim-mesh: ...`)
 * and an exit code.
 *
 * - `UsageError`: what the command line refuses of what it was given.
 * - `errorLine(err)`: the error's message, with a hint of what to do where the message
 *   alone does not say it (the channel errors of src/channel/errors.ts).
 * - `exitCodeOf(err)`: `EXIT_CHANNEL_ENDED` (3) for a channel that ended under the
 *   command or before it (`ChannelClosedError`: closed, this agent removed, or left);
 *   `EXIT_FAILED` (1) for every other failure.
 */

/** What the command line refuses of what it was given, said in one line (`slim-mesh: ...`). */
export class UsageError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UsageError'
  }
}

/** A refusal or failure, said in one line. */
export const EXIT_FAILED = 1
/** The channel ended: closed by its owner or an admin, this agent removed, or left. */
export const EXIT_CHANNEL_ENDED = 3

/** What to do, for the errors whose message says what went wrong but not what would be right. */
const HINTS: Record<string, string> = {
  InviteFailedError: 'the invited agent answers only while it runs: have it run `slim-mesh channel listen CHANNEL` (its full name is in the line that prints)',
  MemberNotFoundError: '`slim-mesh channel members CHANNEL` lists them',
  AlreadyMemberError: '`slim-mesh channel members CHANNEL` lists them',
  ChannelExistsError: 'open it with the other channel commands, or give another name',
  CommitFailedError: 'try again; if it keeps failing, another member may be committing at the same time'
}

/** The one line a failed command prints after `slim-mesh: `. */
export function errorLine (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const message = err.message
  const hint = HINTS[err.name]
  return hint != null && !message.includes('slim-mesh channel') ? `${message}; ${hint}` : message
}

export function exitCodeOf (err: unknown): number {
  return err instanceof Error && err.name === 'ChannelClosedError' ? EXIT_CHANNEL_ENDED : EXIT_FAILED
}
