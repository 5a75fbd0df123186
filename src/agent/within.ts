/**
 * A deadline on a promise, kept on a `Clock` (src/relay/clock.ts) so that it runs on
 * simulated time in the simulations and tests: the agent core's requests and
 * subscribes (./agent-core.ts).
 */
import type { Clock } from '../relay/clock.js'
import { TimeoutError } from '../relay/errors.js'

/** `p`, or TimeoutError after `ms` (no deadline if Infinity), or the signal's reason. */
export async function within<T> (clock: Clock, p: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  let timer: unknown
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        if (ms !== Infinity) timer = clock.setTimeout(() => { reject(new TimeoutError(`${what} timed out after ${ms} ms`)) }, ms)
        if (signal != null) {
          if (signal.aborted) reject(signal.reason as Error)
          onAbort = () => { reject(signal.reason as Error) }
          signal.addEventListener('abort', onAbort, { once: true })
        }
      })
    ])
  } finally {
    if (timer != null) clock.clearTimeout(timer)
    if (onAbort != null) signal?.removeEventListener('abort', onAbort)
  }
}
