/**
 * What the session and link actors need of a stream of frames, whatever carries it:
 * `FrameStream` (./p2p/frame-stream.ts) puts it on a libp2p stream over TCP or
 * WebSockets; another transport (a browser's WebSocket, an in-memory pair in a test)
 * implements the same interface and plugs in without touching the actors.
 *
 * A transport is opened with a codec (how frames are decoded and items packed) and
 * handlers (what to do with a frame, bad bytes, the end of the stream).
 */
import type { Uint8ArrayList } from 'uint8arraylist'

export interface FrameCodec<In, Item> {
  decode: (bytes: Uint8ArrayList) => In
  /** Packs queued items into one encoded frame. */
  encodeBatch: (items: Item[]) => Uint8Array
  /** Estimated encoded size of one item, to split batches below the batch limit. */
  sizeOf: (item: Item) => number
}

export interface FrameHandlers<In> {
  onFrame: (frame: In) => void
  /** Bad bytes from the peer (already a typed WireError). The stream is not yet closed. */
  onInvalid: (err: Error) => void
  onClose: (err?: Error) => void
}

export interface FrameTransport<Item> {
  readonly isOpen: boolean
  /** True while the writer is past its high-water mark: senders should wait. */
  readonly backlogged: boolean
  /** Bytes waiting to go out: queued here and in the transport's write buffer (estimated for items). */
  readonly queuedBytes: number
  /** Resolves once the writer is below its high-water mark again (or closed). */
  whenWritable: () => Promise<void>
  /** Queues one encoded frame, sent in order with the items. */
  sendFrame: (frame: Uint8Array) => void
  /** Queues one item; items queued together may go out packed in one frame. */
  enqueue: (item: Item) => void
  /** Sends what is queued, then closes this side. */
  close: () => Promise<void>
  /** Ends the stream at once, telling the peer why. */
  abort: (err: Error) => void
  /** Stops reading from the peer (its writes back up to it) until `resumeReading`. */
  pauseReading: () => void
  resumeReading: () => void
}

/** Opens frames on a stream that has been accepted or dialled (the stream is the transport's). */
export type OpenFrames = <In, Item>(codec: FrameCodec<In, Item>, handlers: FrameHandlers<In>) => FrameTransport<Item>

/** A session stream dialled to a relay, ready to be opened as frames. */
export interface DialedStream {
  open: OpenFrames
  /** The peer the transport proved (Noise for libp2p), if it proves one. */
  remotePeer?: string
  /** Calls `f` once the far end closes its side (at once if it already has). */
  onRemoteClose: (f: () => void) => void
  /** Closes the connection under the stream at once (a relay found hung: a redial must not reuse it). */
  abortConnection?: (err: Error) => void
}

/**
 * Dials `relay` (an address as the user gave it) and opens a stream of `protocol`;
 * rejects with a typed error that says what went wrong (see ./p2p/dial-error.ts).
 */
export type SessionDialer = (relay: string, protocol: string, opts: { signal: AbortSignal, timeoutMs: number }) => Promise<DialedStream>
