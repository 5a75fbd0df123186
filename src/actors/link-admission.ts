/**
 * Relay admission (docs/ARCHITECTURE.md, "Relay admission"): a relay links only with
 * relays that hold a relay credential of its mesh, for the peer id their connection's
 * Noise handshake authenticated.
 *
 * The first frame each relay writes on the link stream it opens is a hello with its
 * credential (`LinkHello`). The reader of that stream (`InboundGate`) checks it with the
 * trust anchors before a single other frame of the peer reaches the relay core; the
 * frames that arrive while the check runs are held. A refusal is counted and logged
 * (with the check that failed), the peer is told why in a fatal `Fault` on our own
 * stream to it, and its stream is aborted.
 *
 * `LinkAdmission` also tells gossipsub whom to score in (src/p2p/libp2p-node.ts):
 * admitted relays; peers not yet decided are `pending` for a short while (their
 * subscriptions are heard, nothing is sent to them), then `refused` (graylisted).
 * Admitted relays are checked again when a revocation arrives and every second (for
 * expiry): a credential that no longer passes cuts the link.
 */
import type { RelayTrust } from '../trust/relay-trust.js'
import type { RelayCredential } from '../trust/verifier.js'
import { CredentialError } from '../trust/errors.js'
import type { CredentialCheck } from '../trust/errors.js'
import { AuthenticationError } from '../relay/errors.js'
import { ProtocolViolationError } from '../wire/errors.js'
import type { LinkFrame, LinkHello } from '../wire/envelope.pb.js'
import type { GossipAdmission } from '../p2p/libp2p-node.js'
import type { Logger } from '../logger.js'

/**
 * How long a connected peer that has not shown a credential yet is `pending` rather than
 * graylisted: a relay's hello comes within a round trip or two of its connection.
 */
export const PENDING_MS = 10_000

/** Frames a peer may send while its hello is being checked (reading is paused meanwhile); more is a protocol violation. */
const HELD_LIMIT = 4096

/** Why a relay was refused: a credential check, or a link protocol broken before admission. */
export type RefusalCheck = CredentialCheck | 'protocol'

export interface LinkAdmissionInit {
  /** The relay's trust; none in open mode (every relay is admitted, no hello is needed). */
  trust?: RelayTrust
  log: Logger
  /** A peer's admission changed (gossipsub rescores it at once). */
  onChange?: (peer: string) => void
}

export class LinkAdmission {
  /** Open mode: no credentials, every relay is admitted. */
  readonly open: boolean
  /** Refusals so far, by check (what operators and tests read). */
  readonly refusals = new Map<RefusalCheck, number>()
  private readonly init: LinkAdmissionInit
  private readonly admitted = new Map<string, RelayCredential>()
  private readonly refused = new Set<string>()
  private readonly firstSeen = new Map<string, number>()
  /** Refusals already said at warn (peer and check); the rest go at debug. */
  private readonly warned = new Set<string>()
  private timer?: ReturnType<typeof setInterval>

  constructor (init: LinkAdmissionInit) {
    this.init = init
    this.open = init.trust == null
  }

  /** The hello this relay writes first on every link stream it opens (none in open mode). */
  get hello (): LinkHello | undefined {
    const t = this.init.trust
    return t == null ? undefined : { credential: t.credential, mesh: t.mesh }
  }

  isAdmitted (peer: string): boolean { return this.open || this.admitted.has(peer) }

  /** The relay credential a peer was admitted with. */
  credentialOf (peer: string): RelayCredential | undefined { return this.admitted.get(peer) }

  /** For gossipsub's scoring: admitted, not decided yet (for `PENDING_MS` after it was first asked about), or refused. */
  status (peer: string): GossipAdmission {
    if (this.isAdmitted(peer)) return 'admitted'
    if (this.refused.has(peer)) return 'refused'
    const now = Date.now()
    const seen = this.firstSeen.get(peer)
    if (seen == null) {
      // Bounded: a peer forgotten here is only pending afresh (still sent nothing).
      if (this.firstSeen.size >= 10_000) this.firstSeen.delete(this.firstSeen.keys().next().value as string)
      this.firstSeen.set(peer, now)
      return 'pending'
    }
    return now - seen < PENDING_MS ? 'pending' : 'refused'
  }

  /**
   * Checks a peer's hello; resolves with its credential, or rejects with the
   * `AuthenticationError` to cut it with (counted and logged).
   */
  async admit (peer: string, hello: LinkHello): Promise<RelayCredential | undefined> {
    const trust = this.init.trust
    if (trust == null) return undefined
    let cred: RelayCredential
    try {
      cred = await trust.anchors.verifyRelay(hello.credential, peer)
    } catch (err) {
      throw this.refuse(peer, err as Error)
    }
    this.refused.delete(peer)
    this.admitted.set(peer, cred)
    this.init.log.debug({ peer, credential: cred.id, role: cred.role }, 'relay admitted')
    this.init.onChange?.(peer)
    return cred
  }

  /** Refuses `peer` for `err` (a failed credential check or a broken handshake): counted, logged; gives the error to cut it with. */
  refuse (peer: string, err: Error): Error {
    const check: RefusalCheck = err instanceof CredentialError ? err.check : 'protocol'
    this.refusals.set(check, (this.refusals.get(check) ?? 0) + 1)
    this.admitted.delete(peer)
    this.refused.add(peer)
    const key = `${peer} ${check}`
    const fields = { peer, check, reason: err.message }
    if (!this.warned.has(key)) {
      if (this.warned.size > 10_000) this.warned.clear()
      this.warned.add(key)
      this.init.log.warn(fields, 'relay refused: no link, routes or gossip with it (its redials are refused too, said at debug)')
    } else {
      this.init.log.debug(fields, 'relay refused again')
    }
    this.init.onChange?.(peer)
    if (err instanceof CredentialError) return new AuthenticationError(`link refused: ${err.message}`, { cause: err, check: err.check })
    return err instanceof ProtocolViolationError ? err : new ProtocolViolationError(err.message, { cause: err })
  }

  /**
   * Checks every admitted relay's credential again (after a revocation; and every second,
   * for expiry): each one that no longer passes is refused and given to `cut`.
   */
  recheck (cut: (peer: string, err: Error) => void): void {
    const trust = this.init.trust
    if (trust == null) return
    for (const [peer, cred] of [...this.admitted]) {
      try { trust.anchors.recheck(cred) } catch (err) { cut(peer, this.refuse(peer, err as Error)) }
    }
  }

  /** Rechecks every second until `stop`. */
  start (cut: (peer: string, err: Error) => void): void {
    if (this.open || this.timer != null) return
    this.timer = setInterval(() => { this.recheck(cut) }, 1000)
    this.timer.unref?.()
  }

  stop (): void { clearInterval(this.timer); this.timer = undefined }

  /** The peer disconnected: a new connection starts afresh (with a new hello). */
  forget (peer: string): void {
    this.admitted.delete(peer)
    this.refused.delete(peer)
    this.firstSeen.delete(peer)
  }
}

export interface InboundGateInit {
  peer: string
  admission: LinkAdmission
  /** A frame of an admitted peer. */
  deliver: (frame: LinkFrame) => void
  /** The peer's hello passed. */
  admitted: () => void
  /** The peer is refused (its hello failed, or it broke the handshake): cut it with `err`. */
  refused: (err: Error) => void
  /** The peer refused us: a fatal fault instead of (or after) its hello. */
  refusedBy: (reason: string) => void
  /**
   * Stop and go on reading the stream: it is paused while the hello is checked, so what
   * is held meanwhile is at most what had been read already.
   */
  pause?: () => void
  resume?: () => void
}

/**
 * The reading side of one inbound link stream: nothing the peer sends reaches `deliver`
 * before its hello passed. In open mode every frame goes through (a hello is ignored).
 */
export class InboundGate {
  private readonly init: InboundGateInit
  private phase: 'hello' | 'checking' | 'open' | 'closed'
  private held: LinkFrame[] = []

  constructor (init: InboundGateInit) {
    this.init = init
    this.phase = init.admission.open ? 'open' : 'hello'
  }

  onFrame (frame: LinkFrame): void {
    switch (this.phase) {
      case 'closed': return
      case 'open': this.pass(frame); return
      case 'checking':
        if (this.held.length < HELD_LIMIT) this.held.push(frame)
        else this.fail(new ProtocolViolationError(`the relay sent over ${HELD_LIMIT} frames before its hello was checked`))
        return
      case 'hello':
        if (frame.hello == null) {
          if (frame.fault != null) { this.close(); this.init.refusedBy(frame.fault.reason); return }
          this.fail(new ProtocolViolationError('the first frame on a link must be the hello with the relay\'s credential (LinkFrame.hello); the relay sent another frame first (is it in open mode, or of an older version?)'))
          return
        }
        this.phase = 'checking'
        this.init.pause?.()
        this.init.admission.admit(this.init.peer, frame.hello).then(() => {
          if (this.phase !== 'checking') return
          this.phase = 'open'
          this.init.admitted()
          const rest = [{ ...frame, hello: undefined }, ...this.held]
          this.held = []
          for (const f of rest) { if (this.phase === 'open') this.pass(f) }
          if (this.phase === 'open') this.init.resume?.()
        }, (err: Error) => {
          if (this.phase !== 'checking') return
          this.close()
          this.init.refused(err)
        })
    }
  }

  private pass (frame: LinkFrame): void {
    if (frame.fault?.fatal === true) { this.close(); this.init.refusedBy(frame.fault.reason); return }
    this.init.deliver(frame)
  }

  private fail (err: Error): void {
    this.close()
    this.init.refused(this.init.admission.refuse(this.init.peer, err))
  }

  close (): void { this.phase = 'closed'; this.held = [] }
}
