/**
 * The agent's end of its session: runs `agentSessionMachine` with real effects (dial
 * the relay over libp2p, the signed handshake, keepalive pings) and hands what arrives
 * to the agent.
 */
import { randomBytes } from 'node:crypto'
import { createActor, fromPromise } from 'xstate'
import { stateName, transitionInspector } from '../machines/inspection.js'
import type { Actor } from 'xstate'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { agentSessionMachine } from '../machines/agent-session.machine.js'
import type { AgentSessionEvent } from '../machines/agent-session.machine.js'
import type { FrameTransport, SessionDialer } from '../wire/frame-transport.js'
import { decodeSessionFrame, encodeSessionFrame } from '../wire/codec.js'
import { SESSION_PROTOCOL, SESSION_VERSION } from '../wire/constants.js'
import { MessageType } from '../wire/envelope.pb.js'
import { newEnvelope } from '../wire/new-envelope.js'
import type { Ack, Envelope, SessionFrame, Subscribed } from '../wire/envelope.pb.js'
import { ErrorCode, errorCodeName } from '../wire/errors.js'
import { sessionProofPayload } from './session-proof.js'
import { AuthenticationError, SessionClosedError, SessionFaultError, TimeoutError, UnavailableError } from '../relay/errors.js'
import { relayLabel } from '../names/address.js'
import { InvalidNameError } from '../names/errors.js'
import { ProtocolViolationError } from '../wire/errors.js'

type Item = { message: Envelope }

export interface AgentStatus { type: string, relay?: string, error?: { name: string, message: string } }

export interface AgentSessionHandlers {
  onEnvelope: (env: Envelope) => void
  onAck: (ack: Ack) => void
  onSubscribed: (s: Subscribed) => void
  /** Signed revocations the relay passed on (channel members check each other against them). */
  onRevocations?: (revocations: string[]) => void
  /** Entered `active` (first time or again): renew subscriptions, resend what is unacked. */
  onActive: (resumed: boolean) => void
  onStatus: (status: AgentStatus) => void
  onTransition?: (actor: string, from: string, to: string, event: string) => void
}

export interface AgentSessionInit {
  /** Dials a relay and opens the session stream (`libp2pSessionDialer(node)` over libp2p). */
  dial: SessionDialer
  privateKey: PrivateKey
  name: string
  /** The credential to present in Hello (asked at every handshake: it may be renewed). */
  credential?: () => Promise<string>
  /**
   * The agent signs itself a fresh credential at each handshake (an issuer's credentials):
   * a session cut because its credential expired is then reconnected, not ended.
   */
  renewable?: boolean
  relays: string[]
  keepaliveMs: number
  handshakeTimeoutMs: number
  handlers: AgentSessionHandlers
}

export class AgentSessionActor {
  private readonly init: AgentSessionInit
  private readonly actor: Actor<typeof agentSessionMachine>
  private frames?: FrameTransport<Item>
  private waiter?: { resolve: (f: SessionFrame) => void, reject: (e: Error) => void }
  private relay?: string
  /** The peer id Noise proved for the current connection. */
  private remotePeer?: string
  /** Why the current session stream ended, once it has. */
  private ended?: Error
  private established = false
  /** The handshake finished on the current stream (true from the entry of `active`). */
  private up = false
  /** The machine asked to hear of the next frame from the relay (`watchTraffic`): one event per keepalive tick, not one per frame. */
  private watching = false
  /** Closes the libp2p connection the current stream runs on. */
  private abortConnection?: (err: Error) => void
  readonly done: Promise<void>

  constructor (init: AgentSessionInit) {
    this.init = init
    const machine = agentSessionMachine.provide({
      delays: { KEEPALIVE_INTERVAL: init.keepaliveMs },
      actors: {
        connect: fromPromise<void, { relay: string }>(async ({ input, signal }) => { await this.connect(input.relay, signal) }),
        handshake: fromPromise(async ({ signal }) => { await this.handshake(signal) }),
        sendClose: fromPromise(async () => {
          this.frames?.sendFrame(encodeSessionFrame({ close: { reason: 'agent closing' } }))
          await this.frames?.close()
        })
      },
      actions: {
        watchTraffic: () => { this.watching = true },
        sendPing: () => { this.send(pingEnvelope()) },
        abandonConnection: () => { this.abortConnection?.(new TimeoutError(`relay ${this.relay ?? ''} stopped answering`)) },
        resumeSession: () => { init.handlers.onActive(this.established); this.established = true },
        dropConnection: () => {
          this.up = false
          const f = this.frames
          this.frames = undefined
          f?.abort(new SessionClosedError('session dropped'))
          this.waiter?.reject(new SessionClosedError('session dropped'))
        },
        notifyStatus: ({ context }, p) => { init.handlers.onStatus({ type: p.type, relay: this.relay, error: context.error }) }
      }
    })
    const sink = init.handlers.onTransition
    this.actor = createActor(machine, { input: { relays: init.relays }, inspect: transitionInspector(sink == null ? undefined : (from, to, event) => { sink('session', from, to, event) }) })
    this.done = new Promise(resolve => {
      this.actor.subscribe({
        next: snap => {
          if (snap.status === 'done') resolve()
        },
        complete: () => { resolve() }
      })
    })
    this.actor.start()
  }

  /** Sends an event unless the machine has already finished. */
  private tell (event: AgentSessionEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event)
  }

  /** The top-level state: connecting, handshaking, active, reconnecting, closing, closed. */
  get state (): string {
    return stateName(this.actor.getSnapshot().value).split('.')[0] ?? ''
  }

  get error (): { name: string, message: string } | undefined { return this.actor.getSnapshot().context.error }
  get currentRelay (): string | undefined { return this.relay }
  get isActive (): boolean { return this.state === 'active' }

  private async connect (relay: string, signal: AbortSignal): Promise<void> {
    this.relay = relay
    this.remotePeer = undefined
    this.ended = undefined
    const where = relayLabel(relay)
    const dialed = await this.init.dial(relay, SESSION_PROTOCOL, { signal, timeoutMs: this.init.handshakeTimeoutMs })
    this.remotePeer = dialed.remotePeer
    this.abortConnection = dialed.abortConnection
    const frames: FrameTransport<Item> = dialed.open<SessionFrame, Item>({
      decode: decodeSessionFrame,
      encodeBatch: (items) => encodeSessionFrame({ messages: items.map(i => i.message) }),
      sizeOf: (i) => i.message.payload.byteLength + 160
    }, {
      onFrame: (f) => { this.onFrame(f) },
      onInvalid: (err) => {
        frames.abort(err)
        this.tell({ type: 'session.faulted', fatal: false, error: { name: err.name, message: err.message } })
      },
      onClose: (err) => {
        if (this.frames !== frames) return
        const ended = this.up
          ? new SessionClosedError(`the relay closed the session${err != null ? `: ${err.message}` : ''}`, { cause: err })
          : new UnavailableError(`the relay at ${where} ended the session before the handshake finished${err != null ? ` (${err.message})` : ''}; it may be full or shutting down`, { cause: err })
        this.ended = ended
        this.waiter?.reject(ended)
        this.tell({ type: 'stream.closed' })
      }
    })
    this.frames = frames
    // A relay that closes its side before the handshake is done will never answer it.
    dialed.onRemoteClose(() => { if (!this.up && this.frames === frames) frames.abort(new SessionClosedError('it closed its end of the stream')) })
  }

  private async nextFrame (signal: AbortSignal): Promise<SessionFrame> {
    return await new Promise<SessionFrame>((resolve, reject) => {
      if (this.ended != null) { reject(this.ended); return }
      const timer = setTimeout(() => { reject(new TimeoutError(`no answer from relay ${this.relay ?? ''} in ${this.init.handshakeTimeoutMs} ms`)) }, this.init.handshakeTimeoutMs)
      const done = (): void => { clearTimeout(timer); this.waiter = undefined }
      this.waiter = { resolve: (f) => { done(); resolve(f) }, reject: (e) => { done(); reject(e) } }
      signal.addEventListener('abort', () => { this.waiter?.reject(new SessionClosedError('aborted')) }, { once: true })
    })
  }

  private async handshake (signal: AbortSignal): Promise<void> {
    const frames = this.frames
    if (frames == null) throw new SessionClosedError('no session stream')
    const key = this.init.privateKey
    const credential = await this.init.credential?.()
    frames.sendFrame(encodeSessionFrame({ hello: { name: this.init.name, publicKey: new Uint8Array(publicKeyToProtobuf(key.publicKey)), version: SESSION_VERSION, resumeToken: new Uint8Array(0), credential } }))
    const challenge = await this.nextFrame(signal)
    if (challenge.fault != null) throw faultError(challenge.fault.code, challenge.fault.reason)
    if (challenge.challenge == null) throw new ProtocolViolationError('the relay did not send a Challenge')
    const relayId = challenge.challenge.relay
    const expected = this.remotePeer // proven by Noise (and equal to the address's /p2p/ part, if it has one)
    if (expected != null && relayId !== expected) throw new AuthenticationError(`the relay says it is ${relayId}, but the connection is secured by ${expected}`)
    const signature = await key.sign(sessionProofPayload(challenge.challenge.nonce, relayId, this.init.name))
    frames.sendFrame(encodeSessionFrame({ auth: { signature: new Uint8Array(signature) } }))
    const ready = await this.nextFrame(signal)
    if (ready.fault != null) throw faultError(ready.fault.code, ready.fault.reason)
    if (ready.ready == null) throw new ProtocolViolationError('the relay did not send Ready')
    this.up = true
  }

  private onFrame (f: SessionFrame): void {
    if (this.waiter != null) { this.waiter.resolve(f); return }
    // Any frame shows the relay is alive (a relay busy sending may answer a ping late).
    if (this.watching && this.up) { this.watching = false; this.tell({ type: 'traffic.received' }) }
    if (f.fault != null) {
      const err = faultError(f.fault.code, f.fault.reason)
      const renew = this.init.renewable === true && (err as { check?: string }).check === 'expired'
      this.tell({ type: 'session.faulted', fatal: f.fault.fatal && !renew, error: { name: err.name, message: err.message } })
      return
    }
    for (const env of f.messages) {
      if (env.type === MessageType.PONG) continue
      this.init.handlers.onEnvelope(env)
    }
    for (const ack of f.acks) this.init.handlers.onAck(ack)
    if (f.subscribed != null) this.init.handlers.onSubscribed(f.subscribed)
    if (f.revocations.length > 0) this.init.handlers.onRevocations?.(f.revocations)
  }

  /** Queues an envelope if the session is up; false if it is not (the caller resends on resume). */
  send (env: Envelope): boolean {
    if (this.frames == null || !this.up) return false
    this.frames.enqueue({ message: env })
    return true
  }

  /** True while the stream to the relay is backed up. */
  get backlogged (): boolean { return this.frames?.backlogged === true }

  /** Resolves when the stream to the relay can take more (or is gone). */
  async whenWritable (): Promise<void> { await this.frames?.whenWritable() }

  sendFrame (frame: Partial<SessionFrame>): boolean {
    if (this.frames == null || !this.up) return false
    this.frames.sendFrame(encodeSessionFrame(frame))
    return true
  }

  async close (): Promise<void> {
    this.tell({ type: 'session.close' })
    await this.done
    this.actor.stop()
  }
}

function faultError (code: number, reason: string): Error {
  if (code === ErrorCode.AUTH_FAILED) return new AuthenticationError(reason)
  if (code === ErrorCode.INVALID_NAME) return new InvalidNameError(reason)
  if (code === ErrorCode.PROTOCOL || code === ErrorCode.MALFORMED || code === ErrorCode.UNKNOWN_TYPE || code === ErrorCode.FRAME_TOO_LARGE) {
    return new ProtocolViolationError(`${errorCodeName(code)}: ${reason}`)
  }
  // Slowness, timeouts, a relay going away: a reconnect may well fix these.
  return new SessionFaultError(`${errorCodeName(code)}: ${reason}`)
}

/** A keepalive: the relay answers it at once with `Pong`. */
function pingEnvelope (): Envelope {
  return newEnvelope({ type: MessageType.PING, messageId: new Uint8Array(randomBytes(16)) })
}
