/**
 * One relay-to-relay link: runs `peerLinkMachine`. Each relay writes on the link
 * stream it opened itself and reads the one its peer opened, so every stream has one
 * writer and one reader and nobody has to agree who dialled whom.
 *
 * With trust on, the first frame on our stream is our hello (our relay credential), and
 * the peer's stream passes through an `InboundGate` (../node/link-admission.ts): none of
 * its frames reaches the relay core, and the link is not up, before its hello passed.
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
import { LINK_PROTOCOL, MAX_ANNOUNCEMENTS_PER_FRAME, MAX_BATCH_BYTES } from '../wire/constants.js'
import { announcementBytes } from '../relay/route-pieces.js'
import { ErrorCode } from '../wire/errors.js'
import { InboundGate } from './link-admission.js'
import type { LinkAdmission } from './link-admission.js'
import type { LinkFrame, RouteAnnouncement, Routed } from '../wire/envelope.pb.js'
import type { RelayCore } from '../relay/relay-core.js'
import type { LinkKind } from '../relay/policy.js'
import type { Clock } from '../relay/clock.js'
import type { RelayLibp2p } from '../p2p/libp2p-node.js'
import type { Logger } from '../logger.js'

type Item = { announcement: RouteAnnouncement } | { routed: Routed }

/** Frames held for a link whose stream is not open yet. */
const EARLY_LIMIT = 4096

/** Revocations per frame (the .proto allows 4096). */
const REVOCATIONS_PER_FRAME = 1024

/**
 * What an announcement counts for in a batch: its encoded size, and never less than a
 * batch's share per announcement, so no batch packs more announcements than a link frame
 * may carry (a neighbour would cut the link on decode).
 */
const announcementSize = (ann: RouteAnnouncement): number => Math.max(announcementBytes(ann), Math.ceil(MAX_BATCH_BYTES / MAX_ANNOUNCEMENTS_PER_FRAME) + 1)

export interface PeerLinkTimings { probeIntervalMs: number }

/** How many probes the link's loss figure is taken over. */
const PROBE_WINDOW = 20

export interface PeerLinkInit {
  node: RelayLibp2p
  peer: PeerId
  addrs: Multiaddr[]
  /** `mesh` (default) or `peering`: what the relay's policy exports and imports over it. */
  kind?: LinkKind
  core: RelayCore
  clock: Clock
  timings: PeerLinkTimings
  /** Who may link: the peer's hello is checked here before anything of the link flows. */
  admission: LinkAdmission
  /** Every revocation this relay holds, sent to the peer when the link comes up. */
  revocations?: () => string[]
  /** Revocations the (admitted) peer passed on. */
  onRevocations?: (peer: string, revocations: string[]) => void
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
  /** The peer's streams to us, each read through its gate. */
  private readonly readers = new Map<FrameStream<LinkFrame, Item>, InboundGate>()
  /** Whether the peer refusing this relay was said at warn already. */
  private refusalSaid = false
  /** The round-trip time of the last answered probe (libp2p ping), ms. */
  rttMs?: number
  /** The outcomes of the last probes (true: answered), newest last. */
  private readonly probes: boolean[] = []

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
          try {
            this.rttMs = await init.node.services.ping.ping(init.peer, { signal: AbortSignal.any([signal, AbortSignal.timeout(init.timings.probeIntervalMs)]) })
            this.probed(true)
          } catch (err) {
            if (!signal.aborted) this.probed(false)
            throw err
          }
        })
      },
      actions: {
        linkUp: () => {
          init.log.info({ peer: this.peer, ...(this.failed > 0 ? { failedAttempts: this.failed } : {}) }, 'link up')
          this.failed = 0
          this.refusalSaid = false
          init.core.linkUp(this.peer, init.kind); init.onUp?.(this.peer)
          this.sendRevocations(init.revocations?.() ?? [])
        },
        linkDown: ({ event }) => {
          init.log.info({ peer: this.peer, reason: downReason(event.type) }, 'link down')
          // Closed by this relay (stopping, or the operator dropping it) is no flap.
          if (event.type !== 'link.close') init.core.counters.linkFlapped(this.peer)
          init.core.linkDown(this.peer)
        },
        closeLink: () => { const out = this.out; this.out = undefined; if (out != null) void out.close() },
        admissionFailed: (_, { reason }) => {
          // A refusal was logged where it was decided; a stream closed before admission is
          // most often the peer refusing this relay's credential.
          if (reason === 'refused') return
          const fields = { peer: this.peer, reason: reason === 'lost' ? 'the relay closed the link before it admitted this relay' : 'the relay showed no credential in time' }
          if (this.failed++ === 0) init.log.warn(fields, 'link not admitted; retrying with backoff (is this relay\'s credential of the same mesh?)')
          else init.log.debug(fields, 'link still not admitted')
        }
      }
    })
    const sink = init.onTransition
    this.actor = createActor(machine, {
      input: { peer: this.peer, dialable: true, needsAdmission: !init.admission.open },
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
    if (signal.aborted) { stream.abort(new Error('link attempt given up')); throw new Error('link attempt given up') }
    this.out = new FrameStream<LinkFrame, Item>({
      stream,
      decode: decodeLinkFrame,
      encodeBatch: (items) => encodeLinkFrame({
        announcements: items.flatMap(i => 'announcement' in i ? [i.announcement] : []),
        routed: items.flatMap(i => 'routed' in i ? [i.routed] : [])
      }),
      sizeOf: (i) => 'routed' in i ? (i.routed.envelope?.payload.byteLength ?? 0) + (i.routed.fetched?.messages.reduce((n, m) => n + m.payload.byteLength + 128, 0) ?? 0) + 200 : announcementSize(i.announcement),
      onFrame: () => {},
      onInvalid: (err) => { this.init.log('link %s wrote on our stream: %s', this.peer, err.message) },
      onClose: () => { if (this.out?.stream === stream) { this.out = undefined; this.tell({ type: 'link.lost' }) } }
    })
    // The hello goes first: the peer reads nothing else of ours before it.
    const hello = this.init.admission.hello
    if (hello != null) this.out.sendFrame(encodeLinkFrame({ hello }))
    for (const item of this.early.splice(0)) this.out.enqueue(item)
  }

  /** The peer opened its link stream to us: read it, through the admission gate. */
  inbound (stream: Stream): void {
    const gate: InboundGate = new InboundGate({
      peer: this.peer,
      admission: this.init.admission,
      deliver: (frame) => {
        this.init.core.onLinkFrame(this.peer, frame)
        if (frame.revocations.length > 0) this.init.onRevocations?.(this.peer, frame.revocations)
      },
      admitted: () => { this.tell({ type: 'link.admitted' }) },
      refused: (err) => { this.refuse(err) },
      refusedBy: (reason) => {
        const fields = { peer: this.peer, reason }
        if (!this.refusalSaid) { this.refusalSaid = true; this.init.log.warn(fields, 'the relay refused this relay\'s credential; retrying with backoff') } else this.init.log.debug(fields, 'refused again by the relay')
        reader.abort(new Error(`refused by relay ${this.peer}: ${reason}`))
        this.tell({ type: 'link.refused' })
      },
      pause: () => { reader.pauseReading() },
      resume: () => { reader.resumeReading() }
    })
    const reader: FrameStream<LinkFrame, Item> = new FrameStream<LinkFrame, Item>({
      stream,
      decode: decodeLinkFrame,
      encodeBatch: () => new Uint8Array(0),
      sizeOf: () => 0,
      onFrame: (frame) => { gate.onFrame(frame) },
      onInvalid: (err) => {
        // A relay that breaks the link protocol is cut off; its routes go with it.
        this.init.log('link %s sent a bad frame, cutting it: %s', this.peer, err.message)
        gate.close()
        reader.abort(err)
        this.tell({ type: 'link.lost' })
      },
      onClose: () => { gate.close(); this.readers.delete(reader) }
    })
    this.readers.set(reader, gate)
    this.tell({ type: 'link.inbound' })
  }

  /**
   * Refuses the peer (its credential failed, now or on a recheck): tells it why on our
   * stream (a fatal fault, then our stream closes), aborts its streams to us with `err`,
   * and the link goes to backoff.
   */
  refuse (err: Error): void {
    this.out?.sendFrame(encodeLinkFrame({ fault: { code: ErrorCode.AUTH_FAILED, reason: err.message, fatal: true } }))
    for (const [reader, gate] of [...this.readers]) { gate.close(); reader.abort(err) }
    this.readers.clear()
    this.tell({ type: 'link.refused' })
  }

  /** Passes revocations on to the peer (when the link is open; on link up it gets all of them). */
  sendRevocations (revocations: string[]): void {
    const out = this.out
    if (out == null) return
    for (let i = 0; i < revocations.length; i += REVOCATIONS_PER_FRAME) out.sendFrame(encodeLinkFrame({ revocations: revocations.slice(i, i + REVOCATIONS_PER_FRAME) }))
  }

  sendAnnouncement (announcement: RouteAnnouncement): void { this.send({ announcement }) }
  sendRouted (routed: Routed): void { this.send({ routed }) }

  private send (item: Item): void {
    if (this.out != null) { this.out.enqueue(item); return }
    if (this.early.length < EARLY_LIMIT) this.early.push(item)
    else this.init.log('link %s not open yet: dropped a frame (%d waiting)', this.peer, EARLY_LIMIT)
  }

  /** Bytes queued for the peer on our stream to it. */
  private probed (answered: boolean): void {
    this.probes.push(answered)
    if (this.probes.length > PROBE_WINDOW) this.probes.shift()
  }

  /** The fraction of the last probes that went unanswered (0..1; undefined before the first). */
  get loss (): number | undefined {
    return this.probes.length === 0 ? undefined : this.probes.filter(a => !a).length / this.probes.length
  }

  get queuedBytes (): number { return this.out?.queuedBytes ?? 0 }

  /** Undefined while the link takes more; else a promise of its draining. */
  /** More addresses to dial the peer at (it moved, or the controller knows where it is now). */
  addAddrs (addrs: Multiaddr[]): void {
    const known = new Set(this.init.addrs.map(String))
    for (const a of addrs) if (!known.has(String(a))) this.init.addrs.push(a)
  }

  writable (): Promise<void> | undefined {
    const out = this.out
    return out != null && out.backlogged ? out.whenWritable() : undefined
  }

  async close (): Promise<void> {
    this.early = []
    // The peer's streams to us end too: left open, the peer would go on taking its link
    // for up, and never show a link made again later its hello.
    for (const [reader, gate] of [...this.readers]) { gate.close(); reader.abort(new Error('link closed by this relay')) }
    this.readers.clear()
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
  if (event === 'link.refused') return 'credential refused (revoked or expired), or refused by the peer'
  if (event.startsWith('xstate.error.actor')) return 'peer stopped answering pings'
  return event
}

/** An error's message without stack traces; with the system code (ECONNREFUSED) when it has one. */
function firstLine (err: Error): string {
  const code = (err as { code?: unknown }).code
  const message = (err.message ?? String(err)).split('\n')[0] ?? ''
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
}
