/**
 * One relay-to-relay link: runs `peerLinkMachine`. Each relay writes on the link
 * stream it opened itself and reads the one its peer opened, so every stream has one
 * writer and one reader and nobody has to agree who dialled whom.
 */
import { createActor, fromPromise } from 'xstate'
import { stateName, transitionInspector } from '../machines/inspection.js'
import type { Actor } from 'xstate'
import type { PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { peerLinkMachine } from '../machines/peer-link.machine.js'
import type { PeerLinkEvent } from '../machines/peer-link.machine.js'
import { FrameStream } from '../p2p/frame-stream.js'
import { decodeLinkFrame, encodeLinkFrame } from '../wire/codec.js'
import { LINK_PROTOCOL } from '../wire/constants.js'
import type { LinkFrame, RouteAnnouncement, Routed } from '../wire/envelope.pb.js'
import type { RelayCore } from '../relay/relay-core.js'
import type { LinkKind } from '../relay/policy.js'
import type { Clock } from '../relay/clock.js'
import type { RelayLibp2p } from '../p2p/libp2p-node.js'
import type { Logger } from '../logger.js'

type Item = { announcement: RouteAnnouncement } | { routed: Routed }

/** Frames held for a link whose stream is not open yet. */
const EARLY_LIMIT = 4096

export interface PeerLinkTimings { probeIntervalMs: number }

export interface PeerLinkInit {
  node: RelayLibp2p
  peer: PeerId
  addrs: Multiaddr[]
  /** `mesh` (default) or `peering`: what the relay's policy exports and imports over it. */
  kind?: LinkKind
  core: RelayCore
  clock: Clock
  timings: PeerLinkTimings
  onUp?: (peer: string) => void
  onTransition?: (actor: string, from: string, to: string, event: string) => void
  log: Logger
}

export class PeerLinkActor {
  readonly peer: string
  private readonly init: PeerLinkInit
  private readonly actor: Actor<typeof peerLinkMachine>
  private out?: FrameStream<LinkFrame, Item>
  /**
   * What was sent before our stream to the peer opened: the peer's stream to us can bring
   * routes (and so traffic for it) before ours is up. Bounded; flushed when it opens.
   */
  private early: Item[] = []
  /** Failed attempts to open the link since it was last up (the first is logged, the rest at debug). */
  private failed = 0

  constructor (init: PeerLinkInit) {
    this.init = init
    this.peer = init.peer.toString()
    const machine = peerLinkMachine.provide({
      delays: { PROBE_INTERVAL: init.timings.probeIntervalMs },
      actors: {
        openLink: fromPromise(async ({ signal }) => {
          try {
            await this.open(signal)
          } catch (err) {
            if (!signal.aborted) this.unreachable(err as Error)
            throw err
          }
        }),
        probe: fromPromise(async ({ signal }) => {
          await init.node.services.ping.ping(init.peer, { signal: AbortSignal.any([signal, AbortSignal.timeout(init.timings.probeIntervalMs)]) })
        })
      },
      actions: {
        linkUp: () => {
          init.log.info({ peer: this.peer, ...(this.failed > 0 ? { failedAttempts: this.failed } : {}) }, 'link up')
          this.failed = 0
          init.core.linkUp(this.peer, init.kind); init.onUp?.(this.peer)
        },
        linkDown: ({ event }) => {
          init.log.info({ peer: this.peer, reason: downReason(event.type) }, 'link down')
          init.core.linkDown(this.peer)
        },
        closeLink: () => { const out = this.out; this.out = undefined; if (out != null) void out.close() }
      }
    })
    const sink = init.onTransition
    this.actor = createActor(machine, {
      input: { peer: this.peer, dialable: true },
      clock: init.clock as never,
      inspect: transitionInspector(sink == null ? undefined : (from, to, event) => { sink(`link:${this.peer}`, from, to, event) })
    })
    this.actor.start()
  }

  /** Sends an event unless the machine has already finished. */
  private tell (event: PeerLinkEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event)
  }

  get state (): string { return stateName(this.actor.getSnapshot().value) }

  /** The link could not be opened: said once at warn (the machine keeps retrying), then at debug. */
  private unreachable (err: Error): void {
    const addrs = this.init.addrs.map(String)
    const fields = { peer: this.peer, ...(addrs.length > 0 ? { addrs } : {}), error: firstLine(err), attempt: ++this.failed }
    if (this.failed === 1) this.init.log.warn(fields, 'relay unreachable; retrying with backoff (up to 10 s apart) until it answers')
    else this.init.log.debug(fields, 'relay still unreachable')
  }

  private async open (signal: AbortSignal): Promise<void> {
    const target = this.init.node.getConnections(this.init.peer).length > 0 || this.init.addrs.length === 0 ? this.init.peer : this.init.addrs
    const stream = await this.init.node.dialProtocol(target, LINK_PROTOCOL, { signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]) })
    this.out = new FrameStream<LinkFrame, Item>({
      stream,
      decode: decodeLinkFrame,
      encodeBatch: (items) => encodeLinkFrame({
        announcements: items.flatMap(i => 'announcement' in i ? [i.announcement] : []),
        routed: items.flatMap(i => 'routed' in i ? [i.routed] : [])
      }),
      sizeOf: (i) => 'routed' in i ? (i.routed.envelope?.payload.byteLength ?? 0) + (i.routed.fetched?.messages.reduce((n, m) => n + m.payload.byteLength + 128, 0) ?? 0) + 200 : 64 + i.announcement.names.length * 64,
      onFrame: () => {},
      onInvalid: (err) => { this.init.log('link %s wrote on our stream: %s', this.peer, err.message) },
      onClose: () => { if (this.out?.stream === stream) { this.out = undefined; this.tell({ type: 'link.lost' }) } }
    })
    for (const item of this.early.splice(0)) this.out.enqueue(item)
  }

  /** The peer opened its link stream to us: read it. */
  inbound (stream: Stream): void {
    const reader = new FrameStream<LinkFrame, Item>({
      stream,
      decode: decodeLinkFrame,
      encodeBatch: () => new Uint8Array(0),
      sizeOf: () => 0,
      onFrame: (frame) => { this.init.core.onLinkFrame(this.peer, frame) },
      onInvalid: (err) => {
        // A relay that breaks the link protocol is cut off; its routes go with it.
        this.init.log('link %s sent a bad frame, cutting it: %s', this.peer, err.message)
        reader.abort(err)
        this.tell({ type: 'link.lost' })
      },
      onClose: () => {}
    })
    this.tell({ type: 'link.inbound' })
  }

  sendAnnouncement (announcement: RouteAnnouncement): void { this.send({ announcement }) }
  sendRouted (routed: Routed): void { this.send({ routed }) }

  private send (item: Item): void {
    if (this.out != null) { this.out.enqueue(item); return }
    if (this.early.length < EARLY_LIMIT) this.early.push(item)
    else this.init.log('link %s not open yet: dropped a frame (%d waiting)', this.peer, EARLY_LIMIT)
  }

  /** Undefined while the link takes more; else a promise of its draining. */
  writable (): Promise<void> | undefined {
    const out = this.out
    return out != null && out.backlogged ? out.whenWritable() : undefined
  }

  async close (): Promise<void> {
    this.early = []
    const out = this.out
    this.tell({ type: 'link.close' })
    this.actor.stop()
    if (out != null) await out.close()
  }
}

/** Why a link went down, from the event that took the machine out of `connected`. */
function downReason (event: string): string {
  if (event === 'link.lost') return 'stream closed'
  if (event === 'link.close') return 'relay stopping'
  if (event.startsWith('xstate.error.actor')) return 'peer stopped answering pings'
  return event
}

/** An error's message without stack traces; with the system code (ECONNREFUSED) when it has one. */
function firstLine (err: Error): string {
  const code = (err as { code?: unknown }).code
  const message = (err.message ?? String(err)).split('\n')[0] ?? ''
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
}
