/**
 * A libp2p 3 message stream carrying length-prefixed frames, event driven (no async
 * iteration per frame), with a bounded write queue that packs queued items into one
 * frame whenever a backlog exists.
 *
 * Writes never block the caller. On a stream that has been quiet (no flush for
 * `BUSY_WINDOW_MS`), a message goes out at the next microtask checkpoint: a lone message
 * waits for nothing. On a busy stream, what is queued waits for `setImmediate`, so a burst
 * (promise after promise resolving in one turn) goes out packed in one frame. While the
 * transport asks for a drain, items accumulate and go out packed when it drains. If what is queued passes
 * `maxQueuedBytes`, the reader on the other end is too slow: the stream is aborted with
 * `SlowConsumerError` rather than letting memory grow (NATS cuts slow consumers too).
 */
import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_BATCH_BYTES, MAX_FRAME_BYTES, MAX_MESSAGES_PER_FRAME, MAX_WRITE_BUFFER_BYTES } from '../wire/constants.js'
import { FrameTooLargeError, MalformedFrameError, SlowConsumerError } from '../wire/errors.js'
import type { FrameCodec, FrameHandlers, FrameTransport, OpenFrames } from '../wire/frame-transport.js'

export interface FrameStreamInit<In, Item> extends FrameCodec<In, Item>, FrameHandlers<In> {
  stream: Stream
  maxFrameBytes?: number
  maxQueuedBytes?: number
}

/** The `OpenFrames` of a libp2p stream: what the session actors are given for it. */
export function libp2pFrames (stream: Stream): OpenFrames {
  return (codec, handlers) => new FrameStream({ stream, ...codec, ...handlers })
}

/** Past this much queued, a writer counts as backed up and its senders should wait. */
const HIGH_WATER_BYTES = 1024 * 1024

/**
 * At most this much is encoded and written in one go; the rest goes on after other
 * events had their turn, so one backed-up reader cannot hold the event loop.
 */
const MAX_FLUSH_BYTES = 512 * 1024

/** A stream that flushed this recently is busy: batch instead of flushing at once. */
const BUSY_WINDOW_MS = 0.2

type Part<Item> = { frame: Uint8Array } | { item: Item, size: number }

export class FrameStream<In, Item> implements FrameTransport<Item> {
  readonly stream: Stream
  private readonly init: FrameStreamInit<In, Item>
  private readonly decoder: LengthPrefixedDecoder
  private readonly maxFrameBytes: number
  private readonly maxQueuedBytes: number
  /** Parts waiting to be written, from `head` on (an index, not shift(): O(1) per part under backlog). */
  private queue: Array<Part<Item>> = []
  private head = 0
  private queued = 0
  private flushScheduled = false
  /** When the last flush ran (performance.now()). */
  private lastFlush = -Infinity
  private closed = false
  private writableWaiters: Array<() => void> = []

  constructor (init: FrameStreamInit<In, Item>) {
    this.init = init
    this.stream = init.stream
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES
    this.maxQueuedBytes = init.maxQueuedBytes ?? MAX_WRITE_BUFFER_BYTES
    this.decoder = new LengthPrefixedDecoder({ maxDataLength: this.maxFrameBytes, maxBufferSize: this.maxFrameBytes * 2 })
    this.stream.addEventListener('message', (evt) => { this.onData(evt.data) })
    this.stream.addEventListener('drain', () => { this.flush() })
    this.stream.addEventListener('close', (evt) => {
      this.closed = true
      for (const w of this.writableWaiters.splice(0)) w()
      this.queue = []
      this.head = 0
      this.queued = 0
      this.init.onClose(evt.error)
    })
  }

  get isOpen (): boolean { return !this.closed && this.stream.status === 'open' }

  /** Bytes waiting: queued here (items by their estimated size) and in the stream's write buffer. */
  get queuedBytes (): number { return this.closed ? 0 : this.queued + this.stream.writeBufferLength }

  /** True while more than the high-water mark waits here or the transport asks for a drain. */
  get backlogged (): boolean {
    return !this.closed && (this.queued > HIGH_WATER_BYTES || this.stream.writableNeedsDrain)
  }

  /** Resolves once this writer is below its high-water mark again (or closed). */
  async whenWritable (): Promise<void> {
    if (!this.backlogged) return
    await new Promise<void>(resolve => { this.writableWaiters.push(resolve) })
  }

  private wakeWriters (): void {
    if (this.writableWaiters.length === 0 || this.backlogged) return
    for (const w of this.writableWaiters.splice(0)) w()
  }

  private onData (data: Uint8Array | Uint8ArrayList): void {
    if (this.closed) return
    let frames: Uint8ArrayList[]
    try {
      frames = [...this.decoder.decode(data)]
    } catch (err) {
      const e = (err as Error).name === 'InvalidMessageLengthError'
        ? new FrameTooLargeError(`a frame is over the limit of ${this.maxFrameBytes} bytes`, { cause: err })
        : new MalformedFrameError(`bad length prefix: ${(err as Error).message}`, { cause: err })
      this.init.onInvalid(e)
      return
    }
    for (const bytes of frames) {
      if (this.closed) return
      let frame: In
      try {
        frame = this.init.decode(bytes)
      } catch (err) {
        this.init.onInvalid(err as Error)
        return
      }
      this.init.onFrame(frame)
    }
  }

  /** Queues one frame, sent in order with the items. */
  sendFrame (frame: Uint8Array): void {
    this.push({ frame }, frame.byteLength)
  }

  /** Queues one item; items queued together go out in one frame. */
  enqueue (item: Item): void {
    const size = this.init.sizeOf(item)
    this.push({ item, size }, size)
  }

  private push (part: Part<Item>, size: number): void {
    if (this.closed) return
    this.queue.push(part)
    this.queued += size
    if (this.queued + this.stream.writeBufferLength > this.maxQueuedBytes) {
      this.abort(new SlowConsumerError(`the peer is not reading: ${this.queued} bytes queued, over ${this.maxQueuedBytes}`))
      return
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true
      if (performance.now() - this.lastFlush < BUSY_WINDOW_MS) {
        setImmediate(() => { this.flushScheduled = false; this.flush() })
      } else {
        queueMicrotask(() => { this.flushScheduled = false; this.flush() })
      }
    }
  }

  private flush (): void {
    this.lastFlush = performance.now()
    const q = this.queue
    let written = 0
    while (!this.closed && this.head < q.length && !this.stream.writableNeedsDrain) {
      if (written >= MAX_FLUSH_BYTES) {
        if (!this.flushScheduled) {
          this.flushScheduled = true
          setImmediate(() => { this.flushScheduled = false; this.flush() })
        }
        break
      }
      const first = q[this.head] as Part<Item>
      let bytes: Uint8Array
      if ('frame' in first) {
        this.head++
        this.queued -= first.frame.byteLength
        bytes = first.frame
      } else {
        const items: Item[] = []
        let size = 0
        while (this.head < q.length && items.length < MAX_MESSAGES_PER_FRAME) {
          const next = q[this.head] as Part<Item>
          if ('frame' in next) break
          if (items.length > 0 && size + next.size > MAX_BATCH_BYTES) break
          this.head++
          items.push(next.item)
          size += next.size
        }
        this.queued -= size
        bytes = this.init.encodeBatch(items)
      }
      written += bytes.byteLength
      try {
        this.stream.send(new Uint8ArrayList(varint.encode(bytes.byteLength), bytes))
      } catch (err) {
        this.abort(err as Error)
        return
      }
    }
    if (this.head === q.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head)
      this.head = 0
    }
    this.wakeWriters()
  }

  /** Sends what is queued, then closes our side. */
  async close (): Promise<void> {
    this.flush()
    if (this.closed) return
    try {
      await this.stream.close({ signal: AbortSignal.timeout(2000) })
    } catch (err) {
      this.abort(err as Error)
    }
  }

  pauseReading (): void { this.stream.pause() }
  resumeReading (): void { if (this.stream.status === 'open') this.stream.resume() }

  abort (err: Error): void {
    if (this.closed) return
    this.closed = true
    for (const w of this.writableWaiters.splice(0)) w()
    this.queue = []
    this.head = 0
    this.queued = 0
    this.stream.abort(err)
  }
}
