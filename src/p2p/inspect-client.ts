/** Follows a relay's actors live: `for await (const e of inspectRelay(addr)) ...`. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { createAgentLibp2p } from './libp2p-node.js'
import { INSPECT_PROTOCOL } from '../wire/constants.js'
import type { TransitionEvent } from './inspection-service.js'
import { UnavailableError } from '../relay/errors.js'
import { toMultiaddr } from '../names/address.js'
import { dialError } from './dial-error.js'

const dec = new TextDecoder()

/** `relay` is a multiaddr or `host:port` (InvalidAddressError otherwise). */
export async function * inspectRelay (relay: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<TransitionEvent> {
  const addr = multiaddr(toMultiaddr(relay))
  const node = await createAgentLibp2p(await generateKeyPair('Ed25519'))
  try {
    let stream
    try {
      stream = await node.dialProtocol(addr, INSPECT_PROTOCOL, { signal: options.signal })
    } catch (err) {
      if ((err as Error).name === 'UnsupportedProtocolError') {
        throw new UnavailableError(`relay ${relay} does not serve inspection; start it with --inspect`, { cause: err })
      }
      throw dialError(err, relay, INSPECT_PROTOCOL)
    }
    const decoder = new LengthPrefixedDecoder({ maxDataLength: 1024 * 1024 })
    const queue: TransitionEvent[] = []
    let wake: (() => void) | undefined
    let ended = false
    stream.addEventListener('message', (evt) => {
      for (const frame of decoder.decode(evt.data)) {
        for (const line of dec.decode(frame.subarray()).split('\n')) if (line !== '') queue.push(JSON.parse(line) as TransitionEvent)
      }
      wake?.()
    })
    stream.addEventListener('close', () => { ended = true; wake?.() })
    options.signal?.addEventListener('abort', () => { ended = true; wake?.() }, { once: true })
    while (true) {
      const e = queue.shift()
      if (e != null) { yield e; continue }
      if (ended) return
      await new Promise<void>(resolve => { wake = resolve })
      wake = undefined
    }
  } finally {
    await node.stop()
  }
}
