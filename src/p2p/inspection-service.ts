/**
 * Live inspection of a relay over libp2p (`/slim/inspect/1.0.0`), served only when the
 * relay is started with inspection on. Each inspector gets the current state of every
 * actor, then every transition as it happens: length-prefixed JSON, one event a frame.
 * An inspector that stops reading is cut off (bounded queue), never slowing the relay.
 */
import type { Stream } from '@libp2p/interface'
import { FrameStream } from './frame-stream.js'
import { INSPECT_PROTOCOL } from '../wire/constants.js'
import type { RelayLibp2p } from './libp2p-node.js'

export interface TransitionEvent { actor: string, from: string, to: string, event: string, at: number }

const enc = new TextEncoder()

export class InspectionService {
  private readonly inspectors = new Set<FrameStream<unknown, TransitionEvent>>()
  private readonly snapshot: () => TransitionEvent[]

  constructor (snapshot: () => TransitionEvent[]) {
    this.snapshot = snapshot
  }

  async start (node: RelayLibp2p): Promise<void> {
    await node.handle(INSPECT_PROTOCOL, (stream) => { this.add(stream) }, { maxInboundStreams: 16 })
  }

  private add (stream: Stream): void {
    const fs: FrameStream<unknown, TransitionEvent> = new FrameStream<unknown, TransitionEvent>({
      stream,
      decode: () => undefined,
      encodeBatch: (items) => enc.encode(items.map(i => JSON.stringify(i)).join('\n')),
      sizeOf: () => 128,
      onFrame: () => {},
      onInvalid: (err) => { fs.abort(err) },
      onClose: () => { this.inspectors.delete(fs) },
      maxQueuedBytes: 1024 * 1024
    })
    this.inspectors.add(fs)
    for (const e of this.snapshot()) fs.enqueue(e)
  }

  publish (e: TransitionEvent): void {
    for (const fs of this.inspectors) fs.enqueue(e)
  }

  async stop (): Promise<void> {
    await Promise.all([...this.inspectors].map(async fs => { await fs.close() }))
  }
}
