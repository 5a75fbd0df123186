/**
 * What a sequencer relay checks of a submission routed from another relay, before its
 * sequencer numbers it (when the relay runs with trust): that its publisher's credential
 * grants multicast publish to the name (`grant.publish.multicast`), and, for a commit at
 * epoch 0 (which creates a channel), that it grants creating it (`grant.channels`). The
 * home relay checked the same already; this is for a relay that does not (a broken or
 * subverted one), so that what the sequencer numbers holds to the mesh's grants wherever
 * it was published.
 *
 * The credential comes along with the first submission of each agent the home relay
 * sends here (`Routed.credential`), and again whenever this relay answers
 * `CREDENTIAL_REQUIRED` (it does not hold one: restarted, or forgot it). It is verified
 * once and kept (src/trust/remote-credentials.ts), so a submission costs a map lookup.
 * While an agent's credential is being verified, its later submissions wait behind it,
 * so an agent's messages keep their order.
 */
import type { Envelope } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import { isCommitType } from '../machines/sequencer.machine.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { SequencerAck } from './sequencer.actor.js'
import { RemoteCredentials } from '../trust/remote-credentials.js'
import type { AgentCredential, TrustAnchors } from '../trust/verifier.js'
import type { Clock } from './clock.js'

interface Waiting { env: Envelope, origin: SequencerOrigin, jwt?: string }

export interface SequencerCredentialsInit {
  self: string
  trust: TrustAnchors
  clock: Clock
  /** Hands a submission that passed to the name's sequencer. */
  submit: (env: Envelope, origin: SequencerOrigin) => void
  /** Answers a refused submission at its origin. */
  refuse: (origin: SequencerOrigin, ack: SequencerAck) => void
}

/** Submissions of one agent held while its credential is verified, at most. */
const MAX_WAITING = 4096

export class SequencerCredentials {
  private readonly init: SequencerCredentialsInit
  readonly known: RemoteCredentials
  /** Agents whose credential is being verified, with their submissions held meanwhile. */
  private readonly verifying = new Map<string, Waiting[]>()
  /** Refusals so far, by rule (for inspection and tests). */
  readonly refusals = new Map<string, number>()

  constructor (init: SequencerCredentialsInit) {
    this.init = init
    this.known = new RemoteCredentials({ trust: init.trust, now: () => init.clock.now() })
  }

  /** A submission routed here from another relay, for a name this relay sequences. */
  check (env: Envelope, origin: SequencerOrigin, jwt?: string): void {
    const agent = env.source
    const waiting = this.verifying.get(agent)
    if (waiting != null) {
      if (waiting.length >= MAX_WAITING) { this.refuse(env, origin, ErrorCode.UNAVAILABLE, 'unavailable', `the credential of ${agent} is still being checked at the sequencer relay ${this.init.self}; too many of its submissions wait`); return }
      waiting.push({ env, origin, jwt })
      return
    }
    if (jwt != null && jwt !== '' && this.known.jwtOf(agent) !== jwt) {
      this.verify(agent, jwt, { env, origin, jwt })
      return
    }
    const cred = this.known.get(agent)
    if (cred == null) {
      this.refuse(env, origin, ErrorCode.CREDENTIAL_REQUIRED, 'credential', `the sequencer relay ${this.init.self} holds no credential of ${agent}; send it along`)
      return
    }
    this.decide(env, origin, cred)
  }

  private verify (agent: string, jwt: string, first: Waiting): void {
    const held: Waiting[] = [first]
    this.verifying.set(agent, held)
    void this.known.learn(agent, jwt).then(() => undefined, (err: Error) => err).then(failed => {
      this.verifying.delete(agent)
      for (const w of held) {
        if (failed != null && (w.jwt === jwt || this.known.get(agent) == null)) {
          // The credential sent along was refused: so is what was sent with it or waited behind it.
          this.refuse(w.env, w.origin, ErrorCode.PERMISSION_DENIED, 'credential', `${agent} may not publish to ${w.env.destination} (credential): the sequencer relay ${this.init.self} refused its credential: ${failed.message}`)
        } else {
          this.check(w.env, w.origin, w.jwt === jwt ? undefined : w.jwt)
        }
      }
    })
  }

  private decide (env: Envelope, origin: SequencerOrigin, cred: AgentCredential): void {
    const name = env.destination
    if (!cred.grants.mayPublish('multicast', name)) {
      this.refuse(env, origin, ErrorCode.PERMISSION_DENIED, 'grant.publish.multicast', `${env.source} may not publish to ${name} (grant.publish.multicast): its credential has no publish.multicast grant for ${name} (checked at the sequencer relay ${this.init.self})`)
      return
    }
    if (env.epoch === 0 && isCommitType(env.type) && !cred.grants.mayCreateChannel(name)) {
      this.refuse(env, origin, ErrorCode.PERMISSION_DENIED, 'grant.channels', `${env.source} may not create the channel ${name} (grant.channels): its credential has no channels grant for ${name} (checked at the sequencer relay ${this.init.self})`)
      return
    }
    this.init.submit(env, origin)
  }

  private refuse (env: Envelope, origin: SequencerOrigin, code: number, rule: string, reason: string): void {
    this.refusals.set(rule, (this.refusals.get(rule) ?? 0) + 1)
    this.init.refuse(origin, { messageId: env.messageId, seq: 0, code, reason, epoch: 0 })
  }
}

