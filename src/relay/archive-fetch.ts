/**
 * The client side of fetching archived messages from another relay (gap fills, replays
 * from the sequencer, head checks): one request id per fetch, answered by a `Fetched`
 * routed back, or failed with `TimeoutError` after `timeoutMs`.
 */
import type { FetchReply, Routed } from '../wire/envelope.pb.js'
import type { Clock } from './clock.js'
import { TimeoutError } from './errors.js'

export type FetchRequest = NonNullable<Routed['fetch']>

/** A whole `FetchReply` from what an archive answered (every field it left out at its zero). */
export function fetchReply (name: string, requestId: number, r: Partial<FetchReply>): FetchReply {
  return { head: 0, messages: [], code: 0, reason: '', first: 0, ...r, name, requestId }
}

interface Pending { resolve: (r: FetchReply) => void, reject: (e: Error) => void, timer: unknown }

export interface ArchiveFetchesInit {
  clock: Clock
  /** How long a fetch may take (read at each fetch, so a new configuration applies). */
  timeoutMs: () => number
  /** Routes the request toward `relay`. */
  send: (relay: string, request: FetchRequest) => void
}

export class ArchiveFetches {
  private readonly init: ArchiveFetchesInit
  private readonly pending = new Map<number, Pending>()
  private nextRequestId = 1

  constructor (init: ArchiveFetchesInit) {
    this.init = init
  }

  /** Asks `relay` for messages of `name` from `fromSeq` (limit 0: only its head). */
  async request (relay: string, name: string, fromSeq: number, limit: number): Promise<FetchReply> {
    const requestId = this.nextRequestId++
    const timeoutMs = this.init.timeoutMs()
    return await new Promise<FetchReply>((resolve, reject) => {
      const timer = this.init.clock.setTimeout(() => {
        this.pending.delete(requestId)
        reject(new TimeoutError(`relay ${relay} did not answer a fetch of ${name} in ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(requestId, { resolve, reject, timer })
      this.init.send(relay, { requestId, name, fromSeq, limit })
    })
  }

  /** A reply arrived (one nobody waits for any more is dropped). */
  answered (reply: FetchReply): void {
    const p = this.pending.get(reply.requestId)
    if (p == null) return
    this.pending.delete(reply.requestId)
    this.init.clock.clearTimeout(p.timer)
    p.resolve(reply)
  }

  stop (): void {
    for (const p of this.pending.values()) { this.init.clock.clearTimeout(p.timer); p.reject(new TimeoutError('relay stopping')) }
    this.pending.clear()
  }
}
