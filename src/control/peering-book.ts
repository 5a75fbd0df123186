/**
 * The controller's peering registry (issue 13; docs/FEDERATION.md): one peering actor
 * (src/machines/peering.machine.ts) per peering with another mesh, its document (the
 * proposal on the table, or the agreement in force) and its state, kept in the store
 * (`ctl/peering/<id>`) so a restarted or new leading controller carries on.
 *
 * Proposals travel between the two operators by hand for now (as NATS operators hand
 * each other JWTs): `propose` returns the signed proposal to give the other side; that
 * side `receive`s it and `accept`s (countersigns: the agreement is complete) or counters
 * or declines; the proposer `receive`s the complete agreement back. Both controllers then
 * hold the same agreement, signed by both authorities, and their peerings are trusted.
 * The document's rules and signatures are src/federation/agreement.ts's.
 */
import { createActor } from 'xstate'
import type { Actor, SnapshotFrom } from 'xstate'
import type { GeneralJWS } from 'jose'
import type { KeyValueStore } from '../store/store.js'
import type { Authority } from '../trust/keys.js'
import { peeringMachine } from '../machines/peering.machine.js'
import type { PeeringParty } from '../machines/peering.machine.js'
import { stateName } from '../machines/inspection.js'
import { countersign, proposeAgreement, sidesOf, verifyAgreement } from '../federation/agreement.js'
import type { PeeringAgreement, PeeringSide } from '../federation/agreement.js'
import { PeeringError } from '../federation/errors.js'

const PREFIX = 'ctl/peering/'
const enc = new TextEncoder()
const dec = new TextDecoder()

/** What the operator proposes: the agreement but for this mesh's id and key, which the controller fills in. */
export type PeeringDraft = Omit<PeeringAgreement, 'sides' | 'version'> & {
  version?: number
  local: Omit<PeeringSide, 'mesh' | 'authority'>
  remote: PeeringSide
}

/** One peering, as operators see it. */
export interface PeeringView {
  id: string
  peer: string
  state: string
  version: number
  /** Who took the last step, and why it ended or was suspended. */
  by?: PeeringParty
  reason?: string
  signedBy: string[]
  agreement: PeeringAgreement
  /** The document to hand to the other side (a proposal, or the complete agreement). */
  document: GeneralJWS
}

type PeeringActor = Actor<typeof peeringMachine>

interface Entry { actor: PeeringActor, agreement: PeeringAgreement, signedBy: string[] }

export interface PeeringBookInit {
  store: KeyValueStore
  authority: Authority
  /** A peering became trusted or stopped being so (the borders' desired state follows it). */
  onChange?: (id: string, trusted: boolean) => void
}

export class PeeringBook {
  private readonly init: PeeringBookInit
  private readonly entries = new Map<string, Entry>()

  private constructor (init: PeeringBookInit) { this.init = init }

  /** The registry with the peerings kept in the store, their actors restored. */
  static async load (init: PeeringBookInit): Promise<PeeringBook> {
    const book = new PeeringBook(init)
    for (const [, v] of await init.store.list(PREFIX)) {
      const kept = JSON.parse(dec.decode(v)) as { snapshot: SnapshotFrom<typeof peeringMachine> }
      const document = kept.snapshot.context.document
      const verified = await verifyAgreement(document).catch(() => undefined)
      if (verified == null) continue // expired meanwhile, or no longer verifying: dropped
      book.start(verified.agreement, verified.signedBy, createActor(book.machine(), { snapshot: kept.snapshot, input: undefined as never }))
    }
    return book
  }

  private get mesh (): string { return this.init.authority.authority.mesh }

  private machine (): typeof peeringMachine {
    return peeringMachine.provide({
      actions: {
        activate: ({ context }) => { this.init.onChange?.(context.id, true) },
        deactivate: ({ context }) => { this.init.onChange?.(context.id, false) }
      }
    })
  }

  private start (agreement: PeeringAgreement, signedBy: string[], actor: PeeringActor): Entry {
    const entry = { actor, agreement, signedBy }
    this.entries.set(agreement.id, entry)
    actor.subscribe(() => { void this.save(agreement.id) })
    actor.start()
    return entry
  }

  private async save (id: string): Promise<void> {
    const e = this.entries.get(id)
    if (e == null) return
    await this.init.store.put(PREFIX + id, enc.encode(JSON.stringify({ snapshot: e.actor.getPersistedSnapshot() })))
  }

  private entry (id: string): Entry {
    const e = this.entries.get(id)
    if (e == null) throw new PeeringError('not-a-party', `no peering ${id} here`)
    return e
  }

  /** Proposes a peering (or a new version of one being negotiated); returns it, with the proposal to hand over. */
  async propose (draft: PeeringDraft): Promise<PeeringView> {
    const { local, remote, ...rest } = draft
    const existing = this.entries.get(draft.id)
    const version = existing == null ? (draft.version ?? 1) : existing.actor.getSnapshot().context.version + 1
    const self: PeeringSide = { ...local, mesh: this.mesh, authority: this.init.authority.authority.jwk }
    const agreement: PeeringAgreement = { ...rest, v: 1, version, sides: [self, remote] }
    const document = await proposeAgreement(agreement, this.init.authority)
    if (existing == null) {
      this.start(agreement, [this.mesh], createActor(this.machine(), { input: { id: agreement.id, peer: remote.mesh, proposer: 'us', proposal: document, version } }))
    } else {
      this.requireOpen(existing, 'counter')
      existing.agreement = agreement
      existing.signedBy = [this.mesh]
      existing.actor.send({ type: 'peering.proposal', from: 'us', proposal: document, version })
    }
    await this.save(agreement.id)
    return this.view(agreement.id)
  }

  /** A document from the other side: its proposal, a counter-proposal, or the agreement both signed. */
  async receive (document: GeneralJWS): Promise<PeeringView> {
    const { agreement, signedBy, complete } = await verifyAgreement(document)
    const { remote } = sidesOf(agreement, this.mesh)
    if (!complete && !signedBy.includes(remote.mesh)) throw new PeeringError('signature', `peering ${agreement.id} is not signed by the other side (${remote.mesh})`)
    let e = this.entries.get(agreement.id)
    if (e == null) {
      e = this.start(agreement, signedBy, createActor(this.machine(), { input: { id: agreement.id, peer: remote.mesh, proposer: 'peer', proposal: document, version: agreement.version } }))
    } else {
      if (e.actor.getSnapshot().context.peer !== remote.mesh) throw new PeeringError('not-a-party', `peering ${agreement.id} is with mesh ${e.actor.getSnapshot().context.peer}, not ${remote.mesh}`)
      if (agreement.version < e.actor.getSnapshot().context.version) throw new PeeringError('transition', `version ${agreement.version} of peering ${agreement.id} is older than the one here (${e.actor.getSnapshot().context.version})`)
      e.agreement = agreement
      e.signedBy = signedBy
      if (!complete) e.actor.send({ type: 'peering.proposal', from: 'peer', proposal: document, version: agreement.version })
    }
    if (complete) this.agreed(e, document)
    await this.save(agreement.id)
    return this.view(agreement.id)
  }

  /** Accepts the other side's proposal on the table: countersigns it; returns the agreement in force, to hand back. */
  async accept (id: string): Promise<PeeringView> {
    const e = this.entry(id)
    this.requireOpen(e, 'accept')
    const ctx = e.actor.getSnapshot().context
    if (ctx.by !== 'peer') throw new PeeringError('transition', `the proposal on the table of peering ${id} is this mesh's own; the other side accepts it`)
    const document = await countersign(ctx.document, this.init.authority)
    e.signedBy = (await verifyAgreement(document)).signedBy
    this.agreed(e, document)
    await this.save(id)
    return this.view(id)
  }

  private agreed (e: Entry, document: GeneralJWS): void {
    e.actor.send({ type: 'peering.agreed', agreement: document, version: e.agreement.version, validForMs: e.agreement.expires * 1000 - Date.now() })
  }

  private requireOpen (e: Entry, step: string): void {
    const state = stateName(e.actor.getSnapshot().value)
    if (!state.startsWith('proposed') && !state.startsWith('negotiating')) throw new PeeringError('transition', `peering ${e.agreement.id} is ${state}: it cannot ${step} now`)
  }

  /** An operator's step: decline (while negotiating), suspend, resume (once trusted), revoke (any time). */
  async step (id: string, step: 'decline' | 'suspend' | 'resume' | 'revoke', reason = ''): Promise<PeeringView> {
    const e = this.entry(id)
    const before = stateName(e.actor.getSnapshot().value)
    const allowed = { decline: ['proposed', 'negotiating'], suspend: ['trusted'], resume: ['suspended'], revoke: ['proposed', 'negotiating', 'trusted', 'suspended'] }[step]
    if (!allowed.some(s => before.startsWith(s))) throw new PeeringError('transition', `peering ${id} is ${before}: it cannot be ${step === 'resume' ? 'resumed' : `${step}d`}`)
    if (step === 'resume') e.actor.send({ type: 'peering.resume', by: 'us' })
    else e.actor.send({ type: `peering.${step}`, by: 'us', reason: reason !== '' ? reason : `${step}d by an operator` })
    await this.save(id)
    return this.view(id)
  }

  view (id: string): PeeringView {
    const e = this.entry(id)
    const s = e.actor.getSnapshot()
    return { id, peer: s.context.peer, state: stateName(s.value), version: s.context.version, by: s.context.by, reason: s.context.reason, signedBy: e.signedBy, agreement: e.agreement, document: s.context.document }
  }

  list (): PeeringView[] { return [...this.entries.keys()].sort().map(id => this.view(id)) }

  /** The agreements in force (trusted), for the borders. */
  trusted (): PeeringAgreement[] { return this.list().filter(v => v.state.startsWith('trusted')).map(v => v.agreement) }

  stop (): void { for (const e of this.entries.values()) e.actor.stop() }
}
