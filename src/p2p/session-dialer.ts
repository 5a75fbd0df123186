/**
 * The agent's `SessionDialer` over libp2p: dial the relay (Noise proves its peer id),
 * open the session stream, and hand it over as frames. Every failure is one typed error
 * (./dial-error.ts).
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { toMultiaddr } from '../names/address.js'
import { UnavailableError } from '../relay/errors.js'
import type { SessionDialer } from '../wire/frame-transport.js'
import { dialError, relayLabel } from './dial-error.js'
import { libp2pFrames } from './frame-stream.js'

export function libp2pSessionDialer (node: Libp2p): SessionDialer {
  return async (relay, protocol, { signal, timeoutMs }) => {
    let stream: Stream
    let remotePeer: string
    let connection: Connection
    try {
      // No /p2p/ part is fine: Noise then tells who the relay is, and the handshake checks
      // that the Challenge names the same peer.
      connection = await node.dial(multiaddr(toMultiaddr(relay)), { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) })
      remotePeer = connection.remotePeer.toString()
      stream = await connection.newStream(protocol, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) })
    } catch (err) {
      if ((err as Error).name === 'InvalidAddressError') throw err
      throw dialError(err, relay, protocol, timeoutMs)
    }
    // A relay over its limit of session streams (or stopping) resets the stream as soon as
    // it is negotiated; libp2p 3 then hands back a stream that is already reset.
    if (stream.status !== 'open') {
      throw new UnavailableError(`the relay at ${relayLabel(relay)} refused the session stream (it was ${stream.status} at once): it may have too many sessions open on this connection, or be shutting down`)
    }
    return {
      open: libp2pFrames(stream),
      remotePeer,
      abortConnection: (err) => { connection.abort(err) },
      onRemoteClose: (f) => {
        if (stream.remoteWriteStatus !== 'writable') f()
        else stream.addEventListener('remoteCloseWrite', f, { once: true })
      }
    }
  }
}
