/**
 * Live inspection of a relay over libp2p (`/slim/inspect/1.0.0`), served only when the
 * relay is started with inspection on. Each inspector gets the current state of every
 * actor, then every transition as it happens: length-prefixed JSON, one event a frame.
 * An inspector that stops reading is cut off (bounded queue), never slowing the relay.
 *
 * With trust on, an inspector's first frame is its credential, which must be an admin
 * credential (signed by the mesh authority) for the key the connection is secured by;
 * otherwise it gets one `{ "error", "check" }` frame and is cut.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { TrustAnchors } from '../trust/verifier.js'
import { CredentialError } from '../trust/errors.js'
import { FrameStream } from './frame-stream.js'
import { INSPECT_PROTOCOL } from '../wire/constants.js'
import type { RelayLibp2p } from './libp2p-node.js'

export interface TransitionEvent { actor: string, from: string, to: string, event: string, at: number }

const enc = new TextEncoder()
const dec = new TextDecoder()

export class InspectionService {
  private readonly inspectors = new Set<FrameStream<string, TransitionEvent | { error: string, check: string }>>()
  private readonly snapshot: () => TransitionEvent[]
  private readonly trust?: TrustAnchors

  constructor (snapshot: () => TransitionEvent[], trust?: TrustAnchors) {
    this.snapshot = snapshot
    this.trust = trust
  }

  async start (node: RelayLibp2p): Promise<void> {
    await node.handle(INSPECT_PROTOCOL, (stream, connection) => { this.add(stream, connection) }, { maxInboundStreams: 16 })
  }

  private add (stream: Stream, connection: Connection): void {
    let admitted = this.trust == null
    const fs: FrameStream<string, TransitionEvent | { error: string, check: string }> = new FrameStream<string, TransitionEvent | { error: string, check: string }>({
      stream,
      decode: (bytes) => dec.decode(bytes.subarray()),
      encodeBatch: (items) => enc.encode(items.map(i => JSON.stringify(i)).join('\n')),
      sizeOf: () => 128,
      onFrame: (jwt) => {
        if (admitted || this.trust == null) return
        clearTimeout(timer)
        const key = connection.remotePeer.publicKey
        this.trust.verifyAgent(jwt, { publicKey: key?.raw ?? new Uint8Array(0) }).then(cred => {
          if (!cred.admin) throw new CredentialError('not-admin', `${cred.name} holds no admin credential; inspection needs one signed by the mesh authority (slim-mesh credential issue --admin)`)
          admitted = true
          this.inspectors.add(fs)
          for (const e of this.snapshot()) fs.enqueue(e)
        }).catch((err: Error) => { refuse(err) })
      },
      onInvalid: (err) => { fs.abort(err) },
      onClose: () => { clearTimeout(timer); this.inspectors.delete(fs) },
      maxQueuedBytes: 1024 * 1024
    })
    const refuse = (err: Error): void => {
      fs.enqueue({ error: err.message, check: (err as CredentialError).check ?? 'missing' })
      void fs.close()
    }
    const timer = setTimeout(() => { if (!admitted) refuse(new CredentialError('missing', 'no credential within 5 s; inspection needs an admin credential')) }, 5000)
    if (admitted) {
      clearTimeout(timer)
      this.inspectors.add(fs)
      for (const e of this.snapshot()) fs.enqueue(e)
    }
  }

  publish (e: TransitionEvent): void {
    for (const fs of this.inspectors) fs.enqueue(e)
  }

  async stop (): Promise<void> {
    await Promise.all([...this.inspectors].map(async fs => { await fs.close() }))
  }
}
