/**
 * The relay's end of one agent session: runs `relaySessionMachine` over a session
 * stream, and is the `AgentPort` the relay logic delivers through.
 */
import { randomBytes } from 'node:crypto'
import { createActor, fromPromise } from 'xstate'
import { stateName, transitionInspector } from '../machines/inspection.js'
import type { Actor } from 'xstate'
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PublicKey } from '@libp2p/interface'
import { relaySessionMachine } from '../machines/relay-session.machine.js'
import type { RelaySessionEvent } from '../machines/relay-session.machine.js'
import type { FrameTransport, OpenFrames } from '../wire/frame-transport.js'
import { checkEnvelope, decodeSessionFrame, encodeSessionFrame } from '../wire/codec.js'
import { MAX_MESSAGE_ID_BYTES, MAX_NAME_BYTES } from '../wire/constants.js'
import { MessageType, SessionFrame } from '../wire/envelope.pb.js'
import type { Ack, Envelope } from '../wire/envelope.pb.js'
import { ErrorCode, isWireErrorCode, SlowConsumerError } from '../wire/errors.js'
import { agentNameForKey } from '../names/identity.js'
import { parseName } from '../names/names.js'
import type { AgentName } from '../names/names.js'
import { sessionProofPayload } from './session-proof.js'
import type { RelayCore } from '../relay/relay-core.js'
import { deliveryModeOf } from '../relay/delivery-mode.js'
import type { AgentPort } from '../relay/types.js'
import type { Clock } from '../relay/clock.js'
import { AuthenticationError, HistoryTrimmedError, SessionClosedError, SessionFaultError } from '../relay/errors.js'
import type { Logger } from '../logger.js'
import type { AgentCredential, TrustAnchors } from '../trust/verifier.js'
import { CredentialError } from '../trust/errors.js'

type Item = { message: Envelope } | { ack: Partial<Ack> }

/** The code a refused subscribe is answered with, by the error's name (anything else: UNAVAILABLE). */
const SUBSCRIBE_ERROR_CODES: Partial<Record<string, number>> = {
  InvalidNameError: ErrorCode.INVALID_NAME,
  PermissionDeniedError: ErrorCode.PERMISSION_DENIED,
  HistoryTrimmedError: ErrorCode.HISTORY_TRIMMED,
  QuotaExceededError: ErrorCode.QUOTA_EXCEEDED
}

export interface RelaySessionTimings {
  handshakeTimeoutMs: number
  silenceTimeoutMs: number
  gracePeriodMs: number
  keepaliveMs: number
}

export interface RelaySessionInit {
  /** The accepted session stream, as frames (`libp2pFrames(stream)` for libp2p). */
  frames: OpenFrames
  core: RelayCore
  relayPeerId: string
  clock: Clock
  timings: RelaySessionTimings
  /** Sessions by agent name, so a newer session can take over an older one. */
  registry: Map<string, RelaySessionActor>
  /** The mesh's trust anchors: every agent must present a credential they accept. None: open mode. */
  trust?: TrustAnchors
  /** Revocations an agent hands in (each passed back to it once taken). */
  onRevocations?: (revocations: string[], session: RelaySessionActor) => void
  /** The revocations the relay holds, passed on to the agent when it attaches. */
  revocations?: () => string[]
  onTransition?: (actor: string, from: string, to: string, event: string) => void
  log: Logger
}

export class RelaySessionActor implements AgentPort {
  private readonly init: RelaySessionInit
  private readonly frames: FrameTransport<Item>
  private readonly actor: Actor<typeof relaySessionMachine>
  private nonce?: Uint8Array<ArrayBuffer>
  private key?: PublicKey
  private name?: AgentName
  private signature?: Uint8Array
  private presented?: string
  /** The credential this session was admitted with (with trust on). */
  credential?: AgentCredential
  /** Whether the agent was ever attached (only those sessions' ends are logged at info). */
  private attached = false
  readonly id = randomBytes(8).toString('hex')

  constructor (init: RelaySessionInit) {
    this.init = init
    this.frames = init.frames<SessionFrame, Item>({
      decode: (bytes) => decodeSessionFrame(bytes, { checkMessages: false }),
      encodeBatch: (items) => encodeSessionFrame({
        messages: items.flatMap(i => 'message' in i ? [i.message] : []),
        acks: items.flatMap(i => 'ack' in i ? [i.ack as Ack] : [])
      }),
      sizeOf: (i) => 'message' in i ? i.message.payload.byteLength + 160 : 48
    }, {
      onFrame: (f) => { this.onFrame(f) },
      onInvalid: (err) => { this.tell({ type: 'frame.invalid', code: codeOf(err), reason: err.message }) },
      onClose: (err) => {
        // Cut by `cut` below, or by the stream itself when its write queue overflowed.
        if (err?.name === 'SlowConsumerError') init.core.counters.slowConsumersCut++
        this.tell({ type: 'stream.closed' })
      }
    })

    const t = init.timings
    const machine = relaySessionMachine.provide({
      delays: {
        HANDSHAKE_TIMEOUT: t.handshakeTimeoutMs,
        SILENCE_TIMEOUT: t.silenceTimeoutMs,
        GRACE_PERIOD: t.gracePeriodMs
      },
      actors: {
        verifyAuth: fromPromise(async () => {
          try {
            return await this.verify()
          } catch (err) {
            init.core.counters.authFailures++
            throw err
          }
        })
      },
      actions: {
        sendChallenge: () => {
          this.nonce = new Uint8Array(randomBytes(32))
          this.frames.sendFrame(encodeSessionFrame({ challenge: { nonce: this.nonce, relay: init.relayPeerId } }))
        },
        attachAgent: () => { this.attach() },
        markAway: ({ event }) => {
          if (this.name == null) return
          init.log.info({ agent: this.name, session: this.id, reason: event.type === 'stream.closed' ? 'stream closed' : 'silent too long', holdMs: t.gracePeriodMs }, 'agent away; its subscriptions are held for the grace period')
          init.core.agentAway(this.name, this)
        },
        detachAgent: () => { if (this.name != null && init.registry.get(this.name) === this) init.core.detachAgent(this.name, this) },
        faultAndCut: (_, p) => { this.faultAndCut(p.code, p.reason) },
        releaseStream: ({ event }) => {
          if (this.attached) init.log.info({ agent: this.name, session: this.id, reason: closeReason(event) }, 'agent session closed')
          if (this.name != null && init.registry.get(this.name) === this) init.registry.delete(this.name)
          if (this.frames.isOpen) void this.frames.close().finally(() => { this.frames.abort(new SessionClosedError('session closed')) })
        }
      }
    })
    const sink = init.onTransition
    this.actor = createActor(machine, {
      clock: init.clock as never,
      inspect: transitionInspector(sink == null ? undefined : (from, to, event) => { sink(`session:${this.name ?? this.id}`, from, to, event) })
    })
    this.actor.start()
  }

  /** Sends an event unless the machine has already finished. */
  private tell (event: RelaySessionEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event)
  }

  get state (): string { return stateName(this.actor.getSnapshot().value) }
  get agentName (): string | undefined { return this.name }

  private onFrame (f: SessionFrame): void {
    const state = this.state
    if (state === 'handshaking') {
      if (f.hello != null && this.name == null) { this.presented = f.hello.credential; this.onHello(f.hello.name, f.hello.publicKey); return }
      if (f.auth != null && this.name != null) { this.signature = f.auth.signature; this.tell({ type: 'auth.received' }); return }
      this.violation(`${partOf(f)} during the handshake`)
      return
    }
    if (!state.startsWith('active') || this.name == null) {
      if (state !== 'authenticating') this.violation(`${partOf(f)} in state ${state}`)
      return
    }
    const name = this.name
    if (f.messages.length > 0) {
      for (const env of f.messages) {
        try {
          checkEnvelope(env, 'message') // no string built per message: the reason is made on failure
        } catch (err) {
          // Refused once, by its id, before the cut: the agent fails that publish with
          // this reason and does not send it again when it reconnects.
          const code = codeOf(err as Error)
          const reason = `${(err as Error).message} (to ${env.destination.slice(0, MAX_NAME_BYTES)})`
          if (env.messageId.byteLength > 0 && env.messageId.byteLength <= MAX_MESSAGE_ID_BYTES) this.ack({ messageId: env.messageId, code, reason })
          this.tell({ type: 'frame.invalid', code, reason })
          return
        }
        if (env.type === MessageType.PING) this.tell({ type: 'ping.received' })
        this.init.core.fromAgent(name, env)
      }
      return
    }
    if (f.subscribe != null) {
      const { requestId, name: topic, fromSeq } = f.subscribe
      try {
        parseName(topic)
      } catch (err) {
        this.frames.sendFrame(encodeSessionFrame({ subscribed: { requestId, name: topic, nextSeq: 0, code: ErrorCode.INVALID_NAME, reason: (err as Error).message } }))
        return
      }
      this.init.core.subscribe(name, topic, fromSeq).then(
        nextSeq => { this.frames.sendFrame(encodeSessionFrame({ subscribed: { requestId, name: topic, nextSeq, code: 0, reason: '' } })) },
        err => {
          const name = (err as Error).name
          const code = SUBSCRIBE_ERROR_CODES[name] ?? ErrorCode.UNAVAILABLE
          // A trimmed history says where the archive starts now.
          const nextSeq = err instanceof HistoryTrimmedError ? err.oldest : 0
          this.frames.sendFrame(encodeSessionFrame({ subscribed: { requestId, name: topic, nextSeq, code, reason: (err as Error).message } }))
        }
      )
      return
    }
    if (f.unsubscribe != null) { this.init.core.unsubscribe(name, f.unsubscribe.name); return }
    if (f.revocations.length > 0) { this.init.onRevocations?.(f.revocations, this); return }
    if (f.close != null) { this.tell({ type: 'close.received' }); return }
    this.violation(`${partOf(f)} from an agent`)
  }

  private onHello (requested: string, keyBytes: Uint8Array): void {
    try {
      this.key = publicKeyFromProtobuf(keyBytes)
    } catch (err) {
      this.init.core.counters.authFailures++
      this.tell({ type: 'frame.invalid', code: ErrorCode.AUTH_FAILED, reason: `Hello carries no valid public key: ${(err as Error).message}` })
      return
    }
    try {
      this.name = agentNameForKey(requested, this.key)
    } catch (err) {
      const e = err as Error
      const code = e.name === 'InvalidNameError' && requested.split('/').length === 4 ? ErrorCode.AUTH_FAILED : ErrorCode.INVALID_NAME
      if (code === ErrorCode.AUTH_FAILED) this.init.core.counters.authFailures++
      this.tell({ type: 'frame.invalid', code, reason: e.message })
      return
    }
    // From here on its transitions go by the agent's name: the label it had until now
    // ends (an inspector would otherwise keep a ghost of it in `handshaking`).
    this.init.onTransition?.(`session:${this.id}`, this.state, 'renamed', `session.renamed:${this.name}`)
    this.tell({ type: 'hello.received', name: this.name })
  }

  private async verify (): Promise<{ name: string }> {
    const { key, name, nonce, signature } = this
    if (key == null || name == null || nonce == null || signature == null) throw new AuthenticationError('incomplete handshake')
    const ok = await key.verify(sessionProofPayload(nonce, this.init.relayPeerId, name), signature)
    if (!ok) throw new AuthenticationError(`the signature does not prove the key behind ${name}`)
    const trust = this.init.trust
    if (trust != null) {
      try {
        this.credential = await trust.verifyAgent(this.presented, { publicKey: key.raw, name })
      } catch (err) {
        if (!(err instanceof CredentialError)) throw err
        throw new AuthenticationError(`${name}: ${err.message}`, { check: err.check })
      }
    }
    const admitted = this.init.core.gate.session({ agent: name, publicKey: publicKeyToProtobuf(key) })
    if (admitted !== true) throw new AuthenticationError(`the relay's policy does not admit ${name} (admitSession): ${admitted.deny}`)
    if (this.credential != null) this.init.core.gate.admit(name, this.credential)
    return { name }
  }

  private attach (): void {
    const name = this.name as AgentName
    const prev = this.init.registry.get(name)
    this.init.registry.set(name, this)
    const resumed = prev != null
    prev?.replace()
    this.attached = true
    this.init.log.info({ agent: name, session: this.id, resumed }, 'agent attached')
    this.init.core.attachAgent(name, this)
    this.frames.sendFrame(encodeSessionFrame({ ready: { name, sessionId: new Uint8Array(Buffer.from(this.id, 'hex')), keepaliveMs: this.init.timings.keepaliveMs, resumed } }))
    const held = this.init.revocations?.() ?? []
    if (held.length > 0) this.passOn(held)
  }

  /** A newer session proved the same name and takes over. */
  replace (): void { this.tell({ type: 'session.replaced' }) }

  /** Passes signed revocations on to the agent (channel members check each other against them). */
  passOn (revocations: string[]): void {
    for (let i = 0; i < revocations.length; i += 1024) this.frames.sendFrame(encodeSessionFrame({ revocations: revocations.slice(i, i + 1024) }))
  }

  /** Its credential was revoked or expired: the session is told why and cut; its routes go. */
  revoke (reason: string): void {
    this.init.log.warn({ agent: this.name, session: this.id, reason }, 'session cut: credential no longer valid')
    this.tell({ type: 'frame.invalid', code: ErrorCode.AUTH_FAILED, reason })
  }

  /** The relay is stopping. */
  stop (): void { this.tell({ type: 'relay.stopping' }) }

  private violation (what: string): void {
    this.tell({ type: 'frame.invalid', code: ErrorCode.PROTOCOL, reason: `unexpected ${what}` })
  }

  private faultAndCut (code: number, reason: string): void {
    this.init.log.warn({ agent: this.name, session: this.id, code, reason }, 'session cut')
    this.frames.sendFrame(encodeSessionFrame({ fault: { code, reason, fatal: true } }))
    void this.frames.close().finally(() => { this.frames.abort(new SessionFaultError(reason)) })
  }

  // ---- AgentPort ----

  deliver (envelope: Envelope): void {
    // A PONG is the relay's own answer to a keepalive, not a message sent on.
    if (envelope.type !== MessageType.PONG) this.init.core.counters.messagesOut[deliveryModeOf(envelope)]++
    this.frames.enqueue({ message: envelope })
  }

  ack (ack: Partial<Ack>): void {
    if ((ack.code ?? 0) === 0) this.init.core.counters.acks++
    this.frames.enqueue({ ack })
  }

  subscriptionEnded (name: string, code: number, reason: string, nextSeq: number): void {
    // Request id 0: no request of the agent's; it ends the subscription it has to `name`.
    this.frames.sendFrame(encodeSessionFrame({ subscribed: { requestId: 0, name, nextSeq, code, reason } }))
  }

  backlogged (): boolean { return this.frames.backlogged }
  /** Bytes queued to the agent. */
  get queuedBytes (): number { return this.frames.queuedBytes }
  async whenWritable (): Promise<void> { await this.frames.whenWritable() }
  cut (reason: string): void {
    this.init.log.info({ agent: this.name, session: this.id, reason }, 'slow consumer cut')
    this.frames.abort(new SlowConsumerError(reason))
  }

  private pauses = 0
  pauseUntil (until: Promise<void>): void {
    if (this.pauses++ === 0) this.frames.pauseReading()
    void until.finally(() => { if (--this.pauses === 0) this.frames.resumeReading() })
  }
}

/** Why a session closed, from the event that closed it. */
function closeReason (event: { type: string, reason?: unknown, error?: unknown }): string {
  switch (event.type) {
    case 'close.received': return 'closed by the agent'
    case 'stream.closed': return 'stream closed'
    case 'session.replaced': return 'replaced by a newer session of the same agent'
    case 'relay.stopping': return 'relay stopping'
    case 'frame.invalid': return String(event.reason)
  }
  if (event.type.startsWith('xstate.after.GRACE_PERIOD')) return 'not back within the grace period'
  if (event.type.startsWith('xstate.after.')) return 'timed out'
  if (event.type.startsWith('xstate.error.')) return (event.error as Error | undefined)?.message ?? 'failed'
  return event.type
}

function codeOf (err: Error): number {
  const code = (err as { code?: unknown }).code
  return isWireErrorCode(code) ? code : ErrorCode.MALFORMED
}

function partOf (f: SessionFrame): string {
  for (const k of ['hello', 'challenge', 'auth', 'ready', 'subscribe', 'subscribed', 'unsubscribe', 'fault', 'close'] as const) {
    if (f[k] != null) return k[0]?.toUpperCase() + k.slice(1)
  }
  return f.acks.length > 0 ? 'Ack' : 'messages'
}


