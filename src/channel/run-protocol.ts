/**
 * Runs one channel protocol actor (an invite, a leave) to its end: the channel ending
 * meanwhile reaches it as `channel.ended`, and the caller's signal as its cancel event.
 */
import { toPromise } from 'xstate'
import type { AnyActorRef } from 'xstate'
import { endedBy } from './status.js'
import type { ChannelStatus } from './status.js'

export interface ProtocolHost {
  onStatus: (listener: (s: ChannelStatus) => void) => () => void
}

export async function runProtocol (actor: AnyActorRef & { start: () => void, stop: () => void }, channel: ProtocolHost, cancelEvent: string, signal?: AbortSignal): Promise<void> {
  const offStatus = channel.onStatus(s => {
    const state = endedBy(s)
    if (state != null) actor.send({ type: 'channel.ended', state })
  })
  const cancel = (): void => { actor.send({ type: cancelEvent }) }
  signal?.addEventListener('abort', cancel, { once: true })
  try {
    actor.start()
    if (signal?.aborted === true) cancel()
    await toPromise(actor)
  } finally {
    signal?.removeEventListener('abort', cancel)
    offStatus()
    actor.stop()
  }
}
